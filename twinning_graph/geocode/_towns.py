"""Turning :func:`geocode` output into a towns table (:func:`to_towns`)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from twinning_graph._errors import DataWarning, ValidationError
from twinning_graph.geocode._geocode import OUTPUT_COLUMNS, RESOLVED_KINDS
from twinning_graph.geocode._normalise import country_codes, normalise_name


def _slug(names: pd.Series, fallback: pd.Series) -> pd.Series:
    """``"Ville de Lyon"`` → ``"lyon"``; non-Latin names use ``fallback`` (gazetteer name)."""
    slug = normalise_name(names).str.replace(" ", "-", regex=False)
    other = normalise_name(fallback).str.replace(" ", "-", regex=False)
    latin = slug.str.fullmatch(r"[a-z0-9\-]+").fillna(False)
    slug = slug.where(latin | (other.str.len() == 0), other)
    return slug.where(slug.str.len() > 0, "town")


def to_towns(geocoded: pd.DataFrame, *, id_column: str | None = None) -> pd.DataFrame:
    """Turn :func:`geocode` output into a towns table for ``tg.load(towns=...)``.

    Keeps the resolved rows (``exact``, ``alternate``, ``fuzzy``, ``online``) and warns with a
    count of the rows left out (ambiguous, not found, errors, no country).

    Parameters
    ----------
    geocoded : DataFrame
        Output of :func:`geocode` (with a ``name`` column, and ``country`` unless every row was
        matched offline, in which case the gazetteer's country is used).
    id_column : str, optional
        Column holding the town ids to use; by default ids are ``{CC}-{slug}`` of the name
        (``DE-koln``), with ``-2``, ``-3``, ... for repeats.

    Returns
    -------
    DataFrame
        Columns ``town_id, name, country, lat, lon, population, geonames_id`` plus the input's
        other columns except the geocoding diagnostics; RangeIndex.

    Examples
    --------
    >>> import pandas as pd
    >>> from twinning_graph.geocode import geocode, to_towns
    >>> towns = to_towns(geocode(pd.DataFrame({"name": ["Köln", "Ville de Lyon"],
    ...                                        "country": ["DE", "FR"]})))
    >>> towns[["town_id", "name", "country", "geonames_id"]]
       town_id           name country  geonames_id
    0  DE-koln           Köln      DE      2886242
    1  FR-lyon  Ville de Lyon      FR      2996944
    """
    from twinning_graph._gazetteer import places_table

    missing = [
        c for c in ("name", "match_kind", "lat", "lon", "geonames_id") if c not in geocoded.columns
    ]
    if id_column is not None and id_column not in geocoded.columns:
        missing.append(id_column)
    if missing:
        raise ValidationError(
            f"to_towns() needs the output of geocode(); missing column(s) {missing}; "
            f"columns present: {list(geocoded.columns)}"
        )
    gaz_country = (
        places_table()["country"]
        .reindex(geocoded["geonames_id"].fillna(-1).astype("int64").to_numpy())
        .to_numpy(dtype=object)
    )
    if "country" in geocoded.columns:
        given, _ = country_codes(pd.Series(geocoded["country"].to_numpy(dtype=object)))
        given_arr = given.to_numpy(dtype=object)
        country = np.where(pd.isna(gaz_country), given_arr, gaz_country)
    else:
        country = gaz_country
    country = pd.Series(country, dtype="str")
    resolved = (
        geocoded["match_kind"].isin(RESOLVED_KINDS).to_numpy()
        & geocoded["lat"].notna().to_numpy()
        & country.notna().to_numpy()
    )
    left_out = int((~resolved).sum())
    if left_out:
        kinds = geocoded.loc[~resolved, "match_kind"].value_counts()
        detail = ", ".join(f"{k} {v}" for k, v in kinds.items())
        warnings.warn(
            f"to_towns(): {left_out} of {len(geocoded)} rows left out (not resolved: {detail})",
            DataWarning,
            stacklevel=2,
        )
    keep = geocoded.loc[resolved]
    cc = country[resolved].to_numpy(dtype=object)
    name = keep["name"].astype("str")
    if id_column is not None:
        ids = keep[id_column].astype("str").to_numpy(dtype=object)
    else:
        matched = (
            keep["matched_name"]
            if "matched_name" in keep.columns
            else pd.Series("", index=keep.index)
        )
        base = (
            pd.Series(cc, dtype="str")
            + "-"
            + _slug(
                pd.Series(name.to_numpy(dtype=object), dtype="str"),
                pd.Series(matched.to_numpy(dtype=object), dtype="str").fillna(""),
            )
        )
        n = base.groupby(base).cumcount()
        ids = np.where(n == 0, base, base + "-" + (n + 1).astype("str"))
    towns = pd.DataFrame(
        {
            "town_id": pd.array(ids, dtype="str"),
            "name": pd.array(name.to_numpy(dtype=object), dtype="str"),
            "country": pd.array(cc, dtype="str"),
            "lat": keep["lat"].to_numpy(dtype=np.float64),
            "lon": keep["lon"].to_numpy(dtype=np.float64),
            "population": keep["population"].astype("Int64").to_numpy()
            if "population" in keep.columns
            else pd.array([pd.NA] * len(keep), dtype="Int64"),
            "geonames_id": keep["geonames_id"].astype("Int64").to_numpy(),
        }
    )
    drop = {*OUTPUT_COLUMNS, "name", "country", "town_id"}
    if id_column is not None:
        drop.add(id_column)
    for col in keep.columns:
        if col not in drop:
            towns[col] = keep[col].to_numpy()
    return towns
