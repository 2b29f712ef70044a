"""Which candidates a call's rules allow: the ``call`` keyword and per-country eligibility.

``call`` means the same everywhere in the library: an official call id, a
:class:`~twinning_graph.calls.Call`, ``"latest"`` (the latest Networks of Towns call, the
default), ``"latest-confirmed"`` (the latest one whose rule is confirmed) or ``None``: no
call rules applied (no eligibility filter; the ``eligible`` column says ``"n/a"``).

:func:`country_eligibility` is the one place that turns a call into per-country answers
(built on :func:`twinning_graph.calls.country_eligibility`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph.calls import Call
from twinning_graph.calls import country_eligibility as calls_country_eligibility
from twinning_graph.calls import resolve_call as calls_resolve_call
from twinning_graph.calls._model import LATEST

#: Words accepted by ``call`` besides call ids, Calls and None.
CALL_WORDS = LATEST
#: Columns of :func:`country_eligibility`.
ELIGIBILITY_COLUMNS = (
    "eligible",
    "eligible_reason",
    "eligible_rule",
    "eligible_country",
    "eligible_source",
)


def resolve_call(call: Any) -> Call | None:
    """The :class:`~twinning_graph.calls.Call` meant by ``call`` (None: no call rules).

    :func:`twinning_graph.calls.resolve_call`, with a clear error for a wrong type.

    Examples
    --------
    >>> from twinning_graph.recommend._eligibility import resolve_call
    >>> resolve_call("latest-confirmed").call
    'CERV-2025-CITIZENS-TOWN-NT'
    >>> resolve_call(None) is None
    True
    """
    if call is not None and not isinstance(call, str | Call):
        raise ValidationError(
            f"call must be a call id, a Call, {' or '.join(map(repr, CALL_WORDS))} or None "
            f"(no call rules), got {call!r}"
        )
    return calls_resolve_call(call)


def country_eligibility(call: Call | None, countries: Iterable[str]) -> pd.DataFrame:
    """Whether towns of each country may take part in ``call``, why, how sure, and the source.

    Built on :func:`twinning_graph.calls.country_eligibility` (the call data's per-country
    facts, each with its status and source).

    Returns
    -------
    pandas.DataFrame
        Indexed by the distinct countries: ``eligible`` (``"yes"``, ``"no"``,
        ``"unconfirmed"``; ``"n/a"`` when ``call`` is None), ``eligible_reason`` (words,
        naming the call), ``eligible_rule`` (status of the call's consortium rules:
        ``"confirmed"``, ``"unconfirmed"``), ``eligible_country`` (status of the country's
        eligibility that year) and ``eligible_source``.

    Examples
    --------
    >>> from twinning_graph.recommend._eligibility import country_eligibility, resolve_call
    >>> e = country_eligibility(resolve_call("CERV-2025-CITIZENS-TOWN-NT"), ["PL", "GB", "UA"])
    >>> e["eligible"].to_dict()
    {'GB': 'no', 'PL': 'yes', 'UA': 'unconfirmed'}
    """
    codes = pd.Index(sorted(set(map(str, countries))), name="country")
    out = pd.DataFrame(index=codes, columns=list(ELIGIBILITY_COLUMNS), dtype=object)
    if call is None:
        out[:] = ["n/a", "no call rules applied (call=None)", "", "", ""]
        return out
    if not len(codes):
        return out
    facts = calls_country_eligibility(pd.Series(codes, index=codes), call, warn=False)
    out["eligible"] = facts["eligible"].to_numpy()
    out["eligible_reason"] = (call.call + ": " + facts["reason"].astype(str)).to_numpy()
    out["eligible_rule"] = call.status
    out["eligible_country"] = facts["rule_status"].to_numpy()
    out["eligible_source"] = facts["source"].to_numpy()
    return out
