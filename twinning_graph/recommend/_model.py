"""The fitted model: geometry, distance and size bins, likelihood-ratio kernels, adjacency."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._geo import haversine_km
from twinning_graph.graph import adjacency

#: Log-spaced distance bins (km) of the distance kernel.
_DIST_EDGES = np.concatenate([[0.0], np.geomspace(2.0, 20_000.0, 41), [np.inf]])
#: log10(population) bins of the size kernel; the last bin holds unknown populations.
_POP_EDGES = np.array([-np.inf, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, np.inf])
_N_RANDOM_PAIRS = 200_000


# --------------------------------------------------------------------------- geometry


def _haversine_rows(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Distances (km) from each of ``len(lat1)`` points to each of ``len(lat2)`` points."""
    return haversine_km(
        np.asarray(lat1, float)[:, None],
        np.asarray(lon1, float)[:, None],
        np.asarray(lat2, float)[None, :],
        np.asarray(lon2, float)[None, :],
    )


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
        self.pop = pd.to_numeric(towns["population"], errors="coerce").to_numpy(
            float, na_value=np.nan
        )
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
        d_link = _haversine_one(
            self.lat[self.ia], self.lon[self.ia], self.lat[self.ib], self.lon[self.ib]
        )
        rng = np.random.default_rng(20170501)  # fixed: the kernel is a property of the data
        if n > 1:
            a = rng.integers(0, n, _N_RANDOM_PAIRS)
            b = rng.integers(0, n, _N_RANDOM_PAIRS)
            keep = a != b
            d_rand = _haversine_one(
                self.lat[a[keep]], self.lon[a[keep]], self.lat[b[keep]], self.lon[b[keep]]
            )
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
    return haversine_km(lat1, lon1, lat2, lon2)
