"""Ranking candidate partner towns for one town.

The score of a candidate is a weighted sum (a log-linear model) of explainable parts:

``plausibility`` — what the network itself says about the pair:
    Adamic–Adar and common partners (through twinnings and project memberships: both are
    links of ``data.edges``), and three naive-Bayes log-likelihood ratios learnt from the
    links of the data: how often links span this *distance* compared with random town
    pairs, how often the two *countries* are twinned compared with what their numbers of
    towns would give, and how often towns of these two *sizes* are twinned.
``strategy`` — what the town would gain:
    a country its partners do not reach yet, an EU Member State pair that the gap model
    (:func:`twinning_graph.gaps.country_pair_gaps`) finds under-linked.
``capacity`` — towns that already hold many partnerships are less likely to take another:
    ``-log(1 + partners)``.
``eligibility`` — a filter: only towns of countries eligible for the chosen call.

The defaults of :class:`RankWeights` were tuned with the backtest of
:mod:`twinning_graph.evaluate` (see ``docs/ranking.md``).
"""

from __future__ import annotations

import functools
import logging
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._errors import ValidationError
from twinning_graph.graph import adjacency, as_frames
from twinning_graph.io import EARTH_RADIUS_KM, TwinningData

__all__ = ["RankWeights", "rank_partners", "rank_partners_many", "SOURCES"]

logger = logging.getLogger(__name__)

#: Where candidates come from.
SOURCES = ("network", "gazetteer")

#: Log-spaced distance bins (km) of the distance kernel.
_DIST_EDGES = np.concatenate([[0.0], np.geomspace(2.0, 20_000.0, 41), [np.inf]])
#: log10(population) bins of the size kernel; the last bin holds unknown populations.
_POP_EDGES = np.array([-np.inf, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, np.inf])
_N_RANDOM_PAIRS = 200_000


@dataclass(frozen=True)
class RankWeights:
    """Weights of the score components (all may be 0; negative values invert a term).

    Plausibility = ``adamic_adar * AA + common_partners * log(1 + CN) + distance * LLR_d +
    country_pair * LLR_c + size * LLR_s``; strategy = ``new_country * [new country] +
    gap * underlink``; capacity = ``-capacity * log(1 + partners)``.
    Defaults are tuned on backtest seed 0 and reported on seed 1 (``docs/ranking.md``).
    """

    adamic_adar: float = 2.0
    common_partners: float = 1.5
    distance: float = 0.6
    country_pair: float = 0.6
    size: float = 0.25
    new_country: float = 0.5
    gap: float = 0.3
    capacity: float = 0.4

    @classmethod
    def coerce(cls, value: RankWeights | Mapping[str, float] | None) -> RankWeights:
        """A :class:`RankWeights` from None (defaults), a mapping of overrides or itself."""
        if value is None:
            return cls()
        if isinstance(value, RankWeights):
            return value
        if not isinstance(value, Mapping):
            raise ValidationError(
                f"weights must be a RankWeights or a dict, got {type(value).__name__}")
        names = {f.name for f in fields(cls)}
        bad = sorted(set(value) - names)
        if bad:
            raise ValidationError(f"unknown weight{'s' if len(bad) > 1 else ''} {bad}; "
                                  f"allowed: {sorted(names)}")
        try:
            vals = {k: float(v) for k, v in value.items()}
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"weights must be numbers, got {dict(value)!r}") from exc
        if not all(np.isfinite(v) for v in vals.values()):
            raise ValidationError(f"weights must be finite numbers, got {vals}")
        return replace(cls(), **vals)

    def without_strategy(self) -> RankWeights:
        """The same weights with the strategy terms switched off (what the backtest scores)."""
        return replace(self, new_country=0.0, gap=0.0)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


# --------------------------------------------------------------------------- geometry


def _haversine_rows(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                    lon2: np.ndarray) -> np.ndarray:
    """Distances (km) from each of ``len(lat1)`` points to each of ``len(lat2)`` points."""
    p1 = np.radians(np.asarray(lat1, float))[:, None]
    p2 = np.radians(np.asarray(lat2, float))[None, :]
    dl = np.radians(np.asarray(lon2, float))[None, :] - np.radians(np.asarray(lon1, float))[:, None]
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


_CELL_KM = 0.1  # < 1/3 of the smallest gap between two distance-bin edges (0.52 km)


@functools.cache
def _distance_cells() -> tuple[np.ndarray, np.ndarray]:
    """Look-up tables of :func:`_distance_bin`, one entry per 0.1 km cell up to 20,100 km.

    For cell ``c`` (``d`` in ``[c, c + 1) x 0.1 km``, give or take rounding) the window
    ``[(c - 1), (c + 2)) x 0.1 km`` holds at most one bin edge: ``base[c]`` counts the
    edges below the window and ``edge[c]`` is the edge inside it (inf if none).
    """
    finite = _DIST_EDGES[:-1]
    c = np.arange(int(20_100 / _CELL_KM) + 3)
    lo, hi = (c - 1) * _CELL_KM, (c + 2) * _CELL_KM
    base = np.searchsorted(finite, lo, side="left")
    nxt = np.append(finite, np.inf)[base]
    edge = np.where(nxt < hi, nxt, np.inf)
    after = np.append(finite, [np.inf, np.inf])[base + 1]
    if (after < hi).any():  # two edges in a window: the cells would be too coarse
        raise RuntimeError("internal error: distance cells too coarse for the bin edges")
    return base, edge


def _distance_bin(d: np.ndarray) -> np.ndarray:
    """``np.searchsorted(_DIST_EDGES, d, side="right") - 1``, exactly, in a few array passes.

    A table look-up on a 0.1 km grid plus one comparison with the single bin edge near
    ``d`` (searchsorted costs ~30 ns per value; this ~5). NaN gives the last bin.
    """
    base, edge = _distance_cells()
    c = np.fmin(np.asarray(d, float) * (1.0 / _CELL_KM), len(base) - 1).astype(np.intp)
    out = base[c]
    out += np.asarray(d >= edge[c])
    out -= 1
    return np.where(np.isnan(d), len(_DIST_EDGES) - 1, out)


def _pop_bin(pop: np.ndarray) -> np.ndarray:
    """Size-kernel bin of each population (NaN or <= 0: the 'unknown' bin)."""
    pop = np.asarray(pop, float)
    known = np.isfinite(pop) & (pop > 0)
    out = np.full(pop.shape, len(_POP_EDGES) - 1, dtype=np.int64)
    out[known] = np.searchsorted(_POP_EDGES, np.log10(pop[known]), side="right") - 1
    return out


# --------------------------------------------------------------------------- the model


class _Model:
    """Everything the score needs, fitted once on a towns/edges pair (training links).

    Built from whole arrays: the adjacency matrix, Adamic–Adar column weights, and three
    log-likelihood-ratio tables (country pair, distance bin, size-bin pair) comparing the
    links with all town pairs.
    """

    def __init__(self, towns: pd.DataFrame, edges: pd.DataFrame) -> None:
        self.towns = towns
        self.index = towns.index
        A, _ = adjacency(towns, edges)
        A = (A > 0).astype(np.float64)
        self.A = sp.csr_array(A)
        self.deg = np.asarray(self.A.sum(axis=1)).ravel()
        with np.errstate(divide="ignore"):
            w = np.where(self.deg > 1, 1.0 / np.log(np.maximum(self.deg, 2)), 0.0)
        self.aa_w = w
        self.lat = towns["lat"].to_numpy(float)
        self.lon = towns["lon"].to_numpy(float)
        self.pop = pd.to_numeric(towns["population"], errors="coerce").to_numpy(float,
                                                                              na_value=np.nan)
        self.country = towns["country"].astype(str).to_numpy()
        ia = self.index.get_indexer(edges["town_a"])
        ib = self.index.get_indexer(edges["town_b"])
        ok = (ia >= 0) & (ib >= 0) & (ia != ib)
        self.ia, self.ib = ia[ok], ib[ok]
        self.n_links = int(ok.sum())
        self._fit_country()
        self._fit_distance()
        self._fit_size()

    # country pair -----------------------------------------------------------
    def _fit_country(self) -> None:
        codes, inv = np.unique(self.country, return_inverse=True)
        self.codes = pd.Index(codes)
        k = len(codes)
        obs = np.zeros((k, k))
        np.add.at(obs, (inv[self.ia], inv[self.ib]), 1.0)
        obs = obs + obs.T - np.diag(np.diag(obs))
        t = np.bincount(inv, minlength=k).astype(float)
        n = len(self.country)
        n_pairs = max(n * (n - 1) / 2, 1.0)
        exp = np.outer(t, t)
        np.fill_diagonal(exp, t * (t - 1) / 2)
        exp = self.n_links * exp / n_pairs
        # (observed + 1) / (expected + 1): a log ratio that shrinks rare pairs towards 0
        self.country_llr = np.log((obs + 1.0) / (exp + 1.0))
        self.country_obs = obs

    def country_term(self, qc: np.ndarray, cc: np.ndarray) -> np.ndarray:
        """LLR of the country pair for query countries ``qc`` x candidate countries ``cc``."""
        qi = self.codes.get_indexer(qc)
        ci = self.codes.get_indexer(cc)
        table = np.pad(self.country_llr, ((0, 1), (0, 1)))  # unseen country -> 0
        return table[qi[:, None], ci[None, :]]

    # distance -----------------------------------------------------------------
    def _fit_distance(self) -> None:
        n = len(self.lat)
        d_link = _haversine_one(self.lat[self.ia], self.lon[self.ia], self.lat[self.ib],
                                self.lon[self.ib])
        rng = np.random.default_rng(20170501)  # fixed: the kernel is a property of the data
        if n > 1:
            a = rng.integers(0, n, _N_RANDOM_PAIRS)
            b = rng.integers(0, n, _N_RANDOM_PAIRS)
            keep = a != b
            d_rand = _haversine_one(self.lat[a[keep]], self.lon[a[keep]], self.lat[b[keep]],
                                    self.lon[b[keep]])
        else:
            d_rand = np.array([])
        nb = len(_DIST_EDGES) - 1
        hl = np.histogram(d_link[np.isfinite(d_link)], _DIST_EDGES)[0].astype(float)
        hr = np.histogram(d_rand[np.isfinite(d_rand)], _DIST_EDGES)[0].astype(float)
        pl = (hl + 0.5) / (hl.sum() + 0.5 * nb)
        pr = (hr + 0.5) / (hr.sum() + 0.5 * nb)
        self.dist_llr = np.log(pl / pr)

    def distance_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per 0.1 km cell (see :func:`_distance_cells`): the bin edge near it and the LLR
        below and above that edge; the last cell (NaN distances) gives 0 like
        :meth:`distance_term`."""
        cells = self.__dict__.get("_distance_cells")
        if cells is None:
            base, edge = _distance_cells()
            top = len(self.dist_llr) - 1
            lo = self.dist_llr[np.clip(base - 1, 0, top)]
            hi = self.dist_llr[np.clip(base, 0, top)]
            lo[-1] = hi[-1] = 0.0
            cells = self.__dict__["_distance_cells"] = (edge, lo, hi)
        return cells

    def distance_term(self, d: np.ndarray) -> np.ndarray:
        b = np.clip(_distance_bin(d), 0, len(self.dist_llr) - 1)
        out = self.dist_llr[b]
        return np.where(np.isfinite(d), out, 0.0)

    # size -----------------------------------------------------------------------
    def _fit_size(self) -> None:
        nb = len(_POP_EDGES)  # bins + unknown
        b = _pop_bin(self.pop)
        obs = np.zeros((nb, nb))
        np.add.at(obs, (b[self.ia], b[self.ib]), 1.0)
        obs = obs + obs.T - np.diag(np.diag(obs))
        t = np.bincount(b, minlength=nb).astype(float)
        n = len(b)
        n_pairs = max(n * (n - 1) / 2, 1.0)
        exp = np.outer(t, t)
        np.fill_diagonal(exp, t * (t - 1) / 2)
        exp = self.n_links * exp / n_pairs
        self.size_llr = np.log((obs + 1.0) / (exp + 1.0))

    def size_term(self, qpop: np.ndarray, cpop: np.ndarray) -> np.ndarray:
        return self.size_llr[_pop_bin(qpop)[:, None], _pop_bin(cpop)[None, :]]

    # neighbourhood ----------------------------------------------------------------
    def neighbourhood(self, rows: np.ndarray) -> tuple[sp.csr_array, sp.csr_array]:
        """Common partners and Adamic–Adar of ``rows`` with every town (sparse, rows x N).

        ``A[rows] @ A`` counts shared partners; ``A[rows] @ diag(1/log deg) @ A`` is the
        Adamic–Adar index (Adamic & Adar 2003), as in ``networkx.adamic_adar_index``.
        """
        Ar = self.A[rows]
        cn = sp.csr_array(Ar @ self.A)
        aa = sp.csr_array((Ar * self.aa_w[None, :]) @ self.A)
        return cn, aa


def _haversine_one(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    from twinning_graph.io import _haversine_km

    return _haversine_km(lat1, lon1, lat2, lon2)


@dataclass
class _Candidates:
    """Candidate towns as arrays; ``col`` is the row in the model (-1: not in the network)."""

    frame: pd.DataFrame  # indexed by town_id: name, country, lat, lon, population, in_network
    col: np.ndarray


def _network_candidates(model: _Model) -> _Candidates:
    t = model.towns
    frame = pd.DataFrame({
        "name": t["name"].astype(str), "country": t["country"].astype(str),
        "lat": t["lat"].astype(float), "lon": t["lon"].astype(float),
        "population": pd.to_numeric(t["population"], errors="coerce").astype("Int64"),
        "geonames_id": (pd.to_numeric(t["geonames_id"], errors="coerce").astype("Int64")
                        if "geonames_id" in t else pd.array([pd.NA] * len(t), dtype="Int64")),
        "in_network": True,
    }, index=t.index)
    return _Candidates(frame, np.arange(len(t)))


def _gazetteer_candidates(model: _Model, places: pd.DataFrame | None) -> _Candidates:
    """Network towns plus gazetteer places, merged by ``geonames_id`` (vectorised)."""
    if places is None:
        from twinning_graph._gazetteer import places as gaz_places

        places = gaz_places(min_population=1000)
    g = places
    if "geonames_id" in g.columns:
        g = g.set_index("geonames_id")
    missing = [c for c in ("name", "country", "lat", "lon") if c not in g.columns]
    if missing:
        raise ValidationError(f"candidates DataFrame lacks column(s) {missing}; needs "
                              "geonames_id (index or column), name, country, lat, lon, "
                              "population")
    net = _network_candidates(model)
    gid = pd.Index(pd.to_numeric(pd.Series(g.index), errors="coerce").astype("Int64"))
    matched = gid.isin(net.frame["geonames_id"].dropna())
    pop = (pd.to_numeric(g["population"], errors="coerce") if "population" in g.columns
           else pd.Series(np.nan, index=g.index))
    pop = pop.where(pop > 0)  # GeoNames 0 = unknown
    new = g.loc[~np.asarray(matched)]
    new_gid = gid[~np.asarray(matched)]
    extra = pd.DataFrame({
        "name": new["name"].astype(str).to_numpy(),
        "country": new["country"].astype(str).to_numpy(),
        "lat": new["lat"].astype(float).to_numpy(),
        "lon": new["lon"].astype(float).to_numpy(),
        "population": pd.array(pop.loc[~np.asarray(matched)].round().to_numpy(),
                               dtype="Int64"),
        "geonames_id": pd.array(new_gid, dtype="Int64"),
        "in_network": False,
    }, index=pd.Index("geonames:" + pd.Series(new_gid.astype(str)).to_numpy(dtype=object),
                      name="town_id", dtype=str))
    # network towns without a population take the gazetteer's
    gpop = pd.Series(pop.to_numpy(), index=gid).groupby(level=0).first()
    fill = net.frame["geonames_id"].map(gpop)
    fill = pd.Series(pd.array(fill.round().to_numpy(), dtype="Int64"), index=net.frame.index)
    net_frame = net.frame.assign(population=net.frame["population"].fillna(fill))
    frame = pd.concat([net_frame, extra])
    col = np.concatenate([net.col, np.full(len(extra), -1)])
    return _Candidates(frame, col)


# --------------------------------------------------------------------------- scoring


def _score_rows(model: _Model, rows: np.ndarray, cand: _Candidates,
                w: RankWeights, *, strategy: dict[str, np.ndarray] | None = None
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
    plaus = (w.adamic_adar * aa + w.common_partners * np.log1p(cn)
             + w.distance * parts["distance_llr"] + w.country_pair * parts["country_llr"]
             + w.size * parts["size_llr"])
    parts["plausibility"] = plaus
    strat = np.zeros_like(plaus)
    if strategy is not None:
        strat = w.new_country * strategy["new_country"] + w.gap * strategy["gap"]
    parts["strategy"] = strat
    parts["capacity"] = -w.capacity * np.log1p(parts["partners"])
    parts["score"] = plaus + strat + parts["capacity"]
    return parts


def _gap_table(obj: Any) -> pd.Series | None:
    """Under-linking of country pairs, ``max(0, -log(observed / expected))``, from gaps.py."""
    try:
        from twinning_graph.gaps import country_pair_gaps
    except ImportError:
        logger.info("twinning_graph.gaps not available; the 'gap' strategy term is 0")
        return None
    import warnings

    try:
        with warnings.catch_warnings(record=True) as caught:  # auxiliary: log, don't warn
            warnings.simplefilter("always")
            g = country_pair_gaps(obj)
        for c in caught:
            logger.info("gap model: %s", c.message)
    except Exception as exc:  # the gap model is optional for ranking
        logger.warning("gap model failed (%s); the 'gap' strategy term is 0", exc)
        return None
    if g is None or len(g) == 0:
        return None
    g = g.reset_index() if "country_a" not in g.columns else g
    ratio = pd.to_numeric(g["ratio"], errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        under = -np.log(ratio)
    # 0 for pairs at or above expectation, at most 2 (ratio <= e^-2, or no link at all);
    # only pairs the model calls under-linked allowing for overdispersion (quasi p < 0.1)
    under = np.clip(np.nan_to_num(under, nan=0.0, posinf=2.0), 0.0, 2.0)
    if "p_value_quasi" in g.columns:
        sig = pd.to_numeric(g["p_value_quasi"], errors="coerce").to_numpy(float) < 0.1
        under = np.where(sig, under, 0.0)
    a, b = g["country_a"].astype(str).to_numpy(), g["country_b"].astype(str).to_numpy()
    s = pd.Series(np.concatenate([under, under]),
                  index=pd.MultiIndex.from_arrays([np.concatenate([a, b]),
                                                   np.concatenate([b, a])]))
    return s[~s.index.duplicated()]


# --------------------------------------------------------------------------- cache
#
# Fitting the model (adjacency, string look-ups, likelihood tables), preparing the
# candidates and fitting the gap model take ~0.7 s at 100,000 towns, while scoring one town
# takes a few ms. They depend on the towns and edges only, so they are computed once per
# data object and reused. TwinningData is treated as immutable (``data.filter()`` returns a
# new object); the cache is keyed by the data object (weakly: it goes when the data go) and
# checked against the identity of ``data.towns`` and ``data.edges``, so reassigning either
# refits. A networkx graph is never cached: its frames are rebuilt on every call.


class _Pool:
    """Candidates prepared once for scoring: integer codes and positions, no strings.

    ``frame`` and ``col`` as in :class:`_Candidates`; per candidate: radians and cosine of
    the latitude (the candidate half of :func:`_haversine_rows`), population and its size
    bin, country code ``cc`` (index into ``codes``) and country-LLR index ``cc_llr``,
    partners ``deg`` and ``log1p(deg)``, and ``id_rank`` (order of the town ids, the
    tie-break). ``pos_of_row`` maps a model row to its candidate position.
    """

    def __init__(self, model: _Model, cand: _Candidates) -> None:
        f = cand.frame
        self.frame = f
        self.col = np.asarray(cand.col, dtype=np.intp)
        self.n = len(f)
        self.lat_r = np.radians(f["lat"].to_numpy(float))
        self.lon_r = np.radians(f["lon"].to_numpy(float))
        self.cos_lat = np.cos(self.lat_r)
        self.pop = f["population"].to_numpy(float, na_value=np.nan)
        self.pop_bin = _pop_bin(self.pop)
        codes, cc = np.unique(f["country"].astype(str).to_numpy(dtype=object).astype(str),
                              return_inverse=True)
        self.codes = codes
        self.cc = cc.astype(np.intp)
        k = len(model.codes)
        to_model = model.codes.get_indexer(codes)
        self.cc_llr = np.where(to_model >= 0, to_model, k)[self.cc]  # k: the padded 0 row
        self.llr_table = np.pad(model.country_llr, ((0, 1), (0, 1)))
        innet = self.col >= 0
        self.deg = np.where(innet, model.deg[np.maximum(self.col, 0)], 0.0)
        self.log1p_deg = np.log1p(self.deg)
        self.pos_of_row = np.full(len(model.index), -1, dtype=np.intp)
        self.pos_of_row[self.col[innet]] = np.flatnonzero(innet)
        if (self.pos_of_row < 0).any():  # every network town is a candidate
            raise RuntimeError("internal error: network towns missing from the candidates")
        self.row_cc = self.cc[self.pos_of_row]
        self.row_cc_llr = self.cc_llr[self.pos_of_row]
        self.row_pop_bin = _pop_bin(model.pop)
        ids = f.index.to_numpy(dtype=object).astype(str)
        self.id_rank = np.empty(self.n, dtype=np.intp)
        self.id_rank[np.argsort(ids, kind="stable")] = np.arange(self.n)
        self._gap: tuple[pd.Series, np.ndarray] | None = None

    def code_mask(self, countries: Iterable[str]) -> np.ndarray:
        """Boolean over ``codes``: the code is one of ``countries``."""
        return np.isin(self.codes, np.array(sorted(map(str, countries)), dtype=str))

    def gap_matrix(self, gaps: pd.Series) -> np.ndarray:
        """The gap table as a ``codes x codes`` array (0 where the table has no value)."""
        if self._gap is not None and self._gap[0] is gaps:
            return self._gap[1]
        k = len(self.codes)
        idx = pd.Index(self.codes)
        ia = idx.get_indexer(gaps.index.get_level_values(0).astype(str))
        ib = idx.get_indexer(gaps.index.get_level_values(1).astype(str))
        ok = (ia >= 0) & (ib >= 0)
        G = np.zeros((k, k))
        G[ia[ok], ib[ok]] = np.nan_to_num(gaps.to_numpy(float)[ok])
        self._gap = (gaps, G)
        return G


_UNSET: Any = object()


class _Context:
    """The fitted model, prepared candidates and gap table of one towns/edges pair."""

    def __init__(self, towns: pd.DataFrame, edges: pd.DataFrame) -> None:
        self.towns, self.edges = towns, edges
        self.shape = (len(towns), len(edges))
        self.model = _Model(towns, edges)
        self._pools: dict[str, _Pool] = {}
        self._gaps: pd.Series | None = _UNSET

    def valid_for(self, towns: pd.DataFrame, edges: pd.DataFrame) -> bool:
        return (self.towns is towns and self.edges is edges
                and self.shape == (len(towns), len(edges)))

    def pool(self, source: str, candidates: pd.DataFrame | None = None) -> _Pool:
        """Prepared candidates; a user ``candidates`` frame is not cached (it may change)."""
        if candidates is not None:
            return _Pool(self.model, _gazetteer_candidates(self.model, candidates))
        pool = self._pools.get(source)
        if pool is None:
            cand = (_network_candidates(self.model) if source == "network"
                    else _gazetteer_candidates(self.model, None))
            pool = self._pools[source] = _Pool(self.model, cand)
        return pool

    def gaps(self, obj: Any) -> pd.Series | None:
        if self._gaps is _UNSET:
            self._gaps = _gap_table(obj)
        return self._gaps


_CACHE: weakref.WeakKeyDictionary[TwinningData, _Context] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _context(data: TwinningData | nx.Graph, towns: pd.DataFrame | None = None,
             edges: pd.DataFrame | None = None) -> _Context:
    """The (cached, for TwinningData) scoring context of ``data``."""
    if towns is None or edges is None:
        towns, edges = as_frames(data)
    if not isinstance(data, TwinningData):
        return _Context(towns, edges)
    with _CACHE_LOCK:
        ctx = _CACHE.get(data)
    if ctx is None or not ctx.valid_for(towns, edges):
        ctx = _Context(towns, edges)  # fitted outside the lock; a race fits twice, harmlessly
        with _CACHE_LOCK:
            _CACHE[data] = ctx
    return ctx


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


def _check_basic(n: Any, source: Any, candidates: Any) -> None:
    if source not in SOURCES:
        raise ValidationError(f"source must be one of {list(SOURCES)}, got {source!r}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValidationError(f"n must be a positive integer or None, got {n!r}")
    if candidates is not None and source != "gazetteer":
        raise ValidationError("candidates= is used only with source='gazetteer'")


def _options(*, n: Any, source: str, w: RankWeights, call: Any, countries: Any,
             min_distance_km: Any, max_distance_km: Any, min_population: Any,
             max_population: Any, candidates: pd.DataFrame | None) -> _Options:
    the_call, eu_states = _resolve_call(call)
    lo_d, hi_d = _number("min_distance_km", min_distance_km), _number("max_distance_km",
                                                                      max_distance_km)
    lo_p, hi_p = _number("min_population", min_population), _number("max_population",
                                                                     max_population)
    if lo_d is not None and hi_d is not None and lo_d > hi_d:
        raise ValidationError(f"min_distance_km={lo_d} is larger than max_distance_km={hi_d}")
    if lo_p is not None and hi_p is not None and lo_p > hi_p:
        raise ValidationError(f"min_population={lo_p} is larger than max_population={hi_p}")
    codes = None
    if countries is not None:
        from twinning_graph.countries import normalise_country

        codes = frozenset(normalise_country(pd.Series(
            [countries] if isinstance(countries, str) else list(countries), dtype=object)))
    return _Options(n=None if n is None else int(n), source=source, w=w, call=the_call,
                    eu_states=eu_states, codes=codes, lo_d=lo_d, hi_d=hi_d, lo_p=lo_p, hi_p=hi_p,
                    candidates=candidates)


def _check_town(towns: pd.DataFrame, town_id: Any) -> str:
    if not isinstance(town_id, str):
        raise ValidationError(f"town_id must be a string such as 'DE-berlin', got {town_id!r}")
    if town_id not in towns.index:
        import difflib

        from twinning_graph._errors import UnknownTownError

        close = difflib.get_close_matches(town_id, list(towns.index), n=3)
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        raise UnknownTownError(
            f"unknown town_id {town_id!r}{hint}; valid ids are the index of data.towns "
            f"({len(towns)} towns)")
    return town_id


#: Resolved calls by the string given ("latest" or a topic id), with their EU Member States
#: (building a Call costs ~5 ms of table work, more than a warm ranking call).
_CALLS: dict[str, tuple[Any, frozenset[str]]] = {}


def _resolve_call(call: Any) -> tuple[Any, frozenset[str]]:
    """``(Call or None, EU Member States of its year or today)``; memoised for strings.

    A call whose look-up warns (an unconfirmed rule) is not memoised, so it warns each time.
    """
    if call is None:
        return None, _eu_now()
    if isinstance(call, str) and call in _CALLS:
        return _CALLS[call]
    import warnings

    from twinning_graph.calls import get_call

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        the_call = get_call(None if call == "latest" else call)
    for c in caught:
        warnings.warn(c.message, c.category, stacklevel=4)
    out = (the_call, frozenset(the_call.eu_states))
    if isinstance(call, str) and not caught:
        _CALLS[call] = out
    return out


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValidationError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _eu_now() -> frozenset[str]:
    from twinning_graph.countries import EU27

    return EU27


# --------------------------------------------------------------------------- ranking core

#: Query towns x candidates scored at once by rank_partners_many (3 MB per float array:
#: small blocks stay in cache; 4 towns at 100,000 candidates, 32 at the bundled 12,352).
_BLOCK_ELEMENTS = 400_000
#: Columns of a ranking (rank_partners), in order; "reason" is added last.
_COLUMNS = ("name", "country", "distance_km", "population", "partners", "in_network", "lat",
            "lon", "common_partners", "adamic_adar", "distance_llr", "country_llr",
            "size_llr", "new_country", "gap", "plausibility", "strategy", "capacity",
            "eligible", "score")
_SCORED = ("distance_km", "common_partners", "adamic_adar", "distance_llr", "country_llr",
           "size_llr", "new_country", "gap", "plausibility", "strategy", "score")


@dataclass
class _Block:
    """The top candidates of a block of query rows: parallel arrays, best first per row."""

    query: np.ndarray  # model row of the query town
    rank: np.ndarray  # 1, 2, ... within the query
    pos: np.ndarray  # candidate position in the pool
    parts: dict[str, np.ndarray]  # _SCORED values of each (query, candidate)
    empty: list[tuple[int, list[tuple[str, int]]]]  # rows left without candidates + why


def _rank_block(ctx: _Context, pool: _Pool, rows: np.ndarray, opt: _Options,
                gaps: pd.Series | None) -> _Block:
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
    masks: list[tuple[str, np.ndarray]] = [
        ("the town itself and its existing partners", self_mask)]
    if opt.call is not None:
        masks.append((f"call={opt.call.call} (eligible countries)",
                      pool.code_mask(opt.call.eligible_countries)[pool.cc]))
    if opt.codes is not None:
        masks.append((f"countries={sorted(opt.codes)}", pool.code_mask(opt.codes)[pool.cc]))
    if opt.lo_d is not None:
        masks.append((f"min_distance_km={opt.lo_d:g}", d >= opt.lo_d))
    if opt.hi_d is not None:
        masks.append((f"max_distance_km={opt.hi_d:g}", d <= opt.hi_d))
    if opt.lo_p is not None:
        masks.append((f"min_population={opt.lo_p:g}",
                      np.nan_to_num(pool.pop, nan=-1) >= opt.lo_p))
    if opt.hi_p is not None:
        masks.append((f"max_population={opt.hi_p:g}",
                      np.nan_to_num(pool.pop, nan=np.inf) <= opt.hi_p))
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
    out = {"distance_km": d[ri, pos], "common_partners": cn[ri, pos],
           "adamic_adar": aa[ri, pos]}
    out["distance_llr"] = model.distance_term(out["distance_km"])
    out["country_llr"] = pool.llr_table[pool.row_cc_llr[q], pool.cc_llr[pos]]
    out["size_llr"] = model.size_llr[pool.row_pop_bin[q], pool.pop_bin[pos]]
    out["new_country"] = new_c[ri, pool.cc[pos]]
    out["gap"] = gap_c[ri, pool.cc[pos]]
    out["plausibility"] = (
        w.adamic_adar * out["adamic_adar"] + w.common_partners * np.log1p(out["common_partners"])
        + w.distance * out["distance_llr"] + w.country_pair * out["country_llr"]
        + w.size * out["size_llr"])
    out["strategy"] = w.new_country * out["new_country"] + w.gap * out["gap"]
    out["capacity"] = capacity[pos]
    out["score"] = out["plausibility"] + out["strategy"] + out["capacity"]
    return _Block(query=q, rank=rank, pos=pos, parts=out, empty=empty)


def _strategy_tables(pool: _Pool, rows: np.ndarray, p_row: np.ndarray, p_pos: np.ndarray,
                     opt: _Options, gaps: pd.Series | None) -> tuple[np.ndarray, np.ndarray]:
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
    cols = ("common_partners", "distance_km", "country_llr", "size_llr", "new_country", "gap",
            "in_network", "partners", "country")
    out = []
    for own, cp, dist, c_llr, s_llr, new_c, gap, innet, partners, country in zip(
            own_country, *(top[c].to_numpy() for c in cols), strict=True):
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


def _no_candidate_message(town_id: str, n_cand: int, source: str,
                          steps: list[tuple[str, int]]) -> str:
    detail = "; ".join(f"{label}: -{k:,}" for label, k in steps)
    return (f"no candidate partner left for {town_id!r} from {n_cand:,} {source} candidates "
            f"({detail}); relax the filter that removed the rest")


# --------------------------------------------------------------------------- public API


def rank_partners(
    data: TwinningData | nx.Graph,
    town_id: str,
    *,
    n: int | None = 10,
    source: str = "network",
    call: Any = "latest",
    countries: str | Iterable[str] | None = None,
    min_distance_km: float | None = None,
    max_distance_km: float | None = None,
    min_population: int | None = None,
    max_population: int | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank candidate partner towns for one town.

    The model fitted on the data, the prepared candidates and the gap table are cached
    per :class:`~twinning_graph.TwinningData` object (treated as immutable; see
    ``docs/ranking.md``), so only the first call on a data object pays for them. For many
    towns at once, :func:`rank_partners_many` is faster still.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph (a graph is not cached:
        every call refits).
    town_id
        The town looking for a partner.
    n
        Number of candidates returned (best first); ``None`` returns every candidate.
    source : {"network", "gazetteer"}
        ``"network"``: the other towns of the data. ``"gazetteer"``: those plus every
        place of the shipped GeoNames gazetteer with at least 1,000 inhabitants; places
        that are towns of the data (same ``geonames_id``) are merged into them, the others
        get the id ``"geonames:<id>"``.
    call
        Keep only towns of countries eligible for this call (a topic id from
        :func:`twinning_graph.calls.list_calls` or a ``Call``); ``"latest"`` (default):
        the latest CERV Networks of Towns call; ``None``: no eligibility filter.
    countries
        Keep only candidates of these countries (ISO alpha-2).
    min_distance_km, max_distance_km
        Distance band (great circle) from the town.
    min_population, max_population
        Population band; candidates of unknown population are dropped when a band is set.
    weights
        :class:`RankWeights` or a dict overriding some weights.
    candidates
        With ``source="gazetteer"``: a DataFrame used instead of the shipped gazetteer
        (``geonames_id`` as index or column, name, country, lat, lon, population). It is
        prepared on every call (not cached).

    Returns
    -------
    pandas.DataFrame
        Indexed by candidate ``town_id``, best first: name, country, distance_km,
        population, partners (current number), in_network, lat, lon (so gazetteer places
        can be mapped: ``plot_map(data, candidates=ranking)``), common_partners, adamic_adar,
        distance_llr, country_llr, size_llr (plausibility features), new_country, gap
        (strategy features), plausibility, strategy, capacity (weighted components),
        eligible, score (= plausibility + strategy + capacity) and reason. Ties are
        broken by town_id. Existing partners and the town itself are never listed.

    Raises
    ------
    UnknownTownError
        If ``town_id`` is not a town of the data (close matches are suggested).
    UnknownCallError
        If ``call`` is not a known call.
    ValidationError
        For bad options, or when the filters leave no candidate (the message gives the
        count removed by each filter).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.recommend import rank_partners
    >>> data = tg.load()
    >>> top = rank_partners(data, "FR-chartres", n=5)
    >>> len(top), list(top.columns[:4])
    (5, ['name', 'country', 'distance_km', 'population'])
    >>> bool(top.index.isin(["DE-speyer"]).any())  # Chartres and Speyer are twinned
    False
    >>> bool(top["score"].is_monotonic_decreasing)
    True
    """
    _check_basic(n, source, candidates)
    w = RankWeights.coerce(weights)
    towns, edges = as_frames(data)
    town_id = _check_town(towns, town_id)
    opt = _options(n=n, source=source, w=w, call=call, countries=countries,
                   min_distance_km=min_distance_km, max_distance_km=max_distance_km,
                   min_population=min_population, max_population=max_population,
                   candidates=candidates)
    ctx = _context(data, towns, edges)
    pool = ctx.pool(source, candidates)
    row = int(ctx.model.index.get_loc(town_id))
    gaps = ctx.gaps(data) if w.gap != 0 else None
    block = _rank_block(ctx, pool, np.array([row]), opt, gaps)
    if block.empty:
        raise ValidationError(_no_candidate_message(town_id, pool.n, source, block.empty[0][1]))
    return _frame(pool, block, [ctx.model.country[row]] * len(block.pos))


def rank_partners_many(
    data: TwinningData | nx.Graph,
    town_ids: str | Iterable[str],
    *,
    n: int | None = 10,
    source: str = "network",
    call: Any = "latest",
    countries: str | Iterable[str] | None = None,
    min_distance_km: float | None = None,
    max_distance_km: float | None = None,
    min_population: int | None = None,
    max_population: int | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank candidate partner towns for many towns at once (a programme office's batch).

    Gives, town by town, exactly what :func:`rank_partners` gives, in one long table.
    Query towns are scored in blocks against every candidate (sparse products for the
    shared partners, one dense array per feature), which takes a few ms per town even
    with 100,000 candidates.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    town_ids
        The towns looking for partners (duplicates are ranked once, in first-seen order).
    n, source, call, countries, min_distance_km, max_distance_km, min_population, \
max_population, weights, candidates
        As in :func:`rank_partners`, applied to every town.

    Returns
    -------
    pandas.DataFrame
        One row per (town, candidate), towns in the order given, candidates best first:
        ``town_id`` (the query town), ``rank`` (1 = best), ``candidate_id`` and then the
        columns of :func:`rank_partners`. A town whose filters leave no candidate has no
        row (a :class:`~twinning_graph.DataWarning` gives the count and examples).

    Raises
    ------
    UnknownTownError
        Naming every id that is not a town of the data.
    UnknownCallError, ValidationError
        As :func:`rank_partners`, for bad options.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.recommend import rank_partners_many
    >>> data = tg.load()
    >>> many = rank_partners_many(data, ["FR-chartres", "DE-speyer"], n=3)
    >>> many[["town_id", "rank"]].values.tolist()
    [['FR-chartres', 1], ['FR-chartres', 2], ['FR-chartres', 3], ['DE-speyer', 1], ['DE-speyer', 2], ['DE-speyer', 3]]
    >>> list(many.columns[:5])
    ['town_id', 'rank', 'candidate_id', 'name', 'country']
    """
    _check_basic(n, source, candidates)
    w = RankWeights.coerce(weights)
    towns, edges = as_frames(data)
    ids = _query_ids(towns, town_ids)
    opt = _options(n=n, source=source, w=w, call=call, countries=countries,
                   min_distance_km=min_distance_km, max_distance_km=max_distance_km,
                   min_population=min_population, max_population=max_population,
                   candidates=candidates)
    ctx = _context(data, towns, edges)
    pool = ctx.pool(source, candidates)
    rows = ctx.model.index.get_indexer(ids)
    gaps = ctx.gaps(data) if (w.gap != 0 and len(rows)) else None
    size = max(1, min(256, _BLOCK_ELEMENTS // max(pool.n, 1)))
    # Loop over blocks of query towns; each block is vectorised over block x candidates.
    blocks = [_rank_block(ctx, pool, rows[i:i + size], opt, gaps)
              for i in range(0, len(rows), size)]
    if not blocks:
        blocks = [_Block(np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, np.intp),
                         {k: np.zeros(0) for k in (*_SCORED, "capacity")}, [])]
    block = _Block(query=np.concatenate([b.query for b in blocks]),
                   rank=np.concatenate([b.rank for b in blocks]),
                   pos=np.concatenate([b.pos for b in blocks]),
                   parts={k: np.concatenate([b.parts[k] for b in blocks])
                          for k in blocks[0].parts},
                   empty=[e for b in blocks for e in b.empty])
    if block.empty:
        import warnings

        from twinning_graph._errors import DataWarning

        first = block.empty[0]
        warnings.warn(
            f"{len(block.empty):,} of {len(rows):,} towns have no candidate partner left "
            f"and are not in the result (e.g. "
            f"{_no_candidate_message(ctx.model.index[first[0]], pool.n, source, first[1])})",
            DataWarning, stacklevel=2)
    out = _frame(pool, block, ctx.model.country[block.query])
    out.insert(0, "candidate_id", out.index)
    out.insert(0, "rank", block.rank.astype("int64"))
    out.insert(0, "town_id", pd.array(ctx.model.index[block.query], dtype=towns.index.dtype))
    return out.reset_index(drop=True)


def _query_ids(towns: pd.DataFrame, town_ids: Any) -> list[str]:
    ids = [town_ids] if isinstance(town_ids, str) else list(town_ids)
    bad = [t for t in ids if not isinstance(t, str)]
    if bad:
        raise ValidationError(f"town_ids must be strings such as 'DE-berlin', got {bad[:5]!r}")
    ids = list(dict.fromkeys(ids))
    missing = [t for t in ids if t not in towns.index]
    if len(missing) == 1:
        _check_town(towns, missing[0])
    elif missing:
        from twinning_graph._errors import UnknownTownError

        shown = ", ".join(map(repr, missing[:10])) + (", ..." if len(missing) > 10 else "")
        raise UnknownTownError(
            f"{len(missing):,} unknown town_ids: {shown}; valid ids are the index of "
            f"data.towns ({len(towns)} towns)")
    return ids
