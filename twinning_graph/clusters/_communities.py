"""Communities of towns: detection, description, national islands."""

from __future__ import annotations

import logging
import math
import random

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._errors import ValidationError
from twinning_graph._validate import check_int
from twinning_graph.clusters._common import (
    Data,
    check_seed,
    number_by_size,
    towns_and_adjacency,
)
from twinning_graph.clusters._louvain import louvain_labels

__all__ = ["communities", "community_table", "national_islands", "resolve_communities"]

logger = logging.getLogger(__name__)

#: A community is a *national island* when at least this share of its towns lie in one
#: country. 0.9 tolerates the odd foreign town in an otherwise national cluster.
NATIONAL_ISLAND_SHARE = 0.9
#: Values of ``communities(method=...)``.
METHODS = ("auto", "louvain", "leiden", "networkx")


def communities(
    data: Data, *, seed: int | None = 0, resolution: float = 1.0, method: str = "auto"
) -> pd.Series:
    """Detect communities of towns by modularity optimisation.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    seed
        Random seed; the same seed on the same data gives the same communities, whatever
        the order of the towns in the input. ``None`` draws a fresh partition every call.
    resolution
        Modularity resolution γ: above 1 favours more, smaller communities; below 1
        fewer, larger ones.
    method
        ``"auto"`` (default) is ``"louvain"``, in every install.

        ``"louvain"``
            The built-in Louvain: whole-array numpy/scipy code on the sparse adjacency
            matrix, with a multilevel refinement, and communities split into their
            connected parts (as Leiden guarantees). About 1 s on 100,000 towns and
            250,000 links (less than igraph's Leiden), with modularity within 1 % of it
            (:mod:`twinning_graph.clusters._louvain`, docs/performance.md).
        ``"leiden"``
            igraph's Leiden; needs python-igraph (``pip install twinning-graph[fast]``,
            GPL-licensed, so optional).
        ``"networkx"``
            networkx's Louvain (pure Python: about a minute on 100,000 towns); a
            reference implementation.

        All maximise weighted modularity (edge weight = number of partnerships linking
        the pair); they find similar but not identical partitions.

    Returns
    -------
    pandas.Series
        ``town_id`` → community number (int64), named ``community``. Communities are
        numbered by size (0 is the largest), ties by their smallest ``town_id``. Towns
        without partners get ``-1``.

    Raises
    ------
    ValidationError
        For an unknown ``method`` or a bad ``resolution``/``seed``.
    ImportError
        ``method="leiden"`` without igraph installed.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import clusters
    >>> data = tg.load()
    >>> comm = clusters.communities(data, seed=0)
    >>> comm.equals(clusters.communities(data, seed=0))
    True
    >>> int(comm.value_counts().index[0])
    0
    """
    if method not in METHODS:
        raise ValidationError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    if method == "auto":
        method = "louvain"
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, (int, float))
        or not math.isfinite(resolution)
        or resolution <= 0
    ):
        raise ValidationError(f"resolution must be a positive number, got {resolution!r}")
    seed = check_seed(seed)
    towns, A = towns_and_adjacency(data, weighted=True)
    index = towns.index
    linked = np.diff(A.indptr) > 0
    if not linked.any():
        return pd.Series(-1, index=index, dtype="int64", name="community").rename_axis("town_id")
    # the linked towns in sorted id order, so the result depends on the seed alone, not
    # on the order of the input rows
    nodes = np.flatnonzero(linked)
    nodes = nodes[np.argsort(index.to_numpy(dtype=object)[nodes], kind="stable")]
    sub = sp.csr_array(A[nodes][:, nodes])
    if method == "louvain":
        part = louvain_labels(sub, resolution=float(resolution), seed=seed)
    elif method == "leiden":
        part = _leiden(sub, seed=seed, resolution=float(resolution))
    else:
        part = _networkx_louvain(sub, seed=seed, resolution=float(resolution))
    labels = np.full(len(index), -1, dtype=np.int64)
    labels[nodes] = part
    out = number_by_size(labels, index, "community")
    logger.info(
        "%s: %d communities over %d linked towns", method, out.max() + 1, int((out >= 0).sum())
    )
    return out


def _networkx_louvain(A: sp.csr_array, *, seed: int | None, resolution: float) -> np.ndarray:
    """networkx's Louvain on the sparse matrix (nodes ``0..n-1`` inserted in order)."""
    G = nx.from_scipy_sparse_array(A, edge_attribute="weight")
    groups = nx.community.louvain_communities(G, weight="weight", resolution=resolution, seed=seed)
    labels = np.empty(A.shape[0], dtype=np.int64)
    for j, g in enumerate(groups):  # one step per community (a few hundred), not per town
        labels[np.fromiter(g, dtype=np.int64, count=len(g))] = j
    return labels


def _leiden(A: sp.csr_array, *, seed: int | None, resolution: float) -> np.ndarray:
    try:
        import igraph as ig
    except ImportError as exc:
        raise ImportError(
            "method='leiden' needs the optional package python-igraph: "
            "pip install twinning-graph[fast]  (or use the default method='auto')"
        ) from exc
    upper = sp.triu(A, k=1).tocoo()
    g = ig.Graph(n=A.shape[0], edges=np.column_stack([upper.row, upper.col]))
    g.es["weight"] = upper.data.astype(float)
    # igraph draws from one global generator: seed it for this call, then restore it
    ig.set_random_number_generator(random.Random(seed))
    try:
        part = g.community_leiden(
            objective_function="modularity", weights="weight", resolution=resolution, n_iterations=2
        )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(part.membership, dtype=np.int64)


def resolve_communities(
    data: Data, comms: pd.Series | None, seed: int | None, towns: pd.DataFrame
) -> pd.Series:
    """The communities a table function was given, checked, or detected with ``seed``."""
    if comms is None:
        return communities(data, seed=seed)
    if not isinstance(comms, pd.Series):
        raise ValidationError(
            f"communities must be a pandas Series (town_id -> community) such as "
            f"tg.communities(data) returns, got {type(comms).__name__}"
        )
    unknown = comms.index.difference(towns.index)
    if len(unknown):
        raise ValidationError(
            f"communities has {len(unknown)} town id(s) not in the data, e.g. "
            f"{list(unknown[:3])}; pass the Series returned by communities(data)"
        )
    return comms.reindex(towns.index, fill_value=-1).astype("int64")


def community_table(
    data: Data, communities: pd.Series | None = None, *, seed: int | None = 0, towns_listed: int = 3
) -> pd.DataFrame:
    """Describe each community: size, countries, dominant country, largest towns.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    communities
        From :func:`communities`; computed with ``communities(data, seed=seed)`` when omitted.
    seed
        Seed used when ``communities`` is omitted.
    towns_listed
        How many of the most populous towns to list per community.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``community`` (towns labelled ``-1``, i.e. without partners, are left
        out), columns:

        ``size``
            Number of towns.
        ``links``
            Town links inside the community.
        ``countries``
            Number of distinct countries.
        ``dominant_country``, ``dominant_share``
            The country with most towns (ties: first code alphabetically) and its share.
        ``effective_countries``
            ``exp(H)`` with ``H = -Σ p_c ln p_c`` over the country shares ``p_c``: the
            number of equally represented countries that would give the same diversity
            (1 for a one-country community, 2 for a 50/50 binational one).
        ``largest_towns``
            Names of the ``towns_listed`` most populous towns (unknown populations last),
            ``'; '``-joined.
        ``eu_share``
            Share of towns in an EU Member State.
        ``national_island``
            ``dominant_share >= NATIONAL_ISLAND_SHARE`` (0.9).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import clusters
    >>> table = clusters.community_table(tg.load(), seed=0)
    >>> table.columns.tolist()[:4]
    ['size', 'links', 'countries', 'dominant_country']
    >>> bool((table["effective_countries"] <= table["countries"] + 1e-9).all())
    True
    """
    towns_listed = check_int(towns_listed, "towns_listed", minimum=0)
    towns, A = towns_and_adjacency(data)
    comm = resolve_communities(data, communities, seed, towns)
    t = towns.assign(community=comm.to_numpy())
    t = t[t["community"] >= 0]
    g = t.groupby("community", sort=True)
    size = g.size()
    counts = t.groupby(["community", "country"], sort=True).size().rename("n").reset_index()
    counts["p"] = counts["n"] / counts["community"].map(size)
    # dominant country: most towns, ties to the first code alphabetically (stable sort)
    dom = (
        counts.sort_values(
            ["community", "n", "country"], ascending=[True, False, True], kind="stable"
        )
        .drop_duplicates("community")
        .set_index("community")
    )
    entropy = (-(counts["p"] * np.log(counts["p"]))).groupby(counts["community"]).sum()
    # links inside each community, from the adjacency (each link is stored twice)
    lab = comm.to_numpy()
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    same = (lab[rows] == lab[A.indices]) & (lab[rows] >= 0) & (rows != A.indices)
    links = (pd.Series(lab[rows[same]]).value_counts() // 2).reindex(size.index, fill_value=0)
    ranked = t.assign(_pop=t["population"].astype("Float64").fillna(-1.0)).sort_values(
        ["community", "_pop", "name"], ascending=[True, False, True], kind="stable"
    )
    largest = (
        ranked.groupby("community").head(towns_listed).groupby("community")["name"].agg("; ".join)
    )
    out = pd.DataFrame(
        {
            "size": size.astype("int64"),
            "links": links.astype("int64"),
            "countries": g["country"].nunique().astype("int64"),
            "dominant_country": dom["country"].astype(str),
            "dominant_share": dom["p"].astype(float),
            "effective_countries": np.exp(entropy).astype(float),
            "largest_towns": largest.reindex(size.index, fill_value="").astype(str),
            "eu_share": g["eu"].mean().astype(float),
        }
    )
    out["national_island"] = out["dominant_share"] >= NATIONAL_ISLAND_SHARE
    out.index.name = "community"
    return out


def national_islands(
    data: Data, communities: pd.Series | None = None, *, seed: int | None = 0, min_size: int = 1
) -> pd.DataFrame:
    """Communities that stay inside one country (dominant share ≥ 0.9).

    Parameters
    ----------
    data, communities, seed
        As for :func:`community_table`.
    min_size
        Leave out communities with fewer towns (a linked pair of two towns of one
        country is trivially "national").

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`community_table` with ``national_island`` true, largest first.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import clusters
    >>> islands = clusters.national_islands(tg.load(), seed=0, min_size=10)
    >>> bool((islands["dominant_share"] >= 0.9).all())
    True
    """
    table = community_table(data, communities, seed=seed)
    out = table[table["national_island"] & (table["size"] >= min_size)]
    return out.sort_values(["size", "dominant_country"], ascending=[False, True], kind="stable")
