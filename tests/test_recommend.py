"""Partner ranking on a five-town line of towns built in code (answers worked out by hand).

Towns sit on the meridian 10°E at latitudes 50..54, so the distance between two of them is
``|Δlat| × 111.195 km`` (R = 6371.0088 km). Links: t1-t2, t1-t3, t2-t3 (a triangle),
t3-t4, t4-t5. Degrees: t1 2, t2 2, t3 3, t4 2, t5 1. RU (t5) is not eligible for CERV.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.recommend import RankWeights, rank_partners

KM_PER_DEG = 6371.0088 * math.pi / 180


def test_common_partners_and_adamic_adar_by_hand(line):
    r = rank_partners(line, "t4", n=None, call=None)
    # t4's partners are t3 and t5; t1 and t2 each share t3 (degree 3) with t4
    assert set(r.index) == {"t1", "t2"}
    assert r["common_partners"].tolist() == [1, 1]
    assert r["adamic_adar"].tolist() == pytest.approx([1 / math.log(3)] * 2)
    r = rank_partners(line, "t5", n=None, call=None)
    # t5's only partner is t4 (degree 2): t3 shares it, t1 and t2 do not
    assert r.loc["t3", "common_partners"] == 1
    assert r.loc["t3", "adamic_adar"] == pytest.approx(1 / math.log(2))
    assert r.loc[["t1", "t2"], "adamic_adar"].tolist() == [0.0, 0.0]
    assert r.index[0] == "t3"


def test_existing_partners_and_self_never_suggested(line):
    r = rank_partners(line, "t1", n=None, call=None)
    assert set(r.index) == {"t4", "t5"}
    assert r.loc["t4", "distance_km"] == pytest.approx(3 * KM_PER_DEG)
    assert r.loc["t5", "distance_km"] == pytest.approx(4 * KM_PER_DEG)


def test_distance_and_population_filters(line):
    assert rank_partners(line, "t1", max_distance_km=400, call=None).index.tolist() == ["t4"]
    assert rank_partners(line, "t1", min_distance_km=400, call=None).index.tolist() == ["t5"]
    assert rank_partners(line, "t1", min_population=50_000, call=None).index.tolist() == ["t5"]
    assert rank_partners(line, "t1", countries="IT", call=None).index.tolist() == ["t4"]


def test_ineligible_country_excluded_for_a_call(line):
    r = rank_partners(line, "t1", call="CERV-2025-CITIZENS-TOWN-NT", n=None)
    assert r.index.tolist() == ["t4"]  # t5 is in RU
    assert r["eligible"].all()
    assert "t5" in rank_partners(line, "t1", call=None, n=None).index


def test_filters_leaving_nothing_say_which_removed_what(line):
    with pytest.raises(tg.ValidationError, match=r"max_distance_km=100: -2"):
        rank_partners(line, "t1", max_distance_km=100, call=None)
    with pytest.raises(
        tg.ValidationError, match=r"call=CERV-\d{4}-CITIZENS-TOWN-NT \(eligible countries\): -1"
    ):
        rank_partners(line, "t1", countries="RU")


def test_bad_input(line):
    with pytest.raises(tg.UnknownTownError, match="did you mean 't1'"):
        rank_partners(line, "t11")
    with pytest.raises(tg.UnknownCallError, match="unknown call"):
        rank_partners(line, "t1", call="CERV-1999-NOPE")
    with pytest.raises(tg.ValidationError, match="source must be one of"):
        rank_partners(line, "t1", source="web")
    with pytest.raises(tg.ValidationError, match="n must be a positive integer"):
        rank_partners(line, "t1", n=0)
    with pytest.raises(tg.ValidationError, match="unknown weight"):
        rank_partners(line, "t1", weights={"nope": 1})
    with pytest.raises(tg.ValidationError, match="larger than max_distance_km"):
        rank_partners(line, "t1", min_distance_km=500, max_distance_km=100)


def test_gazetteer_candidates_merged_by_geonames_id(line):
    fake = pd.DataFrame(
        {
            "geonames_id": [100, 200, 300],
            "name": ["Four (gazetteer)", "New Town", "Far Place"],
            "country": ["IT", "PL", "RU"],
            "lat": [53.0, 50.5, 55.0],
            "lon": [10.0, 10.0, 10.0],
            "population": [5_000, 3_000, 0],
        }
    ).set_index("geonames_id")
    r = rank_partners(line, "t1", source="gazetteer", candidates=fake, call=None, n=None)
    assert sorted(r.index) == ["geonames:200", "geonames:300", "t4", "t5"]  # 100 is t4
    assert r.loc["t4", "name"] == "Four" and bool(r.loc["t4", "in_network"])
    assert not r.loc["geonames:200", "in_network"] and r.loc["geonames:200", "partners"] == 0
    assert r.loc["geonames:200", "distance_km"] == pytest.approx(0.5 * KM_PER_DEG)
    assert pd.isna(r.loc["geonames:300", "population"])  # GeoNames 0 = unknown
    # coordinates come along, so gazetteer places can be mapped
    assert (r.loc["geonames:200", "lat"], r.loc["geonames:200", "lon"]) == (50.5, 10.0)
    eligible = rank_partners(
        line, "t1", source="gazetteer", candidates=fake, n=None, call="CERV-2025-CITIZENS-TOWN-NT"
    )
    assert sorted(eligible.index) == ["geonames:200", "t4"]
    assert "no partner yet" in eligible.loc["geonames:200", "reason"]


def test_score_is_sum_of_components_and_deterministic(line):
    a = rank_partners(line, "t5", n=None, call=None)
    b = rank_partners(line.town_graph(), "t5", n=None, call=None)  # a graph works too
    pd.testing.assert_frame_equal(a, b)
    total = a["plausibility"] + a["strategy"] + a["capacity"]
    assert a["score"].tolist() == pytest.approx(total.tolist())
    assert a["score"].is_monotonic_decreasing
    w = RankWeights()
    # capacity = -w * log(1 + partners): t3 has 3 partners
    assert a.loc["t3", "capacity"] == pytest.approx(-w.capacity * math.log(4))
    # new_country: t5 (RU) reaches IT only
    assert a["new_country"].all()
    assert a.loc["t3", "strategy"] >= w.new_country
    assert (a["reason"].str.len() > 0).all()


def test_weights_switch_components_off(line):
    zero = {k: 0.0 for k in RankWeights().to_dict()}
    r = rank_partners(line, "t1", n=None, call=None, weights=zero)
    assert (r["score"] == 0).all()
    assert r.index.tolist() == ["t4", "t5"]  # ties broken by town_id


def test_bundled_ranking(bundled):
    r = rank_partners(bundled, "FR-chartres", n=20, source="gazetteer")
    assert len(r) == 20 and r.index.is_unique
    partners = set(bundled.edges.query("town_a == 'FR-chartres'")["town_b"]) | set(
        bundled.edges.query("town_b == 'FR-chartres'")["town_a"]
    )
    assert not (set(r.index) & partners)


# ----------------------------------------------------------------------------- caching


def test_cache_gives_identical_results_and_is_per_data_object(line):
    from twinning_graph.recommend import _context

    a = rank_partners(line, "t4", n=None, call=None)
    ctx = _context(line)
    b = rank_partners(line, "t4", n=None, call=None)  # served from the cache
    assert _context(line) is ctx
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    # the same as an uncached computation (a graph is never cached)
    pd.testing.assert_frame_equal(
        a, rank_partners(line.town_graph(), "t4", n=None, call=None), check_exact=True
    )
    # a filtered data object is a new object with its own model: without t5, t4 has one
    # partner (t3) and t3's other partners t1 and t2 are its candidates
    sub = line.filter(countries=["PL", "DE", "FR", "IT"])
    assert _context(sub) is not ctx
    r = rank_partners(sub, "t4", n=None, call=None)
    assert set(r.index) == {"t1", "t2"} and (r["partners"] == 2).all()
    assert r.loc["t1", "adamic_adar"] == pytest.approx(1 / math.log(3))
    with pytest.raises(tg.UnknownTownError):
        rank_partners(sub, "t5", call=None)
    # the parent's cache is untouched
    pd.testing.assert_frame_equal(rank_partners(line, "t4", n=None, call=None), a)


def test_cache_refits_when_a_frame_is_replaced(line):
    from twinning_graph.recommend import _context

    before = rank_partners(line, "t1", n=None, call=None)
    ctx = _context(line)
    towns = line.towns.copy()
    towns.loc["t5", "population"] = 1_000  # another size bin for t5
    edited = line.replace(towns=towns)
    assert _context(edited) is not ctx
    after = rank_partners(edited, "t1", n=None, call=None)
    assert after.loc["t5", "population"] == 1_000
    assert before.loc["t5", "population"] == 100_000


def test_distance_bins_match_searchsorted():
    import numpy as np

    from twinning_graph.recommend import _DIST_EDGES, _distance_bin

    rng = np.random.default_rng(0)
    edges = _DIST_EDGES[:-1]
    d = np.concatenate(
        [
            rng.random(100_000) * 20_100,
            np.geomspace(1e-6, 20_100, 100_000),
            edges,
            np.nextafter(edges, -np.inf)[1:],
            np.nextafter(edges, np.inf),
            [0.0, np.nan],
        ]
    )
    expected = np.searchsorted(_DIST_EDGES, d, side="right") - 1
    assert (_distance_bin(d) == expected).all()


# ----------------------------------------------------------------------------- many towns


def test_rank_partners_many_matches_one_by_one_on_bundled_data(bundled):
    import numpy as np

    from twinning_graph.recommend import rank_partners_many

    ids = list(
        bundled.towns.index[np.random.default_rng(3).choice(len(bundled), 20, replace=False)]
    )
    for opts in (
        {"n": 10},
        {"n": 30, "call": None, "countries": ["DE", "FR", "PL", "IT"]},
        {"n": 5, "source": "gazetteer", "min_population": 2_000},
    ):
        many = rank_partners_many(bundled, ids, **opts)
        assert list(many.columns[:3]) == ["town_id", "rank", "candidate_id"]
        assert list(dict.fromkeys(many["town_id"])) == ids
        for t in ids:
            one = rank_partners(bundled, t, **opts)
            got = (
                many[many["town_id"] == t]
                .drop(columns=["town_id", "rank"])
                .set_index("candidate_id")
                .rename_axis("town_id")
            )
            pd.testing.assert_frame_equal(got, one, check_exact=True)
            assert many.loc[many["town_id"] == t, "rank"].tolist() == list(range(1, len(one) + 1))


def test_rank_partners_many_on_the_line(line):
    from twinning_graph.recommend import rank_partners_many

    many = rank_partners_many(line, ["t4", "t5", "t4"], n=None, call=None)  # duplicate once
    assert many["town_id"].tolist() == ["t4", "t4", "t5", "t5", "t5"]
    assert many["rank"].tolist() == [1, 2, 1, 2, 3]
    assert set(many["candidate_id"][:2]) == {"t1", "t2"}  # t4's partners are t3 and t5
    # t5's only partner is t4, which t3 shares: t3 comes first
    assert many.loc[2, ["candidate_id", "common_partners"]].tolist() == ["t3", 1]
    assert many.groupby("town_id")["score"].is_monotonic_decreasing.all()
    # a town left without candidates has no rows, and a warning says why
    with pytest.warns(
        tg.DataWarning,
        match=r"1 of 2 towns have no candidate.*'t1'.*"
        r"max_distance_km=250: -2",
    ):
        few = rank_partners_many(line, ["t1", "t3"], max_distance_km=250, call=None)
    assert set(few["town_id"]) == {"t3"}
    empty = rank_partners_many(line, [], call=None)
    assert len(empty) == 0 and list(empty.columns) == list(many.columns)
    with pytest.raises(tg.UnknownTownError, match="2 unknown town_ids: 'x1', 'x2'"):
        rank_partners_many(line, ["t1", "x1", "x2"])
    with pytest.raises(tg.UnknownTownError, match="did you mean 't1'"):
        rank_partners_many(line, ["t11"])
    with pytest.raises(tg.ValidationError, match="town_ids must be strings"):
        rank_partners_many(line, [1, 2])
    with pytest.raises(tg.ValidationError, match="n must be a positive integer"):
        rank_partners_many(line, ["t1"], n=0)


def test_unconfirmed_call_warns_on_every_call(line):
    for _ in range(2):  # resolved calls are memoised, but not those that warn
        with pytest.warns(tg.DataWarning, match="unconfirmed"):
            rank_partners(line, "t1", call="CERV-2023-CITIZENS-TOWN-NT")
