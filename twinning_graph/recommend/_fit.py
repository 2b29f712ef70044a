"""Fitting the weights of the score on the links of a network (a conditional logit).

The question the score answers is "which foreign town will this town twin with next", so
the weights are fitted on exactly that question, asked of the network itself:

1. hide a seeded :data:`FIT_SHARE` of the transnational links;
2. refit the link tables (:class:`~twinning_graph.recommend._links.Links`) on the rest,
   so no feature sees a hidden link;
3. for each end of each hidden link (at most :data:`FIT_QUERIES`), take the hidden partner
   and :data:`FIT_NEGATIVES` foreign towns drawn uniformly (never a partner);
4. maximise the conditional-logit likelihood ``P(partner) = exp(s) / sum exp(s)`` over
   those alternatives, ``s = sum(w * feature)``, with a ridge penalty
   ``RIDGE / 2 * |w - prior|^2`` toward
   :data:`~twinning_graph.recommend._weights.FIT_PRIOR` (it settles the directions the
   links say little about, e.g. the weight of a name shared by a handful of pairs).

A network too small to hide :data:`MIN_QUERIES` link ends keeps the weights fitted on the
bundled network (:class:`~twinning_graph.recommend.RankWeights` defaults).

Uniformly sampled alternatives give consistent estimates of a conditional logit
(McFadden 1978), so the fitted weights rank the whole candidate set.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from twinning_graph.recommend._features import country_sample, features, network_queries
from twinning_graph.recommend._links import Links
from twinning_graph.recommend._places import Network
from twinning_graph.recommend._pool import network_pool
from twinning_graph.recommend._weights import RankWeights

FIT_SHARE = 0.2
FIT_QUERIES = 4000
#: Fewer pseudo-queries than this: the weights are not fitted (see fit_weights).
MIN_QUERIES = 200
FIT_NEGATIVES = 64
RIDGE = 2.0
_BLOCK_ELEMENTS = 2_000_000  # pseudo-queries x towns held at once while fitting
#: Above this many network towns, the fit estimates the country means of
#: ``distance_in_country`` from at most IN_COUNTRY_SAMPLE towns per country (a uniform,
#: seeded sample): 4,000 pseudo-queries x 100,000 towns was half the fit's time, and a
#: mean of a smooth function over 500 towns is within a few percent of the full one.
#: Ranking always uses every town. The bundled network (12,105 towns) is fitted exactly.
IN_COUNTRY_EXACT_UP_TO = 30_000
IN_COUNTRY_SAMPLE = 500


@dataclass(frozen=True)
class FitInfo:
    """How the weights of a :class:`~twinning_graph.recommend.PartnerModel` were fitted.

    ``queries`` pseudo-queries (0: too few transnational links, the prior weights are
    used), each with its hidden partner and up to ``negatives`` foreign towns; ``terms``
    fitted; ``log_likelihood`` per query at the optimum and with the prior weights.
    """

    queries: int
    negatives: int
    terms: tuple[str, ...]
    log_likelihood: float
    log_likelihood_prior: float
    seed: int


def examples(
    net: Network, links: Links, terms: tuple[str, ...], *, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Feature arrays of the pseudo-queries: ``X`` (queries, 1 + negatives, terms), the
    hidden partner first, and the mask of valid alternatives."""
    rng = np.random.default_rng(seed)
    m = len(links.ta)
    n_hide = int(round(FIT_SHARE * m))
    if n_hide < 1 or net.n < 3:
        return np.zeros((0, FIT_NEGATIVES + 1, len(terms))), np.zeros((0, FIT_NEGATIVES + 1), bool)
    hide = rng.choice(m, size=n_hide, replace=False)
    ha, hb = links.ta[hide], links.tb[hide]
    H = sp.csr_array((np.ones(2 * n_hide), (np.r_[ha, hb], np.r_[hb, ha])), shape=links.A.shape)
    inner = Links(net, sp.csr_array(links.A - H), seed=seed)
    q, t = np.r_[ha, hb], np.r_[hb, ha]
    if len(q) > FIT_QUERIES:
        keep = rng.choice(len(q), size=FIT_QUERIES, replace=False)
        q, t = q[keep], t[keep]
    order = np.argsort(q, kind="stable")
    q, t = q[order], t[order]
    # alternatives: uniform foreign towns, never the town, its partners or the target
    k = FIT_NEGATIVES
    draw = rng.integers(0, net.n, size=(len(q), 3 * k))
    qq = np.repeat(q, 3 * k).reshape(draw.shape)
    ok = (net.cc[draw] != net.cc[qq]) & (draw != qq) & (draw != t[:, None])
    ok &= links.A[qq.ravel(), draw.ravel()].reshape(draw.shape) == 0
    rank = np.cumsum(ok, axis=1)
    alt = np.zeros((len(q), k), dtype=np.intp)
    mask = np.zeros((len(q), k + 1), dtype=bool)
    mask[:, 0] = True
    r_i, c_i = np.nonzero(ok & (rank <= k))
    alt[r_i, rank[r_i, c_i] - 1] = draw[r_i, c_i]
    mask[r_i, rank[r_i, c_i]] = True
    cand = np.column_stack([t, alt])
    pool = network_pool(net, inner)
    ref = None
    if "distance_in_country" in terms and net.n > IN_COUNTRY_EXACT_UP_TO:
        ref = country_sample(net.cc, cap=IN_COUNTRY_SAMPLE, seed=seed)
    X = np.zeros((len(q), k + 1, len(terms)))
    # Loop over blocks of pseudo-queries; each block is vectorised over its alternatives.
    block = max(1, min(64, _BLOCK_ELEMENTS // max(net.n, 1)))
    for s in range(0, len(q), block):
        qb, cb = q[s : s + block], cand[s : s + block]
        cols, inv = np.unique(cb, return_inverse=True)
        f = features(
            inner, network_queries(net, inner, qb), pool, terms, cols=cols, in_country_towns=ref
        )
        inv = inv.reshape(cb.shape)
        rows = np.arange(len(qb))[:, None]
        for j, term in enumerate(terms):
            X[s : s + block, :, j] = f[term][rows, inv]
    return X, mask


def clogit(
    X: np.ndarray, mask: np.ndarray, prior: np.ndarray, ridge: float = RIDGE
) -> tuple[np.ndarray, float, float]:
    """Weights maximising the conditional-logit likelihood of alternative 0 (ridge to
    ``prior``); also the mean log-likelihood at the optimum and at the prior."""

    def loglik(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = np.where(mask, X @ w, -np.inf)
        top = s.max(axis=1, keepdims=True)
        e = np.exp(s - top)
        z = e.sum(axis=1, keepdims=True)
        p = e / z
        ll = float((s[:, 0] - top[:, 0] - np.log(z[:, 0])).sum())
        grad = X[:, 0, :].sum(axis=0) - np.einsum("ij,ijk->k", p, X)
        return ll, grad

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = loglik(w)
        diff = w - prior
        return -ll + 0.5 * ridge * float(diff @ diff), -grad + ridge * diff

    if len(X) == 0:
        return prior.copy(), float("nan"), float("nan")
    res = minimize(objective, prior.copy(), jac=True, method="L-BFGS-B")
    m = len(X)
    return res.x, loglik(res.x)[0] / m, loglik(prior)[0] / m


def fit_weights(
    net: Network,
    links: Links,
    terms: tuple[str, ...],
    prior: RankWeights,
    *,
    seed: int,
    fallback: RankWeights | None = None,
) -> tuple[RankWeights, FitInfo]:
    """Fit the weights of ``terms`` (the others keep ``prior``'s) on ``links``.

    With fewer than :data:`MIN_QUERIES` pseudo-queries (a network of a few dozen
    transnational links) a handful of hidden links would decide the weights: ``fallback``
    (default ``prior``) is used as it is and ``FitInfo.queries`` is 0.
    """
    X, mask = examples(net, links, terms, seed=seed)
    if len(X) < MIN_QUERIES:
        base = prior if fallback is None else fallback
        nan = float("nan")
        return base, FitInfo(0, FIT_NEGATIVES, terms, nan, nan, seed)
    w0 = prior.vector(terms)
    w, ll, ll0 = clogit(X, mask, w0)
    fitted = replace(prior, **{t: float(v) for t, v in zip(terms, w, strict=True)})
    info = FitInfo(
        queries=len(X),
        negatives=FIT_NEGATIVES,
        terms=terms,
        log_likelihood=ll,
        log_likelihood_prior=ll0,
        seed=seed,
    )
    return fitted, info


def fit_weight_sets(
    net: Network,
    links: Links,
    term_sets: dict[str, tuple[str, ...]],
    prior: RankWeights,
    *,
    seed: int,
) -> dict[str, RankWeights]:
    """Weights fitted for several sets of terms on one set of pseudo-queries (ablations);
    the model terms outside a set get weight 0."""
    from twinning_graph.recommend._weights import MODEL_TERMS

    every = tuple(t for t in MODEL_TERMS if any(t in s for s in term_sets.values()))
    X, mask = examples(net, links, every, seed=seed)
    out = {}
    for name, ts in term_sets.items():
        cols = [every.index(t) for t in ts]
        w = (
            clogit(X[:, :, cols], mask, prior.vector(ts))[0]
            if len(X) >= MIN_QUERIES
            else prior.vector(ts)
        )
        zero = {t: 0.0 for t in MODEL_TERMS}
        out[name] = replace(prior, **{**zero, **{t: float(v) for t, v in zip(ts, w, strict=True)}})
    return out
