"""Tests of twinning_graph.stats: hand-worked tiny graphs, and networkx on the bundled data."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.stats import degree, summary


@pytest.fixture
def paw():
    """A triangle a-b-c plus a pendant d on c, and an unlinked town e (synthetic test data).

    Countries a DE, b FR, c PL, d PL, e IT; years known for 2 of the 4 links.
    Degrees a 2, b 2, c 3, d 1, e 0.
    """
    towns = pd.DataFrame(
        {
            "town_id": ["a", "b", "c", "d", "e"],
            "name": ["A", "B", "C", "D", "E"],
            "country": ["DE", "FR", "PL", "PL", "IT"],
            "lat": [50.0, 48.0, 52.0, 51.0, 45.0],
            "lon": [8.0, 2.0, 21.0, 20.0, 9.0],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["a", "a", "b", "c"],
            "town_b": ["b", "c", "c", "d"],
            "since": [1990, None, 2000, None],
        }
    )
    return tg.load(towns=towns, partnerships=links)


# Hand-worked answers for the paw (linked towns a, b, c, d):
# clustering: a 1, b 1, c 1/3 (neighbours a, b, d; only a-b linked), d 0 -> mean 7/12.
# assortativity: the 8 edge ends (x, y) are (2,2) x2, (2,3) x2, (3,2) x2, (3,1), (1,3);
#   mean 18/8 = 2.25, variance 3.5/8, covariance (0.125 - 0.75 - 1.875)/8 = -2.5/8
#   -> r = -2.5 / 3.5 = -5/7.
PAW_CLUSTERING = 7 / 12
PAW_ASSORTATIVITY = -5 / 7


def test_degree_by_hand(paw):
    d = degree(paw)
    assert d.to_dict() == {"a": 2, "b": 2, "c": 3, "d": 1, "e": 0}
    assert d.name == "degree" and d.dtype == "int64"
    assert degree(paw.town_graph()).to_dict() == d.to_dict()


def test_summary_by_hand(paw):
    s = summary(paw)
    assert s["towns"] == 4  # e has no partner: left out by default
    assert s["links"] == 4
    assert s["countries"] == 3
    assert s["eu_towns"] == 4
    assert s["partnerships"] == 4
    assert s["transnational_links"] == 3  # a-b, a-c, b-c; c-d is domestic (PL)
    assert s["transnational_share"] == 0.75
    assert (s["components"], s["largest_component"]) == (1, 4)
    assert s["mean_degree"] == 2.0
    assert s["max_degree"] == 3
    assert s["clustering"] == pytest.approx(PAW_CLUSTERING, abs=5e-5)
    assert s["assortativity"] == pytest.approx(PAW_ASSORTATIVITY, abs=5e-5)
    assert s["with_year"] == 0.5


def test_summary_with_unlinked_towns(paw):
    s = summary(paw, linked_only=False)
    assert (s["towns"], s["countries"], s["components"], s["largest_component"]) == (5, 4, 2, 4)
    assert s["mean_degree"] == pytest.approx(8 / 5)
    assert s["clustering"] == pytest.approx(PAW_CLUSTERING * 4 / 5, abs=5e-5)
    assert s["assortativity"] == pytest.approx(PAW_ASSORTATIVITY, abs=5e-5)


def test_summary_hand_answers_agree_with_networkx(paw):
    G = paw.town_graph()
    assert nx.average_clustering(G) == pytest.approx(PAW_CLUSTERING * 4 / 5)
    assert nx.degree_assortativity_coefficient(G) == pytest.approx(PAW_ASSORTATIVITY)


def test_summary_graph_input_matches_data(paw):
    from_data, from_graph = summary(paw), summary(paw.town_graph())
    # a graph edge becomes one partnership record per kind: paw has one kind per link
    assert from_graph.to_dict() == from_data.to_dict()


def test_summary_two_components_and_star():
    # star centre s with leaves l1..l3 (all DE), plus a separate pair p-q (FR-IT)
    towns = pd.DataFrame(
        {
            "town_id": ["s", "l1", "l2", "l3", "p", "q"],
            "name": list("SLMNPQ"),
            "country": ["DE", "DE", "DE", "DE", "FR", "IT"],
            "lat": [50.0, 50.1, 50.2, 50.3, 48.0, 45.0],
            "lon": [8.0, 8.1, 8.2, 8.3, 2.0, 9.0],
        }
    )
    links = pd.DataFrame({"town_a": ["s", "s", "s", "p"], "town_b": ["l1", "l2", "l3", "q"]})
    s = summary(tg.load(towns=towns, partnerships=links))
    assert (s["components"], s["largest_component"], s["max_degree"]) == (2, 4, 3)
    assert s["clustering"] == 0.0
    assert s["transnational_links"] == 1 and s["transnational_share"] == 0.25
    # ends: (3,1) x3, (1,3) x3, (1,1) x2 -> mean 1.75, variance 7.5/8, covariance
    # (3 x -0.9375 + 3 x -0.9375 + 2 x 0.5625)/8 = -4.5/8 -> r = -4.5/7.5 = -3/5
    assert s["assortativity"] == pytest.approx(-3 / 5, abs=5e-5)
    G = tg.load(towns=towns, partnerships=links).town_graph()
    assert nx.degree_assortativity_coefficient(G) == pytest.approx(-3 / 5)


def test_summary_no_links(tiny_towns):
    data = tg.load(towns=tiny_towns)
    s = summary(data)
    assert (s["towns"], s["links"], s["components"], s["max_degree"]) == (0, 0, 0, 0)
    assert math.isnan(s["transnational_share"]) and math.isnan(s["assortativity"])
    s = summary(data, linked_only=False)
    assert (s["towns"], s["components"], s["largest_component"]) == (5, 5, 1)
    assert s["mean_degree"] == 0.0 and s["clustering"] == 0.0


def test_summary_regular_graph_assortativity_is_nan():
    # a 4-cycle: every degree is 2, the correlation is undefined (networkx also gives NaN)
    towns = pd.DataFrame(
        {
            "town_id": list("abcd"),
            "name": list("ABCD"),
            "country": ["DE"] * 4,
            "lat": [50.0, 50.1, 50.2, 50.3],
            "lon": [8.0, 8.1, 8.2, 8.3],
        }
    )
    links = pd.DataFrame({"town_a": list("abca"), "town_b": list("bcdd")})
    s = summary(tg.load(towns=towns, partnerships=links))
    assert math.isnan(s["assortativity"]) and s["clustering"] == 0.0


def test_summary_self_loop_in_graph_input():
    G = nx.Graph()
    G.add_edges_from([("x", "y"), ("y", "z"), ("x", "z"), ("x", "x")])
    nx.set_node_attributes(G, "DE", "country")
    with pytest.warns(tg.DataWarning, match="1 self-loop in the graph ignored"):
        s = summary(G)
    assert s["clustering"] == pytest.approx(nx.average_clustering(G), abs=5e-5)
    assert s["max_degree"] == 2 and s["links"] == 3


def test_summary_bad_input():
    with pytest.raises(tg.ValidationError, match="expected TwinningData"):
        summary({"a": 1})


# --------------------------------------------------------------------------- bundled data


@pytest.fixture(scope="module")
def bundled_graph():
    return tg.load().town_graph()


@pytest.fixture(scope="module")
def bundled_summary():
    return summary(tg.load())


def test_bundled_counts(bundled, bundled_graph, bundled_summary):
    G, s = bundled_graph, bundled_summary
    linked = [n for n in G if G.degree(n) > 0]
    H = G.subgraph(linked)
    assert s["towns"] == H.number_of_nodes()
    assert s["links"] == G.number_of_edges() == len(bundled.edges)
    assert s["countries"] == len({c for _, c in H.nodes(data="country")})
    assert s["eu_towns"] == sum(1 for _, eu in H.nodes(data="eu") if eu)
    assert (
        s["partnerships"]
        == len(bundled.partnerships) + bundled.memberships["partnership_id"].nunique()
    )
    trans = sum(1 for u, v in G.edges if G.nodes[u]["country"] != G.nodes[v]["country"])
    assert s["transnational_links"] == trans
    assert s["transnational_share"] == pytest.approx(trans / G.number_of_edges(), abs=5e-5)


def test_bundled_components(bundled_graph, bundled_summary):
    H = bundled_graph.subgraph([n for n, d in bundled_graph.degree if d > 0])
    assert bundled_summary["components"] == nx.number_connected_components(H)
    assert bundled_summary["largest_component"] == max(len(c) for c in nx.connected_components(H))


def test_bundled_degrees(bundled, bundled_graph, bundled_summary):
    G, s = bundled_graph, bundled_summary
    degs = dict(G.degree)
    assert s["max_degree"] == max(degs.values())
    linked = sum(1 for d in degs.values() if d > 0)
    assert s["mean_degree"] == pytest.approx(2 * G.number_of_edges() / linked, abs=5e-5)
    assert degree(bundled).to_dict() == degs


def test_bundled_clustering_and_assortativity(bundled_graph, bundled_summary):
    H = bundled_graph.subgraph([n for n, d in bundled_graph.degree if d > 0])
    assert bundled_summary["clustering"] == pytest.approx(nx.average_clustering(H), abs=5e-5)
    assert bundled_summary["assortativity"] == pytest.approx(
        nx.degree_assortativity_coefficient(H), abs=5e-5
    )


def test_bundled_with_year(bundled, bundled_summary):
    assert bundled_summary["with_year"] == pytest.approx(
        bundled.edges["since"].notna().mean(), abs=5e-5
    )


def test_bundled_linked_only_false(bundled, bundled_graph):
    s = summary(bundled, linked_only=False)
    G = bundled_graph
    assert s["towns"] == G.number_of_nodes()
    assert s["components"] == nx.number_connected_components(G)
    assert s["clustering"] == pytest.approx(nx.average_clustering(G), abs=5e-5)


def test_triangles_without_squaring_a_hub_graph():
    # two hubs joined to every other town plus random links: every path through a hub is a
    # path of length two, the case the degree-ordered count is for; networkx counts by hand
    import numpy as np

    from twinning_graph.stats import _triangles

    G = nx.gnm_random_graph(300, 900, seed=3)
    G.add_edges_from((h, v) for h in (0, 1) for v in range(300) if v != h)
    A = nx.to_scipy_sparse_array(G, nodelist=range(300), format="csr")
    ref = nx.triangles(G)
    assert _triangles(A).tolist() == [ref[v] for v in range(300)]
    assert int(_triangles(A).sum()) == sum(ref.values())  # 3 x the triangles, both ways
    assert np.array_equal(_triangles(A[:0, :0]), np.zeros(0))
