"""Overview layers for dense networks: where 15,000 lines make a hairball.

Two ways to draw many links, both one artist:

* :func:`density_layer` (``links="density"``): every link's arc is sampled about once per
  output pixel and counted on a grid the size of the picture; the grid is drawn as an image
  whose opacity grows with the logarithm of the number of links through each pixel. Busy
  corridors stand out, single long links stay faintly visible, and the picture costs the
  same whatever the number of links (the image replaces 15,000 vector lines).
* :func:`flows_layer` (``links="flows"``): links aggregated to country pairs, one arc
  between the countries' centres of towns, its width growing with the square root of the
  number of links (the most numerous pairs, :data:`MAX_FLOWS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, LogNorm, to_rgb
from matplotlib.lines import Line2D

from twinning_graph._style import LINK_COLOR
from twinning_graph.plot._layers import edge_arcs
from twinning_graph.plot._scene import MapScene
from twinning_graph.plot._texts import fill

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MAX_FLOWS", "density_grid", "density_layer", "flows_layer"]

#: Grid cells along the longer side of the window.
GRID = 900
#: Country pairs drawn by :func:`flows_layer` at most.
MAX_FLOWS = 120


def _sample(
    segments: list[np.ndarray],
    step: float,
    window: tuple[float, float, float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``step`` metres along polylines, all at once, and the polyline of each.

    Returns ``(points, owner)``: an ``(m, 2)`` array and the index of the polyline each
    point lies on.
    """
    if not segments:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    pts = np.concatenate(segments)
    lengths = np.array([len(s) for s in segments])
    # consecutive point pairs inside one polyline (not across two)
    within = np.ones(len(pts) - 1, dtype=bool)
    within[(np.cumsum(lengths) - 1)[:-1]] = False
    a, b = pts[:-1][within], pts[1:][within]
    link = np.repeat(np.arange(len(segments)), lengths - 1)
    if window is not None:  # pieces wholly beyond one side of the window add nothing
        x0, x1, y0, y1 = window
        away = (
            ((a[:, 0] < x0) & (b[:, 0] < x0))
            | ((a[:, 0] > x1) & (b[:, 0] > x1))
            | ((a[:, 1] < y0) & (b[:, 1] < y0))
            | ((a[:, 1] > y1) & (b[:, 1] > y1))
        )
        a, b, link = a[~away], b[~away], link[~away]
    seg_len = np.hypot(*(b - a).T)
    n = np.maximum(np.ceil(seg_len / step).astype(np.int64), 1)
    pair = np.repeat(np.arange(len(a)), n)
    first = np.repeat(np.cumsum(n) - n, n)
    t = (np.arange(n.sum()) - first + 0.5) / n[pair]
    return a[pair] + (b[pair] - a[pair]) * t[:, None], link[pair]


def density_grid(
    segments: list[np.ndarray], window: tuple[float, float, float, float], *, grid: int = GRID
) -> np.ndarray:
    """Number of links through each cell of a grid over ``window`` (rows from the bottom).

    Each link is sampled every half cell and counts once per cell it crosses.

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.plot._overview import density_grid
    >>> line = np.array([[0.0, 0.5], [10.0, 0.5]])  # across a 10 x 10 window at the bottom
    >>> g = density_grid([line, line], (0.0, 10.0, 0.0, 10.0), grid=10)
    >>> g[0].tolist(), int(g[1:].sum())
    ([2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], 0)
    """
    x0, x1, y0, y1 = window
    cell = max(x1 - x0, y1 - y0) / grid
    nx, ny = int(np.ceil((x1 - x0) / cell)), int(np.ceil((y1 - y0) / cell))
    counts = np.zeros(nx * ny)
    chunk = 4000
    for lo in range(0, len(segments), chunk):  # bounded memory: 4,000 links per pass
        pts, owner = _sample(segments[lo : lo + chunk], cell / 2, window)
        ix = np.floor((pts[:, 0] - x0) / cell).astype(np.int64)
        iy = np.floor((pts[:, 1] - y0) / cell).astype(np.int64)
        ok = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        # one count per link and cell: samples run along each link in order, so repeats of
        # a (link, cell) key are consecutive; dropping them avoids sorting millions of keys
        key = owner[ok] * (nx * ny) + iy[ok] * nx + ix[ok]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        counts += np.bincount(key[first] % (nx * ny), minlength=nx * ny)
    return counts.reshape(ny, nx)


def density_layer(ax: Axes, scene: MapScene) -> tuple[Axes, list[Any]]:
    """The links as a density image (``gid="link_density"``); returns the legend entry too."""
    segs = edge_arcs(scene.data.towns, scene.links) if len(scene.links) else []
    counts = density_grid(segs, scene.window)
    r, g, b = to_rgb(LINK_COLOR)
    # one link through a pixel is a faint trace; busy corridors turn dark, then wine-red
    cmap = LinearSegmentedColormap.from_list(
        "links",
        [(r, g, b, 0.0), (r, g, b, 0.35), (r, g, b, 0.75), (0.53, 0.13, 0.33, 0.95)],
    ).with_extremes(under=(1, 1, 1, 0), bad=(1, 1, 1, 0))
    top = max(float(counts.max()), 2.0)
    image = ax.imshow(
        np.ma.masked_less(counts, 1),
        extent=scene.window,
        origin="lower",
        cmap=cmap,
        norm=LogNorm(vmin=1, vmax=top),
        interpolation="antialiased",
        zorder=2.5,  # over the towns: the corridors are what this picture is for
        aspect="auto",
    )
    image.set_gid("link_density")
    ax.set_aspect("equal", adjustable="box")
    entry = Line2D(
        [], [], color=LINK_COLOR, lw=2.5, alpha=0.6,
        label=fill(scene.texts, "density", n=len(segs)),
    )  # fmt: skip
    return ax, [entry]


def flows_layer(ax: Axes, scene: MapScene) -> tuple[Axes, list[Any]]:
    """Links aggregated to country pairs (``gid="country_flows"``); returns legend entries."""
    towns = scene.towns
    links = scene.links
    country = towns["country"]
    ca = country.reindex(links["town_a"]).to_numpy()
    cb = country.reindex(links["town_b"]).to_numpy()
    lo, hi = np.where(ca < cb, ca, cb), np.where(ca < cb, cb, ca)
    pairs = pd.DataFrame({"a": lo, "b": hi})
    pairs = pairs[pairs["a"] != pairs["b"]]
    counts = pairs.value_counts().rename("n").reset_index()
    counts = counts.sort_values(["n", "a", "b"], ascending=[False, True, True]).head(MAX_FLOWS)
    centre = towns.groupby("country")[["lon", "lat"]].median()
    a = centre.loc[counts["a"]].to_numpy()
    b = centre.loc[counts["b"]].to_numpy()
    from twinning_graph.plot._layers import arc_segments

    segs = arc_segments(a, b)
    n = counts["n"].to_numpy(np.float64)
    widths = _flow_width(n, n.max()) if len(n) else np.array([])
    order = np.argsort(n)  # thick flows on top
    lc = LineCollection(
        [segs[i] for i in order],
        linewidths=widths[order],
        colors=LINK_COLOR,
        alpha=0.7,
        capstyle="round",
        zorder=2.5,
        gid="country_flows",
    )
    ax.add_collection(lc, autolim=False)
    entries: list[Any] = []
    if len(n):
        shown = sorted({int(n.max()), int(np.quantile(n, 0.5))}, reverse=True)
        for k, value in enumerate(shown):
            w = float(_flow_width(np.array([value]), float(n.max()))[0])
            label = fill(scene.texts, "flows_top" if k == 0 else "flows", n=value)
            entries.append(Line2D([], [], color=LINK_COLOR, alpha=0.7, lw=w, label=label))
    return ax, entries


def _flow_width(n: np.ndarray, top: float) -> np.ndarray:
    """Line width (points) of a flow of ``n`` links: 0.3 to 10, area-like growth."""
    return 0.3 + 9.7 * (np.asarray(n, dtype=np.float64) / top) ** 0.7
