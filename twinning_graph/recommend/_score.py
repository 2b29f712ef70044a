"""Scoring: every score part of query towns x candidates, the top n and the reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._geo import EARTH_RADIUS_KM
from twinning_graph.recommend._candidates import _Candidates, _Context, _Pool
from twinning_graph.recommend._model import _CELL_KM, _haversine_rows, _Model
from twinning_graph.recommend._weights import RankWeights

# --------------------------------------------------------------------------- scoring


def _score_rows(
    model: _Model,
    rows: np.ndarray,
    cand: _Candidates,
    w: RankWeights,
    *,
    strategy: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Every score part for query towns ``rows`` (model rows) x candidates, as 2-D arrays."""
    f = cand.frame
    lat, lon = f["lat"].to_numpy(float), f["lon"].to_numpy(float)
    d = _haversine_rows(model.lat[rows], model.lon[rows], lat, lon)
    cn_s, aa_s = model.neighbourhood(rows)
    col = cand.col
    innet = col >= 0
    cn = np.zeros((len(rows), len(col)))
    aa = np.zeros_like(cn)
    cn[:, innet] = cn_s.toarray()[:, col[innet]]
    aa[:, innet] = aa_s.toarray()[:, col[innet]]
    cpop = f["population"].to_numpy(float, na_value=np.nan)
    parts = {
        "distance_km": d,
        "common_partners": cn,
        "adamic_adar": aa,
        "distance_llr": model.distance_term(d),
        "country_llr": model.country_term(model.country[rows], f["country"].to_numpy(str)),
        "size_llr": model.size_term(model.pop[rows], cpop),
    }
    deg = np.where(innet, model.deg[np.maximum(col, 0)], 0.0)
    parts["partners"] = np.broadcast_to(deg, cn.shape)
    plaus = (
        w.adamic_adar * aa
        + w.common_partners * np.log1p(cn)
        + w.distance * parts["distance_llr"]
        + w.country_pair * parts["country_llr"]
        + w.size * parts["size_llr"]
    )
    parts["plausibility"] = plaus
    strat = np.zeros_like(plaus)
    if strategy is not None:
        strat = w.new_country * strategy["new_country"] + w.gap * strategy["gap"]
    parts["strategy"] = strat
    parts["capacity"] = -w.capacity * np.log1p(parts["partners"])
    parts["score"] = plaus + strat + parts["capacity"]
    return parts


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class _Options:
    n: int | None
    source: str
    w: RankWeights
    call: Any  # Call or None
    eu_states: frozenset[str]  # of the call's year (no call: today's)
    codes: frozenset[str] | None
    lo_d: float | None
    hi_d: float | None
    lo_p: float | None
    hi_p: float | None
    candidates: pd.DataFrame | None


# --------------------------------------------------------------------------- ranking core

#: Query towns x candidates scored at once by rank_partners_many (3 MB per float array:
#: small blocks stay in cache; 4 towns at 100,000 candidates, 32 at the bundled 12,352).
_BLOCK_ELEMENTS = 400_000
#: Columns of a ranking (rank_partners), in order; "reason" is added last.
_COLUMNS = (
    "name",
    "country",
    "distance_km",
    "population",
    "partners",
    "in_network",
    "lat",
    "lon",
    "common_partners",
    "adamic_adar",
    "distance_llr",
    "country_llr",
    "size_llr",
    "new_country",
    "gap",
    "plausibility",
    "strategy",
    "capacity",
    "eligible",
    "score",
)
_SCORED = (
    "distance_km",
    "common_partners",
    "adamic_adar",
    "distance_llr",
    "country_llr",
    "size_llr",
    "new_country",
    "gap",
    "plausibility",
    "strategy",
    "score",
)


@dataclass
class _Block:
    """The top candidates of a block of query rows: parallel arrays, best first per row."""

    query: np.ndarray  # model row of the query town
    rank: np.ndarray  # 1, 2, ... within the query
    pos: np.ndarray  # candidate position in the pool
    parts: dict[str, np.ndarray]  # _SCORED values of each (query, candidate)
    empty: list[tuple[int, list[tuple[str, int]]]]  # rows left without candidates + why


def _rank_block(
    ctx: _Context, pool: _Pool, rows: np.ndarray, opt: _Options, gaps: pd.Series | None
) -> _Block:
    """Score model ``rows`` against every candidate of ``pool`` and keep the top ``n``.

    The score is accumulated in one ``len(rows) x pool.n`` array, term by term in the
    order of :func:`_score_rows` (so the values are the same to the last bit); terms that
    depend on the pair of countries (country LLR, strategy) or on the candidate only
    (capacity) are looked up from small tables. The separate features are then computed
    for the top candidates only, with the same expressions.
    """
    model, w, r, N = ctx.model, opt.w, len(rows), pool.n
    ar = np.arange(r)
    # distances: the expressions of _haversine_rows, candidate half precomputed, in place
    p1 = np.radians(model.lat[rows])[:, None]
    dl = pool.lon_r[None, :] - np.radians(model.lon[rows])[:, None]
    d = pool.lat_r[None, :] - p1
    d /= 2
    np.sin(d, out=d)
    d **= 2
    dl /= 2
    np.sin(dl, out=dl)
    dl **= 2
    d += np.cos(p1) * pool.cos_lat[None, :] * dl
    del dl
    np.clip(d, 0.0, 1.0, out=d)
    np.sqrt(d, out=d)
    np.arcsin(d, out=d)
    d *= 2 * EARTH_RADIUS_KM
    # shared partners and Adamic–Adar (sparse products), scattered to candidate positions
    cn_s, aa_s = (sp.csr_array(m) for m in model.neighbourhood(rows))
    cn_r, cn_p = np.repeat(ar, np.diff(cn_s.indptr)), pool.pos_of_row[cn_s.indices]
    cn = np.zeros((r, N))
    cn[cn_r, cn_p] = cn_s.data
    aa = np.zeros((r, N))
    aa[np.repeat(ar, np.diff(aa_s.indptr)), pool.pos_of_row[aa_s.indices]] = aa_s.data
    # plausibility: w.aa * AA + w.cn * log1p(CN) is 0 outside the common-partner pattern
    score = np.zeros((r, N))
    score[cn_r, cn_p] = w.adamic_adar * aa[cn_r, cn_p] + w.common_partners * np.log1p(cn_s.data)
    edge, lo, hi = model.distance_cells()
    c = np.fmin(d * (1.0 / _CELL_KM), len(edge) - 1).astype(np.intp)
    t = np.where(d >= edge[c], hi[c], lo[c])
    del c
    t *= w.distance
    score += t
    q_cc = pool.row_cc_llr[rows]
    np.take(pool.llr_table[q_cc], pool.cc_llr, axis=1, out=t)
    t *= w.country_pair
    score += t
    np.take(model.size_llr[pool.row_pop_bin[rows]], pool.pop_bin, axis=1, out=t)
    t *= w.size
    score += t
    # strategy: a (query, candidate country) table
    Ar = model.A[rows]
    p_row = np.repeat(ar, np.diff(Ar.indptr))
    p_pos = pool.pos_of_row[Ar.indices]
    new_c, gap_c = _strategy_tables(pool, rows, p_row, p_pos, opt, gaps)
    np.take(w.new_country * new_c + w.gap * gap_c, pool.cc, axis=1, out=t)
    score += t
    del t
    capacity = -w.capacity * pool.log1p_deg
    score += capacity

    # filters, in order (a 1-D mask applies to every row)
    self_mask = np.ones((r, N), dtype=bool)
    self_mask[p_row, p_pos] = False
    self_mask[ar, pool.pos_of_row[rows]] = False
    masks: list[tuple[str, np.ndarray]] = [("the town itself and its existing partners", self_mask)]
    if opt.call is not None:
        masks.append(
            (
                f"call={opt.call.call} (eligible countries)",
                pool.code_mask(opt.call.eligible_countries)[pool.cc],
            )
        )
    if opt.codes is not None:
        masks.append((f"countries={sorted(opt.codes)}", pool.code_mask(opt.codes)[pool.cc]))
    if opt.lo_d is not None:
        masks.append((f"min_distance_km={opt.lo_d:g}", d >= opt.lo_d))
    if opt.hi_d is not None:
        masks.append((f"max_distance_km={opt.hi_d:g}", d <= opt.hi_d))
    if opt.lo_p is not None:
        masks.append((f"min_population={opt.lo_p:g}", np.nan_to_num(pool.pop, nan=-1) >= opt.lo_p))
    if opt.hi_p is not None:
        masks.append(
            (f"max_population={opt.hi_p:g}", np.nan_to_num(pool.pop, nan=np.inf) <= opt.hi_p)
        )
    one_d = [m for _, m in masks[1:] if m.ndim == 1]
    keep = self_mask.copy()
    if one_d:
        keep &= np.logical_and.reduce(one_d)
    for _, m in masks[1:]:
        if m.ndim == 2:
            keep &= m
    empty = []
    for i in np.flatnonzero(~keep.any(axis=1)):  # rows without candidates: say why
        k, steps = np.ones(N, dtype=bool), []
        for label, m in masks:
            before = int(k.sum())
            k &= m[i] if m.ndim == 2 else m
            steps.append((label, before - int(k.sum())))
        empty.append((int(rows[i]), steps))

    # top n per row, ties broken by town id: every candidate tied with the n-th competes.
    # The n-th largest of the maxima of blocks of 64 candidates is a lower bound of the
    # n-th best score, cheaper than a partition of all scores; sorting what passes it by
    # (score, id) and keeping n gives the same top n.
    S = score
    S[~keep] = -np.inf
    n = opt.n
    if n is not None and n < N:
        if N >= 256 * n:
            bm = np.maximum.reduceat(S, np.arange(0, N, 64), axis=1)
            cut = -np.partition(-bm, n - 1, axis=1)[:, n - 1]
        else:
            cut = -np.partition(-S, n - 1, axis=1)[:, n - 1]
        keep &= S >= cut[:, None]
    ri, pos = np.nonzero(keep)
    order = np.lexsort((pool.id_rank[pos], -S[ri, pos], ri))
    ri, pos = ri[order], pos[order]
    rank = np.arange(len(ri)) - np.searchsorted(ri, ri, side="left") + 1
    if n is not None:
        top = rank <= n
        ri, pos, rank = ri[top], pos[top], rank[top]

    # the features of the top candidates, with the expressions of _score_rows
    q = rows[ri]
    out = {"distance_km": d[ri, pos], "common_partners": cn[ri, pos], "adamic_adar": aa[ri, pos]}
    out["distance_llr"] = model.distance_term(out["distance_km"])
    out["country_llr"] = pool.llr_table[pool.row_cc_llr[q], pool.cc_llr[pos]]
    out["size_llr"] = model.size_llr[pool.row_pop_bin[q], pool.pop_bin[pos]]
    out["new_country"] = new_c[ri, pool.cc[pos]]
    out["gap"] = gap_c[ri, pool.cc[pos]]
    out["plausibility"] = (
        w.adamic_adar * out["adamic_adar"]
        + w.common_partners * np.log1p(out["common_partners"])
        + w.distance * out["distance_llr"]
        + w.country_pair * out["country_llr"]
        + w.size * out["size_llr"]
    )
    out["strategy"] = w.new_country * out["new_country"] + w.gap * out["gap"]
    out["capacity"] = capacity[pos]
    out["score"] = out["plausibility"] + out["strategy"] + out["capacity"]
    return _Block(query=q, rank=rank, pos=pos, parts=out, empty=empty)


def _strategy_tables(
    pool: _Pool,
    rows: np.ndarray,
    p_row: np.ndarray,
    p_pos: np.ndarray,
    opt: _Options,
    gaps: pd.Series | None,
) -> tuple[np.ndarray, np.ndarray]:
    """``new_country`` and ``gap`` of each query row x candidate country code (floats).

    new_country: 1 when the country is neither the town's nor one of its partners';
    gap: for a town of an EU Member State, the under-linking of the pair with another EU
    Member State (:func:`_gap_table`), else 0.
    """
    r, k = len(rows), len(pool.codes)
    own = pool.row_cc[rows]
    reached = np.zeros((r, k), dtype=bool)
    reached[p_row, pool.cc[p_pos]] = True
    reached[np.arange(r), own] = True
    new_c = (~reached).astype(float)
    gap_c = np.zeros((r, k))
    if gaps is not None:
        eu = pool.code_mask(opt.eu_states)
        qe = np.flatnonzero(eu[own])
        ok = eu[None, :] & (np.arange(k)[None, :] != own[qe][:, None])
        gap_c[qe] = np.where(ok, pool.gap_matrix(gaps)[own[qe]], 0.0)
    return new_c, gap_c


def _frame(pool: _Pool, block: _Block, own_country: Sequence[str]) -> pd.DataFrame:
    """The ranking columns for the candidates of ``block`` (indexed by candidate town_id)."""
    base = pool.frame.iloc[block.pos]
    p = block.parts
    cols: dict[str, Any] = {}
    for k in _COLUMNS:
        if k in ("name", "country", "population", "in_network", "lat", "lon"):
            cols[k] = base[k].array
        elif k == "partners":
            cols[k] = pool.deg[block.pos].astype("int64")
        elif k == "common_partners":
            cols[k] = p[k].astype("int64")
        elif k == "new_country":
            cols[k] = p[k].astype(bool)
        elif k == "eligible":
            cols[k] = np.ones(len(block.pos), dtype=bool)
        else:
            cols[k] = p[k]
    out = pd.DataFrame(cols, index=base.index.rename("town_id"))
    out["reason"] = _reasons(out, own_country)
    return out


def _reasons(top: pd.DataFrame, own_country: Sequence[str]) -> list[str]:
    """A short explanation per row (top-n rows only, so the loop is bounded by n x towns)."""
    cols = (
        "common_partners",
        "distance_km",
        "country_llr",
        "size_llr",
        "new_country",
        "gap",
        "in_network",
        "partners",
        "country",
    )
    out = []
    for own, cp, dist, c_llr, s_llr, new_c, gap, innet, partners, country in zip(
        own_country, *(top[c].to_numpy() for c in cols), strict=True
    ):
        bits = []
        if cp > 0:
            k = int(cp)
            bits.append(f"{k} shared partner{'s' if k > 1 else ''}")
        bits.append(f"{dist:,.0f} km")
        if c_llr >= 1.0:
            bits.append(f"{own}–{country} twinning is common")
        elif c_llr <= -1.0:
            bits.append(f"{own}–{country} twinning is rare")
        if s_llr >= 1.0:
            bits.append("towns of these sizes often twin")
        if new_c > 0:
            bits.append(f"new country ({country})")
        if gap > 0:
            bits.append(f"{own}–{country} under-linked")
        if not innet:
            bits.append("no partner yet")
        elif partners >= 10:
            bits.append(f"already {int(partners)} partners")
        out.append("; ".join(bits))
    return out
