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


# --------------------------------------------------------------------------------------------
# A second tiny network (synthetic) where every step of the greedy order can be worked out by
# hand: all fit weights are 0, so the fit never decides and town_id breaks the last ties.
#
# Seed s (PL, 10k). Candidates (10k unless said): a-pl (PL, domestic), a-rs (RS: eligibility
# for CERV 2025 unconfirmed), a0-de (DE, 500k: outside the default population band of 10),
# b-cz1 and c-cz2 (CZ), d-hu (HU), e-sk (SK). Links: s-d-hu, s-e-sk, a-rs-d-hu.
# CERV-2025-CITIZENS-TOWN-NT: 4 municipalities, 4 countries, 2 EU Member States.
#
# Step 1 (needs 3 countries, 1 EU state): CZ, HU, SK fill 2 needs, RS 1 (not EU); ties with
#   s: b-cz1 1, c-cz2 1, d-hu 0, e-sk 0 (twinned with s) -> b-cz1 (id before c-cz2).
# Step 2 (needs 2 countries): a-rs, d-hu, e-sk fill 1; a-rs (unconfirmed) has the most ties
#   (2: s and b-cz1) but confirmed countries come first; d-hu and e-sk 1 tie each -> d-hu.
# Step 3 (needs 1 country): a-rs and e-sk fill 1; confirmed -> e-sk (2 ties: b-cz1, d-hu).
# Alternatives (non-members a-rs, c-cz2; a swap must keep 4 countries):
#   instead of b-cz1 (others PL, HU, SK): c-cz2 (CZ, confirmed, 3 ties: none linked) then
#     a-rs (RS, unconfirmed, 2 ties: s and e-sk; it is twinned with d-hu);
#   instead of d-hu (others PL, CZ, SK): c-cz2 would leave 3 countries -> only a-rs, 3 ties;
#   instead of e-sk (others PL, CZ, HU): only a-rs, 2 ties (s, b-cz1).
# --------------------------------------------------------------------------------------------


@pytest.fixture
def ladder() -> tg.TwinningData:
    ids = ["s", "a-pl", "a-rs", "a0-de", "b-cz1", "c-cz2", "d-hu", "e-sk"]
    towns = pd.DataFrame(
        {
            "town_id": ids,
            "name": ["Qxs", "Qxapl", "Qxars", "Qxade", "Qxbcz", "Qxccz", "Qxdhu", "Qxesk"],
            "country": ["PL", "PL", "RS", "DE", "CZ", "CZ", "HU", "SK"],
            "lat": [50.0, 50.5, 45.0, 52.0, 50.1, 49.8, 47.5, 48.7],
            "lon": [19.0, 20.0, 20.0, 13.0, 14.4, 16.0, 19.0, 19.1],
            "population": [10_000, 10_000, 10_000, 500_000, 10_000, 10_000, 10_000, 10_000],
        }
    )
    links = pd.DataFrame({"town_a": ["s", "s", "a-rs"], "town_b": ["d-hu", "e-sk", "d-hu"]})
    return tg.load(towns=towns, partnerships=links)


ZERO = {t: 0.0 for t in tg.recommend.TERMS}


def test_plan_prefers_confirmed_countries_and_keeps_the_band(ladder):
    plan = plan_network(ladder, "s", call=NT, weights=ZERO)
    assert plan.members.index.tolist() == ["s", "b-cz1", "d-hu", "e-sk"]
    assert plan.members["new_ties"].tolist() == [0, 1, 1, 2]
    assert plan.verdict == "meets"
    # without the population band, a0-de (500k) fills 2 needs with 1 tie and comes first by id
    wide = plan_network(ladder, "s", call=NT, weights=ZERO, population_band=None)
    assert wide.members.index.tolist()[1] == "a0-de"
    # a-pl (domestic) fills nothing; with include_domestic it is the 5th town (3 ties: b-cz1,
    # d-hu, e-sk; id before c-cz2, which also has 3), by default c-cz2 is
    five = plan_network(ladder, "s", call=NT, weights=ZERO, size=5)
    assert five.members.index[-1] == "c-cz2"
    home = plan_network(ladder, "s", call=NT, weights=ZERO, size=5, include_domestic=True)
    assert home.members.index[-1] == "a-pl"
    # the same keyword checks as rank_partners
    with pytest.raises(tg.ValidationError, match="population_band"):
        plan_network(ladder, "s", call=NT, population_band=0.5)


def test_alternatives_are_non_members_that_keep_the_rules(ladder):
    plan = plan_network(ladder, "s", call=NT, weights=ZERO)
    alt = plan.alternatives
    got = list(
        alt[["step", "instead_of", "town_id", "country", "eligible", "new_ties"]].itertuples(
            index=False, name=None
        )
    )
    assert got == [
        (1, "b-cz1", "c-cz2", "CZ", "yes", 3),
        (1, "b-cz1", "a-rs", "RS", "unconfirmed", 2),
        (2, "d-hu", "a-rs", "RS", "unconfirmed", 3),
        (3, "e-sk", "a-rs", "RS", "unconfirmed", 2),
    ]
    assert not alt["town_id"].isin(plan.members.index).any()
    assert (alt["score"] == 0).all()
    # every swap passes the plan's own rule check
    for r in alt.itertuples(index=False):
        swapped = plan.members["country"].drop(r.instead_of).tolist() + [r.country]
        assert tg.check_eligibility(swapped, call=NT).eligible
    one = plan_network(ladder, "s", call=NT, weights=ZERO, alternatives=1).alternatives
    assert one["town_id"].tolist() == ["c-cz2", "a-rs", "a-rs"]


def test_plan_warning_points_at_the_caller(line):
    latest = tg.get_call("latest")
    assert latest.status != "confirmed"  # its rules are unconfirmed, so the plan warns
    with pytest.warns(tg.DataWarning, match="unconfirmed") as caught:
        plan_network(line, ["t1", "t2"], call=latest.call)
    assert {w.filename for w in caught} == {__file__}


def test_cli_plan_text_names_the_towns(line_files, capsys):
    assert main([*line_files, "plan", "--towns", "geonames:758682", "--call", NT]) == 0
    text = capsys.readouterr().out
    assert "PlanResult" not in text
    assert "Sochaczew (PL, geonames:758682; seed" in text
    # Qxtwo (DE), Qxthree (FR) and Qxfour (IT) complete the 4 countries; Qxone is domestic
    assert "Qxtwo (DE, t2; added" in text and "Qxone" not in text
    assert f"Plan for {NT} (rules confirmed): 4 municipalities" in text
