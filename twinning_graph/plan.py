"""Planning a network of towns that satisfies the rules of a CERV call.

:func:`plan_network` starts from seed towns and adds, one at a time, the candidate that
does most for the application (greedy, deterministic):

1. it fills a missing country or EU Member State the call requires;
2. its country's eligibility for the call is confirmed (before an unconfirmed one);
3. it creates the most new transnational ties (members of another country it is not
   already twinned with);
4. it fits the seeds best: mean :func:`~twinning_graph.recommend.rank_partners` score
   against the seed towns (the fitted partner model);
5. ties are broken by town_id.

Candidates are those :func:`~twinning_graph.rank_partners` would list for a seed, with
the same options and defaults (foreign, eligible, municipal, within the population band).
The result is checked rule by rule with :func:`twinning_graph.calls.check_eligibility`;
the alternatives offered for each added town are non-members whose swap keeps that
check passing.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._plan_alternatives import Candidates
from twinning_graph._plan_alternatives import alternatives as alternatives_of
from twinning_graph._validate import MAX_PLAN_SIZE, check_int
from twinning_graph.calls import Call, EligibilityResult, check_eligibility
from twinning_graph.network import TwinningData
from twinning_graph.recommend import POPULATION_BAND, SOURCES, RankWeights, partner_model

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
        For each added member, the best towns not in the plan that could take its place
        with every checked rule of the call still passing: step and instead_of (the member
        replaced), town_id, name, country, eligible (its country's eligibility for the
        call: ``"yes"`` or ``"unconfirmed"``), new_ties (its own transnational ties with
        the other members) and score (its own fit with the seeds).
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

    def lines(self) -> list[str]:
        """The plan as plain-text lines, towns by name (used by ``repr`` and the CLI)."""
        status = self.member_status()
        names = self.members["name"]
        out = [
            f"Plan for {self.call.call} (rules {self.call.status}): "
            f"{len(self.members)} municipalities"
        ]
        for tid, r in self.members.iterrows():
            out.append(
                f"  {r['name']} ({r['country']}, {tid}; {r['role']}; country eligible: "
                f"{status.at[tid, 'eligible']}): {r['why']}"
            )
        if len(self.alternatives):
            out.append(
                "Other towns that could take each place (every rule the plan passes still passes):"
            )
            for a in self.alternatives.itertuples(index=False):
                out.append(
                    f"  instead of {names.get(a.instead_of, a.instead_of)}: {a.name} "
                    f"({a.country}, {a.town_id}; country eligible: {a.eligible}), "
                    f"{a.new_ties} new transnational tie{'s' if a.new_ties != 1 else ''}, "
                    f"fit {a.score:.2f}"
                )
        out.extend(self.eligibility.lines())
        if self.message:
            out.append(self.message)
        return out

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>{html.escape(self.call.call)}</strong> "
            f"(rules {html.escape(self.call.status)}): {html.escape(self.message)}"
            f"{self.member_status().drop(columns='source').join(self.members[['role', 'why']]).to_html(escape=True)}"
            f"{self.eligibility._repr_html_()}</div>"
        )


@dataclass(frozen=True)
class _Kept:
    """The candidates a plan may add (``frame``: name, country, ... by candidate id)."""

    frame: pd.DataFrame


def _seeds(model: Any, seed_towns: Any) -> list[Any]:
    from twinning_graph.recommend._model import resolve_many

    items = [seed_towns] if isinstance(seed_towns, str) else list(seed_towns)
    if not items:
        raise ValidationError("seed_towns is empty; give at least one town")
    seeds = resolve_many(model, items)
    if len(seeds) < len(items):
        ids = [model.town(t).id for t in items]
        dup = sorted({t for t in ids if ids.count(t) > 1})
        raise ValidationError(f"seed_towns contains duplicates: {dup}")
    return seeds


def plan_network(
    data: TwinningData | nx.Graph,
    seed_towns: Any,
    *,
    call: str | Call | None = "latest",
    size: int | None = None,
    source: str = "network",
    include_domestic: bool = False,
    countries: str | Iterable[str] | None = None,
    population_band: float | None = POPULATION_BAND,
    min_population: float | None = None,
    max_population: float | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    alternatives: int = 3,
    candidates: pd.DataFrame | None = None,
) -> PlanResult:
    """Propose a network of towns around seed towns that satisfies a call's rules.

    Towns are added one at a time (greedy, deterministic). Among the candidates, the one
    added first is the one that:

    1. fills a country or EU Member State the call still needs;
    2. among those that fill the same needs: is in a country whose eligibility for the
       call is confirmed (``eligible == "yes"`` in :func:`~twinning_graph.rank_partners`)
       rather than unconfirmed;
    3. then creates the most new transnational ties (members of another country it is
       not twinned with yet);
    4. then fits the seeds best: the mean :func:`~twinning_graph.rank_partners` score
       against them (the fitted :class:`~twinning_graph.recommend.PartnerModel` kept on
       the data object);
    5. then comes first by town_id.

    Candidates are the towns :func:`~twinning_graph.rank_partners` would list for at least
    one seed, with the same keywords and defaults: municipalities of countries the call
    allows, not a seed, its double or (by default) a town of a seed's country, within the
    population band of a seed.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    seed_towns
        The applicants: towns as :func:`~twinning_graph.rank_partners` accepts them (ids,
        names, GeoNames ids, new places).
    call
        The call whose rules the plan must satisfy: a call id, a ``Call``, ``"latest"``
        (default) or ``"latest-confirmed"``. ``None`` (no call rules) is an error here: a
        plan is made for a call's rules.
    size
        Number of municipalities; default the call's minimum (or the number of seeds if
        larger). Must be at least the call's minimum.
    source : {"network", "gazetteer"}
        Where added towns come from (see :func:`~twinning_graph.rank_partners`).
    include_domestic
        Also add towns of the seeds' countries (default False, as in
        :func:`~twinning_graph.rank_partners`).
    countries
        Add only towns of these countries (the call's eligibility still applies).
    population_band
        As in :func:`~twinning_graph.rank_partners`: only candidates between
        1/``population_band`` and ``population_band`` times the population of at least one
        seed (default 10; unknown populations are kept); ``None``: no band.
    min_population, max_population
        As in :func:`~twinning_graph.rank_partners`: bounds on the candidate's population.
    weights
        Override weights of the fit score (as in :func:`~twinning_graph.rank_partners`).
    alternatives
        Number of alternatives reported for each added town: towns not in the plan whose
        swap for it keeps every checked rule of the call passing (the same check as the
        plan's), in the order above (without step 1).
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
        For seeds that are not towns (every one named).
    UnknownCallError
        For an unknown call.
    ValidationError
        For bad options (``call=None``, size below the call's minimum or the number of
        seeds).

    Warns
    -----
    DataWarning
        When the verdict rests on an unconfirmed rule or country (pointing at the caller's
        line).

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
    >>> bool(plan.alternatives["town_id"].isin(plan.members.index).any())
    False
    """
    import warnings

    from twinning_graph._errors import DataWarning
    from twinning_graph._validate import warn

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _plan(
            data,
            seed_towns,
            call=call,
            size=size,
            source=source,
            include_domestic=include_domestic,
            countries=countries,
            population_band=population_band,
            min_population=min_population,
            max_population=max_population,
            weights=weights,
            alternatives=alternatives,
            candidates=candidates,
        )
    # the warnings of the call look-up and the rule check, pointed at the caller's line
    for w in caught:
        if issubclass(w.category, DataWarning):
            warn(str(w.message), stacklevel=3)
        else:
            warnings.warn(w.message, w.category, stacklevel=2)
    return result


def _plan(
    data: TwinningData | nx.Graph,
    seed_towns: Any,
    *,
    call: str | Call | None,
    size: int | None,
    source: str,
    include_domestic: bool,
    countries: str | Iterable[str] | None,
    population_band: float | None,
    min_population: float | None,
    max_population: float | None,
    weights: RankWeights | Mapping[str, float] | None,
    alternatives: int,
    candidates: pd.DataFrame | None,
) -> PlanResult:
    from twinning_graph.recommend._api import options_from
    from twinning_graph.recommend._features import features, needed, score
    from twinning_graph.recommend._model import BLOCK_ELEMENTS

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
    if call is None:
        raise ValidationError(
            "plan_network plans for a call's rules; call=None (no call rules) leaves nothing "
            "to plan for: give a call id, 'latest' or 'latest-confirmed'"
        )
    model = partner_model(data)
    opt = options_from(
        model,
        call=call,
        countries=countries,
        include_domestic=include_domestic,
        population_band=population_band,
        min_population=min_population,
        max_population=max_population,
        weights=weights,
        source=source,
        candidates=candidates,
    )
    the_call = opt.call
    seeds = _seeds(model, seed_towns)
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

    from twinning_graph.recommend._pool import doubles

    pool = model.pool(source, candidates)
    q = model.queries(seeds)
    keep = model.allowed(pool, the_call) & pool.municipal & pool.listed_once()
    for t in seeds:  # a loop over the few seed towns
        keep &= ~doubles(pool, t)
        if t.row >= 0:
            keep[pool.pos_of_row[t.row]] = False
    keep &= _rank_filters(pool, q, opt)
    kept = np.flatnonzero(keep)
    w = opt.weights
    terms = needed(w)
    gap = model.gap_matrix() if "gap" in terms else None
    step = max(1, BLOCK_ELEMENTS // max(len(seeds), 1))
    fit = np.zeros(len(kept))
    contrib = {t: np.zeros(len(kept)) for t in terms}
    for s0 in range(0, len(kept), step):  # blocks of candidates, each vectorised
        cols = kept[s0 : s0 + step]
        f = features(model.links, q, pool, terms, cols=cols, gap_matrix=gap)
        fit[s0 : s0 + step] = score(f, w, (len(seeds), len(cols))).mean(axis=0)
        for t in terms:
            contrib[t][s0 : s0 + step] = getattr(w, t) * f[t].mean(axis=0)
    frame = pool.frame.iloc[kept]
    pc = pool.country[kept]
    pid = frame.index.to_numpy(dtype=object).astype(str)
    prow = pool.row[kept]
    eu_states = the_call.eu_states
    is_eu = np.isin(pc, list(eu_states))
    status = model.eligibility(the_call, pc)["eligible"].to_numpy(dtype=object)
    confirmed = (status == "yes").astype(int)
    # linked[m, c]: member m already twinned with candidate c
    member_ids = [t.id for t in seeds]
    member_countries = [t.country for t in seeds]
    linked = _links(model, q.partners, prow)
    taken = np.zeros(len(pc), dtype=bool)
    steps: list[dict[str, Any]] = []
    eligible_codes = set(the_call.eligible_countries)
    for step_no in range(1, size - len(seeds) + 1):  # a handful of steps; each is vectorised
        present = set(member_countries)
        need_c = the_call.min_countries - len(present & eligible_codes)
        need_eu = the_call.min_eu_states - len(present & eu_states)
        new_c = ~np.isin(pc, list(present))
        fills = ((need_c > 0) & new_c).astype(int) + ((need_eu > 0) & new_c & is_eu).astype(int)
        mc = np.array(member_countries, dtype=object)
        ties = ((mc[:, None] != pc[None, :]) & ~linked).sum(axis=0)
        avail = ~taken
        if not avail.any():
            logger.info("candidate pool exhausted after %d members", len(member_ids))
            break
        order = np.lexsort((pid, -fit, -ties, -confirmed, -fills))
        best = int(order[avail[order]][0])
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
        why.append(f"fit with seeds {fit[best]:.2f}")
        steps.append(
            {
                "town_id": tid,
                "step": step_no,
                "new_ties": int(ties[best]),
                "score": float(fit[best]),
                "why": "; ".join(why),
                "pos": best,
            }
        )
        member_ids.append(tid)
        member_countries.append(str(pc[best]))
        row = int(prow[best])
        new_links = (
            _links(model, model.links.A[[row]], prow)
            if row >= 0
            else np.zeros((1, len(pc)), dtype=bool)
        )
        linked = np.vstack([linked, new_links])

    members = _members_frame(seeds, frame, pc, steps)
    checked = check_eligibility(members["country"], call=the_call)
    alt_frame = alternatives_of(
        steps,
        members,
        checked,
        linked,
        taken,
        alternatives,
        Candidates(frame, pc, pid, fit, confirmed, status),
    )
    scores = pd.DataFrame(
        {
            "score": [s["score"] for s in steps],
            **{t: [float(contrib[t][s["pos"]]) for s in steps] for t in terms},
        },
        index=pd.Index([s["town_id"] for s in steps], name="town_id", dtype=str),
    )
    message = _message(checked, the_call, _Kept(frame), [t.id for t in seeds], size, len(members))
    return PlanResult(
        call=the_call,
        members=members,
        eligibility=checked,
        alternatives=alt_frame,
        scores=scores,
        message=message,
    )


def _rank_filters(pool: Any, q: Any, opt: Any) -> np.ndarray:
    """Per candidate: kept by rank_partners' option filters (own country, countries,
    population band and bounds) for at least one seed; the ranking's own masks
    (``recommend._model.option_masks``)."""
    from twinning_graph.recommend._model import option_masks

    keep = np.ones(pool.n, dtype=bool)
    for _, m in option_masks(pool, q, opt):
        keep &= m.any(axis=0) if m.ndim == 2 else m
    return keep


def _links(model: Any, partners: Any, prow: np.ndarray) -> np.ndarray:
    """Boolean (rows x candidates): already twinned (gazetteer-only candidates: never)."""
    import scipy.sparse as sp

    P = sp.csr_array(partners)
    out = np.zeros((P.shape[0], len(prow)), dtype=bool)
    innet = prow >= 0
    out[:, innet] = P[:, prow[innet]].toarray() > 0
    return out


def _members_frame(
    seeds: list[Any], frame: pd.DataFrame, pc: np.ndarray, steps: list[dict[str, Any]]
) -> pd.DataFrame:
    seed_rows = pd.DataFrame(
        {
            "name": [t.name or t.id for t in seeds],
            "country": [t.country for t in seeds],
            "role": "seed",
            "step": 0,
            "new_ties": 0,
            "score": np.nan,
            "why": "seed town",
        },
        index=pd.Index([t.id for t in seeds], name="town_id", dtype=str),
    )
    added = pd.DataFrame(
        {
            "name": [str(frame["name"].iat[s["pos"]]) for s in steps],
            "country": [str(pc[s["pos"]]) for s in steps],
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
    pool: Any,
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
