"""Per-row eligibility of countries for a call: one vectorised function for every module."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import DataWarning
from twinning_graph.calls._model import Call, country_facts, require_call, split_sources
from twinning_graph.countries import country_name, normalise_country

ELIGIBLE_VALUES = ("yes", "no", "unconfirmed")
"""Values of the ``eligible`` column of :func:`country_eligibility`."""


def _short_source(source: str) -> str:
    """The first address of a source, for a one-line reason."""
    return split_sources(source)[0].split(" (")[0]


def _reasons(facts: pd.DataFrame, call: Call) -> pd.Series:
    """One sentence per country of ``facts`` (a few hundred at most)."""
    where = f"{call.programme} {call.country_year}"
    out = {}
    for code, f in facts.iterrows():  # loop over distinct countries only
        src = _short_source(str(f["source"]))
        if f["kind"] == "EU Member State":
            out[code] = f"{code}: EU Member State in {call.country_year} (confirmed)"
        elif str(f["kind"]).startswith("outermost"):
            out[code] = f"{code}: part of the EU, counts as {f['counts_as']} (confirmed)"
        elif f["status"] == "confirmed":
            what = "counts as " + str(f["counts_as"]) if f["counts_as"] != code else "eligible"
            out[code] = f"{code}: {f['kind']}, {what} in {where} (confirmed, source {src})"
        elif f["status"] == "unconfirmed":
            signed = f", agreement signed {f['signed']}" if f["signed"] else ""
            out[code] = (
                f"{code}: {f['kind']}{signed}, eligibility for {where} not confirmed "
                f"(entry into force or call text not found; source {src})"
                if not str(f["kind"]).startswith("overseas")
                else f"{code}: {f['kind']}, eligibility for {where} not confirmed (source {src})"
            )
        else:
            out[code] = f"{code}: listed for {where} but contradicted: {f['note']} (source {src})"
    return pd.Series(out, dtype=object)


def country_eligibility(countries: Any, call: Any = "latest", *, warn: bool = True) -> pd.DataFrame:
    """Eligibility of each row's country for a call, with reason, status and source.

    Vectorised over the rows (the reasoning runs once per distinct country). The ranking
    puts these columns in its rows; plans and reports show them.

    Parameters
    ----------
    countries : pandas.Series or sequence of str
        One country code per row (alpha-2, alpha-3, EL or UK); a Series keeps its index.
    call : str or Call, default "latest"
        Topic id, ``"latest"``, ``"latest-confirmed"`` or a Call (see
        :func:`resolve_call`). ``None`` is an error: there is no eligibility without a call.
    warn : bool, default True
        Emit one :class:`~twinning_graph.DataWarning` naming the unconfirmed countries
        found (once for the whole call, not once per row).

    Returns
    -------
    pandas.DataFrame
        Indexed like the input: ``country`` (normalised), ``eligible`` ("yes", "no" or
        "unconfirmed"), ``reason`` (words, with the source), ``rule_status`` (status of
        the country-year fact: "confirmed", "unconfirmed", "contradicted", or
        "not listed" for countries no source lists), ``source``, ``counts_as`` (Member
        State an outermost region or overseas territory counts as), ``eu`` (counts as an EU
        Member State of the call year) and ``call``.

    Raises
    ------
    UnknownCountryError
        For unknown codes (all listed).
    ValidationError
        When ``call`` is None.

    Examples
    --------
    >>> import warnings
    >>> from twinning_graph.calls import country_eligibility
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     t = country_eligibility(["FR", "UA", "NO", "RE"], "CERV-2025-CITIZENS-TOWN-NT")
    >>> t["eligible"].tolist()
    ['yes', 'unconfirmed', 'no', 'yes']
    >>> t["counts_as"].tolist()
    ['FR', 'UA', 'NO', 'FR']
    """
    the_call = require_call(call, what="country_eligibility")
    series = (
        countries if isinstance(countries, pd.Series) else pd.Series(list(countries), dtype=object)
    )
    codes = normalise_country(series)
    facts = country_facts(the_call.programme, the_call.country_year)
    present = pd.Index(pd.unique(codes.dropna()))
    known = facts.reindex(present.intersection(facts.index))
    reasons = _reasons(known, the_call)
    others = present.difference(facts.index)
    where = f"{the_call.programme} {the_call.country_year}"
    for code in others:  # distinct countries only
        reasons[code] = (
            f"{code}: not eligible for {where}: not an EU Member State and no association "
            "or participation agreement found"
        )
    eligible = codes.map(facts["eligible"]).fillna("no")
    status = codes.map(facts["status"]).fillna("not listed")
    source = codes.map(facts["source"]).fillna("no source lists this country for " + where)
    counts_as = codes.map(facts["counts_as"]).fillna(codes)
    eu = codes.map(facts["eu"]).fillna(False).astype(bool)
    out = pd.DataFrame(
        {
            "country": codes,
            "eligible": eligible.astype(object),
            "reason": codes.map(reasons).astype(object),
            "rule_status": status.astype(object),
            "source": source.astype(object),
            "counts_as": counts_as.astype(object),
            "eu": eu,
            "call": the_call.call,
        },
        index=series.index,
    )
    missing = codes.isna()
    if missing.any():
        out.loc[missing, ["eligible", "rule_status"]] = ["no", "not listed"]
        out.loc[missing, "reason"] = "country missing"
    if warn:
        unsure = sorted(set(codes[out["eligible"].to_numpy() == "unconfirmed"].dropna()))
        if unsure:
            named = ", ".join(f"{c} ({country_name(c)})" for c in unsure)
            n = int(np.isin(codes.to_numpy(dtype=object), unsure).sum())
            warnings.warn(
                f"{the_call.call}: eligibility of {named} for {where} is unconfirmed "
                f"({n} row{'s' if n != 1 else ''}); see calls.country_eligibility(...)['reason']",
                DataWarning,
                stacklevel=2,
            )
    return out
