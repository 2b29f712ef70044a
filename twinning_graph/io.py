"""Reading, validating and normalising towns and partnerships.

Towns and partnerships come as CSV files (paths) or DataFrames. Every problem found
in an input is collected and raised as one :class:`~twinning_graph.ValidationError`
naming file, row and column; recoverable problems (duplicate links) are merged with a
:class:`~twinning_graph.DataWarning` giving counts.
"""

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
    parse_float,
    parse_int,
    read_raw,
    row_labels,
    source_label,
)
from twinning_graph._errors import ValidationError
from twinning_graph._validate import MAX_LISTED, Problem, Problems, warn
from twinning_graph.countries import country_table, normalise_country

__all__ = [
    "read_towns",
    "read_partnerships",
    "validate_files",
    "bundled_data_dir",
    "TOWN_COLUMNS",
    "EDGE_COLUMNS",
    "MEMBERSHIP_COLUMNS",
    "PAIR_COLUMNS",
    "empty_records",
    "read_aliases",
]

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


# --------------------------------------------------------------------------- countries


@functools.cache
def _country_bounds() -> pd.DataFrame:
    """Bounding boxes of European countries (from GeoNames places; see scripts/)."""
    path = resources.files("twinning_graph") / "data" / "country_bounds.csv"
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, index_col="country", keep_default_na=False, na_values=[""])


# --------------------------------------------------------------------------- helpers


def _column_map(columns: Iterable[str]) -> dict[str, str]:
    """Map lower-cased, stripped column names to the names as given."""
    out: dict[str, str] = {}
    for c in columns:
        out.setdefault(c.strip().lower(), c)
    return out


def _load_frame(
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


def _key_projects_by_file(parts: list[pd.DataFrame], problems: Problems) -> None:
    """Keep projects of different files apart when they share a partnership_id.

    Two membership files that both number their project ``1`` describe two projects: the
    shared ids are prefixed with the file's name (``calls2023:1``, ``calls2024:1``) with a
    warning. When two files have the same name (``a/members.csv`` and
    ``b/members.csv``) they cannot be told apart this way: refused.
    """
    if len(parts) < 2:
        return
    owners: dict[str, list[int]] = {}
    for i, part in enumerate(parts):
        for pid in part["partnership_id"].unique():
            owners.setdefault(str(pid), []).append(i)
    shared = {pid: files for pid, files in owners.items() if len(files) > 1}
    if not shared:
        return
    keys = [str(part.attrs.get("file_key", f"table{i}")) for i, part in enumerate(parts)]
    involved = sorted({i for files in shared.values() for i in files})
    clash = [i for i in involved if [keys[j] for j in involved].count(keys[i]) > 1]
    if clash:
        labels = ", ".join(str(parts[i].attrs.get("label")) for i in clash)
        pid = next(iter(shared))
        problems.add(
            str(parts[clash[0]].attrs.get("label")),
            None,
            "partnership_id",
            f"project id {pid!r} appears in several membership files with the same name "
            f"({labels}): a project is identified by its file and its id, and these files "
            "cannot be told apart; rename the files, or make the ids unique",
        )
        return
    for i in involved:
        part = parts[i]
        hit = part["partnership_id"].isin(list(shared)).to_numpy()
        part.loc[hit, "partnership_id"] = keys[i] + ":" + part.loc[hit, "partnership_id"]
    example = next(iter(shared))
    files = ", ".join(str(parts[i].attrs.get("label")) for i in shared[example])
    warn(
        f"{len(shared)} project id{'s' if len(shared) != 1 else ''} (e.g. {example!r}) "
        f"appear{'' if len(shared) != 1 else 's'} in more than one membership file ({files}): read as different projects, "
        f"named by file ({', '.join(repr(keys[i] + ':' + example) for i in shared[example])}); "
        "list all members of one project in one file",
        stacklevel=5,
    )


def _check_cells(
    frame: pd.DataFrame, label: str, problems: Problems, strict: Sequence[str]
) -> None:
    """Control characters (file:row:column) and over-long names or ids."""
    keys = tuple(c for c in strict if c in frame.columns)
    control_character_problems(frame, label, problems, strict=keys, length_limited=keys)


def _did_you_mean(value: str, choices: pd.Index, n: int = 2) -> list[str]:
    """Close matches of an unknown id: same id in another case first (``a1`` → ``A1``)."""
    folded = pd.Series(choices.astype(str), index=choices.astype(str).str.casefold())
    same = folded.get(value.casefold())
    if same is not None:
        return [same] if isinstance(same, str) else list(same)[:n]
    return difflib.get_close_matches(value, choices, n=n)


def _rename_known(frame: pd.DataFrame, known: Iterable[str]) -> pd.DataFrame:
    """Rename columns matching known names case-insensitively to their canonical spelling."""
    cmap = _column_map(frame.columns)
    ren = {cmap[k]: k for k in known if k in cmap and cmap[k] != k}
    return frame.rename(columns=ren) if ren else frame


def _header_row(frame: pd.DataFrame) -> int | None:
    """Line of a file's header (the first non-blank line); None for a DataFrame."""
    if "separator" not in frame.attrs:  # not read from a file
        return None
    return int(frame.attrs.get("header_line", 1))


def _check_required(
    frame: pd.DataFrame, required: Sequence[str], label: str, problems: Problems, what: str
) -> bool:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        problems.add(
            label,
            _header_row(frame),
            None,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"for a {what} file; found {list(frame.columns)}; required: {list(required)}",
        )
        return False
    return True


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


def _extra_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Values of an extra column: the caller's own for a DataFrame, typed text for a file."""
    original = frame.attrs.get("original")
    if original is not None and column in original.columns:
        return original[column].to_numpy()
    return _infer_extra(frame[column]).to_numpy()


def _decimal_comma(frame: pd.DataFrame, sep: str, cols: Sequence[str]) -> bool:
    """True when numeric columns use a decimal comma (``48,85``) — Excel in many EU locales."""
    if sep == ",":
        return False
    for c in cols:
        if c in frame.columns and frame[c].str.fullmatch(r"\s*-?\d+,\d+\s*").any():
            return True
    return False


# --------------------------------------------------------------------------- towns


def _validate_towns(
    frame: pd.DataFrame, label: str, from_file: bool, sep: str, problems: Problems
) -> pd.DataFrame | None:
    frame = _rename_known(frame, (*TOWN_REQUIRED, "population", "geonames_id"))
    if not _check_required(frame, TOWN_REQUIRED, label, problems, "towns"):
        return None
    n_before = len(problems)
    _check_cells(frame, label, problems, ("town_id", "name", "country"))
    if len(problems) > n_before:
        return None  # the values themselves would repeat these problems

    def rows(mask: np.ndarray) -> list[int | str]:
        return row_labels(frame, mask, from_file)

    ids = frame["town_id"].str.strip()
    empty_id = (ids == "").to_numpy()
    problems.add_rows(label, rows(empty_id), "town_id", "empty town_id")
    dup = ids.duplicated(keep=False).to_numpy() & ~empty_id
    if dup.any():
        for r, v in zip(rows(dup), ids[dup], strict=True):
            problems.add(label, r, "town_id", f"duplicate town_id {v!r}; town ids must be unique")
    name = frame["name"].str.strip()
    problems.add_rows(label, rows((name == "").to_numpy()), "name", "empty name")
    lost = name.str.contains(r"\w\?|\?\w").to_numpy(dtype=bool)
    if lost.any():
        warn(
            f"{label}: {int(lost.sum())} name{'s' if lost.sum() != 1 else ''} hold a '?' "
            f"inside a word (e.g. {name[lost].iloc[0]!r}): letters that the file's encoding "
            "could not hold were replaced when it was saved; save it as 'CSV UTF-8'",
            stacklevel=5,
        )

    countries = country_table()
    codes = normalise_country(frame["country"], errors="coerce")
    bad_c = ~codes.isin(countries.index).to_numpy()
    for r, v in zip(rows(bad_c), frame["country"][bad_c], strict=True):
        close = difflib.get_close_matches(str(v).upper(), list(countries.index), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        problems.add(
            label,
            r,
            "country",
            f"unknown country code {v!r}: expected an ISO 3166-1 alpha-2 code "
            f"such as DE, FR, PL (EL and UK are accepted){hint}",
        )

    dec = _decimal_comma(frame, sep, ("lat", "lon"))
    lat, bad_lat = parse_float(frame["lat"], decimal_comma=dec)
    lon, bad_lon = parse_float(frame["lon"], decimal_comma=dec)
    hint = (
        ""
        if sep == ","
        else " (decimal comma detected? use a dot, or save the file with a ';' separator)"
    )
    for col, vals, bad in (("lat", lat, bad_lat), ("lon", lon, bad_lon)):
        for r, v in zip(rows(bad), frame[col][bad], strict=True):
            problems.add(label, r, col, f"not a number: {v!r}{hint}")
        missing = vals.isna().to_numpy() & ~bad
        problems.add_rows(
            label, rows(missing), col, "empty coordinate; every town needs lat and lon"
        )
    la, lo = lat.to_numpy(), lon.to_numpy()
    lat_out = np.abs(la) > 90
    lon_out = np.abs(lo) > 180
    swapped = lat_out & (np.abs(lo) <= 90) & (np.abs(la) <= 180)
    for r, a, b in zip(rows(swapped), la[swapped], lo[swapped], strict=True):
        problems.add(
            label,
            r,
            "lat",
            f"latitude {a} out of range [-90, 90] but longitude {b} would fit: "
            "lat and lon look swapped",
        )
    for r, a in zip(rows(lat_out & ~swapped), la[lat_out & ~swapped], strict=True):
        problems.add(label, r, "lat", f"latitude {a} out of range [-90, 90]")
    for r, b in zip(rows(lon_out), lo[lon_out], strict=True):
        problems.add(label, r, "lon", f"longitude {b} out of range [-180, 180]")
    # a town of a European country whose lat/lon fall outside the country's bounding box
    # while the swapped pair falls inside it (overseas towns stay outside both: not flagged)
    bounds = _country_bounds().reindex(codes.to_numpy())
    m = 0.5  # degrees of margin around the box
    inside = (
        (la >= bounds["min_lat"].to_numpy() - m)
        & (la <= bounds["max_lat"].to_numpy() + m)
        & (lo >= bounds["min_lon"].to_numpy() - m)
        & (lo <= bounds["max_lon"].to_numpy() + m)
    )
    inside_sw = (
        (lo >= bounds["min_lat"].to_numpy() - m)
        & (lo <= bounds["max_lat"].to_numpy() + m)
        & (la >= bounds["min_lon"].to_numpy() - m)
        & (la <= bounds["max_lon"].to_numpy() + m)
    )
    eu_swapped = ~inside & inside_sw & ~lat_out & ~lon_out
    for r, a, b, c in zip(
        rows(eu_swapped), la[eu_swapped], lo[eu_swapped], codes[eu_swapped], strict=True
    ):
        problems.add(
            label,
            r,
            "lat",
            f"lat={a}, lon={b} is outside {c}, but lat={b}, lon={a} is inside: "
            "lat and lon look swapped",
        )

    pop = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if "population" in frame.columns:
        pop, bad_pop = parse_int(frame["population"])
        for r, v in zip(rows(bad_pop), frame["population"][bad_pop], strict=True):
            as_float = pd.to_numeric(v.strip().replace(",", "."), errors="coerce")
            too_big = bool(re.fullmatch(r"\s*\+?\d{19,}\s*", v)) or (
                bool(np.isfinite(as_float)) and abs(as_float) >= 1e18
            )
            problems.add(
                label,
                r,
                "population",
                f"population {v[:30]!r} is too large (more than 18 digits)"
                if too_big
                else f"not a whole number: {v!r}; use digits only, or leave empty if unknown",
            )
        neg = (pop < 0).fillna(False).to_numpy()
        for r, v in zip(rows(neg), pop[neg], strict=True):
            problems.add(label, r, "population", f"negative population {v}")
    gid = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if "geonames_id" in frame.columns:
        gid, bad_gid = parse_int(frame["geonames_id"])
        for r, v in zip(rows(bad_gid), frame["geonames_id"][bad_gid], strict=True):
            problems.add(label, r, "geonames_id", f"not an integer GeoNames id: {v!r}")

    if problems:
        return None
    out = pd.DataFrame(
        {
            "name": name.to_numpy(),
            "country": codes.to_numpy(),
            "lat": la,
            "lon": lo,
            "population": pop.to_numpy(),
            "geonames_id": gid.to_numpy(),
        },
        index=pd.Index(ids.to_numpy(), name="town_id", dtype=str),
    )
    out["population"] = out["population"].astype("Int64")
    out["geonames_id"] = out["geonames_id"].astype("Int64")
    out["eu"] = out["country"].isin(countries.index[countries["eu"].astype(bool)])
    extra = [c for c in frame.columns if c not in (*TOWN_REQUIRED, "population", "geonames_id")]
    for c in extra:
        if c == "eu":
            given = frame["eu"].str.strip().str.lower()
            truthy = given.isin(["true", "1", "yes", "y"]).to_numpy()
            differs = int((truthy != out["eu"].to_numpy()).sum())
            if differs:
                warn(
                    f"{label}: its 'eu' column differs from EU membership by country in "
                    f"{differs} row{'s' if differs != 1 else ''}; 'eu' is taken from the "
                    "country code",
                    stacklevel=5,
                )
            continue
        out[c] = _extra_values(frame, c)
    return out


def read_towns(source: Source) -> pd.DataFrame:
    """Read and validate a towns table.

    Parameters
    ----------
    source
        Path to a CSV file (``,`` ``;`` or tab separated; UTF-8, UTF-8 with BOM or
        cp1252) or a DataFrame with columns ``town_id``, ``name``, ``country``, ``lat``,
        ``lon`` and optionally ``population``, ``geonames_id`` and any extra columns.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``town_id``; columns ``name``, ``country`` (ISO alpha-2; ``EL`` and
        ``UK`` normalised to ``GR`` and ``GB``), ``lat``, ``lon``, ``population`` (Int64),
        ``geonames_id`` (Int64), ``eu`` (bool) followed by the extra columns as given.

    Raises
    ------
    ValidationError
        Listing every problem with file, row and column.

    Examples
    --------
    >>> import pandas as pd, twinning_graph as tg
    >>> towns = tg.read_towns(pd.DataFrame({"town_id": ["a"], "name": ["Łódź"],
    ...     "country": ["PL"], "lat": [51.77], "lon": [19.45]}))
    >>> towns.loc["a", "eu"]
    np.True_
    """
    problems = Problems()
    frame, label, from_file, sep = _load_frame(source, "<towns DataFrame>", problems)
    out = None
    if frame is not None:
        out = _validate_towns(frame, label, from_file, sep, problems)
    problems.raise_if_any(label)
    assert out is not None
    return out


# --------------------------------------------------------------------------- partnerships


def _parse_year(frame: pd.DataFrame, label: str, rows: Any, problems: Problems) -> pd.Series:
    if "since" not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    txt = frame["since"].str.strip()
    # accept a year, or an ISO date / "1995-05" whose first four digits are the year
    year_txt = txt.str.extract(r"^(\d{4})(?:[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?(?:\.0+)?$")[0]
    years = pd.to_numeric(year_txt, errors="coerce").astype("Int64")
    bad = ((txt != "") & years.isna()).to_numpy()
    for r, v in zip(rows(bad), frame["since"][bad], strict=True):
        problems.add(label, r, "since", f"not a year: {v!r}; expected e.g. 1995 or 1995-05-01")
    lo, hi = YEAR_RANGE
    out_range = ((years < lo) | (years > hi)).fillna(False).to_numpy()
    for r, v in zip(rows(out_range), years[out_range], strict=True):
        problems.add(label, r, "since", f"year {v} outside the plausible range {lo}-{hi}")
    return years


def _read_one_partnership_source(
    source: Source, index: int, town_ids: pd.Index | None, problems: Problems
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    frame, label, from_file, _ = _load_frame(source, f"<partnerships DataFrame {index}>", problems)
    if frame is None:
        return None, None
    frame = _rename_known(frame, (*EDGE_COLUMNS, *MEMBERSHIP_COLUMNS))
    cols = set(frame.columns)

    def rows(mask: np.ndarray) -> list[int | str]:
        return row_labels(frame, mask, from_file)

    default_source = Path(label).stem if from_file else "user"
    if {"town_a", "town_b"} <= cols:
        kind = "edges"
    elif {"partnership_id", "town_id"} <= cols:
        kind = "members"
    else:
        problems.add(
            label,
            _header_row(frame),
            None,
            f"cannot tell the format from the header {list(frame.columns)}: an edge list needs "
            "columns 'town_a' and 'town_b'; a project membership file needs 'partnership_id' "
            "and 'town_id' (one row per member town)",
        )
        return None, None

    n_before = len(problems)
    _check_cells(
        frame,
        label,
        problems,
        ("town_a", "town_b", "town_id", "partnership_id", "kind", "source"),
    )
    if len(problems) > n_before:
        return None, None
    since = _parse_year(frame, label, rows, problems)
    kind_col = (
        frame["kind"].str.strip().str.lower()
        if "kind" in cols
        else pd.Series("twinning" if kind == "edges" else "project", index=frame.index)
    )
    if "kind" in cols:
        problems.add_rows(label, rows((kind_col == "").to_numpy()), "kind", "empty kind")
    src = (
        frame["source"].str.strip()
        if "source" in cols
        else pd.Series(default_source, index=frame.index)
    )
    src = src.where(src != "", default_source)

    id_cols = ("town_a", "town_b") if kind == "edges" else ("town_id",)
    for c in id_cols:
        ids = frame[c].str.strip()
        empty = (ids == "").to_numpy()
        problems.add_rows(label, rows(empty), c, f"empty {c}")
        if town_ids is not None:
            unknown = ~ids.isin(town_ids).to_numpy() & ~empty
            for r, v in zip(rows(unknown), ids[unknown], strict=True):
                close = _did_you_mean(v, town_ids)
                hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
                problems.add(label, r, c, f"unknown town {v!r}: not in the towns table{hint}")

    if kind == "edges":
        a = frame["town_a"].str.strip()
        b = frame["town_b"].str.strip()
        selfl = ((a == b) & (a != "")).to_numpy()
        for r, v in zip(rows(selfl), a[selfl], strict=True):
            problems.add(label, r, "town_b", f"self-link: town_a and town_b are both {v!r}")
        pid = (
            frame["partnership_id"].str.strip()
            if "partnership_id" in cols
            else pd.Series("", index=frame.index)
        )
        out = pd.DataFrame(
            {
                "town_a": a,
                "town_b": b,
                "kind": kind_col,
                "since": since,
                "source": src,
                "partnership_id": pid.where(pid != "", None),
            }
        )
        extras = [c for c in frame.columns if c not in EDGE_COLUMNS]
    else:
        pid = frame["partnership_id"].str.strip()
        problems.add_rows(
            label, rows((pid == "").to_numpy()), "partnership_id", "empty partnership_id"
        )
        out = pd.DataFrame(
            {
                "partnership_id": pid,
                "town_id": frame["town_id"].str.strip(),
                "kind": kind_col,
                "since": since,
                "source": src,
            }
        )
        extras = [c for c in frame.columns if c not in MEMBERSHIP_COLUMNS]
    for c in extras:
        out[c] = _extra_values(frame, c)
    if len(problems) > n_before:
        return None, None
    out = out.reset_index(drop=True)
    out.attrs["label"] = label
    out.attrs["file_key"] = default_source if from_file else f"table{index}"
    return (out, None) if kind == "edges" else (None, out)


def merge_duplicate_edges(edges: pd.DataFrame) -> pd.DataFrame:
    """Orient pairs (town_a < town_b) and merge repeated statements of one partnership."""
    a, b = edges["town_a"].to_numpy(dtype=object), edges["town_b"].to_numpy(dtype=object)
    swap = a > b
    edges = edges.assign(town_a=np.where(swap, b, a), town_b=np.where(swap, a, b))
    key = edges["partnership_id"].fillna("\x00" + edges["kind"])
    dup = edges.assign(_k=key).duplicated(["town_a", "town_b", "_k"], keep="first")
    n = int(dup.sum())
    if n:
        first_since = (
            edges.assign(_k=key)
            .groupby(["town_a", "town_b", "_k"], sort=False)["since"]
            .transform("min")
        )
        edges = edges.assign(since=first_since)[~dup.to_numpy()].reset_index(drop=True)
        warn(
            f"{n} duplicate partnership row{'s' if n != 1 else ''} (same pair, same kind or "
            f"partnership_id, e.g. stated from both ends) merged into one; the earliest "
            f"'since' is kept"
        )
    return edges


def membership_conflicts(members: pd.DataFrame) -> list[str]:
    """Lines describing the columns whose values differ between repeated membership rows.

    A repeat is two rows with the same ``partnership_id`` and ``town_id``; the first row
    is the one kept, so every line says which value was kept (e.g. Berlin listed twice in
    one project, once as "Lead Partner" and once as "Partner").
    """
    key = ["partnership_id", "town_id"]
    dup = members.duplicated(key, keep=False) & members["partnership_id"].notna()
    if not dup.any():
        return []
    rows = members[dup.to_numpy()]
    lines = []
    for (pid, tid), group in rows.groupby(key, sort=True):  # loop over repeats only
        for col in group.columns.difference(key):
            values = group[col].dropna().astype(str).unique()
            if len(values) > 1:
                lines.append(
                    f"project {pid!r}, town {tid!r}: {col} given as "
                    + " / ".join(map(repr, values))
                    + f"; kept {values[0]!r}"
                )
    return lines


def _merge_duplicate_members(members: pd.DataFrame) -> pd.DataFrame:
    dup = members.duplicated(["partnership_id", "town_id"], keep="first")
    n = int(dup.sum())
    if n:
        conflicts = membership_conflicts(members)
        members = members[~dup.to_numpy()].reset_index(drop=True)
        listed = "".join(f"\n  {line}" for line in conflicts[:MAX_LISTED])
        more = (
            f"\n  ... and {len(conflicts) - MAX_LISTED} more" if len(conflicts) > MAX_LISTED else ""
        )
        warn(
            f"{n} duplicate membership row{'s' if n != 1 else ''} (same partnership_id and "
            "town_id) merged"
            + (f"; {len(conflicts)} with conflicting values:{listed}{more}" if conflicts else "")
        )
    size = members.groupby("partnership_id")["town_id"].transform("size")
    lone = members.loc[size.to_numpy() < 2, "partnership_id"].unique()
    if len(lone):
        warn(
            f"{len(lone)} project{'s' if len(lone) != 1 else ''} with a single member town "
            f"create no link (e.g. {', '.join(map(repr, lone[:3]))})"
        )
    return members


def read_partnerships(
    sources: Source | Sequence[Source], *, towns: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate one or several partnership inputs.

    Each input is either an edge list (columns ``town_a``, ``town_b`` and optionally
    ``kind``, ``since``, ``source``, ``partnership_id``) or a project membership table
    (``partnership_id``, ``town_id`` and optionally ``kind``, ``since``, ``source``; one
    row per member town), told apart by the header. Extra columns are kept.

    Parameters
    ----------
    sources
        A path or DataFrame, or a list of them.
    towns
        Validated towns (from :func:`read_towns`); when given, every town id is checked.

    Returns
    -------
    edges, memberships : pandas.DataFrame
        Edge-list records (pairs oriented so that ``town_a < town_b``; repeated statements
        merged with a warning) and membership records.

    Examples
    --------
    >>> import pandas as pd, twinning_graph as tg
    >>> members = pd.DataFrame({"partnership_id": ["NT-1"] * 3,
    ...                         "town_id": ["DE-berlin", "FR-paris", "PL-krakow"]})
    >>> edges, memberships = tg.read_partnerships(members, towns=tg.load().towns)
    >>> len(edges), memberships["kind"].unique().tolist()
    (0, ['project'])
    """
    sources = source_list(sources, "partnerships")
    problems = Problems()
    edge_parts, member_parts = [], []
    ids = towns.index if towns is not None else None
    for i, s in enumerate(sources):
        e, m = _read_one_partnership_source(s, i, ids, problems)
        if e is not None:
            edge_parts.append(e)
        if m is not None:
            member_parts.append(m)
    _key_projects_by_file(member_parts, problems)
    problems.raise_if_any()
    edges = pd.concat(edge_parts, ignore_index=True) if edge_parts else empty_records(EDGE_COLUMNS)
    members = (
        pd.concat(member_parts, ignore_index=True)
        if member_parts
        else empty_records(MEMBERSHIP_COLUMNS)
    )
    for df in (edges, members):
        df["since"] = df["since"].astype("Int64")
    if len(edges):
        edges = merge_duplicate_edges(edges)
    if len(members):
        members = _merge_duplicate_members(members)
    return edges, members


def empty_records(columns: Sequence[str]) -> pd.DataFrame:
    """An empty partnership-records table with the given columns (``since`` typed Int64)."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if "since" in out:
        out["since"] = out["since"].astype("Int64")
    return out


# --------------------------------------------------------------------------- aliases


def read_aliases(path: str | os.PathLike[str], *, towns: pd.DataFrame) -> pd.Series:
    """Former town ids and the town each now resolves to (``alias,town_id,reason`` CSV).

    A missing file gives an empty table. Every target must be a town of ``towns`` and no
    alias may itself be a current town id.
    """
    empty = pd.Series(pd.Index([], dtype=str), index=pd.Index([], dtype=str, name="alias"))
    if not Path(path).exists():
        return empty
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    label = str(path)
    problems = Problems()
    missing = [c for c in ("alias", "town_id") if c not in frame.columns]
    if missing:
        problems.add(label, 1, None, f"missing columns {missing}; expected alias,town_id,reason")
        problems.raise_if_any(label)
    bad_target = ~frame["town_id"].isin(towns.index)
    for r, v in zip(frame.index[bad_target] + 2, frame["town_id"][bad_target], strict=True):
        problems.add(label, int(r), "town_id", f"alias target {v!r} is not a town")
    shadow = frame["alias"].isin(towns.index)
    for r, v in zip(frame.index[shadow] + 2, frame["alias"][shadow], strict=True):
        problems.add(label, int(r), "alias", f"alias {v!r} is also a current town id")
    problems.raise_if_any(label)
    return pd.Series(
        frame["town_id"].to_numpy(dtype=str),
        index=pd.Index(frame["alias"].to_numpy(dtype=str), name="alias"),
        name="town_id",
    )


def validate_files(paths: Sequence[str | os.PathLike], *, towns: Source | None = None) -> list[Any]:
    """Validate files without loading them into a network; returns the list of problems.

    Each file is recognised by its header: a towns table (``town_id``, ``name``, ...),
    an edge list (``town_a``, ``town_b``) or a membership table (``partnership_id``,
    ``town_id``). Partnership files are checked against the towns files among
    ``paths``, else against ``towns``, else against the bundled towns.

    Examples
    --------
    >>> import tempfile, pathlib, twinning_graph as tg
    >>> with tempfile.TemporaryDirectory() as d:
    ...     bad = pathlib.Path(d, "links.csv")
    ...     _ = bad.write_text("town_a,town_b\\nDE-berlin,DE-berlin\\n")
    ...     problems = tg.validate_files([bad])
    >>> [(p.row, p.column, p.message) for p in problems]
    [(2, 'town_b', "self-link: town_a and town_b are both 'DE-berlin'")]
    """
    problems = Problems()
    town_paths, part_paths = [], []
    unreadable = False
    for p in source_list(list(paths), "paths"):
        if isinstance(p, pd.DataFrame):
            raise ValidationError("validate_files checks files: give paths, not DataFrames")
        columns = _header_columns(p)
        if columns is None:  # unreadable: read it to say why
            probe = Problems()
            read_raw(p, probe)
            problems.extend(probe)
            unreadable = True
            continue
        if {"town_a", "town_b"} <= columns or {"partnership_id", "town_id"} <= columns:
            part_paths.append(p)
        else:
            town_paths.append(p)
    town_tables = []
    for p in town_paths:
        try:
            town_tables.append(read_towns(p))
        except ValidationError as exc:
            problems.items.extend(exc.problems)
    if part_paths:
        ref: pd.DataFrame | None
        if town_tables and len(town_tables) == len(town_paths):
            ref = pd.concat(town_tables)
        elif town_paths or unreadable:
            # a towns file is broken or unreadable: check the partnerships on their own
            # rather than against towns they were not written for
            ref = None
        elif towns is not None:
            try:
                ref = read_towns(towns)
            except ValidationError as exc:
                problems.items.extend(exc.problems)
                ref = None
        else:
            ref = read_towns(bundled_data_dir() / "towns.csv")
        try:
            read_partnerships(part_paths, towns=ref)
        except ValidationError as exc:
            problems.items.extend(exc.problems)
    return problems.sorted()


def _header_columns(path: str | os.PathLike[str]) -> set[str] | None:
    """Lower-cased column names of a CSV file from its first line; None if unreadable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    if not head.strip() or b"\x00" in head or head.startswith((b"\x1f\x8b", b"PK\x03\x04")):
        return None
    text = head.decode("utf-8-sig", errors="replace")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    sep = max((",", ";", "\t", "|"), key=first.count)
    return {c.strip().strip("'").lower() for c in first.split(sep)}
