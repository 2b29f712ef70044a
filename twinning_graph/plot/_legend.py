"""The map legend: what each symbol means, placed off the data.

:func:`legend_layer` lists only what is drawn, one entry per kind of symbol (the highlighted
town, its partners and their links, the candidates and their dashed lines, the other links,
names at the frame edge, the town colours in view; see :func:`legend_handles`) and puts the legend in the corner of the
map that covers no important marker (highlighted town, partners, candidates) and the fewest
towns; when every corner would hide something, it goes outside the frame, to the right.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.lines import Line2D

from twinning_graph._style import CANDIDATE, HIGHLIGHT, LINK_COLOR
from twinning_graph._text import plot_text
from twinning_graph.plot._common import final_layout
from twinning_graph.plot._layers import PARTNER_SIZE
from twinning_graph.plot._scene import MapScene
from twinning_graph.plot._texts import fill

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["legend_handles", "legend_layer"]

_CORNERS = ("upper left", "upper right", "lower left", "lower right")
#: A corner may hide at most this share of the towns in view (and never an important marker).
_MAX_HIDDEN = 0.01


def _dot(label: str, color: Any, **kw: Any) -> Line2D:
    style: dict[str, Any] = {
        "ls": "",
        "marker": "o",
        "markersize": 6,
        "markerfacecolor": color,
        "markeredgecolor": "white",
    }
    style.update(kw)
    return Line2D([], [], label=label, **style)


def _line(label: str, color: str, *, ls: str = "-", lw: float = 1.0, **kw: Any) -> Line2D:
    return Line2D([], [], color=color, ls=ls, lw=lw, label=label, **kw)


def legend_handles(scene: MapScene, *, links: str | None) -> list[Line2D]:
    """The legend entries of a map, in reading order: one for each kind of symbol drawn.

    The highlighted town (star), its partners (ringed dot, when one shows in the window or
    beside the star), the lines to its partners (solid, highlight colour), the candidates
    (diamond), the dashed lines to them, the other links, the names written at the frame
    edge (arrow) and the town colours. Words come from ``scene.texts``.
    """
    words = scene.texts
    handles: list[Line2D] = []
    h = scene.highlight
    hid = scene.highlight_id
    n_other = len(scene.links)
    if h is not None:
        n = len(scene.partners)
        name = plot_text(h["name"])
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=HIGHLIGHT.marker,
                markersize=12,
                markerfacecolor=HIGHLIGHT.color,
                markeredgecolor=HIGHLIGHT.edgecolor,
                label=fill(words, "highlight_one" if n == 1 else "highlight", name=name, n=n),
            )
        )
        p = scene.partners
        if n and bool(p["in_view"].any()):  # only when a ringed partner shows
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker="o",
                    markersize=np.sqrt(PARTNER_SIZE),
                    markerfacecolor="white",
                    markeredgecolor=HIGHLIGHT.color,
                    markeredgewidth=1.6,
                    label=fill(words, "partner"),
                )
            )
        own = (scene.links["town_a"] == hid) | (scene.links["town_b"] == hid)
        n_other = int((~own).sum())
        if bool(own.any()):  # the highlight layer draws them in every links mode
            handles.append(
                _line(fill(words, "partner_link", name=name), HIGHLIGHT.link_color, lw=1.4)
            )
    c = scene.candidates
    if c is not None and len(c):
        first = str(c["color"].iloc[0])
        key = "ranked_candidates" if scene.ranked else "candidates"
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=CANDIDATE.marker,
                markersize=7,
                markerfacecolor=first,
                markeredgecolor=CANDIDATE.edgecolor,
                label=fill(words, key, n=len(c)),
            )
        )
        if h is not None:
            handles.append(
                _line(fill(words, "candidate_link"), CANDIDATE.link_color, ls="--", alpha=0.75)
            )
    if links == "arcs" and n_other:
        key = "links" if h is None else "other_links"
        handles.append(_line(fill(words, key, n=n_other), LINK_COLOR))
    if _has_edge_names(scene):
        handles.append(Line2D([], [], ls="", marker="", label=fill(words, "off_map")))
    for label, color in scene.entries:
        if color is None:
            handles.append(Line2D([], [], ls="", marker="", label=label))
        else:
            handles.append(_dot(label, color))
    return handles


def _has_edge_names(scene: MapScene) -> bool:
    """Whether a partner or candidate is named at the frame edge (outside the window)."""
    frames = [scene.partners]
    if scene.candidates is not None:
        frames.append(scene.candidates)
    return any(
        "edge" in f.columns and bool((f["edge"].notna() & ~f["in_view"].astype(bool)).any())
        for f in frames
        if len(f)
    )


def _legend_title(scene: MapScene) -> str | None:
    words = scene.texts
    key = {"partners": "title_size_partners", "population": "title_size_population"}
    size = fill(words, key[scene.size_by]) if scene.size_by in key else None
    if scene.color_by == "country":
        return fill(words, "title_country") + (f", {size}" if size else "")
    return size


def legend_layer(
    ax: Axes, scene: MapScene, *, links: str | None, extra: list[Any] | None = None
) -> Axes:
    """Add the legend (``gid="legend"``) where it hides nothing (see the module docstring)."""
    handles = legend_handles(scene, links=links) + list(extra or [])
    if not handles:
        return ax
    style: dict[str, Any] = {
        "handles": handles,
        "fontsize": 7,
        "title_fontsize": 7,
        "title": _legend_title(scene),
        "framealpha": 0.92,
        "borderaxespad": 0.4,
        "alignment": "left",
    }
    renderer = final_layout(ax)
    important, towns = _marker_points(ax, scene)
    best: tuple[float, str] | None = None
    for loc in _CORNERS:
        leg = ax.legend(loc=loc, **style)  # type: ignore[call-overload]
        box = leg.get_window_extent(renderer)
        hides_important = _inside(important, box).any()
        hidden = int(_inside(towns, box).sum())
        leg.remove()
        if hides_important:
            continue
        if best is None or hidden < best[0]:
            best = (hidden, loc)
    in_view = max(int(scene.towns["in_view"].sum()), 1)
    if best is not None and best[0] <= max(2, _MAX_HIDDEN * in_view):
        leg = ax.legend(loc=best[1], **style)  # type: ignore[call-overload]
    else:
        leg = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), **style)  # type: ignore[call-overload]
    leg.set_gid("legend")
    return ax


def _marker_points(ax: Axes, scene: MapScene) -> tuple[np.ndarray, np.ndarray]:
    """Display positions of the important markers and of the towns in view."""
    t = scene.towns[scene.towns["in_view"]]
    towns = (
        ax.transData.transform(t[["x", "y"]].to_numpy(np.float64)) if len(t) else np.empty((0, 2))
    )
    parts = []
    if scene.highlight is not None:
        parts.append(np.array([[float(scene.highlight["x"]), float(scene.highlight["y"])]]))
    if len(scene.partners):
        p = scene.partners
        parts.append(p[["x", "y"]].to_numpy(np.float64))
        exits = p[["exit_x", "exit_y"]].dropna().to_numpy(np.float64)
        parts.append(exits)
    if scene.candidates is not None and len(scene.candidates):
        c = scene.candidates
        parts.append(c[["x", "y"]].to_numpy(np.float64))
        if "exit_x" in c.columns:
            parts.append(c[["exit_x", "exit_y"]].dropna().to_numpy(np.float64))
    important = ax.transData.transform(np.vstack(parts)) if parts else np.empty((0, 2))
    return important, towns


def _inside(points: np.ndarray, box: Any, pad: float = 6.0) -> np.ndarray:
    if not len(points):
        return np.zeros(0, dtype=bool)
    x, y = points[:, 0], points[:, 1]
    return (x >= box.x0 - pad) & (x <= box.x1 + pad) & (y >= box.y0 - pad) & (y <= box.y1 + pad)
