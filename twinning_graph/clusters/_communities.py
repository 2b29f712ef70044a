"""Communities, components, cores, brokers and bridges of the town network.

Every function takes a :class:`~twinning_graph.TwinningData` or a town graph and returns
pandas objects indexed by ``town_id`` (towns) or by community number (communities).

Community numbers are deterministic: communities are numbered ``0, 1, 2, ...`` by size,
largest first, ties broken by the smallest ``town_id`` they contain. Towns without any
partner belong to no community and get the label ``-1`` (a lone town is not a cluster);
:func:`components` by contrast gives every unlinked town its own component, as graph
theory does.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterable
from typing import Any, TypeAlias

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from twinning_graph._errors import ValidationError
from twinning_graph.graph import adjacency, as_frames
from twinning_graph.io import TwinningData

__all__ = [
    "communities",
    "community_table",
    "components",
    "core_number",
    "k_core",
    "brokers",
    "bridges",
    "national_islands",
    "NATIONAL_ISLAND_SHARE",
    "EXACT_BETWEENNESS_MAX_NODES",
    "BETWEENNESS_SAMPLE",
]

logger = logging.getLogger(__name__)

#: A community is a *national island* when at least this share of its towns lie in one
#: country. 0.9 tolerates the odd foreign town in an otherwise national cluster.
NATIONAL_ISLAND_SHARE = 0.9
#: :func:`brokers` computes exact betweenness up to this many towns, a sampled estimate above.
EXACT_BETWEENNESS_MAX_NODES = 5000
#: Number of source towns sampled by :func:`brokers` for graphs above the exact limit.
BETWEENNESS_SAMPLE = 1000
METHODS = ("louvain", "leiden", "auto")
Data: TypeAlias = TwinningData | nx.Graph


# --------------------------------------------------------------------------- helpers


def _check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValidationError(f"seed must be an integer or None, got {seed!r}")
    return int(seed)


def _linked_graph(towns: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
    """Weighted graph of the linked towns, nodes and edges inserted in sorted order.

    Insertion order matters to Louvain (it shuffles ``list(G)`` with the seed), so a
    sorted order makes the result depend on the seed alone, not on how the data came in.
    """
    e = edges.sort_values(["town_a", "town_b"])
    G = nx.Graph()
    G.add_nodes_from(sorted(set(e["town_a"]) | set(e["town_b"])))
    G.add_weighted_edges_from(zip(e["town_a"], e["town_b"], e["weight"].astype(float), strict=True))
    return G


def _number_groups(
    groups: Iterable[Iterable[str]], index: pd.Index, name: str, missing: int = -1
) -> pd.Series:
    """Label towns by group, groups numbered by size (largest first), then smallest id."""
    ordered: list[list[str]] = sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0]))
    sizes = np.fromiter((len(g) for g in ordered), dtype=np.int64, count=len(ordered))
    ids: Any = np.concatenate([np.asarray(g, dtype=object) for g in ordered]) if ordered else []
    labels = pd.Series(
        np.repeat(np.arange(len(ordered), dtype=np.int64), sizes), index=pd.Index(ids, dtype=str)
    )
    out = labels.reindex(index, fill_value=missing).astype("int64")
    out.index.name = "town_id"
    return out.rename(name)


def _resolve_communities(
    data: Data, comms: pd.Series | None, seed: int | None, towns: pd.DataFrame
) -> pd.Series:
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


# --------------------------------------------------------------------------- communities


def communities(
    data: Data, *, seed: int | None = 0, resolution: float = 1.0, method: str = "louvain"
) -> pd.Series:
    """Detect communities of towns by modularity optimisation.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    seed
        Random seed; the same seed on the same data gives the same communities.
        ``None`` draws a fresh partition every call.
    resolution
        Modularity resolution γ: above 1 favours more, smaller communities; below 1
        fewer, larger ones.
    method
        ``"louvain"`` (networkx, always available), ``"leiden"`` (igraph's Leiden,
        ``pip install twinning-graph[fast]``; about 10x faster on 100,000 towns, and its
        communities are guaranteed to be connected) or ``"auto"`` (Leiden when igraph is
        installed, else Louvain). Both maximise weighted modularity (edge weight = number
        of partnerships linking the pair); they find similar but not identical partitions.

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
        method = "leiden" if _fast_available() else "louvain"
    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, (int, float))
        or not math.isfinite(resolution)
        or resolution <= 0
    ):
        raise ValidationError(f"resolution must be a positive number, got {resolution!r}")
    seed = _check_seed(seed)
    towns, edges = as_frames(data)
    if len(edges) == 0:
        return pd.Series(-1, index=towns.index, dtype="int64", name="community")
    if method == "leiden":
        groups = _leiden(edges, seed=seed, resolution=float(resolution))
    else:
        G = _linked_graph(towns, edges)
        groups = nx.community.louvain_communities(
            G, weight="weight", resolution=resolution, seed=seed
        )
    out = _number_groups(groups, towns.index, "community")
    logger.info(
        "%s: %d communities over %d linked towns", method, out.max() + 1, int((out >= 0).sum())
    )
    return out


def _leiden(edges: pd.DataFrame, *, seed: int | None, resolution: float) -> list[list[str]]:
    try:
        import igraph as ig
    except ImportError as exc:
        raise ImportError(
            "method='leiden' needs the optional package python-igraph: "
            "pip install twinning-graph[fast]  (or use method='louvain')"
        ) from exc
    e = edges.sort_values(["town_a", "town_b"])
    nodes = pd.Index(sorted(set(e["town_a"]) | set(e["town_b"])))
    g = ig.Graph(
        n=len(nodes),
        edges=np.column_stack(
            [nodes.get_indexer(e["town_a"]), nodes.get_indexer(e["town_b"])]
        ).tolist(),
    )
    g.es["weight"] = e["weight"].astype(float).tolist()
    # igraph draws from one global generator: seed it for this call, then restore it
    ig.set_random_number_generator(random.Random(seed))
    try:
        part = g.community_leiden(
            objective_function="modularity", weights="weight", resolution=resolution, n_iterations=2
        )
    finally:
        ig.set_random_number_generator(random)
    membership = np.asarray(part.membership)
    return [
        list(nodes[idx])
        for idx in pd.Series(np.arange(len(nodes))).groupby(membership).indices.values()
    ]


def _fast_available() -> bool:
    try:
        import igraph  # noqa: F401
    except ImportError:
        return False
    return True


def community_table(
    data: Data, communities: pd.Series | None = None, *, seed: int | None = 0, top: int = 3
) -> pd.DataFrame:
    """Describe each community: size, countries, dominant country, largest towns.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    communities
        From :func:`communities`; computed with Louvain and ``seed`` when omitted.
    seed
        Seed used when ``communities`` is omitted.
    top
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
            Names of the ``top`` most populous towns (unknown populations last),
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
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0:
        raise ValidationError(f"top must be a non-negative integer, got {top!r}")
    towns, edges = as_frames(data)
    comm = _resolve_communities(data, communities, seed, towns)
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
    ca = edges["town_a"].map(comm)
    inside = edges[(ca == edges["town_b"].map(comm)).to_numpy() & (ca >= 0).to_numpy()]
    links = inside["town_a"].map(comm).value_counts().reindex(size.index, fill_value=0)
    ranked = t.assign(_pop=t["population"].astype("Float64").fillna(-1.0)).sort_values(
        ["community", "_pop", "name"], ascending=[True, False, True], kind="stable"
    )
    largest = ranked.groupby("community").head(top).groupby("community")["name"].agg("; ".join)
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


# --------------------------------------------------------------------------- structure


def components(data: Data) -> pd.Series:
    """Connected components of the town network.

    Returns
    -------
    pandas.Series
        ``town_id`` → component number (int64), named ``component``: 0 is the largest
        component, ties broken by the smallest ``town_id``. A town without partners is a
        component of its own.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import clusters
    >>> comp = clusters.components(tg.load())
    >>> int(comp.value_counts().idxmax())
    0
    """
    towns, edges = as_frames(data)
    A, index = adjacency(towns, edges)
    n, labels = connected_components(A, directed=False)
    size = np.bincount(labels, minlength=n)
    # rank of each town id in sorted order; a component's tie-break is its smallest rank
    ranks = np.empty(len(index), dtype=np.int64)
    ranks[np.argsort(index.to_numpy(dtype=object), kind="stable")] = np.arange(len(index))
    first = np.full(n, len(index), dtype=np.int64)
    np.minimum.at(first, labels, ranks)
    rank = np.lexsort((first, -size))  # components in their final order
    new = np.empty(n, dtype=np.int64)
    new[rank] = np.arange(n)
    return pd.Series(new[labels], index=index, name="component").rename_axis("town_id")


def core_number(data: Data) -> pd.Series:
    """Core number of every town (the largest k whose k-core contains it; 0 if unlinked).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import clusters
    >>> int(clusters.core_number(tg.load()).max()) >= 3
    True
    """
    towns, edges = as_frames(data)
    G = _linked_graph(towns, edges)
    core = pd.Series(nx.core_number(G), dtype="int64")
    out = core.reindex(towns.index, fill_value=0).astype("int64").rename("core_number")
    out.index.name = "town_id"
    return out


def k_core(data: Data, k: int) -> pd.DataFrame:
    """Towns of the k-core: the largest subnetwork in which every town has ≥ k partners.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    k
        Minimum number of partners inside the core (≥ 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``town_id``: name, country, partners (all partners), core_number;
        sorted by core number (highest first), then town_id.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import clusters
    >>> core = clusters.k_core(tg.load(), 5)
    >>> bool((core["core_number"] >= 5).all())
    True
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValidationError(f"k must be an integer >= 1, got {k!r}")
    towns, edges = as_frames(data)
    core = core_number(data)
    deg = pd.concat([edges["town_a"], edges["town_b"]]).value_counts()
    keep = core[core >= k]
    out = towns.loc[keep.index, ["name", "country"]].assign(
        partners=deg.reindex(keep.index, fill_value=0).astype("int64").to_numpy(),
        core_number=keep.to_numpy(),
    )
    out = out.reset_index().sort_values(["core_number", "town_id"], ascending=[False, True])
    return out.set_index("town_id")


def _betweenness_sums(A: sp.csr_array, sources: np.ndarray, *, batch: int = 128) -> np.ndarray:
    """Brandes dependency sums over ``sources`` for an unweighted undirected graph.

    Breadth-first searches from a batch of sources run together as sparse-matrix × dense-matrix
    products, level by level (the algebraic form of Brandes' algorithm), so the work is whole
    arrays rather than a Python loop over nodes. Returns, for every node v, the sum over the
    sources s of the dependency delta_s(v) (sources excluded), as in Brandes (2001).
    """
    n = A.shape[0]
    A = A.astype(np.float64)
    total = np.zeros(n)
    # loop over batches of sources (n / batch iterations), each batch vectorised
    for start in range(0, len(sources), batch):
        src = sources[start : start + batch]
        b = len(src)
        cols = np.arange(b)
        sigma = np.zeros((n, b))
        sigma[src, cols] = 1.0
        seen = np.zeros((n, b), dtype=bool)
        seen[src, cols] = True
        frontier = seen.copy()
        levels = [frontier]
        while True:  # one iteration per BFS level (the graph's eccentricity), not per node
            paths = A @ (sigma * frontier)
            new = (paths > 0) & ~seen
            if not new.any():
                break
            sigma[new] = paths[new]
            seen |= new
            frontier = new
            levels.append(new)
        delta = np.zeros((n, b))
        for d in range(len(levels) - 1, 0, -1):
            mask = levels[d]
            coef = np.where(mask, (1.0 + delta) / np.where(sigma > 0, sigma, 1.0), 0.0)
            delta += np.where(levels[d - 1], sigma * (A @ coef), 0.0)
        delta[src, cols] = 0.0
        total += delta.sum(axis=1)
    return total


def brokers(
    data: Data, *, top: int | None = 20, sample: int | None = None, seed: int | None = 0
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
    top
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
    >>> b = clusters.brokers(tg.load(), top=5, sample=20)
    >>> b.columns.tolist()
    ['name', 'country', 'partners', 'betweenness']
    """
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1
    ):
        raise ValidationError(f"top must be a positive integer or None, got {top!r}")
    seed = _check_seed(seed)
    towns, edges = as_frames(data)
    n = len(towns)
    if sample is None:
        k = None if n <= EXACT_BETWEENNESS_MAX_NODES else BETWEENNESS_SAMPLE
    elif isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 1:
        raise ValidationError(f"sample must be a positive integer or None, got {sample!r}")
    else:
        k = int(sample) if sample < n else None
    A, _ = adjacency(towns, edges)
    A = A.astype(bool).astype(np.float64)
    A.setdiag(0)
    A.eliminate_zeros()
    if k is None:
        sources = np.arange(n)
    else:  # Brandes & Pich (2007): uniform random sources, scaled by n / k
        sources = np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))
    raw = _betweenness_sums(A.tocsr(), sources)
    # networkx's normalisation for undirected graphs: 1 / ((n-1)(n-2)), times n/k when sampled
    scale = 1.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    if k is not None:
        scale *= n / k
    score = pd.Series(raw * scale, index=towns.index)
    deg = pd.concat([edges["town_a"], edges["town_b"]]).value_counts()
    out = towns[["name", "country"]].assign(
        partners=deg.reindex(towns.index, fill_value=0).astype("int64").to_numpy(),
        betweenness=score.to_numpy(),
    )
    out = out.reset_index().sort_values(["betweenness", "town_id"], ascending=[False, True])
    out = out.set_index("town_id")
    if top is not None:
        out = out.head(top)
    out.attrs["sample"] = k
    return out


def bridges(
    data: Data,
    communities: pd.Series | None = None,
    *,
    seed: int | None = 0,
    by: str = "pair",
    top: int = 3,
) -> pd.DataFrame:
    """Links between communities, per community pair or per town.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    communities
        From :func:`communities`; Louvain with ``seed`` when omitted.
    seed
        Seed used when ``communities`` is omitted.
    by
        ``"pair"``: one row per linked pair of communities; ``"town"``: one row per town
        holding at least one link to another community.
    top
        With ``by="pair"``, how many of the towns holding most of the pair's links to list.

    Returns
    -------
    pandas.DataFrame
        ``by="pair"``: columns community_a < community_b, links (town links between the
        two), partnerships (sum of link weights), countries (distinct countries of the
        towns at either end), main_country_pair (the most common pair of countries among
        these links, e.g. ``"DE-PL"``), main_country_pair_share, top_towns (``town_id`` s
        holding most of these links, ``'; '``-joined); most links first.
        ``by="town"``: indexed by ``town_id``: name, country, community, inter_links (links
        to towns of other communities), communities_reached; most inter_links first.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import clusters
    >>> data = tg.load()
    >>> comm = clusters.communities(data, seed=0)
    >>> pairs = clusters.bridges(data, comm)
    >>> bool((pairs["community_a"] < pairs["community_b"]).all())
    True
    >>> clusters.bridges(data, comm, by="town").columns.tolist()
    ['name', 'country', 'community', 'inter_links', 'communities_reached']
    """
    if by not in ("pair", "town"):
        raise ValidationError(f"unknown by={by!r}; allowed: 'pair', 'town'")
    towns, edges = as_frames(data)
    comm = _resolve_communities(data, communities, seed, towns)
    ca = edges["town_a"].map(comm).to_numpy()
    cb = edges["town_b"].map(comm).to_numpy()
    cross = (ca != cb) & (ca >= 0) & (cb >= 0)
    e = edges.loc[cross, ["town_a", "town_b", "weight"]].assign(ca=ca[cross], cb=cb[cross])
    if by == "town":
        ends = pd.concat(
            [
                pd.DataFrame({"town_id": e["town_a"], "other": e["cb"]}),
                pd.DataFrame({"town_id": e["town_b"], "other": e["ca"]}),
            ]
        )
        g = ends.groupby("town_id")
        out = towns.loc[g.size().index, ["name", "country"]].assign(
            community=comm.reindex(g.size().index).to_numpy(),
            inter_links=g.size().astype("int64").to_numpy(),
            communities_reached=g["other"].nunique().astype("int64").to_numpy(),
        )
        out = out.reset_index().sort_values(["inter_links", "town_id"], ascending=[False, True])
        return out.set_index("town_id")
    lo, hi = np.minimum(e["ca"], e["cb"]), np.maximum(e["ca"], e["cb"])
    e = e.assign(community_a=lo.to_numpy(), community_b=hi.to_numpy())
    country = towns["country"]
    xa, xb = e["town_a"].map(country).to_numpy(), e["town_b"].map(country).to_numpy()
    e["cpair"] = np.where(xa <= xb, xa + "-" + xb, xb + "-" + xa)
    key = ["community_a", "community_b"]
    g = e.groupby(key, sort=True)
    out = pd.DataFrame(
        {"links": g.size().astype("int64"), "partnerships": g["weight"].sum().astype("int64")}
    )
    ends = pd.concat(
        [
            e[key].assign(town_id=e["town_a"].to_numpy()),
            e[key].assign(town_id=e["town_b"].to_numpy()),
        ],
        ignore_index=True,
    )
    ends["country"] = ends["town_id"].map(country).to_numpy()
    out["countries"] = ends.groupby(key)["country"].nunique().astype("int64")
    cp = (
        e.groupby([*key, "cpair"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values([*key, "n", "cpair"], ascending=[True, True, False, True], kind="stable")
    )
    cp = cp.drop_duplicates(key).set_index(key)
    out["main_country_pair"] = cp["cpair"].astype(str)
    out["main_country_pair_share"] = (cp["n"] / out["links"]).astype(float)
    held = (
        ends.groupby([*key, "town_id"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values([*key, "n", "town_id"], ascending=[True, True, False, True], kind="stable")
    )
    out["top_towns"] = held.groupby(key).head(top).groupby(key)["town_id"].agg("; ".join)
    out = out.reset_index().sort_values(["links", *key], ascending=[False, True, True])
    return out.reset_index(drop=True)
