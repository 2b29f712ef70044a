"""Tests of twinning_graph.evolution on small dated networks built in code."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.evolution import (
    links_per_year,
    network_as_of,
    new_country_pairs,
    year_coverage,
)


@pytest.fixture
def dated():
    """Six towns in DE, FR, PL, IT with fully dated links (synthetic test data).

    Links: de1-fr1 1956, de2-fr2 1962, de1-de2 1970 (domestic), de2-pl1 1991,
    fr1-pl1 1993, de1-it1 2004, pl1-it1 2004.
    """
    towns = pd.DataFrame(
        {
            "town_id": ["de1", "de2", "fr1", "fr2", "pl1", "it1"],
            "name": ["D1", "D2", "F1", "F2", "P1", "I1"],
            "country": ["DE", "DE", "FR", "FR", "PL", "IT"],
            "lat": [50.0, 51.0, 48.0, 47.0, 52.0, 45.0],
            "lon": [8.0, 9.0, 2.0, 3.0, 21.0, 9.0],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["de1", "de2", "de1", "de2", "fr1", "de1", "pl1"],
            "town_b": ["fr1", "fr2", "de2", "pl1", "pl1", "it1", "it1"],
            "since": [1956, 1962, 1970, 1991, 1993, 2004, 2004],
        }
    )
    return tg.load(towns=towns, partnerships=links)


@pytest.fixture
def partly_dated(dated):
    """The same network with two links of unknown year (de1-de2 and pl1-it1)."""
    p = dated.partnerships.copy()
    p.loc[p["town_a"].isin(["de1"]) & p["town_b"].isin(["de2"]), "since"] = pd.NA
    p.loc[(p["town_a"] == "it1") & (p["town_b"] == "pl1"), "since"] = pd.NA
    return tg.load(towns=dated.towns.reset_index(), partnerships=p)


@pytest.fixture
def undated(tiny_towns):
    links = pd.DataFrame({"town_a": ["a", "b"], "town_b": ["b", "c"]})
    return tg.load(towns=tiny_towns, partnerships=links)


# --------------------------------------------------------------------------- coverage


def test_year_coverage(dated, partly_dated, undated):
    assert year_coverage(dated) == {
        "links": 7,
        "with_year": 7,
        "without_year": 0,
        "share_with_year": 1.0,
        "first_year": 1956,
        "last_year": 2004,
    }
    cov = year_coverage(partly_dated)
    assert (cov["with_year"], cov["without_year"]) == (5, 2)
    assert cov["share_with_year"] == pytest.approx(5 / 7)
    cov = year_coverage(undated)
    assert (cov["with_year"], cov["first_year"], cov["last_year"]) == (0, None, None)


def test_year_coverage_bundled_has_no_years(bundled):
    cov = year_coverage(bundled)
    assert cov["with_year"] == 0 and cov["links"] == len(bundled.edges)


# --------------------------------------------------------------------------- per year


def test_links_per_year(dated, no_warnings):
    s = links_per_year(dated)
    assert s.index.name == "year" and s.name == "new_links"
    assert s.index[0] == 1956 and s.index[-1] == 2004
    assert len(s) == 2004 - 1956 + 1  # every year, zeros included
    assert s.sum() == 7
    assert s[[1956, 1962, 1970, 1991, 1993, 2004]].tolist() == [1, 1, 1, 1, 1, 2]
    assert s[1960] == 0
    c = links_per_year(dated, cumulative=True)
    assert c.name == "links"
    assert c[[1956, 1961, 1962, 1992, 2004]].tolist() == [1, 1, 2, 4, 7]


def test_links_per_year_counts_pairs_once():
    # two partnerships (different kinds) between the same pair: one link, its earliest year
    towns = pd.DataFrame(
        {
            "town_id": ["a", "b"],
            "name": ["A", "B"],
            "country": ["DE", "FR"],
            "lat": [50.0, 48.0],
            "lon": [8.0, 2.0],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["a", "a"],
            "town_b": ["b", "b"],
            "kind": ["twinning", "network"],
            "since": [1980, 1975],
        }
    )
    assert links_per_year(tg.load(towns=towns, partnerships=links)).to_dict() == {1975: 1}


def test_links_per_year_partly_dated_warns(partly_dated):
    with pytest.warns(tg.DataWarning, match=r"2 of 7 links have no known 'since' year"):
        s = links_per_year(partly_dated)
    assert s.sum() == 5 and s.get(2004) == 1 and s.get(1970) == 0


def test_undated_raises(undated, bundled):
    for fn in (links_per_year, new_country_pairs):
        with pytest.raises(
            tg.ValidationError,
            match=r"no link has a known 'since' year.*"
            r"Wikidata 2017.*'since' column",
        ):
            fn(undated)
    with pytest.raises(tg.ValidationError, match="no link has a known 'since' year"):
        network_as_of(undated, 2000)
    with pytest.raises(tg.ValidationError, match="no link has a known 'since' year"):
        links_per_year(bundled)


def test_bad_cumulative(dated):
    with pytest.raises(tg.ValidationError, match="cumulative must be True or False"):
        links_per_year(dated, cumulative="yes")


# --------------------------------------------------------------------------- as of


def test_network_as_of(dated, no_warnings):
    old = network_as_of(dated, 1969)
    assert isinstance(old, tg.TwinningData)
    assert len(old) == 6  # every town kept
    assert sorted(zip(old.edges["town_a"], old.edges["town_b"], strict=True)) == [
        ("de1", "fr1"),
        ("de2", "fr2"),
    ]
    assert len(network_as_of(dated, 1955).edges) == 0
    assert len(network_as_of(dated, 2004).edges) == 7
    assert len(dated.edges) == 7  # the input is not modified


def test_network_as_of_graph_input(dated, no_warnings):
    assert len(network_as_of(dated.town_graph(), 1991).edges) == 4


def test_network_as_of_partly_dated_warns(partly_dated):
    with pytest.warns(tg.DataWarning, match="2 of 7 partnerships have no known 'since' year"):
        out = network_as_of(partly_dated, 2010)
    assert len(out.edges) == 5


@pytest.mark.parametrize("year", ["1990", 1990.0, None, True])
def test_network_as_of_bad_year(dated, year):
    with pytest.raises(tg.ValidationError, match="year must be an integer"):
        network_as_of(dated, year)


# --------------------------------------------------------------------------- country pairs


def test_new_country_pairs_by_decade(dated, no_warnings):
    out = new_country_pairs(dated)
    assert out.index.name == "decade"
    assert out.index.tolist() == [1950, 1990, 2000]
    # DE-FR first in 1956 (de2-fr2 in 1962 is not new; de1-de2 is domestic)
    assert out.loc[1950, "pairs"] == ["DE-FR"]
    assert out.loc[1990, "pairs"] == ["DE-PL", "FR-PL"]
    assert out.loc[2000, "pairs"] == ["DE-IT", "IT-PL"]
    assert out["new_pairs"].tolist() == [1, 2, 2]
    assert out["cumulative_pairs"].tolist() == [1, 3, 5]


def test_new_country_pairs_by_year(dated):
    out = new_country_pairs(dated, by="year")
    assert out.index.name == "year"
    assert out["new_pairs"].to_dict() == {1956: 1, 1991: 1, 1993: 1, 2004: 2}


def test_new_country_pairs_partly_dated(partly_dated):
    with pytest.warns(tg.DataWarning, match="2 of 7 links"):
        out = new_country_pairs(partly_dated)
    # pl1-it1 is undated, so IT-PL does not appear
    assert out.loc[2000, "pairs"] == ["DE-IT"]
    assert out["cumulative_pairs"].iloc[-1] == 4


def test_new_country_pairs_bad_by(dated):
    with pytest.raises(tg.ValidationError, match=r"by must be one of \['year', 'decade'\]"):
        new_country_pairs(dated, by="century")


def test_no_warning_when_fully_dated(dated):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        links_per_year(dated)
        new_country_pairs(dated)
