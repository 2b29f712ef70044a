"""What reading towns and partnerships shares: columns, inputs, cell checks, typing."""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from twinning_graph._csv import (
    as_string_frame,
    control_character_problems,
    duplicate_column_problems,
    read_raw,
    source_label,
)
from twinning_graph._errors import ValidationError
from twinning_graph._validate import Problem, Problems

#: Columns a towns table must have.
TOWN_REQUIRED = ("town_id", "name", "country", "lat", "lon")


#: Columns of the normalised towns table (extra user columns follow them).
TOWN_COLUMNS = ("name", "country", "lat", "lon", "population", "geonames_id", "eu")


#: Columns an edge-list partnerships file must have / of the normalised table.
EDGE_REQUIRED = ("town_a", "town_b")


EDGE_COLUMNS = ("town_a", "town_b", "kind", "since", "source", "partnership_id")


#: Columns a membership partnerships file must have / of the normalised table.
MEMBERSHIP_REQUIRED = ("partnership_id", "town_id")


MEMBERSHIP_COLUMNS = ("partnership_id", "town_id", "kind", "since", "source")


#: Columns of :attr:`TwinningData.edges`.
PAIR_COLUMNS = ("town_a", "town_b", "kinds", "weight", "since", "distance_km")


#: Plausible range of a partnership's start year.
YEAR_RANGE = (800, 2100)


Source: TypeAlias = "str | os.PathLike[str] | pd.DataFrame"


def bundled_data_dir() -> Path:
    """Directory holding the bundled ``towns.csv`` and ``partnerships.csv``.

    The data ship inside the package (``twinning_graph/data/bundled``); in a source
    checkout the top-level ``data/`` holds the same files.
    """
    pkg = Path(str(resources.files("twinning_graph"))) / "data" / "bundled"
    if (pkg / "towns.csv").exists():
        return pkg
    repo = Path(__file__).resolve().parent.parent / "data"
    return repo


@functools.cache
def country_bounds() -> pd.DataFrame:
    """Bounding boxes of European countries (from GeoNames places; see scripts/)."""
    path = resources.files("twinning_graph") / "data" / "country_bounds.csv"
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, index_col="country", keep_default_na=False, na_values=[""])


def _column_map(columns: Iterable[str]) -> dict[str, str]:
    """Map lower-cased, stripped column names to the names as given."""
    out: dict[str, str] = {}
    for c in columns:
        out.setdefault(c.strip().lower(), c)
    return out


def load_frame(
    source: Source, default_label: str, problems: Problems
) -> tuple[pd.DataFrame | None, str, bool, str]:
    """Read one input as a string DataFrame. Returns (frame, label, from_file, separator)."""
    label = source_label(source, default_label)
    if isinstance(source, pd.DataFrame):
        if source.shape[1] == 0 or len(source) == 0:
            problems.add(label, None, None, "DataFrame is empty; expected columns and rows")
            return None, label, False, ","
        if not duplicate_column_problems([str(c) for c in source.columns], label, problems):
            return None, label, False, ","
        frame = as_string_frame(source)
        frame.attrs["original"] = source  # extra columns keep the caller's own dtypes
        return frame, label, False, ","
    if isinstance(source, (str, os.PathLike)):
        frame, sep = read_raw(source, problems)
        if frame is None:
            return None, label, True, sep
        if len(frame) == 0:
            problems.add(label, None, None, "file has a header but no data rows")
            return None, label, True, sep
        return frame, label, True, sep
    what = re.sub(
        r"<(\w+) DataFrame ?(\d*)>", lambda m: m[1] + (f"[{m[2]}]" if m[2] else ""), default_label
    )
    check_source(source, what)
    raise AssertionError("unreachable")  # pragma: no cover


def _type_problem(source: object) -> str:
    """What is wrong with an input that is neither a path nor a DataFrame."""
    shown = repr(source)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    hint = ""
    if isinstance(source, bytes):
        hint = " (bytes: decode them, or write them to a file and pass its path)"
    elif isinstance(source, dict):
        hint = " (a dict: make it a table with pandas.DataFrame(...))"
    return (
        "expected a path (str or pathlib.Path) or a pandas DataFrame, got "
        f"{type(source).__name__} {shown}{hint}"
    )


def source_list(sources: Any, what: str) -> list[Source]:
    """One input or a list of inputs as a list, checked before anything is read.

    Anything that is not a path or a DataFrame (``None``, bytes, a dict, a number) raises
    one :class:`ValidationError` naming every bad entry; its ``problems`` are filled, so a
    caller collecting problems (``load``) cannot lose them. Nothing is left out silently.
    """
    if isinstance(sources, (str, os.PathLike, pd.DataFrame)):
        return [sources]
    if not isinstance(sources, (list, tuple)):
        message = (
            "expected a path (str or pathlib.Path), a pandas DataFrame or a list of them, "
            f"got {_type_problem(sources).split(' got ', 1)[1]}"
        )
        raise ValidationError(f"{what}: {message}", [Problem(what, None, None, message)])
    bad = [
        Problem(f"{what}[{i}]", None, None, _type_problem(s))
        for i, s in enumerate(sources)
        if not isinstance(s, (str, os.PathLike, pd.DataFrame))
    ]
    if bad:
        n = len(bad)
        raise ValidationError(
            f"{n} of the {len(sources)} {what} input{'s are' if n != 1 else ' is'} neither a "
            "path nor a DataFrame (nothing was loaded, so no partnership is left out):\n  "
            + "\n  ".join(map(str, bad)),
            bad,
        )
    return list(sources)


def check_source(source: Any, what: str) -> None:
    """A :class:`ValidationError` (with its ``problems``) unless ``source`` is a path or a
    DataFrame: ``tg.load(towns=123)`` says so instead of failing later."""
    if not isinstance(source, (str, os.PathLike, pd.DataFrame)):
        message = _type_problem(source)
        raise ValidationError(f"{what}: {message}", [Problem(what, None, None, message)])


def check_cells(frame: pd.DataFrame, label: str, problems: Problems, strict: Sequence[str]) -> None:
    """Control characters (file:row:column) and over-long names or ids."""
    keys = tuple(c for c in strict if c in frame.columns)
    control_character_problems(frame, label, problems, strict=keys, length_limited=keys)


def did_you_mean(value: str, choices: pd.Index, n: int = 2) -> list[str]:
    """Close matches of an unknown id: same id in another case first (``a1`` → ``A1``)."""
    folded = pd.Series(choices.astype(str), index=choices.astype(str).str.casefold())
    same = folded.get(value.casefold())
    if same is not None:
        return [same] if isinstance(same, str) else list(same)[:n]
    return difflib.get_close_matches(value, choices, n=n)


def rename_known(frame: pd.DataFrame, known: Iterable[str]) -> pd.DataFrame:
    """Rename columns matching known names case-insensitively to their canonical spelling."""
    cmap = _column_map(frame.columns)
    ren = {cmap[k]: k for k in known if k in cmap and cmap[k] != k}
    return frame.rename(columns=ren) if ren else frame


def header_row(frame: pd.DataFrame) -> int | None:
    """Line of a file's header (the first non-blank line); None for a DataFrame."""
    if "separator" not in frame.attrs:  # not read from a file
        return None
    return int(frame.attrs.get("header_line", 1))


def check_required(
    frame: pd.DataFrame, required: Sequence[str], label: str, problems: Problems, what: str
) -> bool:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = [str(c) for c in frame.columns if c not in required]
        guesses = []
        for c in missing:  # the few missing names: a column that looks like each
            usual = [f for f in found if f.strip().casefold() in _USUAL_NAMES.get(c, ())]
            close = usual or difflib.get_close_matches(c, found, n=1, cutoff=0.6)
            if close:
                guesses.append(f"{close[0]!r} to {c!r}")
        hint = f"; rename {', '.join(guesses)}?" if guesses else ""
        problems.add(
            label,
            header_row(frame),
            None,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"for a {what} file; found {list(frame.columns)}; required: {list(required)}{hint}",
        )
        return False
    return True


#: Column names people use for the required columns (folded), for did-you-mean hints.
_USUAL_NAMES: dict[str, tuple[str, ...]] = {
    "town_id": ("id", "town id", "townid", "code", "key", "municipality_id"),
    "name": ("town", "city", "municipality", "place", "town_name", "commune", "gemeinde"),
    "country": ("country_code", "iso", "iso2", "nation", "land", "pays"),
    "lat": ("latitude", "y"),
    "lon": ("longitude", "lng", "long", "x"),
    "town_a": ("from", "source", "town1", "town_1"),
    "town_b": ("to", "target", "town2", "town_2"),
}


def _infer_extra(values: pd.Series) -> pd.Series:
    """Type an extra text column: whole numbers -> Int64, decimals -> float64, else as given.

    Values with leading zeros (postcodes, codes like ``007``) stay text so nothing is lost.
    """
    if values.dtype != object and not pd.api.types.is_string_dtype(values):
        return values
    t = values.astype(str)
    filled = (t != "") & values.notna()
    if not filled.any():
        return values
    sample = t[filled]
    if sample.str.fullmatch(r"[+-]?(0|[1-9]\d*)").all():
        return pd.to_numeric(t.where(filled, None)).astype("Int64")
    if sample.str.fullmatch(r"[+-]?(0|[1-9]\d*)\.\d*[1-9]|[+-]?(0|[1-9]\d*)").all():
        return pd.to_numeric(t.where(filled, None)).astype("float64")
    return values


def extra_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Values of an extra column: the caller's own for a DataFrame, typed text for a file."""
    original = frame.attrs.get("original")
    if original is not None and column in original.columns:
        return original[column].to_numpy()
    return _infer_extra(frame[column]).to_numpy()


def decimal_comma(frame: pd.DataFrame, sep: str, cols: Sequence[str]) -> bool:
    """True when numeric columns use a decimal comma (``48,85``) — Excel in many EU locales."""
    if sep == ",":
        return False
    for c in cols:
        if c in frame.columns and frame[c].str.fullmatch(r"\s*-?\d+,\d+\s*").any():
            return True
    return False


def empty_records(columns: Sequence[str]) -> pd.DataFrame:
    """An empty partnership-records table with the given columns (``since`` typed Int64)."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if "since" in out:
        out["since"] = out["since"].astype("Int64")
    return out
