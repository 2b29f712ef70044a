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

#: A score term counts as a reason in the report when it adds at least this much.
REASON_MIN = 0.9


def candidate_reasons(lang: Lang, ranked: pd.DataFrame, own_country: str) -> list[str]:
    """Why each candidate is proposed, in words, from the ranking's score terms.

    The ranking's own ``reason`` column says the same in English with the towns' names;
    here the terms are put in the report's language.
    """
    out = []
    # one row per shown candidate (a few dozen): a loop reads best
    for row in ranked.itertuples():
        bits = []
        if row.common_partners > 0:
            bits.append(lang.plural("reason.shared", int(row.common_partners)))
        if row.partner_paths >= REASON_MIN:
            bits.append(lang("reason.paths"))
        if max(row.nearby_10km, row.nearby_50km, row.nearby_150km) >= REASON_MIN:
            bits.append(lang("reason.nearby"))
        bits.append(lang("unit.km", value=lang.number(row.distance_km)))
        if row.distance_in_country >= REASON_MIN / 2:
            bits.append(lang("reason.near_in_country", country=lang.country(row.country)))
        pair = {"a": lang.country(own_country), "b": lang.country(row.country)}
        if row.country_pair >= REASON_MIN / 2:
            bits.append(lang("reason.pair_common", **pair))
        elif row.country_pair <= -REASON_MIN / 2:
            bits.append(lang("reason.pair_rare", **pair))
        if row.size >= REASON_MIN:
            bits.append(lang("reason.sizes"))
        if row.centrality >= REASON_MIN / 3:
            bits.append(lang("reason.central"))
        if row.same_name > 0:
            bits.append(lang("reason.same_name"))
        if row.new_country > 0:
            bits.append(lang("reason.new_country", country=lang.country(row.country)))
        if row.gap > 0:
            bits.append(lang("reason.under_linked", **pair))
        if not row.in_network:
            bits.append(lang("reason.no_partner"))
        elif row.partners >= 10:
            bits.append(lang("reason.many_partners", n=lang.number(row.partners)))
        out.append(lang("_format.list_sep").join(bits))
    return out


def section_candidates(b: Builder) -> Section | None:
    ranked = candidates(b)
    if ranked is None:
        return None
    lang = b.lang
    tid = str(b.scope.key)
    own = str(b.data.towns.loc[tid, "country"])
    intro = lang("candidates.intro", town=b.scope_label())
    intro += " " + (
        lang("candidates.call", call=b.call.id)
        if b.call is not None
        else lang("candidates.no_call")
    )
    sec = Section("candidates", lang("sec.candidates"), intro=intro)
    sec.data_note = data_note(b.data, lang)
    shown = ranked.assign(why=candidate_reasons(lang, ranked, own))
    sec.blocks.append(
        b.table(
            shown,
            "candidates",
            lang("table.candidates"),
            csv_frame=ranked,
            columns=["name", "country", "distance_km", "population", "partners", "score", "why"],
            values={"country": lang.country},
            note=lang("table.candidates.note"),
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
    shared = result.scores["common_partners"] if "common_partners" in result.scores else None
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
        if shared is not None and tid in shared.index and shared[tid] > 0:
            bits.append(lang.plural("reason.shared", int(round(float(shared[tid])))))
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
        ax = consortium_map(b.data, tid, added, title=lang("plan.map.alt", town=b.scope_label()))
        sec.blocks.append(
            image(
                ax,
                lang("plan.map.alt", town=b.scope_label()),
                lang("plan.map.caption", town=b.scope_label()),
            )
        )
    shown = members.assign(why=_member_reasons(b, result))
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
        )
    )
    sec.blocks.append(_checks_table(b, checks))
    alt = result.alternatives
    if len(alt):
        names = b.data.towns["name"]
        shown_alt = alt.assign(
            instead_of=alt["instead_of"].map(names).fillna(alt["instead_of"]),
        )
        sec.blocks.append(
            b.table(
                shown_alt,
                "plan_alternatives",
                lang("table.alternatives"),
                csv_frame=alt,
                rows=30,
                columns=["step", "instead_of", "name", "country", "new_ties", "score"],
                values={"country": lang.country},
            )
        )
    return sec


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
