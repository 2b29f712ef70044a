"""Tests of twinning_graph.clusters on tiny networks whose answers are worked out by hand."""

from __future__ import annotations

import math
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph import clusters
from twinning_graph.cli import main


@pytest.fixture
def two_triangles():
    """Triangle a-b-c (DE, DE, NO) joined by c-d to triangle d-e-f (PL, PL, PL); a linked
    pair h-i (IT) apart; g (IT) without partners. Synthetic data."""
    towns = pd.DataFrame(
        {
            "town_id": list("abcdefghi"),
            "name": ["A", "B", "C", "D", "E", "F", "G", "H", "I"],
            "country": ["DE", "DE", "NO", "PL", "PL", "PL", "IT", "IT", "IT"],
            "lat": [52.0, 52.1, 59.9, 52.2, 52.3, 52.4, 45.0, 45.1, 45.2],
            "lon": [13.0, 13.1, 10.7, 21.0, 21.1, 21.2, 9.0, 9.1, 9.2],
            "population": [100, 300, 200, 50, None, 70, 10, 20, 30],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["a", "a", "b", "d", "d", "e", "c", "h"],
            "town_b": ["b", "c", "c", "e", "f", "f", "d", "i"],
        }
    )
    return tg.load(towns=towns, partnerships=links)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 7, 42])
def test_louvain_splits_two_triangles(two_triangles, seed):
    comm = clusters.communities(two_triangles, seed=seed)
    assert comm.name == "community"
    assert comm.to_dict() == {
        "a": 0,
        "b": 0,
        "c": 0,
        "d": 1,
        "e": 1,
        "f": 1,
        "g": -1,
        "h": 2,
        "i": 2,
    }


def test_leiden_same_form(two_triangles):
    pytest.importorskip("igraph")
    comm = clusters.communities(two_triangles, seed=0, method="leiden")
    assert comm.to_dict() == clusters.communities(two_triangles, seed=0).to_dict()


def test_leiden_same_seed_same_result(bundled):
    pytest.importorskip("igraph")
    first = clusters.communities(bundled, seed=5, method="leiden")
    assert first.equals(clusters.communities(bundled, seed=5, method="leiden"))


def test_leiden_missing_says_how_to_install(two_triangles, monkeypatch):
    monkeypatch.setitem(sys.modules, "igraph", None)
    with pytest.raises(ImportError, match=r"pip install twinning-graph\[fast\]"):
        clusters.communities(two_triangles, method="leiden")
    # the default never needs igraph
    assert clusters.communities(two_triangles, seed=0)["a"] == 0


@pytest.mark.parametrize("method", ["auto", "louvain", "networkx"])
def test_every_default_install_method_splits_two_triangles(two_triangles, method):
    comm = clusters.communities(two_triangles, seed=1, method=method)
    assert comm.to_dict() == {
        "a": 0,
        "b": 0,
        "c": 0,
        "d": 1,
        "e": 1,
        "f": 1,
        "g": -1,
        "h": 2,
        "i": 2,
    }


def _ring_of_cliques(n_cliques: int, size: int) -> nx.Graph:
    """K_size cliques in a ring, neighbouring cliques joined by one link (synthetic)."""
    G = nx.ring_of_cliques(n_cliques, size)
    G = nx.relabel_nodes(G, {i: f"t{i:03d}" for i in G})
    nx.set_node_attributes(G, "DE", "country")
    return G


def test_sparse_finds_the_cliques_of_a_ring():
    # 10 K5 in a ring (m = 100 + 10 links; each clique has strength 2 x 10 + 2 = 22): by
    # hand, Q(one community per clique) = 10 (10/110 - (22/220)^2) = 0.8091 beats merging
    # neighbours in pairs, 5 (21/110 - (44/220)^2) = 0.7545
    G = _ring_of_cliques(10, 5)
    for seed in range(5):
        comm = clusters.communities(G, seed=seed)
        clique = pd.Series({f"t{i:03d}": i // 5 for i in range(50)})
        assert comm.groupby(clique).nunique().eq(1).all()  # each clique in one community
        assert comm.nunique() == 10
    labels = clusters.communities(G, seed=0).to_numpy()
    A = nx.to_scipy_sparse_array(G, nodelist=[f"t{i:03d}" for i in range(50)])
    expected = 10 * (10 / 110 - (22 / 220) ** 2)
    assert clusters.modularity(A, labels) == pytest.approx(expected)


def test_modularity_equals_networkx(bundled):
    comm = clusters.communities(bundled, seed=0)
    G = bundled.town_graph()
    groups = [set(g.index) for _, g in comm[comm >= 0].groupby(comm[comm >= 0])]
    ref = nx.community.modularity(G, groups, weight="weight")
    A = bundled.adjacency(weighted=True)
    assert clusters.modularity(A, comm.to_numpy()) == pytest.approx(ref, abs=1e-12)


def test_sparse_is_as_good_as_networkx_louvain(bundled):
    # quality judged by networkx's own modularity function, not by ours
    G = bundled.town_graph()

    def q(comm: pd.Series) -> float:
        linked = comm[comm >= 0]
        return nx.community.modularity(G, [set(g.index) for _, g in linked.groupby(linked)])

    ours = [q(clusters.communities(bundled, seed=s)) for s in (0, 1)]
    ref = q(clusters.communities(bundled, seed=0, method="networkx"))
    assert min(ours) > ref - 0.005
    assert min(ours) > 0.75  # many national clusters (0.77 on the 2017 + 2021 bundled data)


def test_sparse_communities_are_connected(bundled):
    comm = clusters.communities(bundled, seed=2)
    G = bundled.town_graph()
    linked = comm[comm >= 0]
    for _, group in linked.groupby(linked):  # one check per community
        assert nx.is_connected(G.subgraph(group.index))


def test_result_does_not_depend_on_row_order(bundled):
    towns = bundled.towns.reset_index().sample(frac=1.0, random_state=1)
    links = bundled.partnerships.sample(frac=1.0, random_state=2)
    parts = [x for x in (links, bundled.memberships) if len(x)]
    shuffled = tg.load(towns=towns, partnerships=parts)
    a = clusters.communities(bundled, seed=4)
    b = clusters.communities(shuffled, seed=4)
    assert b.reindex(a.index).equals(a)


def test_seed_none_gives_a_partition(two_triangles):
    comm = clusters.communities(two_triangles, seed=None)
    assert comm["g"] == -1 and comm["a"] == comm["b"] == comm["c"]


def test_same_seed_same_communities(bundled):
    first = clusters.communities(bundled, seed=3)
    assert first.equals(clusters.communities(bundled, seed=3))
    sizes = first[first >= 0].value_counts()
    # numbered by size, largest first
    assert sizes.sort_index().is_monotonic_decreasing
    assert first.index.equals(bundled.towns.index)


def test_graph_input_gives_same_result(two_triangles):
    G = two_triangles.town_graph()
    assert clusters.communities(G, seed=5).equals(clusters.communities(two_triangles, seed=5))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "infomap"}, "allowed: auto, louvain, leiden, networkx"),
        ({"resolution": 0}, "resolution must be a positive number"),
        ({"seed": "x"}, "seed must be an integer"),
    ],
)
def test_bad_arguments(two_triangles, kwargs, match):
    with pytest.raises(tg.ValidationError, match=match):
        clusters.communities(two_triangles, **kwargs)


def test_community_table_by_hand(two_triangles):
    table = clusters.community_table(two_triangles, seed=0, towns_listed=2)
    assert table.index.tolist() == [0, 1, 2]
    t0, t1, t2 = (table.loc[i] for i in range(3))
    assert (t0["size"], t0["links"], t0["countries"]) == (3, 3, 2)
    assert t0["dominant_country"] == "DE"
    assert t0["dominant_share"] == pytest.approx(2 / 3)
    h = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))
    assert t0["effective_countries"] == pytest.approx(math.exp(h))  # 1.88988...
    assert t0["effective_countries"] == pytest.approx(1.889881574)
    assert t0["largest_towns"] == "B; C"
    assert t0["eu_share"] == pytest.approx(2 / 3)  # NO is not a Member State
    assert not t0["national_island"]
    assert (t1["dominant_country"], t1["dominant_share"], t1["effective_countries"]) == (
        "PL",
        1.0,
        1.0,
    )
    assert t1["largest_towns"] == "F; D"  # E's population is unknown: last
    assert t1["national_island"]
    assert t2["size"] == 2 and t2["links"] == 1


def test_community_table_ties_go_alphabetical():
    towns = pd.DataFrame(
        {
            "town_id": ["x", "y"],
            "name": ["X", "Y"],
            "country": ["SE", "AT"],
            "lat": [59.0, 48.0],
            "lon": [18.0, 16.0],
        }
    )
    data = tg.load(towns=towns, partnerships=pd.DataFrame({"town_a": ["x"], "town_b": ["y"]}))
    row = clusters.community_table(data).loc[0]
    assert row["dominant_country"] == "AT"
    assert row["effective_countries"] == pytest.approx(2.0)
    assert row["largest_towns"] == "X; Y"  # no populations: by name


def test_community_table_rejects_foreign_labels(two_triangles):
    bad = pd.Series({"a": 0, "zz": 1})
    with pytest.raises(tg.ValidationError, match="not in the data"):
        clusters.community_table(two_triangles, bad)


def test_national_islands(two_triangles):
    islands = clusters.national_islands(two_triangles, seed=0)
    assert islands.index.tolist() == [1, 2]  # PL triangle (3 towns), IT pair (2)
    assert clusters.national_islands(two_triangles, min_size=3).index.tolist() == [1]


def test_components(two_triangles):
    comp = clusters.components(two_triangles)
    assert comp.to_dict() == {
        "a": 0,
        "b": 0,
        "c": 0,
        "d": 0,
        "e": 0,
        "f": 0,
        "h": 1,
        "i": 1,
        "g": 2,
    }
    assert comp.name == "component"


def test_components_match_networkx(bundled):
    comp = clusters.components(bundled)
    G = bundled.town_graph()
    assert comp.nunique() == nx.number_connected_components(G)
    assert comp.value_counts().iloc[0] == len(max(nx.connected_components(G), key=len))


def test_core_number_and_k_core(two_triangles):
    core = clusters.core_number(two_triangles)
    assert core.to_dict() == {
        "a": 2,
        "b": 2,
        "c": 2,
        "d": 2,
        "e": 2,
        "f": 2,
        "g": 0,
        "h": 1,
        "i": 1,
    }
    k2 = clusters.k_core(two_triangles, 2)
    assert k2.index.tolist() == list("abcdef")
    assert k2.loc["c", "partners"] == 3
    assert len(clusters.k_core(two_triangles, 3)) == 0
    with pytest.raises(tg.ValidationError, match="k must be an integer >= 1"):
        clusters.k_core(two_triangles, 0)


def test_brokers_exact(two_triangles):
    b = clusters.brokers(two_triangles, n=3)
    # c and d each sit on the 2 x 3 shortest paths across the bridge; 9 towns -> 8*7/2 pairs
    assert b.index.tolist()[:2] == ["c", "d"]
    assert b["betweenness"].iloc[:2].tolist() == pytest.approx([6 / 28, 6 / 28])
    assert b.attrs["sample"] is None
    exact = nx.betweenness_centrality(two_triangles.town_graph())
    assert b["betweenness"].to_dict() == pytest.approx({k: exact[k] for k in b.index})
    assert b.loc["c", "partners"] == 3


def test_brokers_sample_is_seeded(two_triangles):
    one = clusters.brokers(two_triangles, sample=4, seed=1, n=None)
    assert one.attrs["sample"] == 4
    assert one.equals(clusters.brokers(two_triangles, sample=4, seed=1, n=None))
    with pytest.raises(tg.ValidationError, match="sample must be an integer >= 1"):
        clusters.brokers(two_triangles, sample=0)


def test_bridges_by_pair_and_town(two_triangles):
    pairs = clusters.bridges(two_triangles, seed=0)
    assert len(pairs) == 1
    row = pairs.iloc[0]
    assert (row["community_a"], row["community_b"], row["links"], row["partnerships"]) == (
        0,
        1,
        1,
        1,
    )
    assert row["countries"] == 2
    assert row["main_country_pair"] == "NO-PL"
    assert row["main_country_pair_share"] == 1.0
    assert row["top_towns"] == "c; d"
    towns = clusters.bridges(two_triangles, seed=0, by="town")
    assert towns.index.tolist() == ["c", "d"]
    assert towns["inter_links"].tolist() == [1, 1]
    assert towns["community"].tolist() == [0, 1]
    with pytest.raises(tg.ValidationError, match="allowed: 'pair', 'town'"):
        clusters.bridges(two_triangles, by="edge")


def test_bridges_count_every_cross_link(bundled):
    comm = clusters.communities(bundled, seed=0)
    pairs = clusters.bridges(bundled, comm)
    e = bundled.edges
    ca, cb = e["town_a"].map(comm), e["town_b"].map(comm)
    assert pairs["links"].sum() == int((ca != cb).sum())


def test_cli_clusters_json(capsys):
    assert main(["clusters", "--json", "--n", "5"]) == 0
    import json

    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["community"] == 0
    assert {"size", "dominant_country", "effective_countries", "national_island"} <= set(rows[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_brokers_exact_equals_networkx_on_random_graphs(seed):
    import networkx as nx

    G = nx.gnm_random_graph(60, 90, seed=seed)
    G.add_nodes_from(range(60, 63))  # isolated towns count in n
    G = nx.relabel_nodes(G, {i: f"t{i:03d}" for i in G})
    nx.set_node_attributes(G, "DE", "country")
    nx.set_node_attributes(G, 50.0, "lat")
    nx.set_node_attributes(G, 8.0, "lon")
    got = clusters.brokers(G, n=None)["betweenness"]
    ref = pd.Series(nx.betweenness_centrality(G, normalized=True))
    assert np.allclose(got.to_numpy(), ref.reindex(got.index).to_numpy(), atol=1e-12)


def test_brokers_in_small_batches_equal_networkx(monkeypatch):
    # force batches of 8 sources: the batched algorithm must not depend on the batch size
    from twinning_graph.clusters import _brokers

    monkeypatch.setattr(_brokers, "BATCH_CELLS", 8)
    G = nx.gnm_random_graph(70, 120, seed=9)
    G = nx.relabel_nodes(G, {i: f"t{i:03d}" for i in G})
    nx.set_node_attributes(G, "DE", "country")
    got = clusters.brokers(G, n=None)["betweenness"]
    ref = pd.Series(nx.betweenness_centrality(G, normalized=True))
    assert np.allclose(got.to_numpy(), ref.reindex(got.index).to_numpy(), atol=1e-12)


def test_brokers_on_a_hub_graph_equal_networkx():
    # a star of 40 leaves plus a path: the hub lies on every leaf-leaf path
    G = nx.star_graph(40)
    nx.add_path(G, [40, 41, 42, 43])
    G = nx.relabel_nodes(G, {i: f"t{i:03d}" for i in G})
    nx.set_node_attributes(G, "DE", "country")
    got = clusters.brokers(G, n=None)["betweenness"]
    ref = pd.Series(nx.betweenness_centrality(G, normalized=True))
    assert got.index[0] == "t000"
    assert np.allclose(got.to_numpy(), ref.reindex(got.index).to_numpy(), atol=1e-12)


def test_modularity_by_hand_with_a_town_without_partners():
    # two triangles joined by one link (m = 7) and a lone node labelled -1:
    # Q = 2 x (3/7 - (7/14)^2) = 0.357142..., the lone node adds nothing
    import scipy.sparse as sp

    r, c = [0, 0, 1, 3, 3, 4, 2], [1, 2, 2, 4, 5, 5, 3]
    A = sp.csr_array((np.ones(14), (r + c, c + r)), shape=(7, 7))
    labels = np.array([0, 0, 0, 1, 1, 1, -1])
    assert clusters.modularity(A, labels) == pytest.approx(2 * (3 / 7 - 0.25))
    assert clusters.modularity(A, np.zeros(7, dtype=int)) == pytest.approx(0.0)
