"""Constants and input helpers shared by the maps and charts of :mod:`twinning_graph.plot`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_rgba

from twinning_graph._errors import (
    UnknownTownError,
    ValidationError,
)

#: Attribution drawn on every map (and to be repeated in reports).
CREDITS = (
    "Data: Wikidata contributors (CC0), GeoNames (CC BY 4.0); borders: Made with Natural Earth"
)

_TOP_CATEGORIES = 10
# tab10 with its grey swapped for indigo, so no category looks like "other"
_PALETTE = tuple(
    colormaps["tab10"](i) if i != 7 else to_rgba("#393b79") for i in range(_TOP_CATEGORIES)
)
_OTHER_COLOR = "#a0a0a0"
_TOWN_COLOR = "#1f4e79"
_LINK_COLOR = "#23395d"
_HIGHLIGHT_COLOR = "#d62728"
_CANDIDATE_COLOR = "#ff7f0e"
_ARC_POINTS = 16


# --------------------------------------------------------------------------------------------
# input helpers
# --------------------------------------------------------------------------------------------


def _frames(data: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(towns, pair table) of TwinningData or a town graph."""
    from twinning_graph.graph import as_data

    d = as_data(data)
    return d.towns, d.edges


def _unknown_town(tid: Any, index: pd.Index, what: str = "town_id") -> UnknownTownError:
    close = difflib.get_close_matches(str(tid), [str(t) for t in index], n=5)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    return UnknownTownError(f"unknown {what} {tid!r}{hint} (valid ids are the index of data.towns)")


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        raise ValidationError(
            f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}"
        )


def _degree(towns: pd.DataFrame, edges: pd.DataFrame) -> np.ndarray:
    """Number of partner towns of each town (in towns.index order), from unique-pair edges."""
    ends = np.concatenate(
        [towns.index.get_indexer(edges["town_a"]), towns.index.get_indexer(edges["town_b"])]
    )
    return np.bincount(ends[ends >= 0], minlength=len(towns))
