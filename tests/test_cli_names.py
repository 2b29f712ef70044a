"""--town means the same in every command: a town id, a former id, a Wikidata id or the name
of one town; `find` looks a name up (tiny synthetic network written to files)."""

from __future__ import annotations

import json

import pytest

import twinning_graph as tg
from twinning_graph.cli import main


@pytest.fixture
def named_files(line, tmp_path):
    towns = line.towns.reset_index()[["town_id", "name", "country", "lat", "lon", "population"]]
    # synthetic names in no gazetteer; t2 and t5 share one name
    towns["name"] = ["Qxone", "Qxtwin", "Qxthree", "Qxfour", "Qxtwin"]
    towns.to_csv(tmp_path / "towns.csv", index=False)
    line.edges[["town_a", "town_b"]].to_csv(tmp_path / "links.csv", index=False)
    return ["--towns", str(tmp_path / "towns.csv"), "--partnerships", str(tmp_path / "links.csv")]


def test_resolve_takes_the_name_of_one_town(line):
    assert line.resolve(["One", "t2", "four"]) == ["t1", "t2", "t4"]  # names fold case
    towns = line.towns.reset_index()
    towns.loc[4, "name"] = "Two"  # t5 renamed: "Two" now names t2 and t5
    two = tg.load(towns=towns, partnerships=line.edges[["town_a", "town_b"]])
    with pytest.raises(tg.ValidationError, match=r"'Two' names 2 towns: Two \(DE, t2\); Two"):
        two.resolve(["Two"])
    with pytest.raises(tg.UnknownTownError, match="'Sixx'"):
        two.resolve(["Sixx"])


@pytest.mark.parametrize(
    "command",
    [
        ["reach", "--town", "Qxfour", "--json"],
        ["eligibility", "--towns", "Qxone,Qxfour", "--json"],
    ],
)
def test_commands_take_a_town_by_name(named_files, command, capsys):
    code = main([*named_files, *command])
    out = capsys.readouterr()
    assert "unknown" not in out.err
    if command[0] == "reach":
        row = json.loads(out.out)
        assert code == 0 and row["partners"] == 2  # t4: t3 and t5
        assert row["town_id"] == "t4"  # the id of the town named, not the name typed
    else:
        # t1 (PL) and t4 (IT) by name: two municipalities of two countries
        checks = {c["rule"]: c for c in json.loads(out.out)["checks"]}
        assert checks["min_countries"]["reason"].startswith("2 eligible countries (IT, PL)")


def test_map_by_name_and_ambiguous_name(named_files, tmp_path, capsys):
    assert main([*named_files, "map", "--town", "Qxthree", "--out", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").stat().st_size > 0
    assert main([*named_files, "map", "--town", "Qxtwin", "--out", str(tmp_path / "n.png")]) == 1
    err = capsys.readouterr().err
    assert "'Qxtwin' names 2 towns" in err and "t2" in err and "t5" in err


def test_find_lists_the_towns_of_a_name(named_files, capsys):
    assert main([*named_files, "find", "Qxtwin", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["town_id"] for r in rows} == {"t2", "t5"}
    assert main([*named_files, "find", "Zzqqxx"]) == 1
    assert "no town or place is called 'Zzqqxx'" in capsys.readouterr().out


def test_report_scope_takes_a_country_name(line):
    from twinning_graph.report import resolve_scope

    assert resolve_scope(line, "Poland").key == "PL"  # t1 is Polish
    assert resolve_scope(line, "Four").key == "t4"  # a town's name


def test_a_mistyped_id_gets_close_ids(capsys):
    # PL-krakow is Kraków's id in the bundled data; one letter dropped
    assert main(["rank", "--town", "PL-krakw", "--n", "2"]) == 1
    assert "unknown town_id 'PL-krakw' (did you mean 'PL-krakow'" in capsys.readouterr().err
