"""Reading CSV files as analysts have them: any common separator, BOM, cp1252, decimal comma."""

from __future__ import annotations

import csv
import io
import logging
import os
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from twinning_graph._validate import Problems

logger = logging.getLogger(__name__)

PathLike: TypeAlias = "str | os.PathLike[str]"


def source_label(source: object, default: str) -> str:
    """A short name for an input, used in error messages."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return default


def read_raw(path: PathLike, problems: Problems) -> tuple[pd.DataFrame | None, str]:
    """Read a delimited text file into a DataFrame of strings.

    Detects a UTF-8 byte-order mark, falls back to cp1252 (Excel on Windows in
    Western European locales) when the bytes are not UTF-8, and detects the
    separator (``,`` ``;`` tab ``|``) from the header line. Returns the frame
    (all cells as ``str``, empty cells as ``""``) and the separator; records a
    problem and returns ``None`` for an empty or unreadable file.
    """
    label = os.fspath(path)
    p = Path(path)
    if not p.exists():
        problems.add(label, None, None, "file not found")
        return None, ","
    if p.is_dir():
        problems.add(label, None, None, "is a directory, expected a CSV file")
        return None, ","
    raw = p.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.add(
            label,
            None,
            None,
            "file is UTF-16 encoded; save it as 'CSV UTF-8 (comma delimited)' instead",
        )
        return None, ","
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Excel's plain "CSV" in Western European locales writes cp1252; latin-1 as last resort
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        logger.info("%s is not UTF-8; read it as cp1252", label)
    if "\x00" in text:
        problems.add(label, None, None, "file contains NUL bytes: it is not a text CSV file")
        return None, ","
    if not text.strip():
        problems.add(label, None, None, "file is empty; expected a header line and data rows")
        return None, ","
    header = text.lstrip("\r\n").splitlines()[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        sep = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
            on_bad_lines="error",
            engine="c",
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        problems.add(label, None, None, f"cannot be parsed as CSV with separator {sep!r}: {exc}")
        return None, sep
    except pd.errors.EmptyDataError:
        problems.add(label, None, None, "file is empty; expected a header line and data rows")
        return None, sep
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame.attrs["separator"] = sep
    return frame, sep


def as_string_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy a user DataFrame with every cell as a stripped string ("" for missing)."""
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        na = s.isna().to_numpy()
        txt = s.astype(str).str.strip()
        txt = txt.where(~na, "")
        out[str(col).strip()] = txt
    return out


def row_labels(frame: pd.DataFrame, mask: np.ndarray, from_file: bool) -> list[int | str]:
    """Rows of ``mask`` as file line numbers (header = 1) or DataFrame index labels."""
    pos = np.flatnonzero(mask)
    if from_file:
        return [int(p) + 2 for p in pos]
    return [frame.index[p] for p in pos]


def parse_float(text: pd.Series, *, decimal_comma: bool) -> tuple[pd.Series, np.ndarray]:
    """Parse strings as floats; returns (values, bad) where bad marks non-empty unparseable cells.

    With ``decimal_comma`` a single comma is read as the decimal mark (``48,85``).
    """
    t = text.str.strip()
    if decimal_comma:
        t = t.str.replace(",", ".", regex=False)
    values = pd.to_numeric(t.where(t != "", None), errors="coerce").astype("float64")
    bad = (t != "").to_numpy() & values.isna().to_numpy()
    return values, bad


def parse_int(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse strings as nullable integers, accepting thousands separators and ``.0``.

    ``"1 234"``, ``"1.234"`` and ``"1,234"`` (groups of three digits) read as 1234;
    ``"1234.0"`` reads as 1234. Returns (Int64 values, bad mask of non-empty cells that
    are not whole numbers).
    """
    # fast path: plain integers (or empty) throughout, as in most files
    arr = text.to_numpy(dtype=object)
    empty0 = text.str.len().to_numpy() == 0
    fast = pd.to_numeric(
        pd.Series(np.where(empty0, None, arr), index=text.index, dtype=object), errors="coerce"
    )
    if not (fast.isna().to_numpy() & ~empty0).any():
        whole = fast.dropna()
        if (whole == np.floor(whole)).all() and text[~empty0].str.fullmatch(r"[+-]?\d+").all():
            return fast.astype("Int64"), np.zeros(len(text), dtype=bool)
    t = text.str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    grouped = t.str.fullmatch(r"[+-]?\d{1,3}([.,']\d{3})+")
    t = t.where(~grouped, t.str.replace(r"[.,']", "", regex=True))
    t = t.str.replace(r"^([+-]?\d+)[.,]0+$", r"\1", regex=True)
    ok = t.str.fullmatch(r"[+-]?\d+")
    empty = t == ""
    bad = (~ok & ~empty).to_numpy()
    values = pd.to_numeric(t.where(ok, None), errors="coerce").astype("Int64")
    return values, bad
