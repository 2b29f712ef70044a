"""Countries whose links stay at home, towns without foreign partners, unpartnered places."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._geo import EARTH_RADIUS_KM, haversine_km, km_of_chord, unit_xyz
from twinning_graph._validate import check_int
from twinning_graph.gaps._pairs import country_codes
from twinning_graph.graph import accepts_graph
from twinning_graph.network import TwinningData
from twinning_graph.reach import country_link_counts

logger = logging.getLogger(__name__)

#: Inhabitants per km² giving a partnered town's urban radius in :func:`unpartnered_places`.
URBAN_DENSITY = 3000.0


def _town_link_frame(towns: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Both ends of every link: town_id, country, partner's country, foreign flag."""
    ca = edges["town_a"].map(towns["country"]).to_numpy(dtype=object)
    cb = edges["town_b"].map(towns["country"]).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "town_id": np.concatenate(
                [edges["town_a"].to_numpy(dtype=object), edges["town_b"].to_numpy(dtype=object)]
            ),
            "country": np.concatenate([ca, cb]),
            "partner_country": np.concatenate([cb, ca]),
        }
    ).assign(foreign=lambda f: f["country"] != f["partner_country"])


@accepts_graph
def low_reach_countries(
    data: TwinningData,
    *,
    threshold: float = 0.9,
    countries: Iterable[str] | None = None,
    min_towns: int = 5,
) -> pd.DataFrame:
    """Countries whose towns' links mostly stay at home.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    threshold
        Countries with ``transnational_share`` (share of their town links that cross a
        border) below this are returned; ``threshold=1.01`` returns every country.
    countries
        Restrict to these codes (default: every country with ≥ ``min_towns`` towns).
    min_towns
        Leave out countries with fewer towns in the data.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``country``, lowest ``transnational_share`` first. The columns of
        :func:`~twinning_graph.country_reach` with the same names and meaning (towns,
        twinned_towns, links, transnational_links, transnational_share,
        countries_reached), then domestic_only_towns (twinned towns whose partners are all
        domestic) and domestic_only_share (of twinned towns).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import gaps
    >>> table = gaps.low_reach_countries(tg.load(), threshold=1.01)
    >>> bool(table["transnational_share"].is_monotonic_increasing)
    True
    """
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not math.isfinite(threshold)
    ):
        raise ValidationError(f"threshold must be a number (share 0-1), got {threshold!r}")
    min_towns = check_int(min_towns, "min_towns", minimum=1)
    counts = country_link_counts(data)
    columns = [
        "towns",
        "twinned_towns",
        "links",
        "transnational_links",
        "transnational_share",
        "countries_reached",
    ]
    codes = counts.index if countries is None else pd.Index(country_codes(countries))
    out = counts[columns].reindex(sorted(codes))
    out.index.name = "country"
    for c in columns:
        if c != "transnational_share":
            out[c] = out[c].fillna(0).astype("int64")
    dom_only = domestic_only_towns(data)["country"].value_counts()
    out["domestic_only_towns"] = dom_only.reindex(out.index, fill_value=0).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["domestic_only_share"] = (
            out["domestic_only_towns"] / out["twinned_towns"].where(out["twinned_towns"] > 0)
        ).astype(float)
    out = out[(out["towns"] >= min_towns) & (out["transnational_share"] < threshold)]
    return out.sort_values(["transnational_share", "towns"], ascending=[True, False], kind="stable")


@accepts_graph
def domestic_only_towns(data: TwinningData) -> pd.DataFrame:
    """Towns with at least one partner, all of them in the same country.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``town_id``: name, country, population, partners; most partners first.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import gaps
    >>> dom = gaps.domestic_only_towns(tg.load())
    >>> dom.columns.tolist()
    ['name', 'country', 'population', 'partners']
    """
    towns, edges = data.towns, data.edges
    ends = _town_link_frame(towns, edges)
    g = ends.groupby("town_id")
    foreign = g["foreign"].any()
    partners = g.size()
    ids = foreign.index[~foreign.to_numpy()]
    out = towns.loc[ids, ["name", "country", "population"]].assign(
        partners=partners.reindex(ids).astype("int64").to_numpy()
    )
    out = out.reset_index().sort_values(["partners", "town_id"], ascending=[False, True])
    return out.set_index("town_id")


@accepts_graph
def unpartnered_places(
    data: TwinningData,
    *,
    min_population: int = 10000,
    countries: Iterable[str] | None = None,
    match_km: float = 10.0,
    include_districts: bool = False,
) -> pd.DataFrame:
    """Places of the shipped GeoNames gazetteer that have no partner town in the data.

    A gazetteer place counts as partnered when its ``geonames_id`` is that of a town with
    at least one partner, or — for linked towns whose ``geonames_id`` is unknown — when a
    linked town of the same country with the place's GeoNames primary name (case-folded) lies within
    ``match_km``. Everything else above ``min_population`` is returned.

    GeoNames lists city districts as places of their own (``Hamburg-Nord``, ``Paris 15``).
    A place is taken for a district or suburb of a partnered town, and left out unless
    ``include_districts``, when it lies within that town's *urban radius* — the radius
    of a disc holding the town's population at ``URBAN_DENSITY`` (3,000 inhabitants per
    km²; 13 km for 1.6 million, 3 km for 100,000) — and the town is more populous. This
    is a heuristic: small independent neighbours of big cities are dropped too.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    min_population
        Smallest population considered.
    countries
        ISO alpha-2 codes (default: every country of the gazetteer).
    match_km
        Distance for the name fallback above.
    include_districts
        Keep the places taken for districts of partnered towns (column
        ``inside_partnered`` says which).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``geonames_id``: name, country, admin1, lat, lon, population,
        nearest_partnered (``town_id`` of the nearest linked town) and
        nearest_partnered_km; most populous first.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import gaps
    >>> big = gaps.unpartnered_places(tg.load(), min_population=100_000, countries=["DE"])
    >>> bool((big["population"] >= 100_000).all())
    True
    """
    from twinning_graph._gazetteer import places

    min_population = check_int(min_population, "min_population", minimum=0)
    codes = None if countries is None else country_codes(countries)
    gaz = places(min_population=min_population, countries=codes)
    towns, edges = data.towns, data.edges
    linked_ids = pd.Index(pd.concat([edges["town_a"], edges["town_b"]]).unique())
    linked = towns.loc[towns.index.intersection(linked_ids)]
    if "geonames_id" in linked.columns:
        gid = pd.to_numeric(linked["geonames_id"], errors="coerce").astype("Int64")
    else:
        gid = pd.Series(pd.NA, index=linked.index, dtype="Int64")
    partnered = gaz.index.isin(gid.dropna().astype("int64"))
    # name fallback for linked towns without a GeoNames id
    no_id = linked[gid.isna().to_numpy()]
    if len(no_id) and len(gaz):
        left = gaz.reset_index()[["geonames_id", "name", "country", "lat", "lon"]]
        left = left.assign(key=left["name"].str.casefold())
        right = pd.DataFrame(
            {
                "key": no_id["name"].astype(str).str.casefold().to_numpy(),
                "country": no_id["country"].to_numpy(),
                "tlat": no_id["lat"].to_numpy(float),
                "tlon": no_id["lon"].to_numpy(float),
            }
        )
        j = left.merge(right, on=["key", "country"])
        close = haversine_km(j["lat"], j["lon"], j["tlat"], j["tlon"]) <= match_km
        partnered |= gaz.index.isin(j.loc[close, "geonames_id"])
    out = gaz.loc[~partnered, ["name", "country", "admin1", "lat", "lon", "population"]].copy()
    out["nearest_partnered"] = pd.Series(None, index=out.index, dtype=object)
    out["nearest_partnered_km"] = np.nan
    out["inside_partnered"] = False
    if len(linked) and len(out):
        from scipy.spatial import cKDTree

        tree = cKDTree(unit_xyz(linked["lat"], linked["lon"]))
        place_xyz = unit_xyz(out["lat"], out["lon"])
        chord, idx = tree.query(place_xyz)
        out["nearest_partnered"] = linked.index.to_numpy(dtype=object)[idx].astype(str)
        out["nearest_partnered_km"] = km_of_chord(chord)
        # a district or suburb: within the urban radius of a more populous partnered town
        tpop = pd.to_numeric(linked["population"], errors="coerce").fillna(0).to_numpy(float)
        radius = np.sqrt(tpop / (URBAN_DENSITY * np.pi))
        if radius.max() > 0:
            near = cKDTree(place_xyz).sparse_distance_matrix(
                tree, radius.max() / EARTH_RADIUS_KM, output_type="coo_matrix"
            )
            km = near.data * EARTH_RADIUS_KM  # chord ≈ arc at these distances
            inside = (km <= radius[near.col]) & (
                tpop[near.col] > out["population"].to_numpy(float)[near.row]
            )
            out["inside_partnered"] = np.isin(np.arange(len(out)), near.row[inside])
    if not include_districts:
        out = out[~out["inside_partnered"].to_numpy()].drop(columns="inside_partnered")
    return out.sort_values(["population", "name"], ascending=[False, True], kind="stable")
