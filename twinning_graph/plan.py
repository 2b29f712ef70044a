"""Planning a network of towns that satisfies the rules of a CERV call.

:func:`plan_network` starts from seed towns and adds, one at a time, the candidate that
does most for the application (greedy, deterministic):

1. it fills a missing country or EU Member State the call requires;
2. it creates the most new transnational ties (members of another country it is not
   already twinned with);
3. it fits the seeds best: mean :func:`~twinning_graph.recommend.rank_partners` score
   (plausibility + capacity) against the seed towns;
4. ties are broken by town_id.

The result is checked rule by rule with :func:`twinning_graph.calls.check_eligibility`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._validate import MAX_PLAN_SIZE, check_int
from twinning_graph.calls import Call, EligibilityResult, check_eligibility, get_call
from twinning_graph.graph import as_frames
from twinning_graph.network import TwinningData
from twinning_graph.recommend import (
    SOURCES,
    RankWeights,
    _Candidates,
    _check_town,
    _context,
    _Model,
    _score_rows,
)

__all__ = ["PlanResult", "plan_network", "check_eligibility"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanResult:
    """A proposed network of towns and how it fares against the call's rules.

    Every output states the call, each rule's status and source and each member
    country's status; it never says a bare "eligible".

    Attributes
    ----------
    call : Call
        The call whose rules were applied.
    members : pandas.DataFrame
        Indexed by town_id, in the order chosen: name, country, eu, role (``"seed"`` or
        ``"added"``), step, new_ties, score and why (a short reason).
    eligibility : EligibilityResult
        The rules checked one by one (:func:`twinning_graph.calls.check_eligibility`),
        with their status and source, the rules left to the applicant and the status of
        each member's country.
    alternatives : pandas.DataFrame
        For each added member, the next best candidates of that step: step, instead_of,
        town_id, name, country, new_ties, score.
    scores : pandas.DataFrame
        Score breakdown of the added members against the seeds (mean over seeds):
        plausibility, capacity, score, common_partners, distance_km (to the nearest seed).
    message : str
        One sentence: the verdict with the call id, or which rule no plan could satisfy.
    """

    call: Call
    members: pd.DataFrame
    eligibility: EligibilityResult
    alternatives: pd.DataFrame = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    message: str = ""

    @property
    def eligible(self) -> bool:
        """True when no checked rule of the call fails; how sure: :attr:`verdict`."""
        return self.eligibility.eligible

    @property
    def verdict(self) -> str:
        """``"meets"``, ``"meets-unconfirmed"`` or ``"fails"`` (see EligibilityResult)."""
        return self.eligibility.verdict

    @property
    def checks(self) -> pd.DataFrame:
        """One row per checked rule: rule, requirement, required, observed, result,
        passed, status, source, reason."""
        return self.eligibility.checks

    @property
    def failed_rules(self) -> list[str]:
        """Names of the rules that fail (empty when none does)."""
        return self.eligibility.failed_rules

    def member_status(self) -> pd.DataFrame:
        """Members with their country's eligibility for the call: name, country,
        eligible ("yes", "no", "unconfirmed"), rule_status, reason, source."""
        c = self.eligibility.countries
        out = self.members[["name", "country"]].copy()
        for col in ["eligible", "rule_status", "reason", "source"]:
            out[col] = c[col].reindex(out.index).to_numpy()
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: call, call_status, verdict, summary, eligible, message, members
        (with their country's eligibility and status), checks, to_check, unconfirmed,
        failed_rules, scores, alternatives."""

        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            f = df.reset_index() if df.index.name else df
            return f.astype(object).where(f.notna(), None).to_dict("records")

        result = self.eligibility.to_dict()
        return {
            "call": self.call.call,
            "call_status": self.call.status,
            "verdict": self.verdict,
            "summary": result["summary"],
            "eligible": self.eligible,
            "message": self.message,
            "members": records(
                self.members.join(
                    self.member_status()[["eligible", "rule_status", "reason"]].rename(
                        columns={
                            "eligible": "country_eligible",
                            "rule_status": "country_status",
                            "reason": "country_reason",
                        }
                    )
                )
            ),
            "checks": result["checks"],
            "to_check": result["to_check"],
            "unconfirmed": result["unconfirmed"],
            "failed_rules": self.failed_rules,
            "scores": records(self.scores),
            "alternatives": records(self.alternatives),
        }

    def __repr__(self) -> str:
        lines = [
            f"PlanResult({self.call.call}, rules {self.call.status}: {len(self.members)} members)"
        ]
        status = self.member_status()
        for tid, r in self.members.iterrows():
            lines.append(
                f"  {tid} ({r['country']}, {r['role']}; country {status.at[tid, 'eligible']}): "
                f"{r['why']}"
            )
        lines.append("  " + repr(self.eligibility).replace("\n", "\n  "))
        if self.message:
            lines.append(f"  {self.message}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>{html.escape(self.call.call)}</strong> "
            f"(rules {html.escape(self.call.status)}): {html.escape(self.message)}"
            f"{self.member_status().drop(columns='source').join(self.members[['role', 'why']]).to_html(escape=True)}"
            f"{self.eligibility._repr_html_()}</div>"
        )


def _seed_ids(towns: pd.DataFrame, seed_towns: Any) -> list[str]:
    ids = [seed_towns] if isinstance(seed_towns, str) else list(seed_towns)
    if not ids:
        raise ValidationError("seed_towns is empty; give at least one town_id")
    dup = sorted({t for t in ids if ids.count(t) > 1})
    if dup:
        raise ValidationError(f"seed_towns contains duplicates: {dup}")
    missing = [t for t in ids if t not in towns.index]
    if len(missing) == 1:
        _check_town(towns, missing[0])
    elif missing:
        import difflib

        from twinning_graph._errors import UnknownTownError

        parts = []
        for t in missing:
            close = difflib.get_close_matches(str(t), list(towns.index), n=3)
            parts.append(
                f"{t!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else "")
            )
        raise UnknownTownError(
            f"unknown town_ids {', '.join(parts)}; valid ids are the "
            f"index of data.towns ({len(towns)} towns)"
        )
    return ids


def plan_network(
    data: TwinningData | nx.Graph,
    seed_towns: str | Sequence[str],
    *,
    call: str | Call | None = None,
    size: int | None = None,
    source: str = "network",
    countries: str | Iterable[str] | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    alternatives: int = 3,
    candidates: pd.DataFrame | None = None,
) -> PlanResult:
    """Propose a network of towns around seed towns that satisfies a call's rules.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    seed_towns
        Town ids that are in the network already (the applicants).
    call
        Call topic id (see :func:`twinning_graph.calls.list_calls`) or a ``Call``;
        default the latest CERV Networks of Towns call.
    size
        Number of municipalities; default the call's minimum (or the number of seeds if
        larger). Must be at least the call's minimum.
    source : {"network", "gazetteer"}
        Where added towns come from (see :func:`~twinning_graph.recommend.rank_partners`).
    countries
        Add only towns of these countries (the call's eligibility still applies).
    weights
        Weights of the fit score (:class:`~twinning_graph.recommend.RankWeights`).
    alternatives
        Number of alternatives reported for each added town.
    candidates
        With ``source="gazetteer"``: a DataFrame used instead of the shipped gazetteer.

    Returns
    -------
    PlanResult
        Members, the call's rules checked one by one, scores and alternatives. When no
        plan can satisfy a rule (too few eligible countries among the candidates, a seed
        in an ineligible country), ``result.eligible`` is False and ``result.message``
        names the rule that fails.

    Raises
    ------
    UnknownTownError
        For seed ids that are not in the data.
    UnknownCallError
        For an unknown call.
    ValidationError
        For bad options (size below the call's minimum or below the number of seeds).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.plan import plan_network
    >>> data = tg.load()
    >>> plan = plan_network(data, ["FR-chartres", "DE-speyer"], call="CERV-2025-CITIZENS-TOWN-NT")
    >>> plan.eligible, len(plan.members), plan.failed_rules
    (True, 4, [])
    >>> plan.checks["rule"].tolist()
    ['min_municipalities', 'all_countries_eligible', 'min_countries', 'min_eu_states']
    """
    if source not in SOURCES:
        raise ValidationError(f"source must be one of {list(SOURCES)}, got {source!r}")
    if candidates is not None and source != "gazetteer":
        raise ValidationError("candidates= is used only with source='gazetteer'")
    if (
        isinstance(alternatives, bool)
        or not isinstance(alternatives, (int, np.integer))
        or alternatives < 0
    ):
        raise ValidationError(f"alternatives must be an integer >= 0, got {alternatives!r}")
    the_call = get_call(call)
    w = RankWeights.coerce(weights)
    towns, edges = as_frames(data)
    seeds = _seed_ids(towns, seed_towns)
    if size is None:
        size = max(the_call.min_municipalities, len(seeds))
    size = check_int(size, "size", minimum=1, maximum=MAX_PLAN_SIZE)
    if size < len(seeds):
        raise ValidationError(f"size={size} is smaller than the {len(seeds)} seed towns")
    if size < the_call.min_municipalities:
        raise ValidationError(
            f"size={size} is below the {the_call.min_municipalities} municipalities "
            f"{the_call.call} requires (rule min_municipalities)"
        )

    # the fitted model and prepared candidates are cached per data object (recommend.py)
    ctx = _context(data, towns, edges)
    model = ctx.model
    prepared = ctx.pool(source, candidates)
    seed_rows = model.index.get_indexer(seeds)
    keep = prepared.code_mask(the_call.eligible_countries)[prepared.cc]
    keep[prepared.pos_of_row[seed_rows]] = False
    if countries is not None:
        from twinning_graph.countries import normalise_country

        codes = set(
            normalise_country(
                pd.Series(
                    [countries] if isinstance(countries, str) else list(countries), dtype=object
                )
            )
        )
        keep &= prepared.code_mask(codes)[prepared.cc]
    kept = np.flatnonzero(keep)
    pool = _Candidates(prepared.frame.iloc[kept], prepared.col[kept])
    parts = _score_rows(model, seed_rows, pool, w)
    fit = parts["score"].mean(axis=0)  # mean score against the seeds
    pc = pool.frame["country"].astype(str).to_numpy()
    pid = pool.frame.index.to_numpy(dtype=object).astype(str)
    eu_states = the_call.eu_states
    is_eu = np.isin(pc, list(eu_states))
    is_eligible_country = np.ones(len(pc), dtype=bool)  # the pool holds eligible countries only
    # linked[m, c]: member m (a network town) already twinned with candidate c
    member_ids = list(seeds)
    member_countries = [str(model.country[r]) for r in seed_rows]
    linked = _links(model, seed_rows, pool)
    taken = np.zeros(len(pc), dtype=bool)
    steps: list[dict[str, Any]] = []
    alts: list[dict[str, Any]] = []
    for step in range(1, size - len(seeds) + 1):  # a handful of steps; each is vectorised
        present = set(member_countries)
        present_eligible = present & set(the_call.eligible_countries)
        need_c = the_call.min_countries - len(present_eligible)
        need_eu = the_call.min_eu_states - len(present & eu_states)
        new_c = ~np.isin(pc, list(present))
        fills = ((need_c > 0) & new_c & is_eligible_country).astype(int) + (
            (need_eu > 0) & new_c & is_eu
        ).astype(int)
        mc = np.array(member_countries, dtype=object)
        ties = ((mc[:, None] != pc[None, :]) & ~linked).sum(axis=0)
        avail = ~taken
        if not avail.any():
            logger.info("candidate pool exhausted after %d members", len(member_ids))
            break
        order = np.lexsort((pid, -fit, -ties, -fills))
        order = order[avail[order]]
        best = int(order[0])
        taken[best] = True
        tid = pid[best]
        why = []
        if fills[best]:
            need = []
            if need_c > 0:
                need.append(f"{need_c} more countr{'y' if need_c == 1 else 'ies'}")
            if need_eu > 0 and is_eu[best]:
                need.append(f"{need_eu} more EU Member State{'s' if need_eu > 1 else ''}")
            why.append(f"adds {pc[best]} (call needs {' and '.join(need)})")
        why.append(f"{int(ties[best])} new transnational tie{'s' if ties[best] != 1 else ''}")
        k_cn = int(parts["common_partners"][:, best].sum())
        if k_cn:
            why.append(f"{k_cn} partner{'s' if k_cn > 1 else ''} shared with the seeds")
        why.append(f"fit with seeds {fit[best]:.2f}")
        steps.append(
            {
                "town_id": tid,
                "step": step,
                "new_ties": int(ties[best]),
                "score": float(fit[best]),
                "why": "; ".join(why),
                "pos": best,
            }
        )
        for j in order[1 : alternatives + 1]:
            alts.append(
                {
                    "step": step,
                    "instead_of": tid,
                    "town_id": pid[j],
                    "name": pool.frame["name"].iat[j],
                    "country": pc[j],
                    "new_ties": int(ties[j]),
                    "score": float(fit[j]),
                }
            )
        member_ids.append(tid)
        member_countries.append(str(pc[best]))
        col = pool.col[best]
        if col >= 0:  # a network town: its links count against later candidates' new ties
            linked = np.vstack([linked, _links(model, np.array([col]), pool)])
        else:
            linked = np.vstack([linked, np.zeros((1, len(pc)), dtype=bool)])

    members = _members_frame(towns, pool, seeds, steps, model)
    checked = check_eligibility(members["country"], call=the_call)
    scores = pd.DataFrame(
        {
            "plausibility": [float(parts["plausibility"][:, s["pos"]].mean()) for s in steps],
            "capacity": [float(parts["capacity"][:, s["pos"]].mean()) for s in steps],
            "score": [s["score"] for s in steps],
            "common_partners": [int(parts["common_partners"][:, s["pos"]].sum()) for s in steps],
            "distance_km": [float(parts["distance_km"][:, s["pos"]].min()) for s in steps],
        },
        index=pd.Index([s["town_id"] for s in steps], name="town_id", dtype=str),
    )
    alt_frame = pd.DataFrame(
        alts, columns=["step", "instead_of", "town_id", "name", "country", "new_ties", "score"]
    )
    message = _message(checked, the_call, pool, seeds, size, len(members))
    return PlanResult(
        call=the_call,
        members=members,
        eligibility=checked,
        alternatives=alt_frame,
        scores=scores,
        message=message,
    )


def _links(model: _Model, rows: np.ndarray, pool: _Candidates) -> np.ndarray:
    """Boolean (rows x candidates): already twinned (gazetteer-only candidates: never)."""
    out = np.zeros((len(rows), len(pool.col)), dtype=bool)
    innet = pool.col >= 0
    out[:, innet] = model.A[rows].toarray()[:, pool.col[innet]] > 0
    return out


def _members_frame(
    towns: pd.DataFrame,
    pool: _Candidates,
    seeds: list[str],
    steps: list[dict[str, Any]],
    model: _Model,
) -> pd.DataFrame:
    seed_rows = pd.DataFrame(
        {
            "name": towns.loc[seeds, "name"].astype(str).to_numpy(),
            "country": towns.loc[seeds, "country"].astype(str).to_numpy(),
            "role": "seed",
            "step": 0,
            "new_ties": 0,
            "score": np.nan,
            "why": "seed town",
        },
        index=pd.Index(seeds, name="town_id", dtype=str),
    )
    added = pd.DataFrame(
        {
            "name": [str(pool.frame["name"].iat[s["pos"]]) for s in steps],
            "country": [str(pool.frame["country"].iat[s["pos"]]) for s in steps],
            "role": "added",
            "step": [s["step"] for s in steps],
            "new_ties": [s["new_ties"] for s in steps],
            "score": [s["score"] for s in steps],
            "why": [s["why"] for s in steps],
        },
        index=pd.Index([s["town_id"] for s in steps], name="town_id", dtype=str),
    )
    out = pd.concat([seed_rows, added]) if steps else seed_rows
    from twinning_graph.countries import EU27

    out.insert(2, "eu", out["country"].isin(EU27))
    out["step"] = out["step"].astype("int64")
    out["new_ties"] = out["new_ties"].astype("int64")
    return out


def _message(
    checked: EligibilityResult,
    call: Call,
    pool: _Candidates,
    seeds: list[str],
    size: int,
    n_members: int,
) -> str:
    """One sentence: the verdict (with call id and what is unconfirmed) or what fails."""
    short = (
        f" ({n_members} of the {size} requested: only {n_members - len(seeds)} eligible "
        "candidates were available)"
        if n_members < size
        else ""
    )
    if checked.eligible:
        n_c = checked.checks.set_index("rule").loc["min_countries", "observed"]
        return f"the plan ({n_members} municipalities in {n_c} countries{short}) {checked.summary}"
    avail = pool.frame["country"].nunique()
    extra = f"; only {n_members - len(seeds)} eligible candidates were available" if short else ""
    return (
        f"no plan satisfies {call.call}: the plan {checked.summary} — the "
        f"{len(pool.frame):,} eligible candidates cover "
        f"{avail} countr{'y' if avail == 1 else 'ies'}{extra}"
    )
