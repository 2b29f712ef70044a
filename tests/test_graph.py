"""Town, country and project graphs."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.graph import as_data, build_town_graph, from_graph


def test_town_graph_attributes(tiny):
    G = build_town_graph(tiny)
    assert G.number_of_nodes() == 5 and G.number_of_edges() == 5
    assert G.nodes["e"] == {
        "name": "Θεσσαλονίκη",
        "country": "GR",
        "lat": 40.6401,
        "lon": 22.9444,
        "population": None,
        "geonames_id": None,
        "eu": True,
    }
    assert G.nodes["a"]["population"] == 670642
    ab = G.edges["a", "b"]
    assert ab["kinds"] == "twinning" and ab["weight"] == 1 and ab["since"] == 1990
    assert G.edges["b", "c"]["since"] is None
    assert isinstance(G.nodes["a"]["population"], int)


def test_town_graph_filters(tiny):
    G = tiny.town_graph(countries=["FR", "GR"])
    assert sorted(G.nodes) == ["c", "d", "e"]
    assert sorted(G.edges) == [("c", "d"), ("d", "e")]
    with pytest.warns(tg.DataWarning):
        G2001 = tiny.town_graph(year=2001)
    assert sorted(G2001.edges) == [("a", "b"), ("a", "c"), ("c", "d")]


def test_country_graph(tiny):
    C = tiny.country_graph()
    # links: PL-SE, PL-FR, SE-FR, FR-FR (domestic), FR-GR
    assert C.nodes["FR"]["domestic_links"] == 1
    assert C.nodes["FR"]["towns"] == 2
    assert C.nodes["FR"]["name"] == "France"
    assert dict(C["FR"]) == {"PL": {"weight": 1}, "SE": {"weight": 1}, "GR": {"weight": 1}}
    assert C.number_of_edges() == 4
    assert not C.has_edge("FR", "FR")


def test_country_graph_weights_count_town_pairs(tiny_towns):
    links = pd.DataFrame({"town_a": ["c", "d", "c"], "town_b": ["a", "a", "d"]})
    C = tg.load(towns=tiny_towns, partnerships=links).country_graph()
    assert C["FR"]["PL"]["weight"] == 2


def test_project_graph(tiny_towns, tiny_links):
    members = pd.DataFrame(
        {"partnership_id": ["NT"] * 3, "town_id": ["a", "d", "e"], "kind": ["network"] * 3}
    )
    B = tg.load(towns=tiny_towns, partnerships=[tiny_links, members]).project_graph()
    projects = [n for n, d in B.nodes(data=True) if d["bipartite"] == 1]
    assert len(projects) == 6  # 5 twinnings + 1 network
    assert sorted(B["p:NT"]) == ["a", "d", "e"]
    assert nx.is_bipartite(B)
    assert B.nodes["p:NT"]["kind"] == "network"


def test_as_data_roundtrip_from_graph(tiny):
    G = tiny.town_graph()
    data = as_data(G)
    pd.testing.assert_frame_equal(data.edges, tiny.edges, check_dtype=False)
    assert data.towns.loc["a", "name"] == "Łódź"
    assert as_data(tiny) is tiny
    back = from_graph(G)
    pd.testing.assert_frame_equal(back.edges, tiny.edges, check_dtype=False)


def test_as_data_rejects_other_types():
    with pytest.raises(tg.ValidationError, match="expected TwinningData"):
        as_data([1, 2])
    with pytest.raises(tg.ValidationError, match="undirected"):
        as_data(nx.DiGraph())


def test_adjacency(tiny):
    A = tiny.adjacency()
    assert list(tiny.towns.index) == ["a", "b", "c", "d", "e"]
    assert A.toarray().tolist() == [
        [0, 1, 1, 0, 0],
        [1, 0, 1, 0, 0],
        [1, 1, 0, 1, 0],
        [0, 0, 1, 0, 1],
        [0, 0, 0, 1, 0],
    ]
