"""Headline figures of a twinning network."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from twinning_graph.graph import adjacency, as_frames
from twinning_graph.io import TwinningData

__all__ = ["summary", "degree"]


def degree(data: TwinningData | nx.Graph) -> pd.Series:
    """Number of partner towns of every town (0 for towns without partners).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> tg.degree(tg.load()).sort_values(ascending=False).head(2)
    town_id
    RU-saint-petersburg    65
    AR-buenos-aires        63
    Name: degree, dtype: int64
    """
    towns, edges = as_frames(data)
    both = pd.concat([edges["town_a"], edges["town_b"]])
    return both.value_counts().reindex(towns.index, fill_value=0).astype("int64").rename("degree")


def _assortativity(A: sp.csr_array, deg: np.ndarray) -> float:
    """Degree assortativity (Newman 2002): Pearson correlation of degrees at both edge ends."""
    r, c = A.nonzero()  # every undirected edge twice, as networkx counts it
    if len(r) == 0:
        return float("nan")
    x, y = deg[r].astype(float), deg[c].astype(float)
    sx, sy = x.std(), y.std()
    if sx == 0 or sy == 0:
        return float("nan")
    return float(((x - x.mean()) * (y - y.mean())).mean() / (sx * sy))


def _transitivity(A: sp.csr_array, deg: np.ndarray) -> float:
    """Global clustering coefficient: 3 x triangles / connected triples (KONECT's "clustering")."""
    A = A.astype(bool).astype(np.int64)
    closed = float((A @ A).multiply(A).sum())  # 6 x triangles
    triples = float((deg * (deg - 1)).sum())  # 2 x connected triples
    return closed / triples if triples else float("nan")


def _mean_clustering(A: sp.csr_array, deg: np.ndarray) -> float:
    """Average local clustering coefficient over all nodes (0 for degree < 2), as networkx."""
    A = A.astype(bool).astype(np.int64)
    triangles = (A @ A).multiply(A).sum(axis=1) / 2  # closed pairs of neighbours per node
    possible = deg * (deg - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        local = np.where(possible > 0, np.asarray(triangles).ravel() / possible, 0.0)
    return float(local.mean()) if len(local) else float("nan")


def summary(data: TwinningData | nx.Graph, *, linked_only: bool = True) -> dict[str, Any]:
    """Headline figures of the network, computed over whole arrays.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    linked_only
        Count only towns with at least one partner (as published network statistics do).
        The bundled data have no unlinked towns, so this matters only for user data.

    Returns
    -------
    dict
        towns, links, countries, transnational_links, transnational_share (share of links
        between towns of two countries), components, largest_component (towns),
        mean_degree (2 × links / towns), max_degree, assortativity (degree, Pearson),
        clustering (mean local clustering coefficient, as ``nx.average_clustering``),
        transitivity (global clustering coefficient, 3 × triangles / connected triples, as
        ``nx.transitivity`` and KONECT's "clustering coefficient"), eu_towns, partnerships, with_year
        (share of links with a known start year).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> s = tg.summary(tg.load())
    >>> s["max_degree"], s["links"] > 15000
    (65, True)
    """
    towns, edges = as_frames(data)
    if linked_only:
        linked = pd.Index(pd.concat([edges["town_a"], edges["town_b"]]).unique())
        towns = towns.loc[towns.index.isin(linked)]
    A, _ = adjacency(towns, edges)
    deg = np.asarray(A.astype(bool).sum(axis=1)).ravel()
    n = len(towns)
    n_comp, labels = connected_components(A, directed=False)
    largest = int(np.bincount(labels).max()) if n else 0
    ca = edges["town_a"].map(towns["country"]).to_numpy()
    cb = edges["town_b"].map(towns["country"]).to_numpy()
    trans = int((ca != cb).sum())
    m = len(edges)
    partnerships = None
    if isinstance(data, TwinningData):
        partnerships = len(data.partnerships) + int(data.memberships["partnership_id"].nunique())
    return {
        "towns": n,
        "links": m,
        "countries": int(towns["country"].nunique()),
        "eu_towns": int(towns["eu"].sum()),
        "partnerships": partnerships,
        "transnational_links": trans,
        "transnational_share": round(trans / m, 4) if m else float("nan"),
        "components": int(n_comp),
        "largest_component": largest,
        "mean_degree": round(2 * m / n, 4) if n else float("nan"),
        "max_degree": int(deg.max()) if n else 0,
        "assortativity": round(_assortativity(A, deg), 4),
        "clustering": round(_mean_clustering(A, deg), 4),
        "transitivity": round(_transitivity(A, deg), 4),
        "with_year": round(float(edges["since"].notna().mean()), 4) if m else 0.0,
    }
