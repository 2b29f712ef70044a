"""Tests for twinning_graph.calls: sourced call rules, the call resolver and the checks.

Expected values are written by hand from the call texts named in data/calls_rules.csv
(e.g. CERV-2025 Networks of Towns: at least 4 applicants from 4 eligible countries, at
least 2 EU Member States; CERV-2022: 5 municipalities, 5 countries, 3 EU).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph._errors import (
    DataWarning,
    UnknownCallError,
    UnknownCountryError,
    UnknownTownError,
    ValidationError,
)
from twinning_graph.calls import (
    Call,
    CallTable,
    call_rules,
    calls_markdown,
    check_eligibility,
    country_eligibility,
    get_call,
    latest_call,
    list_calls,
    resolve_call,
)
from twinning_graph.cli import main

NT25, NT22, NT26 = (f"CERV-{y}-CITIZENS-TOWN-NT" for y in (2025, 2022, 2026))
TT24 = "CERV-2024-CITIZENS-TOWN-TT"
ROOT = Path(__file__).resolve().parents[1]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return fn(*args, **kwargs)


def _by_rule(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("rule")


# --------------------------------------------------------------------------- data


def test_list_calls_ids_columns_and_type():
    calls = list_calls()
    assert isinstance(calls, CallTable)
    expected = {f"CERV-{y}-CITIZENS-TOWN-{k}" for y in range(2021, 2027) for k in ("TT", "NT")}
    expected |= {"EFC-2014-2020-TOWN-TWINNING", "EFC-2014-2020-NETWORKS-OF-TOWNS"}
    assert set(calls.index) == expected
    for col in ["status", "deadline", "participants", "duration", "lead", "grant_eur", "sources"]:
        assert col in calls.columns
    assert type(calls.head(2)) is pd.DataFrame  # derived frames are plain
    page = calls._repr_html_()
    assert "<table>" in page and "CERV-2023-CITIZENS-TOWN-NT" in page and "unconfirmed" in page


def test_every_rule_has_a_status_and_a_source():
    rules = call_rules()
    assert set(rules["status"]) <= {"confirmed", "unconfirmed", "contradicted"}
    assert rules["source"].str.len().gt(10).all()
    per_call = rules.groupby("call")["rule"].apply(set)
    assert all({"min_municipalities", "min_countries", "min_eu_states"} <= s for s in per_call)


# (municipalities, countries, EU states, status of the call) as the call texts state them
RULES = {
    "EFC-2014-2020-TOWN-TWINNING": (2, 2, 1, "confirmed"),
    "EFC-2014-2020-NETWORKS-OF-TOWNS": (4, 4, 1, "confirmed"),
    "CERV-2021-CITIZENS-TOWN-TT": (2, 2, 1, "confirmed"),
    "CERV-2022-CITIZENS-TOWN-TT": (2, 2, 1, "unconfirmed"),  # no 2022 text found
    "CERV-2023-CITIZENS-TOWN-TT": (2, 2, 1, "confirmed"),
    "CERV-2024-CITIZENS-TOWN-TT": (2, 2, 1, "confirmed"),
    "CERV-2025-CITIZENS-TOWN-TT": (2, 2, 1, "unconfirmed"),  # EU clause not stated
    "CERV-2026-CITIZENS-TOWN-TT": (2, 2, 1, "confirmed"),
    "CERV-2021-CITIZENS-TOWN-NT": (5, 5, 3, "confirmed"),
    "CERV-2022-CITIZENS-TOWN-NT": (5, 5, 3, "confirmed"),
    "CERV-2023-CITIZENS-TOWN-NT": (4, 4, 2, "unconfirmed"),  # carried over from 2024
    "CERV-2024-CITIZENS-TOWN-NT": (4, 4, 2, "confirmed"),
    "CERV-2025-CITIZENS-TOWN-NT": (4, 4, 2, "confirmed"),
    "CERV-2026-CITIZENS-TOWN-NT": (4, 4, 2, "unconfirmed"),  # "4 partners", not 4 countries
}


@pytest.mark.parametrize(("name", "expected"), sorted(RULES.items()))
def test_core_rules_of_each_call(name, expected):
    call = get_call(name)
    assert (
        call.min_municipalities,
        call.min_countries,
        call.min_eu_states,
        call.status,
    ) == expected


def test_other_rules_of_the_calls():
    tt24 = get_call(TT24)
    assert tt24.value("min_participants") == 50
    assert tt24.value("min_international_participants") == 25
    assert (tt24.value("min_duration_months"), tt24.value("max_duration_months")) == (6, 12)
    assert (tt24.value("min_grant_eur"), tt24.value("max_grant_eur")) == (8455, 50745)
    nt25 = get_call(NT25)
    assert nt25.value("activities_min_countries") == 2
    assert nt25.value("lead_type") == "municipality|local-authority"
    assert nt25.value("deadline").startswith("2025-03-27")
    nt26 = get_call(NT26)
    assert nt26.value("min_grant_eur") == 100000 and nt26.value("cofinancing_rate") == 0.6
    assert nt26.rule("min_grant_eur").status == "confirmed"
    assert nt26.topic_url.endswith("/cerv-2026-citizens-town-nt")
    assert get_call("EFC-2014-2020-TOWN-TWINNING").value("max_duration_days") == 21


# --------------------------------------------------------------------------- resolver


def test_resolver_one_meaning_per_value():
    assert resolve_call(None) is None
    assert resolve_call("latest").call == NT26
    assert resolve_call(" Latest-Confirmed ").call == NT25
    assert resolve_call("latest", kind="town-twinning").call == "CERV-2026-CITIZENS-TOWN-TT"
    assert (
        resolve_call("latest-confirmed", kind="town-twinning").call == "CERV-2026-CITIZENS-TOWN-TT"
    )
    call = resolve_call("cerv-2025-citizens-town-tt")
    assert isinstance(call, Call) and resolve_call(call) is call
    assert latest_call(confirmed=True) == get_call("latest-confirmed")
    with pytest.raises(AttributeError):
        call.year = 2000  # frozen


def test_unknown_call_lists_what_is_allowed():
    with pytest.raises(UnknownCallError, match="closest: CERV-2025-CITIZENS-TOWN-NT") as info:
        get_call("CERV-2025-CITIZENS-TOWN-N")
    assert "'latest-confirmed'" in str(info.value) and "EFC-2014-2020-TOWN-TWINNING" in str(
        info.value
    )
    with pytest.raises(UnknownCallError, match="closest: latest"):
        resolve_call("lattest")
    with pytest.raises(ValidationError, match="kind must be one of"):
        get_call(kind="twinning")


def test_get_call_warns_for_unconfirmed_rules_once():
    with pytest.warns(DataWarning) as record:
        call = get_call("CERV-2023-CITIZENS-TOWN-NT")
    assert len(record) == 1 and call.status == "unconfirmed"
    assert "min_countries = 4 (unconfirmed" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        get_call(NT25)  # confirmed: silent


def test_get_call_none_is_refused():
    # None means "no call" in every function; get_call needs one
    with pytest.raises(ValidationError, match="call=None means 'no call'"):
        get_call(None)  # type: ignore[arg-type]
    assert get_call().call == NT26


def test_check_needs_a_call():
    with pytest.raises(ValidationError, match="check_eligibility needs a call"):
        check_eligibility(["FR", "DE"], call=None)
    with pytest.raises(ValidationError, match="country_eligibility needs a call"):
        country_eligibility(["FR"], None)


# --------------------------------------------------------------------------- countries


def test_unconfirmed_country_is_shown_as_unconfirmed_and_warned_once():
    countries = pd.Series(["UA", "FR", "UA", "NO", "UA"], index=list("abcde"))
    with pytest.warns(DataWarning) as record:
        table = country_eligibility(countries, NT25)
    assert len(record) == 1  # once per call, not once per row
    assert "UA (Ukraine)" in str(record[0].message) and "3 rows" in str(record[0].message)
    assert list(table.index) == list("abcde")
    assert table["eligible"].tolist() == ["unconfirmed", "yes", "unconfirmed", "no", "unconfirmed"]
    assert table.loc["a", "rule_status"] == "unconfirmed"
    assert "UA:" in table.loc["a", "reason"] and "not confirmed" in table.loc["a", "reason"]
    assert table.loc["b", "rule_status"] == "confirmed"
    assert table.loc["d", "rule_status"] == "not listed"
    assert (table["call"] == NT25).all()


def test_signature_is_not_entry_into_force():
    t = _quiet(country_eligibility, ["XK", "XK"], "CERV-2024-CITIZENS-TOWN-NT")
    assert t["eligible"].tolist() == ["unconfirmed", "unconfirmed"]
    assert "signed 2023-12" in t["reason"].iat[0]
    t = country_eligibility(["XK"], "CERV-2023-CITIZENS-TOWN-TT")
    assert t["eligible"].tolist() == ["no"] and t["rule_status"].tolist() == ["contradicted"]


def test_territories_count_as_their_member_state():
    t = country_eligibility(["RE", "GL", "DE"], TT24)
    assert t["counts_as"].tolist() == ["FR", "DK", "DE"]
    assert t["eu"].tolist() == [True, True, True]
    r = check_eligibility(["GL", "DE"], call=TT24)
    checks = _by_rule(r.checks)
    assert checks.loc["min_countries", "observed"] == "2"  # DK and DE
    assert r.verdict == "meets"
    assert check_eligibility(["GL", "DK"], call=TT24).verdict == "fails"
    re_fr = _by_rule(check_eligibility(["RE", "FR"], call=TT24).checks)
    assert re_fr.loc["min_countries", "observed"] == "1"  # Réunion is France


def test_gb_counts_in_efc_2020_but_not_as_an_eu_state():
    r = check_eligibility(["GB", "DE"], call="EFC-2014-2020-TOWN-TWINNING")
    assert r.verdict == "meets"
    assert _by_rule(r.checks).loc["min_eu_states", "observed"] == "1"
    assert r.countries.loc[0, "rule_status"] == "confirmed"


# --------------------------------------------------------------------------- checks


def test_two_eu_two_candidate_towns_pass_nt_2025_and_fail_nt_2022():
    towns = pd.Series({"lyon": "FR", "bonn": "DE", "lviv": "UA", "novi-sad": "RS"})
    with pytest.warns(DataWarning, match="unconfirmed"):
        r25 = check_eligibility(towns, call=NT25)
    assert r25.verdict == "meets-unconfirmed" and r25.eligible
    assert r25.failed_rules == []
    assert r25.summary.startswith(f"meets the rules of {NT25}, but some are unconfirmed")
    assert "UA eligibility" in r25.summary and "RS eligibility" in r25.summary
    assert _by_rule(r25.checks).loc["all_countries_eligible", "status"] == "unconfirmed"
    r22 = check_eligibility(towns, call=NT22)
    assert r22.verdict == "fails" and not r22.eligible
    assert r22.failed_rules == [
        "min_municipalities",
        "all_countries_eligible",
        "min_countries",
        "min_eu_states",
    ]
    reason = _by_rule(r22.checks).loc["all_countries_eligible", "reason"]
    assert "RS: novi-sad" in reason and "UA: lviv" in reason


def test_confirmed_rules_and_countries_give_a_confirmed_verdict():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = check_eligibility(["FR", "DE", "IT", "PL"], call=NT25)
    assert r.verdict == "meets"
    assert r.summary.startswith(f"meets the confirmed rules of {NT25}; ")
    assert r.checks["status"].eq("confirmed").all() and r.checks["passed"].all()
    todo = _by_rule(r.to_check)
    assert set(todo.index) == {
        "min_duration_months",
        "max_duration_months",
        "activities_min_countries",
        "cofinancing_rate",
        "lead_type",
        "opens",
        "deadline",
    }
    assert todo["passed"].isna().all() and todo.loc["cofinancing_rate", "status"] == "unconfirmed"


def test_unconfirmed_call_rules_make_the_verdict_unconfirmed():
    r = _quiet(check_eligibility, ["FR", "DE", "IT", "PL"], call=NT26)
    assert r.verdict == "meets-unconfirmed"
    assert "min_countries (unconfirmed" in r.summary and "min_eu_states (unconfirmed" in r.summary


def test_too_few_countries_fail():
    r = check_eligibility(["FR", "DE", "IT"], call=NT25)
    checks = _by_rule(r.checks)
    assert r.verdict == "fails" and r.failed_rules == ["min_municipalities", "min_countries"]
    assert (checks.loc["min_countries", "required"], checks.loc["min_countries", "observed"]) == (
        "4",
        "3",
    )
    assert r.summary.startswith(f"does not meet the rules of {NT25}: min_municipalities")


def test_participants_duration_and_lead_when_given():
    ok = check_eligibility(
        ["FR", "DE"],
        call=TT24,
        participants=60,
        international_participants=30,
        duration_months=8,
        lead_type="twinning-committee",
    )
    assert ok.verdict == "meets"
    assert set(ok.to_check["rule"]) == {"min_grant_eur", "max_grant_eur", "deadline"}
    bad = check_eligibility(
        ["FR", "DE"], call=TT24, participants=49, international_participants=24, duration_months=13
    )
    assert bad.failed_rules == [
        "min_participants",
        "min_international_participants",
        "max_duration_months",
    ]
    lead = check_eligibility(["FR", "DE", "IT", "PL"], call=NT25, lead_type="non-profit")
    assert lead.failed_rules == ["lead_type"]
    # Europe for Citizens: at most 21 days; networks: at least a third international
    efc = check_eligibility(["FR", "DE"], call="EFC-2014-2020-TOWN-TWINNING", duration_months=1)
    assert efc.failed_rules == ["max_duration_days"]  # 1 month = 30.4 days > 21
    assert check_eligibility(
        ["FR", "DE"], call="EFC-2014-2020-TOWN-TWINNING", duration_months=0.5
    ).eligible
    nt = ["FR", "DE", "IT", "PL"]
    efc_nt = "EFC-2014-2020-NETWORKS-OF-TOWNS"
    assert check_eligibility(
        nt, call=efc_nt, participants=90, international_participants=29
    ).failed_rules == ["min_international_share"]
    assert check_eligibility(
        nt, call=efc_nt, participants=90, international_participants=30
    ).eligible


def test_bad_inputs():
    with pytest.raises(ValidationError, match="sequence of country codes"):
        check_eligibility("FR", call=TT24)
    with pytest.raises(ValidationError, match="only used with a TwinningData"):
        check_eligibility(["FR", "DE"], ["a", "b"])
    with pytest.raises(ValidationError, match="missing"):
        check_eligibility(["FR", None], call=TT24)
    with pytest.raises(UnknownCallError):
        check_eligibility(["FR", "DE"], call="nope")
    with pytest.raises(UnknownCountryError, match="QQ"):
        check_eligibility(["FR", "QQ"], call=TT24)
    with pytest.raises(ValidationError, match="lead_type must be one of"):
        check_eligibility(["FR", "DE"], call=TT24, lead_type="mayor")
    with pytest.raises(ValidationError, match="participants must be an integer >= 0"):
        check_eligibility(["FR", "DE"], call=TT24, participants=-1)
    with pytest.raises(ValidationError, match="cannot exceed participants"):
        check_eligibility(["FR", "DE"], call=TT24, participants=10, international_participants=20)


@pytest.fixture
def tiny():
    towns = pd.DataFrame(
        {
            "town_id": ["FR-lyon", "DE-bonn", "GB-oxford"],
            "name": ["Lyon", "Bonn", "Oxford"],
            "country": ["FR", "DE", "GB"],
            "lat": [45.76, 50.73, 51.75],
            "lon": [4.84, 7.10, -1.26],
        }
    )
    edges = pd.DataFrame({"town_a": ["DE-bonn"], "town_b": ["FR-lyon"]})
    return tg.load(towns=towns, partnerships=edges)


def test_with_twinning_data(tiny):
    r = check_eligibility(tiny, ["FR-lyon", "DE-bonn", "GB-oxford"], call=TT24)
    assert "GB: GB-oxford" in _by_rule(r.checks).loc["all_countries_eligible", "reason"]
    assert list(r.countries.index) == ["FR-lyon", "DE-bonn", "GB-oxford"]
    assert r.countries.loc["GB-oxford", "eligible"] == "no"
    with pytest.raises(UnknownTownError, match="'FR-lyonn'"):
        check_eligibility(tiny, ["FR-lyonn", "DE-bonn"], call=TT24)
    with pytest.raises(ValidationError, match="town_ids is required"):
        check_eligibility(tiny)


def test_outputs_state_call_status_and_source():
    r = _quiet(check_eligibility, ["FR", "DE", "UA", "RS"], call=NT25)
    text = repr(r)
    assert "ELIGIBLE" not in text  # the old bare verdict
    assert NT25 in text and "[confirmed]" in text and "[unconfirmed]" in text
    assert "source: https://easy.ee/" in text and "UA: non-EU country" in text
    d = r.to_dict()
    json.dumps(d)
    assert (
        d["call"] == NT25
        and d["call_status"] == "confirmed"
        and d["verdict"] == "meets-unconfirmed"
    )
    assert all(c["status"] and c["source"] for c in d["checks"] + d["to_check"])
    assert {c["country"]: c["rule_status"] for c in d["countries"]}["UA"] == "unconfirmed"
    card = r.card()
    assert card["value"] == "yes, unconfirmed" and card["call"] == NT25
    assert "easy.ee" in card["sources"]
    page = r._repr_html_()
    assert NT25 in page and "unconfirmed" in page and "<table" in page


# --------------------------------------------------------------------------- CLI and docs


def test_cli_calls(capsys):
    assert main(["calls"]) == 0
    out = capsys.readouterr().out
    # NT 2025: 4/4/2, confirmed; NT 2026: the same numbers, the countries' wording unconfirmed
    blocks = {b.split()[0]: b for b in out.split("\nCERV")[1:]}
    nt25, nt26 = blocks[NT25.removeprefix("CERV")], blocks[NT26.removeprefix("CERV")]
    assert "deadline 2025-03-27 17:00 Brussels time (passed)" in nt25
    assert "consortium: 4 municipalities, 4 countries, 2 EU Member States (confirmed)" in nt25
    assert "2 EU Member States (unconfirmed)" in nt26 and "why unconfirmed: the 2026 text" in nt26
    assert "consortium: 2 municipalities, 2 countries, 1 EU Member State (" in out  # TT
    assert main(["calls", "--kind", "town-twinning"]) == 0
    printed = capsys.readouterr()
    assert "warning" not in printed.err and "-NT " not in printed.out
    assert main(["calls", "--kind", "town-twinning", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["kind"] for c in data} == {"town-twinning"}
    rule = data[0]["rules"][0]
    assert {"rule", "value", "status", "source", "note"} <= set(rule)


def test_cli_eligibility_text_and_json(capsys):
    ids = "FR-chartres,DE-speyer"
    assert main(["eligibility", "--towns", ids, "--call", "latest-confirmed"]) == 1
    out = capsys.readouterr().out
    assert NT25 in out and "does not meet the rules" in out and "[confirmed]" in out
    args = ["eligibility", "--towns", ids, "--call", TT24, "--participants", "60"]
    assert main([*args, "--international-participants", "30", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["call"] == TT24 and d["verdict"] == "meets" and d["call_status"] == "confirmed"
    assert all(c["status"] == "confirmed" for c in d["checks"])


def test_cli_plan_states_call_and_statuses(capsys):
    assert main(["plan", "--towns", "FR-chartres,DE-speyer", "--call", NT25, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["call"] == NT25 and d["call_status"] == "confirmed"
    assert d["verdict"] in {"meets", "meets-unconfirmed"}
    assert all("country_status" in m for m in d["members"])
    assert main(["plan", "--towns", "FR-chartres,DE-speyer", "--call", NT25]) == 0
    out = capsys.readouterr().out
    assert f"Plan for {NT25} (rules confirmed)" in out and "ELIGIBLE" not in out
    assert "PlanResult" not in out


def test_docs_page_matches_the_data():
    page = (ROOT / "docs" / "calls.md").read_text(encoding="utf-8")
    assert page == calls_markdown(), "run: python scripts/build_calls_doc.py"
