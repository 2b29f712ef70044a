"""Checks of the bundled data/towns.csv and data/partnerships.csv (built by scripts/build_data.py).

The facts checked below were verified by hand against the Wikidata 2017 result TSVs in
../shared/data/wikidata-sistercities-2017/results.  Only the rebuild test needs ../shared; it is
skipped when the folder is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
TOWN_COLUMNS = [
    "town_id", "name", "country", "lat", "lon", "population", "geonames_id", "wikidata_label",
    "n_coordinates", "population_source",
]  # fmt: skip
PARTNERSHIP_COLUMNS = ["town_a", "town_b", "kind", "since", "source", "statements"]


def _shared_dir() -> Path | None:
    """The shared/ folder beside the repository (or at /work/shared), if present."""
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if (candidate / "data" / "wikidata-sistercities-2017").is_dir():
            return candidate
    return None


@pytest.fixture(scope="module")
def towns() -> pd.DataFrame:
    return pd.read_csv(DATA / "towns.csv", dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def links() -> pd.DataFrame:
    return pd.read_csv(
        DATA / "partnerships.csv", dtype=str, keep_default_na=False, encoding="utf-8"
    )


@pytest.fixture(scope="module")
def by_id(towns: pd.DataFrame) -> pd.DataFrame:
    return towns.set_index("town_id")


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


# ------------------------------------------------------------ format


def test_columns_in_order(towns, links):
    assert list(towns.columns) == TOWN_COLUMNS
    assert list(links.columns) == PARTNERSHIP_COLUMNS


def test_files_are_plain_utf8_with_unix_newlines():
    for name in ("towns.csv", "partnerships.csv"):
        raw = (DATA / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), f"{name} has a BOM"
        assert b"\r" not in raw, f"{name} has CR line ends"
        assert raw.endswith(b"\n")
        raw.decode("utf-8")


def test_rows_sorted(towns, links):
    assert towns["town_id"].tolist() == sorted(towns["town_id"])
    keys = list(zip(links["town_a"], links["town_b"], strict=True))
    assert keys == sorted(keys)


# ------------------------------------------------------------ towns


def test_town_id_unique_and_well_formed(towns):
    assert towns["town_id"].is_unique
    assert (
        towns["town_id"]
        .str.fullmatch(r"[A-Z]{2}-[a-z0-9]+(?:-[a-z0-9]+)*(?:-\d+\.\d+[ns]\d+\.\d+[ew])?")
        .all()
    )
    assert (towns["town_id"].str[:2] == towns["country"]).all()
    # the id is not the bare name
    assert not (towns["town_id"] == towns["name"]).any()


def test_countries_are_iso_alpha2(towns):
    assert towns["country"].str.fullmatch(r"[A-Z]{2}").all()
    assert not towns["country"].isin(["EL", "UK"]).any()


def test_coordinates_in_range_with_five_decimals(towns):
    assert towns["lat"].str.fullmatch(r"-?\d+\.\d{5}").all()
    assert towns["lon"].str.fullmatch(r"-?\d+\.\d{5}").all()
    assert towns["lat"].astype(float).between(-90, 90).all()
    assert towns["lon"].astype(float).between(-180, 180).all()


def test_population_and_geonames_id_are_integers_or_empty(towns):
    assert towns["population"].str.fullmatch(r"|[1-9]\d*").all()
    assert towns["geonames_id"].str.fullmatch(r"|[1-9]\d*").all()
    assert towns["n_coordinates"].str.fullmatch(r"[1-9]\d*").all()
    assert towns["population_source"].isin(["wikidata", "geonames", ""]).all()
    assert ((towns["population"] == "") == (towns["population_source"] == "")).all()


def test_geonames_ids_unique_per_town(towns):
    # users merge their own data with the bundled towns on geonames_id: one town per GeoNames place
    ids = towns.loc[towns["geonames_id"] != "", "geonames_id"]
    assert ids.is_unique, sorted(ids[ids.duplicated()])


def test_names_and_labels_present(towns):
    assert (towns["name"] != "").all()
    assert (towns["wikidata_label"] != "").all()
    assert all(
        label.startswith(name)
        for name, label in zip(towns["name"], towns["wikidata_label"], strict=True)
    )


# ------------------------------------------------------------ links


def test_partnership_endpoints_exist(towns, links):
    ids = set(towns["town_id"])
    assert set(links["town_a"]) <= ids
    assert set(links["town_b"]) <= ids


def test_one_row_per_unordered_pair_without_self_links(links):
    assert (links["town_a"] < links["town_b"]).all()
    assert not links.duplicated(["town_a", "town_b"]).any()


def test_partnership_constant_columns(links):
    assert (links["kind"] == "twinning").all()
    assert (links["since"] == "").all()
    assert (links["source"] == "wikidata-2017").all()
    assert links["statements"].isin(["1", "2"]).all()
    assert (links["statements"] == "2").any()


def test_every_town_is_linked(towns, links):
    linked = set(links["town_a"]) | set(links["town_b"])
    assert set(towns["town_id"]) == linked


# ------------------------------------------------------------ facts


def test_danish_origins_from_sweden_tsv_are_danish(by_id, links):
    # results/sweden.tsv (query wd:Q35 = Denmark, labelled "Sweden"): "Holstebro Sweden ... Brașov";
    # results/romania.tsv: "Brașov  Romania ... Holstebro  Denmark" -> stated from both ends.
    assert by_id.at["DK-holstebro", "country"] == "DK"
    assert by_id.at["RO-brasov", "country"] == "RO"
    row = links[(links["town_a"] == "DK-holstebro") & (links["town_b"] == "RO-brasov")]
    assert row["statements"].tolist() == ["2"]


def test_swedish_origins_from_denmark_tsv_are_swedish(by_id, links):
    # results/denmark.tsv (query wd:Q34 = Sweden, labelled "Denmark"):
    # "Sigtuna Municipality  Denmark ... Raisio  Finland"
    assert by_id.at["SE-sigtuna-municipality", "country"] == "SE"
    assert by_id.at["SE-sigtuna-municipality", "wikidata_label"] == "Sigtuna Municipality"
    pairs = set(zip(links["town_a"], links["town_b"], strict=True))
    assert _pair("SE-sigtuna-municipality", "FI-raisio") in pairs
    assert not any(tid.startswith("DK-") and "sigtuna" in tid for tid in by_id.index)


def test_same_name_towns_kept_apart(by_id, links):
    # results/germany.tsv: "Münster 51.97 7.63 ... Lublin" and "Münster 49.92 8.87 ... Abtenau"
    westphalia, hesse = "DE-munster-51.97n7.63e", "DE-munster-49.92n8.87e"
    assert by_id.at[westphalia, "name"] == by_id.at[hesse, "name"] == "Münster"
    assert "DE-munster" not in by_id.index
    pairs = set(zip(links["town_a"], links["town_b"], strict=True))
    assert _pair(westphalia, "PL-lublin") in pairs
    assert _pair(hesse, "AT-abtenau") in pairs
    assert _pair(westphalia, "AT-abtenau") not in pairs
    # "Munster, Lower Saxony" keeps its label but is named Munster
    lower_saxony = by_id[by_id["wikidata_label"] == "Munster, Lower Saxony"]
    assert lower_saxony["name"].tolist() == ["Munster"]


def test_disambiguation_suffix_and_parentheses(by_id):
    assert by_id.at["IT-porcia", "wikidata_label"] == "Porcia, Friuli-Venezia Giulia"
    assert by_id.at["IT-porcia", "name"] == "Porcia"
    assert by_id.at["DE-frankfurt-oder", "name"] == "Frankfurt (Oder)"
    assert by_id.at["US-washington-d-c", "name"] == "Washington, D.C."


def test_country_resolution_of_special_labels(by_id):
    # Blaj: stated as Romania, Austria-Hungary and Austrian Empire -> RO
    assert by_id.at["RO-blaj", "country"] == "RO"
    # Simferopol / Sevastopol: only blank-node countries -> nearest GeoNames place (UA)
    assert by_id.at["UA-simferopol", "country"] == "UA"
    assert by_id.at["UA-sevastopol", "country"] == "UA"
    # "Kingdom of the Netherlands" and "Netherlands": one Tilburg, two coordinate statements merged
    assert by_id.at["NL-tilburg", "n_coordinates"] == "2"
    # Beit Sira is stated only as in "Prussia" and lies outside every fallback: dropped
    assert not by_id["name"].eq("Beit Sira").any()
    # partner-only countries
    assert by_id.at["XK-prizren", "country"] == "XK"
    assert by_id.at["EH-laayoune", "country"] == "EH"


def test_geonames_enrichment(by_id):
    row = by_id.loc["DE-neustadt-an-der-weinstrasse"]
    assert row["geonames_id"] == "2864054"
    assert row["population_source"] == "wikidata"
    # no Wikidata population: GeoNames fills it in
    assert by_id.at["IT-porcia", "population_source"] == "geonames"
    assert by_id.at["IT-porcia", "population"] != ""


def test_geonames_place_shared_by_city_and_district_kept_for_the_city(by_id):
    # places1000.csv: "2761369,Vienna,AT,09,48.20849,16.37208,1691468,..." has "Wieden" among its
    # alternate names, so the district Wieden (48.189, 16.362, 2.3 km away) matches it too. Vienna
    # (name = primary name) keeps it; Wieden gets neither the id nor Vienna's GeoNames population
    # (1,691,468 before the one-to-one rule).
    assert by_id.at["AT-vienna", "geonames_id"] == "2761369"
    assert by_id.at["AT-vienna", "population_source"] == "wikidata"
    assert by_id.at["AT-wieden", "geonames_id"] == ""
    assert by_id.at["AT-wieden", "population"] == ""
    assert by_id.at["AT-wieden", "population_source"] == ""
    # a town and its gmina: the town keeps the place; a Wikidata population of the loser stays
    assert by_id.at["PL-bolkow", "geonames_id"] == "3102969"
    assert by_id.at["PL-gmina-bolkow", "geonames_id"] == ""
    # "Bitterfeld-Wolfen" is the GeoNames primary name (2948164): the merged town keeps it
    assert by_id.at["DE-bitterfeld-wolfen", "geonames_id"] == "2948164"
    assert by_id.at["DE-bitterfeld", "geonames_id"] == ""
    assert by_id.at["DE-bitterfeld", "population"] == "15376"
    assert by_id.at["DE-bitterfeld", "population_source"] == "wikidata"


def test_size_is_plausible(towns, links):
    # ~12,500 distinct towns and ~16,000 undirected pairs before cleaning (shared SOURCE.md)
    assert 11_000 < len(towns) < 12_600
    assert 14_000 < len(links) < 16_100
    origins = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "HR", "HU",
               "IE", "IT", "LT", "LV", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}  # fmt: skip
    assert origins <= set(towns["country"])


# ------------------------------------------------------------ rebuild


@pytest.mark.skipif(_shared_dir() is None, reason="../shared is not present")
def test_rebuild_is_byte_identical(tmp_path):
    shared = _shared_dir()
    shutil.copy(DATA / "README.md", tmp_path / "README.md")
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "build_data.py"),
            "--shared",
            str(shared),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"towns: [\d,]+", result.stdout)
    for name in ("towns.csv", "partnerships.csv", "README.md"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), (
            f"{name} differs from a rebuild"
        )
