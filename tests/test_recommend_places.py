"""Gazetteer candidates that are not new partners: parts and suburbs of the town or of its
partners, parts of a town named in their own name, and one place listed twice (worked out by
hand on the ``line`` fixture: towns t1..t5 along 10°E at latitudes 50..54, t1 partners t2
and t3; 0.045° of latitude is 5.0 km)."""

from __future__ import annotations

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.recommend import MODEL_TERMS, TERMS, PartnerModel

ONES = {t: (1.0 if t in MODEL_TERMS and t != "new_country" else 0.0) for t in TERMS}
NO_FILTER = {"call": None, "population_band": None, "n": None, "include_domestic": True}


@pytest.fixture
def places():
    return pd.DataFrame(
        {
            "geonames_id": [1100, 1200, 1300, 1400, 1500, 1600, 1700],  # t4 has GeoNames id 100
            "name": [
                "Suburbia",  # 5.0 km from partner t2 (20k), smaller: a suburb of it
                "Bigtown",  # 5.0 km from partner t2, larger than it: a town of its own
                "Stary Four",  # 3.0 km from t4, its name contains "Four": a part of t4
                "Fourteen",  # 3.0 km from t4: "four" only inside a word, kept
                "Hamlet",  # 6.7 km from t1 itself, smaller: a part of the town
                "Dupton",  # listed twice, 40 km apart, same population and country
                "Dupton",
            ],
            "country": ["DE", "DE", "IT", "IT", "PL", "FR", "FR"],
            "lat": [51.045, 50.955, 53.027, 52.973, 50.06, 48.0, 48.36],
            "lon": [10.0] * 7,
            "population": [5_000, 30_000, 6_000, 4_000, 2_000, 7_650, 7_650],
        }
    ).set_index("geonames_id")


def test_parts_suburbs_and_doubles_are_not_candidates(line, places):
    r = PartnerModel(line, weights=ONES).rank(
        "t1", source="gazetteer", candidates=places, **NO_FILTER
    )
    assert sorted(r.index) == ["geonames:1200", "geonames:1400", "geonames:1600", "t4", "t5"]


def test_the_count_of_removed_places_is_reported(line, places):
    m = PartnerModel(line, weights=ONES)
    with pytest.raises(tg.ValidationError, match=r"smaller places within 10 km of them: -5"):
        # t1's own entry, t2, t3 (partners), Suburbia and Hamlet; then nothing is left of
        # the rest after max_distance_km=1
        m.rank("t1", source="gazetteer", candidates=places, max_distance_km=1, **NO_FILTER)


def test_localities_of_amalgamated_municipalities_are_not_candidates():
    # Swedish municipalities are unions of localities: a place 6 km from a larger Swedish
    # network town is a locality of it; the same place in Germany may be a municipality
    towns = pd.DataFrame(
        {
            "town_id": ["se", "de", "fr", "it"],
            "name": ["Bigsvik", "Grosstadt", "Villeun", "Cittadue"],
            "country": ["SE", "DE", "FR", "IT"],
            "lat": [55.6, 50.0, 48.0, 45.0],
            "lon": [13.0, 10.0, 2.0, 9.0],
            "population": [300_000, 300_000, 50_000, 50_000],
        }
    )
    links = pd.DataFrame({"town_a": ["fr", "se"], "town_b": ["it", "de"]})
    data = tg.load(towns=towns, partnerships=links)
    places = pd.DataFrame(
        {
            "geonames_id": [2001, 2002],
            "name": ["Oxby", "Vorort"],
            "country": ["SE", "DE"],
            "lat": [55.654, 50.054],  # 6.0 km north of each city
            "lon": [13.0, 10.0],
            "population": [12_000, 12_000],
        }
    ).set_index("geonames_id")
    r = PartnerModel(data, weights=ONES).rank(
        "fr", source="gazetteer", candidates=places, **NO_FILTER
    )
    assert sorted(r.index) == ["de", "geonames:2002", "se"]
