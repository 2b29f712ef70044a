"""Tests of the SYNTHETIC network generator (small sizes only; timing lives in benchmarks/)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.synthetic import (
    PROJECT_KINDS,
    PROJECT_SIZE,
    PROJECT_YEARS,
    SYNTHETIC_SOURCE,
    calibrate,
    synthetic_network,
)

SIZES = (1_500, 4_000, 40)


@pytest.fixture(scope="module")
def net() -> tg.TwinningData:
    return synthetic_network(*SIZES, seed=7)


def _frames(d: tg.TwinningData) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return d.towns, d.partnerships, d.memberships


def test_same_seed_same_frames(net: tg.TwinningData) -> None:
    again = synthetic_network(*SIZES, seed=7)
    for a, b in zip(_frames(net), _frames(again), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_different_seed_differs(net: tg.TwinningData) -> None:
    other = synthetic_network(*SIZES, seed=8)
    assert not net.towns.index.equals(other.towns.index) or not net.towns.equals(other.towns)
    assert not net.partnerships[["town_a", "town_b"]].equals(
        other.partnerships[["town_a", "town_b"]]
    )


def test_sizes_exact(net: tg.TwinningData) -> None:
    n_towns, n_links, n_projects = SIZES
    assert len(net) == n_towns
    assert len(net.partnerships) == n_links
    assert net.memberships["partnership_id"].nunique() == n_projects
    size = net.memberships.groupby("partnership_id").size()
    assert size.between(*PROJECT_SIZE).all()


def test_no_self_links_no_duplicate_pairs(net: tg.TwinningData) -> None:
    p = net.partnerships
    assert (p["town_a"] != p["town_b"]).all()
    assert (p["town_a"] < p["town_b"]).all()  # oriented as read_partnerships does
    assert not p.duplicated(["town_a", "town_b"]).any()
    assert not net.memberships.duplicated(["partnership_id", "town_id"]).any()
    e = net.edges
    assert (e["town_a"] < e["town_b"]).all() and not e.duplicated(["town_a", "town_b"]).any()


def test_domestic_share_near_target() -> None:
    d = synthetic_network(3_000, 10_000, 0, seed=3)
    c = d.towns["country"]
    dom = (d.partnerships["town_a"].map(c) == d.partnerships["town_b"].map(c)).mean()
    target = calibrate().domestic_share
    assert 0.08 < target < 0.11  # the bundled data: ~9 % of links are domestic
    assert abs(dom - target) < 0.02


def test_domestic_share_override() -> None:
    d = synthetic_network(1_000, 3_000, 0, seed=1, domestic_share=0.5)
    c = d.towns["country"]
    dom = (d.partnerships["town_a"].map(c) == d.partnerships["town_b"].map(c)).mean()
    assert abs(dom - 0.5) < 0.05


def test_towns_valid_for_read_towns(net: tg.TwinningData) -> None:
    towns = tg.read_towns(net.towns.reset_index())
    assert towns.index.equals(net.towns.index)
    for col in ("name", "country", "lat", "lon", "population", "geonames_id", "eu"):
        assert towns[col].dtype == net.towns[col].dtype, col
        pd.testing.assert_series_equal(towns[col], net.towns[col], check_names=False)


def test_load_round_trip_gives_the_same_pairs(net: tg.TwinningData) -> None:
    loaded = tg.load(
        towns=net.towns.reset_index(), partnerships=[net.partnerships, net.memberships]
    )
    pd.testing.assert_frame_equal(loaded.edges, net.edges)


def test_names_ids_and_sources_marked_synthetic(net: tg.TwinningData) -> None:
    assert net.towns["name"].str.contains(r"\(synthetic(?: \d+)?\)$", regex=True).all()
    assert net.towns.index.str.fullmatch(r"SYN-\d{6}").all()
    assert (net.partnerships["source"] == SYNTHETIC_SOURCE).all()
    assert (net.memberships["source"] == SYNTHETIC_SOURCE).all()
    assert net.name.startswith("SYNTHETIC")


def test_jittered_copies_beyond_the_gazetteer() -> None:
    from twinning_graph._gazetteer import load_gazetteer
    from twinning_graph.synthetic import _draw_towns

    n_gaz = len(load_gazetteer())
    towns = _draw_towns(n_gaz + 50, np.random.default_rng(0))
    copies = towns.iloc[n_gaz:]
    assert len(towns) == n_gaz + 50 and towns.index.is_unique
    assert copies["name"].str.contains(r"\(synthetic \d+\)$", regex=True).all()
    assert copies["geonames_id"].isna().all()
    assert towns["geonames_id"].dropna().is_unique


def test_projects_kinds_and_years(net: tg.TwinningData) -> None:
    m = net.memberships
    assert set(m["kind"]) <= set(PROJECT_KINDS)
    assert m["since"].between(*PROJECT_YEARS).all()
    assert (m.groupby("partnership_id")["kind"].nunique() == 1).all()
    assert set(net.partnerships["kind"]) == {"twinning"}


def test_heavy_tailed_degree(net: tg.TwinningData) -> None:
    deg = tg.degree(net)
    assert deg.max() > 5 * deg.median()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_towns": 1}, "n_towns"),
        ({"n_towns": 10.5}, "n_towns"),
        ({"n_links": -1}, "n_links"),
        ({"n_towns": 10, "n_links": 40, "n_projects": 0}, "too many"),
        ({"n_towns": 30, "n_links": 10, "n_projects": 2}, "n_towns >= 48"),
        ({"n_towns": 100, "n_links": 10, "n_projects": 0, "domestic_share": 1.5}, "domestic_share"),
        ({"n_towns": 100, "n_links": 10, "n_projects": 0, "seed": "a"}, "seed"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(tg.ValidationError, match=match):
        synthetic_network(**kwargs)


def test_hubs_get_their_degree_and_links_stay_exact() -> None:
    d = synthetic_network(2_000, 5_000, 0, seed=4, hubs=(1_200, 600))
    p = d.partnerships
    assert len(p) == 5_000 and not p.duplicated(["town_a", "town_b"]).any()
    assert (p["town_a"] < p["town_b"]).all()
    deg = pd.concat([p["town_a"], p["town_b"]]).value_counts()
    # the hubs are the two most populous towns (ties: smallest id)
    pop = d.towns["population"].astype("Float64").fillna(-1)
    first, second = pop.sort_values(ascending=False, kind="stable").index[:2]
    assert deg[first] >= 1_200 and deg[second] >= 600
    assert deg.drop([first, second]).max() < 600


def test_no_hubs_no_large_projects_is_the_plain_network() -> None:
    plain = synthetic_network(500, 1_000, 10, seed=2)
    same = synthetic_network(500, 1_000, 10, seed=2, hubs=(), large_projects=())
    for a, b in zip(_frames(plain), _frames(same), strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_large_project_members() -> None:
    d = synthetic_network(1_000, 2_000, 5, seed=5, large_projects=(700, 300))
    m = d.memberships
    size = m.groupby("partnership_id").size()
    assert len(size) == 7
    assert sorted(size.tail(2).tolist()) == [300, 700]
    assert size.iloc[:5].between(*PROJECT_SIZE).all()
    assert not m.duplicated(["partnership_id", "town_id"]).any()
    big = m[m["partnership_id"].isin(size.index[-2:])]
    assert set(big["kind"]) == {"network"}
    assert m["town_id"].isin(d.towns.index).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hubs": (1_000,)}, "hubs must hold whole numbers from 1 to 99"),
        ({"hubs": 50}, "hubs must be a sequence"),
        ({"hubs": (60, 60)}, "must not exceed n_links=100"),
        ({"large_projects": (1,)}, "large_projects must hold whole numbers from 2 to 100"),
        ({"large_projects": (10.5,)}, "large_projects"),
    ],
)
def test_bad_hub_and_project_sizes(kwargs: dict, match: str) -> None:
    with pytest.raises(tg.ValidationError, match=match):
        synthetic_network(100, 100, 0, **kwargs)
