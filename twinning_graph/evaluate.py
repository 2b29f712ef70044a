"""Backtest of partner search: hide transnational links, rank, count how often they come back.

For each seed, a share (default 10%) of the *transnational* links is hidden; a
:class:`~twinning_graph.recommend.PartnerModel` is fitted on the rest only (its tables and
its weights: nothing of a hidden link leaks into the ranker). Each end of each hidden link
is a query: its candidates are every network town of another country except its remaining
partners and its *other* hidden partners (the "filtered" setting: one right answer per
query). Metrics over the queries of every seed:

``hits@10``, ``hits@50``
    share of queries whose hidden partner is ranked within the top 10 / 50;
``mrr``
    mean reciprocal rank;

overall and split by whether the hidden partner shares a partner with the town in the
training links (``shared``) or not (``not shared``: most real new partnerships). Ties are
scored by their expectation under a random order of the tied candidates.

Methods: ``model`` (the default fitted model), ``model, default filters`` (as
:func:`~twinning_graph.rank_partners` lists by default: eligible for the latest call and
within the population band; a hidden partner the filters remove is a miss) and the
baselines: random, nearest foreign town, similar size, common partners, Adamic–Adar and
preferential attachment, each with ties broken by the nearest foreign town. With
``ablations=True``: the model refitted without each of its terms, and with each term that
is off by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import digamma

from twinning_graph._errors import ValidationError
from twinning_graph.graph import as_data
from twinning_graph.network import TwinningData

__all__ = [
    "BASELINES",
    "BacktestResult",
    "backtest",
    "evaluate_links",
    "hits_at_k",
    "mean_reciprocal_rank",
    "split_links",
]

#: Baseline rankers of the backtest (ties broken by the nearest foreign town).
BASELINES = (
    "random",
    "nearest_foreign",
    "similar_size",
    "common_partners",
    "adamic_adar",
    "preferential_attachment",
)
#: Cut-offs of hits@k.
KS = (10, 50)
_CHUNK = 128  # query towns scored at once


def hits_at_k(ranks: Sequence[float] | np.ndarray, k: int = 10) -> float:
    """Share of ranks that are ``<= k`` (ranks start at 1).

    Examples
    --------
    >>> from twinning_graph.evaluate import hits_at_k
    >>> hits_at_k([1, 4, 11, 30], k=10)
    0.5
    """
    r = _ranks(ranks)
    return float((r <= k).mean()) if len(r) else float("nan")


def mean_reciprocal_rank(ranks: Sequence[float] | np.ndarray) -> float:
    """Mean of ``1 / rank`` (ranks start at 1).

    Examples
    --------
    >>> from twinning_graph.evaluate import mean_reciprocal_rank
    >>> mean_reciprocal_rank([1, 2, 4])  # (1 + 1/2 + 1/4) / 3
    0.5833333333333334
    """
    r = _ranks(ranks)
    return float((1.0 / r).mean()) if len(r) else float("nan")


def _ranks(ranks: Any) -> np.ndarray:
    r = np.asarray(ranks, dtype=float)
    if r.ndim != 1 or (len(r) and (np.isnan(r).any() or r.min() < 1)):
        raise ValidationError(f"ranks must be a 1-D sequence of numbers >= 1, got {ranks!r}")
    return r


def _expected_metrics(
    greater: np.ndarray, ties: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Expected hit@k and reciprocal rank when the target is placed uniformly among ties.

    With ``g`` candidates scored above the target and ``t`` others tied with it, its rank
    is uniform on ``g+1 .. g+t+1``: P(rank <= k) = clip((k - g) / (t + 1), 0, 1) and
    E[1/rank] = (H(g+t+1) - H(g)) / (t + 1), H the harmonic numbers.
    """
    g = greater.astype(float)
    t = ties.astype(float)
    hit = np.clip((k - g) / (t + 1.0), 0.0, 1.0)
    rr = (digamma(g + t + 2.0) - digamma(g + 1.0)) / (t + 1.0)
    return hit, rr


def _check_fraction_seed(fraction: Any, seed: Any) -> None:
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, (int, float))
        or not (0 < fraction < 1)
    ):
        raise ValidationError(f"fraction must be a number between 0 and 1, got {fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValidationError(f"seed must be an integer, got {seed!r}")


def split_links(
    data: TwinningData | nx.Graph,
    *,
    fraction: float = 0.1,
    seed: int = 0,
    transnational_only: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the links (``data.edges``) into kept and hidden ones (seeded, reproducible).

    Parameters
    ----------
    fraction
        Share of the eligible links hidden.
    seed
        Seeds the choice.
    transnational_only
        Hide only links between towns of two countries (default), as partner search ranks
        foreign towns.

    Returns
    -------
    train, hidden : pandas.DataFrame
        Rows of the edges table (``town_a``, ``town_b``, ...).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.evaluate import split_links
    >>> data = tg.load()
    >>> train, hidden = split_links(data, seed=0)
    >>> len(hidden), len(train) + len(hidden) == len(data.edges)  # 10 % of 15,832 foreign links
    (1583, True)
    >>> country = data.towns["country"]
    >>> bool((country[hidden["town_a"]].to_numpy() != country[hidden["town_b"]].to_numpy()).all())
    True
    """
    _check_fraction_seed(fraction, seed)
    data = as_data(data)
    towns, edges = data.towns, data.edges
    country = towns["country"].astype(str)
    eligible = np.ones(len(edges), dtype=bool)
    if transnational_only:
        eligible = (
            country.reindex(edges["town_a"]).to_numpy()
            != country.reindex(edges["town_b"]).to_numpy()
        )
    pool = np.flatnonzero(eligible)
    n_hide = int(round(fraction * len(pool)))
    if len(pool) < 2 or n_hide < 1:
        raise ValidationError(
            f"too few links to hide {fraction:.0%} of them: the data have {len(pool)} "
            f"{'transnational ' if transnational_only else ''}link(s)"
        )
    rng = np.random.default_rng(seed)
    hide = np.zeros(len(edges), dtype=bool)
    hide[rng.choice(pool, size=n_hide, replace=False)] = True
    return edges[~hide].reset_index(drop=True), edges[hide].reset_index(drop=True)


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`backtest`.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by method: ``hits@10``, ``hits@50``, ``mrr`` over every query of every seed,
        then the same for queries whose hidden partner shares a partner with the town
        (``shared hits@10`` ...) and for the others (``not shared hits@10`` ...).
    per_seed : pandas.DataFrame
        The same metrics per (seed, method).
    seeds : tuple of int
    fraction : float
    queries : int
        Queries over all seeds; ``shared_queries`` of them share a partner with the target.
    weights : dict
        The fitted weights of the model per seed.
    """

    table: pd.DataFrame
    per_seed: pd.DataFrame
    seeds: tuple[int, ...]
    fraction: float
    queries: int
    shared_queries: int
    weights: dict[int, dict[str, float]] = field(repr=False)

    def lift(self, method: str = "model") -> dict[str, float]:
        """The bar of the partner search: ``method``'s hits@10 over the best baseline's,
        overall, and over nearest-foreign-town's on queries without a shared partner."""
        t = self.table
        base = [b for b in BASELINES if b in t.index]
        best = t.loc[base, "hits@10"].max() if base else float("nan")
        out = {"overall_vs_best_baseline": float(t.loc[method, "hits@10"] / best)}
        if "nearest_foreign" in t.index:
            out["not_shared_vs_nearest_foreign"] = float(
                t.loc[method, "not shared hits@10"] / t.loc["nearest_foreign", "not shared hits@10"]
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the table by method, the settings and the lifts."""
        return {
            "methods": {
                m: {c: round(float(v), 4) for c, v in row.items()}
                for m, row in self.table.iterrows()
            },
            "seeds": list(self.seeds),
            "fraction": self.fraction,
            "queries": self.queries,
            "shared_queries": self.shared_queries,
            "lift": {k: round(v, 3) for k, v in self.lift().items()},
            "weights": {str(s): w for s, w in self.weights.items()},
        }

    def __repr__(self) -> str:
        lift = ", ".join(f"{k} {v:.2f}x" for k, v in self.lift().items())
        cols = ["hits@10", "hits@50", "mrr", "shared hits@10", "not shared hits@10"]
        return (
            f"BacktestResult(seeds={list(self.seeds)}, {self.queries:,} queries, "
            f"{self.shared_queries:,} with a shared partner; {lift})\n"
            f"{self.table[cols].round(4).to_string()}"
        )

    def _repr_html_(self) -> str:
        import html

        return (
            f"<div><strong>Backtest</strong> {html.escape(repr(self).splitlines()[0])}"
            f"{self.table.round(4).to_html(escape=True)}</div>"
        )


def _lex_counts(
    keys: list[np.ndarray], target: list[np.ndarray], excl: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates ranked above the target and tied with it, by lexicographic ``keys``
    (each larger-is-better; rows are queries), excluded candidates left out."""
    greater = np.zeros(excl.shape[0], dtype=np.int64)
    equal = ~excl
    for K, t in zip(keys, target, strict=True):
        greater += (equal & (K > t[:, None])).sum(axis=1)
        equal &= K == t[:, None]
    return greater, equal.sum(axis=1)


def backtest(
    data: TwinningData | nx.Graph,
    *,
    seeds: int | Sequence[int] = (0, 1, 2),
    fraction: float = 0.1,
    baselines: Sequence[str] | None = BASELINES,
    ablations: bool = False,
) -> BacktestResult:
    """Hide transnational links, rank partners with the rest, score the model and baselines.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    seeds
        One split per seed (the hidden links, the model's fit, the random baseline).
    fraction
        Share of the transnational links hidden in each split.
    baselines
        Names from :data:`BASELINES` (``None`` or empty: none).
    ablations
        Also score the model refitted without each of its terms (``"without <term>"``),
        with each term that is off by default (``"with <term>"``), with the ``gap``
        preference at weight 0.3, and its lists capped at 3 and 4 towns per country.

    Returns
    -------
    BacktestResult
        ``result.lift()`` gives the two ratios of the bar.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> res = tg.backtest(tg.load(), seeds=[1])
    >>> t = res.table
    >>> bool((t.loc["model", "hits@10"] > t.drop(index=["model", "model, default filters"])["hits@10"]).all())
    True
    """
    from twinning_graph.recommend import DEFAULT_FITTED, MODEL_TERMS, PartnerModel, RankWeights
    from twinning_graph.recommend._fit import fit_weight_sets
    from twinning_graph.recommend._weights import FIT_PRIOR

    seed_list = [seeds] if isinstance(seeds, (int, np.integer)) else list(seeds)
    if not seed_list:
        raise ValidationError("seeds is empty; give at least one seed")
    for s in seed_list:
        _check_fraction_seed(fraction, s)
    bl = _check_baselines(baselines)
    data = as_data(data)
    towns = data.towns
    records: list[pd.DataFrame] = []
    weights: dict[int, dict[str, float]] = {}
    for seed in seed_list:  # a loop over a few seeds; each is vectorised
        train, hidden = split_links(data, fraction=fraction, seed=int(seed))
        train_data = TwinningData(towns, _records(train), edges=train)
        model = PartnerModel(train_data, seed=int(seed))
        weights[int(seed)] = model.weights.to_dict()
        variants: dict[str, RankWeights] = {"model": model.weights}
        if ablations:
            sets = {
                f"without {t}": tuple(x for x in DEFAULT_FITTED if x != t) for t in DEFAULT_FITTED
            }
            sets |= {
                f"with {t}": (*DEFAULT_FITTED, t) for t in MODEL_TERMS if t not in DEFAULT_FITTED
            }
            variants |= fit_weight_sets(model.network, model.links, sets, FIT_PRIOR, seed=int(seed))
            variants["with gap 0.3"] = replace(model.weights, gap=0.3)
        caps = (3, 4) if ablations else ()
        records.append(_score_queries(model, hidden, variants, bl, seed=int(seed), caps=caps))
    return _result(records, seed_list, float(fraction), weights)


def evaluate_links(
    data: TwinningData | nx.Graph,
    links: pd.DataFrame,
    *,
    baselines: Sequence[str] | None = BASELINES,
    seed: int = 0,
) -> BacktestResult:
    """How well partner search, fitted on all of ``data``, ranks *new* links it does not hold.

    The real question ("which foreign town will this town twin with next?") asked of
    independent data: give the links that were made later, or that another source knows
    (towns of ``data``), and every end of every link is a query, scored as in
    :func:`backtest` (its candidates: the foreign towns of the network, its current
    partners and its other new partners left out).

    Parameters
    ----------
    data
        The network the model is fitted on (:func:`~twinning_graph.recommend.partner_model`).
    links
        ``town_a``, ``town_b``: town ids of ``data``. Domestic links and links ``data``
        already has are left out (a :class:`~twinning_graph.DataWarning` gives the counts).
    baselines
        As :func:`backtest`.
    seed
        Seeds the random baseline.

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> import pandas as pd
    >>> import twinning_graph as tg
    >>> new = pd.DataFrame({"town_a": ["FR-chartres"], "town_b": ["IT-forli"]})
    >>> res = tg.evaluate_links(tg.load(), new, baselines=["nearest_foreign"])
    >>> res.queries, list(res.table.index)
    (2, ['model', 'model, default filters', 'nearest_foreign'])
    """
    from twinning_graph._validate import warn
    from twinning_graph.recommend import partner_model

    bl = _check_baselines(baselines)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValidationError(f"seed must be an integer, got {seed!r}")
    if not isinstance(links, pd.DataFrame) or not {"town_a", "town_b"} <= set(links.columns):
        raise ValidationError("links must be a DataFrame with columns town_a and town_b")
    data = as_data(data)
    towns, edges = data.towns, data.edges
    ends = pd.concat([links["town_a"], links["town_b"]]).astype(str)
    missing = sorted(set(ends) - set(towns.index))
    if missing:
        from twinning_graph._errors import unknown_towns

        more = f"{len(missing):,} ids of links are not towns of the data, the first 10 shown"
        raise unknown_towns(
            missing[:10],
            towns.index,
            names=towns["name"],
            what="links town id",
            hint=more if len(missing) > 10 else "",
        )
    a, b = links["town_a"].astype(str).to_numpy(), links["town_b"].astype(str).to_numpy()
    country = towns["country"].astype(str)
    domestic = country.reindex(a).to_numpy() == country.reindex(b).to_numpy()
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    known = pd.MultiIndex.from_arrays([edges["town_a"], edges["town_b"]])
    old = pd.MultiIndex.from_arrays([lo, hi]).isin(known)
    keep = ~domestic & ~old & (a != b)
    if (~keep).any():
        warn(
            f"{int(domestic.sum())} domestic and {int((old & ~domestic).sum())} already known of "
            f"{len(links):,} links are left out",
            stacklevel=3,
        )
    new = pd.DataFrame({"town_a": lo[keep], "town_b": hi[keep]}).drop_duplicates()
    if new.empty:
        raise ValidationError("no new transnational link to evaluate")
    model = partner_model(data)
    records = [_score_queries(model, new, {"model": model.weights}, bl, seed=int(seed))]
    return _result(records, [int(seed)], float("nan"), {int(seed): model.weights.to_dict()})


def _check_baselines(baselines: Sequence[str] | None) -> list[str]:
    bl = list(baselines or [])
    bad = [b for b in bl if b not in BASELINES]
    if bad:
        raise ValidationError(f"unknown baseline(s) {bad}; allowed: {list(BASELINES)}")
    return bl


def _result(
    records: list[pd.DataFrame],
    seeds: Sequence[int],
    fraction: float,
    weights: dict[int, dict[str, float]],
) -> BacktestResult:
    every = pd.concat(records, ignore_index=True)
    table = _summarise(every, ["method"])
    per_seed = _summarise(every, ["seed", "method"])
    methods_seen = list(dict.fromkeys(every["method"]))
    table = table.loc[methods_seen]
    first = every[every["method"] == methods_seen[0]]
    return BacktestResult(
        table=table,
        per_seed=per_seed,
        seeds=tuple(int(s) for s in seeds),
        fraction=fraction,
        queries=len(first),
        shared_queries=int(first["shared"].sum()),
        weights=weights,
    )


def _score_queries(
    model: Any,
    hidden: pd.DataFrame,
    variants: dict[str, Any],
    bl: list[str],
    *,
    seed: int,
    caps: Sequence[int] = (),
) -> pd.DataFrame:
    """Hit and reciprocal rank of each end of each hidden link, for every method.

    ``caps``: also the model's list with at most that many towns per country
    (``per_country``): the hidden partner is listed if fewer than ``cap`` towns of its
    country score above it, at ``1 + sum over countries of min(cap, towns above)``.
    """
    from twinning_graph.recommend._eligibility import country_eligibility, resolve_call
    from twinning_graph.recommend._features import distances, features, network_queries, score
    from twinning_graph.recommend._model import POPULATION_BAND
    from twinning_graph.recommend._pool import network_pool

    net, links = model.network, model.links
    terms = tuple(sorted({t for w in variants.values() for t in w.to_dict() if getattr(w, t) != 0}))
    pool = network_pool(net, links)
    gap = model.gap_matrix() if "gap" in terms else None
    ia = net.index.get_indexer(hidden["town_a"])
    ib = net.index.get_indexer(hidden["town_b"])
    q_town, q_target = np.r_[ia, ib], np.r_[ib, ia]
    order = np.argsort(q_town, kind="stable")
    q_town, q_target = q_town[order], q_target[order]
    H = sp.csr_array((np.ones(len(q_town)), (q_town, q_target)), shape=(net.n, net.n))
    elig = country_eligibility(resolve_call("latest"), net.country)["eligible"]
    # (doubles are not removed: a hidden partner listed twice is still the right place)
    allowed = (elig.reindex(net.country).to_numpy(dtype=object) != "no") & pool.municipal
    rng = np.random.default_rng(seed)
    capped = {f"model, at most {c} per country": c for c in caps}
    methods = [*variants, *capped, "model, default filters", *bl]
    hits = {m: np.zeros((len(KS), len(q_town))) for m in methods}
    rrs = {m: np.zeros(len(q_town)) for m in methods}
    shared = np.zeros(len(q_town), dtype=bool)
    rows_all = np.unique(q_town)
    classic_aa = np.where(links.deg > 1, 1.0 / np.log(np.maximum(links.deg, 2.0)), 0.0)
    # Loop over chunks of query towns; each is vectorised over chunk x all towns.
    for start in range(0, len(rows_all), _CHUNK):
        rows = rows_all[start : start + _CHUNK]
        q = network_queries(net, links, rows)
        d = distances(q, pool)
        f = features(links, q, pool, terms, d=d, gap_matrix=gap)
        excl = (links.A[rows] + H[rows]).toarray() > 0
        excl[np.arange(len(rows)), rows] = True
        excl |= net.cc[rows][:, None] == net.cc[None, :]
        lo, hi = np.searchsorted(q_town, [rows[0], rows[-1] + 1])
        local = np.searchsorted(rows, q_town[lo:hi])
        tgt = q_target[lo:hi]
        ex = excl[local]
        cn = (q.partners @ links.A).toarray()
        shared[lo:hi] = cn[local, tgt] > 0
        near = -d[local]
        for m in methods:
            extra_excl = None
            if m in capped:
                S = score(f, variants["model"], d.shape)[local]
                above = (S > S[np.arange(len(tgt)), tgt][:, None]) & ~ex
                r_i, c_i = np.nonzero(above)
                counts = np.zeros((len(tgt), net.codes.n + 1), dtype=np.int64)
                np.add.at(counts, (r_i, net.cc[c_i]), 1)
                listed = counts[np.arange(len(tgt)), net.cc[tgt]] < capped[m]
                position = np.minimum(counts, capped[m]).sum(axis=1) + 1
                for j, k in enumerate(KS):
                    hits[m][j, lo:hi] = listed & (position <= k)
                rrs[m][lo:hi] = np.where(listed, 1.0 / position, 0.0)
                continue
            if m in variants or m == "model, default filters":
                w = variants.get(m, variants["model"])
                keys = [score(f, w, d.shape)[local]]
                if m == "model, default filters":
                    band = np.abs(pool.log_pop[None, :] - np.log10(q.pop)[:, None]) > np.log10(
                        POPULATION_BAND
                    )
                    extra_excl = (band | ~allowed[None, :])[local]
            else:
                keys = _baseline(m, cn, q, pool, links, classic_aa, rng, d)
                keys = [k[local] for k in keys] + [near]
            k_t = [k[np.arange(len(tgt)), tgt] for k in keys]
            e = ex if extra_excl is None else ex | extra_excl
            g, t = _lex_counts(keys, k_t, e)
            miss = (
                np.zeros(len(tgt), dtype=bool)
                if extra_excl is None
                else extra_excl[np.arange(len(tgt)), tgt]
            )
            for j, k in enumerate(KS):
                h, rr = _expected_metrics(g, t, k)
                hits[m][j, lo:hi] = np.where(miss, 0.0, h)
            rrs[m][lo:hi] = np.where(miss, 0.0, rr)
    frames = []
    for m in methods:
        per_k = {f"hits@{k}": hits[m][j] for j, k in enumerate(KS)}
        frames.append(
            pd.DataFrame({"seed": seed, "method": m, "shared": shared, **per_k, "mrr": rrs[m]})
        )
    return pd.concat(frames, ignore_index=True)


def _records(edges: pd.DataFrame) -> pd.DataFrame:
    """Edge-list partnership records of a pair table (one per pair)."""
    return pd.DataFrame(
        {
            "town_a": edges["town_a"].to_numpy(),
            "town_b": edges["town_b"].to_numpy(),
            "kind": "twinning",
            "since": pd.array([pd.NA] * len(edges), dtype="Int64"),
            "source": "backtest",
            "partnership_id": [f"p{i}" for i in range(len(edges))],
        }
    )


def _summarise(every: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    metrics = [f"hits@{k}" for k in KS] + ["mrr"]
    parts = [every.groupby(by, sort=False)[metrics].mean()]
    for label, sel in (("shared ", every["shared"]), ("not shared ", ~every["shared"])):
        g = every[sel].groupby(by, sort=False)[metrics].mean()
        parts.append(g.rename(columns={m: label + m for m in metrics}))
    return pd.concat(parts, axis=1)


def _baseline(
    name: str,
    cn: np.ndarray,
    q: Any,
    pool: Any,
    links: Any,
    classic_aa: np.ndarray,
    rng: np.random.Generator,
    d: np.ndarray,
) -> list[np.ndarray]:
    """Primary key(s) of a baseline (larger is better); the nearest foreign town breaks ties."""
    shape = d.shape
    if name == "random":
        return [rng.random(shape)]
    if name == "nearest_foreign":
        return []
    if name == "similar_size":
        diff = np.abs(pool.log_pop[None, :] - np.log10(q.pop)[:, None])
        return [-np.nan_to_num(diff, nan=99.0)]
    if name == "common_partners":
        return [cn]
    if name == "adamic_adar":
        aa = (q.partners * classic_aa[None, :]) @ links.A
        return [sp.csr_array(aa).toarray()]
    if name == "preferential_attachment":
        return [np.broadcast_to(pool.deg, shape)]
    raise ValidationError(f"unknown baseline {name!r}; allowed: {list(BASELINES)}")
