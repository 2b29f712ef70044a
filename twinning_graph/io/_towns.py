"""Reading and validating a towns table."""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from twinning_graph._csv import (
    parse_float,
    parse_int,
    row_labels,
)
from twinning_graph._errors import UnknownCountryError
from twinning_graph._validate import Problems, warn
from twinning_graph.countries import country_from_name, country_table, normalise_country
from twinning_graph.io._common import (
    TOWN_REQUIRED,
    Source,
    check_cells,
    check_required,
    country_bounds,
    decimal_comma,
    extra_values,
    load_frame,
    rename_known,
)


def _validate_towns(
    frame: pd.DataFrame, label: str, from_file: bool, sep: str, problems: Problems
) -> pd.DataFrame | None:
    frame = rename_known(frame, (*TOWN_REQUIRED, "population", "geonames_id"))
    if not check_required(frame, TOWN_REQUIRED, label, problems, "towns"):
        return None

    def rows(mask: np.ndarray) -> list[int | str]:
        return row_labels(frame, mask, from_file)

    # empty ids and names first: they are listed even when other cells stop the checks below
    ids = frame["town_id"].str.strip()
    empty_id = (ids == "").to_numpy()
    problems.add_rows(label, rows(empty_id), "town_id", "empty town_id")
    name = frame["name"].str.strip()
    problems.add_rows(label, rows((name == "").to_numpy()), "name", "empty name")
    n_before = len(problems)
    check_cells(frame, label, problems, ("town_id", "name", "country"))
    if len(problems) > n_before:
        return None  # the values themselves would repeat these problems
    dup = ids.duplicated(keep=False).to_numpy() & ~empty_id
    if dup.any():
        for r, v in zip(rows(dup), ids[dup], strict=True):
            problems.add(label, r, "town_id", f"duplicate town_id {v!r}; town ids must be unique")
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
        try:  # a country written out in words ("Poland", "Czech Republic")
            close = [str(country_from_name(str(v)))]
        except UnknownCountryError:
            close = difflib.get_close_matches(str(v).upper(), list(countries.index), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        problems.add(
            label,
            r,
            "country",
            f"unknown country code {v!r}: expected an ISO 3166-1 alpha-2 code "
            f"such as DE, FR, PL (EL and UK are accepted){hint}",
        )

    dec = decimal_comma(frame, sep, ("lat", "lon"))
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
            f"latitude {a} out of range [-90, 90]: a typo, or lat and lon swapped "
            f"(longitude {b} would fit as a latitude)",
        )
    for r, a in zip(rows(lat_out & ~swapped), la[lat_out & ~swapped], strict=True):
        problems.add(label, r, "lat", f"latitude {a} out of range [-90, 90]")
    for r, b in zip(rows(lon_out), lo[lon_out], strict=True):
        problems.add(label, r, "lon", f"longitude {b} out of range [-180, 180]")
    # a town of a European country whose lat/lon fall outside the country's bounding box
    # while the swapped pair falls inside it (overseas towns stay outside both: not flagged)
    bounds = country_bounds().reindex(codes.to_numpy())
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
        out[c] = extra_values(frame, c)
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
    frame, label, from_file, sep = load_frame(source, "<towns DataFrame>", problems)
    out = None
    if frame is not None:
        out = _validate_towns(frame, label, from_file, sep, problems)
    problems.raise_if_any(label)
    assert out is not None
    return out
