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

import logging
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

__all__ = ["RankWeights", "rank_partners", "SOURCES"]

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

    def distance_term(self, d: np.ndarray) -> np.ndarray:
        b = np.clip(np.searchsorted(_DIST_EDGES, d, side="right") - 1, 0, len(self.dist_llr) - 1)
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


def _strategy(model: _Model, row: int, cand: _Candidates, gaps: pd.Series | None,
              eu_states: frozenset[str]) -> dict[str, np.ndarray]:
    own = model.country[row]
    partners = model.A[[row]].indices
    reached = set(model.country[partners]) | {own}
    cc = cand.frame["country"].astype(str)
    new_country = (~cc.isin(reached)).to_numpy(float)[None, :]
    gap = np.zeros_like(new_country)
    if gaps is not None and own in eu_states:
        key = pd.MultiIndex.from_arrays([np.full(len(cc), own, dtype=object), cc.to_numpy()])
        vals = gaps.reindex(key).to_numpy(float)
        vals = np.where(cc.isin(eu_states).to_numpy() & (cc != own).to_numpy(),
                        np.nan_to_num(vals), 0.0)
        gap = vals[None, :]
    return {"new_country": new_country, "gap": gap}


def _as_model(data: TwinningData | nx.Graph) -> _Model:
    towns, edges = as_frames(data)
    return _Model(towns, edges)


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


def _resolve_call(call: Any) -> Any:
    if call is None:
        return None
    from twinning_graph.calls import get_call

    return get_call(None if call == "latest" else call)


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValidationError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _reasons(top: pd.DataFrame, own_country: str) -> list[str]:
    """A short explanation per row (top-n rows only, so the loop is bounded by n)."""
    out = []
    for r in top.itertuples():
        bits = []
        if r.common_partners > 0:
            k = int(r.common_partners)
            bits.append(f"{k} shared partner{'s' if k > 1 else ''}")
        bits.append(f"{r.distance_km:,.0f} km")
        if r.country_llr >= 1.0:
            bits.append(f"{own_country}–{r.country} twinning is common")
        elif r.country_llr <= -1.0:
            bits.append(f"{own_country}–{r.country} twinning is rare")
        if r.size_llr >= 1.0:
            bits.append("towns of these sizes often twin")
        if r.new_country > 0:
            bits.append(f"new country ({r.country})")
        if r.gap > 0:
            bits.append(f"{own_country}–{r.country} under-linked")
        if not r.in_network:
            bits.append("no partner yet")
        elif r.partners >= 10:
            bits.append(f"already {int(r.partners)} partners")
        out.append("; ".join(bits))
    return out


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

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
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
        (``geonames_id`` as index or column, name, country, lat, lon, population).

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
    if source not in SOURCES:
        raise ValidationError(f"source must be one of {list(SOURCES)}, got {source!r}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValidationError(f"n must be a positive integer or None, got {n!r}")
    if candidates is not None and source != "gazetteer":
        raise ValidationError("candidates= is used only with source='gazetteer'")
    w = RankWeights.coerce(weights)
    towns, edges = as_frames(data)
    town_id = _check_town(towns, town_id)
    the_call = _resolve_call(call)
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

        codes = set(normalise_country(pd.Series(
            [countries] if isinstance(countries, str) else list(countries), dtype=object)))

    model = _Model(towns, edges)
    cand = (_network_candidates(model) if source == "network"
            else _gazetteer_candidates(model, candidates))
    row = int(model.index.get_loc(town_id))
    f = cand.frame

    # filters, in order, counting what each removes (vectorised masks)
    keep = np.ones(len(f), dtype=bool)
    steps: list[tuple[str, int]] = []

    def apply(label: str, mask: np.ndarray) -> None:
        nonlocal keep
        before = int(keep.sum())
        keep &= mask
        steps.append((label, before - int(keep.sum())))

    partners = set(model.index[model.A[[row]].indices])
    apply("the town itself and its existing partners",
          ~f.index.isin(list(partners | {town_id})))
    cc = f["country"].astype(str)
    if the_call is not None:
        apply(f"call={the_call.call} (eligible countries)",
              cc.isin(the_call.eligible_countries).to_numpy())
    if codes is not None:
        apply(f"countries={sorted(codes)}", cc.isin(codes).to_numpy())
    d = _haversine_one(np.full(len(f), model.lat[row]), np.full(len(f), model.lon[row]),
                       f["lat"].to_numpy(float), f["lon"].to_numpy(float))
    if lo_d is not None:
        apply(f"min_distance_km={lo_d:g}", d >= lo_d)
    if hi_d is not None:
        apply(f"max_distance_km={hi_d:g}", d <= hi_d)
    pop = f["population"].to_numpy(float, na_value=np.nan)
    if lo_p is not None:
        apply(f"min_population={lo_p:g}", np.nan_to_num(pop, nan=-1) >= lo_p)
    if hi_p is not None:
        apply(f"max_population={hi_p:g}", np.nan_to_num(pop, nan=np.inf) <= hi_p)
    if not keep.any():
        detail = "; ".join(f"{label}: -{k:,}" for label, k in steps)
        raise ValidationError(
            f"no candidate partner left for {town_id!r} from {len(f):,} {source} candidates "
            f"({detail}); relax the filter that removed the rest")

    sub = _Candidates(f.loc[keep], cand.col[keep])
    gaps = _gap_table(data) if (w.gap != 0) else None
    eu_states = the_call.eu_states if the_call is not None else _eu_now()
    strat = _strategy(model, row, sub, gaps, eu_states)
    parts = _score_rows(model, np.array([row]), sub, w, strategy=strat)
    out = sub.frame[["name", "country", "population", "in_network", "lat", "lon"]].copy()
    out.insert(2, "distance_km", parts["distance_km"][0])
    out.insert(4, "partners", parts["partners"][0].astype("int64"))
    for k in ("common_partners", "adamic_adar", "distance_llr", "country_llr", "size_llr"):
        out[k] = parts[k][0]
    out["common_partners"] = out["common_partners"].astype("int64")
    out["new_country"] = strat["new_country"][0].astype(bool)
    out["gap"] = strat["gap"][0]
    for k in ("plausibility", "strategy", "capacity"):
        out[k] = parts[k][0]
    out["eligible"] = True
    out["score"] = parts["score"][0]
    out.index.name = "town_id"
    out = out.iloc[_top(out["score"].to_numpy(float), out.index.to_numpy(dtype=object), n)]
    out["reason"] = _reasons(out, model.country[row])
    return out


def _top(score: np.ndarray, ids: np.ndarray, n: int | None) -> np.ndarray:
    """Positions of the ``n`` best scores, best first, ties broken by id (no full sort)."""
    if n is not None and n < len(score):
        cut = np.partition(-score, n - 1)[n - 1]
        pos = np.flatnonzero(-score <= cut)  # every tie at the cut-off competes
    else:
        pos = np.arange(len(score))
    order = np.lexsort((ids[pos].astype(str), -score[pos]))
    return pos[order][:n] if n is not None else pos[order]


def _eu_now() -> frozenset[str]:
    from twinning_graph.countries import EU27

    return EU27


def _score_table(model: _Model, rows: Sequence[int], cand: _Candidates,
                 w: RankWeights) -> np.ndarray:
    """Plausibility + capacity score of each query row against candidates (for plan.py)."""
    return _score_rows(model, np.asarray(rows), cand, w)["score"]
