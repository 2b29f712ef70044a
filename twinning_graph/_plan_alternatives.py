"""The alternatives of a plan: towns not in it that could take an added member's place.

A swap is offered only when the plan's own rule check
(:func:`twinning_graph.calls.check_eligibility` on the swapped members) fails no rule the plan
passes; the candidate's figures (new transnational ties with the other members, fit with the
seeds) are its own. Used by :func:`twinning_graph.plan_network`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph.calls import EligibilityResult, check_eligibility


@dataclass(frozen=True)
class Candidates:
    """The plan's candidates, by position: frame, country, id, fit, confirmed (0/1) and
    the country's eligibility for the call (``"yes"``/``"unconfirmed"``)."""

    frame: pd.DataFrame
    country: np.ndarray
    id: np.ndarray
    fit: np.ndarray
    confirmed: np.ndarray
    status: np.ndarray


ALTERNATIVE_COLUMNS = [
    "step",
    "instead_of",
    "town_id",
    "name",
    "country",
    "eligible",
    "new_ties",
    "score",
]


def alternatives(
    steps: list[dict[str, Any]],
    members: pd.DataFrame,
    checked: EligibilityResult,
    linked: np.ndarray,
    taken: np.ndarray,
    n: int,
    cand: Candidates,
) -> pd.DataFrame:
    """For each added member, the ``n`` best non-members whose swap for it keeps the plan's
    rule check (:func:`check_eligibility`) from failing any rule it did not fail already.

    new_ties and score are the candidate's own: transnational ties with the other members
    of the final plan, and its fit with the seeds.
    """
    import warnings

    rows: list[dict[str, Any]] = []
    if n == 0 or not steps:
        return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)
    failed = set(checked.failed_rules)
    countries = members["country"].to_numpy(dtype=object)
    free = np.flatnonzero(~taken)
    for s in steps:  # one per added member (a handful)
        i = members.index.get_loc(s["town_id"])
        others = np.arange(len(members)) != i
        mc = countries[others]
        ties = np.zeros(len(cand.country), dtype=np.int64)
        ties[free] = ((mc[:, None] != cand.country[None, free]) & ~linked[others][:, free]).sum(
            axis=0
        )
        order = free[
            np.lexsort((cand.id[free], -cand.fit[free], -ties[free], -cand.confirmed[free]))
        ]
        # countries in order of their best candidate; the rule check runs once per country
        # until n candidates are found (a loop over countries, at most a few dozen)
        oc = cand.country[order]
        starts = np.sort(np.unique(oc, return_index=True)[1])
        ok: list[str] = []
        at = np.array([], dtype=np.intp)  # positions in order of the candidates chosen
        for k, f in enumerate(starts):
            code = str(oc[f])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the plan's own check already warned
                swapped = check_eligibility([*mc, code], call=checked.call)
            if set(swapped.failed_rules) <= failed:
                ok.append(code)
            at = np.flatnonzero(np.isin(oc, ok))[:n]
            # done when n are chosen before the first candidate of any unchecked country
            later = starts[k + 1] if k + 1 < len(starts) else len(order)
            if len(at) == n and at[-1] < later:
                break
        chosen = order[at]
        for j in chosen:
            rows.append(
                {
                    "step": s["step"],
                    "instead_of": s["town_id"],
                    "town_id": str(cand.id[j]),
                    "name": str(cand.frame["name"].iat[j]),
                    "country": str(cand.country[j]),
                    "eligible": str(cand.status[j]),
                    "new_ties": int(ties[j]),
                    "score": float(cand.fit[j]),
                }
            )
    return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)
