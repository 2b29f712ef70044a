"""Finding towns by name: network towns and gazetteer places, merged, ambiguity listed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.lookup import find_town, match_places, resolve_town


def test_match_places_by_id_then_name_country_and_distance():
    towns = {
        "town_keys": np.array(["helsingborg", "lund", "malmo"]),
        "town_country": np.array(["SE", "SE", "SE"]),
        "town_lat": np.array([56.05, 55.70, 55.60]),
        "town_lon": np.array([12.70, 13.19, 13.00]),
        "town_gid": np.array([-1, 2693678, -1]),
    }
    got = match_places(
        **towns,
        keys=np.array(["helsingborg", "lund kommun", "malmo", "malmo", ""]),
        country=np.array(["SE", "SE", "SE", "DK", "SE"]),
        lat=np.array([56.046, 55.7, 55.60 + 0.2, 55.6, 55.6]),  # 0.2 deg = 22 km: too far
        lon=np.array([12.694, 13.19, 13.0, 13.0, 13.0]),
        gid=np.array([1, 2693678, 3, 4, 5]),
    )
    # by name+country within 15 km; by GeoNames id; too far; other country; no name
    assert got.tolist() == [0, 1, -1, -1, -1]


@pytest.fixture
def towns():
    """Two towns named Twinville (DE, FR) and one with a local name."""
    frame = pd.DataFrame(
        {
            "town_id": ["de-tw", "fr-tw", "it-al"],
            "name": ["Twinville", "Twinville", "Alpha"],
            "name_local": [None, None, "Alfa di Sopra"],
            "country": ["DE", "FR", "IT"],
            "lat": [50.0, 45.0, 44.0],
            "lon": [10.0, 3.0, 11.0],
            "population": [1_000, 2_000, 3_000],
        }
    )
    links = pd.DataFrame({"town_a": ["de-tw", "fr-tw"], "town_b": ["it-al", "it-al"]})
    return tg.load(towns=frame, partnerships=links)


def test_find_town_lists_every_match_largest_first(towns):
    hits = find_town("twinville", data=towns)
    assert hits["town_id"].tolist()[:2] == ["fr-tw", "de-tw"]  # 2,000 before 1,000
    assert hits["match"].tolist()[:2] == ["name", "name"]
    assert hits["in_network"].tolist()[:2] == [True, True]
    assert find_town("Twinville", data=towns, country="DE")["town_id"].tolist() == ["de-tw"]
    # the local name finds the town too
    assert find_town("Alfa di Sopra", data=towns)["town_id"].iloc[0] == "it-al"


def test_resolve_town_never_guesses(towns):
    with pytest.raises(tg.ValidationError, match=r"'Twinville' matches 2 places: .*FR, 2,000"):
        resolve_town("Twinville", data=towns)
    assert resolve_town("Twinville", data=towns, country="FR")["town_id"] == "fr-tw"
    with pytest.raises(tg.UnknownTownError, match="did you mean: Twinville"):
        resolve_town("Twinvile", data=towns)
    with pytest.raises(tg.ValidationError, match="non-empty string"):
        find_town("  ", data=towns)
    with pytest.raises(tg.ValidationError, match="limit"):
        find_town("Alpha", data=towns, limit=0)


def test_bundled_names():
    krakow = find_town("Kraków")
    assert krakow.loc[0, ["town_id", "country", "in_network", "match"]].tolist() == [
        "PL-krakow",
        "PL",
        True,
        "name",
    ]
    # the primary name wins over a German village that has "Krakow" as an alternate name
    assert resolve_town("Krakow")["town_id"] == "PL-krakow"
    # found through the gazetteer's alternate names
    assert resolve_town("Den Haag")["country"] == "NL"
    assert resolve_town("Cracovia")["town_id"] == "PL-krakow"
    # a gazetteer place that is not in the network gets a geonames: id
    place = find_town("Schwabmünchen")
    assert place.loc[0, "town_id"].startswith("geonames:") and not place.loc[0, "in_network"]
