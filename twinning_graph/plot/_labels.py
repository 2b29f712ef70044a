"""Names on a map, placed without overlap: greedy placement over candidate positions.

Each label is a :class:`Label` request: a point (projected metres), its text, a priority and
the radius of its marker. :func:`place_labels` works in display points after the figure's
layout is final, highest priority first:

1. eight positions around the marker (right, left, above, below and the four diagonals);
2. then farther positions, joined to the point by a thin leader line;
3. a label with a short form (a ranked candidate's number) that still finds no place is
   written short, and the number is listed with the name under the map (``gid="label_key"``);
4. any other label that still overlaps a placed label, a marker that matters (the
   highlighted town, partners, candidates), the legend or the frame is dropped — lower
   priorities lose.

A marker hidden under the highlighted town's star (a partner 0.7 km away, like Český Těšín
beside Cieszyn) is *displaced*: drawn again a little away from the star (farther out when
candidates crowd it), with a leader line to its true place, and named there. Displaced
markers are placed and named right after the highlighted town, before any other name. A partner outside the window is named at the frame edge
where its link leaves the map, with an arrow giving the direction.

Every placed name is an annotation with ``gid="labels"``; :func:`label_boxes` returns their
boxes for tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.text import Text

from twinning_graph._style import CANDIDATE, HIGHLIGHT
from twinning_graph._text import plot_text
from twinning_graph.plot._common import final_layout

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase

__all__ = ["Label", "arrow_for", "edge_exit", "label_boxes", "place_labels"]

#: Priorities: the highlighted town, candidates, partners, other towns.
HIGHLIGHT_PRIORITY, CANDIDATE_PRIORITY, PARTNER_PRIORITY, TOWN_PRIORITY = 0, 1, 2, 3
_FONT = {0: 9.5, 1: 8.0, 2: 8.0, 3: 7.5}
_PAD = 1.5  # points kept free around every label box
_INSET = 3.0  # points between an edge label and the frame
#: A light box behind each name (not a stroke path effect: that turns SVG text into paths).
_BOX = {"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.78}
_ARROWS = ("→", "↗", "↑", "↖", "←", "↙", "↓", "↘")  # by angle, counter-clockwise from east


@dataclass
class Label:
    """A name to write on the map.

    Attributes
    ----------
    x, y : float
        The named point, projected metres (for an edge label: where the link leaves the
        window, see :func:`edge_exit`).
    text : str
        The name (data text: drawn as it is).
    priority : int
        0 highest (placed first, never dropped for another label).
    radius : float
        Radius of the point's marker in points (labels keep clear of it).
    edge : str or None
        "left", "right", "top" or "bottom" for a name written at the frame edge.
    displace : bool
        The marker is hidden under the highlighted town: draw it again beside the star.
    color : str
        Fill of the displaced marker (the partner's country colour).
    bold : bool
        Bold text (the highlighted town).
    short : str or None
        A shorter text written when ``text`` finds no free place (a candidate's number);
        the map then lists the number with the name (see :func:`place_labels`).
    """

    x: float
    y: float
    text: str
    priority: int
    radius: float = 3.0
    edge: str | None = None
    displace: bool = False
    color: str = "#FFFFFF"
    bold: bool = False
    short: str | None = None


def arrow_for(dx: float, dy: float) -> str:
    """The arrow (one of eight) closest to the direction ``(dx, dy)`` (y up).

    Examples
    --------
    >>> from twinning_graph.plot._labels import arrow_for
    >>> arrow_for(-1.0, 0.1), arrow_for(1.0, 1.0), arrow_for(0.0, -2.0)
    ('←', '↗', '↓')
    """
    k = int(np.round(np.arctan2(dy, dx) / (np.pi / 4))) % 8
    return _ARROWS[k]


def edge_exit(
    arc: np.ndarray, window: tuple[float, float, float, float]
) -> tuple[float, float, str, float, float] | None:
    """Where an arc that starts inside ``window`` first leaves it.

    Parameters
    ----------
    arc : numpy.ndarray
        ``(m, 2)`` projected points, first inside the window.
    window : tuple of float
        (xmin, xmax, ymin, ymax).

    Returns
    -------
    tuple or None
        ``(x, y, edge, dx, dy)``: the crossing point, the edge crossed and the direction of
        travel there; None when the arc never leaves (or starts outside).

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.plot._labels import edge_exit
    >>> edge_exit(np.array([[0.0, 0.0], [4.0, 1.0]]), (-2.0, 2.0, -2.0, 2.0))
    (2.0, 0.5, 'right', 4.0, 1.0)
    """
    x0, x1, y0, y1 = window
    pts = np.asarray(arc, dtype=np.float64)
    inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
    if not len(pts) or not inside[0] or inside.all():
        return None
    k = int(np.argmin(inside))  # first point outside
    (ax_, ay), (bx, by) = pts[k - 1], pts[k]
    dx, dy = bx - ax_, by - ay
    best = (np.inf, "")
    for edge, t in (
        ("right", (x1 - ax_) / dx if dx > 0 else np.inf),
        ("left", (x0 - ax_) / dx if dx < 0 else np.inf),
        ("top", (y1 - ay) / dy if dy > 0 else np.inf),
        ("bottom", (y0 - ay) / dy if dy < 0 else np.inf),
    ):
        if 0 <= t < best[0]:
            best = (t, edge)
    t, edge = best
    return float(ax_ + t * dx), float(ay + t * dy), edge, float(dx), float(dy)


# ----------------------------------------------------------------------------- placement
def _overlaps(box: np.ndarray, boxes: np.ndarray) -> bool:
    if not len(boxes):
        return False
    return bool(
        np.any(
            (box[0] < boxes[:, 2])
            & (box[2] > boxes[:, 0])
            & (box[1] < boxes[:, 3])
            & (box[3] > boxes[:, 1])
        )
    )


def _text_size(ax: Axes, renderer: RendererBase, text: str, size: float, bold: bool) -> tuple:
    """Width and height (points) of ``text`` as drawn."""
    t = Text(0, 0, text, fontsize=size, fontweight="bold" if bold else "normal")
    t.set_figure(ax.figure)
    bb = t.get_window_extent(renderer)
    scale = 72.0 / ax.figure.dpi
    return bb.width * scale, bb.height * scale


def _around(x: float, y: float, w: float, h: float, r: float) -> list[tuple[float, float, bool]]:
    """Lower-left corners (points) of a w×h box around a marker of radius r: the eight
    positions touching it, then farther ones (with a leader line)."""
    g = r + 2.0
    d = g * 0.72
    near = [
        (x + d, y + d * 0.4),  # upper right
        (x + g, y - h / 2),  # right
        (x - d - w, y + d * 0.4),  # upper left
        (x - g - w, y - h / 2),  # left
        (x + d, y - d * 0.4 - h),  # lower right
        (x - d - w, y - d * 0.4 - h),  # lower left
        (x - w / 2, y + g),  # above
        (x - w / 2, y - g - h),  # below
    ]
    out = [(px, py, False) for px, py in near]
    for dist in (1.6 * h + g, 3.0 * h + g, 4.5 * h + g, 6.5 * h + g, 9.0 * h + g):
        for ang in np.radians([30, 150, 210, 330, 0, 180, 90, 270, 60, 120, 240, 300]):
            ux, uy = np.cos(ang), np.sin(ang)
            cx = x + ux * (dist + w / 2 * abs(ux))
            cy = y + uy * (dist + h / 2 * abs(uy))
            out.append((cx - w / 2, cy - h / 2, True))
    return out


def _along_edge(
    x: float, y: float, w: float, h: float, edge: str, frame: tuple
) -> list[tuple[float, float, bool]]:
    """Lower-left corners of an edge label, against the ``edge`` of the frame, sliding along it."""
    fx0, fy0, fx1, fy1 = frame
    if edge in ("left", "right"):
        px = fx0 + _INSET if edge == "left" else fx1 - _INSET - w
        base = min(max(y - h / 2, fy0 + _INSET), fy1 - _INSET - h)
        steps = [base + k * (h + 1.0) for k in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5)]
        return [(px, py, False) for py in steps]
    py = fy1 - _INSET - h if edge == "top" else fy0 + _INSET
    base = min(max(x - w / 2, fx0 + _INSET), fx1 - _INSET - w)
    steps = [base + k * (w / 2 + 4.0) for k in (0, 1, -1, 2, -2, 3, -3)]
    return [(px, py, False) for px in steps]


def place_labels(
    ax: Axes,
    labels: list[Label],
    *,
    obstacles: np.ndarray | None = None,
    star: tuple[float, float] | None = None,
) -> Axes:
    """Write ``labels`` on ``ax`` without overlap (see the module docstring).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map whose layout is final (limits, legend, title and colorbar in place).
    labels : list of Label
        The names to write, in any order (placed by priority, then in the order given).
    obstacles : numpy.ndarray, optional
        ``(n, 3)`` markers that must stay visible: x, y (projected metres), radius (points).
    star : (float, float), optional
        The highlighted town (projected metres): markers within its star are displaced.

    Returns
    -------
    matplotlib.axes.Axes
    """
    actions, keyed = _plan(ax, labels, obstacles=obstacles, star=star)
    if keyed:
        # names written as numbers are listed under the map; the list takes room from the
        # map, so the places are worked out again with it in the layout
        key = _key_layer(ax, keyed)
        actions, keyed = _plan(ax, labels, obstacles=obstacles, star=star)
        if keyed:
            key.set_text(_key_text(ax, keyed))
        else:
            key.remove()
    for draw in actions:
        draw()
    return ax


def _plan(
    ax: Axes,
    labels: list[Label],
    *,
    obstacles: np.ndarray | None,
    star: tuple[float, float] | None,
) -> tuple[list[Callable[[], None]], list[tuple[str, str]]]:
    """Where every label goes: the drawing calls to make, and the (short, full) texts of
    labels written short."""
    fig: Any = ax.figure
    renderer = final_layout(ax)
    to_pt = 72.0 / fig.dpi
    bbox = ax.get_window_extent(renderer)
    frame = (bbox.x0 * to_pt, bbox.y0 * to_pt, bbox.x1 * to_pt, bbox.y1 * to_pt)

    def points(x: float, y: float) -> tuple[float, float]:
        px, py = ax.transData.transform((x, y))
        return float(px) * to_pt, float(py) * to_pt

    blocked: list[np.ndarray] = []  # boxes no label may overlap (points)
    if obstacles is not None and len(obstacles):
        pts = ax.transData.transform(obstacles[:, :2]) * to_pt
        r = obstacles[:, 2]
        marks = np.column_stack([pts[:, 0] - r, pts[:, 1] - r, pts[:, 0] + r, pts[:, 1] + r])
    else:
        marks = np.empty((0, 4))
    legend = ax.get_legend()
    if legend is not None:
        lb = legend.get_window_extent(renderer)
        blocked.append(np.array([lb.x0, lb.y0, lb.x1, lb.y1]) * to_pt)
    star_pt = points(*star) if star is not None else None
    star_r = float(np.sqrt(HIGHLIGHT.size)) / 2 + 1.0

    # the highlighted town first, then the markers displaced from under its star, then the rest
    order = sorted(
        range(len(labels)),
        key=lambda i: (labels[i].priority > HIGHLIGHT_PRIORITY, not labels[i].displace,
                       labels[i].priority),
    )  # fmt: skip
    keyed: list[tuple[str, str]] = []  # (short, text) of labels written short
    actions: list[Callable[[], None]] = []
    for i in order:
        lab = labels[i]
        x, y = points(lab.x, lab.y)
        anchor = (x, y)
        if lab.displace and star_pt is not None:
            x, y = _displace(x, y, lab.radius, star_pt, star_r, marks, blocked, frame)
            if np.isnan(x):
                continue
            actions.append(partial(_draw_displaced, ax, anchor, (x, y), lab, to_pt))
        own = np.array([x - lab.radius, y - lab.radius, x + lab.radius, y + lab.radius])
        forms = [plot_text(lab.text, limit=40)]
        if lab.short:
            forms.append(plot_text(lab.short, limit=40))
        for form, text in enumerate(forms):
            size = _FONT.get(lab.priority, 7.5)
            w, h = _text_size(ax, renderer, text, size, lab.bold)
            if lab.edge is not None:
                spots = _along_edge(x, y, w, h, lab.edge, frame)
            else:
                spots = _around(x, y, w, h, lab.radius)
            chosen = _first_free(spots, w, h, lab, frame, blocked, marks, own)
            if chosen is None:
                continue
            px, py, leader, box = chosen
            blocked.append(box)
            offset = (px - x, py - y)
            actions.append(
                partial(_annotate, ax, lab, text, size, (lab.x, lab.y), offset, leader, (x, y),
                        anchor)
            )  # fmt: skip
            if form:
                keyed.append((text, forms[0]))
            break
    return actions, keyed


def _first_free(
    spots: list[tuple[float, float, bool]],
    w: float,
    h: float,
    lab: Label,
    frame: tuple,
    blocked: list[np.ndarray],
    marks: np.ndarray,
    own: np.ndarray,
) -> tuple[float, float, bool, np.ndarray] | None:
    """The first spot whose box stays in the frame and overlaps nothing it must not."""
    taken = np.vstack(blocked) if blocked else np.empty((0, 4))
    for px, py, leader in spots:
        box = np.array([px - _PAD, py - _PAD, px + w + _PAD, py + h + _PAD])
        if box[0] < frame[0] or box[2] > frame[2] or box[1] < frame[1] or box[3] > frame[3]:
            continue
        if _overlaps(box, taken):
            continue
        if lab.priority > HIGHLIGHT_PRIORITY and _overlaps(box, marks):
            continue
        if lab.priority == HIGHLIGHT_PRIORITY and _overlaps(box, own[None, :]):
            continue
        return px, py, leader, box
    return None


def _key_text(ax: Axes, keyed: list[tuple[str, str]]) -> str:
    """The full names of the labels written short, in lines as wide as the map."""
    fig: Any = ax.figure
    width_pt = ax.get_position().width * fig.get_figwidth() * 72.0
    per_line = max(int(width_pt / (7 * 0.6)), 20)  # characters of 7-point text
    lines: list[str] = []
    for _, full in keyed:
        item = plot_text(full, limit=60)
        if lines and len(lines[-1]) + 3 + len(item) <= per_line:
            lines[-1] += "   " + item
        else:
            lines.append(item)
    return "\n".join(lines)


def _key_layer(ax: Axes, keyed: list[tuple[str, str]]) -> Any:
    """Under the map, left (``gid="label_key"``): the full names of the labels written short."""
    return ax.annotate(
        _key_text(ax, keyed),
        xy=(0.0, 0.0),
        xycoords="axes fraction",
        xytext=(0, -11),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=7,
        color="#111111",
        gid="label_key",
        annotation_clip=False,
    )


def _displace(
    x: float,
    y: float,
    r: float,
    star: tuple[float, float],
    star_r: float,
    marks: np.ndarray,
    blocked: list[np.ndarray],
    frame: tuple,
) -> tuple[float, float]:
    """A free spot for a marker hidden under the star: just outside it, else farther out
    (candidates and other partners may crowd the star)."""
    step = star_r + r + 5.0
    angles = np.radians([315, 225, 45, 135, 270, 0, 180, 90, 340, 200, 20, 160, 290, 250, 70, 110])
    rings = [(step * k, a) for k in (1.0, 1.5, 2.1, 2.8, 3.6) for a in angles]
    for dist, ang in rings:
        cx, cy = star[0] + dist * np.cos(ang), star[1] + dist * np.sin(ang)
        box = np.array([cx - r, cy - r, cx + r, cy + r])
        if box[0] < frame[0] or box[2] > frame[2] or box[1] < frame[1] or box[3] > frame[3]:
            continue
        others = marks[
            ~(
                (np.abs(marks[:, 0] + marks[:, 2] - 2 * x) < 0.5)
                & (np.abs(marks[:, 1] + marks[:, 3] - 2 * y) < 0.5)
            )
        ]
        star_box = np.array(
            [[star[0] - star_r, star[1] - star_r, star[0] + star_r, star[1] + star_r]]
        )
        if _overlaps(box, star_box) or _overlaps(box, others):
            continue
        if blocked and _overlaps(box, np.vstack(blocked)):
            continue
        blocked.append(box)
        return float(cx), float(cy)
    return float("nan"), float("nan")


def _draw_displaced(
    ax: Axes, anchor: tuple[float, float], at: tuple[float, float], lab: Label, to_pt: float
) -> None:
    """The displaced marker (``gid="displaced"``) and a leader line to the true point."""
    inverse = ax.transData.inverted()
    x, y = inverse.transform((at[0] / to_pt, at[1] / to_pt))
    ax.plot(
        [lab.x, x], [lab.y, y], color=HIGHLIGHT.color, lw=0.9, zorder=6.5, gid="displaced_leader"
    )
    ax.scatter(
        [x],
        [y],
        s=(2 * lab.radius - 1.6) ** 2,
        c=[lab.color],
        edgecolors=HIGHLIGHT.color,
        linewidths=1.6,
        zorder=6.6,
        gid="displaced",
    )


def _annotate(
    ax: Axes,
    lab: Label,
    text: str,
    size: float,
    xy: tuple[float, float],
    offset: tuple[float, float],
    leader: bool,
    at: tuple[float, float],
    anchor: tuple[float, float],
) -> None:
    # the offset is from the (possibly displaced) marker; annotations anchor at the true point
    shift = (at[0] - anchor[0], at[1] - anchor[1])
    kw: dict[str, Any] = {}
    if leader:
        kw["arrowprops"] = {"arrowstyle": "-", "color": "#555555", "lw": 0.6, "shrinkA": 0,
                            "shrinkB": lab.radius}  # fmt: skip
    ann = ax.annotate(
        text,
        xy=xy,
        xytext=(offset[0] + shift[0], offset[1] + shift[1]),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=size,
        fontweight="bold" if lab.bold else "normal",
        color="#111111",
        zorder=8,
        gid="labels",
        bbox=_BOX,
        annotation_clip=False,
        **kw,
    )
    ann.set_in_layout(False)


def label_boxes(ax: Axes) -> list[Any]:
    """Display boxes of the labels of a drawn map (after ``fig.canvas.draw()``), for tests."""
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    return [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "labels"]


# ----------------------------------------------------------------------------- the map's names
#: Towns named on a map without a highlighted town: the most connected in view.
TOP_TOWNS = 12


def _radius(size_pt2: Any) -> np.ndarray:
    return np.sqrt(np.asarray(size_pt2, dtype=np.float64)) / 2


def labels_layer(ax: Axes, scene: Any, *, labels: Any = "auto") -> Axes:
    """Name the highlighted town, its partners, the candidates and the most connected towns.

    ``labels="auto"`` names the highlighted town, its partners (off-frame ones at the edge),
    the candidates and, on a map without a highlighted town, the :data:`TOP_TOWNS` most
    connected towns in view; an int ``n`` names ``n`` most connected towns instead; None
    names nothing.
    """
    from twinning_graph.plot._layers import PARTNER_SIZE
    from twinning_graph.plot._scene import MapScene

    assert isinstance(scene, MapScene)
    if labels is None or labels is False:
        return ax
    requests: list[Label] = []
    obstacles: list[np.ndarray] = []
    star = None
    h = scene.highlight
    if h is not None:
        star = (float(h["x"]), float(h["y"]))
        star_r = float(np.sqrt(HIGHLIGHT.size)) / 2
        requests.append(Label(*star, str(h["name"]), HIGHLIGHT_PRIORITY, star_r, bold=True))
        obstacles.append(np.array([[*star, star_r]]))
        p = scene.partners
        if len(p):
            r = float(np.sqrt(PARTNER_SIZE)) / 2 + 0.8
            inside = p["in_view"].to_numpy(bool)
            obstacles.append(np.column_stack([p["x"], p["y"], np.full(len(p), r)])[inside])
            # hidden under the star: closer than the star's radius on screen
            px = ax.transData.transform(p[["x", "y"]].to_numpy(np.float64))
            sx = ax.transData.transform([star])[0]
            hidden = np.hypot(*(px - sx).T) * 72.0 / ax.figure.dpi < star_r + r * 0.5
            for (_, row), hid, ins in zip(p.iterrows(), hidden, inside, strict=True):
                if ins:  # partners are few (one town's): a loop over them is cheap
                    requests.append(
                        Label(
                            float(row["x"]), float(row["y"]), str(row["name"]), PARTNER_PRIORITY,
                            r, displace=bool(hid), color=str(row["color"]),
                        )
                    )  # fmt: skip
            out = p[~inside & p["edge"].notna().to_numpy()]
            for row in out.itertuples():
                name = f"{row.name} ({row.country})"
                arrow = arrow_for(float(row.dx), float(row.dy))
                text = f"{name} {arrow}" if row.edge == "right" else f"{arrow} {name}"
                requests.append(
                    Label(float(row.exit_x), float(row.exit_y), text, PARTNER_PRIORITY, 0.0,
                          edge=str(row.edge))
                )  # fmt: skip
    c = scene.candidates
    if c is not None and len(c):
        r = float(np.sqrt(CANDIDATE.size)) / 2 + 0.5
        inside = c["in_view"].to_numpy(bool)
        obstacles.append(np.column_stack([c["x"], c["y"], np.full(len(c), r)])[inside])
        for row in c[inside].itertuples():  # candidates are few (a ranking's rows)
            text = f"{row.rank}. {row.name}" if scene.ranked else str(row.name)
            short = str(row.rank) if scene.ranked else None
            requests.append(
                Label(float(row.x), float(row.y), text, CANDIDATE_PRIORITY, r, short=short)
            )
        if "edge" in c.columns:
            re = float(np.sqrt(CANDIDATE.size * 0.55)) / 2 + 0.5
            out = c[~inside & c["edge"].notna().to_numpy()]
            obstacles.append(np.column_stack([out["exit_x"], out["exit_y"], np.full(len(out), re)]))
            for row in out.itertuples():
                name = f"{row.rank}. {row.name}" if scene.ranked else str(row.name)
                name = f"{name} ({row.country})"
                arrow = arrow_for(float(row.dx), float(row.dy))
                text = f"{name} {arrow}" if row.edge == "right" else f"{arrow} {name}"
                requests.append(
                    Label(float(row.exit_x), float(row.exit_y), text, CANDIDATE_PRIORITY, re,
                          edge=str(row.edge))
                )  # fmt: skip
    n_top = (
        labels
        if isinstance(labels, int) and not isinstance(labels, bool)
        else (TOP_TOWNS if h is None else 0)
    )
    if n_top:
        t = scene.towns[scene.towns["in_view"]]
        top = t.sort_values(["degree", "size"], ascending=False, kind="stable").head(n_top)
        for row in top.itertuples():
            requests.append(
                Label(
                    float(row.x),
                    float(row.y),
                    str(row.name),
                    TOWN_PRIORITY,
                    float(_radius(row.size)),
                )
            )
    place_labels(
        ax,
        requests,
        obstacles=np.vstack(obstacles) if obstacles else None,
        star=star,
    )
    return ax
