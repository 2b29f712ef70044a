"""The data object: immutable tables, views kept on the object, one filter, projects."""

from __future__ import annotations

import math
import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg

KM_PER_DEGREE = math.pi / 180 * 6371.0088  # one degree of latitude on the mean sphere


def _t1_t5_km(data: tg.TwinningData) -> float:
    return float(tg.rank_partners(data, "t1", n=None, call=None).loc["t5", "distance_km"])


def test_editing_a_returned_table_changes_nothing(line):
    before = _t1_t5_km(line)
    assert before == pytest.approx(4 * KM_PER_DEGREE, abs=0.05)  # 444.8 km
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns that the chained assignment does nothing
        line.towns.loc["t5", "lat"] = 60.0
    assert line.towns.loc["t5", "lat"] == 54.0
    towns = line.towns
    towns.loc["t5", "lat"] = 60.0  # an edited copy: the data object still holds 54
    assert line.towns.loc["t5", "lat"] == 54.0
    assert _t1_t5_km(line) == pytest.approx(before)


def test_replace_gives_a_new_object_with_fresh_views(line):
    old_edges = line.edges
    _t1_t5_km(line)  # fit and keep the ranking model on the old object
    towns = line.towns
    towns.loc["t5", "lat"] = 60.0
    moved = line.replace(towns=towns)
    # t1 (50N) to t5 (60N) along one meridian: 10 degrees, 1,112.0 km
    assert _t1_t5_km(moved) == pytest.approx(10 * KM_PER_DEGREE, abs=0.05)
    e = moved.edges.set_index(["town_a", "town_b"])["distance_km"]
    assert e[("t4", "t5")] == pytest.approx(7 * KM_PER_DEGREE, abs=0.05)  # 53N to 60N
    # the original keeps its own answers
    pd.testing.assert_frame_equal(line.edges, old_edges)
    assert _t1_t5_km(line) == pytest.approx(4 * KM_PER_DEGREE, abs=0.05)


def test_replace_validates_like_a_file(line):
    towns = line.towns
    towns.loc["t2", "lat"] = 123.0
    with pytest.raises(tg.ValidationError, match="latitude 123.0 out of range"):
        line.replace(towns=towns)
    links = line.partnerships
    links.loc[0, "town_b"] = "nowhere"
    with pytest.raises(tg.ValidationError, match="unknown town 'nowhere'"):
        line.replace(partnerships=links)


def test_views_are_kept_and_copies_returned(line):
    assert line.adjacency() is line.adjacency()
    assert line.edges is not line.edges  # each access is a copy
    A = line.adjacency().toarray()
    # t1-t2, t1-t3, t2-t3, t3-t4, t4-t5 (fixture), rows in towns order t1..t5
    expected = np.zeros((5, 5))
    for i, j in [(0, 1), (0, 2), (1, 2), (2, 3), (3, 4)]:
        expected[i, j] = expected[j, i] = 1
    np.testing.assert_array_equal(A, expected)
    codes, countries = line.country_codes()
    assert [countries[c] for c in codes] == ["PL", "DE", "FR", "IT", "RU"]


@pytest.fixture
def two_countries() -> tg.TwinningData:
    """Synthetic: a, b in GR; c in PL; d in DE. Links a-b (GR-GR), a-c (GR-PL), c-d (PL-DE)."""
    towns = pd.DataFrame(
        {
            "town_id": ["a", "b", "c", "d"],
            "name": ["A", "B", "C", "D"],
            "country": ["GR", "GR", "PL", "DE"],
            "lat": [38.0, 40.6, 52.2, 52.5],
            "lon": [23.7, 22.9, 21.0, 13.4],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["a", "a", "c"],
            "town_b": ["b", "c", "d"],
            "kind": ["twinning", "twinning", "network"],
            "since": [1990, None, 2005],
        }
    )
    return tg.load(towns=towns, partnerships=links)


def test_filter_countries_within_and_touching(two_countries):
    within = two_countries.filter(countries="EL")  # EL is the EU's code for Greece
    assert list(within.towns.index) == ["a", "b"]
    assert within.edges[["town_a", "town_b"]].values.tolist() == [["a", "b"]]
    touching = two_countries.filter(countries="GR", touching=True)
    assert sorted(touching.towns.index) == ["a", "b", "c"]
    assert touching.edges[["town_a", "town_b"]].values.tolist() == [["a", "b"], ["a", "c"]]
    with pytest.raises(tg.UnknownCountryError, match=r"'XX'.*countries in the data: DE, GR, PL"):
        two_countries.filter(countries=["GR", "XX"])


def test_filter_year_leaves_out_undated_links_with_a_count(two_countries):
    with pytest.warns(tg.DataWarning, match="1 of 3 partnerships have no known 'since' year"):
        as_of = two_countries.filter(year=2000)
    assert as_of.edges[["town_a", "town_b"]].values.tolist() == [["a", "b"]]
    with pytest.raises(tg.ValidationError, match="year must be an integer"):
        two_countries.filter(year="2000")


def test_filter_kinds(two_countries):
    net = two_countries.filter(kinds="network")
    assert net.edges[["town_a", "town_b"]].values.tolist() == [["c", "d"]]
    with pytest.raises(tg.ValidationError, match=r"unknown kind.*'lunch'"):
        two_countries.filter(kinds="lunch")


def _members(n: int) -> pd.DataFrame:
    return pd.DataFrame({"partnership_id": ["big"] * n, "town_id": [f"t{i}" for i in range(n)]})


def _towns(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "town_id": [f"t{i}" for i in range(n)],
            "name": [f"Town {i}" for i in range(n)],
            "country": ["DE", "FR", "PL", "IT"] * (n // 4),
            "lat": np.linspace(40, 60, n),
            "lon": np.linspace(-5, 25, n),
        }
    )


def test_small_project_links_all_member_pairs():
    data = tg.load(towns=_towns(8), partnerships=_members(8))
    assert len(data.edges) == 8 * 7 // 2
    assert data.projects.loc["big", "members"] == 8
    assert bool(data.projects.loc["big", "expanded"])


def test_big_project_stays_a_project():
    n = 400  # 79,800 member pairs if expanded
    with pytest.warns(tg.DataWarning, match="1 project has more than 100 member towns"):
        data = tg.load(towns=_towns(n), partnerships=_members(n))
    assert len(data.edges) == 0
    assert data.projects.loc["big", "members"] == n
    assert not bool(data.projects.loc["big", "expanded"])
    B = data.incidence()
    assert B.shape == (n, 1) and int(B.sum()) == n
    wide = tg.load(towns=_towns(n), partnerships=_members(n), expand_projects=n)
    assert len(wide.edges) == n * (n - 1) // 2
    with pytest.raises(tg.ValidationError, match="expand_projects must be an integer >= 2"):
        tg.load(towns=_towns(8), partnerships=_members(8), expand_projects=0)


def test_unknown_ids_one_error_with_suggestions(line):
    with pytest.raises(tg.UnknownTownError, match=r"'t9'.*'tX'.*valid ids are"):
        line.resolve(["t1", "t9", "tX"])
    assert line.resolve("Five") == ["t5"]  # the name of one town is that town
    with pytest.raises(tg.UnknownTownError, match=r"'Fiive' \(did you mean"):
        line.resolve("Fiive")


def test_aliases_resolve(line):
    aliased = tg.TwinningData(
        line.towns,
        line.partnerships,
        aliases=pd.Series(["t3"], index=pd.Index(["old-three"], name="alias")),
    )
    assert aliased.resolve(["old-three", "t1"]) == ["t3", "t1"]
    assert aliased.town("old-three")["name"] == "Three"


def test_graph_input_is_converted_once_at_the_boundary(tiny):
    G = tiny.town_graph()
    from_data = tg.town_reach(tiny)
    from_graph = tg.town_reach(G)
    pd.testing.assert_frame_equal(from_data, from_graph, check_dtype=False)
    C1, C2 = tg.build_country_graph(tiny), tg.build_country_graph(G)
    assert nx.utils.edges_equal(C1.edges(data=True), C2.edges(data=True))
