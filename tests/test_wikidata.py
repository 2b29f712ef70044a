"""Tests of twinning_graph.wikidata: parsing, cleaning and the refresh path, without network.

``tests/data/wikidata_2021_sample.csv`` is a real recorded answer of the Wikidata Query Service:
the header and the rows of Vilnius (Q216) and Veria (Q201722) of
``../shared/data/wikidata-cities-2021/query.csv`` (November 2021), extracted with::

    (head -1 query.csv; grep -E "^http://www.wikidata.org/entity/(Q216|Q201722)," query.csv)

Small pages in the service's SPARQL JSON format are built in code. No test touches the network:
every fetch goes through a fake transport or the cache.
"""

from __future__ import annotations

import json
import urllib.error
import warnings
from pathlib import Path

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.wikidata import build_query, clean_response, fetch_wikidata, parse_response

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "data" / "wikidata_2021_sample.csv"
SHARED_2021 = HERE.parent.parent / "shared" / "data" / "wikidata-cities-2021" / "query.csv"
E = "http://www.wikidata.org/entity/"


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.DataWarning)
        return fn(*args, **kwargs)


def binding(**values: str) -> dict:
    return {k: {"type": "uri" if v.startswith("http") else "literal", "value": v}
            for k, v in values.items()}  # fmt: skip


def page(*rows: dict) -> str:
    """A SPARQL JSON result (the WDQS answer format) with the given bindings."""
    return json.dumps({"head": {"vars": []}, "results": {"bindings": list(rows)}})


# a Latvian page: Riga twinned with Kaunas (both ends stated with P17), a start and end
# qualifier; a county and an unlabelled item that must be dropped
LV_PAGE = page(
    binding(town=E + "Q1773", townLabel="Riga", iso="LV", townCoord="Point(24.1 56.95)",
            townPop="605273", townGeonames="456172", townType=E + "Q515",
            partner=E + "Q4115712", partnerLabel="Kaunas", partnerIso="LT",
            partnerCoord="Point(23.9 54.9)", partnerPop="289380", partnerType=E + "Q515",
            start="1998-01-01T00:00:00Z", end="2015-12-31T00:00:00Z"),
    binding(town=E + "Q1773", townLabel="Riga", iso="LV", townCoord="Point(24.1 56.95)",
            partner=E + "Q1000", partnerLabel="Kent County", partnerIso="US",
            partnerCoord="Point(-85.5 43.0)", partnerType=E + "Q28575"),
    binding(town=E + "Q1773", townLabel="Riga", iso="LV", townCoord="Point(24.1 56.95)",
            partner=E + "Q2000", partnerLabel="Q2000", partnerIso="SE",
            partnerCoord="Point(18.0 59.3)"),
    binding(town=E + "Q3000", townLabel="Jūrmala", iso="LV", townCoord="Point(23.77 56.97)",
            partner=E + "Q4115712", partnerLabel="Kaunas", partnerIso="LT",
            partnerCoord="Point(23.9 54.9)", start="2004-05-01T00:00:00Z"),
)  # fmt: skip


# ------------------------------------------------------------------ parsing


def test_parse_sparql_json_reduces_uris_to_qids():
    rows = parse_response(LV_PAGE)
    assert rows.loc[0, ["town", "partner", "townType"]].tolist() == ["Q1773", "Q4115712", "Q515"]
    assert rows.loc[0, "start"] == "1998-01-01T00:00:00Z"
    assert rows["start"].tolist() == ["1998-01-01T00:00:00Z", "", "", "2004-05-01T00:00:00Z"]


def test_parse_recorded_csv():
    rows = parse_response(SAMPLE.read_text(encoding="utf-8"))
    # 59 data rows: 53 of Vilnius, 6 of Veria
    assert len(rows) == 59
    assert rows.loc[0, ["town", "townLabel"]].tolist() == ["Q216", "Vilnius"]
    assert (rows["town"].isin(["Q216", "Q201722"])).all()


def test_parse_errors():
    with pytest.raises(tg.ValidationError, match="not a SPARQL JSON result"):
        parse_response('{"head": {}}')
    with pytest.raises(tg.ValidationError, match="needs a 'town' column"):
        parse_response("a,b\n1,2\n")


def test_query_is_per_country():
    q = build_query("DE")
    assert "?town wdt:P17 wd:Q183" in q and "pq:P580" in q and "wdt:P1566" in q
    with pytest.raises(tg.ValidationError, match="cannot be refreshed"):
        build_query("US")


# ------------------------------------------------------------------ cleaning


def test_clean_drops_non_municipal_and_unlabelled_items():
    with pytest.warns(tg.DataWarning) as rec:
        towns, links = clean_response(parse_response(LV_PAGE))
    message = str(rec[0].message)
    assert "items without an English label (only a Q-id): 1" in message
    assert (
        "non-municipal items (type or name: country, region, province, county, ...): 1" in message
    )
    assert sorted(towns["town_id"]) == ["LT-kaunas", "LV-jurmala", "LV-riga"]
    riga = towns.set_index("town_id").loc["LV-riga"]
    assert (riga["wikidata_id"], riga["geonames_id"], riga["population"]) == (
        "Q1773",
        456172,
        605273,
    )
    pairs = links.set_index(["town_a", "town_b"])
    assert len(pairs) == 2
    # the qualifiers: start 1998, end 2015
    assert (
        pairs.at[("LT-kaunas", "LV-riga"), "since"],
        pairs.at[("LT-kaunas", "LV-riga"), "until"],
    ) == (1998, 2015)
    assert pairs.at[("LT-kaunas", "LV-jurmala"), "since"] == 2004


def test_replay_recorded_sample_reuses_bundled_ids():
    bundled = tg.load()
    towns, links = quiet(clean_response, parse_response(SAMPLE.read_text(encoding="utf-8")),
                         base=bundled)  # fmt: skip
    t = towns.set_index("town_id")
    # bundled ids, names and countries for the same Q-ids
    assert t.at["LT-vilnius", "wikidata_id"] == "Q216"
    assert t.at["GR-veroia", "wikidata_id"] == "Q201722"
    assert t.at["GR-veroia", "name"] == "Veroia"  # the 2021 label was "Veria"
    # "Canton" is the Italian label of Guangzhou: a bundled town, not a canton
    assert t.at["CN-guangzhou", "wikidata_id"] == "Q16572"
    vilnius = links[(links["town_a"] == "LT-vilnius") | (links["town_b"] == "LT-vilnius")]
    # 53 rows of Vilnius name 50 distinct partners (Dnipro 3 times, Saint Petersburg twice);
    # Taipei (Q1867) is neither bundled nor in the European gazetteer and has no country
    assert len(vilnius) == 49
    assert "TW-taipei" not in set(towns["town_id"])
    pairs = set(zip(links["town_a"], links["town_b"], strict=True))
    assert ("CA-toronto", "LT-vilnius") in pairs
    assert ("LT-vilnius", "UA-dnipropetrovsk") in pairs
    # Veria - Kazanlak appears in two rows (two populations of Kazanlak): one link, 2 rows
    row = links[(links["town_a"] == "BG-kazanlak") & (links["town_b"] == "GR-veroia")]
    assert row["statements"].tolist() == [2]
    assert (links["source"] == "wikidata-live").all()


@pytest.mark.skipif(not SHARED_2021.exists(), reason="../shared is not present")
def test_replay_full_recorded_2021_result():
    towns, links = quiet(clean_response, parse_response(SHARED_2021.read_text(encoding="utf-8")),
                         base=tg.load())  # fmt: skip
    t = towns.set_index("town_id")
    assert t.at["GB-newcastle-upon-tyne", "wikidata_id"] == "Q1425428"
    pairs = set(zip(links["town_a"], links["town_b"], strict=True))
    # query.csv: "Q3012,Ulm ... Q178531,Vidin" and "Q1425428 ... Q26793,Bergen"
    assert ("BG-vidin", "DE-ulm") in pairs
    assert ("GB-newcastle-upon-tyne", "NO-bergen") in pairs
    # Brussels' 20 partner rows do not include Kinshasa
    assert ("BE-brussels", "CD-kinshasa") not in pairs


# ------------------------------------------------------------------ fetching


class FakeService:
    """A transport that answers from a dict of pages and records the requests."""

    def __init__(self, pages: dict[str, str], failures: list[Exception] | None = None):
        self.pages, self.failures, self.calls = pages, list(failures or []), []

    def __call__(self, url: str, headers: dict[str, str]) -> str:
        self.calls.append((url, headers))
        if self.failures:
            raise self.failures.pop(0)
        for qid, text in self.pages.items():
            if f"wd%3A{qid}" in url:
                return text
        return page()


def test_fetch_online_saves_and_replays(tmp_path):
    service = FakeService({"Q211": LV_PAGE})
    sleeps: list[float] = []
    data = quiet(fetch_wikidata, ["LV", "LT"], online=True, user_agent="tests/1.0 (x@y.z)",
                 cache=tmp_path, transport=service, sleep=sleeps.append)  # fmt: skip
    assert len(service.calls) == 2
    assert service.calls[0][1]["User-Agent"] == "tests/1.0 (x@y.z)"
    assert (tmp_path / "wikidata-LV.json").read_text(encoding="utf-8") == LV_PAGE
    assert sorted(data.towns.index) == ["LT-kaunas", "LV-jurmala", "LV-riga"]
    # the second request waited for the rate limit (1 s minus the time already passed)
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 1.0

    def no_network(url, headers):
        raise AssertionError("the network was used")

    again = quiet(fetch_wikidata, ["LV", "LT"], cache=tmp_path, transport=no_network)
    assert sorted(again.towns.index) == sorted(data.towns.index)


def test_fetch_never_touches_the_network_unless_asked(tmp_path):
    with pytest.raises(tg.ValidationError, match=r"no saved answer for \['LV'\].*online=True"):
        fetch_wikidata("LV", cache=tmp_path, transport=FakeService({}))
    with pytest.raises(tg.ValidationError, match="online=True needs user_agent"):
        fetch_wikidata("LV", online=True)


def test_fetch_retries_server_errors_then_reports(tmp_path):
    err = urllib.error.HTTPError("u", 503, "busy", {}, None)  # type: ignore[arg-type]
    service = FakeService({"Q211": LV_PAGE}, failures=[err, err])
    sleeps: list[float] = []
    data = quiet(fetch_wikidata, "LV", online=True, user_agent="t", cache=tmp_path,
                 transport=service, sleep=sleeps.append, min_delay_seconds=0.5)  # fmt: skip
    assert len(service.calls) == 3 and len(data.towns) == 3
    assert [s for s in sleeps if s >= 1.0] == [1.0, 2.0]  # backoff 0.5 x 2, 0.5 x 4
    bad = urllib.error.HTTPError("u", 400, "bad query", {}, None)  # type: ignore[arg-type]
    with pytest.raises(tg.ValidationError, match=r"failed after retries: LT: HTTPError"):
        fetch_wikidata("LT", online=True, user_agent="t", cache=tmp_path,
                       transport=FakeService({}, failures=[bad]), sleep=lambda s: None)  # fmt: skip


def test_fetch_bad_arguments():
    with pytest.raises(tg.ValidationError, match=r"countries \['US'\] cannot be refreshed"):
        fetch_wikidata(["US", "EL"])
    with pytest.raises(tg.ValidationError, match="retries must be a whole number"):
        fetch_wikidata("LV", retries=-1)


def test_fetched_data_load_like_files(tmp_path):
    data = quiet(fetch_wikidata, "LV", online=True, user_agent="t", cache=tmp_path,
                 transport=FakeService({"Q211": LV_PAGE}), sleep=lambda s: None)  # fmt: skip
    towns = data.towns.reset_index()
    towns.to_csv(tmp_path / "towns.csv", index=False)
    data.partnerships.to_csv(tmp_path / "partnerships.csv", index=False)
    again = tg.load(towns=tmp_path / "towns.csv", partnerships=tmp_path / "partnerships.csv")
    assert len(again) == 3 and len(again.edges) == 2
    assert isinstance(again.towns.loc["LV-riga", "wikidata_id"], str)
    assert pd.notna(again.partnerships["until"]).any()


# ------------------------------------------------------------------ command line


def test_cli_update_replays_the_cache_offline(tmp_path, capsys):
    from twinning_graph.cli import main

    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "wikidata-LV.json").write_text(LV_PAGE, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["update", "--countries", "LV", "--cache", str(cache), "--out", str(out)]) == 0
    assert "3 towns, 2 links" in capsys.readouterr().err
    back = tg.load(towns=out / "towns.csv", partnerships=out / "partnerships.csv")
    assert sorted(back.towns.index) == ["LT-kaunas", "LV-jurmala", "LV-riga"]
    # a country not in the cache needs --online; nothing is fetched
    assert main(["update", "--countries", "EE", "--cache", str(cache), "--out", str(out)]) == 1
    assert "pass online=True" in capsys.readouterr().err
