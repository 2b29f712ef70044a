"""Candidate towns (network, gazetteer), the gap table and the per-data cache of all three."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph.graph import as_frames
from twinning_graph.network import TwinningData
from twinning_graph.recommend._model import _Model, _pop_bin

# the records keep the name of the former module twinning_graph/recommend.py
logger = logging.getLogger("twinning_graph.recommend")

#: Where candidates come from.
SOURCES = ("network", "gazetteer")


@dataclass
class _Candidates:
    """Candidate towns as arrays; ``col`` is the row in the model (-1: not in the network)."""

    frame: pd.DataFrame  # indexed by town_id: name, country, lat, lon, population, in_network
    col: np.ndarray


def _network_candidates(model: _Model) -> _Candidates:
    t = model.towns
    frame = pd.DataFrame(
        {
            "name": t["name"].astype(str),
            "country": t["country"].astype(str),
            "lat": t["lat"].astype(float),
            "lon": t["lon"].astype(float),
            "population": pd.to_numeric(t["population"], errors="coerce").astype("Int64"),
            "geonames_id": (
                pd.to_numeric(t["geonames_id"], errors="coerce").astype("Int64")
                if "geonames_id" in t
                else pd.array([pd.NA] * len(t), dtype="Int64")
            ),
            "in_network": True,
        },
        index=t.index,
    )
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
        raise ValidationError(
            f"candidates DataFrame lacks column(s) {missing}; needs "
            "geonames_id (index or column), name, country, lat, lon, "
            "population"
        )
    net = _network_candidates(model)
    gid = pd.Index(pd.to_numeric(pd.Series(g.index), errors="coerce").astype("Int64"))
    matched = gid.isin(net.frame["geonames_id"].dropna())
    pop = (
        pd.to_numeric(g["population"], errors="coerce")
        if "population" in g.columns
        else pd.Series(np.nan, index=g.index)
    )
    pop = pop.where(pop > 0)  # GeoNames 0 = unknown
    new = g.loc[~np.asarray(matched)]
    new_gid = gid[~np.asarray(matched)]
    extra = pd.DataFrame(
        {
            "name": new["name"].astype(str).to_numpy(),
            "country": new["country"].astype(str).to_numpy(),
            "lat": new["lat"].astype(float).to_numpy(),
            "lon": new["lon"].astype(float).to_numpy(),
            "population": pd.array(pop.loc[~np.asarray(matched)].round().to_numpy(), dtype="Int64"),
            "geonames_id": pd.array(new_gid, dtype="Int64"),
            "in_network": False,
        },
        index=pd.Index(
            "geonames:" + pd.Series(new_gid.astype(str)).to_numpy(dtype=object),
            name="town_id",
            dtype=str,
        ),
    )
    # network towns without a population take the gazetteer's
    gpop = pd.Series(pop.to_numpy(), index=gid).groupby(level=0).first()
    fill = net.frame["geonames_id"].map(gpop)
    fill = pd.Series(pd.array(fill.round().to_numpy(), dtype="Int64"), index=net.frame.index)
    net_frame = net.frame.assign(population=net.frame["population"].fillna(fill))
    frame = pd.concat([net_frame, extra])
    col = np.concatenate([net.col, np.full(len(extra), -1)])
    return _Candidates(frame, col)


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
    s = pd.Series(
        np.concatenate([under, under]),
        index=pd.MultiIndex.from_arrays([np.concatenate([a, b]), np.concatenate([b, a])]),
    )
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
        codes, cc = np.unique(
            f["country"].astype(str).to_numpy(dtype=object).astype(str), return_inverse=True
        )
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
        return (
            self.towns is towns and self.edges is edges and self.shape == (len(towns), len(edges))
        )

    def pool(self, source: str, candidates: pd.DataFrame | None = None) -> _Pool:
        """Prepared candidates; a user ``candidates`` frame is not cached (it may change)."""
        if candidates is not None:
            return _Pool(self.model, _gazetteer_candidates(self.model, candidates))
        pool = self._pools.get(source)
        if pool is None:
            cand = (
                _network_candidates(self.model)
                if source == "network"
                else _gazetteer_candidates(self.model, None)
            )
            pool = self._pools[source] = _Pool(self.model, cand)
        return pool

    def gaps(self, obj: Any) -> pd.Series | None:
        if self._gaps is _UNSET:
            self._gaps = _gap_table(obj)
        return self._gaps


def _context(
    data: TwinningData | nx.Graph,
    towns: pd.DataFrame | None = None,
    edges: pd.DataFrame | None = None,
) -> _Context:
    """The scoring context of ``data``, kept with the (immutable) data object."""
    if not isinstance(data, TwinningData):
        if towns is None or edges is None:
            towns, edges = as_frames(data)
        return _Context(towns, edges)
    return data.derived(("recommend", "context"), lambda: _Context(data.towns, data.edges))
