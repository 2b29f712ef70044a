"""Transnational reach of towns and countries.

How far does a town's twinning reach: how many partners abroad, how many countries,
how many EU Member States, how far away, and how many countries lie within ``k`` hops of
the network? And per country: how many of its places are twinned, how many links cross
its borders, how many Member States it is tied to.

Everything is computed over whole arrays (``numpy.bincount``, pandas ``groupby`` and
``scipy.sparse`` products); there is no Python loop over towns or links.

Conventions
-----------
- *Foreign* means "in another country than the town itself". ``countries_reached`` and
  ``countries_within_{k}_hops`` count **foreign countries only**: the town's own country
  never counts, even when a domestic partner is reached.
- EU Member States are the current EU-27 (:data:`twinning_graph.countries.EU27`).
  ``eu_states_reached`` counts Member States other than the town's (or country's) own;
  ``eu_share`` divides it by the number of Member States it *could* reach: 26 for a
  town or country of a Member State, 27 for any other.
- Towns whose country is unknown (possible in a hand-made networkx graph) reach no
  country and count no foreign partner.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._errors import DataWarning, ValidationError
from twinning_graph._validate import check_int
from twinning_graph.graph import accepts_graph
from twinning_graph.network import TwinningData

__all__ = ["town_reach", "country_reach", "reach", "EU_STATES"]

log = logging.getLogger(__name__)

#: Number of EU Member States used as the denominator of ``eu_share`` (EU-27).
EU_STATES = 27


def _eu27() -> frozenset[str]:
    from twinning_graph.countries import EU27

    return EU27


def _net(data: TwinningData) -> _Net:
    """The integer-coded view of ``data``, built once and kept on the data object."""
    return data.derived(("reach", "net"), lambda: _Net(data))


class _Net:
    """Integer-coded view of a network: towns, countries, and both directions of each link."""

    def __init__(self, data: TwinningData) -> None:
        towns, edges = data.towns, data.edges
        self.towns, self.edges = towns, edges
        self.n = n = len(towns)
        ia = towns.index.get_indexer(edges["town_a"])
        ib = towns.index.get_indexer(edges["town_b"])
        ok = (ia >= 0) & (ib >= 0) & (ia != ib)
        ia, ib = ia[ok], ib[ok]
        # each undirected link as two directed half-links src -> dst
        self.src = np.concatenate([ia, ib])
        self.dst = np.concatenate([ib, ia])
        d = edges["distance_km"].to_numpy(float)[ok]
        self.dist = np.concatenate([d, d])
        codes, uniques = pd.factorize(towns["country"], use_na_sentinel=True)
        self.ccode = codes.astype(np.int64)  # -1: unknown country
        self.countries = pd.Index(uniques, dtype=object)
        self.nc = len(uniques)
        eu = _eu27()
        self.country_is_eu = np.asarray([c in eu for c in self.countries], dtype=bool)
        cs, cd = self.ccode[self.src], self.ccode[self.dst]
        self.foreign = (cs >= 0) & (cd >= 0) & (cs != cd)
        self.partners = np.bincount(self.src, minlength=n)
        self.A = sp.csr_array(
            (np.ones(len(self.src), dtype=np.int32), (self.src, self.dst)), shape=(n, n)
        )
        self.A.sum_duplicates()
        self.A.data[:] = 1

    def distinct_per_row(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Number of distinct ``cols`` (country codes) per row (parallel int arrays)."""
        M = sp.csr_array(
            (np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(self.n, max(self.nc, 1))
        )
        M.sum_duplicates()  # one stored entry per distinct (row, col)
        return np.diff(M.indptr).astype(np.int64)

    def country_indicator(self) -> sp.csr_array:
        """n_towns × n_countries 0/1 matrix: ``T[i, c] = 1`` when town i is in country c."""
        known = self.ccode >= 0
        rows = np.flatnonzero(known)
        return sp.csr_array(
            (np.ones(len(rows), dtype=np.int32), (rows, self.ccode[known])),
            shape=(self.n, max(self.nc, 1)),
        )


def _countries_within(net: _Net, k: int, rows: np.ndarray | None) -> np.ndarray:
    """Distinct foreign countries reachable within ``k`` hops, for ``rows`` (all when None).

    For all towns the reachable-country matrix is built by Horner's scheme,
    ``X_0 = T``, ``X_j = bool(T + A @ X_{j-1})`` so ``X_k = bool((I + A + ... + A^k) T)``:
    every intermediate has at most n_towns × n_countries entries, far fewer than the
    n × n reach matrix ``I + A + A^2``. For a few rows the reach rows
    ``R_j = bool(R_{j-1} + R_{j-1} @ A)`` are propagated instead (m × n, m small).
    """
    T = net.country_indicator()
    # X_j (and R_j) only grow with j: once a step adds nothing, later steps add nothing
    # either, so a large k stops at the network's diameter instead of running k steps
    if rows is None:
        X = T
        for _ in range(k):
            before = X.nnz
            X = T + net.A @ X
            X.data[:] = 1
            if X.nnz == before:
                break
        X.eliminate_zeros()
    else:
        m = len(rows)
        R = sp.csr_array((np.ones(m, dtype=np.int32), (np.arange(m), rows)), shape=(m, net.n))
        for _ in range(k):
            before = R.nnz
            R = R + R @ net.A
            R.data[:] = 1
            if R.nnz == before:
                break
        X = R @ T
        X.data[:] = 1
        X.eliminate_zeros()
    counts = np.diff(X.indptr).astype(np.int64)
    own = net.ccode if rows is None else net.ccode[rows]
    return counts - (own >= 0)  # the town itself is always reached: drop its own country


@accepts_graph
def town_reach(
    data: TwinningData, *, k: int = 2, towns: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """Transnational reach of every town: partners, countries and Member States reached.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    k
        Number of hops for ``countries_within_{k}_hops`` (default 2: partners and
        partners' partners).
    towns
        A town id or a list of them: return only these rows, in this order. Unknown ids
        raise :class:`~twinning_graph.UnknownTownError` with close matches.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``town_id``, columns:

        - ``name``, ``country`` — of the town;
        - ``partners`` — number of partner towns (linked pairs, not partnership records);
        - ``foreign_partners`` — partners in another country;
        - ``countries_reached`` — distinct foreign countries among the partners (the own
          country is never counted);
        - ``countries_within_{k}_hops`` (``countries_within_2_hops`` by default) — distinct
          foreign countries with a town reachable in at most ``k`` links; always
          ``>= countries_reached``;
        - ``eu_states_reached`` — distinct EU Member States, other than the own country,
          among the partners;
        - ``eu_share`` — ``eu_states_reached / 26`` for a town in a Member State,
          ``/ 27`` otherwise;
        - ``mean_partner_km``, ``max_partner_km`` — great-circle distance to partners
          (NaN without partners);
        - ``foreign_share`` — ``foreign_partners / partners`` (NaN without partners).

    Raises
    ------
    ValidationError
        ``k`` is not a whole number >= 1.
    UnknownTownError
        A town in ``towns`` is not in the data.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> data = tg.load()
    >>> from twinning_graph.reach import town_reach
    >>> r = town_reach(data, towns=["DE-berlin", "FR-paris"])
    >>> r.loc["DE-berlin", ["partners", "foreign_partners", "countries_reached"]].tolist()
    [24, 24, 23]
    >>> bool((r["countries_within_2_hops"] >= r["countries_reached"]).all())
    True
    """
    k = check_int(k, "k", minimum=1, hint=" (hops, e.g. 2)")
    net = _net(data)
    rows = None
    wanted: list[str] | None = None
    if towns is not None:
        wanted = data.resolve(towns)
        rows = net.towns.index.get_indexer(wanted)
    n, src, dst = net.n, net.src, net.dst
    fsrc, fdst = src[net.foreign], dst[net.foreign]
    partners = net.partners
    foreign_partners = np.bincount(fsrc, minlength=n)
    fcountry = net.ccode[fdst]
    countries_reached = net.distinct_per_row(fsrc, fcountry)
    eu_dst = net.country_is_eu[fcountry] if len(fcountry) else np.zeros(0, bool)
    eu_reached = net.distinct_per_row(fsrc[eu_dst], fcountry[eu_dst])
    own_eu = np.zeros(n, dtype=bool)
    known = net.ccode >= 0
    own_eu[known] = net.country_is_eu[net.ccode[known]]
    with np.errstate(divide="ignore", invalid="ignore"):
        sum_km = np.bincount(src, weights=net.dist, minlength=n)
        mean_km = np.where(partners > 0, sum_km / partners, np.nan)
        foreign_share = np.where(partners > 0, foreign_partners / partners, np.nan)
    max_km = pd.Series(net.dist).groupby(src).max().reindex(np.arange(n)).to_numpy(float)
    within = _countries_within(net, k, rows)
    out = pd.DataFrame(
        {
            "name": net.towns["name"].to_numpy(),
            "country": net.towns["country"].to_numpy(),
            "partners": partners.astype(np.int64),
            "foreign_partners": foreign_partners.astype(np.int64),
            "countries_reached": countries_reached.astype(np.int64),
            f"countries_within_{k}_hops": np.zeros(n, dtype=np.int64),
            "eu_states_reached": eu_reached.astype(np.int64),
            "eu_share": eu_reached / np.where(own_eu, EU_STATES - 1, EU_STATES),
            "mean_partner_km": mean_km,
            "max_partner_km": max_km,
            "foreign_share": foreign_share,
        },
        index=net.towns.index.copy(),
    )
    out.index.name = "town_id"
    if rows is None:
        out[f"countries_within_{k}_hops"] = within
        return out
    out = out.iloc[rows].copy()
    out[f"countries_within_{k}_hops"] = within
    return out


def _gazetteer_places(min_population: int) -> pd.DataFrame:
    from twinning_graph._gazetteer import places

    return places(min_population=min_population)


def _gazetteer_population() -> pd.Series:
    from twinning_graph._gazetteer import load_gazetteer

    return load_gazetteer().groupby("country")["population"].sum()


@accepts_graph
def country_reach(data: TwinningData, *, min_population: int = 5000) -> pd.DataFrame:
    """Transnational reach of every country of the data, and the share of its places twinned.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    min_population
        Places counted in ``gazetteer_places`` and ``twinned_share``: GeoNames places with
        at least this many inhabitants (default 5,000).

    Returns
    -------
    pandas.DataFrame
        Indexed by country code (the countries with towns in the data), columns:

        - ``name`` — English short name;
        - ``towns`` — towns of the country in the data; ``twinned_towns`` — those with at
          least one partner;
        - ``gazetteer_places`` — places of the country in the shipped GeoNames gazetteer
          with ``population >= min_population`` (``<NA>`` for countries outside the
          gazetteer, which covers 45 European countries);
        - ``twinned_share`` — ``twinned_places / gazetteer_places`` where
          ``twinned_places`` is the number of distinct ``geonames_id`` of twinned towns
          that are among those gazetteer places of the country (so the population used
          is GeoNames', and the share is at most 1). Towns without a ``geonames_id`` are
          not counted. NaN for countries outside the gazetteer, and for every country
          when the towns carry no ``geonames_id`` at all (with a
          :class:`~twinning_graph.DataWarning`);
        - ``links`` — linked town pairs with at least one end in the country;
          ``domestic_links`` — both ends; ``transnational_links`` — one end;
          ``transnational_share`` — ``transnational_links / links``;
        - ``countries_reached`` — distinct other countries linked by at least one link;
        - ``eu_states_reached`` — distinct EU Member States other than itself linked by
          at least one link; ``eu_share`` — that over 26 for a Member State, 27 otherwise;
        - ``gazetteer_population`` — sum of the population of all places of the country in
          the gazetteer (places of >= 1,000 inhabitants): the population living in
          GeoNames populated places, an approximation (usually an under-count) of the
          national population; ``<NA>`` outside the gazetteer;
        - ``links_per_100k`` — ``links`` per 100,000 of ``gazetteer_population``.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.reach import country_reach
    >>> c = country_reach(tg.load())
    >>> int(c.loc["MT", "eu_states_reached"]) <= 26
    True
    >>> bool((c["twinned_share"].dropna() <= 1).all())
    True
    """
    if (
        isinstance(min_population, bool)
        or not isinstance(min_population, (int, np.integer))
        or min_population < 0
    ):
        raise ValidationError(
            f"min_population must be a whole number of inhabitants >= 0, got {min_population!r}"
        )
    return _country_reach(data, int(min_population), stacklevel=3)


def country_link_counts(data: TwinningData) -> pd.DataFrame:
    """Per country with towns: towns, twinned_towns, links, domestic_links,
    transnational_links, transnational_share, countries_reached, eu_states_reached, eu_share.

    The link part of :func:`country_reach` (no gazetteer), shared with
    :func:`twinning_graph.gaps.low_reach_countries`.
    """
    net = _net(data)
    nc, cc = net.nc, net.ccode
    known = cc >= 0
    n_towns = np.bincount(cc[known], minlength=nc)
    twinned = (net.partners > 0) & known
    n_twinned = np.bincount(cc[twinned], minlength=nc)

    # links per country: every undirected link once, from both of its countries
    half = net.src < net.dst  # the first copy of each undirected link
    ca, cb = cc[net.src[half]], cc[net.dst[half]]
    ok = (ca >= 0) & (cb >= 0)
    ca, cb = ca[ok], cb[ok]
    dom = ca == cb
    domestic = np.bincount(ca[dom], minlength=nc)
    trans = np.bincount(ca[~dom], minlength=nc) + np.bincount(cb[~dom], minlength=nc)
    links = domestic + trans
    a2 = np.concatenate([ca[~dom], cb[~dom]])
    b2 = np.concatenate([cb[~dom], ca[~dom]])
    P = sp.coo_array(
        (np.ones(len(a2), dtype=np.int32), (a2, b2)), shape=(max(nc, 1), max(nc, 1))
    ).tocsr()
    P.sum_duplicates()
    P = P.tocoo()
    pa, pb = P.row.astype(np.int64), P.col.astype(np.int64)
    countries_reached = np.bincount(pa, minlength=nc)
    eu_pb = net.country_is_eu[pb] if len(pb) else np.zeros(0, bool)
    eu_reached = np.bincount(pa[eu_pb], minlength=nc)
    eu_den = np.where(net.country_is_eu, EU_STATES - 1, EU_STATES) if nc else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        trans_share = np.where(links > 0, trans / np.maximum(links, 1), np.nan)
    index = pd.Index(net.countries, name="country", dtype=str)
    return pd.DataFrame(
        {
            "towns": n_towns.astype(np.int64),
            "twinned_towns": n_twinned.astype(np.int64),
            "links": links.astype(np.int64),
            "domestic_links": domestic.astype(np.int64),
            "transnational_links": trans.astype(np.int64),
            "transnational_share": trans_share,
            "countries_reached": countries_reached.astype(np.int64),
            "eu_states_reached": eu_reached.astype(np.int64),
            "eu_share": eu_reached / eu_den if nc else np.zeros(0),
        },
        index=index,
    )


def _country_reach(data: TwinningData, min_population: int, *, stacklevel: int) -> pd.DataFrame:
    net = _net(data)
    towns = net.towns
    codes = net.countries
    counts = country_link_counts(data)
    twinned = (net.partners > 0) & (net.ccode >= 0)
    links = counts["links"].to_numpy()

    # gazetteer: places over the threshold, twinned towns among them, population
    gaz = _gazetteer_places(min_population)
    gaz_count = gaz["country"].value_counts()
    pop = _gazetteer_population()
    index = pd.Index(codes, name="country", dtype=str)
    gaz_places = gaz_count.reindex(index).astype("Int64")
    gid = towns["geonames_id"] if "geonames_id" in towns.columns else None
    if gid is None or pd.to_numeric(gid, errors="coerce").notna().sum() == 0:
        if counts["towns"].sum():
            import warnings

            warnings.warn(
                f"none of the {len(towns)} towns has a geonames_id, so twinned_share cannot "
                "be computed (NaN for every country); add a geonames_id column to the towns",
                DataWarning,
                stacklevel=stacklevel,
            )
        twinned_places = pd.Series(np.nan, index=index)
        share = pd.Series(np.nan, index=index)
    else:
        g = pd.to_numeric(gid, errors="coerce").astype("Int64")
        ids = pd.Index(g[twinned & g.notna().to_numpy()].astype("int64").unique())
        hit = gaz.loc[gaz.index.intersection(ids), "country"]
        twinned_places = hit.value_counts().reindex(index, fill_value=0)
        share = (twinned_places / gaz_places.astype("float64")).astype("float64")
    share = share.where(gaz_places.notna().to_numpy(), np.nan)
    inhabitants = pop.reindex(index).astype("Int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        per_100k = links / (inhabitants.astype("float64").to_numpy() / 1e5)
    per_100k = np.where(inhabitants.fillna(0).to_numpy() > 0, per_100k, np.nan)
    from twinning_graph.countries import country_table

    names = country_table()["name"]
    out = pd.DataFrame(
        {
            "name": pd.Series(index, index=index)
            .map(names)
            .fillna(pd.Series(index, index=index))
            .astype(str)
            .to_numpy(),
            "towns": counts["towns"].to_numpy(),
            "twinned_towns": counts["twinned_towns"].to_numpy(),
            "gazetteer_places": gaz_places.to_numpy(),
            "twinned_share": share.to_numpy(float),
            **{
                c: counts[c].to_numpy()
                for c in (
                    "links",
                    "domestic_links",
                    "transnational_links",
                    "transnational_share",
                    "countries_reached",
                    "eu_states_reached",
                    "eu_share",
                )
            },
            "gazetteer_population": inhabitants.to_numpy(),
            "links_per_100k": per_100k,
        },
        index=index,
    )
    out["gazetteer_places"] = out["gazetteer_places"].astype("Int64")
    out["gazetteer_population"] = out["gazetteer_population"].astype("Int64")
    return out.sort_index()


@accepts_graph
def reach(
    data: TwinningData,
    *,
    town: str | None = None,
    country: str | None = None,
    k: int = 2,
) -> dict[str, Any] | pd.DataFrame:
    """Reach of one town, of one country, or of every town (the ``reach`` command).

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    town
        A town id (or former id, Wikidata id, or the name of one town): return its row of
        :func:`town_reach` as a dict (with the town's ``town_id``).
    country
        A country code (``EL``/``UK`` accepted): return its row of :func:`country_reach`
        as a dict (with ``country``).
    k
        Hops for ``countries_within_{k}_hops`` (towns only).

    Returns
    -------
    dict or pandas.DataFrame
        One row as a dict, or the whole :func:`town_reach` table when neither ``town``
        nor ``country`` is given.

    Raises
    ------
    ValidationError
        Both ``town`` and ``country`` given, or a bad ``k``.
    UnknownTownError, UnknownCountryError
        The town or country is not in the data.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.reach import reach
    >>> r = reach(tg.load(), town="FR-paris")
    >>> r["town_id"], r["partners"] >= r["countries_reached"]
    ('FR-paris', True)
    """
    if town is not None and country is not None:
        raise ValidationError(
            f"give either town or country, not both (got town={town!r}, country={country!r})"
        )
    if town is not None:
        table = town_reach(data, k=k, towns=[town])
        # the resolved id: a name, former id or Wikidata id given as ``town`` is not an id
        return {"town_id": str(table.index[0]), **_plain(table.iloc[0])}
    if country is not None:
        code = data.check_countries(country)[0]
        table = _country_reach(data, 5000, stacklevel=3)
        return {"country": code, **_plain(table.loc[code])}
    return town_reach(data, k=k)


def _plain(row: pd.Series) -> dict[str, Any]:
    """A row as a dict of plain Python values (None for missing)."""
    out: dict[str, Any] = {}
    for key, v in row.items():
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out[str(key)] = None
        elif isinstance(v, np.generic):
            out[str(key)] = None if (isinstance(v, np.floating) and np.isnan(v)) else v.item()
        else:
            out[str(key)] = v
    return out
