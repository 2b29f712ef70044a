"""Offline basemap of Europe: the shipped country borders and a numpy map projection.

The borders are Natural Earth 1:10m admin-0 countries (public domain, "Made with Natural Earth"),
clipped to :data:`BASEMAP_BOUNDS` (45°W–80°E, 24°N–84°N: Europe to the Urals and the
Caucasus, with North Africa, the Middle East and Central Asia around it) and simplified to
about 3.5 km without gaps between neighbours; they ship as
``twinning_graph/data/europe_countries.geojson`` (built by ``scripts/build_basemap.py``) and
are read once, with the :mod:`json` module.

The projection is a spherical Lambert azimuthal equal-area projection centred on 10°E, 52°N
(the centre used by ETRS89-LAEA, EPSG:3035, without its false easting/northing and on a sphere
of the mean Earth radius), written in numpy so no pyproj/cartopy is needed. Units: metres.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from twinning_graph._errors import UnknownCountryError, ValidationError
from twinning_graph._style import BORDER_COLOR, EU_FILL, NON_EU_FILL, SEA_COLOR

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.path import Path

__all__ = [
    "BASEMAP_BOUNDS",
    "EARTH_RADIUS_M",
    "EUROPE_BOUNDS",
    "LAT0",
    "LON0",
    "Country",
    "load_countries",
    "country_bounds",
    "great_circle_arcs",
    "new_axes",
    "plot_basemap",
    "project",
    "basemap_layer",
    "resolve_extent",
    "setup_map_axes",
    "unproject",
]

#: Mean Earth radius (IUGG), metres — the radius used for distances elsewhere in the package.
EARTH_RADIUS_M = 6_371_008.8
#: Projection centre (degrees), as in ETRS89-LAEA.
LON0 = 10.0
LAT0 = 52.0
#: The default map window, (west, east, south, north) in degrees.
EUROPE_BOUNDS = (-25.0, 45.0, 34.0, 72.0)

#: The lon/lat box the shipped borders cover, (west, east, south, north) in degrees.
BASEMAP_BOUNDS = (-45.0, 80.0, 24.0, 84.0)

_GEOJSON = "europe_countries.geojson"
_MARGIN = 0.05  # fraction of the span added around a zoomed extent
_MIN_MARGIN_M = 30_000.0


def project(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Project longitude/latitude (degrees) to map coordinates (metres).

    Spherical Lambert azimuthal equal-area projection centred on 10°E, 52°N (ETRS89-LAEA-like,
    without false easting/northing). Vectorised: ``lon`` and ``lat`` broadcast against each
    other; the antipode of the centre has no image and gives NaN.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees (WGS84).

    Returns
    -------
    x, y : numpy.ndarray
        Easting and northing in metres, float64, with the broadcast shape of the inputs.

    Examples
    --------
    >>> from twinning_graph.plot._basemap import project
    >>> x, y = project(10, 52)
    >>> float(x), float(y)
    (0.0, 0.0)
    >>> x, y = project([2.35, 13.40], [48.86, 52.52])  # Paris, Berlin
    >>> [round(float(v) / 1000) for v in x]
    [-559, 230]
    """
    lam = np.radians(np.asarray(lon, dtype=np.float64)) - np.radians(LON0)
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    sin_p0, cos_p0 = np.sin(np.radians(LAT0)), np.cos(np.radians(LAT0))
    sin_p, cos_p = np.sin(phi), np.cos(phi)
    cos_lam = np.cos(lam)
    denom = 1.0 + sin_p0 * sin_p + cos_p0 * cos_p * cos_lam
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.sqrt(2.0 / denom)
    k = np.where(denom > 1e-12, k, np.nan)
    x = EARTH_RADIUS_M * k * cos_p * np.sin(lam)
    y = EARTH_RADIUS_M * k * (cos_p0 * sin_p - sin_p0 * cos_p * cos_lam)
    return x + 0.0, y + 0.0  # + 0.0 turns -0.0 into 0.0


def unproject(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (degrees) of map coordinates (metres): the inverse of :func:`project`.

    Parameters
    ----------
    x, y : float or array_like
        Easting and northing in metres (broadcast against each other).

    Returns
    -------
    lon, lat : numpy.ndarray
        Degrees, float64; NaN beyond the projection's disc (radius 2R).

    Examples
    --------
    >>> from twinning_graph.plot._basemap import project, unproject
    >>> lon, lat = unproject(*project(2.35, 48.86))
    >>> round(float(lon), 6), round(float(lat), 6)
    (2.35, 48.86)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    rho = np.hypot(x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = 2.0 * np.arcsin(rho / (2.0 * EARTH_RADIUS_M))  # NaN beyond the disc
        sin_c, cos_c = np.sin(c), np.cos(c)
        sin_p0, cos_p0 = np.sin(np.radians(LAT0)), np.cos(np.radians(LAT0))
        safe = np.where(rho > 0, rho, 1.0)
        lat = np.arcsin(cos_c * sin_p0 + np.where(rho > 0, y * sin_c * cos_p0 / safe, 0.0))
        lon = np.radians(LON0) + np.arctan2(x * sin_c, rho * cos_p0 * cos_c - y * sin_p0 * sin_c)
    lon = (np.degrees(lon) + 180.0) % 360.0 - 180.0
    return lon + 0.0, np.degrees(lat) + 0.0


def great_circle_arcs(
    lon_a: Any, lat_a: Any, lon_b: Any, lat_b: Any, *, points: int = 16
) -> np.ndarray:
    """Sample great-circle arcs between point pairs, projected, all at once.

    Spherical linear interpolation (slerp) of ``n`` pairs at ``points`` fractions, in one
    ``(n, points, 3)`` numpy computation, then :func:`project`.

    Parameters
    ----------
    lon_a, lat_a, lon_b, lat_b : array_like
        Coordinates (degrees) of the two ends, each of length ``n``.
    points : int, default 16
        Number of points per arc (including both ends), at least 2.

    Returns
    -------
    numpy.ndarray
        ``(n, points, 2)`` array of projected x/y (metres): the segments of a LineCollection.

    Examples
    --------
    >>> from twinning_graph.plot._basemap import great_circle_arcs
    >>> great_circle_arcs([2.35], [48.86], [13.40], [52.52], points=5).shape
    (1, 5, 2)
    """
    if points < 2:
        raise ValidationError(f"points must be at least 2, got {points!r}")

    def unit(lon: Any, lat: Any) -> np.ndarray:
        lam = np.radians(np.asarray(lon, dtype=np.float64))
        phi = np.radians(np.asarray(lat, dtype=np.float64))
        return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], -1)

    a = unit(lon_a, lat_a).reshape(-1, 3)
    b = unit(lon_b, lat_b).reshape(-1, 3)
    omega = np.arccos(np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0))[:, None, None]
    t = np.linspace(0.0, 1.0, points)[None, :, None]
    sin_omega = np.sin(omega)
    near = sin_omega < 1e-9  # identical (or antipodal) ends: fall back to a straight chord
    safe = np.where(near, 1.0, sin_omega)
    wa = np.where(near, 1.0 - t, np.sin((1.0 - t) * omega) / safe)
    wb = np.where(near, t, np.sin(t * omega) / safe)
    p = wa * a[:, None, :] + wb * b[:, None, :]
    p /= np.linalg.norm(p, axis=-1, keepdims=True)
    lon = np.degrees(np.arctan2(p[..., 1], p[..., 0]))
    lat = np.degrees(np.arcsin(np.clip(p[..., 2], -1.0, 1.0)))
    x, y = project(lon, lat)
    return np.stack([x, y], axis=-1)


@dataclass(frozen=True)
class Country:
    """One basemap feature: a country or territory of the shipped borders file.

    Attributes
    ----------
    iso_a2 : str
        ISO 3166-1 alpha-2 code ('-99' for the sovereign base areas on Cyprus).
    name : str
        English short name.
    eu : bool
        Whether it is one of the 27 EU Member States.
    rings : tuple of numpy.ndarray
        Every polygon ring (exterior and holes) as ``(m, 2)`` lon/lat arrays.
    bounds : tuple of float
        Projected (xmin, xmax, ymin, ymax) in metres.
    """

    iso_a2: str
    name: str
    eu: bool
    rings: tuple[np.ndarray, ...]
    bounds: tuple[float, float, float, float]

    def path(self) -> Path:
        """The projected outline as one compound :class:`matplotlib.path.Path`."""
        return _country_path(self.iso_a2, self.name)


def _rings(geometry: dict[str, Any]) -> list[np.ndarray]:
    kind = geometry["type"]
    if kind == "Polygon":
        polygons = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:  # pragma: no cover - the shipped file has only (multi)polygons
        raise ValidationError(f"unsupported geometry type {kind!r} in {_GEOJSON}")
    return [np.asarray(ring, dtype=np.float64)[:, :2] for polygon in polygons for ring in polygon]


@functools.cache
def load_countries() -> tuple[Country, ...]:
    """The countries and territories of the shipped basemap, read once and cached.

    Returns
    -------
    tuple of Country
        In file order (66 features).

    Examples
    --------
    >>> from twinning_graph.plot._basemap import load_countries
    >>> france = next(c for c in load_countries() if c.iso_a2 == "FR")
    >>> france.name, france.eu
    ('France', True)
    """
    text = resources.files("twinning_graph").joinpath("data", _GEOJSON).read_text(encoding="utf-8")
    features = json.loads(text)["features"]
    out = []
    for feature in features:
        props = feature["properties"]
        rings = _rings(feature["geometry"])
        allpts = np.concatenate(rings)
        x, y = project(allpts[:, 0], allpts[:, 1])
        out.append(
            Country(
                iso_a2=str(props["iso_a2"]),
                name=str(props["name"]),
                eu=bool(props.get("eu27", False)),
                rings=tuple(rings),
                bounds=(float(x.min()), float(x.max()), float(y.min()), float(y.max())),
            )
        )
    return tuple(out)


@functools.cache
def _country_path(iso_a2: str, name: str) -> Path:
    from matplotlib.path import Path

    country = next(c for c in load_countries() if c.iso_a2 == iso_a2 and c.name == name)
    verts, codes = [], []
    for ring in country.rings:
        x, y = project(ring[:, 0], ring[:, 1])
        v = np.column_stack([x, y])
        if len(v) > 1 and np.array_equal(v[0], v[-1]):
            v = v[:-1]  # GeoJSON repeats the first vertex; CLOSEPOLY closes the ring instead
        c = np.full(len(v) + 1, Path.LINETO, dtype=Path.code_type)
        c[0], c[-1] = Path.MOVETO, Path.CLOSEPOLY
        verts.append(np.vstack([v, v[:1]]))
        codes.append(c)
    return Path(np.concatenate(verts), np.concatenate(codes))


def _check_countries(codes: Iterable[str]) -> list[str]:
    known = sorted({c.iso_a2 for c in load_countries()} - {"-99"})
    given = [codes] if isinstance(codes, str) else list(codes)
    wanted = [str(c).upper() for c in given]
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise UnknownCountryError(
            f"unknown country code(s) {unknown} for the basemap; allowed: {', '.join(known)}"
        )
    return wanted


def country_bounds(iso_a2: str) -> tuple[float, float, float, float]:
    """Projected bounds (xmin, xmax, ymin, ymax), metres, of a basemap country.

    Examples
    --------
    >>> from twinning_graph.plot._basemap import country_bounds
    >>> xmin, xmax, ymin, ymax = country_bounds("LU")
    >>> xmin < xmax and ymin < ymax
    True
    """
    (code,) = _check_countries([iso_a2])
    parts = [c.bounds for c in load_countries() if c.iso_a2 == code]
    b = np.array(parts)
    return float(b[:, 0].min()), float(b[:, 1].max()), float(b[:, 2].min()), float(b[:, 3].max())


def _lonlat_box(
    west: float, east: float, south: float, north: float
) -> tuple[float, float, float, float]:
    """Projected bounding rectangle of a lon/lat box (its edges are curves once projected)."""
    s = np.linspace(0.0, 1.0, 50)
    lon = np.concatenate(
        [west + (east - west) * s, np.full(50, east), east + (west - east) * s, np.full(50, west)]
    )
    lat = np.concatenate(
        [
            np.full(50, south),
            south + (north - south) * s,
            np.full(50, north),
            north + (south - north) * s,
        ]
    )
    x, y = project(lon, lat)
    return float(np.nanmin(x)), float(np.nanmax(x)), float(np.nanmin(y)), float(np.nanmax(y))


def _pad(xmin: float, xmax: float, ymin: float, ymax: float) -> tuple[float, float, float, float]:
    mx = max((xmax - xmin) * _MARGIN, _MIN_MARGIN_M)
    my = max((ymax - ymin) * _MARGIN, _MIN_MARGIN_M)
    return xmin - mx, xmax + mx, ymin - my, ymax + my


@functools.cache
def _europe_extent() -> tuple[float, float, float, float]:
    # The projected corners of the lon/lat box bulge outwards; keep the window inside the
    # data so the straight clip lines of the borders file stay (mostly) out of view.
    x_w, _ = project(-25.0, 60.0)
    x_e, _ = project(45.0, 52.0)
    _, y_s = project(10.0, 34.0)
    _, y_n = project(10.0, 71.5)
    return float(x_w), float(x_e), float(y_s), float(y_n)


def resolve_extent(extent: Any) -> tuple[float, float, float, float]:
    """Turn an ``extent`` argument into projected (xmin, xmax, ymin, ymax) metres.

    Parameters
    ----------
    extent : None, str, sequence of 4 numbers, DataFrame or (lon, lat) pair
        ``None`` or ``"europe"``: the whole map (about 25°W–45°E, 34°N–72°N).
        An ISO 3166-1 alpha-2 code (``"FR"``): that country, with a margin.
        ``(west, east, south, north)`` in degrees: that box.
        A DataFrame with ``lat`` and ``lon`` columns: the bounds of those points plus a margin.

    Returns
    -------
    tuple of float

    Examples
    --------
    >>> from twinning_graph.plot._basemap import resolve_extent
    >>> xmin, xmax, ymin, ymax = resolve_extent("FR")
    >>> xmin < 0 < xmax  # 0 is 10°E, just east of Nice
    True
    """
    if extent is None or (isinstance(extent, str) and extent.lower() == "europe"):
        return _europe_extent()
    if isinstance(extent, str):
        return _pad(*country_bounds(extent))
    if hasattr(extent, "columns"):
        missing = {"lat", "lon"} - set(extent.columns)
        if missing:
            raise ValidationError(
                f"extent DataFrame needs 'lat' and 'lon' columns; missing {sorted(missing)}"
            )
        lon = np.asarray(extent["lon"], dtype=np.float64)
        lat = np.asarray(extent["lat"], dtype=np.float64)
        return _points_extent(lon, lat)
    if isinstance(extent, Sequence | np.ndarray) and len(extent) == 4:
        try:
            west, east, south, north = (float(v) for v in extent)
        except (TypeError, ValueError):
            pass
        else:
            if not (west < east and south < north):
                raise ValidationError(
                    f"extent (west, east, south, north) must have west < east and south < north; "
                    f"got {tuple(extent)!r}"
                )
            return _lonlat_box(west, east, south, north)
    raise ValidationError(
        f"extent must be None, 'europe', an ISO country code, (west, east, south, north) in "
        f"degrees or a DataFrame with lat/lon columns; got {extent!r}"
    )


def _points_extent(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    x, y = project(lon, lat)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        raise ValidationError("cannot zoom to the given places: none has coordinates")
    xmin, xmax, ymin, ymax = x[ok].min(), x[ok].max(), y[ok].min(), y[ok].max()
    # a single town (or towns very close together) still gets a window of about 100 km
    half = 50_000.0
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    xmin, xmax = min(xmin, cx - half), max(xmax, cx + half)
    ymin, ymax = min(ymin, cy - half), max(ymax, cy + half)
    return _pad(float(xmin), float(xmax), float(ymin), float(ymax))


def new_axes(figsize: tuple[float, float] = (9.0, 8.0)) -> Axes:
    """A new figure and axes (the only place pyplot is imported)."""
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def setup_map_axes(ax: Axes, window: tuple[float, ...]) -> Axes:
    """Equal aspect, no ticks, the window as limits."""
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def basemap_layer(
    ax: Axes,
    *,
    countries: Iterable[str] | None = None,
    highlight_eu: bool = True,
    window: tuple[float, ...] | None = None,
) -> Axes:
    """The country polygons: one PatchCollection (``gid="basemap"``), and the sea colour.

    With ``window``, countries wholly outside it are left out (an SVG writes every polygon
    it is given, seen or not)."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    features = load_countries()
    if countries is not None:
        wanted = set(_check_countries(countries))
        features = tuple(c for c in features if c.iso_a2 in wanted)
    if window is not None:
        x0, x1, y0, y1 = window
        features = tuple(
            c
            for c in features
            if c.bounds[0] <= x1 and c.bounds[1] >= x0 and c.bounds[2] <= y1 and c.bounds[3] >= y0
        )
    patches = [PathPatch(c.path()) for c in features]
    face = [EU_FILL if (c.eu and highlight_eu) else NON_EU_FILL for c in features]
    coll = PatchCollection(
        patches,
        facecolors=face,
        edgecolors=BORDER_COLOR,
        linewidths=0.4,
        zorder=0,
        gid="basemap",
    )
    ax.add_collection(coll, autolim=False)
    ax.set_facecolor(SEA_COLOR)
    return ax


def plot_basemap(
    *,
    ax: Axes | None = None,
    countries: Iterable[str] | None = None,
    highlight_eu: bool = True,
    extent: Any = None,
) -> Axes:
    """Draw the shipped country borders of Europe.

    All country polygons are drawn as one :class:`~matplotlib.collections.PatchCollection`
    (``gid="basemap"``), projected with :func:`project`; EU Member States get their own fill
    colour. The axes get an equal aspect ratio, no ticks and the requested window.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    countries : iterable of str, optional
        ISO 3166-1 alpha-2 codes of the countries to draw; all when omitted.
    highlight_eu : bool, default True
        Shade EU Member States differently from other countries.
    extent : None, str, sequence or DataFrame, optional
        The window: see :func:`resolve_extent` (default: Europe; ``"FR"`` zooms to France).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    UnknownCountryError
        A code in ``countries`` or ``extent`` is not on the basemap.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from twinning_graph.plot import plot_basemap
    >>> ax = plot_basemap(extent="FR")
    >>> ax.collections[0].get_gid()
    'basemap'
    >>> plt.close(ax.figure)
    """
    window = resolve_extent(extent)
    if ax is None:
        ax = new_axes()
    basemap_layer(ax, countries=countries, highlight_eu=highlight_eu)
    return setup_map_axes(ax, window)
