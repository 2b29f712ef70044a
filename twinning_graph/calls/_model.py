"""Call data: rules with status and source, the ``Call`` object and the one call resolver."""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from twinning_graph._errors import DataWarning, UnknownCallError, ValidationError
from twinning_graph.countries import (
    STATUSES,
    country_table,
    eligibility_table,
    eu_members,
    read_package_csv,
)

KINDS = ("networks-of-towns", "town-twinning")
"""Kinds of call; the first is the default of ``"latest"``."""

LATEST = ("latest", "latest-confirmed")
"""Words accepted beside official topic ids."""

CORE_RULES = ("min_municipalities", "min_countries", "min_eu_states")
"""Rules about the consortium that every call states; a call is "confirmed" when these are."""

LEAD_TYPES = (
    "municipality",
    "local-authority",
    "twinning-committee",
    "association-of-local-authorities",
    "non-profit",
)
"""Organisation types a lead applicant can have (``lead_type`` of check_eligibility)."""

#: Every rule the data may hold: (kind of value, wording with ``{v}`` for the value).
RULES: dict[str, tuple[str, str]] = {
    "min_municipalities": ("int", "at least {v} municipalities"),
    "min_countries": ("int", "municipalities from at least {v} different eligible countries"),
    "min_eu_states": ("int", "at least {v} of those countries EU Member States"),
    "countries_eligible": ("text", "every municipality in an eligible country of {v}"),
    "lead_type": ("text", "lead applicant is a {v}"),
    "single_applicant": ("text", "single applicant: {v}"),
    "min_participants": ("int", "at least {v} direct participants"),
    "min_international_participants": ("int", "at least {v} invited international participants"),
    "min_international_share": ("float", "at least {v:.0%} of participants international"),
    "min_duration_months": ("float", "project lasts at least {v:g} months"),
    "max_duration_months": ("float", "project lasts at most {v:g} months"),
    "max_duration_days": ("float", "project lasts at most {v:g} days"),
    "activities_min_countries": ("int", "activities take place in at least {v} countries"),
    "min_grant_eur": ("int", "EU grant at least EUR {v:,}"),
    "max_grant_eur": ("int", "EU grant at most EUR {v:,}"),
    "cofinancing_rate": ("float", "EU co-financing rate {v:.0%}"),
    "opens": ("text", "call opens {v}"),
    "deadline": ("text", "submission deadline {v}"),
}

EU_SOURCE = (
    "EU membership by accession year (twinning_graph/data/countries.csv, from europa.eu "
    "'EU countries'), with outermost regions as part of the EU (Art. 349 and 355(1) TFEU)"
)


def split_sources(text: str) -> list[str]:
    """Split a ``source`` cell into its sources: on "; " outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):  # a short string per rule
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and text.startswith("; ", i):
            parts.append(text[start:i])
            start = i + 2
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def short_source(text: str) -> str:
    """The addresses (or names) of a ``source`` cell, without their descriptions."""
    return "; ".join(dict.fromkeys(p.split(" (")[0] for p in split_sources(text)))


@dataclass(frozen=True)
class Rule:
    """One rule (or fact) of a call, with how sure it is and where it comes from.

    Attributes
    ----------
    name : str
        A key of :data:`RULES`, e.g. ``"min_countries"``.
    value : int, float or str
    status : {"confirmed", "unconfirmed", "contradicted"}
        ``confirmed``: a source states it for this call; ``unconfirmed``: carried over
        or assumed, no source found for this call; ``contradicted``: a source says otherwise.
    source, note : str
    """

    name: str
    value: Any
    status: str
    source: str
    note: str = ""

    @property
    def text(self) -> str:
        """The rule in words, e.g. ``"at least 4 municipalities"``."""
        kind, template = RULES[self.name]
        value = self.value
        if self.name == "lead_type":
            value = " or ".join(str(self.value).split("|"))
        return template.format(v=value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: rule, value, text, status, source, note."""
        return {
            "rule": self.name,
            "value": self.value,
            "text": self.text,
            "status": self.status,
            "source": self.source,
            "note": self.note,
        }


@dataclass(frozen=True)
class Call:
    """One call for proposals (a topic): its rules, dates and eligible countries.

    Attributes
    ----------
    call : str
        Official topic id, e.g. ``"CERV-2025-CITIZENS-TOWN-NT"``.
    programme : {"CERV", "EFC"}
    kind : {"networks-of-towns", "town-twinning"}
    year : int
        Call year.
    country_year : int
        Year whose eligible countries apply (the call year for CERV; 2020 for EFC).
    title, topic_url : str
        Title and link to the official topic page (empty for Europe for Citizens).
    rules : tuple of Rule
        Every rule and fact known for this call, each with status and source.
    eligible_countries : frozenset of str
        Countries whose towns may take part: confirmed and unconfirmed ones.
    unconfirmed_countries : frozenset of str
        The part of ``eligible_countries`` that no source confirms for this year.
    """

    call: str
    programme: str
    kind: str
    year: int
    country_year: int
    title: str
    topic_url: str = field(repr=False)
    rules: tuple[Rule, ...] = field(repr=False)
    eligible_countries: frozenset[str] = field(repr=False)
    unconfirmed_countries: frozenset[str] = field(repr=False, default=frozenset())
    note: str = field(repr=False, default="")

    def rule(self, name: str) -> Rule | None:
        """The rule called ``name``, or None when the call data has none."""
        for r in self.rules:
            if r.name == name:
                return r
        return None

    def value(self, name: str) -> Any:
        """Value of a rule, or None when the call data has none."""
        r = self.rule(name)
        return None if r is None else r.value

    @property
    def min_municipalities(self) -> int:
        return int(self.value("min_municipalities"))

    @property
    def min_countries(self) -> int:
        return int(self.value("min_countries"))

    @property
    def min_eu_states(self) -> int:
        return int(self.value("min_eu_states"))

    @property
    def eu_states(self) -> frozenset[str]:
        """EU Member States in the country year."""
        return eu_members(self.country_year)

    @property
    def confirmed_countries(self) -> frozenset[str]:
        """Eligible countries that a source confirms for this call year (EU included)."""
        return self.eligible_countries - self.unconfirmed_countries

    @property
    def status(self) -> str:
        """``"contradicted"`` if a core rule is, else ``"confirmed"`` if all are, else
        ``"unconfirmed"`` (core rules: number of municipalities, countries, EU states)."""
        states = [r.status for r in self.rules if r.name in CORE_RULES]
        if "contradicted" in states:
            return "contradicted"
        return "confirmed" if states and all(s == "confirmed" for s in states) else "unconfirmed"

    @property
    def deadline_date(self) -> _dt.date | None:
        """The (last) submission deadline as a date, when the call data gives one (a call
        with two cut-off dates lists them separated by ``;``).

        Examples
        --------
        >>> from twinning_graph.calls import get_call
        >>> get_call("CERV-2025-CITIZENS-TOWN-NT").deadline_date
        datetime.date(2025, 3, 27)
        """
        text = str(self.value("deadline") or "")
        parsed = []
        for part in text.split(";"):  # one or two deadlines per call
            try:
                parsed.append(_dt.date.fromisoformat(part.strip()[:10]))
            except ValueError:
                continue
        return max(parsed) if parsed else None

    def deadline_passed(self, today: _dt.date | None = None) -> bool:
        """True when the call's deadline is known and before ``today`` (default: today).

        Examples
        --------
        >>> import datetime
        >>> from twinning_graph.calls import get_call
        >>> nt25 = get_call("CERV-2025-CITIZENS-TOWN-NT")  # deadline 27 March 2025
        >>> nt25.deadline_passed(datetime.date(2025, 3, 1)), nt25.deadline_passed(
        ...     datetime.date(2025, 4, 1))
        (False, True)
        """
        d = self.deadline_date
        return d is not None and d < (today or _dt.date.today())

    @property
    def confirmed(self) -> bool:
        """True when the core rules are all confirmed (see :attr:`status`)."""
        return self.status == "confirmed"

    @property
    def unconfirmed_rules(self) -> list[Rule]:
        """Rules that are not confirmed (unconfirmed or contradicted)."""
        return [r for r in self.rules if r.status != "confirmed"]

    def __str__(self) -> str:
        return f"{self.call} (rules {self.status})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the call with every rule, its status and source."""
        return {
            "call": self.call,
            "programme": self.programme,
            "kind": self.kind,
            "year": self.year,
            "country_year": self.country_year,
            "title": self.title,
            "topic_url": self.topic_url,
            "status": self.status,
            "rules": [r.to_dict() for r in self.rules],
            "unconfirmed_countries": sorted(self.unconfirmed_countries),
            "note": self.note,
        }

    def _repr_html_(self) -> str:
        from twinning_graph.calls._table import call_rules, html_table

        return html_table(call_rules(self), caption=f"{self.call}: rules {self.status}")


# --------------------------------------------------------------------------- reading the data


def _parse(kind: str, text: str) -> Any:
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    return text


@functools.cache
def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    calls = read_package_csv("calls.csv", dtype=str)
    calls["note"] = calls["note"].fillna("")
    calls["topic_url"] = calls["topic_url"].fillna("")
    for col in ["year", "country_year"]:
        calls[col] = calls[col].astype("int64")
    rules = read_package_csv("calls_rules.csv", dtype=str)
    rules["note"] = rules["note"].fillna("")
    # The files ship with the package: check them once so a typo fails loudly and clearly.
    problems = []
    for i, row in rules.iterrows():
        line = int(i) + 2  # type: ignore[call-overload]
        if row["call"] not in set(calls["call"]):
            problems.append(f"line {line}, column call: unknown call {row['call']!r}")
        if row["rule"] not in RULES:
            problems.append(
                f"line {line}, column rule: {row['rule']!r} is not one of {list(RULES)}"
            )
        if row["status"] not in STATUSES:
            problems.append(f"line {line}, column status: {row['status']!r} not in {STATUSES}")
        if not str(row["source"]).strip() or str(row["source"]) == "nan":
            problems.append(f"line {line}, column source: empty")
    missing = [
        c
        for c in calls["call"]
        if not set(CORE_RULES) <= set(rules.loc[rules["call"] == c, "rule"])
    ]
    problems += [f"call {c}: lacks one of the core rules {CORE_RULES}" for c in missing]
    if problems:
        raise ValidationError("data/calls_rules.csv: " + "; ".join(problems))
    return calls.set_index("call"), rules


@functools.cache
def make_call(name: str) -> Call:
    calls, rules = _tables()
    row = calls.loc[name]
    mine = rules[rules["call"] == name]
    parsed = tuple(
        Rule(
            name=str(r.rule),
            value=_parse(RULES[str(r.rule)][0], str(r.value)),
            status=str(r.status),
            source=str(r.source),
            note=str(r.note),
        )
        for r in mine.itertuples(index=False)
    )
    prog, year = str(row["programme"]), int(row["country_year"])
    facts = country_facts(prog, year)
    eligible = frozenset(facts.index[facts["eligible"] != "no"])
    unsure = frozenset(facts.index[facts["eligible"] == "unconfirmed"])
    return Call(
        call=name,
        programme=prog,
        kind=str(row["kind"]),
        year=int(row["year"]),
        country_year=year,
        title=str(row["title"]),
        topic_url=str(row["topic_url"]),
        rules=parsed,
        eligible_countries=eligible,
        unconfirmed_countries=unsure,
        note=str(row["note"]),
    )


@functools.cache
def country_facts(programme: str, year: int) -> pd.DataFrame:
    """Eligibility of every country with a known status for a programme year.

    Indexed by alpha-2 code: ``eligible`` ("yes", "unconfirmed", "no"), ``status``,
    ``counts_as`` (the Member State an outermost region or OCT counts as, else itself),
    ``eu`` (counts as an EU Member State that year), ``kind`` (member state, outermost
    region, overseas territory, associated country, former member), ``source``, ``note``,
    ``signed``, ``in_force``. Countries not listed are not eligible. Cached per year.
    """
    table = country_table()
    eu = eu_members(year)
    rows: dict[str, dict[str, Any]] = {}
    for code in sorted(eu):
        rows[code] = dict(
            kind="EU Member State",
            counts_as=code,
            status="confirmed",
            source=EU_SOURCE,
            note="",
            signed="",
            in_force="",
        )
    regions = table[
        table["eu_territory"] & table["sovereign"].isin(eu) & (table["sovereign"] != "")
    ]
    for code, sov in regions["sovereign"].items():
        rows[str(code)] = dict(
            kind=f"outermost region or part of {sov}",
            counts_as=str(sov),
            status="confirmed",
            source=EU_SOURCE,
            note="part of the EU; counts as its Member State",
            signed="",
            in_force="",
        )
    facts = eligibility_table()
    facts = facts[(facts["programme"] == programme) & (facts["year"] == year)]
    for f in facts.itertuples(index=False):
        code = str(f.country)
        sov = str(table.at[code, "sovereign"]) if bool(table.at[code, "oct"]) else ""
        kind = f"overseas country or territory of {sov}" if sov else "non-EU country"
        rows[code] = dict(
            kind=kind,
            counts_as=sov or code,
            status=str(f.status),
            source=str(f.source),
            note=str(f.note),
            signed=str(f.signed),
            in_force=str(f.in_force),
        )
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "country"
    out["eligible"] = out["status"].map(
        {"confirmed": "yes", "unconfirmed": "unconfirmed", "contradicted": "no"}
    )
    out["eu"] = out["counts_as"].isin(eu)
    return out


# --------------------------------------------------------------------------- resolving a call


def call_ids() -> list[str]:
    """Official topic ids of every shipped call, oldest first."""
    return list(_tables()[0].sort_values(["year", "programme", "kind"]).index)


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    return kind


def latest_call(kind: str = "networks-of-towns", *, confirmed: bool = False) -> Call:
    """Return the most recent call of a kind (``confirmed=True``: of confirmed rules).

    Examples
    --------
    >>> from twinning_graph.calls import latest_call
    >>> latest_call("town-twinning").call
    'CERV-2026-CITIZENS-TOWN-TT'
    >>> latest_call(confirmed=True).call
    'CERV-2025-CITIZENS-TOWN-NT'
    """
    _check_kind(kind)
    calls = _tables()[0]
    of_kind = calls[calls["kind"] == kind].sort_values(["year", "programme"])
    for name in reversed(list(of_kind.index)):
        the_call = make_call(str(name))
        if not confirmed or the_call.confirmed:
            return the_call
    raise UnknownCallError(f"no {kind} call has confirmed rules")  # pragma: no cover


def _unknown_call(call: Any) -> UnknownCallError:
    names = call_ids()
    key = str(call).strip().upper()
    close = difflib.get_close_matches(key, names + [w.upper() for w in LATEST], n=3, cutoff=0.6)
    hint = (
        f"; closest: {', '.join(c.lower() if c.lower() in LATEST else c for c in close)}"
        if close
        else ""
    )
    return UnknownCallError(
        f"unknown call {call!r}{hint}; allowed are 'latest', 'latest-confirmed' or a topic id: "
        f"{', '.join(names)}"
    )


def resolve_call(call: Any, *, kind: str = "networks-of-towns") -> Call | None:
    """Turn any ``call`` argument into a :class:`Call`, or None for "no call".

    The one meaning of the ``call`` keyword across the library and the CLI:

    - an official topic id (case-insensitive), e.g. ``"CERV-2025-CITIZENS-TOWN-NT"``;
    - a :class:`Call` (returned as is);
    - ``"latest"``: the latest call of ``kind``;
    - ``"latest-confirmed"``: the latest call of ``kind`` whose core rules are confirmed;
    - ``None``: no call, no call rules applied (returns None).

    Raises
    ------
    UnknownCallError
        For any other value; the message lists what is allowed and the closest ids.

    Examples
    --------
    >>> from twinning_graph.calls import resolve_call
    >>> resolve_call("latest").call, resolve_call("latest-confirmed").call
    ('CERV-2026-CITIZENS-TOWN-NT', 'CERV-2025-CITIZENS-TOWN-NT')
    >>> resolve_call("latest", kind="town-twinning").call
    'CERV-2026-CITIZENS-TOWN-TT'
    >>> resolve_call(None) is None
    True
    """
    _check_kind(kind)
    if call is None:
        return None
    if isinstance(call, Call):
        return call
    if not isinstance(call, str):
        raise _unknown_call(call)
    word = call.strip().lower()
    if word == "latest":
        return latest_call(kind)
    if word == "latest-confirmed":
        return latest_call(kind, confirmed=True)
    key = call.strip().upper()
    if key not in _tables()[0].index:
        raise _unknown_call(call)
    return make_call(key)


def get_call(call: str | Call = "latest", *, kind: str = "networks-of-towns") -> Call:
    """Return a :class:`Call`: like :func:`resolve_call` but a call is required.

    Warns (:class:`~twinning_graph.DataWarning`) when the call's core rules are not all
    confirmed, naming them, once per look-up.

    Parameters
    ----------
    call : str or Call, default "latest"
        Topic id, ``"latest"``, ``"latest-confirmed"`` or a Call.
    kind : {"networks-of-towns", "town-twinning"}
        Kind of call for ``"latest"`` and ``"latest-confirmed"``.

    Examples
    --------
    >>> from twinning_graph.calls import get_call
    >>> nt = get_call("cerv-2025-citizens-town-nt")
    >>> nt.min_countries, nt.min_eu_states, nt.status
    (4, 2, 'confirmed')
    >>> get_call(kind="town-twinning").call
    'CERV-2026-CITIZENS-TOWN-TT'
    """
    if call is None:
        raise ValidationError(
            "get_call needs a call: a topic id, 'latest' or 'latest-confirmed' "
            "(call=None means 'no call' everywhere in the library)"
        )
    result = resolve_call(call, kind=kind)
    assert result is not None
    unsure = [r for r in result.rules if r.name in CORE_RULES and r.status != "confirmed"]
    if unsure:  # once per look-up; tables built from the call do not warn again per row
        warnings.warn(
            f"{result.call}: rules {result.status}: "
            + "; ".join(f"{r.name} = {r.value} ({r.status}: {r.note})" for r in unsure),
            DataWarning,
            stacklevel=2,
        )
    return result


def require_call(call: Any, *, what: str, kind: str = "networks-of-towns") -> Call:
    """:func:`resolve_call` for functions that cannot work without a call."""
    result = resolve_call(call, kind=kind)
    if result is None:
        raise ValidationError(
            f"{what} needs a call: pass call='latest' (the latest {kind} call), "
            f"'latest-confirmed' or a topic id such as {call_ids()[-1]!r}; "
            "call=None means no call rules"
        )
    return result
