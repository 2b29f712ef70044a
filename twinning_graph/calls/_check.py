"""Checking a group of towns against a call: every rule with its status and source."""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import DataWarning, ValidationError
from twinning_graph.calls._countries import country_eligibility
from twinning_graph.calls._model import (
    EU_SOURCE,
    LEAD_TYPES,
    Call,
    Rule,
    require_call,
    short_source,
)

CHECK_COLUMNS = [
    "rule",
    "requirement",
    "required",
    "observed",
    "result",
    "passed",
    "status",
    "source",
    "reason",
]
"""Columns of :attr:`EligibilityResult.checks`."""

RESULTS = ("pass", "fail", "to check")
"""Values of the ``result`` column: checked and met, checked and not met, or a rule the
plan cannot know (the applicant must check it in the call text)."""

VERDICTS = {
    "meets": "meets the confirmed rules",
    "meets-unconfirmed": "meets the rules, but some are unconfirmed",
    "fails": "does not meet the rules",
}


def _number(name: str, value: Any, *, integer: bool = False) -> float | None:
    if value is None:
        return None
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < 0 or (integer and int(value) != value):
        kind = "an integer" if integer else "a number"
        raise ValidationError(f"{name} must be {kind} >= 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class EligibilityResult:
    """Outcome of :func:`check_eligibility`: never a bare "eligible".

    Attributes
    ----------
    call : Call
        The call whose rules were applied.
    verdict : {"meets", "meets-unconfirmed", "fails"}
        ``meets``: every checked rule passes and every rule and member country involved
        is confirmed; ``meets-unconfirmed``: every checked rule passes but some rule or
        country rests on an unconfirmed fact; ``fails``: a checked rule fails.
    summary : str
        The verdict in one sentence with the call id and what is unconfirmed or failed.
    checks : pandas.DataFrame
        One row per rule that was checked (:data:`CHECK_COLUMNS`): rule, requirement
        (words), required, observed, result ("pass" or "fail"), passed (bool), status,
        source, reason.
    to_check : pandas.DataFrame
        The call's other rules, same columns, result "to check" and passed ``<NA>``: what
        the plan cannot know or was not given; the applicant checks them.
    countries : pandas.DataFrame
        One row per municipality (indexed by town id or position): country, eligible
        ("yes", "no", "unconfirmed"), reason, rule_status, source, counts_as, eu.
    """

    call: Call
    verdict: str
    summary: str
    checks: pd.DataFrame = field(repr=False)
    to_check: pd.DataFrame = field(repr=False)
    countries: pd.DataFrame = field(repr=False)

    @property
    def eligible(self) -> bool:
        """True when no checked rule fails. How sure that is: :attr:`verdict`."""
        return self.verdict != "fails"

    @property
    def failed_rules(self) -> list[str]:
        return self.checks.loc[self.checks["result"] == "fail", "rule"].tolist()

    @property
    def unconfirmed(self) -> list[str]:
        """What the verdict rests on without confirmation, in words."""
        checked = self.checks
        out = [
            f"{r.rule} ({r.status}: {r.requirement})"
            for r in checked.itertuples(index=False)
            if r.status != "confirmed" and r.rule != "all_countries_eligible"
        ]
        unsure = self.countries[self.countries["eligible"] == "unconfirmed"]
        for code in dict.fromkeys(unsure["country"]):
            out.append(f"{code} eligibility ({self._year()}, unconfirmed)")
        return out

    def _year(self) -> str:
        return f"{self.call.programme} {self.call.country_year}"

    def card(self) -> dict[str, str]:
        """A compact summary for a report card: label, value, call, status, detail, sources.

        ``value`` is "yes" (confirmed rules), "yes, unconfirmed" or "no".
        """
        value = {"meets": "yes", "meets-unconfirmed": "yes, unconfirmed", "fails": "no"}
        sources = sorted({short_source(s) for s in self.checks["source"] if s})
        return {
            "label": "Meets the call's rules",
            "value": value[self.verdict],
            "call": self.call.call,
            "status": self.call.status,
            "detail": self.summary,
            "sources": "; ".join(sources),
        }

    def lines(self) -> list[str]:
        """The result as plain-text lines (used by ``repr`` and the CLI)."""
        out = [f"{self.call.call} (rules {self.call.status}): {self.summary}"]
        for r in pd.concat([self.checks, self.to_check]).itertuples(index=False):
            mark = {"pass": "pass", "fail": "FAIL", "to check": "check"}[r.result]
            observed = f"; observed {r.observed}" if r.observed != "" else ""
            out.append(f"  [{mark}] {r.rule}: {r.requirement} [{r.status}]{observed} - {r.reason}")
            out.append(f"          source: {short_source(str(r.source))}")
        out.append("  member countries:")
        for _code, grp in self.countries.groupby("country", sort=True):
            reason = grp["reason"].iat[0]
            out.append(f"    {len(grp)} x {reason}")
        return out

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: call, call_status, verdict, summary, eligible (no checked rule
        fails), unconfirmed, checks, to_check, countries (records with the town id)."""
        countries = self.countries.reset_index(names="member")
        countries["member"] = countries["member"].astype(str)
        return {
            "call": self.call.call,
            "call_status": self.call.status,
            "verdict": self.verdict,
            "summary": self.summary,
            "eligible": self.eligible,
            "unconfirmed": self.unconfirmed,
            "checks": _records(self.checks),
            "to_check": _records(self.to_check),
            "countries": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
                for rec in countries.astype(object).to_dict("records")
            ],
        }

    def _repr_html_(self) -> str:
        colour = {"meets": "#1a7f37", "meets-unconfirmed": "#9a6700", "fails": "#cf222e"}
        checks = pd.concat([self.checks, self.to_check]).to_html(index=False, escape=True)
        members = self.countries[["country", "eligible", "rule_status", "reason"]]
        return (
            f"<div><p><strong>{html.escape(self.call.call)}</strong> "
            f'(rules {html.escape(self.call.status)}): <b style="color:{colour[self.verdict]}">'
            f"{html.escape(self.summary)}</b></p>{checks}"
            f"<p>Member countries</p>{members.to_html(escape=True)}</div>"
        )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
        for rec in clean.to_dict("records")
    ]


def _countries_of(countries_or_data: Any, town_ids: Sequence[str] | None) -> pd.Series:
    if hasattr(countries_or_data, "towns"):
        if town_ids is None:
            raise ValidationError("town_ids is required when passing a TwinningData object")
        ids = [town_ids] if isinstance(town_ids, str) else list(town_ids)
        ids = countries_or_data.resolve(ids)  # ids, former ids, Wikidata ids or names
        if len(set(ids)) != len(ids):
            dupes = sorted({t for t in ids if ids.count(t) > 1})
            raise ValidationError(f"town_ids contains duplicates: {dupes}")
        return countries_or_data.towns.loc[ids, "country"]
    if town_ids is not None:
        raise ValidationError(
            "town_ids is only used with a TwinningData object; pass country codes alone"
        )
    if isinstance(countries_or_data, str):
        raise ValidationError(
            "pass a sequence of country codes, one per municipality (e.g. ['FR', 'DE']), "
            f"got {countries_or_data!r}"
        )
    if isinstance(countries_or_data, pd.Series):
        series = countries_or_data
    else:
        series = pd.Series(list(countries_or_data), dtype=object)
    if series.isna().any():
        raise ValidationError(
            "country codes must not be missing; missing at positions "
            f"{list(series.index[series.isna()])}"
        )
    return series


def _fmt_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("|", " or ")


def _row(
    rule: Rule | None,
    name: str,
    requirement: str,
    required: Any,
    observed: Any,
    result: str,
    reason: str,
    *,
    status: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    return {
        "rule": name,
        "requirement": requirement,
        "required": _fmt_value(required),
        "observed": "" if observed is None else str(observed),
        "result": result,
        "passed": {"pass": True, "fail": False}.get(result, pd.NA),
        "status": status if status is not None else (rule.status if rule else "unconfirmed"),
        "source": source if source is not None else (rule.source if rule else ""),
        "reason": reason,
    }


def _min_rule(
    rule: Rule, observed: float | None, what: str, detail: str = "", *, one: str | None = None
) -> dict[str, Any]:
    """A "at least N" rule; ``what`` names the counted things, ``one`` their singular."""
    need = rule.value
    if observed is None:
        return _row(rule, rule.name, rule.text, need, None, "to check", f"give {what} to check it")
    ok = observed >= need
    obs = int(observed) if float(observed).is_integer() else observed
    if obs == 1 and one is not None:
        what = one
    return _row(
        rule,
        rule.name,
        rule.text,
        need,
        obs,
        "pass" if ok else "fail",
        f"{obs:g} {what}{detail}" + ("" if ok else f"; at least {need:g} needed"),
    )


def check_eligibility(
    countries_or_data: Any,
    town_ids: Sequence[str] | None = None,
    *,
    call: Any = "latest",
    lead_type: str | None = None,
    participants: int | None = None,
    international_participants: int | None = None,
    duration_months: float | None = None,
) -> EligibilityResult:
    """Check a group of municipalities against every rule of a call.

    What a plan can know is checked: the number of municipalities, their countries
    (eligible that year, how many different ones, how many EU Member States) and, when
    given, the lead applicant's type, the planned participants and the duration. Every
    other rule of the call (activities in N countries, grant range, co-financing rate,
    deadline, ...) is listed with result "to check" so the applicant checks it in the call
    text. Outermost regions and overseas countries and territories count as their
    Member State, as the call texts list them ("EU Member States (including overseas
    countries and territories)").

    Parameters
    ----------
    countries_or_data : sequence of str, pandas.Series or TwinningData
        One country code per municipality (a Series keeps its index as labels), or a
        TwinningData whose ``towns`` give the countries of ``town_ids``.
    town_ids : sequence of str, optional
        Town ids, required with a TwinningData.
    call : str or Call, default "latest"
        Topic id, ``"latest"`` (latest Networks of Towns call), ``"latest-confirmed"`` or
        a Call. ``None`` is an error: a check needs a call.
    lead_type : str, optional
        Type of the lead applicant, one of :data:`LEAD_TYPES`.
    participants, international_participants : int, optional
        Planned direct participants and, of them, invited international participants.
    duration_months : float, optional
        Planned project duration.

    Returns
    -------
    EligibilityResult

    Raises
    ------
    UnknownTownError, UnknownCountryError, UnknownCallError, ValidationError

    Warns
    -----
    DataWarning
        Once per call, naming the unconfirmed rules and member countries the result
        rests on.

    Examples
    --------
    >>> from twinning_graph.calls import check_eligibility
    >>> r = check_eligibility(["FR", "DE"], call="CERV-2024-CITIZENS-TOWN-TT")
    >>> r.verdict, r.summary
    ('meets', 'meets the confirmed rules of CERV-2024-CITIZENS-TOWN-TT; 8 to check by the applicant')
    >>> r = check_eligibility(["FR", "DE", "IT"], call="CERV-2025-CITIZENS-TOWN-NT")
    >>> r.verdict, r.failed_rules
    ('fails', ['min_municipalities', 'min_countries'])
    """
    the_call = require_call(call, what="check_eligibility")
    if lead_type is not None and lead_type not in LEAD_TYPES:
        raise ValidationError(f"lead_type must be one of {list(LEAD_TYPES)}, got {lead_type!r}")
    n_part = _number("participants", participants, integer=True)
    n_int = _number("international_participants", international_participants, integer=True)
    months = _number("duration_months", duration_months)
    if n_part is not None and n_int is not None and n_int > n_part:
        raise ValidationError(
            f"international_participants ({n_int:g}) cannot exceed participants ({n_part:g})"
        )
    series = _countries_of(countries_or_data, town_ids)
    members = country_eligibility(series, the_call, warn=False)
    rows = _rules_checked(the_call, members, lead_type, n_part, n_int, months)
    table = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    table["passed"] = table["passed"].astype("boolean")
    todo = table["result"] == "to check"
    checks = table[~todo].reset_index(drop=True)
    result = _verdict(the_call, checks, table[todo].reset_index(drop=True), members)
    if result.unconfirmed:
        warnings.warn(
            f"{the_call.call}: the result rests on unconfirmed facts: "
            + "; ".join(result.unconfirmed),
            DataWarning,
            stacklevel=2,
        )
    return result


def _rules_checked(
    call: Call,
    members: pd.DataFrame,
    lead_type: str | None,
    n_part: float | None,
    n_int: float | None,
    months: float | None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    n = len(members)
    ok = members["eligible"] != "no"
    r = call.rule("min_municipalities")
    assert r is not None
    rows.append(_min_rule(r, float(n), "municipalities", one="municipality"))
    # countries eligible: status and source come from the member countries' facts
    bad = members[~ok]
    unsure = members[members["eligible"] == "unconfirmed"]
    where = f"{call.programme} {call.country_year}"
    if bad.empty:
        reason = f"all {n} municipalities are in eligible countries of {where}"
    else:
        listed = "; ".join(
            f"{c}: {', '.join(map(str, idx))}" for c, idx in bad.groupby("country").groups.items()
        )
        reason = f"not eligible for {where}: {listed}"
    if not unsure.empty:
        reason += f"; unconfirmed: {', '.join(sorted(set(unsure['country'])))}"
    non_eu = members[members["rule_status"].ne("confirmed") | ~members["source"].eq(EU_SOURCE)]
    sources = sorted({p for s in non_eu["source"] for p in [short_source(s)]}) or [EU_SOURCE]
    status = "unconfirmed" if not unsure.empty else "confirmed"
    rows.append(
        _row(
            None,
            "all_countries_eligible",
            f"every municipality in an eligible country of {where}",
            n,
            int(ok.sum()),
            "pass" if bad.empty else "fail",
            reason,
            status=status,
            source="; ".join(sources),
        )
    )
    distinct = sorted(set(members.loc[ok, "counts_as"]))
    r = call.rule("min_countries")
    assert r is not None
    rows.append(
        _min_rule(
            r,
            float(len(distinct)),
            "eligible countries",
            f" ({', '.join(distinct) or 'none'})",
            one="eligible country",
        )
    )
    eu = sorted(set(members.loc[members["eu"], "counts_as"]))
    r = call.rule("min_eu_states")
    assert r is not None
    rows.append(
        _min_rule(
            r,
            float(len(eu)),
            f"EU Member States in {call.country_year}",
            f" ({', '.join(eu) or 'none'})",
            one=f"EU Member State in {call.country_year}",
        )
    )
    handled = {"min_municipalities", "min_countries", "min_eu_states"}
    for rule in call.rules:
        if rule.name in handled:
            continue
        if rule.name == "lead_type":
            allowed = str(rule.value).split("|")
            if lead_type is None:
                rows.append(
                    _row(
                        rule,
                        rule.name,
                        rule.text,
                        rule.value,
                        None,
                        "to check",
                        "give lead_type to check it",
                    )
                )
            else:
                good = lead_type in allowed
                rows.append(
                    _row(
                        rule,
                        rule.name,
                        rule.text,
                        rule.value,
                        lead_type,
                        "pass" if good else "fail",
                        f"lead is a {lead_type}"
                        + ("" if good else f"; allowed: {', '.join(allowed)}"),
                    )
                )
        elif rule.name == "min_participants":
            rows.append(_min_rule(rule, n_part, "direct participants"))
        elif rule.name == "min_international_participants":
            rows.append(_min_rule(rule, n_int, "international participants"))
        elif rule.name == "min_international_share":
            share = None if n_part in (None, 0) or n_int is None else n_int / n_part  # type: ignore[operator]
            if share is None:
                rows.append(
                    _row(
                        rule,
                        rule.name,
                        rule.text,
                        rule.value,
                        None,
                        "to check",
                        "give participants and international_participants to check it",
                    )
                )
            else:
                good = share >= rule.value - 1e-9
                rows.append(
                    _row(
                        rule,
                        rule.name,
                        rule.text,
                        rule.value,
                        f"{share:.0%}",
                        "pass" if good else "fail",
                        f"{share:.0%} international"
                        + ("" if good else f"; at least {rule.value:.0%} needed"),
                    )
                )
        elif rule.name in ("min_duration_months", "max_duration_months", "max_duration_days"):
            if months is None:
                rows.append(
                    _row(
                        rule,
                        rule.name,
                        rule.text,
                        rule.value,
                        None,
                        "to check",
                        "give duration_months to check it",
                    )
                )
                continue
            if rule.name == "max_duration_days":
                good = months * 30.4375 <= rule.value + 1e-9
            elif rule.name == "max_duration_months":
                good = months <= rule.value
            else:
                good = months >= rule.value
            rows.append(
                _row(
                    rule,
                    rule.name,
                    rule.text,
                    rule.value,
                    f"{months:g} months",
                    "pass" if good else "fail",
                    f"{months:g} months planned",
                )
            )
        else:
            why = (
                f"the deadline has passed ({call.deadline_date}): watch for the next call"
                if rule.name == "deadline" and call.deadline_passed()
                else "the plan cannot know this: check it in the call text"
            )
            rows.append(_row(rule, rule.name, rule.text, rule.value, None, "to check", why))
    return rows


def _verdict(
    call: Call, checks: pd.DataFrame, to_check: pd.DataFrame, members: pd.DataFrame
) -> EligibilityResult:
    failed = checks[checks["result"] == "fail"]
    n_check = len(to_check)
    tail = f"; {n_check} to check by the applicant" if n_check else ""
    draft = EligibilityResult(call, "meets", "", checks, to_check, members)
    if len(failed):
        verdict = "fails"
        what = ", ".join(f"{r.rule} ({r.reason})" for r in failed.itertuples(index=False))
        summary = f"{VERDICTS[verdict]} of {call.call}: {what}"
    elif draft.unconfirmed:
        verdict = "meets-unconfirmed"
        summary = f"{VERDICTS['meets-unconfirmed'].replace('the rules', 'the rules of ' + call.call)}: {', '.join(draft.unconfirmed)}{tail}"
    else:
        verdict = "meets"
        summary = f"{VERDICTS[verdict]} of {call.call}{tail}"
    return EligibilityResult(call, verdict, summary, checks, to_check, members)
