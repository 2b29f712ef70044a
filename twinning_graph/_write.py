"""The one writer: every file the library writes goes through here.

- :func:`atomic_write` writes to a temporary file beside the target and moves it into
  place only when everything was written: a failing writer, a full disk or ``kill -9``
  leave the previous file as it was, never a truncated one.
- :func:`write_table` writes a table for spreadsheets or programs: ``csv`` (UTF-8, ``,``),
  ``csv-eu`` (the European Excel dialect: ``;``, decimal comma, UTF-8 with a byte-order
  mark) or ``xlsx`` (with the optional ``openpyxl``). Cells a spreadsheet would run as a
  formula are neutralised (:func:`neutralise_formulas`, header included), cells holding
  a line break are quoted, and numbers are rounded for display only in tables meant for
  people (``for_people=True``).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, TextIO

import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._validate import check_choice, warn

__all__ = [
    "TABLE_FORMATS",
    "atomic_write",
    "write_text",
    "write_bytes",
    "write_table",
    "neutralise_formulas",
    "unneutralise",
    "display_round",
    "table_suffix",
]

logger = logging.getLogger(__name__)

#: Table formats of :func:`write_table` (and of ``--format`` on the command line).
TABLE_FORMATS = ("csv", "csv-eu", "xlsx")

# A cell starting with one of these is run as a formula (or a DDE command) by Excel or
# LibreOffice: = + - @, tab and line breaks (OWASP "CSV injection"), and the full-width
# forms some input methods type. Leading apostrophes are counted in, so that a cell
# which already starts with "'=" gets one more and reading removes exactly one.
_RISKY = re.compile("^'*[=+\\-@\\t\\r\\n\uff1d\uff0b\uff0d\uff20]")
_NEUTRALISED = re.compile("^'+[=+\\-@\\t\\r\\n\uff1d\uff0b\uff0d\uff20]")
_NEUTRALISED_ANYWHERE = re.compile("^'+[=+\\-@\\t\\r\\n\uff1d\uff0b\uff0d\uff20]", re.MULTILINE)
# a plain number ("-12", "+3.5", "-1,5e3") is data, not a formula: left as it is
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")

# characters an .xlsx file cannot hold (XML 1.0), as openpyxl refuses them
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Longest text an Excel cell holds.
XLSX_CELL_LIMIT = 32_767
#: Most rows of an Excel sheet (header included).
XLSX_ROW_LIMIT = 1_048_576


# --------------------------------------------------------------------------- atomic files


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _as_write_error(exc: OSError, path: Path) -> OSError:
    """The same error, naming the user's path instead of the temporary file."""
    err = type(exc)(exc.errno, exc.strerror or str(exc), os.fspath(path))
    return err


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    *,
    binary: bool = False,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; move it onto ``path`` when the block succeeds.

    On any error (an exception in the block, a full disk, a failed flush) the temporary
    file is removed and ``path`` keeps its previous content; the error is re-raised, an
    :class:`OSError` naming ``path``. The folder of ``path`` must exist. A new file gets
    the usual permissions (``0o666`` less the umask); a replaced file keeps its own.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from twinning_graph._write import atomic_write
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "out.txt")
    ...     _ = p.write_text("old")
    ...     try:
    ...         with atomic_write(p) as fh:
    ...             _ = fh.write("half of the new")
    ...             raise RuntimeError("the writer failed")
    ...     except RuntimeError:
    ...         pass
    ...     p.read_text()
    'old'
    """
    target = Path(path)
    if target.is_symlink():  # write through the link, as open() would
        target = Path(os.path.realpath(target))
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name[:100]}.", suffix=".tmp", dir=target.parent or "."
        )
    except OSError as exc:
        raise _as_write_error(exc, target) from exc
    tmp = Path(tmp_name)
    try:
        try:
            if binary:
                fh: IO[Any] = os.fdopen(fd, "wb")
            else:
                fh = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        except BaseException:
            os.close(fd)
            raise
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename in (None, tmp_name):
            raise _as_write_error(exc, target) from exc
        raise


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`); returns the path."""
    with atomic_write(path, encoding=encoding, newline="") as fh:
        fh.write(text)
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`); returns the path."""
    with atomic_write(path, binary=True) as fh:
        fh.write(data)
    return Path(path)


# --------------------------------------------------------------------------- formulas


def _is_text(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def _neutralise_series(s: pd.Series) -> pd.Series:
    txt = s.astype(str)
    risky = txt.str.contains(_RISKY) & s.notna()
    if not risky.any():
        return s
    risky &= ~txt.str.fullmatch(_PLAIN_NUMBER)
    if not risky.any():
        return s
    return s.astype(object).where(~risky, "'" + txt)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` whose text cells and column names cannot run as formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a line break (or the
    full-width ``＝ ＋ － ＠``) gets a leading apostrophe (OWASP advice against CSV
    injection), so Excel and LibreOffice show it as text. So does a cell that already
    starts with apostrophes followed by one of those, so that reading the file back
    (:func:`unneutralise`) gives exactly the original text. Numbers, and text cells that
    are plain numbers (``-12``), are left as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> from twinning_graph._write import neutralise_formulas
    >>> f = pd.DataFrame({"name": ["=HYPERLINK(1)", "Paris", "-12"], "=cmd": [1, 2, 3]})
    >>> out = neutralise_formulas(f)
    >>> out["name"].tolist(), list(out.columns)
    (["'=HYPERLINK(1)", 'Paris', '-12'], ['name', "'=cmd"])
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if _is_text(s):
            new = _neutralise_series(s)
            if new is not s:
                out.isetitem(i, new)
    names = pd.Series([str(c) for c in out.columns], dtype=object)
    out.columns = pd.Index(_neutralise_series(names).tolist())
    return out


def unneutralise(values: pd.Series) -> pd.Series:
    """Undo :func:`neutralise_formulas` on text read from a file: drop one apostrophe.

    Only cells that start with apostrophes followed by a formula character change, so
    any text written by :func:`write_table` reads back as it was.

    Examples
    --------
    >>> import pandas as pd
    >>> from twinning_graph._write import unneutralise
    >>> unneutralise(pd.Series(["'=1+2", "''=x", "'quoted'", "Paris"])).tolist()
    ['=1+2', "'=x", "'quoted'", 'Paris']
    """
    # one regex search over the whole column first: most columns hold no such cell
    if not _NEUTRALISED_ANYWHERE.search("\n".join(map(str, values.tolist()))):
        return values
    hit = values.str.contains(_NEUTRALISED)
    if not hit.any():
        return values
    return values.where(~hit, values.str.slice(1))


# --------------------------------------------------------------------------- tables


def display_round(frame: pd.DataFrame) -> pd.DataFrame:
    """Round float columns for people: kilometres to 0.1, coordinates to 5 decimals
    (about 1 m), every other float (scores, shares) to 3 decimals.

    Examples
    --------
    >>> import pandas as pd
    >>> from twinning_graph._write import display_round
    >>> display_round(pd.DataFrame({"distance_km": [1234.5678], "score": [0.123456],
    ...                             "lat": [48.8566123456]})).iloc[0].tolist()
    [1234.6, 0.123, 48.85661]
    """
    out = frame.copy()
    for i, col in enumerate(out.columns):
        s = out.iloc[:, i]
        if pd.api.types.is_float_dtype(s):
            out.isetitem(i, s.round(_decimals(str(col))))
    return out


def _decimals(column: str) -> int:
    c = column.lower()
    if c.endswith("km"):
        return 1
    if c in ("lat", "lon", "latitude", "longitude"):
        return 5
    return 3


def table_suffix(fmt: str) -> str:
    """File suffix of a table format: ``.csv`` or ``.xlsx``."""
    return ".xlsx" if check_choice(fmt, "format", TABLE_FORMATS) == "xlsx" else ".csv"


def _csv_text(frame: pd.DataFrame, *, sep: str, decimal: str) -> str:
    text_cols = [frame.iloc[:, i] for i in range(frame.shape[1]) if _is_text(frame.iloc[:, i])]
    has_cr = any(s.astype(str).str.contains("\r", regex=False).any() for s in text_cols) or any(
        "\r" in str(c) for c in frame.columns
    )
    # Python's csv writer quotes a cell holding a character of the line terminator; a
    # lone carriage return is only quoted when it is part of it (RFC 4180 line ends)
    buf = io.StringIO()
    frame.to_csv(
        buf,
        index=False,
        sep=sep,
        decimal=decimal,
        lineterminator="\r\n" if has_cr else "\n",
        quoting=csv.QUOTE_MINIMAL,
    )
    return buf.getvalue()


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike[str] | TextIO,
    *,
    format: str | None = None,
    for_people: bool = False,
    spreadsheet_safe: bool = True,
    sheet_name: str = "table",
) -> Path | None:
    """Write one table as CSV, European CSV or Excel; the one table writer of the library.

    Parameters
    ----------
    frame
        The table; a named index is written as the first column.
    path
        File to write (atomically, see :func:`atomic_write`), or an open text stream
        (``sys.stdout``) for the CSV formats.
    format
        ``None`` (by the suffix of ``path``: ``.xlsx`` or else ``csv``),
        ``"csv"`` (UTF-8, ``,``, ``.`` decimals), ``"csv-eu"`` (``;``, decimal comma,
        UTF-8 with a byte-order mark, as Excel in most of Europe reads and writes it) or
        ``"xlsx"`` (needs ``pip install twinning-graph[xlsx]``).
    for_people
        Round numbers for reading (:func:`display_round`); in ``xlsx`` the full value is
        kept and only shown rounded. Leave off for tables that programs read back.
    spreadsheet_safe
        Neutralise formula-like text (:func:`neutralise_formulas`); ``xlsx`` stores every
        text as text, never as a formula.
    sheet_name
        Name of the sheet in ``xlsx``.

    Returns
    -------
    pathlib.Path or None
        The file written (None for a stream).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from twinning_graph._write import write_table
    >>> t = pd.DataFrame({"name": ["=cmd()", "Łódź"], "distance_km": [1.25, 3.0]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     raw = write_table(t, d + "/t.csv", format="csv-eu").read_bytes()
    >>> raw.decode("utf-8")
    "\\ufeffname;distance_km\\n'=cmd();1,25\\nŁódź;3,0\\n"
    """
    if format is None:
        is_file = isinstance(path, (str, os.PathLike))
        format = "xlsx" if is_file and str(path).lower().endswith(".xlsx") else "csv"
    fmt = check_choice(format, "format", TABLE_FORMATS)
    if isinstance(path, (str, os.PathLike)) and str(path).lower().endswith(".xlsx") != (
        fmt == "xlsx"
    ):
        raise ValidationError(
            f"format={fmt!r} does not match the file name {os.fspath(path)!r}: "
            f"use a {table_suffix(fmt)!r} file name"
        )
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"write_table needs a pandas DataFrame, got {type(frame).__name__}")
    if frame.columns.duplicated().any():
        dup = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ValidationError(f"table has duplicate column names {dup}: rename them first")
    out = frame.reset_index() if frame.index.name is not None else frame
    if fmt == "xlsx":
        if not isinstance(path, (str, os.PathLike)):
            raise ValidationError("format='xlsx' writes a file: give a path, not a stream")
        with atomic_write(path, binary=True) as fh:
            _write_xlsx(out, fh, for_people=for_people, sheet_name=sheet_name)
        return Path(path)
    if for_people:
        out = display_round(out)
    if spreadsheet_safe:
        out = neutralise_formulas(out)
    eu = fmt == "csv-eu"
    text = _csv_text(out, sep=";" if eu else ",", decimal="," if eu else ".")
    if not isinstance(path, (str, os.PathLike)):
        path.write(text)
        return None
    write_text(path, text, encoding="utf-8-sig" if eu else "utf-8")
    return Path(path)


# --------------------------------------------------------------------------- xlsx


def _xlsx_values(s: pd.Series) -> tuple[list[Any], int, int]:
    """Python values of one column for openpyxl; counts of cleaned and shortened cells."""
    if pd.api.types.is_bool_dtype(s):
        return [None if pd.isna(v) else bool(v) for v in s.astype(object)], 0, 0
    if pd.api.types.is_numeric_dtype(s):
        arr = s.astype("float64").to_numpy() if pd.api.types.is_float_dtype(s) else None
        if arr is not None:
            vals: list[Any] = [
                None if np.isnan(v) else (str(v) if np.isinf(v) else float(v)) for v in arr
            ]
            return vals, 0, 0
        return [None if pd.isna(v) else int(v) for v in s.astype(object)], 0, 0
    txt = s.astype(object).where(s.notna(), None)
    vals = [None if v is None else str(v) for v in txt]
    cleaned = shortened = 0
    for i, v in enumerate(vals):  # per cell: openpyxl takes one Python value per cell
        if v is None:
            continue
        if _XLSX_ILLEGAL.search(v):
            v = _XLSX_ILLEGAL.sub("\ufffd", v)
            cleaned += 1
        if len(v) > XLSX_CELL_LIMIT:
            v = v[: XLSX_CELL_LIMIT - 1] + "…"
            shortened += 1
        vals[i] = v
    return vals, cleaned, shortened


def _write_xlsx(frame: pd.DataFrame, fh: IO[bytes], *, for_people: bool, sheet_name: str) -> None:
    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
    except ImportError as exc:
        raise ValidationError(
            "format='xlsx' needs the optional package openpyxl: "
            "pip install 'twinning-graph[xlsx]' (or choose format='csv' or 'csv-eu')"
        ) from exc
    if len(frame) + 1 > XLSX_ROW_LIMIT:
        raise ValidationError(
            f"table has {len(frame):,} rows; an Excel sheet holds at most "
            f"{XLSX_ROW_LIMIT - 1:,}: use format='csv'"
        )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_XLSX_ILLEGAL.sub("", re.sub(r"[\[\]:*?/\\]", "_", sheet_name))[:31])
    columns: list[list[Any]] = []
    formats: list[str | None] = []
    cleaned = shortened = 0
    for i in range(frame.shape[1]):
        s = frame.iloc[:, i]
        vals, c, sh = _xlsx_values(s)
        columns.append(vals)
        cleaned += c
        shortened += sh
        fmt = None
        if for_people and pd.api.types.is_float_dtype(s):
            fmt = "0." + "0" * _decimals(str(frame.columns[i]))
        formats.append(fmt)
    bold = Font(bold=True)

    def text_cell(value: str) -> Any:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # text, never a formula, whatever it starts with
        return cell

    header = []
    for c in frame.columns:
        cell = text_cell(_XLSX_ILLEGAL.sub("\ufffd", str(c))[:XLSX_CELL_LIMIT])
        cell.font = bold
        header.append(cell)
    ws.append(header)
    # one Python object per cell is what openpyxl writes; the rows are built column-wise
    for row in zip(*columns, strict=True) if columns else ():
        cells = []
        for v, fmt in zip(row, formats, strict=True):
            if isinstance(v, str):
                cells.append(text_cell(v))
            elif fmt is not None and v is not None:
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = fmt
                cells.append(cell)
            else:
                cells.append(v)
        ws.append(cells)
    wb.save(fh)
    if cleaned:
        warn(
            f"{cleaned} cell{'s' if cleaned != 1 else ''} held control characters an Excel "
            "file cannot store; they are written as \ufffd"
        )
    if shortened:
        warn(
            f"{shortened} cell{'s' if shortened != 1 else ''} longer than Excel's "
            f"{XLSX_CELL_LIMIT:,} characters were cut; use format='csv' to keep them whole"
        )
