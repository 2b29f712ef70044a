"""The layers of a map: each a small function that takes the axes, draws one thing, returns them.

:func:`~twinning_graph.plot.plot_map` composes them in this order: basemap
(:func:`twinning_graph.plot._basemap.basemap_layer`), :func:`links_layer`,
:func:`towns_layer`, :func:`highlight_layer`, :func:`candidates_layer`, :func:`title_layer`,
:func:`credits_layer`, the legend (:mod:`twinning_graph.plot._legend`) and the labels
(:mod:`twinning_graph.plot._labels`). Each artist carries a ``gid`` (see
:mod:`twinning_graph.plot`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.collections import LineCollection

from twinning_graph._geo import haversine_km
from twinning_graph._style import CANDIDATE, HIGHLIGHT, LINK_COLOR, OTHER_COLOR
from twinning_graph._text import plot_text
from twinning_graph.plot._basemap import great_circle_arcs
from twinning_graph.plot._common import ARC_POINTS
from twinning_graph.plot._scene import MapScene

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "RASTER_ABOVE",
    "arc_segments",
    "candidates_layer",
    "credits_layer",
    "highlight_layer",
    "links_layer",
    "title_layer",
    "towns_layer",
]

#: Points per arc by great-circle length: a 500 km arc is straight to well under a pixel on a
#: map of Europe, so short links are drawn as chords (rendering time grows with the points).
_ARC_STEPS = ((500.0, 2), (1500.0, 6), (np.inf, ARC_POINTS))
#: A layer with more elements than this is rasterised in vector output (SVG, PDF): thousands
#: of overlapping thin lines are a picture, not text to select, and as vectors they make a
#: 12 MB SVG. Labels, legend and borders stay vectors.
RASTER_ABOVE = 2000
#: Partner markers (points²) and the width of their ring in the highlight colour.
PARTNER_SIZE = 42.0


def arc_segments(lonlat_a: np.ndarray, lonlat_b: np.ndarray) -> list[np.ndarray]:
    """Projected great-circle arcs between point pairs ((n, 2) lon/lat arrays), in order.

    Computed per length class, each class one array computation.
    """
    a = np.asarray(lonlat_a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(lonlat_b, dtype=np.float64).reshape(-1, 2)
    km = haversine_km(a[:, 1], a[:, 0], b[:, 1], b[:, 0])
    out: list[np.ndarray] = [np.empty((0, 2))] * len(a)
    lower = -np.inf
    for upper, points in _ARC_STEPS:  # three length classes, each one array computation
        idx = np.flatnonzero((km >= lower) & (km < upper))
        lower = upper
        if len(idx):
            arcs = great_circle_arcs(a[idx, 0], a[idx, 1], b[idx, 0], b[idx, 1], points=points)
            for i, arc in zip(idx.tolist(), arcs, strict=True):  # list of views, no copies
                out[i] = arc
    return out


def edge_arcs(towns: pd.DataFrame, edges: pd.DataFrame) -> list[np.ndarray]:
    a = towns.loc[edges["town_a"], ["lon", "lat"]].to_numpy(np.float64)
    b = towns.loc[edges["town_b"], ["lon", "lat"]].to_numpy(np.float64)
    return arc_segments(a, b)


def link_style(n: int) -> dict[str, Any]:
    """Width and transparency of ``n`` links drawn together (fainter as they multiply)."""
    return {
        "colors": LINK_COLOR,
        "linewidths": 0.8 if n < 500 else (0.5 if n < 5000 else 0.3),
        "alpha": float(np.clip(12.0 / np.sqrt(max(n, 1)), 0.05, 0.7)),
        "zorder": 1,
    }


def links_layer(ax: Axes, scene: MapScene, *, line_kws: Mapping[str, Any] | None = None) -> Axes:
    """Every drawn link as a great-circle arc: one LineCollection (``gid="links"``)."""
    segs = edge_arcs(scene.data.towns, scene.links) if len(scene.links) else []
    style = link_style(len(segs))
    style.update(dict(line_kws or {}))
    lc = LineCollection(segs, **style)
    lc.set_gid("links")
    lc.set_rasterized(len(segs) > RASTER_ABOVE)
    ax.add_collection(lc, autolim=False)
    return ax


def towns_layer(ax: Axes, scene: MapScene, *, scatter_kws: Mapping[str, Any] | None = None) -> Axes:
    """The towns: one scatter (``gid="towns"``), big markers first so small ones stay visible."""
    t = scene.towns
    crowded = len(t) > RASTER_ABOVE
    style: dict[str, Any] = {
        "linewidths": 0.0 if crowded else 0.3,
        "edgecolors": "white",
        "zorder": 2,
    }
    order = np.argsort(-t["size"].to_numpy(), kind="stable")
    if scene.colorbar is not None:
        style.update(
            c=scene.colorbar[order],
            cmap=colormaps["viridis"].with_extremes(bad=OTHER_COLOR),
            plotnonfinite=True,
        )
    else:
        style["c"] = list(t["color"].to_numpy()[order])
    style.update(dict(scatter_kws or {}))
    sc = ax.scatter(
        t["x"].to_numpy()[order], t["y"].to_numpy()[order], s=t["size"].to_numpy()[order], **style
    )
    sc.set_gid("towns")
    sc.set_rasterized(crowded)
    if scene.colorbar is not None:
        ax.figure.colorbar(sc, ax=ax, shrink=0.6, label=scene.colorbar_label)
    return ax


def highlight_layer(ax: Axes, scene: MapScene) -> Axes:
    """The highlighted town: its links (``highlight_links``), its partners ringed in the
    highlight colour over their country colour (``highlight_partners``), and a star
    (``highlight``)."""
    h = scene.highlight
    if h is None:
        return ax
    hid = scene.highlight_id
    links = scene.links
    mine = links[(links["town_a"] == hid) | (links["town_b"] == hid)]
    if len(mine):
        hl = LineCollection(
            edge_arcs(scene.data.towns, mine),
            colors=HIGHLIGHT.link_color,
            linewidths=1.4,
            alpha=0.9,
            zorder=3,
            gid="highlight_links",
        )
        ax.add_collection(hl, autolim=False)
    p = scene.partners
    if len(p):
        ps = ax.scatter(
            p["x"],
            p["y"],
            s=PARTNER_SIZE,
            c=list(p["color"]),
            edgecolors=HIGHLIGHT.color,
            linewidths=1.6,
            zorder=4,
        )
        ps.set_gid("highlight_partners")
    hs = ax.scatter(
        [float(h["x"])],
        [float(h["y"])],
        s=HIGHLIGHT.size,
        marker=HIGHLIGHT.marker,
        c=HIGHLIGHT.color,
        edgecolors=HIGHLIGHT.edgecolor,
        linewidths=0.8,
        zorder=6,
    )
    hs.set_gid("highlight")
    return ax


def candidates_layer(ax: Axes, scene: MapScene) -> Axes:
    """Candidate partners: diamonds in their country colour (``candidates``, in the order
    given), joined to the highlighted town by dashed arcs (``candidate_links``); a candidate
    outside the window gets a smaller diamond where its arc leaves it (``candidate_exits``)."""
    c = scene.candidates
    if c is None or not len(c):
        return ax
    h = scene.highlight
    if h is not None:
        start = np.tile([float(h["lon"]), float(h["lat"])], (len(c), 1))
        segs = arc_segments(start, c[["lon", "lat"]].to_numpy(np.float64))
        cl = LineCollection(
            segs,
            colors=CANDIDATE.link_color,
            linewidths=1.0,
            linestyles=CANDIDATE.link_style,
            alpha=0.75,
            zorder=4,
            gid="candidate_links",
        )
        ax.add_collection(cl, autolim=False)
    cs = ax.scatter(
        c["x"],
        c["y"],
        s=CANDIDATE.size,
        marker=CANDIDATE.marker,
        c=list(c["color"]),
        edgecolors=CANDIDATE.edgecolor,
        linewidths=0.9,
        zorder=5,
    )
    cs.set_gid("candidates")
    if "edge" in c.columns and c["edge"].notna().any():
        # off the frame: a small diamond in the country colour where the dashed line leaves
        out = c[c["edge"].notna()]
        ce = ax.scatter(
            out["exit_x"].to_numpy(np.float64),
            out["exit_y"].to_numpy(np.float64),
            s=CANDIDATE.size * 0.55,
            marker=CANDIDATE.marker,
            c=list(out["color"]),
            edgecolors=CANDIDATE.edgecolor,
            linewidths=0.7,
            zorder=5,
            clip_on=False,
        )
        ce.set_gid("candidate_exits")
    return ax


def title_layer(ax: Axes, title: str | None) -> Axes:
    """The map's title (data text, drawn as it is)."""
    if title:
        ax.set_title(plot_text(title, limit=160), fontsize=12, loc="left")
    return ax


def credits_layer(ax: Axes, text: str) -> Axes:
    """The attribution line under the map's frame, right-aligned (``gid="credits"``)."""
    ax.annotate(
        plot_text(text, limit=400),
        xy=(1.0, 0.0),
        xycoords="axes fraction",
        xytext=(0, -3),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=6,
        color="#555555",
        gid="credits",
        annotation_clip=False,
    )
    return ax
