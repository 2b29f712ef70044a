"""Saving a map or chart: PNG, SVG or PDF, written atomically, text kept as text in SVG."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twinning_graph._errors import ValidationError
from twinning_graph._validate import MAX_DPI, MIN_DPI, check_int
from twinning_graph._write import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["FORMATS", "SAVE_RC", "save_map"]

FORMATS = ("png", "svg", "pdf")
#: rc settings in force while saving: SVG text stays text (selectable, searchable, small),
#: no random ids or dates in the SVG, so the same map gives the same file.
SAVE_RC: Any = {"svg.fonttype": "none", "svg.hashsalt": "twinning-graph"}


def save_map(ax: Axes, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Save the figure of ``ax`` to ``path`` (format from the extension), atomically.

    Text is kept as text in SVG (``svg.fonttype: "none"``); dense layers drawn rasterised
    (links, towns of a large network) are embedded as images at ``dpi``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map or chart.
    path : str or os.PathLike
        ``.png``, ``.svg`` or ``.pdf``.
    dpi : int, default 150
        Resolution of a PNG and of the rasterised layers of an SVG/PDF, 10 to 600.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import matplotlib.pyplot as plt
    >>> import twinning_graph as tg
    >>> from twinning_graph.plot import plot_map, save_map
    >>> ax = plot_map(tg.load(), countries="LU", extent="LU")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = save_map(ax, pathlib.Path(d, "lu.svg"))
    ...     "<text" in out.read_text(encoding="utf-8")
    True
    >>> plt.close(ax.figure)
    """
    import matplotlib

    out = Path(path)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValidationError(
            f"a map file must end in {', '.join('.' + f for f in FORMATS)}; got {str(out)!r}"
        )
    dpi = check_int(dpi, "dpi", minimum=MIN_DPI, maximum=MAX_DPI)
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt, {"Software": None})
    fig: Any = ax.figure
    with matplotlib.rc_context(SAVE_RC), atomic_write(out, binary=True) as fh:
        fig.savefig(
            fh, format=fmt, dpi=dpi, bbox_inches="tight", facecolor="white", metadata=metadata
        )
    return out
