"""Network planning on the five-town line of test_recommend (answers worked out by hand).

Seeds t1 (PL) and t2 (DE); CERV-2025-CITIZENS-TOWN-NT needs 4 municipalities from 4
eligible countries, 2 of them EU Member States. Eligible candidates: t3 (FR, already
twinned with t1 and t2) and t4 (IT, twinned with neither); t5 is in RU (not eligible).
Step 1: both fill a missing country; t4 brings 2 new transnational ties, t3 none -> t4.
Step 2: t3 (linked to t1, t2 and t4: 0 new ties) completes the 4 countries.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.cli import main
from twinning_graph.plan import plan_network

NT = "CERV-2025-CITIZENS-TOWN-NT"


def test_plan_satisfies_the_call(line):
    plan = plan_network(line, ["t1", "t2"], call=NT)
    assert plan.eligible and plan.failed_rules == []
    assert plan.members.index.tolist() == ["t1", "t2", "t4", "t3"]
    assert plan.members["role"].tolist() == ["seed", "seed", "added", "added"]
    assert plan.members["new_ties"].tolist() == [0, 0, 2, 0]
    assert plan.checks["rule"].tolist() == [
        "min_municipalities",
        "all_countries_eligible",
        "min_countries",
        "min_eu_states",
    ]
    assert plan.checks["passed"].all()
    assert "adds IT" in plan.members.loc["t4", "why"]
    assert list(plan.scores.index) == ["t4", "t3"]
    assert plan.verdict == "meets" and f"meets the confirmed rules of {NT}" in plan.message
    d = plan.to_dict()
    assert d["eligible"] is True and [m["town_id"] for m in d["members"]][2:] == ["t4", "t3"]
    json.dumps(d)


def test_plan_is_deterministic(line):
    a = plan_network(line, ["t1", "t2"], call=NT)
    b = plan_network(line, ["t1", "t2"], call=NT)
    pd.testing.assert_frame_equal(a.members, b.members)
    pd.testing.assert_frame_equal(a.alternatives, b.alternatives)


def test_impossible_plan_names_the_failed_rule(line):
    # candidates DE and FR only: 3 towns in 3 countries at most
    plan = plan_network(line, ["t1"], call=NT, countries=["DE", "FR"])
    assert not plan.eligible
    assert plan.failed_rules == ["min_municipalities", "min_countries"]
    assert "no plan satisfies" in plan.message and "min_countries" in plan.message
    assert "only 2 eligible candidates were available" in plan.message
    # 5 places asked, 3 eligible candidates: the rules (4 municipalities) still pass
    plan = plan_network(line, ["t1"], call=NT, size=5)
    assert plan.eligible and len(plan.members) == 4
    assert "4 of the 5 requested" in plan.message


def test_seed_in_ineligible_country(line):
    plan = plan_network(line, ["t5", "t1"], call=NT)
    assert "all_countries_eligible" in plan.failed_rules
    assert "RU" in plan.message


def test_bad_input(line):
    with pytest.raises(tg.UnknownTownError, match="t9"):
        plan_network(line, ["t1", "t9"], call=NT)
    with pytest.raises(tg.UnknownCallError, match="unknown call"):
        plan_network(line, ["t1"], call="CERV-2030-X")
    with pytest.raises(tg.ValidationError, match="below the 4 municipalities"):
        plan_network(line, ["t1"], call=NT, size=3)
    with pytest.raises(tg.ValidationError, match="duplicates"):
        plan_network(line, ["t1", "t1"], call=NT)
    with pytest.raises(tg.ValidationError, match="call=None"):
        plan_network(line, ["t1"], call=None)


def test_seeds_given_by_name_and_call_words(line):
    # names that no gazetteer place has, so a name means one town of the network
    towns = line.towns.assign(name=["Qxone", "Qxtwo", "Qxthree", "Qxfour", "Qxfive"])
    named = line.replace(towns=towns)
    by_name = plan_network(named, ["Qxone", "Qxtwo"], call=NT)
    by_id = plan_network(named, ["t1", "t2"], call=NT)
    pd.testing.assert_frame_equal(by_name.members, by_id.members)
    # the default call is the latest Networks of Towns call
    assert plan_network(line, ["t1", "t2"]).call.call == tg.get_call().call
    assert plan_network(line, ["t1", "t2"], call="latest-confirmed").call.call == NT


@pytest.fixture
def line_files(line, tmp_path):
    towns = line.towns.reset_index()[["town_id", "name", "country", "lat", "lon", "population"]]
    towns["name"] = ["Qxone", "Qxtwo", "Qxthree", "Qxfour", "Qxfive"]  # in no gazetteer
    towns.to_csv(tmp_path / "towns.csv", index=False)
    line.edges[["town_a", "town_b"]].to_csv(tmp_path / "links.csv", index=False)
    return ["--towns", str(tmp_path / "towns.csv"), "--partnerships", str(tmp_path / "links.csv")]


def test_cli_plan_and_eligibility(line_files, capsys):
    assert main([*line_files, "plan", "--towns", "t1,t2", "--call", NT, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["eligible"] is True and {"members", "eligible", "checks"} <= set(out)
    assert main([*line_files, "eligibility", "--towns", "t1,t2", "--call", NT]) == 1
    text = capsys.readouterr().out
    assert "FAIL] min_countries" in text
    assert main([*line_files, "eligibility", "--towns", "t1,t2,t3,t4", "--call", NT, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["eligible"] is True
    assert (
        main(
            [
                *line_files,
                "plan",
                "--towns",
                "t1",
                "--call",
                NT,
                "--countries",
                "DE",
                "FR",
                "--json",
            ]
        )
        == 1
    )
    assert "min_countries" in json.loads(capsys.readouterr().out)["failed_rules"]


def test_cli_rank(line_files, capsys):
    assert main([*line_files, "rank", "--town", "t1", "--json", "--call", "none"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert [r["town_id"] for r in rec] == ["t4", "t5"]
    assert {"town_id", "name", "country", "score"} <= set(rec[0])
    assert main([*line_files, "rank", "--town", "t1", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("town_id,name,country")
    assert main([*line_files, "rank", "--town", "Qxonne", "--call", "none"]) == 1
    err = capsys.readouterr().err
    assert "no town or gazetteer place is called 'Qxonne'" in err
    assert "did you mean: Qxone (PL, 10,000; t1" in err
    assert main([*line_files, "rank", "--town", "Qxone", "--call", "none", "--json"]) == 0
    assert [r["town_id"] for r in json.loads(capsys.readouterr().out)] == ["t4", "t5"]
    assert main([*line_files, "rank", "--town", "t1", "--n", "-1"]) == 1
    assert "n must be an integer >= 1" in capsys.readouterr().err
    assert main([*line_files, "rank", "--town", "t1", "--call", "CERV-1999-X"]) == 1
    assert "unknown call" in capsys.readouterr().err


def test_plan_reuses_the_fitted_model(line):
    from twinning_graph.recommend import partner_model, rank_partners

    rank_partners(line, "t1", call=None)
    model = partner_model(line)
    plan = plan_network(line, ["t1", "t2"], call=NT)
    assert partner_model(line) is model  # the model fitted for rank_partners was reused
    uncached = plan_network(line.town_graph(), ["t1", "t2"], call=NT)  # graphs refit
    pd.testing.assert_frame_equal(plan.members, uncached.members, check_exact=True)
    pd.testing.assert_frame_equal(plan.scores, uncached.scores, check_exact=True)
    assert (plan.scores["score"] == plan.members["score"].iloc[2:].to_numpy()).all()
    # a filtered data object gets its own model: without FR, no plan reaches 4 countries
    sub = line.filter(countries=["PL", "DE", "IT", "RU"])
    assert partner_model(sub) is not model
    assert "t3" not in plan_network(sub, ["t1", "t2"], call=NT).members.index
