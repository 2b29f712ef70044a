"""Tests of twinning_graph.reach on tiny networks with hand-worked answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph._geo import EARTH_RADIUS_KM
from twinning_graph.cli import main
from twinning_graph.reach import country_reach, reach, town_reach

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def line():
    """A path a - b - c - d - e plus an isolated town f (synthetic test data).

    Countries: a PL, b SE, c FR, d FR, e GR (given as EL), f DE.
    """
    towns = pd.DataFrame(
        {
            "town_id": ["a", "b", "c", "d", "e", "f"],
            "name": ["A", "B", "C", "D", "E", "F"],
            "country": ["PL", "SE", "FR", "FR", "EL", "DE"],
            # towns on the equator, one degree of longitude apart: distances are easy
            "lat": [0.0] * 6,
            "lon": [0.0, 1.0, 2.0, 3.0, 4.0, 10.0],
        }
    )
    links = pd.DataFrame({"town_a": ["a", "b", "c", "d"], "town_b": ["b", "c", "d", "e"]})
    return tg.load(towns=towns, partnerships=links)


DEG_KM = math.radians(1.0) * EARTH_RADIUS_KM  # one degree of longitude on the equator


@pytest.fixture
def li_towns() -> pd.DataFrame:
    """Towns with real GeoNames ids of the shipped gazetteer (Liechtenstein, populations
    Vaduz 5,197, Schaan 5,998, Triesen 5,230, Balzers 4,628), plus AT, CH and US towns."""
    return pd.DataFrame(
        {
            "town_id": ["vaduz", "schaan", "balzers", "triesen", "wien", "zurich", "nyc"],
            "name": ["Vaduz", "Schaan", "Balzers", "Triesen", "Wien", "Zürich", "New York"],
            "country": ["LI", "LI", "LI", "LI", "AT", "CH", "US"],
            "lat": [47.141, 47.165, 47.066, 47.107, 48.208, 47.377, 40.713],
            "lon": [9.521, 9.509, 9.503, 9.526, 16.372, 8.540, -74.006],
            "geonames_id": [3042030, 3042041, 3042073, 3042035, None, None, None],
        }
    )


@pytest.fixture
def li(li_towns):
    # vaduz-wien, schaan-zurich, balzers-vaduz (domestic), wien-nyc; triesen has no partner
    links = pd.DataFrame(
        {
            "town_a": ["vaduz", "schaan", "balzers", "wien"],
            "town_b": ["wien", "zurich", "vaduz", "nyc"],
        }
    )
    return tg.load(towns=li_towns, partnerships=links)


# --------------------------------------------------------------------------- town_reach


def test_town_reach_tiny_by_hand(tiny):
    # a PL, b SE, c FR, d FR, e GR; links a-b, a-c, b-c, c-d, d-e
    r = town_reach(tiny)
    assert list(r.index) == ["a", "b", "c", "d", "e"]
    assert r.index.name == "town_id"
    assert r["partners"].tolist() == [2, 2, 3, 2, 1]
    assert r["foreign_partners"].tolist() == [2, 2, 2, 1, 1]
    assert r["countries_reached"].tolist() == [2, 2, 2, 1, 1]
    # within 2 hops: a -> {b, c, d}: SE, FR; c -> {a, b, d, e}: PL, SE, GR (not FR)
    # d -> {c, e, a, b}: PL, SE, GR; e -> {d, c}: FR only
    assert r["countries_within_2_hops"].tolist() == [2, 2, 3, 3, 1]
    # all five are EU towns: denominators 26
    assert r["eu_states_reached"].tolist() == [2, 2, 2, 1, 1]
    np.testing.assert_allclose(r["eu_share"], np.array([2, 2, 2, 1, 1]) / 26)
    np.testing.assert_allclose(r["foreign_share"], [1, 1, 2 / 3, 0.5, 1])
    assert r.loc["c", "country"] == "FR" and r.loc["e", "country"] == "GR"


def test_town_reach_distances_and_isolated(line):
    r = town_reach(line)
    np.testing.assert_allclose(
        r.loc["a", ["mean_partner_km", "max_partner_km"]].to_numpy(float),
        [DEG_KM, DEG_KM],
        rtol=1e-9,
    )
    np.testing.assert_allclose(r.loc["c", "mean_partner_km"], DEG_KM, rtol=1e-9)
    f = r.loc["f"]
    assert f["partners"] == 0 and f["countries_reached"] == 0
    assert f["countries_within_2_hops"] == 0 and f["eu_states_reached"] == 0
    assert np.isnan(f["mean_partner_km"]) and np.isnan(f["max_partner_km"])
    assert np.isnan(f["foreign_share"]) and f["eu_share"] == 0


def test_town_reach_k_hops_on_a_path(line):
    # a PL - b SE - c FR - d FR - e GR
    # 1 hop: a {b: SE}; b {a: PL, c: FR}; c {b: SE, d: own FR}; d {c: own, e: GR}; e {d: FR}
    assert town_reach(line, k=1)["countries_within_1_hops"].tolist() == [1, 2, 1, 1, 1, 0]
    # 2 hops: a {b, c}; b {a, c, d}; c {a, b, d, e}; d {b, c, e}; e {c, d}
    assert town_reach(line)["countries_within_2_hops"].tolist() == [2, 2, 3, 2, 1, 0]
    # 3 hops: a {b, c, d}: SE, FR; e {b, c, d}: SE, FR
    assert town_reach(line, k=3)["countries_within_3_hops"].tolist() == [2, 3, 3, 3, 2, 0]
    # a reaches e (GR) only at 4 hops
    assert town_reach(line, k=4)["countries_within_4_hops"].tolist() == [3, 3, 3, 3, 3, 0]


def test_k1_equals_direct_countries(bundled):
    r = town_reach(bundled, k=1)
    assert (r["countries_within_1_hops"] == r["countries_reached"]).all()


def test_own_country_never_counts():
    # a DE - b DE - c DE: only domestic links, nothing foreign in reach
    towns = pd.DataFrame(
        {
            "town_id": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "country": ["DE"] * 3,
            "lat": [50.0, 51, 52],
            "lon": [8.0, 9, 10],
        }
    )
    links = pd.DataFrame({"town_a": ["a", "b"], "town_b": ["b", "c"]})
    r = town_reach(tg.load(towns=towns, partnerships=links))
    assert r["countries_reached"].tolist() == [0, 0, 0]
    assert r["countries_within_2_hops"].tolist() == [0, 0, 0]
    assert r["foreign_partners"].tolist() == [0, 0, 0]
    assert r["foreign_share"].tolist() == [0.0, 0.0, 0.0]
    assert r["eu_states_reached"].tolist() == [0, 0, 0]


def test_eu_share_denominator_non_eu_town():
    # a non-EU town (NO) linked to DE and FR towns: 2 of 27; DE town linked to NO: 0 of 26
    towns = pd.DataFrame(
        {
            "town_id": ["no", "de", "fr"],
            "name": ["N", "D", "F"],
            "country": ["NO", "DE", "FR"],
            "lat": [60.0, 50, 48],
            "lon": [10.0, 8, 2],
        }
    )
    links = pd.DataFrame({"town_a": ["no", "no"], "town_b": ["de", "fr"]})
    r = town_reach(tg.load(towns=towns, partnerships=links))
    assert r.loc["no", "eu_states_reached"] == 2
    assert r.loc["no", "eu_share"] == pytest.approx(2 / 27)
    assert r.loc["de", "eu_states_reached"] == 0 and r.loc["de", "eu_share"] == 0
    assert r.loc["de", "countries_reached"] == 1  # NO counts as a country, not as an EU state
    assert r.loc["de", "countries_within_2_hops"] == 2  # NO, and FR via NO


def test_towns_argument_selects_rows_in_order(tiny):
    full = town_reach(tiny, k=3)
    part = town_reach(tiny, k=3, towns=["e", "a"])
    assert list(part.index) == ["e", "a"]
    pd.testing.assert_frame_equal(part, full.loc[["e", "a"]])
    one = town_reach(tiny, towns="c")
    assert list(one.index) == ["c"]


def test_town_graph_input_matches_data(tiny):
    pd.testing.assert_frame_equal(
        town_reach(tiny.town_graph()), town_reach(tiny), check_index_type=False
    )


def test_within_2_hops_at_least_direct_on_bundled(bundled):
    r = town_reach(bundled)
    assert len(r) == len(bundled.towns)
    assert (r["countries_within_2_hops"] >= r["countries_reached"]).all()
    assert (r["countries_reached"] <= r["foreign_partners"]).all()
    assert (r["foreign_partners"] <= r["partners"]).all()
    assert (r["eu_states_reached"] <= 26).all()
    assert (r["eu_share"].between(0, 1)).all()
    r3 = town_reach(bundled, k=3, towns=r.index[:200])
    assert (r3["countries_within_3_hops"] >= r.loc[r3.index, "countries_within_2_hops"]).all()


def test_partners_match_degree_on_bundled(bundled):
    r = town_reach(bundled)
    assert (r["partners"] == tg.degree(bundled).reindex(r.index)).all()


def test_bundled_spot_checks(bundled):
    r = town_reach(bundled, towns=["DE-berlin", "PL-krakow"])
    # counted in data/partnerships.csv: 24 partners of Berlin (20 in 2017, 4 added from the
    # 2021 snapshot), all abroad, in 23 countries
    assert r.loc["DE-berlin", ["partners", "foreign_partners", "countries_reached"]].tolist() == [
        24,
        24,
        23,
    ]
    assert r.loc["PL-krakow", ["partners", "countries_reached", "eu_states_reached"]].tolist() == [
        38,
        25,
        12,
    ]


@pytest.mark.parametrize("k", [0, -1, 1.5, "2", True, None])
def test_bad_k(tiny, k):
    with pytest.raises(tg.ValidationError, match=r"k must be an integer >= 1, got .* \(hops"):
        town_reach(tiny, k=k)


def test_unknown_town(tiny):
    with pytest.raises(tg.UnknownTownError, match=r"unknown town_id 'zz'.*data\.towns"):
        town_reach(tiny, towns=["a", "zz"])


def test_unknown_town_close_match_on_graph_input(bundled):
    G = bundled.town_graph(countries=["DE"])
    with pytest.raises(tg.UnknownTownError, match=r"did you mean 'DE-berlin'"):
        town_reach(G, towns="DE-berln")


def test_inputs_not_modified(tiny):
    towns, edges = tiny.towns.copy(), tiny.edges.copy()
    town_reach(tiny, k=3)
    pd.testing.assert_frame_equal(tiny.towns, towns)
    pd.testing.assert_frame_equal(tiny.edges, edges)


# --------------------------------------------------------------------------- country_reach


def test_country_reach_by_hand(li):
    c = country_reach(li)
    assert list(c.index) == ["AT", "CH", "LI", "US"]
    assert c.index.name == "country"
    li_ = c.loc["LI"]
    assert li_["name"] == "Liechtenstein"
    assert (li_["towns"], li_["twinned_towns"]) == (4, 3)
    # places >= 5000: Vaduz, Schaan, Triesen; twinned among them: Vaduz, Schaan
    assert li_["gazetteer_places"] == 3
    assert li_["twinned_share"] == pytest.approx(2 / 3)
    assert (li_["links"], li_["domestic_links"], li_["transnational_links"]) == (3, 1, 2)
    assert li_["transnational_share"] == pytest.approx(2 / 3)
    assert li_["countries_reached"] == 2  # AT, CH
    assert li_["eu_states_reached"] == 1  # AT (CH is not a Member State)
    assert li_["eu_share"] == pytest.approx(1 / 27)  # LI is not a Member State
    # GeoNames places of LI (>= 1,000 inhabitants) sum to 42,507
    assert li_["gazetteer_population"] == 42507
    assert li_["links_per_100k"] == pytest.approx(3 / 0.42507)
    at = c.loc["AT"]
    assert (at["links"], at["domestic_links"], at["transnational_links"]) == (2, 0, 2)
    assert at["countries_reached"] == 2 and at["eu_states_reached"] == 0
    assert at["eu_share"] == 0
    assert at["twinned_share"] == 0.0  # Wien has no geonames_id
    us = c.loc["US"]
    assert pd.isna(us["gazetteer_places"]) and np.isnan(us["twinned_share"])
    assert pd.isna(us["gazetteer_population"]) and np.isnan(us["links_per_100k"])
    assert us["links"] == 1


def test_country_reach_min_population(li):
    # places >= 4000: Mauren, Eschen, Balzers, Vaduz, Triesen, Schaan; twinned: 3 of them
    c = country_reach(li, min_population=4000)
    assert c.loc["LI", "gazetteer_places"] == 6
    assert c.loc["LI", "twinned_share"] == pytest.approx(0.5)


def test_country_reach_eu_member(tiny):
    with pytest.warns(tg.DataWarning, match=r"none of the 5 towns has a geonames_id"):
        c = country_reach(tiny)
    fr = c.loc["FR"]
    # FR links: a-c, b-c (transnational), c-d (domestic), d-e (transnational)
    assert (fr["links"], fr["domestic_links"], fr["transnational_links"]) == (4, 1, 3)
    assert fr["eu_states_reached"] == 3 and fr["eu_share"] == pytest.approx(3 / 26)
    assert np.isnan(fr["twinned_share"])
    assert c["links"].sum() == 2 * 4 + 1  # transnational links counted from both ends


def test_country_reach_totals_on_bundled(bundled):
    c = country_reach(bundled)
    e = bundled.edges
    ca = e["town_a"].map(bundled.towns["country"])
    cb = e["town_b"].map(bundled.towns["country"])
    assert c["domestic_links"].sum() == int((ca == cb).sum())
    assert c["transnational_links"].sum() == 2 * int((ca != cb).sum())
    assert c["towns"].sum() == len(bundled.towns)
    share = c["twinned_share"].dropna()
    assert len(share) > 30 and share.between(0, 1).all()
    assert (c.loc[c.index.isin(tg.EU27), "eu_states_reached"] <= 26).all()


@pytest.mark.parametrize("bad", [-1, 1.5, "5000", True])
def test_country_reach_bad_min_population(tiny, bad):
    with pytest.raises(tg.ValidationError, match="min_population must be a whole number"):
        country_reach(tiny, min_population=bad)


# --------------------------------------------------------------------------- reach()


def test_reach_town_dict(tiny):
    r = reach(tiny, town="c")
    assert r["town_id"] == "c"
    assert (r["partners"], r["countries_reached"], r["countries_within_2_hops"]) == (3, 2, 3)
    assert isinstance(r["partners"], int) and isinstance(r["eu_share"], float)


def test_reach_country_dict(li):
    r = reach(li, country="li")
    assert r["country"] == "LI" and r["links"] == 3
    assert r["gazetteer_places"] == 3


def test_reach_all_and_errors(tiny):
    assert len(reach(tiny)) == 5
    with pytest.raises(tg.ValidationError, match="either town or country"):
        reach(tiny, town="a", country="PL")
    with pytest.raises(
        tg.UnknownCountryError, match=r"'XX'.*countries in the data: FR, GR, PL, SE"
    ):
        reach(tiny, country="XX")
    with pytest.raises(tg.UnknownTownError, match="unknown town_id 'q'"):
        reach(tiny, town="q")


# --------------------------------------------------------------------------- CLI


def test_cli_reach_town_json(capsys):
    assert main(["reach", "--town", "DE-berlin", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "town_id",
        "partners",
        "foreign_partners",
        "countries_reached",
        "countries_within_2_hops",
        "eu_states_reached",
    ):
        assert key in out
    assert out["town_id"] == "DE-berlin" and out["partners"] == 24


def test_cli_reach_country_json(capsys):
    assert main(["reach", "--country", "PL", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["country"] == "PL" and out["eu_states_reached"] <= 26


def test_cli_reach_table_formats(capsys):
    assert main(["reach", "--k", "3", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("town_id,name,country,partners")
    assert "countries_within_3_hops" in lines[0]
    assert len(lines) == len(tg.load().towns) + 1
    assert main(["reach"]) == 0
    text = capsys.readouterr().out
    assert "top 50" in text and "ES-madrid" in text


def test_cli_reach_errors(capsys):
    assert main(["reach", "--town", "DE-berln"]) == 1
    assert "did you mean 'DE-berlin'" in capsys.readouterr().err
    assert main(["reach", "--country", "XY"]) == 1
    assert "countries in the data" in capsys.readouterr().err
    assert main(["reach", "--k", "0"]) == 1
    assert "k must be" in capsys.readouterr().err
