"""Which candidates a call's rules allow: the ``call`` keyword and per-country eligibility.

``call`` means the same everywhere in the library: an official call id, a
:class:`~twinning_graph.calls.Call`, ``"latest"`` (the latest Networks of Towns call, the
default), ``"latest-confirmed"`` (the latest one whose rule is confirmed) or ``None``: no
call rules applied (no eligibility filter; the ``eligible`` column says ``"n/a"``).

:func:`country_eligibility` is the one place that turns a call into per-country answers
(built on :func:`twinning_graph.countries.eligible_countries`), so its source can be
swapped in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import UnknownCallError, ValidationError
from twinning_graph.calls import Call, get_call, list_calls

#: Words accepted by ``call`` besides call ids, Calls and None.
CALL_WORDS = ("latest", "latest-confirmed")
#: Columns of :func:`country_eligibility`.
ELIGIBILITY_COLUMNS = ("eligible", "eligible_reason", "eligible_rule", "eligible_source")


def resolve_call(call: Any) -> Call | None:
    """The :class:`~twinning_graph.calls.Call` meant by ``call`` (None: no call rules).

    Examples
    --------
    >>> from twinning_graph.recommend._eligibility import resolve_call
    >>> resolve_call("latest-confirmed").call
    'CERV-2025-CITIZENS-TOWN-NT'
    >>> resolve_call(None) is None
    True
    """
    if call is None:
        return None
    if isinstance(call, Call):
        return call
    if not isinstance(call, str):
        raise ValidationError(
            f"call must be a call id, a Call, {' or '.join(map(repr, CALL_WORDS))} or None "
            f"(no call rules), got {call!r}"
        )
    word = call.strip().lower()
    if word == "latest":
        return get_call(None)
    if word == "latest-confirmed":
        calls = list_calls()
        sure = calls[(calls["kind"] == "networks-of-towns") & calls["confirmed"]]
        return get_call(str(sure.sort_values(["year", "programme"]).index[-1]))
    try:
        return get_call(call)
    except UnknownCallError as exc:
        raise UnknownCallError(
            f"{exc}; or one of {', '.join(map(repr, CALL_WORDS))}, or None for no call rules"
        ) from None


def country_eligibility(call: Call | None, countries: Iterable[str]) -> pd.DataFrame:
    """Whether towns of each country may take part in ``call``, why, and the source.

    Returns
    -------
    pandas.DataFrame
        Indexed by the distinct countries: ``eligible`` (``"yes"``, ``"no"``,
        ``"unconfirmed"``; ``"n/a"`` when ``call`` is None), ``eligible_reason``,
        ``eligible_rule`` (``"confirmed"`` or ``"unconfirmed"``: the call's rule itself)
        and ``eligible_source``.

    Examples
    --------
    >>> from twinning_graph.recommend._eligibility import country_eligibility, resolve_call
    >>> e = country_eligibility(resolve_call("CERV-2025-CITIZENS-TOWN-NT"), ["PL", "GB", "UA"])
    >>> e["eligible"].to_dict()
    {'GB': 'no', 'PL': 'yes', 'UA': 'unconfirmed'}
    """
    from twinning_graph.countries import eligibility_table, eligible_countries, eu_members

    codes = pd.Index(sorted(set(map(str, countries))), name="country")
    out = pd.DataFrame(index=codes, columns=list(ELIGIBILITY_COLUMNS), dtype=object)
    if call is None:
        out[:] = ["n/a", "no call rules applied (call=None)", "", ""]
        return out
    year, prog = call.year, call.programme
    every = eligible_countries(year, programme=prog, include_unconfirmed=True)
    sure = eligible_countries(year, programme=prog, include_unconfirmed=False)
    eu = eu_members(year)
    table = eligibility_table()
    rows = table[(table["programme"] == prog) & (table["year"] == year)].set_index("country")
    c = codes.to_numpy(dtype=object).astype(str)
    in_eu = np.isin(c, sorted(eu))
    listed = np.isin(c, rows.index.to_numpy())
    status = np.where(
        np.isin(c, sorted(sure)), "yes", np.where(np.isin(c, sorted(every)), "unconfirmed", "no")
    )
    note = rows["note"].reindex(c).fillna("").to_numpy(dtype=object)
    source = rows["source"].reindex(c).fillna("").to_numpy(dtype=object)
    reason = np.where(
        in_eu,
        f"EU Member State in {year}",
        np.where(
            listed & (status == "yes"),
            "eligible non-EU country: " + note,
            np.where(
                status == "unconfirmed",
                "eligibility not confirmed: " + note,
                np.where(
                    status == "yes",
                    "part of an EU Member State",
                    f"not an EU Member State or a country associated to {prog} in {year}",
                ),
            ),
        ),
    )
    src = np.where(
        listed, source, np.where(in_eu | (status == "yes"), "twinning_graph countries table", "")
    )
    out["eligible"] = status
    out["eligible_reason"] = reason
    out["eligible_rule"] = "confirmed" if call.confirmed else "unconfirmed"
    out["eligible_source"] = src
    return out
