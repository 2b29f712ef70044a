"""``explore()``: the interactive map of a twinning network (see :mod:`twinning_graph.explore`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph import _style
from twinning_graph._errors import (
    UnknownCountryError,
    UnknownTownError,
    ValidationError,
    unknown_towns,
)
from twinning_graph._map_candidates import candidate_frame
from twinning_graph.explore._page import ExploreMap, render_page, resolve_tiles
from twinning_graph.explore._payload import build_payload, check_columns
from twinning_graph.graph import as_data
from twinning_graph.plot._basemap import EARTH_RADIUS_M, EUROPE_BOUNDS, LAT0, LON0, load_countries
from twinning_graph.plot._credits import map_credits

logger = logging.getLogger(__name__)

#: Columns of a ranking shown in a candidate's tooltip, when present.
CANDIDATE_EXTRAS = ("population", "partners", "distance_km", "score", "reason")

# The default window: the points that fix the static map's Europe extent (_basemap).
_EUROPE_POINTS = [[-25.0, 60.0], [45.0, 52.0], [10.0, 34.0], [10.0, 71.5]]


def _codes(value: str | Sequence[str]) -> list[str]:
    from twinning_graph.countries import normalise_country

    given = [value] if isinstance(value, str) else list(value)
    return [str(c) for c in normalise_country(given)]


def _box_points(west: float, east: float, south: float, north: float) -> list[list[float]]:
    lons = np.linspace(west, east, 5)
    lats = np.linspace(south, north, 5)
    return (
        [[float(x), south] for x in lons]
        + [[float(x), north] for x in lons]
        + [[west, float(y)] for y in lats]
        + [[east, float(y)] for y in lats]
    )


def _country_points(codes: list[str], towns: pd.DataFrame) -> list[list[float]]:
    points: list[list[float]] = []
    on_map = {c.iso_a2 for c in load_countries()}
    for code in codes:
        if code in on_map:
            ring = np.concatenate(
                [r for c in load_countries() if c.iso_a2 == code for r in c.rings]
            )
            (w, s), (e, n) = ring.min(axis=0), ring.max(axis=0)
            points += _box_points(float(w), float(e), float(s), float(n))
        else:
            mine = towns.loc[towns["country"] == code, ["lon", "lat"]].dropna()
            if not len(mine):
                raise UnknownCountryError(
                    f"extent={code!r}: no borders and no town of that country on the map; "
                    f"countries with borders: {', '.join(sorted(on_map - {'-99'}))}"
                )
            points += mine.to_numpy(np.float64).tolist()
    return points


def _fit_points(
    extent: Any,
    towns: pd.DataFrame,
    *,
    focus: list[str],
    highlight: str | None,
    partners: pd.Index,
    candidates: pd.DataFrame | None,
) -> list[list[float]]:
    """Lon/lat points the first view must show (the page fits its window to them)."""
    if extent is None:
        if highlight is not None:
            ids = pd.Index([highlight]).append(partners)
            pts = towns.loc[ids, ["lon", "lat"]].to_numpy(np.float64)
            if candidates is not None and len(candidates):
                pts = np.vstack([pts, candidates[["lon", "lat"]].to_numpy(np.float64)])
            w, e, s, n = EUROPE_BOUNDS
            inside = (pts[:, 0] >= w) & (pts[:, 0] <= e) & (pts[:, 1] >= s) & (pts[:, 1] <= n)
            # partners overseas would zoom the map out to the world: keep to Europe
            pts = pts[inside | (np.arange(len(pts)) == 0)]
            out = [[float(x), float(y)] for x, y in pts]
            if len(out) == 1:  # no partner in Europe: the town in its country
                code = str(towns.at[highlight, "country"])
                if code in {c.iso_a2 for c in load_countries()}:
                    out += _country_points([code], towns)
            return out
        if focus:
            return _country_points(focus, towns)
        return _EUROPE_POINTS
    if isinstance(extent, str):
        if extent.lower() == "europe":
            return _EUROPE_POINTS
        if extent.lower() in ("data", "towns"):
            lon, lat = towns["lon"].to_numpy(np.float64), towns["lat"].to_numpy(np.float64)
            w, e = np.nanpercentile(lon, [0.5, 99.5])
            s, n = np.nanpercentile(lat, [0.5, 99.5])
            return _box_points(float(w), float(e), float(s), float(n))
        return _country_points(_codes(extent), towns)
    if isinstance(extent, pd.DataFrame):
        missing = {"lat", "lon"} - set(extent.columns)
        if missing:
            raise ValidationError(
                f"extent DataFrame needs 'lat' and 'lon' columns; missing {sorted(missing)}"
            )
        pts = extent[["lon", "lat"]].apply(pd.to_numeric, errors="coerce").dropna()
        if not len(pts):
            raise ValidationError("extent DataFrame has no row with both lat and lon")
        return pts.to_numpy(np.float64).tolist()
    if isinstance(extent, Sequence | np.ndarray | pd.Index) and len(extent) > 0:
        values = list(extent)
        if all(isinstance(v, str) for v in values):
            missing_ids = [v for v in values if v not in towns.index]
            if missing_ids:
                raise unknown_towns(
                    missing_ids, towns.index, names=towns["name"], what="extent town_id"
                )
            return towns.loc[values, ["lon", "lat"]].to_numpy(np.float64).tolist()
        if len(values) == 4:
            try:
                w, e, s, n = (float(v) for v in values)
            except (TypeError, ValueError):
                pass
            else:
                if w < e and s < n:
                    return _box_points(w, e, s, n)
    raise ValidationError(
        "extent must be None, 'europe', 'data', an ISO country code, a list of town ids, "
        f"a DataFrame with lat/lon or (west, east, south, north) with west < east and "
        f"south < north; got {extent!r}"
    )


def explore(
    data: Any,
    *,
    highlight: str | None = None,
    candidates: Any = None,
    countries: str | Sequence[str] | None = None,
    kinds: str | Sequence[str] | None = None,
    year: int | None = None,
    touching: bool = False,
    show_countries: str | Sequence[str] | None = None,
    extent: Any = None,
    tiles: str | None = None,
    attribution: str | None = None,
    title: str | None = None,
    height: int = 600,
) -> ExploreMap:
    """An interactive map of the network, for Jupyter and the browser; works offline.

    Zoom with the wheel or the +/- buttons, pan by dragging; hovering a town shows its name,
    country, population and number of partners; clicking it lists its partners and
    highlights them (click a partner in the list to move on to it); the side panel filters
    the links by country and kind and finds towns by name. Country colours, the highlighted
    town (red star) and the candidates (diamonds in their country's colour) look as on the
    static maps (:mod:`twinning_graph._style`). The page is one HTML file with no external
    resource: the base layer is the shipped Natural Earth borders.

    Parameters
    ----------
    data : TwinningData or networkx.Graph
        The network (:func:`twinning_graph.load`, :func:`twinning_graph.synthetic_network`,
        or a town graph).
    highlight : str, optional
        A town_id: the map opens with this town selected (its partners listed and
        highlighted) and zoomed to it, its partners and the candidates.
    candidates : DataFrame or list of str, optional
        Proposed partners: a ranking from :func:`twinning_graph.rank_partners` (its lat/lon,
        name, country, score and reason are used), a DataFrame of town ids, or a list of
        town ids. Drawn as diamonds, joined to ``highlight`` by dashed lines and listed in
        the panel.
    countries, kinds, year, touching : optional
        Restrict the network before mapping, exactly as ``data.filter(countries=...,
        kinds=..., year=..., touching=...)`` does (:meth:`TwinningData.filter`):
        ``countries`` keeps the towns of those countries and the links among them, with
        ``touching=True`` every link with one end in them (partners abroad included).
    show_countries : str or list of str, optional
        Countries ticked in the page's country filter when it opens: their towns and every
        link touching them are shown (partners abroad included); the rest of the network
        stays in the page and comes back when the filter is changed.
    extent : optional
        The first view: None (automatic: the highlighted town and its partners, else the
        ``show_countries``, else Europe), ``"europe"``, ``"data"``, an ISO country code, a
        list of town ids, a DataFrame with lat/lon, or (west, east, south, north) degrees.
    tiles : str, optional
        Web map tiles under the network instead of the offline borders: ``"openstreetmap"``
        or an ``https://`` URL template with ``{z}``, ``{x}``, ``{y}``. **The page then loads
        images from that server** when opened (the only case it uses the network); the map
        switches to the Web Mercator projection of the tiles.
    attribution : str, optional
        Credit line of the tile provider (required for a URL template).
    title : str, optional
        Title shown in the panel (default: the data's name).
    height : int, default 600
        Height in pixels of the map in a notebook.

    Returns
    -------
    ExploreMap
        Displays itself in Jupyter; ``.save("map.html")`` writes the page; ``.html`` is the
        text.

    Raises
    ------
    UnknownTownError
        ``highlight`` or a candidate id is not a town of the (filtered) data.
    UnknownCountryError
        A country in ``countries``/``show_countries``/``extent`` is unknown or has no town.
    ValidationError
        Any other bad argument (the message says what is allowed).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> data = tg.load()
    >>> m = tg.explore(data, highlight="PL-cieszyn", candidates=["CZ-olomouc"])
    >>> m.n_towns == len(data.towns), m.n_links == len(data.edges)
    (True, True)
    >>> "<iframe" in m._repr_html_()
    True
    """
    data = as_data(data)
    if isinstance(height, bool) or not isinstance(height, int | np.integer) or height < 150:
        raise ValidationError(f"height must be an integer of at least 150 pixels, got {height!r}")
    tile_spec = resolve_tiles(tiles, attribution)
    if attribution is not None and tiles is None:
        raise ValidationError("attribution= is for tiles=; the offline map credits its sources")

    full = data
    if highlight is not None:
        highlight = full.resolve([highlight], what="highlight town_id")[0]
    if countries is not None or kinds is not None or year is not None:
        data = data.filter(countries=countries, kinds=kinds, year=year, touching=touching)
    towns, edges = data.towns, data.edges
    check_columns(towns, edges)
    if highlight is not None and highlight not in towns.index:
        if highlight in full.towns.index:
            raise UnknownTownError(
                f"highlight town {highlight!r} is not in the filtered network "
                f"(countries={countries!r}, kinds={kinds!r}, year={year!r})"
            )
        full.check_towns([highlight])

    focus: list[str] = []
    if show_countries is not None:
        focus = _codes(show_countries)
        absent = [c for c in focus if c not in set(towns["country"].dropna())]
        if absent:
            raise UnknownCountryError(
                f"show_countries: no town of {absent} on the map; countries on the map: "
                f"{', '.join(sorted(towns['country'].dropna().unique()))}"
            )

    cand = None
    extras: list[str] = []
    if candidates is not None:
        cand = candidate_frame(candidates, towns)
        if isinstance(candidates, pd.DataFrame):
            source = candidates.reset_index(drop=candidates.index.name != "town_id")
            extras = [c for c in CANDIDATE_EXTRAS if c in source.columns]
            for col in extras:
                cand[col] = source[col].to_numpy()

    partners = pd.Index([], dtype=object)
    if highlight is not None:
        mine = edges.loc[(edges["town_a"] == highlight) | (edges["town_b"] == highlight)]
        partners = pd.Index(mine["town_a"]).append(pd.Index(mine["town_b"])).unique()
        partners = partners[
            (partners != highlight) & partners.isin(towns.dropna(subset=["lat", "lon"]).index)
        ]
    fit = _fit_points(
        extent, towns, focus=focus, highlight=highlight, partners=partners, candidates=cand
    )

    payload = build_payload(towns, edges, candidates=cand, candidate_extras=extras)
    name = title if title is not None else f"Town twinning — {data.name}"
    config = {
        "title": str(name),
        "subtitle": f"{payload.n_towns:,} towns · {payload.n_links:,} links",
        "credits": map_credits(data, candidates=cand, basemap=tile_spec is None)
        + (f"; tiles: {tile_spec[1]}" if tile_spec else ""),
        "highlight": highlight,
        "showCountries": focus,
        "fit": fit,
        "europe": _EUROPE_POINTS,
        "tiles": {"url": tile_spec[0], "attribution": tile_spec[1]} if tile_spec else None,
        "projection": {"lon0": LON0, "lat0": LAT0, "radius": EARTH_RADIUS_M},
        "style": {
            "link": _style.LINK_COLOR,
            "other": _style.OTHER_COLOR,
            "euFill": _style.EU_FILL,
            "nonEuFill": _style.NON_EU_FILL,
            "border": _style.BORDER_COLOR,
            "sea": _style.SEA_COLOR,
            "highlight": {
                "color": _style.HIGHLIGHT.color,
                "edge": _style.HIGHLIGHT.edgecolor,
                "link": _style.HIGHLIGHT.link_color,
            },
            "candidate": {
                "edge": _style.CANDIDATE.edgecolor,
                "link": _style.CANDIDATE.link_color,
            },
        },
    }
    page = render_page(
        title=str(name),
        config=config,
        payload=payload.data,
        tile_origin=tile_spec[2] if tile_spec else None,
    )
    logger.info(
        "interactive map: %d towns, %d links, %.1f MB (payload %.1f MB before gzip)",
        payload.n_towns,
        payload.n_links,
        len(page) / 1e6,
        payload.raw_size / 1e6,
    )
    return ExploreMap(
        html=page, n_towns=payload.n_towns, n_links=payload.n_links, height=int(height)
    )
