"""The features of (town, candidate) pairs and the score: written once, used everywhere.

:func:`features` computes every term of :data:`~twinning_graph.recommend._weights.TERMS`
for a block of query towns x candidates (all of a pool, or a subset of positions: the
fit uses that), and :func:`score` weighs them. Ranking one town, many towns, planning,
fitting the weights and the backtest all go through these two functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from twinning_graph._geo import EARTH_RADIUS_KM, unit_xyz
from twinning_graph.recommend._links import Links
from twinning_graph.recommend._places import KERNELS, Network
from twinning_graph.recommend._pool import Pool
from twinning_graph.recommend._weights import TERMS, RankWeights

#: partner_paths = log(1 + PATH_SCALE * sum over paths town-a-b-candidate of 1/deg(a)/deg(b))
PATH_SCALE = 3.0
#: shared_partners = log(1 + SHARED_SCALE * sum over shared partners z of w(z)/deg(z)
#: / sqrt(deg(town) deg(candidate)))
SHARED_SCALE = 1000.0


@dataclass
class Queries:
    """Query towns as arrays: a network town (``row`` >= 0) or any other place (-1)."""

    lat: np.ndarray
    lon: np.ndarray
    pop: np.ndarray
    cc: np.ndarray
    keys: np.ndarray
    row: np.ndarray
    partners: sp.csr_array  # queries x network towns (0/1)
    kern: dict[str, sp.csr_array]  # queries x network towns
    regions: np.ndarray
    country: np.ndarray
    _langs: list[frozenset[str]] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.lat)

    def languages(self, net: Network) -> list[frozenset[str]]:
        if self._langs is None:
            from twinning_graph.recommend._language import town_languages

            regions = self.regions.astype(object).copy()
            innet = self.row >= 0
            if innet.any():
                regions[innet] = net.regions()[self.row[innet]]
            self._langs = town_languages(list(self.country), list(map(str, regions)))
        return self._langs


def network_queries(net: Network, links: Links, rows: np.ndarray) -> Queries:
    """Queries for network towns (their partners are those of ``links``)."""
    rows = np.asarray(rows, dtype=np.intp)
    return Queries(
        lat=net.lat[rows],
        lon=net.lon[rows],
        pop=net.pop[rows],
        cc=net.cc[rows],
        keys=net.key[rows],
        row=rows,
        partners=sp.csr_array(links.A[rows]),
        kern={t: sp.csr_array(net.kern[t][rows]) for t in KERNELS},
        regions=np.full(len(rows), "", dtype=object),
        country=net.country[rows],
    )


def place_queries(
    net: Network,
    *,
    lat: np.ndarray,
    lon: np.ndarray,
    pop: np.ndarray,
    country: np.ndarray,
    keys: np.ndarray,
    regions: np.ndarray,
) -> Queries:
    """Queries for places outside the network (no partners; kernels from their position)."""
    m = len(lat)
    return Queries(
        lat=np.asarray(lat, float),
        lon=np.asarray(lon, float),
        pop=np.asarray(pop, float),
        cc=net.codes.of(country),
        keys=np.asarray(keys, dtype=object).astype(str),
        row=np.full(m, -1, dtype=np.intp),
        partners=sp.csr_array((m, net.n)),
        kern={t: net.kernel_rows(lat, lon, t) for t in KERNELS},
        regions=np.asarray(regions, dtype=object),
        country=np.asarray(country, dtype=object).astype(str),
    )


def distances(q: Queries, pool: Pool, cols: np.ndarray | None = None) -> np.ndarray:
    """Great-circle km from each query town to each candidate (see :func:`distances_to`)."""
    return distances_to(q, pool.xyz if cols is None else pool.xyz[cols])


def distances_to(q: Queries, xyz: np.ndarray) -> np.ndarray:
    """Great-circle km from each query town to each point (unit vectors ``xyz``).

    The haversine of :func:`twinning_graph._geo.haversine_km` with the trigonometry of
    both ends done once: ``sin^2(dlat/2) + cos cos sin^2(dlon/2) = (1 - x.x') / 2`` for the
    unit vectors ``x``, ``x'`` of the two places, so a block of towns x candidates takes a
    few array passes (tests check it against ``haversine_km`` to 1 m). Written out rather
    than a matrix product: the same value whatever the block, and no BLAS threads.
    """
    u = unit_xyz(q.lat, q.lon)
    a = np.multiply.outer(u[:, 0], xyz[:, 0])
    a += np.multiply.outer(u[:, 1], xyz[:, 1])
    a += np.multiply.outer(u[:, 2], xyz[:, 2])
    np.subtract(1.0, a, out=a)
    a *= 0.5
    np.clip(a, 0.0, 1.0, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2 * EARTH_RADIUS_KM
    return a


def product(Y: sp.csr_array, M: sp.csr_array) -> np.ndarray:
    """``Y @ M`` as a dense array, for a few rows ``Y`` (gather the rows of ``M`` that ``Y``
    selects and add them up with one ``bincount``: several times faster than scipy's
    product when ``M`` has 100,000 columns)."""
    Y = sp.csr_array(Y)
    r, m = Y.shape[0], M.shape[1]
    rows = np.repeat(np.arange(r), np.diff(Y.indptr))
    starts = M.indptr[Y.indices]
    count = M.indptr[Y.indices + 1] - starts
    first = np.cumsum(count) - count
    idx = np.repeat(starts - first, count) + np.arange(int(count.sum()))
    flat = np.repeat(rows * m, count) + M.indices[idx]
    w = np.repeat(Y.data, count) * M.data[idx]
    out = np.bincount(flat, weights=w, minlength=r * m).reshape(r, m)
    return out.astype(float, copy=False)  # an empty product comes back as integers


def _candidate_columns(links: Links, pool: Pool, sel: Any) -> sp.csr_array:
    """The links restricted to the candidates' columns (towns x candidates; a candidate
    outside the network has an empty column): ``product(Y, this)`` equals
    ``_to_pool(product(Y, links.A), pool, sel)``."""
    prow = pool.row[sel]
    M = sp.csr_array(links.A[:, np.maximum(prow, 0)])
    if (prow < 0).any():
        M = sp.csr_array(M * (prow >= 0)[None, :])
    return M


def _to_pool(dense: np.ndarray, pool: Pool, sel: Any) -> np.ndarray:
    """A queries x network-towns array as queries x candidates (0 for places outside)."""
    if pool.is_network and isinstance(sel, slice):
        return dense
    prow = pool.row[sel]
    return dense[:, np.maximum(prow, 0)] * (prow >= 0)


def features(
    links: Links,
    q: Queries,
    pool: Pool,
    terms: Iterable[str] = TERMS,
    *,
    cols: np.ndarray | None = None,
    d: np.ndarray | None = None,
    gap_matrix: np.ndarray | None = None,
    in_country_towns: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Features ``terms`` of query towns x candidates (``cols``: candidate positions).

    Every array is ``len(q) x len(cols)`` (all candidates when ``cols`` is None); terms not
    asked for are left out. ``d`` may pass the distances already computed.
    ``in_country_towns`` (network positions, a uniform sample of each country's towns:
    :func:`country_sample`) estimates the country means of ``distance_in_country`` from
    those towns only; used by the fit on large networks (all towns when None).
    """
    terms = set(terms)
    net = links.net
    r = len(q)
    sel: Any = slice(None) if cols is None else cols
    if d is None:
        d = distances(q, pool, cols)
    out: dict[str, np.ndarray] = {}
    if "distance" in terms or "distance_in_country" in terms:
        dist = links.distance_term(d)
        if "distance" in terms:
            out["distance"] = dist
        if "distance_in_country" in terms:
            out["distance_in_country"] = _in_country(
                links, q, pool, sel, d, dist, ref=in_country_towns
            )
    if "centrality" in terms:
        out["centrality"] = np.broadcast_to(pool.centrality()[sel], d.shape)
    if "country_pair" in terms:
        out["country_pair"] = links.country_llr[q.cc][:, pool.cc[sel]]
    if "size" in terms:
        out["size"] = links.size_term(np.log10(q.pop), pool.log_pop[sel])
    if "same_name" in terms:
        qcode = pool.key_index.get_indexer(q.keys)
        qcode = np.where(q.keys == "", -1, qcode)
        out["same_name"] = (qcode[:, None] == pool.key_code[sel][None, :]).astype(float)
    if "language" in terms:
        from twinning_graph.recommend._language import shared_matrix

        uniq, which = pool.languages()
        out["language"] = shared_matrix(q.languages(net), uniq)[:, which[sel]]
    # With a few candidates per query (the fit: ~65), the products below need only the
    # candidates' columns of the links: gathering whole rows of hub towns (16,000 links)
    # for 100,000 columns was most of the fit's time on networks with hubs.
    A_cols = None if cols is None else _candidate_columns(links, pool, sel)
    if "shared_partners" in terms:
        own = np.maximum(np.diff(q.partners.indptr), 1).astype(float)  # the town's partners
        prow = pool.row[sel]
        # the candidate's partners (a candidate sharing one has at least one)
        theirs = np.maximum(np.where(prow >= 0, links.deg[np.maximum(prow, 0)], 0.0), 1.0)
        Y = sp.csr_array(q.partners * links.shared_w[None, :])
        if A_cols is None:
            shared = _to_pool(product(Y, links.A), pool, sel)
        else:
            shared = product(Y, A_cols)
        shared /= np.sqrt(own[:, None] * theirs[None, :])
        shared *= SHARED_SCALE
        out["shared_partners"] = np.log1p(shared, out=shared)
    if "partner_paths" in terms:
        two = sp.csr_array(sp.csr_array(q.partners * links.ra_w[None, :]) @ links.A)
        Y = sp.csr_array(two * links.ra_w[None, :])
        if A_cols is None:
            three = _to_pool(product(Y, links.A), pool, sel)
        else:
            three = product(Y, A_cols)
        out["partner_paths"] = np.log1p(PATH_SCALE * three)
    for t in KERNELS:
        if t in terms:
            y = sp.csr_array(q.kern[t] @ links.A)
            kt = pool.kern_t(t) if cols is None else sp.csr_array(pool.kern[t][cols].T)
            out[t] = np.log1p(_nearby(links, q, pool, sel, t, product(y, kt), kt))
    if "candidate_ties" in terms:
        out["candidate_ties"] = links.ties_term(q.cc, pool.row[sel], pool.cc[sel])
    if "new_country" in terms or "gap" in terms:
        k = net.codes.n + 1
        reached = np.zeros((r, k), dtype=bool)
        pc = sp.coo_array(q.partners)
        reached[pc.row, net.cc[pc.col]] = True
        reached[np.arange(r), q.cc] = True
        if "new_country" in terms:
            out["new_country"] = (~reached).astype(float)[:, pool.cc[sel]]
        if "gap" in terms:
            g = np.zeros((k, k)) if gap_matrix is None else gap_matrix
            out["gap"] = g[q.cc][:, pool.cc[sel]]
    return out


def _nearby(
    links: Links,
    q: Queries,
    pool: Pool,
    sel: Any,
    term: str,
    total: np.ndarray,
    kt: sp.csr_array,
) -> np.ndarray:
    """``sum K(town, a) A(a, b) K(candidate, b)`` over links a-b (``total``, queries x
    candidates) less the links whose far end b is the town itself or whose near end a is the
    candidate: "a town near you is twinned with you, and the candidate is near you" says
    nothing but the distance (which has its own terms).

    The two corrections touch only the candidates in the town's kernel or whose kernel
    holds the town (a few dozen per row), so they are applied at those entries.
    """
    total = total.astype(float, copy=False)
    Kq = sp.csr_array(q.kern[term])
    ncol = total.shape[1]
    colmap = np.arange(pool.n) if isinstance(sel, slice) else np.full(pool.n, -1, np.intp)
    if not isinstance(sel, slice):
        colmap[sel] = np.arange(ncol)
    # (1) b = the town: K(u, a) A(a, u) summed over a, times K(candidate, u)
    c_u = np.asarray(Kq.multiply(q.partners).sum(axis=1)).ravel()
    qi = np.flatnonzero((q.row >= 0) & (c_u > 0))
    kc_u = None
    if len(qi):
        kc_u = sp.coo_array(kt[q.row[qi]])
        np.subtract.at(total, (qi[kc_u.row], kc_u.col), c_u[qi[kc_u.row]] * kc_u.data)
    # (2) a = the candidate: K(u, candidate) times sum_b A(candidate, b) K(candidate, b)
    kq = sp.coo_array(Kq)
    col = colmap[np.maximum(pool.pos_of_row[kq.col], 0)]
    ok = (pool.pos_of_row[kq.col] >= 0) & (col >= 0)
    s_v = pool.self_links(term, links)[pool.pos_of_row[kq.col[ok]]]
    np.subtract.at(total, (kq.row[ok], col[ok]), kq.data[ok] * s_v)
    # (3) both (the candidate is a partner of the town): counted twice above, add it back
    both = sp.coo_array(Kq.multiply(q.partners))
    if both.nnz and kc_u is not None:
        cb = colmap[np.maximum(pool.pos_of_row[both.col], 0)]
        ok = (pool.pos_of_row[both.col] >= 0) & (cb >= 0) & (q.row[both.row] >= 0)
        r_i, c_i = both.row[ok], cb[ok]
        back = np.asarray(kt[q.row[r_i], c_i]).ravel() if len(r_i) else np.zeros(0)
        np.add.at(total, (r_i, c_i), both.data[ok] * back)
    np.maximum(total, 0.0, out=total)  # rounding
    return total


def country_sample(cc: np.ndarray, *, cap: int, seed: int) -> np.ndarray:
    """Positions of at most ``cap`` towns of each country code in ``cc``, drawn uniformly
    (seeded), sorted; countries with ``cap`` towns or fewer keep them all.

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.recommend._features import country_sample
    >>> cc = np.array([0, 0, 0, 0, 1, 2, 2])
    >>> keep = country_sample(cc, cap=2, seed=0)
    >>> np.bincount(cc[keep]).tolist()
    [2, 1, 2]
    """
    order = np.random.default_rng(seed).permutation(len(cc))
    by = order[np.argsort(cc[order], kind="stable")]
    first = np.r_[0, np.flatnonzero(np.diff(cc[by])) + 1]
    start = np.repeat(first, np.diff(np.r_[first, len(by)]))
    return np.sort(by[np.arange(len(by)) - start < cap])


def _in_country(
    links: Links,
    q: Queries,
    pool: Pool,
    sel: Any,
    d: np.ndarray,
    dist: np.ndarray,
    *,
    ref: np.ndarray | None = None,
) -> np.ndarray:
    """``distance_in_country``: the distance term of each candidate less the log of its mean
    ``exp(distance term)`` over the network's towns of the candidate's country, seen from
    the query town (0 for a country without network towns).

    How much nearer the candidate is than the towns of its country (on the scale of the
    fitted distance preference): the country-pair term says which country, this one which
    town of it. One pass over the network's towns and one ``bincount`` per block. With
    ``ref`` (network positions sampled per country) the means are taken over those towns.
    """
    net = links.net
    k = net.codes.n + 1
    r = len(q)
    cc = net.cc
    if ref is not None:  # the means over a sample of each country's towns (the fit)
        cc = net.cc[ref]
        f_net = links.distance_term(distances_to(q, net.xyz[ref]))
        np.exp(f_net, out=f_net)
    elif isinstance(sel, slice) and pool.has_network:  # every network town is a candidate
        f_net = np.exp(dist if pool.is_network else dist[:, pool.pos_of_row])
    else:  # candidates are a subset: the distances to the network's towns
        f_net = links.distance_term(distances_to(q, net.xyz))
        np.exp(f_net, out=f_net)
    flat = (np.arange(r)[:, None] * k + cc[None, :]).ravel()
    sums = np.bincount(flat, weights=f_net.ravel(), minlength=r * k).reshape(r, k)
    count = np.bincount(cc, minlength=k).astype(float)
    with np.errstate(divide="ignore"):
        log_mean = np.log(sums) - np.log(np.maximum(count, 1.0))[None, :]
    ref = log_mean[:, pool.cc[sel]]
    out = dist - ref
    out[~np.isfinite(ref)] = 0.0
    return out


def score(feats: dict[str, np.ndarray], w: RankWeights, shape: tuple[int, ...]) -> np.ndarray:
    """The score: ``sum(weight * feature)`` over the terms with a non-zero weight."""
    s = np.zeros(shape)
    tmp = np.empty(shape)
    for t in TERMS:
        wt = getattr(w, t)
        if wt != 0.0:
            np.multiply(feats[t], wt, out=tmp)
            s += tmp
    return s


def needed(w: RankWeights) -> tuple[str, ...]:
    """The terms whose weight is not 0."""
    return tuple(t for t in TERMS if getattr(w, t) != 0.0)
