"""The ``gap`` preference: country pairs the gap model finds under-linked (off by default)."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph.recommend._places import Codes

logger = logging.getLogger(__name__)


def gap_matrix(data: Any, codes: Codes) -> np.ndarray:
    """``G[a, b]`` = ``min(2, -log(observed / expected))`` for pairs of EU Member States that
    :func:`twinning_graph.gaps.country_pair_gaps` finds under-linked (quasi-Poisson
    p < 0.1), else 0; one padding row/column for unknown codes."""
    k = codes.n
    G = np.zeros((k + 1, k + 1))
    if data is None:
        return G
    from twinning_graph.gaps import country_pair_gaps

    with warnings.catch_warnings(record=True) as caught:  # auxiliary: log, don't warn
        warnings.simplefilter("always")
        g = country_pair_gaps(data)
    for c in caught:
        logger.info("gap model: %s", c.message)
    if g is None or len(g) == 0:
        return G
    g = g.reset_index() if "country_a" not in g.columns else g
    ratio = pd.to_numeric(g["ratio"], errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        under = np.clip(np.nan_to_num(-np.log(ratio), nan=0.0, posinf=2.0), 0.0, 2.0)
    if "p_value_quasi" in g.columns:
        under = np.where(pd.to_numeric(g["p_value_quasi"], errors="coerce") < 0.1, under, 0.0)
    a, b = codes.of(g["country_a"].astype(str)), codes.of(g["country_b"].astype(str))
    G[a, b] = under
    G[b, a] = under
    G[k, :] = G[:, k] = 0.0
    return G
