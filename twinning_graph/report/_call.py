"""The call a report applies to, read through one adapter: its rules, their status, its facts.

The report reads calls only through this module: the call data of
:mod:`twinning_graph.calls` (each rule and each country-year with its status and source,
the call's deadline and topic page) becomes what the report shows — the call id, each
rule with its status (``"confirmed"``, ``"unconfirmed"`` or ``"contradicted"``) and
source, each member country's status, the deadline and the link.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph.calls import Call, EligibilityResult, country_eligibility, get_call
from twinning_graph.calls._model import short_source

#: Status of a rule or of a country's eligibility, most certain first.
STATUSES = ("confirmed", "unconfirmed", "contradicted")

#: The rules :func:`twinning_graph.calls.check_eligibility` checks, in its order.
RULES = ("min_municipalities", "all_countries_eligible", "min_countries", "min_eu_states")


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

    @property
    def source(self) -> str:
        """The sources of the call's rules (addresses only), joined by "; "."""
        return "; ".join(dict.fromkeys(short_source(r.source) for r in self.rules if r.source))

    def country_status(self, codes: Iterable[str]) -> pd.Series:
        """Eligibility of each country code for this call: ``"confirmed"``,
        ``"unconfirmed"`` or ``"not eligible"``."""
        c = pd.Series(list(codes), dtype=object)
        if not len(c):
            return pd.Series([], dtype=object)
        table = country_eligibility(c, self.call, warn=False)
        words = {"yes": "confirmed", "unconfirmed": "unconfirmed", "no": "not eligible"}
        return pd.Series(table["eligible"].map(words).to_numpy(), index=c.to_numpy(), dtype=object)


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
    c = get_call(call.strip())  # warns once when the call's rules are unconfirmed
    rules = []
    for name in RULES:
        data_name = "countries_eligible" if name == "all_countries_eligible" else name
        r = c.rule(data_name)
        required = c.min_municipalities if name == "all_countries_eligible" else c.value(name)
        if r is None:  # the programme's own rule: towns of eligible countries only
            rules.append(Rule(name, int(required), "confirmed", ""))
        else:
            rules.append(Rule(name, int(required), r.status, r.source))
    return CallFacts(call=c, rules=tuple(rules), deadline=c.deadline_date, link=c.topic_url or None)


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
    for col in ("required", "observed"):
        checks[col] = pd.to_numeric(checks[col], errors="coerce").astype("Int64")
    checks["passed"] = checks["passed"].astype(bool)
    return checks[["rule", "required", "observed", "passed", "status", "source", "reason"]]


def verdict(checks: pd.DataFrame) -> str:
    """``"not_met"`` (a rule fails), ``"met_unconfirmed"`` (all pass, some rule or country
    unconfirmed) or ``"met"`` (all pass, all confirmed)."""
    if not bool(checks["passed"].all()):
        return "not_met"
    if (checks["status"] != "confirmed").any():
        return "met_unconfirmed"
    return "met"
