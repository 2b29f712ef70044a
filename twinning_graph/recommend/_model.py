"""The fitted partner model (:class:`PartnerModel`) and its ranking."""

from __future__ import annotations

import html
import logging
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._errors import DataWarning, ValidationError
from twinning_graph.graph import as_data
from twinning_graph.network import TwinningData
from twinning_graph.recommend._eligibility import (
    ELIGIBILITY_COLUMNS,
    country_eligibility,
)
from twinning_graph.recommend._explain import reasons
from twinning_graph.recommend._features import (
    Queries,
    distances,
    features,
    needed,
    network_queries,
    place_queries,
    score,
)
from twinning_graph.recommend._fit import FitInfo, fit_weights
from twinning_graph.recommend._links import Links
from twinning_graph.recommend._places import Network
from twinning_graph.recommend._pool import (
    PART_KM,
    SOURCES,
    Pool,
    doubles,
    gazetteer_pool,
    network_pool,
)
from twinning_graph.recommend._query import QueryTown, resolve
from twinning_graph.recommend._weights import (
    DEFAULT_FITTED,
    FIT_PRIOR,
    MODEL_TERMS,
    STRATEGY_TERMS,
    TERMS,
    RankWeights,
)

logger = logging.getLogger(__name__)

#: Default population band: candidates between 1/10 and 10 times the town's population.
POPULATION_BAND = 10.0
#: Query towns x candidates scored at once by rank_many (a few MB per array).
BLOCK_ELEMENTS = 400_000


@dataclass(frozen=True)
class Options:
    n: int | None
    source: str
    call: Any  # Call or None
    include_domestic: bool
    codes: frozenset[str] | None
    lo_d: float | None
    hi_d: float | None
    band: float | None
    lo_p: float | None
    hi_p: float | None
    weights: RankWeights
    candidates: pd.DataFrame | None
    per_country: int | None = None


class PartnerModel:
    """A model of why towns twin, fitted on the links of a network; ranks partners for any town.

    Fitting builds, from the towns and links only: the adjacency and hub discounts, the
    neighbourhood kernels (10 and 50 km), the likelihood-ratio tables of distance, country
    pair and size (fitted on the transnational links), and the weights of the terms (a
    conditional logit fitted on links hidden from the rest, see ``docs/ranking.md``).
    :func:`~twinning_graph.rank_partners`, :func:`~twinning_graph.rank_partners_many`,
    :func:`~twinning_graph.plan_network` and the backtest all use it; the first three keep
    one fitted model on the data object (``data.derived``).

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a networkx town graph.
    weights
        ``None`` (default): fit the weights of ``terms`` on the data. A
        :class:`RankWeights` or a dict (overriding the shipped defaults): use those
        weights as they are, no fitting.
    terms
        The model terms whose weights are fitted (default: every term the backtest shows
        to help; see :data:`~twinning_graph.recommend.MODEL_TERMS` for all). Terms left
        out get weight 0.
    seed
        Seeds the random pairs of the distance and size tables and the links hidden to fit
        the weights.

    Attributes
    ----------
    weights : RankWeights
        The weights used by :meth:`rank`.
    fit_info : FitInfo or None
        How the weights were fitted (None when given).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> model = tg.PartnerModel(tg.load())
    >>> top = model.rank("FR-chartres", n=3)
    >>> len(top), bool((top["country"] != "FR").all())
    (3, True)
    >>> round(float(top["score"].iloc[0]), 6) == round(float(top.iloc[0][list(tg.recommend.TERMS)].sum()), 6)
    True
    """

    def __init__(
        self,
        data: TwinningData | nx.Graph,
        *,
        weights: RankWeights | Mapping[str, float] | None = None,
        terms: Iterable[str] | None = None,
        seed: int = 0,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValidationError(f"seed must be an integer, got {seed!r}")
        fit_terms = _check_terms(terms)
        data = as_data(data)  # a town graph is converted once, here
        towns = data.towns
        A = data.adjacency()
        self.seed = int(seed)
        # the data, for the gap preference (weakly: the model is kept on the data object)
        self._source = weakref.ref(data)
        self.network = Network(towns)
        self.links = Links(self.network, A, seed=self.seed)
        off = {t: 0.0 for t in MODEL_TERMS if t not in fit_terms}
        prior = replace(FIT_PRIOR, **off)
        self.fit_info: FitInfo | None
        if weights is None:
            self.weights, self.fit_info = fit_weights(
                self.network,
                self.links,
                fit_terms,
                prior,
                seed=self.seed,
                fallback=replace(RankWeights(), **off),
            )
        else:
            self.weights, self.fit_info = RankWeights.coerce(weights), None
        self._pools: dict[str, Pool] = {}
        self._gap: np.ndarray | None = None
        self._eligibility: dict[Any, pd.DataFrame] = {}
        self._calls: dict[str, Any] = {}

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        w = ", ".join(
            f"{t}={getattr(self.weights, t):.2f}" for t in TERMS if getattr(self.weights, t)
        )
        how = (
            f"fitted on {self.fit_info.queries:,} hidden links"
            if self.fit_info and self.fit_info.queries
            else "given"
            if self.fit_info is None
            else "the bundled network's (too few links to fit)"
        )
        return (
            f"PartnerModel({self.network.n:,} towns, {self.links.n_links:,} links, "
            f"{self.links.n_transnational:,} transnational; weights {how}: {w})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(t)}</td><td>{getattr(self.weights, t):.3f}</td></tr>"
            for t in TERMS
        )
        return (
            f"<div><strong>PartnerModel</strong> {html.escape(repr(self))}"
            f"<table><tr><th>term</th><th>weight</th></tr>{rows}</table></div>"
        )

    # ------------------------------------------------------------------ pools
    def pool(self, source: str = "network", candidates: pd.DataFrame | None = None) -> Pool:
        """Prepared candidates (cached; a user ``candidates`` frame is prepared each time)."""
        if source not in SOURCES:
            raise ValidationError(f"source must be one of {list(SOURCES)}, got {source!r}")
        if candidates is not None:
            return gazetteer_pool(self.network, self.links, candidates)
        if source not in self._pools:
            self._pools[source] = (
                network_pool(self.network, self.links)
                if source == "network"
                else gazetteer_pool(self.network, self.links, None)
            )
        return self._pools[source]

    def gap_matrix(self) -> np.ndarray:
        """Under-linking of country pairs (0–2) from :func:`twinning_graph.gaps.country_pair_gaps`."""
        if self._gap is None:
            from twinning_graph.recommend._strategy import gap_matrix

            self._gap = gap_matrix(self._source(), self.network.codes)
        return self._gap

    def eligibility(self, call: Any, countries: Any) -> pd.DataFrame:
        """Eligibility columns for ``countries`` (a few: the listed candidates, the query)."""
        return self._country_table(call).reindex(np.asarray(countries, dtype=object).astype(str))

    def _country_table(self, call: Any) -> pd.DataFrame:
        key = None if call is None else call.call
        if key not in self._eligibility:
            codes = list(self.network.codes.index)
            self._eligibility[key] = country_eligibility(call, codes)
        return self._eligibility[key]

    def allowed(self, pool: Pool, call: Any) -> np.ndarray:
        """Per candidate of ``pool``: its country is not ruled out by ``call``."""
        table = self._country_table(call)
        ok = np.append(table["eligible"].reindex(self.network.codes.index).to_numpy() != "no", True)
        return ok[pool.cc]

    # ------------------------------------------------------------------ queries
    def town(self, town: Any) -> QueryTown:
        """The resolved query town (see :func:`~twinning_graph.rank_partners`)."""
        return resolve(self.network, town)

    def queries(self, towns: list[QueryTown]) -> Queries:
        """Query arrays for resolved towns (network towns and other places)."""
        rows = np.array([t.row for t in towns], dtype=np.intp)
        innet = rows >= 0
        if innet.all():
            return network_queries(self.network, self.links, rows)
        other = [t for t in towns if t.row < 0]
        q_other = place_queries(
            self.network,
            lat=np.array([t.lat for t in other]),
            lon=np.array([t.lon for t in other]),
            pop=np.array([t.population for t in other]),
            country=np.array([t.country for t in other], dtype=object),
            keys=np.array([t.key for t in other], dtype=object),
            regions=np.array([t.region for t in other], dtype=object),
        )
        if not innet.any():
            return q_other
        q_net = network_queries(self.network, self.links, rows[innet])
        order = np.argsort(np.concatenate([np.flatnonzero(innet), np.flatnonzero(~innet)]))
        return _stack(q_net, q_other, order)

    # ------------------------------------------------------------------ ranking
    def rank(self, town: Any, **options: Any) -> pd.DataFrame:
        """Rank candidate partners for one town; options as :func:`~twinning_graph.rank_partners`."""
        from twinning_graph.recommend._api import options_from

        opt = options_from(self, **options)
        t = self.town(town)
        out = self._rank([t], opt, many=False)
        return out

    def rank_many(self, towns: Any, **options: Any) -> pd.DataFrame:
        """Rank candidate partners for many towns; options as
        :func:`~twinning_graph.rank_partners_many`."""
        from twinning_graph.recommend._api import options_from

        opt = options_from(self, **options)
        items = [towns] if isinstance(towns, str) else list(towns)
        resolved = resolve_many(self, items)
        return self._rank(resolved, opt, many=True)

    def _rank(self, towns: list[QueryTown], opt: Options, *, many: bool) -> pd.DataFrame:
        pool = self.pool(opt.source, opt.candidates)
        w = opt.weights
        terms = needed(w)
        gap = self.gap_matrix() if "gap" in terms else None
        allowed = self.allowed(pool, opt.call)
        _warn_ineligible(self, towns, opt.call)
        size = max(1, min(256, BLOCK_ELEMENTS // max(pool.n, 1))) if many else 1
        frames, empty = [], []
        # Loop over blocks of query towns; each block is vectorised over block x candidates.
        for s in range(0, len(towns), size):
            block = towns[s : s + size]
            q = self.queries(block)
            got = _rank_block(self, q, block, pool, opt, terms, gap, allowed)
            empty += got[1]
            if got[0] is not None:
                frames.append(got[0])
        if empty and not many:
            raise ValidationError(_no_candidate_message(empty[0], pool.n, opt.source))
        if empty:
            import warnings

            warnings.warn(
                f"{len(empty):,} of {len(towns):,} towns have no candidate partner left and are "
                f"not in the result (e.g. {_no_candidate_message(empty[0], pool.n, opt.source)})",
                DataWarning,
                stacklevel=4,
            )
        if not frames:
            return _empty_frame(pool, many)
        out = pd.concat(frames)
        if not many:
            return out.drop(columns=["query", "rank"]).rename_axis("town_id")
        out.insert(2, "candidate_id", out.index.to_numpy())
        return out.rename(columns={"query": "town_id"}).reset_index(drop=True)


def _check_terms(terms: Iterable[str] | None) -> tuple[str, ...]:
    if terms is None:
        return DEFAULT_FITTED
    ts = [terms] if isinstance(terms, str) else list(terms)
    bad = [t for t in ts if t not in MODEL_TERMS]
    if bad:
        raise ValidationError(f"unknown term(s) {bad}; model terms: {list(MODEL_TERMS)}")
    return tuple(t for t in MODEL_TERMS if t in ts)


def resolve_many(model: PartnerModel, items: list[Any]) -> list[QueryTown]:
    """Resolve every town, one error naming every town that cannot be resolved."""
    from twinning_graph._errors import UnknownTownError

    out, bad_unknown, bad_other = [], [], []
    seen: set[str] = set()
    for item in items:  # a loop over the query towns: each is resolved once
        try:
            t = model.town(item)
        except UnknownTownError as exc:
            bad_unknown.append(f"{item!r}: {exc}")
            continue
        except ValidationError as exc:
            bad_other.append(f"{item!r}: {exc}")
            continue
        if t.id not in seen:
            seen.add(t.id)
            out.append(t)
    bad = bad_unknown + bad_other
    if len(bad) == 1 and len(items) == 1:
        model.town(items[0])  # re-raise the one error as is
    if bad:
        shown = "\n  ".join(bad[:10]) + (
            f"\n  ... and {len(bad) - 10} more" if len(bad) > 10 else ""
        )
        cls = UnknownTownError if bad_unknown and not bad_other else ValidationError
        raise cls(f"{len(bad):,} of {len(items):,} towns cannot be ranked:\n  {shown}")
    return out


def _warn_ineligible(model: PartnerModel, towns: list[QueryTown], call: Any) -> None:
    if call is None or not towns:
        return
    countries = np.array([t.country for t in towns], dtype=object)
    e = model.eligibility(call, countries)
    import warnings

    status = e["eligible"].to_numpy(dtype=object)
    for word, what in (("no", "not eligible"), ("unconfirmed", "of unconfirmed eligibility")):
        bad = np.flatnonzero(status == word)
        if not len(bad):
            continue
        t, why = towns[bad[0]], e["eligible_reason"].iat[bad[0]]
        more = f" (and {len(bad) - 1} more query towns)" if len(bad) > 1 else ""
        warnings.warn(
            f"{t.name or t.id} ({t.country}) itself is {what} for {call.call}: "
            f"{why}{more}; its candidates are ranked anyway",
            DataWarning,
            stacklevel=5,
        )


def option_masks(
    pool: Pool,
    q: Queries,
    opt: Options,
    *,
    d: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
) -> list[tuple[str, np.ndarray]]:
    """The candidate filters of the ranking's options, in the order their counts are
    reported: own country, eligibility for the call (``allowed``, when given), countries,
    distance (with the distances ``d``), population band, population bounds. Each mask is
    1-D (every query row) or queries x candidates. The one place these formulas are
    written: the ranking and :func:`~twinning_graph.plan_network` use them."""
    masks: list[tuple[str, np.ndarray]] = []
    if not opt.include_domestic:
        masks.append(("own country (include_domestic=False)", pool.cc[None, :] != q.cc[:, None]))
    if opt.call is not None and allowed is not None:
        masks.append((f"not eligible for {opt.call.call}", allowed))
    if opt.codes is not None:
        masks.append((f"countries={sorted(opt.codes)}", np.isin(pool.country, sorted(opt.codes))))
    if d is not None and opt.lo_d is not None:
        masks.append((f"min_distance_km={opt.lo_d:g}", d >= opt.lo_d))
    if d is not None and opt.hi_d is not None:
        masks.append((f"max_distance_km={opt.hi_d:g}", d <= opt.hi_d))
    if opt.band is not None:
        ratio = np.abs(pool.log_pop[None, :] - np.log10(q.pop)[:, None])
        masks.append(
            (
                f"population_band={opt.band:g} (population beyond the town's / or x {opt.band:g})",
                ~(ratio > np.log10(opt.band)),  # unknown populations are kept
            )
        )
    if opt.lo_p is not None:
        masks.append((f"min_population={opt.lo_p:g}", np.nan_to_num(pool.pop, nan=-1) >= opt.lo_p))
    if opt.hi_p is not None:
        masks.append(
            (f"max_population={opt.hi_p:g}", np.nan_to_num(pool.pop, nan=np.inf) <= opt.hi_p)
        )
    return masks


def _stack(a: Queries, b: Queries, order: np.ndarray) -> Queries:
    """Two query sets as one, rows reordered by ``order``."""

    def cat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.concatenate([x, y])[order]

    def vcat(x: sp.csr_array, y: sp.csr_array) -> sp.csr_array:
        return sp.csr_array(sp.vstack([x, y]).tocsr()[order])

    return Queries(
        lat=cat(a.lat, b.lat),
        lon=cat(a.lon, b.lon),
        pop=cat(a.pop, b.pop),
        cc=cat(a.cc, b.cc),
        keys=cat(a.keys, b.keys),
        row=cat(a.row, b.row),
        partners=vcat(a.partners, b.partners),
        kern={t: vcat(a.kern[t], b.kern[t]) for t in a.kern},
        regions=cat(a.regions, b.regions),
        country=cat(a.country, b.country),
    )


def _rank_block(
    model: PartnerModel,
    q: Queries,
    towns: list[QueryTown],
    pool: Pool,
    opt: Options,
    terms: tuple[str, ...],
    gap: np.ndarray | None,
    allowed: np.ndarray,
) -> tuple[pd.DataFrame | None, list[tuple[QueryTown, list[tuple[str, int]]]]]:
    """Score a block of query towns against every candidate and keep the top ``n`` of each."""
    r, N = len(q), pool.n
    d = distances(q, pool)
    feats = features(model.links, q, pool, terms, d=d, gap_matrix=gap)
    S = score(feats, opt.weights, (r, N))
    # filters, in order (1-D masks apply to every row); counts are reported if none is left
    own = np.ones((r, N), dtype=bool)
    for i, t in enumerate(towns):  # a loop over the block's query towns
        own[i, doubles(pool, t)] = False
        if t.row >= 0:
            own[i, pool.pos_of_row[t.row]] = False
    # the partners, and the doubles of the town and of its partners (one place listed twice)
    pc = sp.coo_array(q.partners)
    ok = pool.pos_of_row[pc.col] >= 0
    p_row, p_pos = pc.row[ok], pool.pos_of_row[pc.col[ok]]
    own[p_row, p_pos] = False
    t_row = np.flatnonzero(q.row >= 0)
    t_pos = pool.pos_of_row[q.row[t_row]]
    ask = np.concatenate([p_row, t_row])
    dup = sp.coo_array(pool.same_places()[np.concatenate([p_pos, t_pos])])
    own[ask[dup.row], dup.col] = False
    # gazetteer places next to the town or a partner and smaller: parts or suburbs of them
    near = sp.coo_array(pool.small_near()[np.concatenate([pc.col, q.row[t_row]])])
    own[np.concatenate([pc.row, t_row])[near.row], near.col] = False
    masks: list[tuple[str, np.ndarray]] = [
        (
            "the town itself, its partners, their doubles and smaller places within "
            f"{PART_KM:g} km of them",
            own,
        ),
        ("not a municipality (province, county, district, quarter)", pool.municipal),
        (
            "part of a larger place nearby (its name contains it, or a locality of a municipality)",
            pool.parts(),
        ),
        ("a double of another candidate (one place listed twice)", pool.listed_once()),
    ]
    masks += option_masks(pool, q, opt, d=d, allowed=allowed)
    keep = own.copy()
    for _, m in masks[1:]:
        keep &= m
    empty = []
    for row in np.flatnonzero(~keep.any(axis=1)):  # rows without candidates: say why
        k, steps = np.ones(N, dtype=bool), []
        for label, m in masks:
            before = int(k.sum())
            k &= m[row] if m.ndim == 2 else m
            steps.append((label, before - int(k.sum())))
        empty.append((towns[int(row)], steps))
    S[~keep] = -np.inf
    # top n per row
    n, cap = opt.n, opt.per_country
    if n is not None and n < N:
        # with a cap per country, a wider net: the next best of other countries
        width = n if cap is None else min(N, n * 20)
        cut = -np.partition(-S, width - 1, axis=1)[:, width - 1]
        keep &= S >= cut[:, None]
    ri, pos = np.nonzero(keep)
    # best score first; ties: closest in size to the town, then nearest, then by id
    size_gap = np.abs(pool.log_pop[pos] - np.log10(q.pop[ri]))
    size_gap = np.where(np.isnan(size_gap), np.inf, size_gap)
    order = np.lexsort((pool.id_rank[pos], d[ri, pos], size_gap, -S[ri, pos], ri))
    ri, pos = ri[order], pos[order]
    if cap is not None:
        ok = within_group(ri, pool.cc[pos]) < cap
        ri, pos = ri[ok], pos[ok]
    rank = np.arange(len(ri)) - np.searchsorted(ri, ri, side="left") + 1
    if n is not None:
        top = rank <= n
        ri, pos, rank = ri[top], pos[top], rank[top]
    if len(ri) == 0:
        return None, empty
    # + 0.0: a negative weight times a zero feature is -0.0, shown as such
    contrib = {t: getattr(opt.weights, t) * feats[t][ri, pos] + 0.0 for t in terms}
    dist = d[ri, pos]
    why, common = reasons(model.links, q, ri, pool, pos, contrib, dist)
    base = pool.frame.iloc[pos]
    cols: dict[str, Any] = {"query": [towns[i].id for i in ri], "rank": rank.astype(np.int64)}
    for c in base.columns:
        if c in ("lat", "lon", "geonames_id", "in_network", "feature_code"):
            continue
        cols[c] = base[c].array
    cols["distance_km"] = dist
    cols["common_partners"] = common
    cols["in_network"] = base["in_network"].array
    cols["geonames_id"] = base["geonames_id"].array
    cols["lat"], cols["lon"] = base["lat"].array, base["lon"].array
    zeros = np.zeros(len(ri))
    for term in TERMS:
        cols[term] = contrib.get(term, zeros)
    cols["score"] = S[ri, pos]
    elig = model.eligibility(opt.call, pool.country[pos])
    for c in ELIGIBILITY_COLUMNS:
        cols[c] = elig[c].to_numpy(dtype=object)
    cols["reason"] = why
    out = pd.DataFrame(cols, index=pd.Index(base.index, name="candidate_id"))
    # the pool's dtypes, whatever the rows (a text column of missing values stays text)
    retype = [c for c in base.columns if c in out.columns and out[c].dtype != base[c].dtype]
    if retype:
        out = out.astype({c: base[c].dtype for c in retype})
    return out, empty


def within_group(row: np.ndarray, group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... for each element among those of its (row, group), in the given order.

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.recommend._model import within_group
    >>> within_group(np.array([0, 0, 0, 0, 1]), np.array([5, 7, 5, 5, 5])).tolist()
    [0, 0, 1, 2, 0]
    """
    order = np.lexsort((np.arange(len(row)), group, row))
    r, g = row[order], group[order]
    start = np.r_[True, (r[1:] != r[:-1]) | (g[1:] != g[:-1])] if len(r) else np.zeros(0, bool)
    first = np.flatnonzero(start)
    out = np.empty(len(row), dtype=np.intp)
    out[order] = np.arange(len(row)) - first[np.cumsum(start) - 1]
    return out


def _empty_frame(pool: Pool, many: bool) -> pd.DataFrame:
    cols = ["name", "country", "population", "partners", "distance_km", "common_partners"]
    cols += ["in_network", "geonames_id", "lat", "lon", *TERMS, "score", *ELIGIBILITY_COLUMNS]
    cols += ["reason"]
    if many:
        return pd.DataFrame(columns=["town_id", "rank", "candidate_id", *cols])
    return pd.DataFrame(columns=cols, index=pd.Index([], name="town_id", dtype=str))


def _no_candidate_message(
    item: tuple[QueryTown, list[tuple[str, int]]], n: int, source: str
) -> str:
    town, steps = item
    detail = "; ".join(f"{label}: -{k:,}" for label, k in steps)
    return (
        f"no candidate partner left for {town.name or town.id!r} ({town.id}) from {n:,} "
        f"{source} candidates ({detail}); relax the filter that removed the rest"
    )


__all__ = ["PartnerModel", "POPULATION_BAND", "STRATEGY_TERMS"]
