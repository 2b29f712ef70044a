"""Reasons in words: the largest positive and negative terms of each listed candidate,
naming the shared partner, the path or the nearby pair of twinned towns behind them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from twinning_graph._geo import haversine_km
from twinning_graph.recommend._features import _Queries
from twinning_graph.recommend._links import _Links
from twinning_graph.recommend._places import KERNELS
from twinning_graph.recommend._pool import _Pool

#: Terms listed in a reason: at most this many positive and negative ones, each at least
#: MIN_SHOWN in absolute value.
MAX_POSITIVE, MAX_NEGATIVE, MIN_SHOWN = 3, 2, 0.05


@dataclass
class _Pair:
    """Who links a query town and a candidate: shared partners, a path, a nearby pair."""

    shared: list[int]
    path: tuple[int, int] | None
    nearby: tuple[int, int] | None


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


def _label(links: _Links, row: int) -> str:
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


def links_between(links: _Links, q: _Queries, i: int, pool: _Pool, pos: int, term: str) -> _Pair:
    """Shared partners, the strongest path and the strongest nearby link of one pair."""
    A = links.A
    pu = q.partners.indices[q.partners.indptr[i] : q.partners.indptr[i + 1]]
    v = int(pool.row[pos])
    pv = A.indices[A.indptr[v] : A.indptr[v + 1]] if v >= 0 else np.zeros(0, np.intp)
    shared = np.intersect1d(pu, pv)
    shared = shared[np.argsort(-links.aa_w[shared], kind="stable")]
    path = None
    if len(pu) and len(pv):
        ia, ib = _linked(A, pu, pv)
        if len(ia):
            a, b = pu[ia], pv[ib]
            best = int(np.argmax(links.ra_w[a] * links.ra_w[b]))
            path = (int(a[best]), int(b[best]))
    nearby = None
    if term:
        ku = q.kern[term]
        ka = ku.indices[ku.indptr[i] : ku.indptr[i + 1]]
        wa = ku.data[ku.indptr[i] : ku.indptr[i + 1]]
        kc = pool.kern[term]
        kb = kc.indices[kc.indptr[pos] : kc.indptr[pos + 1]]
        wb = kc.data[kc.indptr[pos] : kc.indptr[pos + 1]]
        if len(ka) and len(kb):
            ia, ib = _linked(A, ka, kb)
            if len(ia):
                best = int(np.argmax(wa[ia] * wb[ib]))
                nearby = (int(ka[ia[best]]), int(kb[ib[best]]))
    return _Pair([int(z) for z in shared], path, nearby)


def reasons(
    links: _Links,
    q: _Queries,
    ri: np.ndarray,
    pool: _Pool,
    pos: np.ndarray,
    contrib: dict[str, np.ndarray],
    d: np.ndarray,
) -> tuple[list[str], np.ndarray]:
    """The reason of each listed (query ``ri``, candidate ``pos``) and its number of shared
    partners. A loop over the listed rows only (n per town)."""
    net = links.net
    lo, hi = links.dist_quartiles
    out: list[str] = []
    common = np.zeros(len(ri), dtype=np.int64)
    names = None
    for k, (i, p) in enumerate(zip(ri, pos, strict=True)):
        near_terms = [t for t in KERNELS if t in contrib]
        near = sum((contrib[t][k] for t in near_terms), 0.0)
        strongest = max(near_terms, key=lambda t: contrib[t][k]) if near_terms else ""
        pair = links_between(links, q, int(i), pool, int(p), strongest if near > 0 else "")
        common[k] = len(pair.shared)
        items: list[tuple[float, str]] = []
        c = contrib.get("shared_partners")
        if c is not None and pair.shared:
            first = ", ".join(_label(links, z) for z in pair.shared[:2])
            more = f" and {len(pair.shared) - 2} more" if len(pair.shared) > 2 else ""
            plural = "s" if len(pair.shared) > 1 else ""
            items.append((c[k], f"shares partner{plural} {first}{more}"))
        c = contrib.get("partner_paths")
        if c is not None and pair.path is not None:
            a, b = pair.path
            items.append(
                (c[k], f"partners are twinned: {_label(links, a)} with {_label(links, b)}")
            )
        if near_terms and pair.nearby is not None:
            items.append((near, _nearby_text(links, q, int(i), pool, int(p), pair.nearby)))
        c = contrib.get("distance")
        if c is not None and np.isfinite(d[k]):
            where = (
                "closer than most"
                if d[k] < lo
                else "farther than most"
                if d[k] > hi
                else "a usual distance"
            )
            items.append((c[k], f"{d[k]:,.0f} km: {where}"))
        c = contrib.get("country_pair")
        if c is not None:
            pair_name = (
                f"{net.codes.index[q.cc[i]] if q.cc[i] < net.codes.n else '?'}–{pool.country[p]}"
            )
            items.append((c[k], f"{pair_name} pairs are {'common' if c[k] > 0 else 'rare'}"))
        c = contrib.get("size")
        if c is not None and np.isfinite(q.pop[i]) and np.isfinite(pool.pop[p]):
            r = np.log10(pool.pop[p] / q.pop[i])
            word = (
                "size similar"
                if abs(r) < 0.3
                else ("much " if abs(r) >= 1 else "") + ("larger" if r > 0 else "smaller")
            )
            items.append(
                (c[k], f"{word} ({short_number(pool.pop[p])} vs {short_number(q.pop[i])})")
            )
        c = contrib.get("same_name")
        if c is not None and c[k] != 0:
            items.append((c[k], "same name"))
        c = contrib.get("language")
        if c is not None and c[k] != 0:
            if names is None:
                from twinning_graph.recommend._language import language_names

                names = language_names()
            uniq, which = pool.languages()
            both = sorted(q.languages(net)[i] & uniq[which[p]])
            words = " and ".join(f"{names.get(x, x)}" for x in both[:2])
            items.append((c[k], f"both {words}-speaking"))
        c = contrib.get("new_country")
        if c is not None and c[k] != 0:
            items.append((c[k], f"new country for the town ({pool.country[p]})"))
        c = contrib.get("gap")
        if c is not None and c[k] != 0:
            items.append((c[k], "the two countries are under-linked"))
        out.append(_assemble(items))
    return out, common


def _nearby_text(
    links: _Links, q: _Queries, i: int, pool: _Pool, p: int, ab: tuple[int, int]
) -> str:
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


def _assemble(items: list[tuple[float, str]]) -> str:
    pos = sorted((x for x in items if x[0] >= MIN_SHOWN), key=lambda x: -x[0])[:MAX_POSITIVE]
    neg = sorted((x for x in items if x[0] <= -MIN_SHOWN), key=lambda x: x[0])[:MAX_NEGATIVE]
    return "; ".join(f"{text} ({value:+.1f})" for value, text in pos + neg)
