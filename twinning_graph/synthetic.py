"""SYNTHETIC twinning networks at Europe scale, for benchmarks and load tests.

Nothing produced here is real: every town name carries the mark ``(synthetic)`` (or
``(synthetic k)`` for the k-th jittered copy of a place), every town id starts with ``SYN-``,
every partnership has ``source == "synthetic"`` and the :class:`~twinning_graph.TwinningData`
is named ``"SYNTHETIC ..."``. Do not publish analyses of these networks as facts.

How a network is drawn (all vectorised, one :class:`numpy.random.Generator` seeded by
``seed``):

- **Towns** are real European places of the shipped GeoNames gazetteer
  (:func:`twinning_graph._gazetteer.load_gazetteer`, 71,561 places), drawn without
  replacement with probability growing with the square root of their population (large
  places are almost always in). Above 71,561 towns, jittered copies of places (a few km
  away, with a smaller population drawn at random) make up the rest.
- **Link propensities** follow the degree distribution of the bundled network (heavy
  tailed: most towns have one partner, a few dozens), tied to population by a Gaussian
  copula with the bundled Spearman correlation between population and degree.
- **Links**: a source town is drawn by propensity; the link is domestic with the bundled
  share of domestic links; a target is then drawn by a gravity-like kernel: towns are
  bucketed into 1° grid cells per country, a cell is drawn with probability
  ``mass(cell) × p(distance bin) / mass(distance bin)`` so the link distances follow the
  empirical histogram of the bundled links (domestic and transnational separately), then a
  town of the cell by propensity. No town × town matrix is ever formed: the kernel is a
  cell × cell table (about 1,400² entries).
- **Projects** (multi-member partnerships of 4–12 towns, kind ``"network"`` or
  ``"town-twinning"``, ``since`` 2014–2026) are a lead town and members drawn by the same
  kernel, in the membership format of :func:`twinning_graph.read_partnerships`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._geo import haversine_km
from twinning_graph.io import MEMBERSHIP_COLUMNS
from twinning_graph.network import TwinningData

__all__ = ["LinkModel", "calibrate", "synthetic_network", "SYNTHETIC_SOURCE"]

logger = logging.getLogger(__name__)

#: ``source`` of every synthetic partnership.
SYNTHETIC_SOURCE = "synthetic"
#: Project kinds drawn for multi-member projects.
PROJECT_KINDS = ("network", "town-twinning")
#: Project sizes (member towns), inclusive.
PROJECT_SIZE = (4, 12)
#: Project start years, inclusive.
PROJECT_YEARS = (2014, 2026)
#: Side of the grid cells of the distance kernel, degrees.
CELL_DEG = 1.0
#: Distance bin edges (km) of the calibrated distance histograms.
DISTANCE_EDGES = np.concatenate([[0.0], np.geomspace(5.0, 5000.0, 31), [np.inf]])
#: Standard deviation (degrees of latitude) of the jitter of copied places (~5.5 km).
JITTER_DEG = 0.05


@dataclass(frozen=True)
class LinkModel:
    """What :func:`synthetic_network` reproduces, measured on a real network.

    Attributes
    ----------
    domestic_share : float
        Share of links between two towns of the same country.
    distance_edges : numpy.ndarray
        Bin edges (km) of the two distance histograms.
    domestic_hist, foreign_hist : numpy.ndarray
        Probability of each distance bin for domestic and transnational links (links with
        both ends in a country of the gazetteer, i.e. within Europe).
    degrees : numpy.ndarray
        Sorted degrees of the linked towns: the shape of the propensity distribution.
    population_spearman : float
        Spearman correlation between population and degree (towns of known population).
    """

    domestic_share: float
    distance_edges: np.ndarray
    domestic_hist: np.ndarray
    foreign_hist: np.ndarray
    degrees: np.ndarray
    population_spearman: float


def calibrate(data: TwinningData | None = None) -> LinkModel:
    """Measure a :class:`LinkModel` on a network (default: the bundled one).

    Parameters
    ----------
    data
        A loaded network; ``None`` uses :func:`twinning_graph.load` (the result is cached).

    Returns
    -------
    LinkModel

    Examples
    --------
    >>> from twinning_graph.synthetic import calibrate
    >>> m = calibrate()
    >>> round(m.domestic_share, 3)
    0.085
    >>> int(m.degrees.max()), round(float(m.domestic_hist.sum()), 6)
    (65, 1.0)
    """
    if data is None:
        return _bundled_model()
    return _calibrate(data)


@functools.cache
def _bundled_model() -> LinkModel:
    from twinning_graph.network import load

    return _calibrate(load())


def _calibrate(data: TwinningData) -> LinkModel:
    from twinning_graph._gazetteer import load_gazetteer

    towns, edges = data.towns, data.edges
    if len(edges) == 0:
        raise ValidationError("cannot calibrate a link model on a network without links")
    ca = edges["town_a"].map(towns["country"]).to_numpy(dtype=object)
    cb = edges["town_b"].map(towns["country"]).to_numpy(dtype=object)
    domestic = ca == cb
    europe = set(load_gazetteer()["country"].unique())
    inside = pd.Series(ca).isin(europe).to_numpy() & pd.Series(cb).isin(europe).to_numpy()
    d = edges["distance_km"].to_numpy(float)

    def hist(mask: np.ndarray) -> np.ndarray:
        h = np.histogram(d[mask & np.isfinite(d)], DISTANCE_EDGES)[0].astype(float)
        h += 0.5  # every bin possible, however rare
        return h / h.sum()

    both = pd.concat([edges["town_a"], edges["town_b"]]).value_counts()
    pop = towns["population"].reindex(both.index)
    known = pop.notna().to_numpy()
    rho = (
        float(
            pd.Series(pop[known].astype(float).to_numpy())
            .rank()
            .corr(pd.Series(both.to_numpy()[known].astype(float)).rank())
        )
        if known.sum() > 2
        else 0.0
    )
    return LinkModel(
        domestic_share=float(domestic.mean()),
        distance_edges=DISTANCE_EDGES.copy(),
        domestic_hist=hist(inside & domestic),
        foreign_hist=hist(inside & ~domestic),
        degrees=np.sort(both.to_numpy(np.int64)),
        population_spearman=rho if np.isfinite(rho) else 0.0,
    )


# --------------------------------------------------------------------------- helpers


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValidationError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _check_sizes(name: str, values: Any, minimum: int, maximum: int) -> tuple[int, ...]:
    """A sequence of whole numbers within [minimum, maximum], as a tuple."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValidationError(
            f"{name} must be a sequence of whole numbers (e.g. (10_000,)), got {values!r}"
        )
    bad = [
        v
        for v in values
        if isinstance(v, bool)
        or not isinstance(v, (int, np.integer))
        or not minimum <= v <= maximum
    ]
    if bad:
        raise ValidationError(
            f"{name} must hold whole numbers from {minimum:,} to {maximum:,} "
            f"(for this network), got {bad}"
        )
    return tuple(int(v) for v in values)


def _flat_cdf(weights: np.ndarray) -> np.ndarray:
    """Row-wise CDFs of a (rows, k) weight array, shifted by the row number and flattened.

    Row ``r`` occupies ``(r, r + 1]``, so one :func:`numpy.searchsorted` of ``r + u``
    (``0 <= u < 1``) draws column ``j`` of row ``r`` with probability ``w[r, j] / sum``,
    for any number of rows at once. Rows without weight must not be queried.
    """
    c = np.cumsum(weights, axis=1)
    tot = c[:, -1:].copy()
    tot[tot == 0] = 1.0
    c /= tot
    c += np.arange(len(c), dtype=float)[:, None]
    return c.ravel()


def _draw(flat: np.ndarray, rows: np.ndarray, width: int, rng: np.random.Generator) -> np.ndarray:
    """Draw one column per entry of ``rows`` from a :func:`_flat_cdf` (vectorised)."""
    u = np.minimum(rng.random(len(rows)), 1.0 - 1e-9)
    pos = np.searchsorted(flat, rows + u, side="right")
    return np.clip(pos - rows * width, 0, width - 1)


def _gaussian_ranks(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores of ``values`` (ties broken at random)."""
    from scipy.special import ndtri

    n = len(values)
    order = np.lexsort((rng.random(n), values))
    ranks = np.empty(n)
    ranks[order] = np.arange(n)
    return ndtri((ranks + 0.5) / n)


# --------------------------------------------------------------------------- towns


def _draw_towns(n_towns: int, rng: np.random.Generator) -> pd.DataFrame:
    from twinning_graph._gazetteer import load_gazetteer
    from twinning_graph.countries import EU27

    gaz = load_gazetteer().sort_index()
    n_gaz = len(gaz)
    pop = gaz["population"].to_numpy(np.int64)
    w = np.sqrt(np.maximum(pop, 1000).astype(float))
    n_real = min(n_towns, n_gaz)
    # weighted sampling without replacement (Efraimidis–Spirakis keys), vectorised
    keys = np.log(rng.random(n_gaz)) / w
    pick = (
        np.sort(np.argpartition(-keys, n_real - 1)[:n_real]) if n_real < n_gaz else np.arange(n_gaz)
    )
    real = gaz.iloc[pick]
    names = real["name"].to_numpy(dtype=object) + " (synthetic)"
    lat = real["lat"].to_numpy(float)
    lon = real["lon"].to_numpy(float)
    country = real["country"].to_numpy(dtype=object)
    population = pop[pick].astype(float)
    population[population == 0] = np.nan
    geonames = real.index.to_numpy(np.int64).astype(float)
    n_copy = n_towns - n_real
    if n_copy:
        parent = rng.choice(n_gaz, size=n_copy, p=w / w.sum())
        order = np.argsort(parent, kind="stable")
        copy_no = np.empty(n_copy, dtype=np.int64)
        sp = parent[order]
        start = np.r_[0, np.flatnonzero(np.diff(sp)) + 1]
        run = np.arange(n_copy) - np.repeat(start, np.diff(np.r_[start, n_copy]))
        copy_no[order] = run + 2
        plat = gaz["lat"].to_numpy(float)[parent]
        plon = gaz["lon"].to_numpy(float)[parent]
        jl = rng.normal(0.0, JITTER_DEG, n_copy)
        jo = rng.normal(0.0, JITTER_DEG, n_copy) / np.maximum(np.cos(np.radians(plat)), 0.2)
        small = pop[(pop >= 1000) & (pop < 10000)]
        cpop = np.round(rng.choice(small, n_copy) * rng.uniform(0.2, 1.0, n_copy))
        cnames = (
            gaz["name"].to_numpy(dtype=object)[parent]
            + " (synthetic "
            + copy_no.astype(str).astype(object)
            + ")"
        )
        names = np.concatenate([names, cnames])
        lat = np.concatenate([lat, np.clip(plat + jl, -89.9, 89.9)])
        lon = np.concatenate([lon, ((plon + jo + 180.0) % 360.0) - 180.0])
        country = np.concatenate([country, gaz["country"].to_numpy(dtype=object)[parent]])
        population = np.concatenate([population, cpop])
        geonames = np.concatenate([geonames, np.full(n_copy, np.nan)])
    width = max(6, len(str(n_towns - 1)))
    ids = pd.Index(
        np.char.add("SYN-", np.char.zfill(np.arange(n_towns).astype(str), width)),
        name="town_id",
        dtype="str",
    )
    towns = pd.DataFrame(
        {
            "name": pd.array(names, dtype="str"),
            "country": pd.array(country, dtype="str"),
            "lat": np.round(lat, 5),
            "lon": np.round(lon, 5),
            "population": pd.array(population, dtype="Float64").astype("Int64"),
            "geonames_id": pd.array(geonames, dtype="Float64").astype("Int64"),
        },
        index=ids,
    )
    towns["eu"] = towns["country"].isin(EU27).to_numpy(dtype=bool)
    return towns


# --------------------------------------------------------------------------- the kernel


class _Kernel:
    """Gravity-like target sampler over (1° cell, country) units; see the module docstring."""

    def __init__(self, towns: pd.DataFrame, prop: np.ndarray, model: LinkModel) -> None:
        lat = towns["lat"].to_numpy(float)
        lon = towns["lon"].to_numpy(float)
        ccode, self.countries = pd.factorize(towns["country"], sort=True)
        ilat = np.floor((lat + 90.0) / CELL_DEG).astype(np.int64)
        ilon = np.floor((lon + 180.0) / CELL_DEG).astype(np.int64)
        key = (ccode.astype(np.int64) * 1000 + ilat) * 1000 + ilon
        ukeys, self.unit = np.unique(key, return_inverse=True)
        U = self.U = len(ukeys)
        self.ucountry = ukeys // 1_000_000
        mass = np.bincount(self.unit, weights=prop, minlength=U)
        # unit centroids (propensity-weighted mean of unit vectors) and spread
        phi, lam = np.radians(lat), np.radians(lon)
        xyz = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
        c = np.column_stack(
            [np.bincount(self.unit, weights=xyz[:, k] * prop, minlength=U) for k in range(3)]
        ).astype(float)
        c = c / np.linalg.norm(c, axis=1, keepdims=True)
        clat = np.degrees(np.arcsin(np.clip(c[:, 2], -1, 1)))
        clon = np.degrees(np.arctan2(c[:, 1], c[:, 0]))
        r = haversine_km(lat, lon, clat[self.unit], clon[self.unit])
        rms = np.sqrt(
            np.bincount(self.unit, weights=r**2, minlength=U)
            / np.maximum(np.bincount(self.unit, minlength=U), 1)
        )
        D = haversine_km(clat[:, None], clon[:, None], clat[None, :], clon[None, :])
        D[np.diag_indices(U)] = np.maximum(np.sqrt(2.0) * rms, 1.0)  # typical within-cell pair
        edges = model.distance_edges
        nb = len(edges) - 1
        B = np.clip(np.searchsorted(edges, D, side="right") - 1, 0, nb - 1)
        same = self.ucountry[:, None] == self.ucountry[None, :]
        rows = []
        self.has = np.zeros((2, U), dtype=bool)
        for flag, (mask, hist) in enumerate(
            ((same, model.domestic_hist), (~same, model.foreign_hist))
        ):
            wm = np.where(mask, mass[None, :], 0.0)  # mass of each admissible target unit
            # mass per (source unit, distance bin)
            M = np.bincount(
                (np.arange(U)[:, None] * nb + B).ravel(), weights=wm.ravel(), minlength=U * nb
            ).reshape(U, nb)
            p = np.where(M > 0, hist[None, :], 0.0)
            ps = p.sum(axis=1, keepdims=True)
            # no admissible target in any calibrated bin: mass alone decides
            p = np.where(
                ps > 0,
                p / np.where(ps > 0, ps, 1.0),
                M / np.maximum(M.sum(axis=1, keepdims=True), 1e-300),
            )
            Mb = np.take_along_axis(M, B, axis=1)
            Pb = np.take_along_axis(p, B, axis=1)
            W = np.where(Mb > 0, wm * Pb / np.where(Mb > 0, Mb, 1.0), 0.0)
            self.has[flag] = W.sum(axis=1) > 0
            rows.append(W)
        self.flat_units = _flat_cdf(np.vstack(rows))
        # towns of each unit, by propensity
        self.order = np.argsort(self.unit, kind="stable")
        su = self.unit[self.order]
        self.start = np.searchsorted(su, np.arange(U + 1))
        cp = np.cumsum(prop[self.order])
        base = np.r_[0.0, cp][self.start[:-1]]
        tot = np.r_[0.0, cp][self.start[1:]] - base
        self.flat_towns = (cp - base[su]) / np.where(tot > 0, tot, 1.0)[su] + su
        self.n_towns_country = np.bincount(ccode, minlength=len(self.countries))
        self.town_country = ccode

    def targets(
        self, src: np.ndarray, domestic: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """One target town per source town (may equal the source; callers drop those)."""
        u = self.unit[src]
        flag = np.where(domestic, 0, 1)
        # a flag without admissible targets (e.g. a country with one town) falls back
        lone = self.n_towns_country[self.town_country[src]] < 2
        flag[lone] = 1
        flag = np.where(self.has[flag, u], flag, 1 - flag)
        v = _draw(self.flat_units, flag * self.U + u, self.U, rng)
        uu = np.minimum(rng.random(len(v)), 1.0 - 1e-9)
        pos = np.searchsorted(self.flat_towns, v + uu, side="right")
        pos = np.clip(pos, self.start[v], self.start[v + 1] - 1)
        return self.order[pos]


# --------------------------------------------------------------------------- network


def _propensity(towns: pd.DataFrame, model: LinkModel, rng: np.random.Generator) -> np.ndarray:
    n = len(towns)
    pop = towns["population"].to_numpy(float, na_value=np.nan)
    z_pop = _gaussian_ranks(np.nan_to_num(pop, nan=0.0), rng)
    rho = 2.0 * np.sin(np.pi * model.population_spearman / 6.0)  # Spearman -> Pearson
    z = rho * z_pop + np.sqrt(max(1.0 - rho**2, 0.0)) * rng.standard_normal(n)
    q = _gaussian_ranks(z, rng)
    from scipy.special import ndtr

    deg = model.degrees.astype(float)
    idx = np.minimum((ndtr(q) * len(deg)).astype(np.int64), len(deg) - 1)
    return deg[idx] + rng.random(n)  # continuous: ties broken, every town can be drawn


def _draw_links(
    n_towns: int,
    n_links: int,
    kernel: _Kernel,
    prop: np.ndarray,
    share: float,
    rng: np.random.Generator,
    *,
    first: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_links`` distinct pairs (a < b) as two arrays; ``first`` (pair keys
    ``a * n_towns + b``, distinct) are kept at the front and count towards ``n_links``."""
    cdf = np.cumsum(prop)
    cdf /= cdf[-1]
    keys = np.zeros(0, dtype=np.int64) if first is None else first.astype(np.int64)
    if len(keys) >= n_links:
        keys = keys[:n_links]
        return keys // n_towns, keys % n_towns
    for _ in range(50):
        need = n_links - len(keys)
        batch = int(need * 1.15) + 64
        src = np.minimum(np.searchsorted(cdf, rng.random(batch), side="right"), n_towns - 1)
        dst = kernel.targets(src, rng.random(batch) < share, rng)
        ok = src != dst
        a, b = np.minimum(src, dst)[ok], np.maximum(src, dst)[ok]
        keys = np.concatenate([keys, a.astype(np.int64) * n_towns + b])
        _, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)]  # distinct pairs, in drawing order
        if len(keys) >= n_links:
            keys = keys[:n_links]
            return keys // n_towns, keys % n_towns
    raise ValidationError(
        f"could not draw {n_links:,} distinct links among {n_towns:,} towns; "
        "ask for fewer links or more towns"
    )


def _weighted_sample(
    weights: np.ndarray, k: int, rng: np.random.Generator, *, exclude: int | None = None
) -> np.ndarray:
    """``k`` distinct indices drawn without replacement with probability ∝ ``weights``
    (Efraimidis–Spirakis keys, vectorised), in drawing order; ``exclude`` is never drawn."""
    keys = np.log(rng.random(len(weights))) / weights
    if exclude is not None:
        keys[exclude] = -np.inf
    top = np.argpartition(-keys, k - 1)[:k]
    return top[np.argsort(-keys[top], kind="stable")]


def _hub_keys(
    hubs: tuple[int, ...], towns: pd.DataFrame, prop: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Pair keys of the hub links (distinct, drawing order) and the hub towns.

    Hub ``k`` is the ``k``-th most populous town (ties: smallest id); its partners are
    ``hubs[k]`` distinct towns drawn anywhere, with probability ∝ propensity.
    """
    n = len(towns)
    pop = towns["population"].to_numpy(float, na_value=-1.0)
    hub_towns = np.lexsort((np.arange(n), -pop))[: len(hubs)]
    keys = []
    for h, deg in zip(hub_towns, hubs, strict=True):  # one draw per hub (a handful)
        other = _weighted_sample(prop, deg, rng, exclude=int(h))
        keys.append(np.minimum(h, other).astype(np.int64) * n + np.maximum(h, other))
    allk = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    _, first = np.unique(allk, return_index=True)
    return allk[np.sort(first)], hub_towns


def _draw_projects(
    n_projects: int, kernel: _Kernel, prop: np.ndarray, share: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Member towns of each project as (project, town) pairs, lead first."""
    lo, hi = PROJECT_SIZE
    size = rng.integers(lo, hi + 1, n_projects)
    cdf = np.cumsum(prop)
    cdf /= cdf[-1]
    lead = np.minimum(np.searchsorted(cdf, rng.random(n_projects), side="right"), len(prop) - 1)
    proj = [np.arange(n_projects)]
    town = [lead]
    order = [np.zeros(n_projects)]
    have = np.ones(n_projects, dtype=np.int64)
    for rnd in range(1, 21):
        short = np.flatnonzero(have < size)
        if len(short) == 0:
            break
        k = 2 * hi
        p = np.repeat(short, k)
        cand = kernel.targets(lead[p], rng.random(len(p)) < share, rng)
        proj.append(p)
        town.append(cand)
        order.append(rnd + np.tile(np.arange(k), len(short)) / (k + 1))
        f = pd.DataFrame(
            {"p": np.concatenate(proj), "t": np.concatenate(town), "o": np.concatenate(order)}
        ).sort_values(["p", "o"], kind="stable")
        f = f.drop_duplicates(["p", "t"])
        f = f[f.groupby("p").cumcount().to_numpy() < size[f["p"].to_numpy()]]
        proj, town, order = [f["p"].to_numpy()], [f["t"].to_numpy()], [f["o"].to_numpy()]
        have = np.bincount(proj[0], minlength=n_projects)
    if (have < lo).any():
        raise ValidationError(
            f"could not find {lo} distinct member towns for every project; ask for more towns"
        )
    return proj[0], town[0], size


def synthetic_network(
    n_towns: int = 100_000,
    n_links: int = 250_000,
    n_projects: int = 2_000,
    *,
    seed: int = 0,
    model: LinkModel | None = None,
    domestic_share: float | None = None,
    hubs: Sequence[int] = (),
    large_projects: Sequence[int] = (),
) -> TwinningData:
    """Draw a SYNTHETIC Europe-wide twinning network, calibrated on the bundled data.

    For benchmarks and load tests only: the towns are real places (or jittered copies of
    them) but every link is random. Names are marked ``(synthetic)``, ids are ``SYN-…``,
    sources are ``"synthetic"``. See the module docstring for the model.

    Parameters
    ----------
    n_towns
        Number of towns (exactly). Up to 71,561 they are distinct gazetteer places;
        beyond, jittered copies named ``"<place> (synthetic k)"`` are added.
    n_links
        Number of edge-list partnerships (kind ``"twinning"``, unknown ``since``), each a
        distinct pair of distinct towns (exactly). ``data.edges`` has a few more rows:
        the pairs inside projects.
    n_projects
        Number of multi-member projects (membership format), each of 4–12 towns.
    seed
        Seed of the :class:`numpy.random.Generator`; the same seed and sizes give the
        same network.
    model
        A :class:`LinkModel` from :func:`calibrate`; default: calibrated on the bundled data.
    domestic_share
        Override the share of domestic links (default: the model's, 9.3 % on the bundled
        data).
    hubs
        Degrees of hub towns, e.g. ``(16_000, 10_000, 3_000)``: the ``k``-th most populous
        town gets ``hubs[k]`` partners drawn anywhere in the network (probability ∝
        propensity), on top of the links the model gives it. These links are part of
        ``n_links`` (the total stays exact). Real networks have no such hubs; they test
        how the library copes with very uneven degrees.
    large_projects
        Member counts of extra projects (kind ``"network"``), e.g. ``(10_000,)``, added
        after the ``n_projects`` ordinary ones; members drawn anywhere, probability ∝
        propensity. A project of ``m`` members links ``m(m-1)/2`` pairs: these test that
        projects are kept as memberships rather than expanded.

    Returns
    -------
    TwinningData
        Built directly (the frames have the dtypes :func:`twinning_graph.load` produces,
        so no validation pass is needed). ``data.towns`` also keeps ``geonames_id`` of
        real places (``<NA>`` for jittered copies).

    Raises
    ------
    ValidationError
        For sizes that are not whole numbers, too few towns for the links or projects
        asked for, a ``domestic_share`` outside [0, 1], hub degrees or project sizes that
        do not fit the network.

    Examples
    --------
    >>> from twinning_graph.synthetic import synthetic_network
    >>> data = synthetic_network(2_000, 5_000, 50, seed=1)
    >>> len(data), len(data.partnerships), data.memberships["partnership_id"].nunique()
    (2000, 5000, 50)
    >>> data.towns.index[0], bool(data.towns["name"].str.contains("(synthetic", regex=False).all())
    ('SYN-000000', True)

    A hub town of at least 1,500 partners and one project of 800 members:

    >>> big = synthetic_network(2_000, 5_000, 50, seed=1, hubs=(1_500,), large_projects=(800,))
    >>> len(big.partnerships), int(big.partnerships[["town_a", "town_b"]].stack().value_counts().max()) >= 1_500
    (5000, True)
    >>> int(big.memberships.groupby("partnership_id").size().max())
    800
    """
    n_towns = _check_count("n_towns", n_towns, 2)
    n_links = _check_count("n_links", n_links, 0)
    n_projects = _check_count("n_projects", n_projects, 0)
    if n_links > n_towns * (n_towns - 1) // 4:
        raise ValidationError(
            f"n_links={n_links:,} is too many for n_towns={n_towns:,}: at most "
            f"{n_towns * (n_towns - 1) // 4:,} (a quarter of all pairs)"
        )
    if n_projects and n_towns < 4 * PROJECT_SIZE[1]:
        raise ValidationError(
            f"projects of up to {PROJECT_SIZE[1]} towns need n_towns >= "
            f"{4 * PROJECT_SIZE[1]}, got {n_towns}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValidationError(f"seed must be an integer, got {seed!r}")
    hubs = _check_sizes("hubs", hubs, 1, n_towns - 1)
    large_projects = _check_sizes("large_projects", large_projects, 2, n_towns)
    if len(hubs) > n_towns:
        raise ValidationError(f"{len(hubs)} hubs asked for but only {n_towns:,} towns")
    if sum(hubs) > n_links:
        raise ValidationError(
            f"the hub links (sum(hubs) = {sum(hubs):,}) must not exceed n_links={n_links:,}"
        )
    model = model if model is not None else calibrate()
    share = model.domestic_share if domestic_share is None else float(domestic_share)
    if not 0.0 <= share <= 1.0:
        raise ValidationError(f"domestic_share must be within [0, 1], got {domestic_share!r}")
    rng = np.random.default_rng(int(seed))

    towns = _draw_towns(n_towns, rng)
    prop = _propensity(towns, model, rng)
    kernel = _Kernel(towns, prop, model)
    ids = towns.index.to_numpy(dtype=object)

    hub_keys, _ = _hub_keys(hubs, towns, prop, rng)
    a, b = _draw_links(n_towns, n_links, kernel, prop, share, rng, first=hub_keys)
    partnerships = pd.DataFrame(
        {
            "town_a": pd.array(ids[a], dtype="str"),
            "town_b": pd.array(ids[b], dtype="str"),
            "kind": pd.array(np.full(n_links, "twinning", dtype=object), dtype="str"),
            "since": pd.array(np.full(n_links, pd.NA), dtype="Int64"),
            "source": pd.array(np.full(n_links, SYNTHETIC_SOURCE, dtype=object), dtype="str"),
            "partnership_id": pd.array(np.full(n_links, None, dtype=object), dtype="str"),
        }
    )

    n_all = n_projects + len(large_projects)
    if n_all:
        p, t = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if n_projects:
            p, t, _ = _draw_projects(n_projects, kernel, prop, share, rng)
        for j, size in enumerate(large_projects):  # one draw per large project (a handful)
            members = _weighted_sample(prop, size, rng)
            p = np.concatenate([p, np.full(size, n_projects + j, dtype=np.int64)])
            t = np.concatenate([t, members])
        width = max(5, len(str(n_all - 1)))
        pids = np.char.add("SYN-P-", np.char.zfill(np.arange(n_all).astype(str), width))
        kind = np.asarray(PROJECT_KINDS, dtype=object)[rng.integers(0, 2, n_all)]
        kind[n_projects:] = "network"
        since = rng.integers(PROJECT_YEARS[0], PROJECT_YEARS[1] + 1, n_all)
        memberships = pd.DataFrame(
            {
                "partnership_id": pids.astype(object)[p],
                "town_id": ids[t],
                "kind": kind[p],
                "since": pd.array(since[p], dtype="Int64"),
                "source": np.full(len(p), SYNTHETIC_SOURCE, dtype=object),
            }
        )
    else:
        memberships = pd.DataFrame({c: pd.Series(dtype=object) for c in MEMBERSHIP_COLUMNS})
        memberships["since"] = memberships["since"].astype("Int64")
    label = (
        f"SYNTHETIC network (seed={int(seed)}, {n_towns:,} towns, {n_links:,} links, "
        f"{n_projects:,} projects"
        + (f", hubs of {', '.join(f'{h:,}' for h in hubs)} links" if hubs else "")
        + (
            f", large projects of {', '.join(f'{m:,}' for m in large_projects)} towns"
            if large_projects
            else ""
        )
        + ")"
    )
    logger.info("drew %s", label)
    return TwinningData(towns, partnerships, memberships, sources=(label,), name=label)
