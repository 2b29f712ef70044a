"""Constants and input helpers shared by the maps and charts of :mod:`twinning_graph.plot`.

Colours come from :mod:`twinning_graph._style` (the one source of map colours); this module
holds only what the charts and maps share besides them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

#: Bars and lines of the charts, and towns of a one-colour map: no country colour.
TOWN_COLOR = "#1F4E79"
#: Points of the longest great-circle arcs.
ARC_POINTS = 16


def frames(data: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(towns, pair table) of TwinningData or a town graph."""
    from twinning_graph.graph import as_data

    d = as_data(data)
    return d.towns, d.edges


def as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def degree_of(towns: pd.DataFrame, edges: pd.DataFrame) -> np.ndarray:
    """Number of partner towns of each town (in towns.index order), from unique-pair edges."""
    ends = np.concatenate(
        [towns.index.get_indexer(edges["town_a"]), towns.index.get_indexer(edges["town_b"])]
    )
    return np.bincount(ends[ends >= 0], minlength=len(towns))


def chart_title(ax: Any, title: str | None, default: str) -> None:
    """Set a chart's title: ``"auto"`` gives ``default``; None or "" none; any other text
    is drawn as it is (through :func:`twinning_graph._text.plot_text`)."""
    from twinning_graph._text import plot_text

    if title == "auto":
        ax.set_title(default)
    elif title:
        ax.set_title(plot_text(title, limit=200))


def final_layout(ax: Any) -> Any:
    """Run the figure's layout now (as a draw would) and return a renderer.

    Layers that place things in display space (legend corner, labels) call it, so they
    see the axes where they will be drawn.
    """
    fig: Any = ax.figure
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    ax.apply_aspect()
    return fig.canvas.get_renderer()
