"""Backtest of partner ranking: hide links, rank partners, count how often they come back.

A seeded random share of the links (default 10%) is hidden. For every hidden link
``(u, v)`` and each of its two ends, the remaining network ranks every other town of the
network (not the gazetteer) except the town's remaining partners and its *other* hidden
partners (the "filtered" setting of link-prediction benchmarks: each query has exactly
one right answer). Metrics over these queries:

``hits@k``
    Share of queries whose hidden partner is ranked within the top ``k``.
``mrr``
    Mean reciprocal rank of the hidden partner.

Ties are scored by their expectation under a random order of the tied candidates, so a
ranking that gives most candidates the same score (common neighbours when a town has no
partner left) is neither helped nor hurt by an arbitrary tie-break such as the town id.

Rankers compared: ``ranker``, the score of :func:`twinning_graph.recommend.rank_partners`
with its strategy terms off (they express what a town should want, not what is likely):
plausibility + capacity; ``plausibility_only`` (capacity off too); and the baselines
random, nearest, similar size, common neighbours, Adamic–Adar and preferential
attachment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import digamma

from twinning_graph._errors import ValidationError
from twinning_graph.graph import as_frames
from twinning_graph.io import TwinningData
from twinning_graph.recommend import (
    RankWeights,
    _Candidates,
    _Model,
    _network_candidates,
    _score_rows,
)

__all__ = [
    "BASELINES",
    "BacktestResult",
    "backtest",
    "hits_at_k",
    "mean_reciprocal_rank",
    "split_links",
]

#: Baseline rankers of the backtest.
BASELINES = (
    "random",
    "nearest",
    "similar_size",
    "common_neighbours",
    "adamic_adar",
    "preferential_attachment",
)

_CHUNK = 256  # query towns scored at once: 256 x 12k floats per feature


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
    # H(n) = digamma(n + 1) + euler_gamma; the constant cancels in the difference
    rr = (digamma(g + t + 2.0) - digamma(g + 1.0)) / (t + 1.0)
    return hit, rr


def split_links(
    data: TwinningData | nx.Graph, *, fraction: float = 0.1, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``edges`` into kept and hidden links (seeded, reproducible).

    Returns
    -------
    train, hidden : pandas.DataFrame
        Rows of the edges table (``town_a``, ``town_b``, ...).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.evaluate import split_links
    >>> train, hidden = split_links(tg.load(), seed=0)
    >>> len(hidden), len(train) + len(hidden) == len(tg.load().edges)
    (1731, True)
    """
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, (int, float))
        or not (0 < fraction < 1)
    ):
        raise ValidationError(f"fraction must be a number between 0 and 1, got {fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValidationError(f"seed must be an integer, got {seed!r}")
    _, edges = as_frames(data)
    m = len(edges)
    n_hide = int(round(fraction * m))
    if m < 2 or n_hide < 1:
        raise ValidationError(
            f"too few links to hide {fraction:.0%} of them: the data have {m} link(s)"
        )
    rng = np.random.default_rng(seed)
    hide = np.zeros(m, dtype=bool)
    hide[rng.choice(m, size=n_hide, replace=False)] = True
    return edges[~hide].reset_index(drop=True), edges[hide].reset_index(drop=True)


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`backtest`.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by method (``"ranker"``, ``"plausibility_only"``, variants, then the
        baselines): ``hits@k`` and ``mrr``.
    seed, fraction, k : int, float, int
    queries : int
        Number of (town, hidden partner) queries.
    test_towns : int
        Towns that lost at least one link.
    weights : RankWeights
        Weights of the ranker.
    """

    table: pd.DataFrame
    seed: int
    fraction: float
    k: int
    queries: int
    test_towns: int
    weights: RankWeights = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``ranker`` and ``baselines`` (by name), each ``{"hits@k", "mrr"}``."""

        def rec(name: str) -> dict[str, float]:
            row = self.table.loc[name]
            return {
                f"hits@{self.k}": round(float(row[f"hits@{self.k}"]), 4),
                "mrr": round(float(row["mrr"]), 4),
            }

        variants = [i for i in self.table.index if i != "ranker" and i not in BASELINES]
        out: dict[str, Any] = {
            "ranker": rec("ranker"),
            "baselines": {b: rec(b) for b in BASELINES if b in self.table.index},
            "seed": self.seed,
            "fraction": self.fraction,
            "k": self.k,
            "queries": self.queries,
            "test_towns": self.test_towns,
            "weights": self.weights.to_dict(),
        }
        if variants:
            out["variants"] = {v: rec(v) for v in variants}
        return out

    def __repr__(self) -> str:
        return (
            f"BacktestResult(seed={self.seed}, queries={self.queries}, "
            f"test_towns={self.test_towns})\n{self.table.round(4).to_string()}"
        )

    def _repr_html_(self) -> str:
        return (
            f"<div><strong>Backtest</strong> seed={self.seed}, {self.queries:,} queries"
            f"{self.table.round(4).to_html(escape=True)}</div>"
        )


def _baseline_scores(
    name: str,
    parts: dict[str, np.ndarray],
    model: _Model,
    rows: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    if name == "random":
        return rng.random(parts["distance_km"].shape)
    if name == "nearest":
        return -parts["distance_km"]
    if name == "similar_size":
        q = np.log10(np.where(model.pop[rows] > 0, model.pop[rows], np.nan))
        c = np.log10(np.where(model.pop > 0, model.pop, np.nan))
        diff = np.abs(q[:, None] - c[None, :])
        return -np.nan_to_num(diff, nan=99.0)  # unknown size: last, all tied
    if name == "common_neighbours":
        return parts["common_partners"]
    if name == "adamic_adar":
        return parts["adamic_adar"]
    if name == "preferential_attachment":
        # |Γ(u)| |Γ(v)| ranks like |Γ(v)| for a fixed u; using |Γ(v)| keeps it informative
        # for towns that lost their only link
        return np.broadcast_to(parts["partners"][0], parts["distance_km"].shape)
    raise ValidationError(f"unknown baseline {name!r}; allowed: {list(BASELINES)}")


def backtest(
    data: TwinningData | nx.Graph,
    *,
    seed: int = 0,
    fraction: float = 0.1,
    k: int = 10,
    weights: RankWeights | Mapping[str, float] | None = None,
    baselines: Sequence[str] | None = BASELINES,
    variants: Mapping[str, RankWeights | Mapping[str, float]] | None = None,
) -> BacktestResult:
    """Hide links, rank partners with the rest, and score the ranker against baselines.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    seed
        Seeds the choice of hidden links (and the random baseline).
    fraction
        Share of links hidden.
    k
        Cut-off of hits@k.
    weights
        Weights of the ranker (default :class:`~twinning_graph.recommend.RankWeights`);
        the strategy terms are switched off (plausibility + capacity is evaluated).
    baselines
        Names from :data:`BASELINES` (``None`` or empty: none).
    variants
        Other weight settings scored in the same pass, by name (for tuning).

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.evaluate import backtest
    >>> res = backtest(tg.load(), seed=1)
    >>> t = res.table
    >>> bool((t.loc["ranker", "hits@10"] > t.drop(index="ranker")["hits@10"]).all())
    True
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValidationError(f"k must be a positive integer, got {k!r}")
    bl = list(baselines or [])
    bad = [b for b in bl if b not in BASELINES]
    if bad:
        raise ValidationError(f"unknown baseline(s) {bad}; allowed: {list(BASELINES)}")
    w = RankWeights.coerce(weights).without_strategy()
    var = {name: RankWeights.coerce(v).without_strategy() for name, v in (variants or {}).items()}
    towns, _ = as_frames(data)
    train, hidden = split_links(data, fraction=fraction, seed=seed)
    model = _Model(towns, train)
    n = len(towns)
    idx = towns.index
    qa = idx.get_indexer(hidden["town_a"])
    qb = idx.get_indexer(hidden["town_b"])
    # one query per end of each hidden link
    q_town = np.concatenate([qa, qb])
    q_target = np.concatenate([qb, qa])
    H = sp.csr_array((np.ones(len(q_town)), (q_town, q_target)), shape=(n, n))
    rows_all = np.unique(q_town)
    cand: _Candidates = _network_candidates(model)
    order = np.argsort(q_town, kind="stable")
    q_town, q_target = q_town[order], q_target[order]
    methods = ["ranker", "plausibility_only", *var, *bl]
    hits = {m: np.empty(len(q_town)) for m in methods}
    rrs = {m: np.empty(len(q_town)) for m in methods}
    rng = np.random.default_rng(seed)
    # Loop over chunks of query towns; each iteration is vectorised over chunk x all towns.
    for start in range(0, len(rows_all), _CHUNK):
        rows = rows_all[start : start + _CHUNK]
        parts = _score_rows(model, rows, cand, w)
        # excluded: the town itself, its remaining partners and all its hidden partners
        excl = (model.A[rows] + H[rows]).toarray() > 0
        excl[np.arange(len(rows)), rows] = True
        lo, hi = np.searchsorted(q_town, [rows[0], rows[-1] + 1])
        local = np.searchsorted(rows, q_town[lo:hi])
        tgt = q_target[lo:hi]
        for m in methods:
            if m == "ranker":
                S = parts["score"]
            elif m == "plausibility_only":
                S = parts["plausibility"]
            elif m in var:
                S = _score_rows(model, rows, cand, var[m])["score"]
            else:
                S = _baseline_scores(m, parts, model, rows, rng)
            s_t = np.asarray(S[local, tgt], dtype=float)[:, None]  # before masking
            Sq = np.where(excl, -np.inf, S)[local]
            greater = (Sq > s_t).sum(axis=1)
            ties = (Sq == s_t).sum(axis=1)  # the target itself is excluded (hidden)
            h, r = _expected_metrics(greater, ties, k)
            hits[m][lo:hi], rrs[m][lo:hi] = h, r
    table = pd.DataFrame(
        {f"hits@{k}": [hits[m].mean() for m in methods], "mrr": [rrs[m].mean() for m in methods]},
        index=pd.Index(methods, name="method"),
    )
    return BacktestResult(
        table=table,
        seed=int(seed),
        fraction=float(fraction),
        k=int(k),
        queries=len(q_town),
        test_towns=len(rows_all),
        weights=w,
    )
