"""Headline figures of a twinning network."""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from twinning_graph._errors import ValidationError
from twinning_graph.graph import accepts_graph
from twinning_graph.network import TwinningData

__all__ = ["summary", "degree", "NetworkSummary"]


@accepts_graph
def degree(data: TwinningData) -> pd.Series:
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
    towns, edges = data.towns, data.edges
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


def _triangles(A: sp.csr_array) -> np.ndarray:
    """Number of triangles through every node, without forming ``A @ A``.

    ``A @ A`` has one entry per path of length two: a town with 16,000 partners alone puts
    256 million there. Instead each link is oriented from the lower to the higher
    (degree, index) rank, so a node has at most ``sqrt(2m)`` out-links (Chiba & Nishizeki
    1985). With ``U`` the oriented adjacency, a triangle with ranks ``a < b < c`` is seen
    once in ``(U @ U) ∘ U`` at ``(a, c)`` (rows: lowest node, columns: highest) and once in
    ``(Uᵀ @ U) ∘ U`` at ``(b, c)`` (rows: middle node); both products stay within
    ``O(m sqrt(m))`` entries.
    """
    A = sp.csr_array(A.astype(bool), dtype=np.int64)
    n = A.shape[0]
    deg = np.diff(A.indptr)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), deg))] = np.arange(n)
    r = np.repeat(np.arange(n), deg)
    c = A.indices
    up = rank[r] < rank[c]
    U = sp.csr_array((np.ones(int(up.sum()), dtype=np.int64), (r[up], c[up])), shape=(n, n))
    low_high = (U @ U).multiply(U)
    middle = (U.T @ U).multiply(U)
    return (
        np.asarray(low_high.sum(axis=1)).ravel()
        + np.asarray(low_high.sum(axis=0)).ravel()
        + np.asarray(middle.sum(axis=1)).ravel()
    )


def _transitivity(triangles: np.ndarray, deg: np.ndarray) -> float:
    """Global clustering coefficient: 3 x triangles / connected triples (KONECT's "clustering")."""
    closed = float(triangles.sum()) * 2.0  # each triangle is counted at its 3 nodes: 6 x
    triples = float((deg * (deg - 1)).sum())  # 2 x connected triples
    return closed / triples if triples else float("nan")


def _mean_clustering(triangles: np.ndarray, deg: np.ndarray) -> float:
    """Average local clustering coefficient over all nodes (0 for degree < 2), as networkx."""
    possible = deg * (deg - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        local = np.where(possible > 0, triangles / possible, 0.0)
    return float(local.mean()) if len(local) else float("nan")


#: Plain-language labels of the summary figures (the report and the notebook view use them).
LABELS = {
    "towns": "Towns",
    "links": "Linked town pairs",
    "countries": "Countries",
    "eu_towns": "Towns in EU Member States",
    "partnerships": "Partnership records",
    "transnational_links": "Links between two countries",
    "transnational_share": "Share of links between two countries",
    "components": "Separate groups of linked towns",
    "largest_component": "Towns in the largest group",
    "mean_degree": "Partners per town (mean)",
    "max_degree": "Most partners of one town",
    "assortativity": "Degree assortativity (well-linked towns twin with well-linked towns: > 0)",
    "clustering": "Mean clustering (partners of a town that are partners of each other)",
    "transitivity": "Transitivity (closed triangles among connected triples)",
    "with_year": "Share of links with a known start year",
}


@dataclass(frozen=True)
class NetworkSummary(Mapping[str, Any]):
    """Headline figures of a network; reads like a dict (``s["links"]``), shows as a table.

    See :func:`summary` for the meaning of each figure.
    """

    towns: int
    links: int
    countries: int
    eu_towns: int
    partnerships: int
    transnational_links: int
    transnational_share: float
    components: int
    largest_component: int
    mean_degree: float
    max_degree: int
    assortativity: float
    clustering: float
    transitivity: float
    with_year: float

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def to_dict(self) -> dict[str, Any]:
        """The figures as a plain dict (JSON-ready)."""
        return {k: getattr(self, k) for k in self._names()}

    def to_series(self) -> pd.Series:
        """The figures as a Series indexed by figure name."""
        return pd.Series(self.to_dict(), name="value", dtype=object)

    def __repr__(self) -> str:
        width = max(map(len, self._names()))
        lines = [f"{k:<{width}}  {v}" for k, v in self.to_dict().items()]
        return "NetworkSummary\n" + "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(LABELS[k])}</th>"
            f"<td>{html.escape(_show(v))}</td></tr>"
            for k, v in self.to_dict().items()
        )
        return f"<table><caption>Network summary</caption>{rows}</table>"


def _show(value: Any) -> str:
    if isinstance(value, float):
        return "–" if np.isnan(value) else f"{value:,.4g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


@accepts_graph
def summary(data: TwinningData, *, linked_only: bool = True) -> NetworkSummary:
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
    NetworkSummary
        Reads like a dict and shows as a table in a notebook: towns, links, countries, transnational_links, transnational_share (share of links
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
    if not isinstance(linked_only, bool):
        raise ValidationError(f"linked_only must be True or False, got {linked_only!r}")
    towns, edges = data.towns, data.edges
    A = data.adjacency()
    if linked_only:
        keep = np.asarray(A.sum(axis=1)).ravel() > 0
        towns = towns.loc[keep]
        A = A[keep][:, keep]
    deg = np.asarray(A.astype(bool).sum(axis=1)).ravel()
    n = len(towns)
    triangles = _triangles(A).astype(float)
    n_comp, labels = connected_components(A, directed=False)
    largest = int(np.bincount(labels).max()) if n else 0
    ca = edges["town_a"].map(towns["country"]).to_numpy()
    cb = edges["town_b"].map(towns["country"]).to_numpy()
    trans = int((ca != cb).sum())
    m = len(edges)
    partnerships = len(data.partnerships) + int(data.memberships["partnership_id"].nunique())
    return NetworkSummary(
        towns=n,
        links=m,
        countries=int(towns["country"].nunique()),
        eu_towns=int(towns["eu"].sum()),
        partnerships=partnerships,
        transnational_links=trans,
        transnational_share=round(trans / m, 4) if m else float("nan"),
        components=int(n_comp),
        largest_component=largest,
        mean_degree=round(2 * m / n, 4) if n else float("nan"),
        max_degree=int(deg.max()) if n else 0,
        assortativity=round(_assortativity(A, deg), 4),
        clustering=round(_mean_clustering(triangles, deg), 4),
        transitivity=round(_transitivity(triangles, deg), 4),
        with_year=round(float(edges["since"].notna().mean()), 4) if m else 0.0,
    )
