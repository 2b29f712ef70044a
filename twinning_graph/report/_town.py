"""The sections of a town report that look ahead: candidate partners and a proposed
network for the report's call."""

from __future__ import annotations

from typing import Any

import pandas as pd

from twinning_graph.plan import PlanResult, plan_network
from twinning_graph.report._blocks import Facts, Section, Text
from twinning_graph.report._call import rule_checks, verdict
from twinning_graph.report._context import Builder, candidates
from twinning_graph.report._coverage import data_note
from twinning_graph.report._figures import consortium_map, image
from twinning_graph.report._i18n import Lang
from twinning_graph.report._reasons import (
    candidate_reasons,
    shared_names,
    unconfirmed_countries,
    unconfirmed_note,
)


def section_candidates(b: Builder) -> Section | None:
    ranked = candidates(b)
    if ranked is None:
        return None
    lang = b.lang
    intro = lang("candidates.intro", town=b.scope_label())
    intro += " " + (
        lang("candidates.call", call=b.call.id)
        if b.call is not None
        else lang("candidates.no_call")
    )
    if b.per_country is not None:
        intro += " " + lang.plural("candidates.per_country", b.per_country)
    sec = Section("candidates", lang("sec.candidates"), intro=intro)
    sec.data_note = data_note(b.data, lang)
    shaky = set(unconfirmed_countries(b, ranked["country"].astype(str)))
    shown = ranked.assign(name=_marked(b, ranked, shaky), why=candidate_reasons(b, ranked))
    note = lang("table.candidates.note")
    if shaky:
        note += " " + unconfirmed_note(b, shaky)
    sec.blocks.append(
        b.table(
            shown,
            "candidates",
            lang("table.candidates"),
            csv_frame=ranked,
            columns=["name", "country", "distance_km", "population", "partners", "score", "why"],
            values={"country": lang.country},
            note=note,
        )
    )
    return sec


def plan(b: Builder) -> PlanResult | None:
    """The network proposed around the scope's town for the report's call (None: no call)."""
    if b.call is None:
        return None
    call = b.call.call

    def run() -> PlanResult:
        b.step("proposed network")
        return plan_network(b.data, [str(b.scope.key)], call=call)

    result: PlanResult = b.cached("plan", run)
    return result


def plan_checks(b: Builder, result: PlanResult) -> pd.DataFrame:
    facts = b.call
    assert facts is not None  # there is a plan only with a call
    return b.cached("plan_checks", lambda: rule_checks(facts, result.eligibility))


def verdict_words(lang: Lang, checks: pd.DataFrame, *, short: bool = False) -> str:
    """The eligibility verdict as a phrase (``short``: a few words for a card); it never
    says a bare "yes": an unconfirmed rule or country is named."""
    v = verdict(checks)
    shaky = checks.loc[checks["status"] != "confirmed", "rule"].tolist()
    if v == "met_unconfirmed" and len(shaky) == len(checks):
        v = "met_call_unconfirmed"
    if short:
        return lang(f"verdict_short.{v}")
    failed = checks.loc[~checks["passed"], "rule"].tolist()
    return lang(
        f"verdict.{v}",
        rules=lang.join(lang(f"rule.{r}") for r in shaky),
        failed=lang.join(lang(f"rule.{r}") for r in failed),
    )


def _member_reasons(b: Builder, result: PlanResult) -> list[str]:
    lang = b.lang
    members = result.members
    seen: set[str] = set()
    seed = str(b.scope.key)
    out = []
    # one row per member (a handful): a loop reads best
    for tid, row in members.iterrows():
        country = str(row["country"])
        if row["role"] == "seed":
            out.append(lang("plan.why.seed"))
            seen.add(country)
            continue
        bits = []
        if country not in seen:
            bits.append(lang("reason.new_country", country=lang.country(country)))
            seen.add(country)
        bits.append(lang.plural("plan.why.ties", int(row["new_ties"])))
        if str(tid) in b.data.towns.index:
            words = shared_names(b, seed, str(tid))
            if words:
                bits.append(words)
        out.append(lang("_format.list_sep").join(bits))
    return out


def section_plan(b: Builder) -> Section | None:
    result = plan(b)
    if result is None or b.call is None:
        return None
    lang = b.lang
    facts = b.call
    tid = str(b.scope.key)
    members = result.members
    checks = plan_checks(b, result)
    sec = Section(
        "plan",
        lang("sec.plan"),
        intro=lang("plan.intro", town=b.scope_label(), call=facts.id),
        data_note=data_note(b.data, lang),
    )
    sec.blocks.append(
        Facts(
            [
                (lang("fact.call"), facts.id, lang(f"call.kind.{facts.kind}")),
                (
                    lang("fact.rules"),
                    verdict_words(lang, checks, short=True),
                    lang("fact.rules.hint"),
                ),
                (lang("fact.members"), lang.number(len(members)), lang("fact.members.hint")),
                (lang("fact.countries"), lang.number(members["country"].nunique()), ""),
                (
                    lang("fact.deadline"),
                    lang.date(facts.deadline) if facts.deadline else lang("call.no_deadline"),
                    "",
                ),
            ]
        )
    )
    sec.blocks.append(
        Text(lang("plan.verdict", verdict=verdict_words(lang, checks), call=facts.id))
    )
    added = members.index[members["role"] != "seed"]
    if len(added):
        ax = consortium_map(
            b.data,
            tid,
            added,
            title=lang("plan.map.alt", town=b.scope_label()),
            texts=lang.map_texts(),
        )
        sec.blocks.append(
            image(
                ax,
                lang("plan.map.alt", town=b.scope_label()),
                lang("plan.map.caption", town=b.scope_label()),
            )
        )
    shaky = set(unconfirmed_countries(b, members["country"].astype(str)))
    shown = members.assign(name=_marked(b, members, shaky), why=_member_reasons(b, result))
    role = {"role": lambda r: lang(f"value.role.{r}"), "country": lang.country}
    sec.blocks.append(
        b.table(
            shown,
            "plan",
            lang("table.plan"),
            csv_frame=members,
            rows=100,
            columns=["name", "country", "eu", "role", "new_ties", "why"],
            values=role,
            note=unconfirmed_note(b, shaky),
        )
    )
    sec.blocks.append(_checks_table(b, checks))
    alt = result.alternatives
    if len(alt):
        names = b.data.towns["name"]
        alt_shaky = set(unconfirmed_countries(b, alt["country"].astype(str)))
        shown_alt = alt.assign(
            instead_of=alt["instead_of"].map(names).fillna(alt["instead_of"]),
            name=_marked(b, alt, alt_shaky),
            ties_in_plan=alt["new_ties"],  # with every other member of the final plan
        )
        sec.blocks.append(
            b.table(
                shown_alt,
                "plan_alternatives",
                lang("table.alternatives"),
                csv_frame=alt,
                rows=30,
                columns=["step", "instead_of", "name", "country", "ties_in_plan", "score"],
                values={"country": lang.country},
                note=unconfirmed_note(b, alt_shaky),
            )
        )
    return sec


def _marked(b: Builder, frame: pd.DataFrame, shaky: set[str]) -> list[str]:
    """The ``name`` column of ``frame`` with the unconfirmed-eligibility mark on the towns
    of the ``shaky`` countries."""
    return [
        b.lang("eligible.marked", name=n) if str(c) in shaky else str(n)
        for n, c in zip(frame["name"], frame["country"], strict=True)
    ]


def _checks_table(b: Builder, checks: pd.DataFrame) -> Any:
    lang = b.lang
    facts = b.call
    assert facts is not None
    note = lang("table.rules.note", call=facts.id, source=facts.source or "–")
    if facts.note:
        text = facts.note.rstrip()
        note += " " + lang("table.rules.call_note", note=text if text.endswith(".") else text + ".")
    return b.table(
        checks.rename(columns={"observed": "found"}),
        "plan_checks",
        lang("table.rules", call=facts.id),
        csv_frame=checks,
        rows=100,
        columns=["rule", "required", "found", "passed", "status"],
        values={
            "rule": lambda r: lang(f"rule.{r}"),
            "passed": lang.yes_no,
            "status": lambda st: lang(f"value.status.{st}"),
            "required": lang.number,
            "found": lang.number,
        },
        note=note,
    )
