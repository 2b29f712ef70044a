"""Candidate partners: the network's towns, or those plus the gazetteer's places.

A gazetteer place is merged into a network town when it has the town's ``geonames_id``
or, failing that, the same folded name (:func:`twinning_graph.geocode.normalise_name`) and
country within :data:`~twinning_graph.recommend._places.SAME_PLACE_KM`; the town keeps its
id and partners and takes the place's population when its own is unknown. So no town is
listed twice, and the town itself and its partners cannot come back under another entry.

Only places that can sign a partnership are candidates: not provinces, counties, regions,
districts or quarters (a ``feature_code`` column, when the towns or places have one, decides;
otherwise the name, see :func:`municipal`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._errors import ValidationError
from twinning_graph._geo import chord_of_km, haversine_km, unit_xyz
from twinning_graph.lookup import SAME_PLACE_KM
from twinning_graph.recommend._links import Links
from twinning_graph.recommend._places import KERNELS, Network, name_keys, place_population

#: Where candidates come from.
SOURCES = ("network", "gazetteer")
#: centrality: a candidate's log10 population less that of the largest other candidate
#: among its CENTRAL_NEIGHBOURS nearest within CENTRAL_KM, clipped to +-CENTRAL_CLIP.
CENTRAL_KM = 15.0
#: A gazetteer place (not a network town) within PART_KM of a larger place whose name its own
#: name contains ("Starý Bohumín" by Bohumín), or within PART_KM of the query town or one of
#: its partners and smaller than it (Mariastaden by partner Helsingborg), is taken to be a
#: part or a suburb of that town, not a new partner. Network towns are never dropped so.
PART_KM = 10.0
#: Countries whose municipalities are unions of several localities (municipal reforms: SE
#: 1971, BE 1977, DK 2007, GR 2011, EE 2017, LV 2021, ...): there a gazetteer place within
#: LOCALITY_KM of a larger network town of its country is a locality of that municipality
#: (Oxie and Bunkeflostrand of Malmö, Åkarp of Burlöv), not a municipality that can twin;
#: 10 km keeps the seats of small neighbouring municipalities (Bjuv, 13 km from Helsingborg).
AMALGAMATED = frozenset(
    {"BE", "BG", "DK", "EE", "FI", "GR", "IS", "LT", "LV", "NL", "NO", "PT", "SE"}
)
LOCALITY_KM = 10.0
CENTRAL_NEIGHBOURS = 16
CENTRAL_CLIP = 2.0
#: GeoNames feature codes of places that are not municipalities (sections, historical,
#: abandoned, destroyed places) and of administrative units.
NOT_MUNICIPAL_CODES = frozenset({"PPLX", "PPLH", "PPLQ", "PPLW", "PPLCH", "ADM1", "ADM2", "ADMD"})
#: Words of names of units that are not municipalities (folded, whole words).
_NOT_MUNICIPAL = (
    r"\b(?:county|province|provincia|provincie|region|regione|oblast|prefecture|voivodeship|"
    r"landkreis|district|arrondissement|department|departement|quartier|quarter|"
    r"microdistrict|kreis \d+)\b"
)


def municipal(frame: pd.DataFrame, keys: np.ndarray) -> np.ndarray:
    """Which rows are places that can sign a partnership (municipalities).

    With a ``feature_code`` column, every code but :data:`NOT_MUNICIPAL_CODES`; the name
    must also not be that of a province, county, region, district or quarter, nor the
    name of a country.
    """
    from twinning_graph._text import fold
    from twinning_graph.countries import country_table

    ok = np.ones(len(frame), dtype=bool)
    if "feature_code" in frame:
        code = frame["feature_code"].astype("string").fillna("").str.upper().to_numpy(object)
        ok &= ~np.isin(code, sorted(NOT_MUNICIPAL_CODES))
    folded = fold(frame["name"].astype(str))
    ok &= ~folded.str.contains(_NOT_MUNICIPAL, regex=True).to_numpy(bool)
    countries = set(fold(country_table()["name"].astype(str)))
    ok &= ~np.isin(keys, sorted(countries))
    return ok


class Pool:
    """Candidates as arrays (no strings on the scoring path).

    ``frame`` (indexed by candidate id) holds what a ranking shows; ``row`` is the
    candidate's network row (-1: a gazetteer place), ``pos_of_row`` the reverse.
    """

    def __init__(
        self,
        net: Network,
        links: Links,
        frame: pd.DataFrame,
        row: np.ndarray,
        keys: np.ndarray,
        regions: np.ndarray | None,
        kern: dict[str, sp.csr_array],
        is_municipal: np.ndarray | None = None,
    ) -> None:
        self.net, self.frame = net, frame
        self.n = len(frame)
        self.row = np.asarray(row, dtype=np.intp)
        self.pos_of_row = np.full(net.n, -1, dtype=np.intp)
        innet = self.row >= 0
        self.pos_of_row[self.row[innet]] = np.flatnonzero(innet)
        lat = frame["lat"].to_numpy(float)
        lon = frame["lon"].to_numpy(float)
        self.lat_r, self.lon_r = np.radians(lat), np.radians(lon)
        self.xyz = unit_xyz(lat, lon)
        self.is_network = self.n == net.n and bool((self.row == np.arange(net.n)).all())
        #: every network town is a candidate (``pos_of_row`` has no -1)
        self.has_network = bool((self.pos_of_row >= 0).all())
        self.pop = place_population(frame)
        self.log_pop = np.log10(self.pop)
        self.country = frame["country"].astype(str).to_numpy()
        self.cc = net.codes.of(self.country)
        self.keys = keys
        self.key_index = pd.Index(np.unique(keys))
        code = self.key_index.get_indexer(keys)
        self.key_code = np.where(keys == "", -2, code)
        self.deg = np.where(innet, links.deg[np.maximum(self.row, 0)], 0.0)
        self.municipal = municipal(frame, keys) if is_municipal is None else is_municipal
        self.gid = frame["geonames_id"].to_numpy(dtype=float, na_value=-1.0).astype(np.int64)
        self.kern = kern
        self._kern_t: dict[str, sp.csr_array] = {}
        self._same: sp.csr_array | None = None
        self._parts: np.ndarray | None = None
        self._tree: Any = None
        self._outside_tree: Any = None
        self._small_near: sp.csr_array | None = None
        self._once: np.ndarray | None = None
        self._central: tuple[np.ndarray, np.ndarray] | None = None
        self._self_links: dict[str, np.ndarray] = {}
        self._regions = regions
        self._langs: tuple[list[frozenset[str]], np.ndarray] | None = None
        ids = frame.index.to_numpy(dtype=object).astype(str)
        self.id_rank = np.empty(self.n, dtype=np.intp)
        self.id_rank[np.argsort(ids, kind="stable")] = np.arange(self.n)

    def same_places(self) -> sp.csr_array:
        """Pairs of candidates that are one place listed twice (pool x pool, no diagonal):
        the same folded name and country within :data:`SAME_PLACE_KM`, or the same
        ``geonames_id``. Computed once per pool (a merge on name and country)."""
        if self._same is None:
            frame = pd.DataFrame({"code": self.key_code, "cc": self.cc, "pos": np.arange(self.n)})
            frame = frame[frame["code"] >= 0]
            m = frame.merge(frame, on=["code", "cc"])
            m = m[m["pos_x"] != m["pos_y"]]
            i, j = m["pos_x"].to_numpy(), m["pos_y"].to_numpy()
            lat, lon = np.degrees(self.lat_r), np.degrees(self.lon_r)
            near = haversine_km(lat[i], lon[i], lat[j], lon[j]) <= SAME_PLACE_KM
            i, j = i[near], j[near]
            # a gazetteer place listed twice: the same name, country and population (GeoNames
            # has such pairs 40 km apart, e.g. Svenstrup 2612021 and 2612022, 7,650 each)
            outside = (self.row < 0) & (self.key_code >= 0) & np.isfinite(self.pop)
            g2 = pd.DataFrame(
                {
                    "code": self.key_code[outside],
                    "cc": self.cc[outside],
                    "pop": self.pop[outside],
                    "pos": np.flatnonzero(outside),
                }
            )
            m2 = g2.merge(g2, on=["code", "cc", "pop"])
            m2 = m2[m2["pos_x"] != m2["pos_y"]]
            i = np.concatenate([i, m2["pos_x"].to_numpy()])
            j = np.concatenate([j, m2["pos_y"].to_numpy()])
            known = np.flatnonzero(self.gid >= 0)
            g = pd.DataFrame({"gid": self.gid[known], "pos": known})
            gm = g.merge(g, on="gid")
            gm = gm[gm["pos_x"] != gm["pos_y"]]
            i = np.concatenate([i, gm["pos_x"].to_numpy()])
            j = np.concatenate([j, gm["pos_y"].to_numpy()])
            S = sp.csr_array((np.ones(len(i), dtype=bool), (i, j)), shape=(self.n, self.n))
            S.sum_duplicates()
            self._same = S
        return self._same

    def listed_once(self) -> np.ndarray:
        """Per candidate: True unless it is a double of another candidate (one place listed
        twice keeps the entry with most partners, then the first id)."""
        if self._once is None:
            from scipy.sparse.csgraph import connected_components

            S = self.same_places()
            _, comp = connected_components(S, directed=False)
            order = np.lexsort((self.id_rank, -self.deg, comp))
            first = np.r_[True, comp[order][1:] != comp[order][:-1]]
            once = np.zeros(self.n, dtype=bool)
            once[order[first]] = True
            self._once = once
        return self._once

    def tree(self) -> Any:
        """A nearest-neighbour tree of every candidate (built once per pool)."""
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self.xyz)
        return self._tree

    def outside_tree(self) -> tuple[np.ndarray, Any]:
        """Positions of the candidates outside the network (gazetteer places) and their
        tree (built once per pool)."""
        if self._outside_tree is None:
            from scipy.spatial import cKDTree

            outside = np.flatnonzero(self.row < 0)
            self._outside_tree = (outside, cKDTree(self.xyz[outside]))
        return self._outside_tree

    def parts(self) -> np.ndarray:
        """Per candidate: False for a gazetteer place that is part of a network town or a
        larger place nearby, its name containing that place's name ("Starý Bohumín" 3 km
        from Bohumín, see :data:`PART_KM`), or, in a country of :data:`AMALGAMATED`, a
        place within :data:`LOCALITY_KM` of a larger network town of its country (a locality
        of that municipality); True otherwise. Computed once per pool."""
        if self._parts is None:
            from scipy.spatial import cKDTree

            ok = np.ones(self.n, dtype=bool)
            outside, out_tree = self.outside_tree()
            if len(outside) and self.n > 1:
                pairs = self.tree().sparse_distance_matrix(
                    out_tree, chord_of_km(PART_KM), output_type="coo_matrix"
                )
                big, small = pairs.row, outside[pairs.col]
                keys = self.keys
                lens = np.char.str_len(keys.astype(str))
                # the nested name is a network town, or a larger place (GeoNames gives Starý
                # Bohumín, a part of Bohumín, more inhabitants than Bohumín itself)
                bigger = (self.row[big] >= 0) | (
                    np.nan_to_num(self.pop[big], nan=0) > np.nan_to_num(self.pop[small], nan=0)
                )
                nest = (big != small) & bigger & (lens[big] > 2) & (lens[big] < lens[small])
                big, small = big[nest], small[nest]
                # a loop over the few close pairs whose names could nest (a few thousand)
                hit = [f" {keys[b]} " in f" {keys[s]} " for b, s in zip(big, small, strict=True)]
                ok[small[np.asarray(hit, dtype=bool)]] = False
            merged = outside[np.isin(self.country[outside], sorted(AMALGAMATED))]
            if len(merged) and self.net.tree is not None:
                pairs = self.net.tree.sparse_distance_matrix(
                    cKDTree(self.xyz[merged]), chord_of_km(LOCALITY_KM), output_type="coo_matrix"
                )
                a, c = pairs.row, merged[pairs.col]
                same = self.net.country[a] == self.country[c]
                larger = np.nan_to_num(self.net.pop[a], nan=np.inf) > np.nan_to_num(
                    self.pop[c], nan=-1.0
                )
                ok[c[same & larger]] = False
            self._parts = ok
        return self._parts

    def small_near(self) -> sp.csr_array:
        """Network towns x candidates: the gazetteer places within :data:`PART_KM` of each
        network town and smaller than it (or of unknown size): parts and suburbs of it.
        Computed once per pool."""
        if self._small_near is None:
            outside, out_tree = self.outside_tree()
            shape = (self.net.n, self.n)
            if len(outside) == 0 or self.net.tree is None:
                self._small_near = sp.csr_array(shape, dtype=bool)
                return self._small_near
            pairs = self.net.tree.sparse_distance_matrix(
                out_tree, chord_of_km(PART_KM), output_type="coo_matrix"
            )
            a, c = pairs.row, outside[pairs.col]
            town_pop = np.nan_to_num(self.net.pop[a], nan=np.inf)
            keep = ~(np.nan_to_num(self.pop[c], nan=-1.0) >= town_pop)
            a, c = a[keep], c[keep]
            self._small_near = sp.csr_array((np.ones(len(a), dtype=bool), (a, c)), shape=shape)
        return self._small_near

    def centrality(self) -> np.ndarray:
        """Per candidate: log10 of its population over that of the largest other candidate
        among its nearest within :data:`CENTRAL_KM` (a suburb or quarter of a larger town is
        negative, the main town of its area positive), clipped to +-:data:`CENTRAL_CLIP`;
        ``+CENTRAL_CLIP`` when no neighbour has a known population, 0 when the candidate's own
        population is unknown. Computed once per pool (one nearest-neighbour query)."""
        return self._centrality()[0]

    def larger_neighbour(self) -> np.ndarray:
        """Per candidate: position of the largest other candidate within :data:`CENTRAL_KM`
        (-1: none with a known population)."""
        return self._centrality()[1]

    def _centrality(self) -> tuple[np.ndarray, np.ndarray]:
        if self._central is None:
            lp = np.append(self.log_pop, np.nan)  # position n: "no neighbour"
            k = min(CENTRAL_NEIGHBOURS + 1, self.n)
            if k < 2:
                self._central = (np.zeros(self.n), np.full(self.n, -1, dtype=np.intp))
                return self._central
            _, j = self.tree().query(self.xyz, k=k, distance_upper_bound=chord_of_km(CENTRAL_KM))
            j = np.where(j == np.arange(self.n)[:, None], self.n, j)  # not the place itself
            nb = np.nan_to_num(lp[j], nan=-np.inf)
            best = nb.argmax(axis=1)
            rows = np.arange(self.n)
            top = nb[rows, best]
            with np.errstate(invalid="ignore"):
                c = np.clip(lp[:-1] - top, -CENTRAL_CLIP, CENTRAL_CLIP)
            c = np.where(np.isfinite(lp[:-1]), np.nan_to_num(c, nan=CENTRAL_CLIP), 0.0)
            who = np.where(np.isfinite(top), j[rows, best], -1).astype(np.intp)
            self._central = (c, who)
        return self._central

    def self_links(self, term: str, links: Links) -> np.ndarray:
        """Per candidate: ``sum_b A(candidate, b) K(candidate, b)``, its links to the towns
        of its own kernel (0 for a place outside the network)."""
        if term not in self._self_links:
            out = np.zeros(self.n)
            innet = np.flatnonzero(self.row >= 0)
            if len(innet):
                K = sp.csr_array(self.kern[term][innet])
                out[innet] = np.asarray(K.multiply(links.A[self.row[innet]]).sum(axis=1)).ravel()
            self._self_links[term] = out
        return self._self_links[term]

    def kern_t(self, term: str) -> sp.csr_array:
        """Kernel rows of every candidate, transposed (towns x candidates)."""
        if term not in self._kern_t:
            self._kern_t[term] = sp.csr_array(self.kern[term].T)
        return self._kern_t[term]

    def languages(self) -> tuple[list[frozenset[str]], np.ndarray]:
        """Distinct language sets and the set of each candidate."""
        if self._langs is None:
            from twinning_graph.recommend._language import town_languages

            regions = np.full(self.n, "", dtype=object)
            if self._regions is not None:  # regions of the gazetteer places
                regions[:] = self._regions
            innet = self.row >= 0
            if innet.any():
                regions[innet] = self.net.regions()[self.row[innet]]
            sets = town_languages(list(self.country), list(map(str, regions)))
            uniq = list(dict.fromkeys(sets))
            where = {s: i for i, s in enumerate(uniq)}
            self._langs = (uniq, np.array([where[s] for s in sets], dtype=np.intp))
        return self._langs


def network_pool(net: Network, links: Links) -> Pool:
    """Every town of the network as a candidate."""
    t = net.towns
    frame = pd.DataFrame(
        {
            "name": net.name,
            "country": net.country,
            "population": pd.array(np.round(net.pop), dtype="Int64"),
            "lat": net.lat,
            "lon": net.lon,
            "geonames_id": pd.array(np.where(net.geonames_id >= 0, net.geonames_id, None), "Int64"),
            "in_network": True,
            "partners": links.deg.astype(np.int64),
        },
        index=pd.Index(net.index.astype(str), name="town_id", dtype=str),
    )
    for extra in ("name_local", "feature_code"):
        if extra in t:
            frame.insert(1, extra, t[extra].to_numpy())
    return Pool(
        net, links, frame, np.arange(net.n), net.key, None, dict(net.kern), net.municipal(frame)
    )


def match_to_network(
    net: Network, keys: np.ndarray, country: np.ndarray, lat: Any, lon: Any, gid: np.ndarray
) -> np.ndarray:
    """Network row of each place (-1: none); see :func:`twinning_graph.lookup.match_places`."""
    from twinning_graph.lookup import match_places

    return match_places(
        net.key, net.country, net.lat, net.lon, net.geonames_id, keys, country, lat, lon, gid
    )


def gazetteer_pool(net: Network, links: Links, places: pd.DataFrame | None) -> Pool:
    """The network's towns plus every gazetteer place that is not one of them."""
    if places is None:
        from twinning_graph._gazetteer import places as gazetteer_places

        places = gazetteer_places(min_population=1000)
    g = places.reset_index() if "geonames_id" not in places.columns else places.copy()
    if "geonames_id" not in g.columns and "index" in g.columns:
        g = g.rename(columns={"index": "geonames_id"})
    missing = [c for c in ("geonames_id", "name", "country", "lat", "lon") if c not in g.columns]
    if missing:
        raise ValidationError(
            f"candidates DataFrame lacks column(s) {missing}; needs geonames_id (index or "
            "column), name, country, lat, lon and optionally population, admin1, feature_code"
        )
    gid = pd.to_numeric(g["geonames_id"], errors="coerce").fillna(-1).to_numpy().astype(np.int64)
    keys = name_keys(g["name"].astype(str))
    country = g["country"].astype(str).to_numpy()
    lat, lon = g["lat"].to_numpy(float), g["lon"].to_numpy(float)
    row = match_to_network(net, keys, country, lat, lon, gid)
    pop = place_population(g)
    base = network_pool(net, links)
    # a network town of unknown population takes its gazetteer place's
    matched = row >= 0
    fill = pd.Series(pop[matched], index=row[matched]).groupby(level=0).max()
    net_pop = base.frame["population"].astype("Float64").to_numpy(float, na_value=np.nan)
    hole = np.isnan(net_pop)
    filled = fill.reindex(np.flatnonzero(hole)).to_numpy()
    net_pop[np.flatnonzero(hole)] = filled
    net_frame = base.frame.assign(population=pd.array(np.round(net_pop), dtype="Int64"))
    new = np.flatnonzero(~matched)
    extra = pd.DataFrame(
        {
            "name": g["name"].astype(str).to_numpy()[new],
            "country": country[new],
            "population": pd.array(np.round(pop[new]), dtype="Int64"),
            "lat": lat[new],
            "lon": lon[new],
            "geonames_id": pd.array(np.where(gid[new] >= 0, gid[new], None), dtype="Int64"),
            "in_network": False,
            "partners": np.zeros(len(new), dtype=np.int64),
        },
        index=pd.Index([f"geonames:{i}" for i in gid[new]], name="town_id", dtype=str),
    )
    for col in ("name_local", "feature_code"):
        if col in net_frame or col in g:
            extra[col] = g[col].to_numpy()[new] if col in g else None
            if col not in net_frame:
                net_frame[col] = None
    frame = pd.concat([net_frame, extra[net_frame.columns]])
    # regions of the places (those of network towns are looked up when languages are used)
    regions = np.concatenate(
        [
            np.full(net.n, "", dtype=object),
            g["admin1"].astype(str).to_numpy()[new] if "admin1" in g else np.full(len(new), ""),
        ]
    ).astype(str)
    kern = {
        t: sp.csr_array(sp.vstack([net.kern[t], net.kernel_rows(lat[new], lon[new], t)]))
        for t in KERNELS
    }
    rows = np.concatenate([np.arange(net.n), np.full(len(new), -1)])
    keys_all = np.concatenate([net.key, keys[new]])
    ok = np.concatenate([net.municipal(base.frame), municipal(extra, keys[new])])
    return Pool(net, links, frame, rows, keys_all, regions, kern, ok)


def doubles(pool: Pool, town: Any) -> np.ndarray:
    """Which candidates are the same place as ``town`` (a resolved query town): the same
    ``geonames_id``, or name key and country within :data:`SAME_PLACE_KM`."""
    same = np.zeros(pool.n, dtype=bool)
    if town.geonames_id >= 0:
        same |= pool.gid == town.geonames_id
    if town.key and town.key in pool.key_index:
        code = pool.key_index.get_loc(town.key)
        pos = np.flatnonzero(pool.key_code == code)
        pos = pos[pool.country[pos] == town.country]
        if len(pos):
            d = haversine_km(
                town.lat, town.lon, np.degrees(pool.lat_r[pos]), np.degrees(pool.lon_r[pos])
            )
            same[pos[d <= SAME_PLACE_KM]] = True
    return same
