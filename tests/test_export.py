"""Exports and round trips (GraphML, GEXF, GeoJSON, CSV)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph import export


@pytest.fixture
def rich(tiny_towns, tiny_links):
    towns = tiny_towns.assign(
        geonames_id=[3093133, 2711537, 2988507, 2996944, None],
        region=[
            "Łódzkie",
            "Västra Götaland",
            "Île-de-France",
            "Auvergne-Rhône-Alpes",
            "Κεντρική Μακεδονία",
        ],
    )
    return tg.load(towns=towns, partnerships=tiny_links)


def _same(a, b):
    cols = ["name", "country", "lat", "lon", "population", "geonames_id", "eu", "region"]
    left = a.towns[cols].sort_index()
    right = b.towns[cols].sort_index()
    for c in ("population", "geonames_id"):
        right[c] = right[c].astype("Int64")
    right["eu"] = right["eu"].astype(bool)
    pd.testing.assert_frame_equal(left, right, check_dtype=False, check_index_type=False)
    ea = a.edges.sort_values(["town_a", "town_b"]).reset_index(drop=True)
    eb = b.edges.sort_values(["town_a", "town_b"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        ea[["town_a", "town_b", "kinds", "weight"]],
        eb[["town_a", "town_b", "kinds", "weight"]],
        check_dtype=False,
    )
    assert ea["since"].astype("Int64").tolist() == eb["since"].astype("Int64").tolist()
    assert ea["distance_km"].round(6).tolist() == eb["distance_km"].round(6).tolist()


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "geojson"])
def test_roundtrip(rich, tmp_path, fmt):
    path = tmp_path / f"net.{fmt}"
    getattr(export, f"to_{fmt}")(rich, path)
    back = getattr(export, f"read_{fmt}")(path)
    _same(rich, back)
    assert back.towns.loc["e", "name"] == "Θεσσαλονίκη"


def test_geojson_structure(rich, tmp_path):
    doc = json.loads(export.to_geojson(rich, tmp_path / "x.geojson").read_text("utf-8"))
    kinds = [f["geometry"]["type"] for f in doc["features"]]
    assert kinds.count("Point") == 5 and kinds.count("LineString") == 5
    paris = next(f for f in doc["features"] if f["properties"].get("town_id") == "c")
    assert paris["geometry"]["coordinates"] == [2.3522, 48.8566]  # lon, lat order
    assert "Θεσσαλονίκη" in (tmp_path / "x.geojson").read_text("utf-8")  # not \u-escaped


def test_csv_roundtrip_lossless(tmp_path, tiny_towns, tiny_links):
    members = pd.DataFrame(
        {
            "partnership_id": ["NT"] * 3,
            "town_id": ["a", "d", "e"],
            "kind": ["network"] * 3,
            "theme": ["climate"] * 3,
        }
    )
    data = tg.load(
        towns=tiny_towns.assign(note=["ß", "ø", "é", "ł", "Ω"]),
        partnerships=[tiny_links.assign(ref=list("vwxyz")), members],
    )
    paths = export.to_csv(data, tmp_path / "out")
    back = tg.load(towns=paths["towns"], partnerships=[paths["partnerships"], paths["memberships"]])
    assert back.towns["note"].tolist() == ["ß", "ø", "é", "ł", "Ω"]
    assert back.partnerships["ref"].tolist() == list("vwxyz")
    assert back.memberships["theme"].tolist() == ["climate"] * 3
    pd.testing.assert_frame_equal(back.edges, data.edges, check_dtype=False)


def test_csv_neutralises_formulas(tmp_path, tiny_towns, tiny_links):
    towns = tiny_towns.copy()
    towns.loc[0, "name"] = '=HYPERLINK("http://evil.example","x")'
    towns.loc[1, "name"] = "+cmd"
    towns.loc[2, "name"] = "@SUM(A1)"
    towns.loc[3, "name"] = "-2+3"
    towns.loc[3, "lon"] = -4.8357
    data = tg.load(towns=towns, partnerships=tiny_links)
    text = export.to_csv(data, tmp_path)["towns"].read_text("utf-8")
    assert "'=HYPERLINK(" in text and "\n'+cmd" not in text and ",'+cmd," in text
    assert ",'@SUM(A1)," in text and ",'-2+3," in text
    assert ",-4.8357," in text  # numbers untouched
    raw = export.to_csv(data, tmp_path / "raw", spreadsheet_safe=False)["towns"]
    assert ',"=HYPERLINK(' in raw.read_text("utf-8")


def test_bundled_graphml_roundtrip(bundled, tmp_path):
    back = export.read_graphml(export.to_graphml(bundled, tmp_path / "all.graphml"))
    assert len(back.towns) == len(bundled.towns)
    assert len(back.edges) == len(bundled.edges)
    assert back.towns["name"].equals(bundled.towns["name"].reindex(back.towns.index))


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "geojson"])
def test_roundtrip_without_links(tiny_towns, tmp_path, fmt):
    data = tg.load(towns=tiny_towns, partnerships=[])
    path = tmp_path / f"empty.{fmt}"
    getattr(export, f"to_{fmt}")(data, path)
    back = getattr(export, f"read_{fmt}")(path)
    assert sorted(back.towns.index) == ["a", "b", "c", "d", "e"] and len(back.edges) == 0


def test_csv_eu_roundtrip(tmp_path, tiny_towns, tiny_links):
    data = tg.load(
        towns=tiny_towns.assign(area=[1.5, 2.25, 105.4, 47.9, 0.5]), partnerships=tiny_links
    )
    paths = export.to_csv(data, tmp_path, format="csv-eu")
    raw = paths["towns"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";51,7592;19,456;" in raw
    back = tg.load(towns=paths["towns"], partnerships=paths["partnerships"])
    assert back.towns["lat"].tolist() == data.towns["lat"].tolist()
    assert back.towns["name"].tolist() == data.towns["name"].tolist()
    pd.testing.assert_frame_equal(back.edges, data.edges, check_dtype=False)


def test_xlsx_export(tmp_path, tiny):
    openpyxl = pytest.importorskip("openpyxl")
    paths = export.to_csv(tiny, tmp_path, format="xlsx")
    wb = openpyxl.load_workbook(paths["links"])
    assert wb.sheetnames == ["links"]
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0] == ("town_a", "town_b", "kinds", "weight", "since", "distance_km")
    assert len(rows) == 1 + len(tiny.edges)
    assert rows[1][5] == tiny.edges["distance_km"].iloc[0]  # full precision


def test_table_format_checked(tmp_path, tiny, monkeypatch):
    with pytest.raises(tg.ValidationError, match=r"got 'xls' \(did you mean 'xlsx'\?\)"):
        export.to_csv(tiny, tmp_path, format="xls")
    import sys

    monkeypatch.setitem(sys.modules, "openpyxl", None)  # not installed
    with pytest.raises(tg.ValidationError, match=r"pip install 'twinning-graph\[xlsx\]'"):
        export.to_csv(tiny, tmp_path / "x", format="xlsx")
    assert not list((tmp_path / "x").iterdir())  # nothing half-written


def test_export_never_leaves_half_a_file(tmp_path, tiny, monkeypatch):
    (tmp_path / "net.gexf").write_text("previous")

    def broken(*args, **kwargs):
        raise RuntimeError("writer failed half-way")

    monkeypatch.setattr(export.nx, "write_gexf", broken)
    with pytest.raises(RuntimeError):
        export.to_gexf(tiny, tmp_path / "net.gexf")
    assert [p.name for p in tmp_path.iterdir()] == ["net.gexf"]
    assert (tmp_path / "net.gexf").read_text() == "previous"
