"""Partner search on tiny networks built in code (answers worked out by hand).

The ``line`` fixture (conftest): towns t1..t5 on the meridian 10°E at latitudes 50..54
(PL, DE, FR, IT, RU; populations 10k, 20k, 50k, 5k, 100k; t4 has GeoNames id 100), so two
neighbours are 111.195 km apart (R = 6371.0088 km). Links t1-t2, t1-t3, t2-t3 (a
triangle), t3-t4, t4-t5: degrees 2, 2, 3, 2, 1. RU (t5) is not eligible for CERV and is
not in Europe (the country table's 46 countries).

With every model term but new_country at weight 1 (``ONES``) the score is the plain sum of
the features:

- shared_partners(t4, t2) = log(1 + 1000 * (1/3) / sqrt(2 * 2)): the shared partner t3 has 3
  partners, t4 and t2 have 2 each;
- partner_paths(t4, t2) = log(1 + 3 * 1/3 * 1/2): the path t4-t3-t1-t2;
- nearby_50km(t1, t4) = log(1 + w + w^2), w = exp(-(111.195/50)^2/2): t1's kernel holds t1 and
  t2, t4's holds t4, t3 and t5; of the links between them t1-t3 weighs w, t2-t3 w*w;
- nearby_10km is 0 for unlinked pairs: 111 km is beyond 3 sigma = 30 km;
- country_pair(PL, DE) = log(((1 + 5 * 1/4) / (2 + 5)) / (1/4)): PL has 2 transnational
  links, 1 to DE, and DE holds 1 of the 4 towns outside PL.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.recommend import MODEL_TERMS, TERMS, PartnerModel, RankWeights, rank_partners

KM = 6371.0088 * math.pi / 180  # km per degree of latitude
W50 = math.exp(-0.5 * (KM / 50) ** 2)
ONES = {t: (1.0 if t in MODEL_TERMS and t != "new_country" else 0.0) for t in TERMS}
NO_FILTER = {"call": None, "population_band": None, "n": None}


@pytest.fixture
def ones(line):
    return PartnerModel(line, weights=ONES)


def test_features_by_hand(ones):
    r = ones.rank("t4", **NO_FILTER)
    assert set(r.index) == {"t1", "t2"}  # t3, t5 are partners
    assert r.loc["t2", "shared_partners"] == pytest.approx(math.log1p(1000 / 3 / math.sqrt(2 * 2)))
    assert r.loc["t2", "partner_paths"] == pytest.approx(math.log1p(3 / 6))
    assert r.loc["t2", "common_partners"] == 1
    assert r.loc["t2", "nearby_10km"] == 0.0
    # t4's kernel: t4, t3 (w), t5 (w); t2's: t2, t1 (w), t3 (w); links t4-t3, t3-t2, t3-t1
    assert r.loc["t2", "nearby_50km"] == pytest.approx(math.log1p(2 * W50 + W50**2))
    r1 = ones.rank("t1", **NO_FILTER)
    assert r1.loc["t4", "nearby_50km"] == pytest.approx(math.log1p(W50 + W50**2))
    assert r1.loc["t4", "distance_km"] == pytest.approx(3 * KM, abs=1e-3)
    # the score is the sum of the term columns
    assert (r[list(TERMS)].sum(axis=1) - r["score"]).abs().max() < 1e-9
    assert r["score"].is_monotonic_decreasing


def test_shared_partner_outside_europe_counts_a_tenth(line):
    # t5 (RU, outside Europe) links t4 and t1 once this link is added: deg(t5) = 2
    towns = line.towns.reset_index()
    links = pd.concat(
        [line.edges[["town_a", "town_b"]], pd.DataFrame({"town_a": ["t1"], "town_b": ["t5"]})]
    )
    data = tg.load(towns=towns, partnerships=links)
    r = PartnerModel(data, weights=ONES).rank("t1", **NO_FILTER)
    # t1 (3 partners: t2, t3, t5) and t4 (2: t3, t5) share t3 (FR, degree 3) and t5 (RU,
    # degree 2): normalised by sqrt(3 * 2), the two towns' numbers of partners
    assert r.loc["t4", "shared_partners"] == pytest.approx(
        math.log1p(1000 * (1 / 3 + 0.1 / 2) / math.sqrt(3 * 2))
    )
    assert r.loc["t4", "common_partners"] == 2
    assert "shares partners Three (FR), Five (RU)" in r.loc["t4", "reason"]


def test_shared_partners_weigh_both_towns_numbers_of_partners(line):
    # t1-t4 added: t2 (2 partners: t1, t3) and t4 (3: t1, t3, t5) share t1 (partners t2,
    # t3, t4) and t3 (t1, t2, t4), 3 partners each; from t2, t4 gets
    # 1000 * (1/3 + 1/3) / sqrt(2 * 3), and from t4, t2 the same (the term is symmetric;
    # divided by the town's partners only, it was not)
    links = pd.concat(
        [line.edges[["town_a", "town_b"]], pd.DataFrame({"town_a": ["t1"], "town_b": ["t4"]})]
    )
    data = tg.load(towns=line.towns.reset_index(), partnerships=links)
    m = PartnerModel(data, weights=ONES)
    expected = math.log1p(1000 * (2 / 3) / math.sqrt(2 * 3))
    assert m.rank("t2", **NO_FILTER).loc["t4", "shared_partners"] == pytest.approx(expected)
    assert m.rank("t4", **NO_FILTER).loc["t2", "shared_partners"] == pytest.approx(expected)


def test_candidate_ties_by_hand(line):
    # Added to the line: t6 (PL) and t7 (DE) without partners, t8 (DE) twinned with t5.
    # The query t6 is in PL. t2's partners t1 (PL), t3: 1 in PL -> log(1 + 1); t4's (t3,
    # t5) and t8's (t5): none -> 0; t7 has no partner: the mean over the DE towns WITH
    # partners (t2: log 2, t8: 0; t7 itself not counted) -> log(2) / 2.
    extra = pd.DataFrame(
        {
            "town_id": ["t6", "t7", "t8"],
            "name": ["Six", "Seven", "Eight"],
            "country": ["PL", "DE", "DE"],
            "lat": [49.0, 48.0, 47.0],
            "lon": [10.0] * 3,
            "population": [10_000, 10_000, 10_000],
        }
    )
    towns = pd.concat([line.towns.reset_index().drop(columns="eu"), extra])
    links = pd.concat(
        [line.edges[["town_a", "town_b"]], pd.DataFrame({"town_a": ["t8"], "town_b": ["t5"]})]
    )
    data = tg.load(towns=towns, partnerships=links)
    only = {t: 0.0 for t in TERMS} | {"candidate_ties": -1.0}
    r = PartnerModel(data, weights=only).rank("t6", **NO_FILTER)
    assert set(r.index) == {"t2", "t3", "t4", "t5", "t7", "t8"}  # t1 is domestic
    assert r.loc["t2", "candidate_ties"] == pytest.approx(-math.log(2))
    assert r.loc["t3", "candidate_ties"] == pytest.approx(-math.log(2))  # t1 (PL), t2, t4
    assert r.loc[["t4", "t5", "t8"], "candidate_ties"].tolist() == [0.0, 0.0, 0.0]
    assert r.loc["t7", "candidate_ties"] == pytest.approx(-math.log(2) / 2)
    assert r.loc["t2", "reason"] == "already twinned with 1 town of PL (-0.7)"
    assert r.loc["t7", "reason"] == "no partner yet (valued as an average town of DE for PL) (-0.3)"
    assert r.loc["t8", "reason"] == ""


def test_country_pair_ratio_by_hand(line):
    m = PartnerModel(line, weights=ONES)
    pl, de = m.network.codes.of(["PL", "DE"])
    assert m.links.country_llr[pl, de] == pytest.approx(math.log((1 + 5 / 4) / 7 / (1 / 4)))


def test_same_name_in_two_countries():
    towns = pd.DataFrame(
        {
            "town_id": ["de-bergen", "no-bergen", "fr-x", "it-y"],
            "name": ["Bergen", "Bergen", "Xville", "Yburg"],
            "country": ["DE", "NO", "FR", "IT"],
            "lat": [52.8, 60.4, 48.0, 45.0],
            "lon": [9.96, 5.3, 2.0, 9.0],
        }
    )
    links = pd.DataFrame({"town_a": ["de-bergen", "no-bergen"], "town_b": ["fr-x", "it-y"]})
    data = tg.load(towns=towns, partnerships=links)
    r = PartnerModel(data, weights=ONES).rank("de-bergen", **NO_FILTER)
    assert r.loc["no-bergen", "same_name"] == 1.0 and r.loc["it-y", "same_name"] == 0.0
    assert "same name" in r.loc["no-bergen", "reason"]


def test_reasons_name_partners_and_signs(ones):
    quiet = {"distance": 0.0, "distance_in_country": 0.0, "centrality": 0.0}
    r = ones.rank("t4", **NO_FILTER, weights=quiet)
    why = r.loc["t2", "reason"]
    assert "shares partner Three (FR) (+5.1)" in why
    assert "partners are twinned: Three (FR) with One (PL)" in why
    assert "IT–DE pairs are rare (-0.3)" in why


def test_path_reason_names_the_strongest_path_and_counts_the_others(line):
    # with t1-t5 added, t4's partners {t3, t5} and t2's partners {t1, t3} are joined by two
    # links: t3-t1 (1/deg 1/3 x 1/3) and t5-t1 (1/2 x 1/3, the stronger)
    links = pd.concat(
        [line.edges[["town_a", "town_b"]], pd.DataFrame({"town_a": ["t1"], "town_b": ["t5"]})]
    )
    data = tg.load(towns=line.towns.reset_index(), partnerships=links)
    quiet = {"distance": 0.0, "distance_in_country": 0.0, "centrality": 0.0}
    r = PartnerModel(data, weights=ONES).rank("t4", **NO_FILTER, weights=quiet)
    assert (
        "partners are twinned: Five (RU) with One (PL) and 1 more pair (" in r.loc["t2", "reason"]
    )
    assert r.loc["t2", "partner_paths"] == pytest.approx(math.log1p(3 * (1 / 9 + 1 / 6)))


def test_defaults_foreign_eligible_and_population_band(line):
    towns = line.towns.reset_index()
    towns.loc[4, "country"] = "PL"  # t5 becomes a Polish town, like t1
    data = tg.load(towns=towns, partnerships=line.edges[["town_a", "town_b"]])
    m = PartnerModel(data, weights=ONES)
    assert "t5" not in m.rank("t1", call=None, population_band=None).index  # domestic
    assert "t5" in m.rank("t1", call=None, population_band=None, include_domestic=True).index
    # population band 3 around t1 (10k): 3,333 to 30,000 keeps t2 (20k) and t4 (5k)
    assert set(m.rank("t1", call=None, population_band=3, include_domestic=True).index) == {"t4"}
    # t3 (50k; partners t1, t2, t4): 16.7k to 150k keeps t5 (100k)
    assert set(line_rank(line, "t3", population_band=3)) == {"t5"}


def line_rank(data, town, **opts):
    return PartnerModel(data, weights=ONES).rank(town, call=None, **opts).index


def test_eligible_column_and_query_warning(ones):
    r = ones.rank("t1", call="CERV-2025-CITIZENS-TOWN-NT", population_band=None, n=None)
    assert r.index.tolist() == ["t4"]  # t5 in RU is not eligible; t2, t3 are partners
    assert r.loc["t4", "eligible"] == "yes" and "EU Member State" in r.loc["t4", "eligible_reason"]
    assert r.loc["t4", "eligible_rule"] == "confirmed"
    r = ones.rank("t1", call=None, population_band=None)
    assert set(r["eligible"]) == {"n/a"} and "t5" in r.index
    with pytest.warns(tg.DataWarning, match=r"Five \(RU\) itself is not eligible"):
        ones.rank("t5", call="latest", population_band=None)


def test_unconfirmed_country_is_kept_and_flagged():
    towns = pd.DataFrame(
        {
            "town_id": ["pl", "ua", "de"],
            "name": ["Pol", "Ukr", "Deu"],
            "country": ["PL", "UA", "DE"],
            "lat": [50.0, 49.0, 51.0],
            "lon": [20.0, 24.0, 10.0],
        }
    )
    data = tg.load(towns=towns, partnerships=pd.DataFrame({"town_a": ["pl"], "town_b": ["de"]}))
    r = PartnerModel(data, weights=ONES).rank("de", call="CERV-2025-CITIZENS-TOWN-NT", n=None)
    assert r.loc["ua", "eligible"] == "unconfirmed"
    assert "not confirmed" in r.loc["ua", "eligible_reason"]


def test_any_town_can_ask(ones, line):
    by_id = ones.rank("t4", **NO_FILTER)
    pd.testing.assert_frame_equal(ones.rank("Four", **NO_FILTER), by_id)  # by name
    pd.testing.assert_frame_equal(ones.rank(100, **NO_FILTER), by_id)  # by GeoNames id
    pd.testing.assert_frame_equal(ones.rank("geonames:100", **NO_FILTER), by_id)
    # a new place 1 km north of t1: no partners, but kernels from its position
    new = {"name": "Newtown", "country": "CZ", "lat": 50.009, "lon": 10.0, "population": 9_000}
    r = ones.rank(new, **NO_FILTER)
    assert set(r.index) == {"t1", "t2", "t3", "t4", "t5"}
    assert (r["shared_partners"] == 0).all() and (r["partner_paths"] == 0).all()
    # its 10 km kernel holds t1 (1 km away): t1's partners t2, t3 gain nearby_10km
    w1 = math.exp(-0.5 * (0.009 * KM / 10) ** 2)
    assert r.loc["t2", "nearby_10km"] == pytest.approx(math.log1p(w1))
    # a new place that is a network town (same name and country, 1 km away) is that town
    same = {"name": "One", "country": "PL", "lat": 50.009, "lon": 10.0}
    pd.testing.assert_frame_equal(ones.rank(same, **NO_FILTER), ones.rank("t1", **NO_FILTER))


def test_a_town_without_partners_is_ranked(line):
    towns = pd.concat(
        [
            line.towns.reset_index(),
            pd.DataFrame(
                {
                    "town_id": ["t6"],
                    "name": ["Six"],
                    "country": ["CZ"],
                    "lat": [55.0],
                    "lon": [10.0],
                }
            ),
        ]
    )
    data = tg.load(towns=towns, partnerships=line.edges[["town_a", "town_b"]])
    r = rank_partners(data, "t6", **NO_FILTER)
    assert len(r) == 5 and (r["common_partners"] == 0).all()


def test_bad_input_one_clear_error(ones, line):
    with pytest.raises(tg.UnknownTownError, match="no town or gazetteer place is called 'Zzyzx'"):
        ones.rank("Zzyzx")
    with pytest.raises(tg.UnknownCallError, match="unknown call .*'latest', 'latest-confirmed'"):
        ones.rank("t1", call="CERV-1999-NOPE")
    with pytest.raises(tg.ValidationError, match="n must be an integer >= 1"):
        ones.rank("t1", n=-1)
    with pytest.raises(tg.ValidationError, match=r"(?s)2 problems.*source.*population_band"):
        ones.rank("t1", source="web", population_band=0.5)
    with pytest.raises(tg.ValidationError, match="unknown option"):
        ones.rank("t1", nn=3)
    with pytest.raises(tg.ValidationError, match="unknown weight"):
        ones.rank("t1", weights={"nope": 1})
    with pytest.raises(tg.ValidationError, match=r"country.*missing.*\n.*lat.*between"):
        ones.rank({"name": "X", "lat": 95.0, "lon": 0.0})
    with pytest.raises(tg.UnknownTownError, match="GeoNames id 7"):
        ones.rank(7)


def test_ambiguous_name_lists_candidates():
    towns = pd.DataFrame(
        {
            "town_id": ["a", "b", "c"],
            "name": ["Twinville", "Twinville", "Other"],
            "country": ["DE", "FR", "IT"],
            "lat": [50.0, 45.0, 44.0],
            "lon": [10.0, 3.0, 11.0],
            "population": [1_000, 2_000, 3_000],
        }
    )
    data = tg.load(towns=towns, partnerships=pd.DataFrame({"town_a": ["a"], "town_b": ["c"]}))
    with pytest.raises(tg.ValidationError, match=r"'Twinville' matches 2 places: .*\(FR, 2,000; b"):
        rank_partners(data, "Twinville")


def test_filters_leaving_nothing_say_which_removed_what(ones):
    with pytest.raises(tg.ValidationError, match=r"max_distance_km=100: -2"):
        ones.rank("t1", max_distance_km=100, call=None)
    with pytest.raises(
        tg.ValidationError, match=r"not eligible for CERV-\d{4}-CITIZENS-TOWN-NT: -1"
    ):
        ones.rank("t1", countries="RU")


def test_gazetteer_candidates_merged_and_municipal(ones):
    fake = pd.DataFrame(
        {
            "geonames_id": [100, 200, 300, 400, 500],
            "name": ["Four (gazetteer)", "New Town", "Two", "Landkreis Testkreis", "One"],
            "country": ["IT", "PL", "DE", "DE", "PL"],
            "lat": [53.0, 50.5, 51.05, 51.5, 50.02],
            "lon": [10.0, 10.0, 10.0, 10.0, 10.0],
            "population": [5_000, 3_000, 20_000, 90_000, 10_000],
        }
    ).set_index("geonames_id")
    r = ones.rank("t1", source="gazetteer", candidates=fake, **NO_FILTER, include_domestic=True)
    # 100 is t4 (same id), 300 is t2 (same name and country, 5.6 km), 500 is t1 itself
    # (2.2 km), 400 is a district: none is listed; 200 is new
    assert sorted(r.index) == ["geonames:200", "t4", "t5"]
    assert r.loc["t4", "name"] == "Four" and bool(r.loc["t4", "in_network"])
    assert not r.loc["geonames:200", "in_network"] and r.loc["geonames:200", "partners"] == 0
    assert r.loc["geonames:200", "distance_km"] == pytest.approx(0.5 * KM, abs=1e-3)


def test_weights_override_and_strategy_terms(ones):
    r = ones.rank("t5", **NO_FILTER, weights={"new_country": 2.0})
    # t5 (RU) reaches IT only: every candidate is a new country
    assert (r["new_country"] == 2.0).all()
    base = ones.rank("t5", **NO_FILTER)
    assert (r["score"] - base.loc[r.index, "score"]).to_numpy() == pytest.approx([2.0] * len(r))


def test_model_is_kept_on_the_data_object(line):
    from twinning_graph.recommend import partner_model

    m = partner_model(line)
    assert partner_model(line) is m
    sub = line.filter(countries=["PL", "DE", "FR", "IT"])
    assert partner_model(sub) is not m
    with pytest.raises(tg.UnknownTownError):
        rank_partners(sub, "t5")
    # a graph is refitted every call and gives the same ranking
    a = rank_partners(line, "t4", **NO_FILTER)
    pd.testing.assert_frame_equal(a, rank_partners(line.town_graph(), "t4", **NO_FILTER))


def test_distances_agree_with_the_library_haversine():
    from twinning_graph._geo import haversine_km
    from twinning_graph.recommend._features import distances

    data = tg.load()
    m = tg.recommend.partner_model(data)
    pool = m.pool("network")
    q = m.queries([m.town(t) for t in ("FR-chartres", "PL-krakow", "US-new-york-city")])
    d = distances(q, pool)
    ref = haversine_km(q.lat[:, None], q.lon[:, None], m.network.lat, m.network.lon)
    assert np.abs(d - ref).max() < 1e-3  # 1 m


def test_bins_match_searchsorted():
    from twinning_graph.recommend._links import SIZE_EDGES, distance_bin, size_bin

    rng = np.random.default_rng(0)
    r = np.concatenate([rng.normal(0, 1.5, 50_000), SIZE_EDGES, np.nextafter(SIZE_EDGES, 9)])
    assert (size_bin(r) == np.searchsorted(SIZE_EDGES, r)).all()
    edges = np.concatenate([[0.0], np.geomspace(2.0, 20_000.0, 41)])
    d = np.concatenate([rng.random(50_000) * 19_999, np.geomspace(1e-3, 19_999, 50_000)])
    assert (distance_bin(d) == np.searchsorted(edges, d, side="right") - 1).all()


def test_conditional_logit_recovers_known_weights():
    from twinning_graph.recommend._fit import clogit

    rng = np.random.default_rng(1)
    true = np.array([1.5, -0.7, 0.3])
    X = rng.normal(size=(6_000, 20, 3))
    # draw the chosen alternative from the conditional logit, then move it to position 0
    p = np.exp(X @ true)
    p /= p.sum(axis=1, keepdims=True)
    pick = (p.cumsum(axis=1) > rng.random((6_000, 1))).argmax(axis=1)
    rows = np.arange(6_000)
    X[rows, 0], X[rows, pick] = X[rows, pick].copy(), X[rows, 0].copy()
    w, ll, ll0 = clogit(X, np.ones((6_000, 20), dtype=bool), np.zeros(3), ridge=0.0)
    assert w == pytest.approx(true, abs=0.06)
    assert ll > ll0


def test_fitted_weights_and_repr(bundled):
    m = tg.recommend.partner_model(bundled)
    assert m.fit_info is not None and m.fit_info.queries == 4000
    assert m.fit_info.log_likelihood > m.fit_info.log_likelihood_prior
    assert m.weights.language == 0.0 and m.weights.gap == 0.0
    assert m.weights.new_country > 0  # towns spread their partners over countries
    assert "fitted on 4,000 hidden links" in repr(m)


# ----------------------------------------------------------------------------- bundled data


def test_bundled_ranking_is_foreign_and_explained(bundled):
    r = rank_partners(bundled, "ES-tortosa", n=10)
    assert len(r) == 10 and r.index.is_unique
    assert (r["country"] != "ES").all()
    assert set(r["eligible"]) <= {"yes", "unconfirmed"}
    assert (r["reason"].str.len() > 0).all()
    partners = set(bundled.edges.query("town_a == 'ES-tortosa'")["town_b"]) | set(
        bundled.edges.query("town_b == 'ES-tortosa'")["town_a"]
    )
    assert not (set(r.index) & partners)


def test_gazetteer_never_lists_the_town_or_a_partner_again(bundled):
    # Helsingør is twinned with Helsingborg; the gazetteer has both as places
    r = rank_partners(bundled, "DK-helsingor", n=50, source="gazetteer", call=None)
    assert not r["name"].str.contains("Helsing").any()
    assert r.index.is_unique


@pytest.mark.filterwarnings("ignore:.*itself is not eligible:twinning_graph.DataWarning")
def test_rank_partners_many_matches_one_by_one(bundled):
    from twinning_graph.recommend import rank_partners_many

    ids = list(
        bundled.towns.index[np.random.default_rng(3).choice(len(bundled), 12, replace=False)]
    )
    for opts in (
        {"n": 10},
        {"n": 30, "call": None, "countries": ["DE", "FR", "PL", "IT"], "population_band": None},
        {"n": 5, "source": "gazetteer", "min_population": 2_000},
    ):
        many = rank_partners_many(bundled, ids, **opts)
        assert list(many.columns[:3]) == ["town_id", "rank", "candidate_id"]
        for t in dict.fromkeys(many["town_id"]):
            one = rank_partners(bundled, t, **opts)
            got = (
                many[many["town_id"] == t]
                .drop(columns=["town_id", "rank"])
                .set_index("candidate_id")
                .rename_axis("town_id")
            )
            pd.testing.assert_frame_equal(got, one, check_exact=True)


def test_rank_partners_many_on_the_line(line):
    from twinning_graph.recommend import rank_partners_many

    m = PartnerModel(line, weights=ONES)
    many = m.rank_many(["t4", "t5", "t4"], **NO_FILTER)  # a duplicate is ranked once
    assert many["town_id"].tolist() == ["t4", "t4", "t5", "t5", "t5"]
    assert many["rank"].tolist() == [1, 2, 1, 2, 3]
    with pytest.warns(
        tg.DataWarning, match=r"1 of 2 towns have no candidate.*max_distance_km=250: -2"
    ):
        few = m.rank_many(["t1", "t3"], max_distance_km=250, call=None)
    assert set(few["town_id"]) == {"t3"}
    with pytest.raises(tg.UnknownTownError, match="2 of 3 towns cannot be ranked"):
        rank_partners_many(line, ["t1", "x1", "x2"])
    with pytest.raises(tg.ValidationError, match="n must be an integer >= 1"):
        rank_partners_many(line, ["t1"], n=0)
    empty = m.rank_many([], call=None)
    assert len(empty) == 0 and list(empty.columns[:3]) == ["town_id", "rank", "candidate_id"]


def test_language_table_has_sources():
    t = tg.recommend.language_table()
    assert (t["source"].str.startswith("http")).all()
    assert set(t["status"]) == {"official", "regional"}
    assert t.duplicated(["country", "region", "language"]).sum() == 0
    be = t[t["country"] == "BE"]
    assert set(be["region"]) == {"BRU", "VLG", "WAL"}  # languages by region only


def test_language_term_when_asked(line):
    # t1 (PL) and t2 (DE) share no language; a CH town in Ticino speaks Italian like t4 (IT)
    towns = pd.concat(
        [
            line.towns.reset_index(),
            pd.DataFrame(
                {
                    "town_id": ["ch"],
                    "name": ["Lugano"],
                    "country": ["CH"],
                    "lat": [46.0],
                    "lon": [8.95],
                    "admin1": ["TI"],
                }
            ),
        ]
    )
    links = pd.concat(
        [line.edges[["town_a", "town_b"]], pd.DataFrame({"town_a": ["ch"], "town_b": ["t1"]})]
    )
    data = tg.load(towns=towns, partnerships=links)
    r = PartnerModel(data, weights=ONES).rank("ch", **NO_FILTER)
    assert r.loc["t4", "language"] == 1.0 and r.loc["t2", "language"] == 0.0
    assert "both Italian-speaking" in r.loc["t4", "reason"]


def test_rank_weights_coerce():
    w = RankWeights.coerce({"gap": 0.5}, base=RankWeights(size=2.0))
    assert (w.gap, w.size) == (0.5, 2.0)
    with pytest.raises(tg.ValidationError, match="must be finite"):
        RankWeights.coerce({"gap": float("nan")})


def test_per_country_cap_is_the_greedy_list(bundled):
    full = rank_partners(bundled, "NL-gouda", n=None)
    capped = rank_partners(bundled, "NL-gouda", n=10, per_country=2)
    seen: dict[str, int] = {}
    greedy = []
    for tid, country in full["country"].items():  # the list by hand: best first, 2 per country
        if seen.get(country, 0) < 2:
            seen[country] = seen.get(country, 0) + 1
            greedy.append(tid)
        if len(greedy) == 10:
            break
    assert capped.index.tolist() == greedy
    assert capped["country"].value_counts().max() <= 2
    with pytest.raises(tg.ValidationError, match="per_country"):
        rank_partners(bundled, "NL-gouda", per_country=0)


def test_a_place_listed_twice_is_listed_once_and_never_as_a_partners_double():
    # "Alpha" and "Alpha Municipality" (DE, 2 km apart) are one place: the same name key
    towns = pd.DataFrame(
        {
            "town_id": ["alpha", "alpha-mun", "pl", "fr", "it"],
            "name": ["Alpha", "Alpha Municipality", "Polski", "Franc", "Itala"],
            "country": ["DE", "DE", "PL", "FR", "IT"],
            "lat": [50.0, 50.018, 52.0, 48.0, 45.0],
            "lon": [10.0, 10.0, 20.0, 2.0, 9.0],
        }
    )
    links = pd.DataFrame(
        {"town_a": ["pl", "alpha-mun", "alpha-mun"], "town_b": ["alpha", "fr", "it"]}
    )
    data = tg.load(towns=towns, partnerships=links)
    m = PartnerModel(data, weights=ONES)
    # pl is twinned with alpha: its double alpha-mun is not a candidate either
    assert "alpha-mun" not in m.rank("pl", **NO_FILTER).index
    # for fr, the place is listed once: alpha-mun (2 partners) rather than alpha (1)
    r = m.rank("fr", **NO_FILTER)
    assert "alpha" not in r.index
    # it is twinned with alpha-mun: itself, alpha-mun and its double alpha go; then PL, FR
    with pytest.raises(
        tg.ValidationError,
        match=r"their doubles and smaller places within 10 km of them: -3.*DE'\]: -2",
    ):
        m.rank("it", **NO_FILTER, countries="DE")


def test_nearby_kernels_by_an_independent_sum(line):
    # log(1 + sum over links a-b of K(town, a) K(candidate, b)), K Gaussian over the k nearest
    # towns within 3 sigma, computed here town by town with the library's haversine; links
    # whose far end b is the town itself or whose near end a is the candidate do not count
    from twinning_graph._geo import haversine_km
    from twinning_graph.recommend._places import KERNELS

    t = line.towns
    ids = list(t.index)
    links = list(zip(line.edges["town_a"], line.edges["town_b"], strict=True))
    links += [(b, a) for a, b in links]

    def kernel(x: str, sigma: float, k: int) -> dict[str, float]:
        d = {
            y: float(haversine_km(t.at[x, "lat"], t.at[x, "lon"], t.at[y, "lat"], t.at[y, "lon"]))
            for y in ids
        }
        near = sorted((y for y in ids if d[y] <= 3 * sigma), key=d.get)[:k]
        return {y: math.exp(-0.5 * (d[y] / sigma) ** 2) for y in near}

    r = PartnerModel(line, weights=ONES).rank("t1", **NO_FILTER)
    for term, (sigma, k) in KERNELS.items():
        ku, kv = kernel("t1", sigma, k), kernel("t4", sigma, k)
        kept = [(a, b) for a, b in links if b != "t1" and a != "t4"]
        expected = math.log1p(sum(ku.get(a, 0) * kv.get(b, 0) for a, b in kept))
        assert r.loc["t4", term] == pytest.approx(expected, rel=1e-5), term
    assert r.loc["t4", "nearby_150km"] > r.loc["t4", "nearby_50km"] > 0


def test_distance_term_is_interpolated_between_bin_centres(line):
    from twinning_graph.recommend._links import _D_LO, _D_STEP

    links = PartnerModel(line, weights=ONES).links
    table = links.dist_llr
    centre = [_D_LO * math.exp((b - 0.5) * _D_STEP) for b in (10, 11)]  # bins 10 and 11
    mid = math.sqrt(centre[0] * centre[1])  # halfway in log distance
    got = links.distance_term(np.array([centre[0], centre[1], mid, np.nan]))
    assert got[:3] == pytest.approx([table[10], table[11], (table[10] + table[11]) / 2])
    assert got[3] == 0.0


def test_size_term_is_interpolated_between_bin_centres(bundled):
    from twinning_graph.recommend._links import SIZE_CENTRES, SIZE_EDGES

    # centres: the middle of each inner bin, the outer bins a quarter beyond their edge
    assert SIZE_CENTRES[1] == pytest.approx((SIZE_EDGES[0] + SIZE_EDGES[1]) / 2)
    assert SIZE_CENTRES[0] == pytest.approx(SIZE_EDGES[0] - 0.25)
    links = tg.recommend.partner_model(bundled).links
    rng = np.random.default_rng(0)
    lq, lc = rng.uniform(2, 7, 40), rng.uniform(1, 8, 2_000)
    lc[7] = np.nan
    r = lc[None, :] - lq[:, None]
    ref = np.interp(np.nan_to_num(r), SIZE_CENTRES, links.size_llr)
    ref[np.isnan(r)] = 0.0
    assert np.abs(links.size_term(lq, lc) - ref).max() < 1e-12


def test_distance_in_country_compares_with_the_countrys_towns(line):
    # a second Italian town, t6, 2 degrees south of t1: IT has t4 and t6
    towns = pd.concat(
        [
            line.towns.reset_index().drop(columns="eu"),
            pd.DataFrame(
                {"town_id": ["t6"], "name": ["Six"], "country": ["IT"], "lat": [48.0]}
            ).assign(lon=10.0, population=8_000),
        ]
    )
    links = pd.concat(
        [line.edges[["town_a", "town_b"]], pd.DataFrame({"town_a": ["t6"], "town_b": ["t2"]})]
    )
    data = tg.load(towns=towns, partnerships=links)
    m = PartnerModel(data, weights=ONES)
    r = m.rank("t1", **NO_FILTER)
    f = m.links.distance_term(np.array([3 * KM, 2 * KM]))  # t4, t6 from t1
    mean = math.log((math.exp(f[0]) + math.exp(f[1])) / 2)
    assert r.loc["t4", "distance_in_country"] == pytest.approx(f[0] - mean)
    assert r.loc["t6", "distance_in_country"] == pytest.approx(f[1] - mean)
    assert r.loc["t5", "distance_in_country"] == pytest.approx(0.0)  # the only RU town


def test_centrality_marks_suburbs_and_names_the_larger_town(line):
    # "Sub" (2,000) lies 5 km from t2 (20,000): a tenth of its neighbour's size
    towns = pd.concat(
        [
            line.towns.reset_index().drop(columns="eu"),
            pd.DataFrame(
                {"town_id": ["sub"], "name": ["Sub"], "country": ["DE"], "lat": [51.045]}
            ).assign(lon=10.0, population=2_000),
        ]
    )
    links = pd.concat(
        [line.edges[["town_a", "town_b"]], pd.DataFrame({"town_a": ["sub"], "town_b": ["t5"]})]
    )
    data = tg.load(towns=towns, partnerships=links)
    quiet = {t: 0.0 for t in TERMS} | {"centrality": 1.0}
    r = PartnerModel(data, weights=quiet).rank("t4", **NO_FILTER)
    assert r.loc["sub", "centrality"] == pytest.approx(-1.0)  # log10(2,000 / 20,000)
    assert r.loc["t2", "centrality"] == pytest.approx(1.0)
    assert r.loc["t1", "centrality"] == pytest.approx(2.0)  # nobody within 15 km: the cap
    assert "next to larger Two (20k, 5 km)" in r.loc["sub", "reason"]
    assert "largest town within 15 km" in r.loc["t1", "reason"]


def test_ties_go_to_the_closest_size_then_the_nearest():
    # every weight 0: all candidates tie; the town has 10,000 inhabitants
    towns = pd.DataFrame(
        {
            "town_id": ["q", "a", "b", "c", "d", "z"],
            "name": ["Q", "Alfa", "Bravo", "Charlie", "Delta", "Zulu"],
            "country": ["DE", "FR", "FR", "IT", "IT", "AT"],
            "lat": [50.0, 47.0, 48.0, 44.0, 49.0, 48.0],
            "lon": [10.0, 10.0, 10.0, 10.0, 10.0, 14.0],
            "population": [10_000, 20_000, 5_000, 10_000, 40_000, 9_000],
        }
    )
    data = tg.load(towns=towns, partnerships=pd.DataFrame({"town_a": ["q"], "town_b": ["z"]}))
    r = PartnerModel(data, weights={t: 0.0 for t in TERMS}).rank("q", **NO_FILTER)
    assert (r["score"] == 0).all()
    # c: same size; b (5k, 222 km) and a (20k, 334 km) are a factor 2 off: nearer first; d: 4x
    assert r.index.tolist() == ["c", "b", "a", "d"]
