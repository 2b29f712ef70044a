"""Structure of the town network: components, cores and the links between communities."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from twinning_graph._errors import ValidationError
from twinning_graph.clusters._common import Data, number_by_size, towns_and_adjacency
from twinning_graph.clusters._communities import resolve_communities
from twinning_graph.graph import as_data

__all__ = ["components", "core_number", "k_core", "bridges"]


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
    towns, A = towns_and_adjacency(data)
    _, labels = connected_components(A, directed=False)
    return number_by_size(labels, towns.index, "component")


def core_number(data: Data) -> pd.Series:
    """Core number of every town (the largest k whose k-core contains it; 0 if unlinked).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph import clusters
    >>> int(clusters.core_number(tg.load()).max()) >= 3
    True
    """
    towns, A = towns_and_adjacency(data)
    G = nx.from_scipy_sparse_array(sp.csr_array(A.astype(bool)))
    G.remove_edges_from(nx.selfloop_edges(G))
    core = np.fromiter((c for _, c in sorted(nx.core_number(G).items())), dtype=np.int64)
    return pd.Series(core, index=towns.index, name="core_number").rename_axis("town_id")


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
    towns, A = towns_and_adjacency(data)
    core = core_number(data)
    deg = pd.Series(np.diff(A.indptr), index=towns.index)
    keep = core[core >= k]
    out = towns.loc[keep.index, ["name", "country"]].assign(
        partners=deg.loc[keep.index].astype("int64").to_numpy(),
        core_number=keep.to_numpy(),
    )
    out = out.reset_index().sort_values(["core_number", "town_id"], ascending=[False, True])
    return out.set_index("town_id")


def bridges(
    data: Data,
    communities: pd.Series | None = None,
    *,
    seed: int | None = 0,
    by: str = "pair",
    towns_listed: int = 3,
) -> pd.DataFrame:
    """Links between communities, per community pair or per town.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    communities
        From :func:`communities`; computed with ``communities(data, seed=seed)`` when omitted.
    seed
        Seed used when ``communities`` is omitted.
    by
        ``"pair"``: one row per linked pair of communities; ``"town"``: one row per town
        holding at least one link to another community.
    towns_listed
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
    data = as_data(data)
    towns, edges = data.towns, data.edges
    comm = resolve_communities(data, communities, seed, towns)
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
    out["top_towns"] = held.groupby(key).head(towns_listed).groupby(key)["town_id"].agg("; ".join)
    out = out.reset_index().sort_values(["links", *key], ascending=[False, True, True])
    return out.reset_index(drop=True)
