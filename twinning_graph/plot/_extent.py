"""Map windows that keep the subject central and the picture readable (no matplotlib here).

A window is ``(xmin, xmax, ymin, ymax)`` in projected metres (see
:func:`twinning_graph.plot._basemap.project`). :func:`subject_window` keeps the subject (the highlighted town,
or the selected countries) in its middle half, holds the places that belong on the map, and with a width/height ratio between :data:`ASPECT` bounds, so a town whose partners
lie along one line does not become a strip. Places far beyond the others (a partner across
the ocean) are left outside the window: the map names them at its edge instead.
"""

from __future__ import annotations

import numpy as np

from twinning_graph.plot._basemap import resolve_extent

__all__ = ["ASPECT", "MIN_HALF_M", "europe_window", "in_frame", "near_mask", "subject_window"]

#: Width/height ratio bounds of an automatic window.
ASPECT = (0.8, 1.45)
#: Half-size (metres) below which an automatic window is never made: about 500 km across.
MIN_HALF_M = 250_000.0
#: A place is "far" (left out of an automatic window) beyond this many times the distance
#: within which three quarters of the places lie.
FAR_FACTOR = 2.0
_PAD = 0.12  # fraction added on each side, room for labels
#: The subject lies at least this share of the window's width (and height) from each side.
CENTRAL = 0.3


def europe_window() -> tuple[float, float, float, float]:
    """The default window of Europe."""
    return resolve_extent(None)


def in_frame(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points inside the Europe window (the only ones an automatic window reaches for)."""
    w = europe_window()
    return (x >= w[0]) & (x <= w[1]) & (y >= w[2]) & (y <= w[3])


def near_mask(distance: np.ndarray, *, keep: np.ndarray | None = None) -> np.ndarray:
    """Places close enough to the subject to be in its window.

    A place is near when its distance is at most :data:`FAR_FACTOR` times the 75th
    percentile of all distances; places in ``keep`` are always near.

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.plot._extent import near_mask
    >>> near_mask(np.array([100.0, 200.0, 300.0, 400.0, 5000.0])).tolist()
    [True, True, True, True, False]
    """
    d = np.asarray(distance, dtype=np.float64)
    out = np.zeros(len(d), dtype=bool)
    if len(d):
        limit = FAR_FACTOR * float(np.quantile(d, 0.75))
        out = d <= limit
    if keep is not None:
        out |= keep
    return out


def _central(lo: float, hi: float, s: float, share: float) -> tuple[float, float]:
    """Widen [lo, hi] so that ``s`` lies at least ``share`` of the width from either end."""
    if s - lo < share * (hi - lo):
        lo = (s - share * hi) / (1 - share)
    if hi - s < share * (hi - lo):
        hi = (s - share * lo) / (1 - share)
    return lo, hi


def subject_window(
    cx: float, cy: float, x: np.ndarray, y: np.ndarray, *, min_half: float = MIN_HALF_M
) -> tuple[float, float, float, float]:
    """A window holding ``(cx, cy)`` and every point ``(x, y)``, with the subject central.

    The bounding box of the points is widened so that the subject lies in its middle
    (at least :data:`CENTRAL`, 30 %, of the width and of the height from each side), padded,
    made at
    least ``2 * min_half`` across, and widened along its shorter side until the
    width/height ratio is within :data:`ASPECT`.

    Parameters
    ----------
    cx, cy : float
        The subject (projected metres).
    x, y : numpy.ndarray
        Points that must be inside.
    min_half : float
        Smallest half-width and half-height (metres).

    Returns
    -------
    tuple of float
        ``(xmin, xmax, ymin, ymax)``.

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.plot._extent import subject_window
    >>> w = subject_window(0.0, 0.0, np.array([1_000_000.0, 2_000_000.0]), np.array([0.0, 0.0]))
    >>> w[0] < 0 < w[1], (0 - w[0]) / (w[1] - w[0]) >= 0.3  # the subject in the middle
    (True, True)
    >>> round((w[1] - w[0]) / (w[3] - w[2]), 2)  # not a strip
    1.45
    """
    xs = np.append(np.asarray(x, dtype=np.float64), cx)
    ys = np.append(np.asarray(y, dtype=np.float64), cy)
    x0, x1 = _central(float(xs.min()), float(xs.max()), cx, CENTRAL)
    y0, y1 = _central(float(ys.min()), float(ys.max()), cy, CENTRAL)
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    hx = max((x1 - x0) / 2, min_half) * (1 + _PAD)
    hy = max((y1 - y0) / 2, min_half) * (1 + _PAD)
    lo, hi = ASPECT
    if hx / hy < lo:
        hx = lo * hy
    elif hx / hy > hi:
        hy = hx / hi
    return mx - hx, mx + hx, my - hy, my + hy


def fit_window(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """The padded, readable window around points (centred on their bounding box)."""
    cx = (float(np.min(x)) + float(np.max(x))) / 2
    cy = (float(np.min(y)) + float(np.max(y))) / 2
    return subject_window(cx, cy, x, y)
