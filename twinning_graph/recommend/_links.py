"""What the links say: adjacency, hub discounts and the likelihood-ratio tables.

Fitted on the *transnational* links of a network (a town's candidates are foreign towns):

distance
    ``log P(distance bin | link) / P(distance bin | town, random foreign town)``, the towns
    drawn from the ends of the links, in 42 log-spaced bins (0–2 km, then 2–20,000 km),
    smoothed over three neighbouring bins; read between bin centres by linear interpolation
    in log distance, so the term changes smoothly with distance (no ties between towns at
    slightly different distances).
country pair
    ``log P(partner country B | town country A) / P(candidate country B | A)``: the share of
    A's transnational links that go to B (with 5 pseudo-links spread like the towns) over
    B's share of the towns outside A.
size
    the same ratio as distance for ``log10(population of candidate / population of town)``
    in 11 bins, interpolated between bin centres.
ties to a country
    each town's partners per country, from all its links (sparse: towns x country codes, no
    more entries than links) and, per pair of countries (A, B), the mean of ``log(1 + partners in B)`` over
    the towns of A that have partners: the ``candidate_ties`` term of a candidate without
    partners (so having none is neither rewarded nor punished).

The hub discount of the network terms is here too: a shared partner or a town on a path
counts ``1 / its number of partners`` (a partner outside Europe 0.1 of that).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from twinning_graph._geo import haversine_km
from twinning_graph.recommend._places import Network

#: Distance bins: 0–2 km, then 41 log-spaced bins from 2 to 20,000 km, then beyond.
_D_LO, _D_HI, _D_BINS = 2.0, 20_000.0, 41
_D_STEP = np.log(_D_HI / _D_LO) / (_D_BINS - 1)
#: Bins of log10(population ratio); every edge is a multiple of 1/4 (see size_bin).
SIZE_EDGES = np.array([-1.5, -1.0, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1.0, 1.5])
_SIZE_GRID = 4  # quarters
_SIZE_LO, _SIZE_HI = -8, 8  # ceil(4 r) clipped to this range (beyond the outer edges)
#: bin of every r with ceil(4 r) == k: the number of edges <= (k - 1) / 4
_SIZE_TABLE = np.searchsorted(
    SIZE_EDGES, (np.arange(_SIZE_LO, _SIZE_HI + 1) - 1) / _SIZE_GRID, side="right"
)


def size_bin(r: np.ndarray) -> np.ndarray:
    """``np.searchsorted(SIZE_EDGES, r)`` for finite ``r``, by arithmetic (edges are
    multiples of 1/4, so every r in ((k-1)/4, k/4] has the same bin).

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.recommend._links import SIZE_EDGES, size_bin
    >>> r = np.array([-3.0, -1.5, -1.2, 0.0, 0.25, 0.26, 1.5, 9.0])
    >>> bool((size_bin(r) == np.searchsorted(SIZE_EDGES, r)).all())
    True
    """
    k = np.clip(np.ceil(np.asarray(r, dtype=float) * _SIZE_GRID), _SIZE_LO, _SIZE_HI)
    return _SIZE_TABLE[k.astype(np.intp) - _SIZE_LO]


#: Random (town, foreign town) pairs drawn to fit the distance and size ratios.
N_RANDOM_PAIRS = 200_000
#: Pseudo-links of the country-pair ratio, spread like the towns.
COUNTRY_PRIOR = 5.0
#: A shared partner outside Europe counts this much (times 1/degree).
OUTSIDE_EUROPE = 0.1


_D_FLOOR = _D_LO * np.exp(-_D_STEP)  # every distance below 2 km falls in bin 0
#: Size-bin centres (log10 population ratio): the middle of each inner bin, the outer bins
#: a quarter beyond their edge.
SIZE_CENTRES = np.r_[
    SIZE_EDGES[0] - 0.25, (SIZE_EDGES[1:] + SIZE_EDGES[:-1]) / 2, SIZE_EDGES[-1] + 0.25
]


def distance_bin(d: np.ndarray) -> np.ndarray:
    """Bin of each distance (km): 0 below 2 km, 1..41 log-spaced up to 20,000 km, 42 beyond
    (NaN: 0).

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.recommend._links import distance_bin
    >>> distance_bin(np.array([0.0, 1.99, 2.0, 19_999.0, 20_000.0, 1e6, np.nan])).tolist()
    [0, 0, 1, 40, 41, 42, 0]
    """
    d = np.asarray(d, dtype=float)
    b = np.maximum(d, _D_FLOOR)
    b *= 1.0 / _D_LO
    np.log(b, out=b)
    b *= 1.0 / _D_STEP
    np.floor(b, out=b)
    b += 1.0
    np.clip(b, 0, _D_BINS + 1, out=b)
    nan = np.isnan(b)
    if nan.any():
        b[nan] = 0
    return b.astype(np.intp)


#: The size term read on a grid of eighths from the first to the last centre.
_SIZE_GRID_STEPS = 8
_SIZE_GRID_LO = float(SIZE_CENTRES[0])
_SIZE_GRID_POINTS = int(round((SIZE_CENTRES[-1] - SIZE_CENTRES[0]) * _SIZE_GRID_STEPS)) + 1


def distance_position(d: np.ndarray) -> np.ndarray:
    """Continuous bin coordinate of each distance (km): the centre (in log distance) of bin
    ``b`` is at ``b``; distances below ``2 exp(-step / 2)`` (1.8 km) are at 0 (bin 0), and
    bins 0 and 1 blend from there to 2.3 km. NaN stays NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.recommend._links import distance_bin, distance_position
    >>> d = np.array([100.0, 1_000.0, 5_000.0])
    >>> bool((np.floor(distance_position(d) + 0.5) == distance_bin(d)).all())
    True
    """
    d = np.asarray(d, dtype=float)
    x = np.maximum(d, _D_FLOOR)
    x *= 1.0 / _D_LO
    np.log(x, out=x)
    x *= 1.0 / _D_STEP
    x += 0.5
    np.clip(x, 0.0, _D_BINS + 1.0, out=x)
    return x


def _interpolate(table: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``table`` read at continuous positions ``x`` (0 .. len - 1), linearly; in place of
    ``x`` (NaN positions give NaN)."""
    nan = np.isnan(x)
    if nan.any():
        x[nan] = 0.0
    b = np.minimum(x.astype(np.intp), len(table) - 2)
    x -= b
    step = np.diff(table)
    out = table[b]
    out += x * step[b]
    if nan.any():
        out[nan] = np.nan
    return out


def _log_ratio(pos: np.ndarray, ref: np.ndarray, bins: int) -> np.ndarray:
    """log of the smoothed bin shares of ``pos`` over those of ``ref`` (bin indices)."""
    hp = np.bincount(pos, minlength=bins).astype(float) + 0.5
    hr = np.bincount(ref, minlength=bins).astype(float) + 0.5
    return np.log(hp / hp.sum()) - np.log(hr / hr.sum())


class Links:
    """The links of a network and the tables fitted on them (see the module docstring)."""

    def __init__(self, net: Network, A: sp.csr_array, *, seed: int) -> None:
        self.net = net
        A = sp.csr_array(A, dtype=np.float64)
        A.data[:] = 1.0
        A.eliminate_zeros()
        self.A = A
        self.deg = np.asarray(A.sum(axis=1)).ravel()
        self.ra_w = np.where(self.deg > 0, 1.0 / np.maximum(self.deg, 1.0), 0.0)
        #: weight of a town as a shared partner: 1 / its partners, less outside Europe
        self.shared_w = self.ra_w * np.where(net.europe, 1.0, OUTSIDE_EUROPE)
        upper = sp.triu(A, k=1).tocoo()
        ia, ib = upper.row.astype(np.intp), upper.col.astype(np.intp)
        trans = net.cc[ia] != net.cc[ib]
        self.ta, self.tb = ia[trans], ib[trans]
        self.n_links, self.n_transnational = len(ia), int(trans.sum())
        rng = np.random.default_rng(seed)
        self._fit_distance_and_size(rng)
        self._fit_country()
        self._fit_ties()

    # ------------------------------------------------------------------ fitting
    def _random_pairs(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        net = self.net
        ends = np.concatenate([self.ta, self.tb])
        if len(ends) == 0 or net.n < 2:
            return np.zeros(0, np.intp), np.zeros(0, np.intp)
        q = ends[rng.integers(0, len(ends), N_RANDOM_PAIRS)]
        c = rng.integers(0, net.n, N_RANDOM_PAIRS)
        keep = net.cc[q] != net.cc[c]
        return q[keep], c[keep]

    def _fit_distance_and_size(self, rng: np.random.Generator) -> None:
        net = self.net
        q, c = self._random_pairs(rng)
        la, lb = self.ta, self.tb
        d_link = haversine_km(net.lat[la], net.lon[la], net.lat[lb], net.lon[lb])
        d_rand = haversine_km(net.lat[q], net.lon[q], net.lat[c], net.lon[c])
        nb = _D_BINS + 2
        llr = _log_ratio(distance_bin(d_link), distance_bin(d_rand), nb)
        # smooth over three neighbouring bins (the ends keep their own value once more)
        self.dist_llr = np.convolve(np.pad(llr, 1, mode="edge"), np.ones(3) / 3, mode="valid")
        if len(la) == 0:
            self.dist_llr = np.zeros(nb)
        ok = np.isfinite(d_link)
        self.dist_quartiles = (
            tuple(np.percentile(d_link[ok], [25, 75])) if ok.any() else (np.nan, np.nan)
        )
        lp = np.log10(net.pop)
        r_link = np.concatenate([lp[lb] - lp[la], lp[la] - lp[lb]])
        r_rand = lp[c] - lp[q]
        r_link, r_rand = r_link[np.isfinite(r_link)], r_rand[np.isfinite(r_rand)]
        ns = len(SIZE_EDGES) + 1
        self.size_llr = (
            _log_ratio(size_bin(r_link), size_bin(r_rand), ns) if len(r_link) else np.zeros(ns)
        )
        grid = _SIZE_GRID_LO + np.arange(_SIZE_GRID_POINTS) / _SIZE_GRID_STEPS
        self._size_grid = np.interp(grid, SIZE_CENTRES, self.size_llr)

    def _fit_country(self) -> None:
        net = self.net
        k = net.codes.n
        obs = np.zeros((k + 1, k + 1))
        np.add.at(obs, (net.cc[self.ta], net.cc[self.tb]), 1.0)
        obs = obs + obs.T
        towns = np.bincount(net.cc, minlength=k + 1).astype(float)
        foreign = towns.sum() - towns  # towns outside each country
        with np.errstate(divide="ignore", invalid="ignore"):
            share = towns[None, :] / foreign[:, None]  # P(candidate country B | A)
            share[~np.isfinite(share)] = 0.0
            np.fill_diagonal(share, 0.0)
            n_a = obs.sum(axis=1, keepdims=True)
            p_link = (obs + COUNTRY_PRIOR * share) / (n_a + COUNTRY_PRIOR)
            llr = np.log(p_link / share)
        llr[~np.isfinite(llr)] = 0.0
        llr[k, :] = llr[:, k] = 0.0  # unknown codes
        np.fill_diagonal(llr, 0.0)
        self.country_llr = llr

    def _fit_ties(self) -> None:
        net = self.net
        k = net.codes.n + 1
        onehot = sp.csr_array((np.ones(net.n), (np.arange(net.n), net.cc)), shape=(net.n, k))
        #: partners of each town per country code (towns x codes, sparse by columns)
        self.ties = sp.csc_array(self.A @ onehot)
        logs = sp.csr_array(self.ties)
        logs.data = np.log1p(logs.data)
        active = (self.deg > 0).astype(float)
        by_country = sp.csr_array((active, (net.cc, np.arange(net.n))), shape=(k, net.n))
        sums = (by_country @ logs).toarray()
        count = np.bincount(net.cc, weights=active, minlength=k)
        #: mean log(1 + partners in B) over the towns of A with partners: [A, B]
        self.ties_mean = sums / np.maximum(count, 1.0)[:, None]

    # ------------------------------------------------------------------ look-ups
    def ties_term(self, q_cc: np.ndarray, rows: np.ndarray, cand_cc: np.ndarray) -> np.ndarray:
        """``candidate_ties`` of query countries ``q_cc`` x candidates (network ``rows``,
        -1 for a place outside the network; ``cand_cc`` their country codes):
        ``log(1 + partners in the query's country)``, or the mean of that over the
        candidate's country for a candidate without partners."""
        inside = rows >= 0
        has = inside & (self.deg[np.maximum(rows, 0)] > 0)
        out = self.ties_mean[:, q_cc].T[:, cand_cc]  # every candidate as without partners
        out[:, has] = 0.0  # no partner in the query's country: log(1 + 0)
        col_of = np.full(self.net.n, -1, dtype=np.intp)  # network row -> candidate column
        col_of[rows[inside]] = np.flatnonzero(inside)
        # the few towns with partners in those countries (sparse columns)
        t = sp.coo_array(self.ties[:, q_cc])
        c = col_of[t.row]
        ok = c >= 0
        out[t.col[ok], c[ok]] = np.log1p(t.data[ok])
        return out

    def distance_term(self, d: np.ndarray) -> np.ndarray:
        """Distance log-likelihood ratio of each distance (km), interpolated between bin
        centres; NaN gives 0."""
        x = distance_position(d)
        out = _interpolate(self.dist_llr, x)
        nan = np.isnan(out)
        if nan.any():
            out[nan] = 0.0
        return out

    def size_term(self, log_q: np.ndarray, log_c: np.ndarray) -> np.ndarray:
        """Size log-likelihood ratio, query rows x candidates (log10 populations; NaN: 0),
        interpolated between bin centres."""
        r = log_c[None, :] - log_q[:, None]
        known = np.isfinite(r)
        # the centres are multiples of 1/8: read the table on that grid (exactly what
        # np.interp over the centres gives, a few times faster)
        x = np.where(known, r, _SIZE_GRID_LO)
        x -= _SIZE_GRID_LO
        x *= _SIZE_GRID_STEPS
        np.clip(x, 0.0, len(self._size_grid) - 1.0, out=x)
        out = _interpolate(self._size_grid, x)
        out[~known] = 0.0
        return out
