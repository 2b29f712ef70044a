"""Call rules for EU town-twinning funding, kept as data, and eligibility checks.

Rules come from ``data/calls.csv`` (one row per call, each with its ``source`` and a
``confirmed`` flag); the eligible countries of each call year come from
:func:`twinning_graph.countries.eligible_countries`.

Calls covered: CERV Town-Twinning (``CERV-2021-CITIZENS-TOWN-TT`` ... ``CERV-2026-...``),
CERV Networks of Towns (``CERV-2021-CITIZENS-TOWN-NT`` ... ``CERV-2026-...``) and the two
Europe for Citizens 2014-2020 measures (``EFC-2014-2020-TOWN-TWINNING`` and
``EFC-2014-2020-NETWORKS-OF-TOWNS``). The rule of ``CERV-2023-CITIZENS-TOWN-NT`` is not
confirmed: using it emits a :class:`~twinning_graph.DataWarning`.
"""

from __future__ import annotations

import difflib
import functools
import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from twinning_graph._errors import DataWarning, UnknownCallError, UnknownTownError, ValidationError
from twinning_graph.countries import (
    _country_table,
    _read_csv,
    country_name,
    eligible_countries,
    eu_members,
    normalise_country,
)

__all__ = [
    "Call",
    "EligibilityResult",
    "check_eligibility",
    "get_call",
    "latest_call",
    "list_calls",
]

KINDS = ("town-twinning", "networks-of-towns")
_UNCONFIRMED_RULE_CALLS = frozenset({"CERV-2023-CITIZENS-TOWN-NT"})


@dataclass(frozen=True)
class Call:
    """The eligibility rule of one call (topic) for proposals.

    Attributes
    ----------
    call : str
        Topic id, e.g. ``"CERV-2025-CITIZENS-TOWN-NT"``.
    programme : str
        ``"CERV"`` or ``"EFC"`` (Europe for Citizens 2014-2020).
    kind : str
        ``"town-twinning"`` or ``"networks-of-towns"``.
    year : int
        Call year; also the year whose eligible countries apply.
    min_municipalities, min_countries, min_eu_states : int
        Minimum number of municipalities, of distinct eligible countries and of distinct
        EU Member States.
    eligible_countries : frozenset of str
        Countries whose municipalities may take part (includes unconfirmed ones).
    unconfirmed_countries : frozenset of str
        The part of ``eligible_countries`` whose eligibility is not confirmed.
    confirmed : bool
        Whether the rule itself was confirmed against a source.
    source, note : str
    """

    call: str
    programme: str
    kind: str
    year: int
    min_municipalities: int
    min_countries: int
    min_eu_states: int
    eligible_countries: frozenset[str] = field(repr=False)
    unconfirmed_countries: frozenset[str] = field(repr=False, default=frozenset())
    confirmed: bool = True
    source: str = field(repr=False, default="")
    note: str = field(repr=False, default="")

    @property
    def eu_states(self) -> frozenset[str]:
        """EU Member States in the call year."""
        return eu_members(self.year)


@functools.cache
def _calls() -> pd.DataFrame:
    df = _read_csv("calls.csv", dtype=str)
    for col in [
        "year",
        "min_municipalities",
        "min_countries",
        "min_eu_states",
        "eligible_countries_ref",
    ]:
        df[col] = df[col].astype("int64")
    df["confirmed"] = df["confirmed"].map({"True": True, "False": False}).astype(bool)
    df["note"] = df["note"].fillna("")
    return df.set_index("call")


def list_calls() -> pd.DataFrame:
    """Return every known call with its rule, source and confirmation flag.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``call``; columns ``programme, kind, year, min_municipalities,
        min_countries, min_eu_states, eligible_countries_ref, confirmed, source, note``.

    Examples
    --------
    >>> from twinning_graph.calls import list_calls
    >>> calls = list_calls()
    >>> rule = ["min_municipalities", "min_countries", "min_eu_states"]
    >>> calls.loc["CERV-2025-CITIZENS-TOWN-NT", rule].tolist()
    [4, 4, 2]
    >>> bool(calls.loc["CERV-2023-CITIZENS-TOWN-NT", "confirmed"])
    False
    """
    return _calls().copy()


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    return kind


def _make_call(name: str) -> Call:
    row = _calls().loc[name]
    prog, ref = str(row["programme"]), int(row["eligible_countries_ref"])
    every = eligible_countries(ref, programme=prog)
    sure = eligible_countries(ref, programme=prog, include_unconfirmed=False)
    return Call(
        call=name,
        programme=prog,
        kind=str(row["kind"]),
        year=int(row["year"]),
        min_municipalities=int(row["min_municipalities"]),
        min_countries=int(row["min_countries"]),
        min_eu_states=int(row["min_eu_states"]),
        eligible_countries=every,
        unconfirmed_countries=every - sure,
        confirmed=bool(row["confirmed"]),
        source=str(row["source"]),
        note=str(row["note"]),
    )


def latest_call(kind: str = "networks-of-towns") -> Call:
    """Return the most recent call of a kind.

    Examples
    --------
    >>> from twinning_graph.calls import latest_call
    >>> latest_call("town-twinning").call
    'CERV-2026-CITIZENS-TOWN-TT'
    """
    _check_kind(kind)
    calls = _calls()
    of_kind = calls[calls["kind"] == kind].sort_values(["year", "programme"])
    return _make_call(str(of_kind.index[-1]))


def get_call(call: str | Call | None = None, *, kind: str = "networks-of-towns") -> Call:
    """Return the rule of a call by topic id (case-insensitive).

    Parameters
    ----------
    call : str or Call, optional
        Topic id such as ``"CERV-2024-CITIZENS-TOWN-TT"``; a :class:`Call` is returned
        as is. ``None`` gives the latest call of ``kind``.
    kind : {"networks-of-towns", "town-twinning"}
        Used only when ``call`` is None.

    Returns
    -------
    Call

    Raises
    ------
    UnknownCallError
        If the name is not a known call; the message lists the valid names and the
        closest matches.

    Warns
    -----
    DataWarning
        For calls whose rule could not be confirmed (``CERV-2023-CITIZENS-TOWN-NT``).

    Examples
    --------
    >>> from twinning_graph.calls import get_call
    >>> nt = get_call("cerv-2025-citizens-town-nt")
    >>> nt.min_countries, nt.min_eu_states, "UA" in nt.eligible_countries
    (4, 2, True)
    >>> get_call(kind="town-twinning").call
    'CERV-2026-CITIZENS-TOWN-TT'
    """
    if isinstance(call, Call):
        return call
    if call is None:
        result = latest_call(kind)
    else:
        names = list(_calls().index)
        key = str(call).strip().upper()
        if key not in names:
            close = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
            hint = f"; closest: {', '.join(close)}" if close else ""
            raise UnknownCallError(
                f"unknown call {call!r}{hint}; valid calls are: {', '.join(names)}"
            )
        result = _make_call(key)
    if result.call in _UNCONFIRMED_RULE_CALLS:
        warnings.warn(
            f"the rule of {result.call} is unconfirmed; using "
            f"{result.min_municipalities} municipalities, {result.min_countries} countries, "
            f"{result.min_eu_states} EU Member States ({result.note})",
            DataWarning,
            stacklevel=2,
        )
    return result


@dataclass(frozen=True)
class EligibilityResult:
    """Outcome of :func:`check_eligibility`.

    Attributes
    ----------
    eligible : bool
        True when every rule passes.
    checks : pandas.DataFrame
        One row per rule with columns ``rule, required, observed, passed, reason``.
    call : Call
    countries : pandas.Series
        Normalised country of each municipality, indexed by town id (or position).
    """

    eligible: bool
    checks: pd.DataFrame
    call: Call
    countries: pd.Series = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: call, eligible, checks (list of records), countries."""
        return {
            "call": self.call.call,
            "eligible": self.eligible,
            "checks": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
                for rec in self.checks.to_dict("records")
            ],
            "countries": {str(k): v for k, v in self.countries.items()},
        }

    def __repr__(self) -> str:
        verdict = "ELIGIBLE" if self.eligible else "NOT ELIGIBLE"
        lines = [f"EligibilityResult({self.call.call}: {verdict})"]
        for rec in self.checks.itertuples(index=False):
            mark = "ok  " if rec.passed else "FAIL"
            lines.append(
                f"  [{mark}] {rec.rule}: observed {rec.observed}, "
                f"required {rec.required} - {rec.reason}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        verdict = "eligible" if self.eligible else "not eligible"
        table = self.checks.to_html(index=False, escape=True)
        return f"<div><strong>{html.escape(self.call.call)}</strong>: {verdict}{table}</div>"


def _countries_of(countries_or_data: Any, town_ids: Sequence[str] | None) -> pd.Series:
    if hasattr(countries_or_data, "towns"):
        if town_ids is None:
            raise ValidationError("town_ids is required when passing a TwinningData object")
        towns = countries_or_data.towns
        ids = [town_ids] if isinstance(town_ids, str) else list(town_ids)
        if len(set(ids)) != len(ids):
            dupes = sorted({t for t in ids if ids.count(t) > 1})
            raise ValidationError(f"town_ids contains duplicates: {dupes}")
        unknown = [t for t in ids if t not in towns.index]
        if unknown:
            parts = []
            for tid in unknown:
                close = difflib.get_close_matches(str(tid), [str(i) for i in towns.index], n=3)
                parts.append(f"{tid!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
            raise UnknownTownError(
                f"unknown town_id {', '.join(parts)}; see data.towns.index for valid ids"
            )
        return normalise_country(towns.loc[ids, "country"])
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
    return normalise_country(series)


def check_eligibility(
    countries_or_data: Any,
    town_ids: Sequence[str] | None = None,
    *,
    call: str | Call | None = None,
) -> EligibilityResult:
    """Check a group of municipalities against the partnership rule of a call.

    Rules checked, one row each in ``result.checks``:

    ``min_municipalities``
        At least ``call.min_municipalities`` municipalities.
    ``all_countries_eligible``
        Every municipality is in an eligible country of the call year (the reason names
        the ineligible ones, by town).
    ``min_countries``
        At least ``call.min_countries`` distinct eligible countries. Outermost regions and
        overseas territories count as their Member State (RE counts as FR).
    ``min_eu_states``
        At least ``call.min_eu_states`` distinct EU Member States of the call year.

    Parameters
    ----------
    countries_or_data : sequence of str, pandas.Series or TwinningData
        Either one country code per municipality (a Series keeps its index as labels), or
        a TwinningData whose ``towns`` give the countries of ``town_ids``.
    town_ids : sequence of str, optional
        Town ids, required with a TwinningData.
    call : str or Call, optional
        Topic id; default the latest Networks of Towns call.

    Returns
    -------
    EligibilityResult

    Raises
    ------
    UnknownTownError
        If a town id is not in ``data.towns`` (all unknown ids are listed).
    UnknownCountryError
        If a country code is unknown.
    UnknownCallError
        If the call name is unknown.

    Warns
    -----
    DataWarning
        When the call's rule is unconfirmed, or when a country passes only on
        unconfirmed eligibility.

    Examples
    --------
    >>> from twinning_graph.calls import check_eligibility
    >>> check_eligibility(["FR", "DE"], call="CERV-2024-CITIZENS-TOWN-TT").eligible
    True
    >>> result = check_eligibility(["FR", "DE", "IT"], call="CERV-2025-CITIZENS-TOWN-NT")
    >>> result.eligible
    False
    >>> row = result.checks.set_index("rule").loc["min_countries"]
    >>> int(row["required"]), int(row["observed"]), bool(row["passed"])
    (4, 3, False)
    """
    the_call = get_call(call)
    countries = _countries_of(countries_or_data, town_ids)
    table = _country_table()
    eligible_mask = countries.isin(the_call.eligible_countries)
    # Territories count as their sovereign Member State.
    sovereign = table["sovereign"].where(table["sovereign"] != "", table.index.to_series())
    programme_country = countries.map(sovereign)
    eu_now = the_call.eu_states

    def label(idx: Any) -> str:
        return str(idx)

    n = len(countries)
    rows = []
    rows.append(
        dict(
            rule="min_municipalities",
            required=the_call.min_municipalities,
            observed=n,
            passed=n >= the_call.min_municipalities,
            reason=f"{n} municipalities"
            + (
                ""
                if n >= the_call.min_municipalities
                else f"; at least {the_call.min_municipalities} needed"
            ),
        )
    )
    bad = countries[~eligible_mask]
    if bad.empty:
        where = f"{the_call.programme} {the_call.year}"
        reason = f"all {n} municipalities are in eligible countries of {where}"
    else:
        by_country = bad.groupby(bad, sort=True).groups
        listed = "; ".join(
            f"{code} ({country_name(code)}): {', '.join(label(i) for i in idx)}"
            for code, idx in by_country.items()
        )
        reason = f"not eligible in {the_call.programme} {the_call.year}: {listed}"
    shaky = sorted(set(countries[eligible_mask]) & the_call.unconfirmed_countries)
    if shaky:
        reason += (
            f"; eligibility unconfirmed for {', '.join(shaky)} (see countries.eligibility_table())"
        )
        warnings.warn(
            f"{the_call.call}: eligibility of {', '.join(shaky)} in "
            f"{the_call.programme} {the_call.year} "
            f"is unconfirmed ({int(countries.isin(shaky).sum())} municipalities)",
            DataWarning,
            stacklevel=2,
        )
    rows.append(
        dict(
            rule="all_countries_eligible",
            required=n,
            observed=int(eligible_mask.sum()),
            passed=bool(eligible_mask.all()),
            reason=reason,
        )
    )
    distinct = sorted(set(programme_country[eligible_mask]))
    rows.append(
        dict(
            rule="min_countries",
            required=the_call.min_countries,
            observed=len(distinct),
            passed=len(distinct) >= the_call.min_countries,
            reason=f"eligible countries: {', '.join(distinct) or 'none'}"
            + (
                ""
                if len(distinct) >= the_call.min_countries
                else f"; at least {the_call.min_countries} needed"
            ),
        )
    )
    eu_seen = sorted(set(programme_country) & eu_now)
    rows.append(
        dict(
            rule="min_eu_states",
            required=the_call.min_eu_states,
            observed=len(eu_seen),
            passed=len(eu_seen) >= the_call.min_eu_states,
            reason=f"EU Member States in {the_call.year}: {', '.join(eu_seen) or 'none'}"
            + (
                ""
                if len(eu_seen) >= the_call.min_eu_states
                else f"; at least {the_call.min_eu_states} needed"
            ),
        )
    )
    checks = pd.DataFrame(rows, columns=["rule", "required", "observed", "passed", "reason"])
    checks["required"] = checks["required"].astype("int64")
    checks["observed"] = checks["observed"].astype("int64")
    checks["passed"] = checks["passed"].astype(bool)
    return EligibilityResult(
        eligible=bool(checks["passed"].all()), checks=checks, call=the_call, countries=countries
    )
