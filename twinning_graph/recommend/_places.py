"""Places as arrays: the network's towns, their neighbourhood kernels and regions.

Everything here depends on the towns only (not on the links), so the fitted model and the
inner model that fits its weights share one :class:`Network`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from twinning_graph._geo import chord_of_km, km_of_chord, unit_xyz
from twinning_graph.lookup import SAME_PLACE_KM

#: Scales (km) of the neighbourhood kernels and how many nearest towns each keeps.
KERNELS: dict[str, tuple[float, int]] = {
    "nearby_10km": (10.0, 16),
    "nearby_50km": (50.0, 32),
    "nearby_150km": (150.0, 64),
}


def name_keys(names: Any) -> np.ndarray:
    """Matching keys of names (:func:`twinning_graph.geocode.normalise_name`)."""
    from twinning_graph.geocode import normalise_name

    return normalise_name(pd.Series(list(names), dtype="str")).to_numpy(dtype=object).astype(str)


class Codes:
    """Country codes as integers: every code of the country table plus those given."""

    def __init__(self, extra: Any) -> None:
        from twinning_graph.countries import country_table

        table = country_table()
        codes = sorted(set(table.index.astype(str)) | set(map(str, extra)))
        self.index = pd.Index(codes)
        self.europe = self.index.isin(table.index[table["europe"].to_numpy(bool)])
        self.n = len(codes)

    def of(self, countries: Any) -> np.ndarray:
        """Integer codes; unknown codes get ``n`` (a padding row of every table)."""
        idx = self.index.get_indexer(pd.Index(np.asarray(countries, dtype=object).astype(str)))
        return np.where(idx >= 0, idx, self.n).astype(np.intp)


class Network:
    """The towns of a data object as arrays, a search tree and neighbourhood kernels."""

    def __init__(self, towns: pd.DataFrame) -> None:
        self.towns = towns
        self.index = towns.index
        self.n = len(towns)
        self.name = towns["name"].astype(str).to_numpy()
        self.country = towns["country"].astype(str).to_numpy()
        self.codes = Codes(self.country)
        self.cc = self.codes.of(self.country)
        self.lat = towns["lat"].to_numpy(float)
        self.lon = towns["lon"].to_numpy(float)
        self.pop = place_population(towns)
        gid = (
            pd.to_numeric(towns["geonames_id"], errors="coerce")
            if "geonames_id" in towns
            else pd.Series(np.nan, index=towns.index)
        )
        self.geonames_id = gid.fillna(-1).to_numpy().astype(np.int64)
        self.key = name_keys(self.name)
        self.europe = np.append(self.codes.europe, False)[self.cc]
        self.xyz = unit_xyz(self.lat, self.lon)
        self.tree = cKDTree(self.xyz) if self.n else None
        self.kern = {t: self.kernel_rows(self.lat, self.lon, t) for t in KERNELS}
        self._regions: np.ndarray | None = None
        self._name_keys: dict[str, np.ndarray] | None = None
        self._municipal: np.ndarray | None = None

    def municipal(self, frame: pd.DataFrame) -> np.ndarray:
        """Which towns can sign a partnership (computed once; ``frame`` as the network
        candidates show the towns, see :func:`~twinning_graph.recommend._pool.municipal`)."""
        if self._municipal is None:
            from twinning_graph.recommend._pool import municipal

            self._municipal = municipal(frame, self.key)
        return self._municipal

    def name_keys(self) -> dict[str, np.ndarray]:
        """Name keys of every name column (for finding towns by name)."""
        if self._name_keys is None:
            from twinning_graph.lookup import town_keys

            self._name_keys = town_keys(self.towns)
        return self._name_keys

    def kernel_rows(self, lat: Any, lon: Any, term: str) -> sp.csr_array:
        """Gaussian kernel from points to their nearest network towns (points x towns).

        ``K[p, a] = exp(-(d / sigma)^2 / 2)`` for the ``k`` towns nearest to point ``p``
        within ``3 sigma`` (a town itself included, with weight 1).
        """
        sigma, k = KERNELS[term]
        lat = np.asarray(lat, dtype=float)
        m = len(lat)
        if self.tree is None or m == 0:
            return sp.csr_array((m, self.n), dtype=np.float32)
        k = min(k, self.n)
        d, j = self.tree.query(
            unit_xyz(lat, lon), k=k, distance_upper_bound=chord_of_km(3 * sigma), workers=-1
        )
        d, j = d.reshape(m, k), j.reshape(m, k)
        ok = np.isfinite(d)
        w = np.exp(-0.5 * (km_of_chord(d[ok]) / sigma) ** 2).astype(np.float32)
        rows = np.repeat(np.arange(m), k).reshape(m, k)[ok]
        return sp.csr_array((w, (rows, j[ok])), shape=(m, self.n))

    def regions(self) -> np.ndarray:
        """GeoNames admin-1 code of each town ("" unknown) where languages depend on it."""
        if self._regions is None:
            self._regions = town_regions(
                self.towns, self.country, self.lat, self.lon, self.geonames_id
            )
        return self._regions


def place_population(frame: pd.DataFrame) -> np.ndarray:
    if "population" not in frame:
        return np.full(len(frame), np.nan)
    pop = pd.to_numeric(frame["population"], errors="coerce").to_numpy(float, na_value=np.nan)
    return np.where(pop > 0, pop, np.nan)


def town_regions(
    towns: pd.DataFrame,
    country: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    geonames_id: np.ndarray,
) -> np.ndarray:
    """Admin-1 region of towns of countries whose languages differ by region.

    An ``admin1`` column is used when the towns have one; otherwise the region of the
    gazetteer place with the town's ``geonames_id``, else of the nearest gazetteer place of
    the same country within :data:`SAME_PLACE_KM`. Other towns get ``""``.
    """
    from twinning_graph.recommend._language import REGIONAL_COUNTRIES

    out = np.full(len(country), "", dtype=object)
    if "admin1" in towns:
        a1 = towns["admin1"].astype("string").fillna("").to_numpy(dtype=object)
        out[:] = a1
    need = np.isin(country, list(REGIONAL_COUNTRIES)) & (out == "")
    if not need.any():
        return out.astype(str)
    from twinning_graph._gazetteer import load_gazetteer

    gaz = load_gazetteer()
    gaz = gaz[gaz["country"].isin(sorted(set(country[need])))]
    by_id = gaz["admin1"].astype(str)
    hit = need & np.isin(geonames_id, by_id.index.to_numpy())
    out[hit] = by_id.reindex(geonames_id[hit]).to_numpy()
    rest = np.flatnonzero(need & ~hit & np.isfinite(lat) & np.isfinite(lon))
    for c in np.unique(country[rest]):  # a loop over a few countries, not towns
        g = gaz[gaz["country"] == c]
        sel = rest[country[rest] == c]
        if len(g) == 0:
            continue
        d, j = cKDTree(unit_xyz(g["lat"], g["lon"])).query(unit_xyz(lat[sel], lon[sel]), k=1)
        close = km_of_chord(d) <= SAME_PLACE_KM
        out[sel[close]] = g["admin1"].astype(str).to_numpy()[j[close]]
    return out.astype(str)
