"""What the cluster measures share: input conversion, checks, and numbering of groups."""

from __future__ import annotations

from typing import Any, TypeAlias

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._errors import ValidationError
from twinning_graph.graph import as_data
from twinning_graph.network import TwinningData

Data: TypeAlias = TwinningData | nx.Graph


def check_seed(seed: Any) -> int | None:
    """``seed`` as an int (or None), or a :class:`ValidationError`."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValidationError(f"seed must be an integer or None, got {seed!r}")
    return int(seed)


def towns_and_adjacency(data: Data, *, weighted: bool = False) -> tuple[pd.DataFrame, sp.csr_array]:
    """Towns and the sparse adjacency in ``towns.index`` order.

    A :class:`~twinning_graph.TwinningData` gives its own cached adjacency (the pair
    table is not asked for, so measures built on this never need it); a graph is
    converted once here.
    """
    d = as_data(data)
    return d.towns, d.adjacency(weighted=weighted)


def number_by_size(labels: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    """Renumber integer group labels ``0, 1, …`` by size, largest first, ties by smallest id.

    ``labels`` holds one label per entry of ``index``; negative labels (no group) stay -1.
    """
    labels = np.asarray(labels, dtype=np.int64)
    out = np.full(len(labels), -1, dtype=np.int64)
    ok = labels >= 0
    if ok.any():
        uniq, lab = np.unique(labels[ok], return_inverse=True)
        n = len(uniq)
        size = np.bincount(lab, minlength=n)
        # rank of each id in sorted order; a group's tie-break is its smallest rank
        ids = index.to_numpy(dtype=object)[ok]
        ranks = np.empty(len(ids), dtype=np.int64)
        ranks[np.argsort(ids, kind="stable")] = np.arange(len(ids))
        first = np.full(n, len(ids), dtype=np.int64)
        np.minimum.at(first, lab, ranks)
        new = np.empty(n, dtype=np.int64)
        new[np.lexsort((first, -size))] = np.arange(n)
        out[ok] = new[lab]
    return pd.Series(out, index=index, name=name).rename_axis("town_id")
