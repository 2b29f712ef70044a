"""Reasons in words: the largest positive and negative terms of each listed candidate,
naming the shared partner, the path or the nearby pair of twinned towns behind them."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from twinning_graph._geo import haversine_km
from twinning_graph.recommend._features import Queries
from twinning_graph.recommend._links import Links
from twinning_graph.recommend._places import KERNELS
from twinning_graph.recommend._pool import CENTRAL_KM, Pool

#: Terms listed in a reason: at most this many positive and negative ones, each at least
#: MIN_SHOWN in absolute value (smaller ones print as "+0.1" and only clutter the list).
MAX_POSITIVE, MAX_NEGATIVE, MIN_SHOWN = 3, 2, 0.15


def short_number(x: float) -> str:
    """1234 -> '1.2k', 42000 -> '42k', 1_500_000 -> '1.5M'.

    Examples
    --------
    >>> from twinning_graph.recommend._explain import short_number
    >>> [short_number(v) for v in (850, 1234, 42_000, 1_500_000)]
    ['850', '1.2k', '42k', '1.5M']
    """
    if not np.isfinite(x):
        return "?"
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e4:
        return f"{x / 1e3:.0f}k"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def _label(links: Links, row: int) -> str:
    net = links.net
    return f"{net.name[row]} ({net.country[row]})"


def _linked(A: sp.csr_array, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)`` with ``A[left[i], right[j]] != 0`` (small sets, no slicing)."""
    starts, ends = A.indptr[left], A.indptr[left + 1]
    counts = ends - starts
    owner = np.repeat(np.arange(len(left)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    nbrs = A.indices[np.repeat(starts, counts) + offsets]
    order = np.argsort(right, kind="stable")
    at = np.searchsorted(right[order], nbrs)
    at = np.minimum(at, len(right) - 1)
    hit = right[order][at] == nbrs
    return owner[hit], order[at[hit]]


def _shared(links: Links, q: Queries, i: int, pool: Pool, pos: int) -> np.ndarray:
    """Shared partners of a query town and a candidate, strongest (fewest partners) first."""
    A = links.A
    pu = q.partners.indices[q.partners.indptr[i] : q.partners.indptr[i + 1]]
    v = int(pool.row[pos])
    if v < 0 or len(pu) == 0:
        return np.zeros(0, dtype=np.intp)
    shared = np.intersect1d(pu, A.indices[A.indptr[v] : A.indptr[v + 1]])
    return shared[np.argsort(-links.shared_w[shared], kind="stable")]


def _path(links: Links, q: Queries, i: int, pool: Pool, pos: int) -> tuple[int, int, int] | None:
    """The strongest path town-a-b-candidate and the number of such paths: ``(a, b, n)``."""
    A = links.A
    pu = q.partners.indices[q.partners.indptr[i] : q.partners.indptr[i + 1]]
    v = int(pool.row[pos])
    if v < 0 or len(pu) == 0:
        return None
    pv = A.indices[A.indptr[v] : A.indptr[v + 1]]
    ia, ib = _linked(A, pu, pv) if len(pv) else (np.zeros(0, np.intp), np.zeros(0, np.intp))
    if len(ia) == 0:
        return None
    a, b = pu[ia], pv[ib]
    best = int(np.argmax(links.ra_w[a] * links.ra_w[b]))
    return int(a[best]), int(b[best]), len(a)


def _nearby(
    links: Links, q: Queries, i: int, pool: Pool, pos: int, term: str
) -> tuple[int, int] | None:
    """The strongest link a-b between the kernels of the town and of the candidate."""
    ku = q.kern[term]
    ka = ku.indices[ku.indptr[i] : ku.indptr[i + 1]]
    wa = ku.data[ku.indptr[i] : ku.indptr[i + 1]]
    kc = pool.kern[term]
    kb = kc.indices[kc.indptr[pos] : kc.indptr[pos + 1]]
    wb = kc.data[kc.indptr[pos] : kc.indptr[pos + 1]]
    if len(ka) == 0 or len(kb) == 0:
        return None
    ia, ib = _linked(links.A, ka, kb)
    # not through the town itself on the far side nor the candidate on the near side
    ok = (kb[ib] != q.row[i]) & (ka[ia] != pool.row[pos])
    ia, ib = ia[ok], ib[ok]
    if len(ia) == 0:
        return None
    best = int(np.argmax(wa[ia] * wb[ib]))
    return int(ka[ia[best]]), int(kb[ib[best]])


def reasons(
    links: Links,
    q: Queries,
    ri: np.ndarray,
    pool: Pool,
    pos: np.ndarray,
    contrib: dict[str, np.ndarray],
    d: np.ndarray,
) -> tuple[list[str], np.ndarray]:
    """The reason of each listed (query ``ri``, candidate ``pos``) and its number of shared
    partners. A loop over the listed rows only (n per town); the towns behind a term are
    looked up only for the terms the reason shows."""
    near_terms = [t for t in KERNELS if t in contrib]
    out: list[str] = []
    common = np.zeros(len(ri), dtype=np.int64)
    for k, (i, p) in enumerate(zip(ri, pos, strict=True)):
        i, p = int(i), int(p)
        shared = _shared(links, q, i, pool, p)
        common[k] = len(shared)
        values = [(float(contrib[t][k]), t) for t in contrib if t not in near_terms]
        if near_terms:
            values.append((float(sum(contrib[t][k] for t in near_terms)), "nearby"))
        shown = _pick([v for v in values if v[0] != 0.0])
        items = []
        for value, term in shown:
            text = _text(links, q, i, pool, p, term, d[k], shared, contrib, k, near_terms)
            if text:
                items.append((value, text))
        out.append("; ".join(f"{text} ({value:+.1f})" for value, text in items))
    return out, common


def _pick(values: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """The largest positive terms, then the largest negative ones (see MAX_POSITIVE)."""
    pos = sorted((x for x in values if x[0] >= MIN_SHOWN), key=lambda x: -x[0])[:MAX_POSITIVE]
    neg = sorted((x for x in values if x[0] <= -MIN_SHOWN), key=lambda x: x[0])[:MAX_NEGATIVE]
    return pos + neg


def _text(
    links: Links,
    q: Queries,
    i: int,
    pool: Pool,
    p: int,
    term: str,
    dist: float,
    shared: np.ndarray,
    contrib: dict[str, np.ndarray],
    k: int,
    near_terms: list[str],
) -> str:
    """One term of a reason in words ("" when there is nothing to name)."""
    net = links.net
    if term == "shared_partners":
        if len(shared) == 0:
            return ""
        first = ", ".join(_label(links, int(z)) for z in shared[:2])
        more = f" and {len(shared) - 2} more" if len(shared) > 2 else ""
        return f"shares partner{'s' if len(shared) > 1 else ''} {first}{more}"
    if term == "partner_paths":
        path = _path(links, q, i, pool, p)
        if path is None:
            return ""
        # the term sums every path: say how many there are, not only the strongest
        more = f" and {path[2] - 1} more pair{'s' if path[2] > 2 else ''}" if path[2] > 1 else ""
        return f"partners are twinned: {_label(links, path[0])} with {_label(links, path[1])}{more}"
    if term == "nearby":
        strongest = max(near_terms, key=lambda t: contrib[t][k])
        ab = _nearby(links, q, i, pool, p, strongest)
        return "" if ab is None else _nearby_text(links, q, i, pool, p, ab)
    if term == "distance":
        if not np.isfinite(dist):
            return ""
        lo, hi = links.dist_quartiles
        where = (
            "closer than most"
            if dist < lo
            else "farther than most"
            if dist > hi
            else "a usual distance"
        )
        return f"{dist:,.0f} km: {where}"
    if term == "distance_in_country":
        word = "nearer" if contrib[term][k] > 0 else "farther"
        return f"{word} than most towns of {pool.country[p]}"
    if term == "centrality":
        if contrib[term][k] > 0:
            return f"largest town within {CENTRAL_KM:.0f} km"
        j = int(pool.larger_neighbour()[p])
        if j < 0:
            return ""
        dj = float(
            haversine_km(
                np.degrees(pool.lat_r[p]),
                np.degrees(pool.lon_r[p]),
                np.degrees(pool.lat_r[j]),
                np.degrees(pool.lon_r[j]),
            )
        )
        return (
            f"next to larger {pool.frame['name'].iat[j]} "
            f"({short_number(pool.pop[j])}, {dj:,.0f} km)"
        )
    if term == "country_pair":
        own = net.codes.index[q.cc[i]] if q.cc[i] < net.codes.n else "?"
        word = "common" if contrib[term][k] > 0 else "rare"
        return f"{own}–{pool.country[p]} pairs are {word}"
    if term == "size":
        if not (np.isfinite(q.pop[i]) and np.isfinite(pool.pop[p])):
            return ""
        r = np.log10(pool.pop[p] / q.pop[i])
        word = (
            "size similar"
            if abs(r) < 0.3
            else ("much " if abs(r) >= 1 else "") + ("larger" if r > 0 else "smaller")
        )
        return f"{word} ({short_number(pool.pop[p])} vs {short_number(q.pop[i])})"
    if term == "same_name":
        return "same name"
    if term == "language":
        from twinning_graph.recommend._language import language_names

        names = language_names()
        uniq, which = pool.languages()
        both = sorted(q.languages(net)[i] & uniq[which[p]])
        return f"both {' and '.join(names.get(x, x) for x in both[:2])}-speaking" if both else ""
    if term == "new_country":
        return f"new country for the town ({pool.country[p]})"
    if term == "candidate_ties":
        return _ties_text(links, q, i, pool, p)
    if term == "gap":
        return "the two countries are under-linked"
    return ""


def _nearby_text(links: Links, q: Queries, i: int, pool: Pool, p: int, ab: tuple[int, int]) -> str:
    net = links.net
    a, b = ab
    da = float(haversine_km(q.lat[i], q.lon[i], net.lat[a], net.lon[a]))
    db = float(
        haversine_km(np.degrees(pool.lat_r[p]), np.degrees(pool.lon_r[p]), net.lat[b], net.lon[b])
    )
    if q.row[i] == a and pool.row[p] != b:
        return f"partner {_label(links, b)} is {db:,.0f} km from it"
    if pool.row[p] == b and q.row[i] != a:
        return f"twinned with {_label(links, a)}, {da:,.0f} km away"
    return (
        f"{_label(links, a)} ({da:,.0f} km away) is twinned with "
        f"{_label(links, b)} ({db:,.0f} km from it)"
    )


def _ties_text(links: Links, q: Queries, i: int, pool: Pool, p: int) -> str:
    """``candidate_ties`` in words: the candidate's partners in the town's country."""
    net = links.net
    own = net.codes.index[q.cc[i]] if q.cc[i] < net.codes.n else "?"
    v = int(pool.row[p])
    if v < 0 or links.deg[v] == 0:
        return f"no partner yet (valued as an average town of {pool.country[p]} for {own})"
    n = int(links.ties[v, int(q.cc[i])])  # > 0: a count of 0 contributes 0, never shown
    return f"already twinned with {n} town{'s' if n > 1 else ''} of {own}"
