"""Tests for twinning_graph.geocode (offline matching on the shipped gazetteer; fake geocoders)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from geopy.exc import GeocoderUnavailable
from geopy.location import Location

from twinning_graph import DataWarning, ValidationError
from twinning_graph.geocode import MATCH_KINDS, geocode, normalise_name, to_towns

# GeoNames ids checked by grep in places1000.csv
KOELN, COLOGNE_IT, LYON, PORCIA, THESSALONIKI = 2886242, 3178287, 2996944, 3170154, 734077
GROSSWALLSTADT, FRANKFURT_MAIN, FRANKFURT_ODER = 2914890, 2925533, 2925535
ESSEN_NRW, ESSEN_OLDENBURG = 2928810, 2928809


def one(name: str, country: str | None = None, **kwargs) -> pd.Series:
    frame = pd.DataFrame({"name": [name], "country": [country]})
    return geocode(frame, **kwargs).iloc[0]


# ------------------------------------------------------------------ normalise_name


def test_normalise_accents_letters_and_punctuation() -> None:
    got = normalise_name(
        pd.Series(
            [
                "Köln",
                "Łódź",
                "Ærøskøbing",
                "Đakovo",
                "Villeneuve-d'Ascq",
                "  GROSS  Gerau ",
                "St. Pölten",
                "Sankt Pölten",
                None,
            ]
        )
    )
    assert got.tolist() == [
        "koln",
        "lodz",
        "aeroskobing",
        "dakovo",
        "villeneuve d ascq",
        "gross gerau",
        "st polten",
        "st polten",
        "",
    ]


def test_normalise_prefixes_suffixes_and_qualifiers() -> None:
    got = normalise_name(
        [
            "Gemeinde Großwallstadt",
            "Ville de Lyon",
            "Comune di Porcia",
            "Porcia, Friuli-Venezia Giulia",
            "Frankfurt (Oder)",
            "Gmina Kołbaskowo",
            "Sigtuna Municipality",
            "Sigtuna kommun",
            "City of Westminster",
            "Landeshauptstadt München",
            "Stadt",
        ]
    )
    assert got.tolist() == [
        "grosswallstadt",
        "lyon",
        "porcia",
        "porcia",
        "frankfurt",
        "kolbaskowo",
        "sigtuna",
        "sigtuna",
        "westminster",
        "munchen",
        "stadt",
    ]


def test_normalise_keeps_other_scripts() -> None:
    assert normalise_name(["Θεσσαλονίκη", "Кёльн"]).tolist() == ["θεσσαλονικη", "кельн"]


def test_normalise_keeps_index() -> None:
    s = pd.Series(["Köln"], index=["x"])
    assert normalise_name(s).index.tolist() == ["x"]


# ------------------------------------------------------------------ offline matching


def test_exact_and_alternate_names_find_the_same_place() -> None:
    frame = pd.DataFrame(
        {
            "name": ["Köln", "Cologne", "Kolonia", "Кёльн", "KOELN"],
            "country": ["DE", "DE", "DE", "Germany", "DE"],
        }
    )
    out = geocode(frame)
    assert out["geonames_id"].tolist()[:4] == [KOELN] * 4
    assert out["match_kind"].tolist()[:4] == ["exact", "alternate", "alternate", "alternate"]
    assert out.loc[0, "confidence"] == 1.0
    assert out.loc[0, "matched_name"] == "Köln"
    assert out.loc[0, "population"] > 1_000_000
    assert abs(out.loc[0, "lat"] - 50.93) < 0.1


def test_country_restricts_the_match() -> None:
    assert one("Cologne", "IT")["geonames_id"] == COLOGNE_IT
    assert one("Kolonia", "PL")["match_kind"] == "none"


def test_country_names_and_eu_codes() -> None:
    out = geocode(
        pd.DataFrame(
            {"name": ["Θεσσαλονίκη", "Thessaloniki", "Lyon"], "country": ["EL", "Greece", "france"]}
        )
    )
    assert out["geonames_id"].tolist() == [THESSALONIKI, THESSALONIKI, LYON]


@pytest.mark.parametrize(
    ("name", "country", "expected"),
    [
        ("Gemeinde Großwallstadt", "DE", GROSSWALLSTADT),
        ("Ville de Lyon", "FR", LYON),
        ("Comune di Porcia", "IT", PORCIA),
        ("Porcia, Friuli-Venezia Giulia", "IT", PORCIA),
        ("Frankfurt (Oder)", "DE", FRANKFURT_ODER),
    ],
)
def test_prefixes_and_qualifiers(name: str, country: str, expected: int) -> None:
    row = one(name, country)
    assert row["geonames_id"] == expected
    assert row["match_kind"] in ("exact", "alternate")


def test_stripping_is_said_in_the_note_and_costs_confidence() -> None:
    row = one("Porcia, Friuli-Venezia Giulia", "IT")
    assert "Friuli-Venezia Giulia" in row["geocode_note"]
    assert row["confidence"] < 1.0


def test_ambiguous_names_are_flagged_with_candidates() -> None:
    row = one("Neustadt", "DE")
    assert row["match_kind"] == "ambiguous"
    assert pd.isna(row["geonames_id"]) and np.isnan(row["lat"])
    candidates = row["candidates"].split(";")
    assert len(candidates) >= 2
    gid, name, admin1, pop = candidates[0].split(":")
    assert "Neustadt" in name and int(pop) >= int(candidates[1].split(":")[3])
    assert "2864054:Neustadt an der Weinstraße:08:53984" in candidates


def test_population_rule_resolves_with_lower_confidence() -> None:
    row = one("Frankfurt", "DE")
    assert row["geonames_id"] == FRANKFURT_MAIN
    assert row["confidence"] < 0.9
    assert "population rule" in row["geocode_note"]
    assert row["candidates"] == ""


def test_region_qualifier_disambiguates() -> None:
    assert one("Essen", "DE")["geonames_id"] == ESSEN_NRW  # population rule
    row = one("Essen, Lower Saxony", "DE")
    assert row["geonames_id"] == ESSEN_OLDENBURG
    assert "region DE-06" in row["geocode_note"]


def test_no_match() -> None:
    row = one("Xyzzyville", "FR")
    assert row["match_kind"] == "none"
    assert pd.isna(row["geonames_id"]) and row["confidence"] == 0.0
    assert row["candidates"] == ""


def test_fuzzy_is_opt_in_through_min_confidence() -> None:
    default = one("Koelnn", "DE")
    assert default["match_kind"] == "none"
    assert "best guess Köln" in default["geocode_note"]
    relaxed = one("Koelnn", "DE", min_confidence=0.4)
    assert relaxed["match_kind"] == "fuzzy"
    assert relaxed["geonames_id"] == KOELN


def test_without_country_column_matches_everywhere() -> None:
    out = geocode(pd.DataFrame({"name": ["Köln", "Neustadt"]}))
    assert out.loc[0, "geonames_id"] == KOELN
    assert out.loc[0, "confidence"] < 1.0
    assert out.loc[1, "match_kind"] == "ambiguous"


def test_unknown_country_value_is_noted() -> None:
    row = one("Köln", "Atlantis")
    assert row["geonames_id"] == KOELN
    assert "unknown country 'Atlantis'" in row["geocode_note"]


def test_input_is_not_modified_and_index_kept() -> None:
    frame = pd.DataFrame(
        {"name": ["Köln", "Neustadt"], "country": ["DE", "DE"], "extra": [1, 2]}, index=["a", "b"]
    )
    before = frame.copy()
    out = geocode(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out.index.tolist() == ["a", "b"]
    assert out["extra"].tolist() == [1, 2]
    assert set(out["match_kind"]) <= set(MATCH_KINDS)
    assert str(out["geonames_id"].dtype) == "Int64"
    assert str(out["population"].dtype) == "Int64"


def test_empty_frame_and_empty_names() -> None:
    out = geocode(pd.DataFrame({"name": pd.Series([], dtype="str")}))
    assert len(out) == 0 and "match_kind" in out.columns
    row = one("", "DE")
    assert row["match_kind"] == "none" and "empty name" in row["geocode_note"]


def test_missing_name_column_names_the_columns() -> None:
    with pytest.raises(ValidationError, match=r"name column 'town'.*'name', 'country'"):
        geocode(pd.DataFrame({"name": ["Köln"], "country": ["DE"]}), name="town")


def test_bad_arguments() -> None:
    frame = pd.DataFrame({"name": ["Köln"]})
    with pytest.raises(ValidationError, match="country column 'land'"):
        geocode(frame, country="land")
    with pytest.raises(ValidationError, match="min_confidence"):
        geocode(frame, min_confidence=2)
    with pytest.raises(ValidationError, match="online must be"):
        geocode(frame, online=42)
    with pytest.raises(ValidationError, match="DataFrame"):
        geocode(["Köln"])  # type: ignore[arg-type]


# ------------------------------------------------------------------ online fallback


class FakeGeocoder:
    """Stands in for geopy's Nominatim: records calls, never touches the network."""

    def __init__(
        self, answers: dict[str, tuple[float, float] | None], fail: set[str] = frozenset()
    ):
        self.answers = answers
        self.fail = fail
        self.calls: list[str] = []

    def geocode(self, query: str, **kwargs):
        self.calls.append(query)
        if query in self.fail:
            raise GeocoderUnavailable("service down")
        point = self.answers.get(query)
        if point is None:
            return None
        return Location(f"{query} (fake)", point, {})


def test_offline_only_without_online(monkeypatch: pytest.MonkeyPatch) -> None:
    import geopy.extra.rate_limiter as rl

    def boom(*args, **kwargs):
        raise AssertionError("RateLimiter must not be used without online=")

    monkeypatch.setattr(rl, "RateLimiter", boom)
    assert one("Xyzzyville", "FR")["match_kind"] == "none"


def test_online_fallback_and_cache(tmp_path) -> None:
    frame = pd.DataFrame(
        {"name": ["Köln", "Xyzzyville", "Nowhere", "Neustadt"], "country": ["DE", "FR", "DE", "DE"]}
    )
    fake = FakeGeocoder({"Xyzzyville, France": (48.0, 2.0)})
    cache = tmp_path / "cache.json"
    out = geocode(frame, online=fake, cache=cache, min_delay_seconds=0)
    # only rows left without any offline match are sent; ambiguous rows are not
    assert sorted(fake.calls) == ["Nowhere, Germany", "Xyzzyville, France"]
    assert out["match_kind"].tolist() == ["exact", "online", "none", "ambiguous"]
    assert out.loc[1, ["lat", "lon"]].tolist() == [48.0, 2.0]
    assert pd.isna(out.loc[1, "geonames_id"])
    assert "online geocoder found nothing" in out.loc[2, "geocode_note"]
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert stored["Xyzzyville, France"]["lat"] == 48.0
    assert stored["Nowhere, Germany"] is None

    again = FakeGeocoder({})
    out2 = geocode(frame, online=again, cache=cache, min_delay_seconds=0)
    assert again.calls == []
    pd.testing.assert_frame_equal(out, out2)


def test_online_errors_are_reported_per_row(tmp_path) -> None:
    frame = pd.DataFrame({"name": ["Xyzzyville", "Plughtown"], "country": ["FR", "FR"]})
    fake = FakeGeocoder({"Plughtown, France": (45.0, 5.0)}, fail={"Xyzzyville, France"})
    cache = tmp_path / "cache.json"
    out = geocode(frame, online=fake, cache=cache, min_delay_seconds=0)
    assert out["match_kind"].tolist() == ["error", "online"]
    assert "service down" in out.loc[0, "geocode_note"]
    assert "Xyzzyville, France" not in json.loads(cache.read_text(encoding="utf-8"))


def test_online_accepts_a_plain_callable() -> None:
    calls = []

    def lookup(query: str):
        calls.append(query)
        return {"lat": 1.0, "lon": 2.0, "address": "somewhere"}

    row = one("Xyzzyville", None, online=lookup, min_delay_seconds=0)
    assert calls == ["Xyzzyville"]
    assert row["match_kind"] == "online" and row["matched_name"] == "somewhere"


def test_progress_without_tqdm_logs(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    with caplog.at_level("INFO", logger="twinning_graph.geocode"):
        one("Xyzzyville", "FR", online=FakeGeocoder({}), progress=True, min_delay_seconds=0)
    assert "geocoding online: 0/1 queries" in caplog.text


# ------------------------------------------------------------------ to_towns


def test_to_towns_builds_the_towns_contract() -> None:
    frame = pd.DataFrame(
        {
            "name": ["Köln", "Ville de Lyon", "Neustadt", "Θεσσαλονίκη", "Cologne"],
            "country": ["DE", "FR", "DE", "GR", "DE"],
            "note": list("abcde"),
        }
    )
    with pytest.warns(DataWarning, match="1 of 5 rows left out.*ambiguous 1"):
        towns = to_towns(geocode(frame))
    assert towns["town_id"].tolist() == ["DE-koln", "FR-lyon", "GR-thessaloniki", "DE-cologne"]
    assert list(towns.columns[:7]) == [
        "town_id",
        "name",
        "country",
        "lat",
        "lon",
        "population",
        "geonames_id",
    ]
    assert towns["note"].tolist() == ["a", "b", "d", "e"]
    assert towns["geonames_id"].tolist() == [KOELN, LYON, THESSALONIKI, KOELN]


def test_to_towns_repeated_slugs_and_id_column() -> None:
    frame = pd.DataFrame({"name": ["Köln", "Koln"], "country": ["DE", "DE"], "id": ["k1", "k2"]})
    out = geocode(frame)
    assert to_towns(out)["town_id"].tolist() == ["DE-koln", "DE-koln-2"]
    assert to_towns(out, id_column="id")["town_id"].tolist() == ["k1", "k2"]
    with pytest.raises(ValidationError, match="missing column"):
        to_towns(frame)


def test_to_towns_loads() -> None:
    import twinning_graph as tg

    towns = to_towns(geocode(pd.DataFrame({"name": ["Köln", "Lyon"], "country": ["DE", "FR"]})))
    partnerships = pd.DataFrame({"town_a": ["DE-koln"], "town_b": ["FR-lyon"]})
    data = tg.load(towns=towns, partnerships=partnerships)
    assert len(data) == 2
    assert data.edges.loc[0, "distance_km"] > 400


# ------------------------------------------------------------------ issue 14: population rule
# GeoNames lines (places1000.csv): 2641673 Newcastle upon Tyne, GB, 300,125 inhabitants, with
# the alternate name "Newcastle"; 6695976 Newcastle, GB (NIR), 7,444. 733905 Véroia, GR,
# 44,464; 733901 Vergína, GR, 2,034, whose alternate names include "Veria" (the 2021
# Wikidata label of Véroia is "Veria"). 3118587 Legazpi, ES (Basque Country, admin1 59,
# population unknown, alternate "Legazpia"); 11549951 Legazpi, ES (Madrid, 19,468), 2.4 km
# from the centre of Madrid.
NEWCASTLE_UPON_TYNE, NEWCASTLE_NI, VEROIA, VERGINA = 2641673, 6695976, 733905, 733901
LEGAZPI_BASQUE, LEGAZPI_MADRID = 3118587, 11549951


def test_population_rule_spans_primary_and_alternate_names() -> None:
    row = one("Newcastle", "GB")
    # 300,125 >= 10 x 7,444 and >= 10,000: the alternate-name match wins over the primary one
    assert row["geonames_id"] == NEWCASTLE_UPON_TYNE
    assert row["match_kind"] == "alternate"
    assert "population rule" in row["geocode_note"]
    assert row["confidence"] < 1


def test_wikidata_label_names_the_larger_town() -> None:
    # "Veria" names Vergína (GeoNames) and Véroia (Wikidata 2021 label, added to the index);
    # 44,464 >= 10 x 2,034
    row = one("Veria", "GR")
    assert row["geonames_id"] == VEROIA
    assert "population rule" in row["geocode_note"]


def test_section_of_a_city_gives_way_to_the_town() -> None:
    row = one("Legazpi", "ES")
    assert row["geonames_id"] == LEGAZPI_BASQUE
    assert "section rule" in row["geocode_note"]
    assert one("Legazpia", "ES")["geonames_id"] == LEGAZPI_BASQUE


def test_divisions_only_when_no_place_has_the_name() -> None:
    # Guldborgsund is a Danish municipality (GeoNames 6543949 "Guldborgsund Kommune") without
    # a town of that name; Salzburg is both a state and a city: the city wins
    row = one("Guldborgsund Municipality", "DK")
    assert row["geonames_id"] == 6543949
    assert "municipality" in row["geocode_note"]
    assert one("Salzburg", "AT")["matched_name"] == "Salzburg"
    assert one("Salzburg", "AT")["geonames_id"] == 2766824


def test_small_places_only_when_no_larger_place_has_the_name() -> None:
    # Sebiș: a town of 6,168 (667515, cities1000) and a village of 973 (667513, cities500)
    assert one("Sebiș", "RO")["geonames_id"] == 667515


def test_country_names_use_the_library_normaliser() -> None:
    from twinning_graph.geocode import _normalise

    assert not hasattr(_normalise, "_COUNTRY_NAMES")
    assert _normalise.country_code("Deutschland") == "DE"
    assert _normalise.country_code("EL") == "GR"
    assert _normalise.country_code("Atlantis") is None


def test_cli_towns_out_keeps_a_given_town_id_column(tmp_path, capsys):
    # the user's projects refer to "koeln" and "lyon": the towns file must keep them
    from twinning_graph.cli import main

    src = tmp_path / "names.csv"
    src.write_text("town_id,name,country\nkoeln,Köln,DE\nlyon,Ville de Lyon,FR\n", "utf-8")
    towns = tmp_path / "mine.csv"
    args = ["geocode", str(src), "--out", str(tmp_path / "g.csv"), "--towns-out", str(towns)]
    assert main(args) == 0
    got = pd.read_csv(towns, dtype=str, keep_default_na=False)
    assert got["town_id"].tolist() == ["koeln", "lyon"]
    assert got["geonames_id"].tolist() == ["2886242", "2996944"]  # as in to_towns' example
    assert list(got.columns).count("town_id") == 1
    # without a town_id column the ids are made from country and name
    src.write_text("name,country\nKöln,DE\n", "utf-8")
    assert main(args) == 0
    assert pd.read_csv(towns, dtype=str)["town_id"].tolist() == ["DE-koln"]
