"""Listing calls: one row per call (``list_calls``) or per rule (``call_rules``)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import pandas as pd

from twinning_graph.calls._model import Call, call_ids, make_call, resolve_call, split_sources


def call_rules(calls: Call | str | Iterable[Any] | None = None) -> pd.DataFrame:
    """Every rule of the given calls (default: all), one row per call and rule.

    Columns: ``call, rule, value, text, status, source, note``.

    Examples
    --------
    >>> from twinning_graph.calls import call_rules
    >>> r = call_rules("CERV-2024-CITIZENS-TOWN-TT").set_index("rule")
    >>> int(r.loc["min_participants", "value"]), r.loc["min_participants", "status"]
    (50, 'confirmed')
    """
    if calls is None:
        items = [make_call(c) for c in call_ids()]
    elif isinstance(calls, (Call, str)):
        items = [resolve_call(calls)]  # type: ignore[list-item]
    else:
        items = [resolve_call(c) for c in calls]  # type: ignore[misc]
    records = [{"call": c.call, **r.to_dict()} for c in items if c is not None for r in c.rules]
    return pd.DataFrame(
        records, columns=["call", "rule", "value", "text", "status", "source", "note"]
    )


def _fmt_range(lo: Any, hi: Any, unit: str = "") -> str:
    if lo is None and hi is None:
        return ""
    if lo is None:
        return f"≤ {hi:,}{unit}" if isinstance(hi, int) else f"≤ {hi:g}{unit}"
    if hi is None:
        return f"≥ {lo:,}{unit}" if isinstance(lo, int) else f"≥ {lo:g}{unit}"
    return f"{lo:,}–{hi:,}{unit}" if isinstance(lo, int) else f"{lo:g}–{hi:g}{unit}"


def _summary_row(c: Call) -> dict[str, Any]:
    v = c.value
    lead = v("lead_type")
    days = v("max_duration_days")
    duration = _fmt_range(v("min_duration_months"), v("max_duration_months"), " months")
    if days is not None:
        duration = f"≤ {days:g} days"
    rate = v("cofinancing_rate")
    sources = sorted({s for r in c.rules for s in split_sources(r.source)})
    return {
        "call": c.call,
        "programme": c.programme,
        "kind": c.kind,
        "year": c.year,
        "status": c.status,
        "min_municipalities": c.min_municipalities,
        "min_countries": c.min_countries,
        "min_eu_states": c.min_eu_states,
        "participants": _fmt_range(v("min_participants"), None),
        "international": _fmt_range(v("min_international_participants"), None)
        or (f"≥ {v('min_international_share'):.0%}" if v("min_international_share") else ""),
        "duration": duration,
        "activities_in": _fmt_range(v("activities_min_countries"), None, " countries"),
        "lead": " or ".join(str(lead).split("|")) if lead else "",
        "grant_eur": _fmt_range(v("min_grant_eur"), v("max_grant_eur")),
        "cofinancing": f"{rate:.0%}" if rate is not None else "",
        "opens": v("opens") or "",
        "deadline": v("deadline") or "",
        "unconfirmed": ", ".join(f"{r.name} ({r.status})" for r in c.unconfirmed_rules),
        "unconfirmed_countries": ", ".join(sorted(c.unconfirmed_countries)),
        "topic_url": c.topic_url,
        "sources": " | ".join(sources),
    }


class CallTable(pd.DataFrame):
    """Every call with its rules, dates, status and sources (a DataFrame, one row per call).

    Derived frames (slices, copies) are plain DataFrames. ``_repr_html_`` shows the status
    of each call and its unconfirmed rules, escaping every value.
    """

    @property
    def _constructor(self) -> type[pd.DataFrame]:  # type: ignore[override]
        return pd.DataFrame

    def _repr_html_(self) -> str:  # type: ignore[override]
        return html_table(self.reset_index(), caption="Calls: rules, dates, status, sources")


def list_calls() -> CallTable:
    """Return every known call with its rules, dates, status and sources.

    Returns
    -------
    CallTable
        A DataFrame indexed by ``call``: programme, kind, year, status (of the core rules),
        min_municipalities, min_countries, min_eu_states, participants, international,
        duration, activities_in, lead, grant_eur, cofinancing, opens, deadline,
        unconfirmed (rules that are not confirmed, with their status),
        unconfirmed_countries, topic_url, sources. :func:`call_rules` gives every rule
        with its own status, source and note.

    Examples
    --------
    >>> from twinning_graph.calls import list_calls
    >>> calls = list_calls()
    >>> rule = ["min_municipalities", "min_countries", "min_eu_states"]
    >>> calls.loc["CERV-2025-CITIZENS-TOWN-NT", rule].tolist()
    [4, 4, 2]
    >>> calls.loc["CERV-2023-CITIZENS-TOWN-NT", "status"]
    'unconfirmed'
    """
    frame = pd.DataFrame([_summary_row(make_call(c)) for c in call_ids()]).set_index("call")
    return CallTable(frame)


def html_table(frame: pd.DataFrame, *, caption: str) -> str:
    colours = {"confirmed": "#1a7f37", "unconfirmed": "#9a6700", "contradicted": "#cf222e"}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, rec, strict=True):
            text = html.escape("" if value is None else str(value))
            if col == "status" and str(value) in colours:
                text = f'<b style="color:{colours[str(value)]}">{text}</b>'
            cells.append(f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
