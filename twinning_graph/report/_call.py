"""The call a report applies to, read through one adapter: its rules, their status, its facts.

The report reads calls only through this module. Today's call data
(:mod:`twinning_graph.calls`) has one ``confirmed`` flag per call, a set of countries whose
eligibility is unconfirmed, a source and a note, and no deadline or link. Here that becomes
what the report shows: the call id, each rule with its status (``"confirmed"``,
``"unconfirmed"`` or ``"contradicted"``) and source, each member country's status, the
deadline and the link. When the call data carries a status and source per rule and the
call's dates and link, only this module changes.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph.calls import Call, EligibilityResult, get_call

#: Status of a rule or of a country's eligibility, most certain first.
STATUSES = ("confirmed", "unconfirmed", "contradicted")

#: The rules :func:`twinning_graph.calls.check_eligibility` checks, in its order.
RULES = ("min_municipalities", "all_countries_eligible", "min_countries", "min_eu_states")

# The topic page of a CERV call on the EU Funding & Tenders Portal, by topic id. The call
# data has no link yet; Europe for Citizens calls (2014-2020) have no such page.
_PORTAL = (
    "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
    "topic-details/{}"
)


@dataclass(frozen=True)
class Rule:
    """One rule of a call: its machine name, the minimum it requires, status and source."""

    rule: str
    required: int
    status: str
    source: str


@dataclass(frozen=True)
class CallFacts:
    """What a report says about a call.

    ``call`` is the :class:`~twinning_graph.Call` passed on to ranking and planning;
    ``deadline`` and ``link`` are None when the call data does not give them.
    """

    call: Call
    rules: tuple[Rule, ...]
    deadline: _dt.date | None
    link: str | None

    @property
    def id(self) -> str:
        return self.call.call

    @property
    def kind(self) -> str:
        return self.call.kind

    @property
    def status(self) -> str:
        """The least certain status of the call's rules."""
        return max((r.status for r in self.rules), key=STATUSES.index)

    @property
    def note(self) -> str:
        return self.call.note

    def country_status(self, codes: Iterable[str]) -> pd.Series:
        """Eligibility of each country code for this call: ``"confirmed"``,
        ``"unconfirmed"`` or ``"not eligible"``."""
        c = pd.Series(list(codes), dtype=object)
        status = pd.Series("not eligible", index=c.index, dtype=object)
        status[c.isin(self.call.eligible_countries)] = "confirmed"
        status[c.isin(self.call.unconfirmed_countries)] = "unconfirmed"
        return pd.Series(status.to_numpy(), index=c.to_numpy(), dtype=object)


def call_facts(call: str | None) -> CallFacts | None:
    """The call of a report: a topic id, ``"latest"`` (the latest Networks of Towns call)
    or None (no call: no eligibility filter, no proposed network).

    Raises
    ------
    UnknownCallError
        For an id that is not a known call (the message lists the known ones).
    ValidationError
        For a value that is not a string or None.

    Examples
    --------
    >>> from twinning_graph.report._call import call_facts
    >>> facts = call_facts("CERV-2025-CITIZENS-TOWN-NT")
    >>> [(r.rule, r.required, r.status) for r in facts.rules][2:]
    [('min_countries', 4, 'confirmed'), ('min_eu_states', 2, 'confirmed')]
    >>> call_facts(None) is None
    True
    """
    if call is None:
        return None
    if not isinstance(call, str) or not call.strip():
        raise ValidationError(
            f"call must be a call id (see tg.list_calls()), 'latest' or None, got {call!r}"
        )
    c = get_call(None) if call.strip().lower() == "latest" else get_call(call)
    status = "confirmed" if c.confirmed else "unconfirmed"
    required = {
        "min_municipalities": c.min_municipalities,
        "all_countries_eligible": c.min_municipalities,
        "min_countries": c.min_countries,
        "min_eu_states": c.min_eu_states,
    }
    rules = tuple(Rule(r, int(required[r]), status, c.source) for r in RULES)
    link = _PORTAL.format(c.call) if c.programme == "CERV" else None
    return CallFacts(call=c, rules=rules, deadline=None, link=link)


def rule_checks(facts: CallFacts, result: EligibilityResult) -> pd.DataFrame:
    """The rules checked on a group of towns, each with its status and source.

    Returns
    -------
    pandas.DataFrame
        One row per rule: rule, required, observed, passed, status, source, reason (the
        checker's English reason, kept for the CSV). ``all_countries_eligible`` is
        unconfirmed when a member's country is unconfirmed for the call.
    """
    checks = result.checks.copy()
    by_rule = {r.rule: r for r in facts.rules}
    status = checks["rule"].map(lambda r: by_rule[r].status)
    shaky = facts.country_status(result.countries.astype(str)) == "unconfirmed"
    if shaky.any():
        is_country_rule = checks["rule"] == "all_countries_eligible"
        status = status.where(~is_country_rule, "unconfirmed")
    checks["status"] = status
    checks["source"] = checks["rule"].map(lambda r: by_rule[r].source)
    return checks[["rule", "required", "observed", "passed", "status", "source", "reason"]]


def verdict(checks: pd.DataFrame) -> str:
    """``"not_met"`` (a rule fails), ``"met_unconfirmed"`` (all pass, some rule or country
    unconfirmed) or ``"met"`` (all pass, all confirmed)."""
    if not bool(checks["passed"].all()):
        return "not_met"
    if (checks["status"] != "confirmed").any():
        return "met_unconfirmed"
    return "met"
