"""Brokers: towns on many shortest paths between other towns (betweenness centrality)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._validate import check_int
from twinning_graph.clusters._common import Data, check_seed, towns_and_adjacency

__all__ = ["brokers", "EXACT_BETWEENNESS_MAX_NODES", "BETWEENNESS_SAMPLE"]

#: :func:`brokers` computes exact betweenness up to this many towns, a sampled estimate above.
EXACT_BETWEENNESS_MAX_NODES = 5000
#: Number of source towns sampled by :func:`brokers` for graphs above the exact limit.
BETWEENNESS_SAMPLE = 1000
#: Towns × sources held at once by the batched Brandes algorithm. The working arrays take
#: about 60 bytes per cell, so this bounds their memory to about 60 MB at any network
#: size or shape (a batch has ``BATCH_CELLS // towns`` sources, at least 8). Larger
#: batches are not faster: at 100,000 towns, 10 sources per batch (this value) took
#: 2.7 s of CPU for 100 sources, 41 per batch 3.1 s, 167 per batch 3.6 s.
BATCH_CELLS = 1 << 20


def betweenness_sums(A: sp.csr_array, sources: np.ndarray) -> np.ndarray:
    """Brandes dependency sums over ``sources`` for an unweighted undirected graph.

    Breadth-first searches from a batch of sources run together as sparse-matrix × dense-matrix
    products, level by level (the algebraic form of Brandes' algorithm), so the work is whole
    arrays rather than a Python loop over nodes. Returns, for every node v, the sum over the
    sources s of the dependency delta_s(v) (sources excluded), as in Brandes (2001).

    Memory: a batch holds ``BATCH_CELLS`` (towns × sources) cells whatever the degrees, and
    the BFS level of each cell is kept as one int16 instead of one mask per level.
    """
    n = A.shape[0]
    A = sp.csr_array(A, dtype=np.float64)
    batch = max(8, BATCH_CELLS // max(n, 1))
    total = np.zeros(n)
    # loop over batches of sources (len(sources) / batch iterations), each batch vectorised
    for start in range(0, len(sources), batch):
        src = sources[start : start + batch]
        b = len(src)
        cols = np.arange(b)
        dist = np.full((n, b), -1, dtype=np.int16)
        dist[src, cols] = 0
        sigma = np.zeros((n, b))
        sigma[src, cols] = 1.0
        front = sigma.copy()  # path counts on the current BFS level, 0 elsewhere
        depth = 0
        # whole-array arithmetic with masks (copyto/multiply with where=) rather than
        # boolean indexing, which gathers and scatters every cell
        while True:  # one iteration per BFS level (the graph's eccentricity), not per node
            paths = A @ front
            new = dist < 0
            new &= paths > 0
            if not new.any():
                break
            depth += 1
            np.copyto(dist, depth, where=new)
            np.multiply(paths, new, out=front)
            sigma += front
        del paths, new, front
        inv_sigma = np.divide(1.0, sigma, out=np.zeros((n, b)), where=sigma > 0)
        delta = np.zeros((n, b))
        coef = np.empty((n, b))
        for d in range(depth, 0, -1):
            # coef = (1 + delta) / sigma on level d, 0 elsewhere
            np.add(delta, 1.0, out=coef)
            coef *= inv_sigma
            coef *= dist == d
            back = A @ coef
            back *= sigma
            np.add(delta, back, out=delta, where=dist == d - 1)
        delta[src, cols] = 0.0
        total += delta.sum(axis=1)
    return total


def brokers(
    data: Data, *, n: int | None = 20, sample: int | None = None, seed: int | None = 0
) -> pd.DataFrame:
    """Towns that lie on many shortest paths between other towns (betweenness).

    Betweenness counts hops (edges are not weighted) and is normalised by
    ``(n-1)(n-2)/2`` for ``n`` towns, as :func:`networkx.betweenness_centrality`; it is
    computed with Brandes' algorithm run for batches of sources at once as sparse matrix
    products (exact results equal networkx's, checked in the tests).

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    n
        Number of towns returned (``None``: all).
    sample
        Number of source towns sampled (Brandes–Pich estimate). ``None`` (default): exact
        for networks of up to ``EXACT_BETWEENNESS_MAX_NODES`` (5,000) towns, else
        ``BETWEENNESS_SAMPLE`` (1,000) sources: about 5 s on the bundled network
        (12,352 towns), where the exact computation takes about a minute. The
        estimate is unbiased and its standard error shrinks like ``1/sqrt(sample)``;
        the leading brokers are stable, but the order of near-ties can change with
        ``seed`` — run two seeds to see which ranks are firm.
    seed
        Seed of the source sample (ignored when exact).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``town_id``, highest betweenness first: name, country, partners,
        betweenness. ``attrs["sample"]`` holds the number of sources used (``None``
        when exact).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import clusters
    >>> b = clusters.brokers(tg.load(), n=5, sample=20)
    >>> b.columns.tolist()
    ['name', 'country', 'partners', 'betweenness']
    """
    if n is not None:
        n = check_int(n, "n", minimum=1)
    seed = check_seed(seed)
    towns, A = towns_and_adjacency(data)
    size = len(towns)
    if sample is None:
        k = None if size <= EXACT_BETWEENNESS_MAX_NODES else BETWEENNESS_SAMPLE
    else:
        sample = check_int(sample, "sample", minimum=1)
        k = sample if sample < size else None
    A = sp.csr_array(A.astype(bool), dtype=np.float64)
    A.setdiag(0)
    A.eliminate_zeros()
    if k is None:
        sources = np.arange(size)
    else:  # Brandes & Pich (2007): uniform random sources, scaled by size / k
        sources = np.sort(np.random.default_rng(seed).choice(size, size=k, replace=False))
    raw = betweenness_sums(A, sources)
    # networkx's normalisation for undirected graphs: 1 / ((n-1)(n-2)), times n/k when sampled
    scale = 1.0 / ((size - 1) * (size - 2)) if size > 2 else 0.0
    if k is not None:
        scale *= size / k
    score = pd.Series(raw * scale, index=towns.index)
    out = towns[["name", "country"]].assign(
        partners=np.diff(A.indptr).astype("int64"),
        betweenness=score.to_numpy(),
    )
    out = out.reset_index().sort_values(["betweenness", "town_id"], ascending=[False, True])
    out = out.set_index("town_id")
    if n is not None:
        out = out.head(n)
    out.attrs["sample"] = k
    return out
