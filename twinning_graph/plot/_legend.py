"""The map legend: what each symbol means, placed off the data.

:func:`legend_layer` lists only what is drawn (the town colours in view, the links, the
highlighted town, its partners and the candidates) and puts the legend in the corner of the
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


def legend_handles(scene: MapScene, *, links: str | None) -> list[Line2D]:
    """The legend entries of a map, in reading order."""
    handles: list[Line2D] = []
    h = scene.highlight
    if h is not None:
        n = len(scene.partners)
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker=HIGHLIGHT.marker,
                markersize=12,
                markerfacecolor=HIGHLIGHT.color,
                markeredgecolor=HIGHLIGHT.edgecolor,
                label=f"{plot_text(h['name'])} ({n} partner{'s' if n != 1 else ''})",
            )
        )
        if n and bool(scene.partners["in_view"].any()):  # only when a ringed partner shows
            handles.append(
                Line2D(
                    [],
                    [],
                    color=HIGHLIGHT.link_color,
                    lw=1.4,
                    marker="o",
                    markersize=np.sqrt(PARTNER_SIZE),
                    markerfacecolor="white",
                    markeredgecolor=HIGHLIGHT.color,
                    markeredgewidth=1.6,
                    label="partner (fill: its country)",
                )
            )
    c = scene.candidates
    if c is not None and len(c):
        first = str(c["color"].iloc[0])
        what = "ranked candidate" if scene.ranked else "candidate"
        handles.append(
            Line2D(
                [],
                [],
                ls="--" if h is not None else "",
                color=CANDIDATE.link_color,
                lw=1.0,
                marker=CANDIDATE.marker,
                markersize=7,
                markerfacecolor=first,
                markeredgecolor=CANDIDATE.edgecolor,
                label=f"{what}s ({len(c)}; fill: country)",
            )
        )
    if links == "arcs" and len(scene.links):
        n = len(scene.links)
        handles.append(Line2D([], [], color=LINK_COLOR, lw=1.0, label=f"link ({n:,} drawn)"))
    for label, color in scene.entries:
        if color is None:
            handles.append(Line2D([], [], ls="", marker="", label=label))
        else:
            handles.append(_dot(label, color))
    return handles


def _legend_title(scene: MapScene) -> str | None:
    size = {"partners": "size: partners", "population": "size: population"}.get(scene.size_by or "")
    if scene.color_by == "country":
        return "towns by country" + (f", {size}" if size else "")
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
        parts.append(scene.candidates[["x", "y"]].to_numpy(np.float64))
    important = ax.transData.transform(np.vstack(parts)) if parts else np.empty((0, 2))
    return important, towns


def _inside(points: np.ndarray, box: Any, pad: float = 6.0) -> np.ndarray:
    if not len(points):
        return np.zeros(0, dtype=bool)
    x, y = points[:, 0], points[:, 1]
    return (x >= box.x0 - pad) & (x <= box.x1 + pad) & (y >= box.y0 - pad) & (y <= box.y1 + pad)
