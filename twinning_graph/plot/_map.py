"""The town map: :func:`plot_map` and its helpers (see :mod:`twinning_graph.plot`)."""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba, to_rgba_array
from matplotlib.lines import Line2D

from twinning_graph import _basemap
from twinning_graph._basemap import great_circle_arcs, plot_basemap, project
from twinning_graph._errors import (
    DataWarning,
    ValidationError,
)
from twinning_graph._geo import haversine_km
from twinning_graph._text import plot_text
from twinning_graph.graph import as_data
from twinning_graph.plot._common import (
    _ARC_POINTS,
    _CANDIDATE_COLOR,
    _HIGHLIGHT_COLOR,
    _LINK_COLOR,
    _OTHER_COLOR,
    _PALETTE,
    _TOP_CATEGORIES,
    _TOWN_COLOR,
    CREDITS,
    _check_choice,
    _degree,
    _unknown_town,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# the logger of the former single-file module, so log records keep their name
logger = logging.getLogger("twinning_graph.plot")

COLOR_BY = ("country", "community", "reach", None)
SIZE_BY = ("partners", "population", None)


def _marker_sizes(
    value: np.ndarray, *, smallest: float = 4.0, largest: float = 160.0
) -> np.ndarray:
    """Marker areas (points²) growing with the square root of ``value`` (NaN → smallest)."""
    v = np.nan_to_num(np.asarray(value, dtype=np.float64), nan=0.0).clip(min=0.0)
    vmax = v.max() if len(v) else 0.0
    if vmax <= 0:
        return np.full(len(v), smallest * 2)
    return smallest + (largest - smallest) * np.sqrt(v / vmax)


def _category_colors(
    labels: pd.Series, *, in_view: np.ndarray | None = None, other: str = "other"
) -> tuple[np.ndarray, list[tuple[str, Any]]]:
    """RGBA colours for a categorical Series: the 10 largest categories coloured, the rest grey.

    Categories are ranked by their number of towns in view (``in_view`` mask; all when omitted),
    then by label, so the same data and window always get the same colours.
    """
    text = labels.astype("string")
    ranked = text[in_view] if in_view is not None else text
    counts = ranked.dropna().value_counts()
    order = sorted(counts.index, key=lambda c: (-counts[c], c))
    top = order[:_TOP_CATEGORIES]
    palette = np.vstack([to_rgba_array(list(_PALETTE[: len(top)])), to_rgba(_OTHER_COLOR)])
    position = pd.Index(top).get_indexer(text.fillna("").to_numpy())  # -1: not in the top
    colors = palette[np.where(position >= 0, position, len(top))]
    entries: list[tuple[str, Any]] = [
        (f"{plot_text(c)} ({counts[c]})", _PALETTE[i]) for i, c in enumerate(top)
    ]
    rest = len(set(text.dropna()) - set(top))
    if rest > 0 or text.isna().any():
        entries.append((f"{rest} {other}" if rest else other, _OTHER_COLOR))
    return colors, entries


def _candidate_frame(candidates: Any, towns: pd.DataFrame) -> pd.DataFrame:
    """Candidates as a frame with lon, lat and label columns."""
    if isinstance(candidates, pd.DataFrame):
        frame = candidates
        if {"lat", "lon"} <= set(frame.columns):
            label = (
                frame["name"]
                if "name" in frame.columns
                else (frame["town_id"] if "town_id" in frame.columns else frame.index.to_series())
            )
            return pd.DataFrame(
                {
                    "lon": pd.to_numeric(frame["lon"], errors="coerce").to_numpy(np.float64),
                    "lat": pd.to_numeric(frame["lat"], errors="coerce").to_numpy(np.float64),
                    "label": label.astype(str).to_numpy(),
                }
            )
        if "town_id" in frame.columns:
            ids = frame["town_id"].astype(str).tolist()
        elif frame.index.name == "town_id":
            ids = frame.index.astype(str).tolist()
        else:
            raise ValidationError(
                "candidates DataFrame needs a 'town_id' column (or index) or 'lat' and 'lon' "
                f"columns; got columns {list(frame.columns)}"
            )
    elif isinstance(candidates, str):
        ids = [candidates]
    else:
        ids = [str(c) for c in candidates]
    for tid in ids:
        if tid not in towns.index:
            raise _unknown_town(tid, towns.index, "candidate town_id")
    rows = towns.loc[ids]
    label = rows["name"] if "name" in rows.columns else pd.Series(ids, index=rows.index)
    return pd.DataFrame(
        {
            "lon": rows["lon"].to_numpy(np.float64),
            "lat": rows["lat"].to_numpy(np.float64),
            "label": label.astype(str).to_numpy(),
        }
    )


def _map_extent(extent: Any, towns: pd.DataFrame, drawn: np.ndarray) -> tuple[float, ...]:
    if isinstance(extent, str) and extent.lower() in ("data", "towns"):
        return _basemap.resolve_extent(towns.loc[drawn, ["lat", "lon"]])
    if (
        not isinstance(extent, str)
        and isinstance(extent, Sequence | pd.Index | np.ndarray)
        and len(extent) > 0
        and all(isinstance(v, str) for v in extent)
    ):
        for tid in extent:
            if tid not in towns.index:
                raise _unknown_town(tid, towns.index)
        return _basemap.resolve_extent(towns.loc[list(extent), ["lat", "lon"]])
    return _basemap.resolve_extent(extent)


#: Points per arc by great-circle length: a 500 km arc is straight to well under a pixel on a
#: map of Europe, so short links are drawn as chords (rendering time grows with the points).
_ARC_STEPS = ((500.0, 2), (1500.0, 6), (np.inf, _ARC_POINTS))


def _arcs(towns: pd.DataFrame, edges: pd.DataFrame) -> list[np.ndarray]:
    """Projected great-circle arcs of all edges, in edge order (vectorised per length class)."""
    a = towns.loc[edges["town_a"], ["lon", "lat"]].to_numpy(np.float64)
    b = towns.loc[edges["town_b"], ["lon", "lat"]].to_numpy(np.float64)
    km = haversine_km(a[:, 1], a[:, 0], b[:, 1], b[:, 0])
    out: list[np.ndarray] = [np.empty((0, 2))] * len(edges)
    lower = -np.inf
    for upper, points in _ARC_STEPS:  # three length classes, each one array computation
        idx = np.flatnonzero((km >= lower) & (km < upper))
        lower = upper
        if len(idx):
            arcs = great_circle_arcs(a[idx, 0], a[idx, 1], b[idx, 0], b[idx, 1], points=points)
            for i, arc in zip(idx.tolist(), arcs, strict=True):  # list of views, no copies
                out[i] = arc
    return out


# --------------------------------------------------------------------------------------------
# map
# --------------------------------------------------------------------------------------------
def plot_map(
    data: Any,
    *,
    ax: Axes | None = None,
    color_by: str | None = "country",
    size_by: str | None = "partners",
    communities: pd.Series | None = None,
    values: pd.Series | None = None,
    kinds: str | Iterable[str] | None = None,
    year: int | None = None,
    countries: str | Iterable[str] | None = None,
    touching: bool = False,
    highlight: str | None = None,
    candidates: Any = None,
    extent: Any = None,
    arcs: bool = True,
    max_links: int | None = None,
    legend: bool = True,
    credits: bool = True,
    basemap: bool = True,
    scatter_kws: Mapping[str, Any] | None = None,
    line_kws: Mapping[str, Any] | None = None,
) -> Axes:
    """Map towns and their partnership links on the offline basemap of Europe.

    Towns are one scatter (``gid="towns"``) sized by their number of partners and coloured by
    country, community or a measure; links are great-circle arcs drawn as one
    :class:`~matplotlib.collections.LineCollection` (``gid="links"``), which stays fast with tens
    of thousands of links. Arcs leaving the window (partners overseas) are clipped by it.

    Parameters
    ----------
    data : TwinningData or networkx.Graph
        The network: a loaded :class:`~twinning_graph.TwinningData` or a town graph.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    color_by : {"country", "community", "reach", None}, default "country"
        "country": the 10 countries with most towns on the map get a colour, the rest grey.
        "community": colour by ``communities`` (10 largest communities coloured). "reach":
        a continuous colour scale of ``values`` with a colorbar. None: one colour.
    size_by : {"partners", "population", None}, default "partners"
        Marker area grows with the square root of the number of partners (among the links
        drawn) or of the population; None gives equal markers.
    communities : pandas.Series, optional
        town_id → community label, for ``color_by="community"``. When omitted, the function
        ``twinning_graph.clusters.communities(data)`` is used if it exists.
    values : pandas.Series, optional
        town_id → number (e.g. a reach measure), for ``color_by="reach"``.
    kinds, year, countries, touching : optional
        Filters, applied by :meth:`TwinningData.filter` with the same meaning everywhere:
        partnerships of these kinds; partnerships with ``since <= year`` (undated ones are
        left out, with a warning); towns of these countries and the links among them, or with
        ``touching=True`` every link with at least one end in them (a country's links abroad).
    highlight : str, optional
        A town_id drawn as a star (``gid="highlight"``), with its links emphasised.
    candidates : DataFrame or list of str, optional
        Candidate partners: a ranking with a ``town_id`` column (or index), a list of town ids,
        or a DataFrame with ``lat``/``lon`` columns (places that need not be in ``data``).
        Drawn as diamonds (``gid="candidates"``), joined to ``highlight`` by dashed arcs.
    extent : optional
        Map window: None (Europe), an ISO country code (``"FR"``), ``"data"`` (the towns drawn),
        a list of town ids, a DataFrame with lat/lon, or (west, east, south, north) degrees.
    arcs : bool, default True
        Draw the links.
    max_links : int, optional
        Draw at most this many links: those with the largest weight, first in the data first.
    legend, credits, basemap : bool, default True
        Draw the legend, the attribution text (``gid="credits"``) and the country borders.
    scatter_kws, line_kws : mapping, optional
        Extra keyword arguments for the town scatter and the links LineCollection (copied,
        never modified).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValidationError
        A bad ``color_by``/``size_by``/``kinds``/``extent``, or missing ``values``.
    UnknownTownError
        ``highlight`` or a candidate is not a town of ``data`` (close matches are suggested).
    UnknownCountryError
        A country in ``countries`` has no town in ``data``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import twinning_graph as tg
    >>> from twinning_graph.plot import plot_map
    >>> data = tg.load()
    >>> ax = plot_map(data, countries="LU", extent="LU")
    >>> [c.get_gid() for c in ax.collections][:3]
    ['basemap', 'links', 'towns']
    >>> plt.close(ax.figure)
    """
    _check_choice("color_by", color_by, COLOR_BY)
    _check_choice("size_by", size_by, SIZE_BY)
    if max_links is not None and (not isinstance(max_links, int | np.integer) or max_links < 0):
        raise ValidationError(f"max_links must be a non-negative integer, got {max_links!r}")
    full = as_data(data)
    filtered = kinds is not None or year is not None or countries is not None
    shown = (
        full.filter(kinds=kinds, year=year, countries=countries, touching=touching)
        if filtered
        else full
    )
    towns, kept = full.towns, shown.edges
    if highlight is not None and highlight not in towns.index:
        raise _unknown_town(highlight, towns.index, "highlight town_id")
    if color_by == "reach" and values is None:
        raise ValidationError(
            "color_by='reach' needs values= (a Series town_id -> number, e.g. from "
            "twinning_graph.reach)"
        )
    cand = _candidate_frame(candidates, towns) if candidates is not None else None

    # towns and links need coordinates to be drawn
    located = towns["lat"].notna().to_numpy() & towns["lon"].notna().to_numpy()
    if not located.all():
        ok_ids = towns.index[located]
        ok = (kept["town_a"].isin(ok_ids) & kept["town_b"].isin(ok_ids)).to_numpy()
        if (~ok).any():
            warnings.warn(
                f"{int((~ok).sum())} link(s) not drawn: a town has no coordinates",
                DataWarning,
                stacklevel=2,
            )
            kept = kept.loc[ok]
    if max_links is not None and len(kept) > max_links:
        weight = kept["weight"].to_numpy() if "weight" in kept.columns else np.ones(len(kept))
        order = np.sort(np.argsort(-weight, kind="stable")[:max_links])
        logger.info("drawing %d of %d links (max_links)", max_links, len(kept))
        kept = kept.iloc[order]

    # which towns to draw: all, or (with filters) the ends of the kept links and the towns of
    # the selected countries
    if filtered:
        pos = np.concatenate(
            [towns.index.get_indexer(kept["town_a"]), towns.index.get_indexer(kept["town_b"])]
        )
        drawn = np.zeros(len(towns), dtype=bool)
        drawn[pos[pos >= 0]] = True
        drawn |= towns.index.isin(shown.towns.index) if countries is not None else False
    else:
        drawn = np.ones(len(towns), dtype=bool)
    if highlight is not None:
        drawn[towns.index.get_loc(highlight)] = True
    drawn &= located

    if ax is None:
        ax = _basemap.new_axes()
    window = _map_extent(extent, towns, drawn)
    if basemap:
        plot_basemap(ax=ax)
    _setup_map_axes(ax, window)

    handles: list[Any] = []

    # links: one LineCollection, alpha scaled to the number of links
    if arcs:
        segs = _arcs(towns, kept) if len(kept) else []
        n = len(segs)
        style: dict[str, Any] = {
            "colors": _LINK_COLOR,
            "linewidths": 0.8 if n < 500 else (0.5 if n < 5000 else 0.3),
            "alpha": float(np.clip(12.0 / np.sqrt(max(n, 1)), 0.05, 0.7)),
            "zorder": 1,
        }
        style.update(dict(line_kws or {}))
        lc = LineCollection(segs, **style)
        lc.set_gid("links")
        ax.add_collection(lc, autolim=False)
        handles.append(Line2D([], [], color=_LINK_COLOR, lw=1, label=f"links ({n})"))

    # towns: one scatter
    t = towns.loc[drawn]
    x, y = project(t["lon"].to_numpy(np.float64), t["lat"].to_numpy(np.float64))
    in_view = (x >= window[0]) & (x <= window[1]) & (y >= window[2]) & (y <= window[3])
    degree = _degree(towns, kept)[drawn]
    # markers shrink as the map gets crowded (about 40 pt² for the largest of 12,000 towns)
    crowd = max(len(t), 1)
    largest = float(np.clip(160.0 * (200.0 / crowd) ** (1 / 3), 30.0, 160.0))
    smallest = 2.0 if crowd > 2000 else 6.0
    if size_by == "partners":
        sizes = _marker_sizes(degree, smallest=smallest, largest=largest)
    elif size_by == "population":
        if "population" not in t.columns:
            raise ValidationError("size_by='population' needs a 'population' column in towns")
        population = pd.to_numeric(t["population"], errors="coerce").to_numpy(np.float64)
        sizes = _marker_sizes(population, smallest=smallest, largest=largest)
    else:
        sizes = np.full(len(t), max(smallest, largest / 8))

    scatter_style: dict[str, Any] = {
        "linewidths": 0.3 if crowd <= 2000 else 0.0,
        "edgecolors": "white",
        "zorder": 2,
    }
    colorbar_values = None
    if color_by == "country":
        colors, entries = _category_colors(t["country"], in_view=in_view, other="other countries")
        scatter_style["c"] = colors
    elif color_by == "community":
        if communities is None:
            communities = _default_communities(data)
        labels = pd.Series(communities).reindex(t.index)
        colors, entries = _category_colors(labels, in_view=in_view, other="other communities")
        scatter_style["c"] = colors
    elif color_by == "reach":
        vals = pd.to_numeric(pd.Series(values).reindex(t.index), errors="coerce")
        colorbar_values = vals.to_numpy(np.float64)
        scatter_style.update(
            c=colorbar_values,
            cmap=colormaps["viridis"].with_extremes(bad=_OTHER_COLOR),
            plotnonfinite=True,
        )
        entries = []
    else:
        scatter_style["c"] = _TOWN_COLOR
        entries = [("towns", _TOWN_COLOR)]
    scatter_style.update(dict(scatter_kws or {}))
    # big markers first so that small towns stay visible on top of them
    order = np.argsort(-sizes, kind="stable")
    if isinstance(scatter_style.get("c"), np.ndarray):
        scatter_style["c"] = scatter_style["c"][order]
    towns_sc = ax.scatter(x[order], y[order], s=sizes[order], **scatter_style)
    towns_sc.set_gid("towns")
    for label, color in entries:
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                markersize=6,
                markerfacecolor=color,
                markeredgecolor="white",
                label=label,
            )
        )
    if colorbar_values is not None:
        name = getattr(values, "name", None) or "reach"
        ax.figure.colorbar(towns_sc, ax=ax, shrink=0.6, label=plot_text(name))

    # the highlighted town, its links and partners
    if highlight is not None:
        h = towns.loc[highlight]
        mine = kept.loc[(kept["town_a"] == highlight) | (kept["town_b"] == highlight)]
        if arcs and len(mine):
            hl = LineCollection(
                _arcs(towns, mine),
                colors=_HIGHLIGHT_COLOR,
                linewidths=1.4,
                alpha=0.9,
                zorder=3,
            )
            hl.set_gid("highlight_links")
            ax.add_collection(hl, autolim=False)
        partners = pd.Index(mine["town_a"]).append(pd.Index(mine["town_b"])).unique()
        partners = partners[partners != highlight]
        if len(partners):
            p = towns.loc[partners]
            px, py = project(p["lon"].to_numpy(np.float64), p["lat"].to_numpy(np.float64))
            ps = ax.scatter(
                px,
                py,
                s=30,
                facecolors="none",
                edgecolors=_HIGHLIGHT_COLOR,
                linewidths=1.0,
                zorder=4,
            )
            ps.set_gid("highlight_partners")
        hx, hy = project(float(h["lon"]), float(h["lat"]))
        hs = ax.scatter(
            [hx],
            [hy],
            s=260,
            marker="*",
            c=_HIGHLIGHT_COLOR,
            edgecolors="black",
            linewidths=0.6,
            zorder=6,
        )
        hs.set_gid("highlight")
        # data-derived text is drawn as it is: no mathtext, shortened
        name = plot_text(h["name"] if "name" in towns.columns else highlight)
        ax.annotate(
            name,
            (float(hx), float(hy)),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=8,
            fontweight="bold",
            zorder=7,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="*",
                markersize=11,
                markerfacecolor=_HIGHLIGHT_COLOR,
                markeredgecolor="black",
                label=f"{name} ({len(partners)} partners)",
            )
        )

    # candidate partners
    if cand is not None:
        cx, cy = project(cand["lon"].to_numpy(), cand["lat"].to_numpy())
        if highlight is not None and arcs and len(cand):
            h = towns.loc[highlight]
            n_c = len(cand)
            cand_segs = great_circle_arcs(
                np.full(n_c, float(h["lon"])),
                np.full(n_c, float(h["lat"])),
                cand["lon"].to_numpy(),
                cand["lat"].to_numpy(),
                points=_ARC_POINTS,
            )
            cl = LineCollection(
                list(cand_segs), colors=_CANDIDATE_COLOR, linewidths=1.2, linestyles="--", zorder=4
            )
            cl.set_gid("candidate_links")
            ax.add_collection(cl, autolim=False)
        cs = ax.scatter(
            cx,
            cy,
            s=60,
            marker="D",
            c=_CANDIDATE_COLOR,
            edgecolors="black",
            linewidths=0.6,
            zorder=5,
        )
        cs.set_gid("candidates")
        handles.append(
            Line2D(
                [],
                [],
                ls="--",
                marker="D",
                markersize=6,
                color=_CANDIDATE_COLOR,
                markeredgecolor="black",
                label=f"candidates ({len(cand)})",
            )
        )

    if legend and handles:
        size_note = {"partners": "size: partners", "population": "size: population"}
        ax.legend(
            handles=handles,
            loc="upper left",
            fontsize=7,
            title_fontsize=7,
            title=size_note.get(size_by or ""),
            framealpha=0.9,
        )
    if credits:
        ax.text(
            0.995,
            0.005,
            CREDITS,
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=6,
            color="#444444",
            gid="credits",
            zorder=10,
            bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1.5},
        )
    return ax


def _setup_map_axes(ax: Axes, window: tuple[float, ...]) -> None:
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    ax.set_xticks([])
    ax.set_yticks([])


def _default_communities(data: Any) -> pd.Series:
    try:
        clusters = importlib.import_module("twinning_graph.clusters")
    except ImportError:
        clusters = None
    fn = getattr(clusters, "communities", None)
    if fn is None:
        raise ValidationError(
            "color_by='community' needs communities= (a Series town_id -> community label)"
        )
    return fn(data)


# --------------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------------
