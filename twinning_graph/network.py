"""The data object: towns, partnerships and the views every analysis shares.

:class:`TwinningData` never changes after it is made. Its tables come back as copies
(``data.towns``), so editing them cannot corrupt anything; a changed network is a new
object (:meth:`TwinningData.replace`, :meth:`TwinningData.filter`). Derived views — the
pair table, the sparse adjacency, the town–project incidence, fitted models of other
modules — are computed once, on first use, and kept on the object
(:meth:`TwinningData.derived`), so they can never go stale.

Projects (one row per member town) are kept as a bipartite town–project incidence. A
project of at most ``expand_projects`` members also links every pair of its members in
the pair table; a larger one (a city association of thousands of members, say) stays a
project only, so it never turns into millions of town pairs.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from twinning_graph._csv import source_label
from twinning_graph._errors import UnknownCountryError, ValidationError, unknown_towns
from twinning_graph._geo import haversine_km
from twinning_graph._validate import Problems, check_int, warn
from twinning_graph.countries import normalise_country
from twinning_graph.io import (
    EDGE_COLUMNS,
    MEMBERSHIP_COLUMNS,
    PAIR_COLUMNS,
    Source,
    bundled_data_dir,
    check_source,
    empty_records,
    read_aliases,
    read_partnerships,
    read_towns,
    source_list,
)

__all__ = ["TwinningData", "load", "build_pairs", "EXPAND_PROJECTS"]

T = TypeVar("T")

#: Projects with at most this many members link all their member pairs (``load`` option).
EXPAND_PROJECTS = 100

_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3


def _view(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for the caller: lazy under pandas' copy-on-write, else deep."""
    return frame.copy(deep=not _COPY_ON_WRITE)


def _as_list(value: str | Iterable[Any]) -> list[Any]:
    return [value] if isinstance(value, str) else list(value)


# --------------------------------------------------------------------------- pairs


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "town_a": pd.Series(dtype=str),
            "town_b": pd.Series(dtype=str),
            "kinds": pd.Series(dtype=str),
            "weight": pd.Series(dtype="int64"),
            "since": pd.Series(dtype="Int64"),
            "distance_km": pd.Series(dtype="float64"),
        }
    )


def build_pairs(
    towns: pd.DataFrame,
    edges: pd.DataFrame,
    members: pd.DataFrame,
    *,
    expand_projects: int = EXPAND_PROJECTS,
) -> pd.DataFrame:
    """Aggregate partnership records into one row per unordered town pair (vectorised).

    A project of at most ``expand_projects`` members links all pairs of its members;
    larger projects are left out of the pair table (they stay in the incidence).
    ``weight`` counts the distinct partnerships linking the pair, ``since`` is the
    earliest known year, ``kinds`` the sorted distinct kinds joined by ``;``.

    Examples
    --------
    >>> import pandas as pd
    >>> from twinning_graph.network import build_pairs
    >>> towns = pd.DataFrame({"lat": [0.0, 0.0, 1.0], "lon": [0.0, 1.0, 0.0]},
    ...                      index=pd.Index(["a", "b", "c"], name="town_id"))
    >>> edges = pd.DataFrame({"town_a": ["a"], "town_b": ["b"], "kind": ["twinning"],
    ...                       "since": pd.array([1990], dtype="Int64"), "partnership_id": [None]})
    >>> members = pd.DataFrame({"partnership_id": ["p", "p", "p"], "town_id": ["a", "b", "c"],
    ...                         "kind": "project", "since": pd.array([2020] * 3, dtype="Int64")})
    >>> build_pairs(towns, edges, members)[["town_a", "town_b", "kinds", "weight", "since"]]
      town_a town_b             kinds  weight  since
    0      a      b  project;twinning       2   1990
    1      a      c           project       1   2020
    2      b      c           project       1   2020
    """
    parts = []
    if len(edges):
        e = edges[["town_a", "town_b", "kind", "since"]].copy()
        e["pid"] = edges["partnership_id"].fillna(
            "\x00" + edges["town_a"] + "\x00" + edges["town_b"] + "\x00" + edges["kind"]
        )
        parts.append(e)
    if len(members):
        m = members[["partnership_id", "town_id", "kind", "since"]]
        size = m.groupby("partnership_id")["town_id"].transform("size").to_numpy()
        m = m[size <= expand_projects]
        j = m.merge(m[["partnership_id", "town_id"]], on="partnership_id", suffixes=("_a", "_b"))
        j = j[j["town_id_a"].to_numpy(dtype=object) < j["town_id_b"].to_numpy(dtype=object)]
        parts.append(
            pd.DataFrame(
                {
                    "town_a": j["town_id_a"].to_numpy(),
                    "town_b": j["town_id_b"].to_numpy(),
                    "kind": j["kind"].to_numpy(),
                    "since": j["since"].to_numpy(),
                    "pid": "\x01" + j["partnership_id"].astype(str).to_numpy(dtype=object),
                }
            )
        )
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_pairs()
    allp = pd.concat(parts, ignore_index=True)
    allp["since"] = allp["since"].astype("Int64")
    g = allp.groupby(["town_a", "town_b"], sort=True)
    pair = g.ngroup().to_numpy()
    n_pairs = g.ngroups
    first = allp.drop_duplicates(["town_a", "town_b"])
    out = first[["town_a", "town_b"]].assign(_p=pair[first.index.to_numpy()]).sort_values("_p")
    out = out.drop(columns="_p").set_index(["town_a", "town_b"])
    # weight: distinct partnerships per pair
    distinct = ~pd.DataFrame({"p": pair, "pid": allp["pid"].to_numpy()}).duplicated().to_numpy()
    out["weight"] = np.bincount(pair[distinct], minlength=n_pairs).astype("int64")
    out["since"] = g["since"].min().astype("Int64").to_numpy()
    # kinds: a pair x kind flag matrix (few kinds), then one joined label per pair
    kind_codes, kind_names = pd.factorize(allp["kind"], sort=True)
    flags = np.zeros((n_pairs, len(kind_names)), dtype=bool)
    flags[pair, kind_codes] = True
    label = np.full(n_pairs, "", dtype=object)
    for j, k in enumerate(kind_names):  # loop over the handful of kinds, not over pairs
        label = label + np.where(flags[:, j], str(k) + ";", "")
    out["kinds"] = pd.Series(label, index=out.index).str.rstrip(";").astype(str).to_numpy()
    out = out.reset_index()
    lat, lon = towns["lat"], towns["lon"]
    out["distance_km"] = haversine_km(
        out["town_a"].map(lat).to_numpy(float),
        out["town_a"].map(lon).to_numpy(float),
        out["town_b"].map(lat).to_numpy(float),
        out["town_b"].map(lon).to_numpy(float),
    )
    out["town_a"] = out["town_a"].astype(str)
    out["town_b"] = out["town_b"].astype(str)
    return out[list(PAIR_COLUMNS)]


# --------------------------------------------------------------------------- data object


class TwinningData:
    """Towns and their partnerships, validated and ready to analyse; never changes.

    Create it with :func:`load` (or :func:`~twinning_graph.from_graph`). The tables are
    returned as copies; make a changed network with :meth:`replace` or :meth:`filter`.

    Attributes
    ----------
    towns : pandas.DataFrame
        Indexed by ``town_id``: name, country, lat, lon, population, geonames_id, eu, extras.
    partnerships : pandas.DataFrame
        Edge-list records: town_a, town_b, kind, since, source, partnership_id, extras.
    memberships : pandas.DataFrame
        Project membership records: partnership_id, town_id, kind, since, source, extras.
    edges : pandas.DataFrame
        The pair table: one row per linked town pair: town_a, town_b, kinds, weight,
        since, distance_km.
    projects : pandas.DataFrame
        One row per project: kind, since, source, members, expanded.
    aliases : pandas.Series
        Former town ids (index) and the id each now resolves to.
    """

    def __init__(
        self,
        towns: pd.DataFrame,
        partnerships: pd.DataFrame,
        memberships: pd.DataFrame | None = None,
        *,
        sources: Sequence[str] = (),
        name: str = "user data",
        edges: pd.DataFrame | None = None,
        aliases: pd.Series | None = None,
        expand_projects: int = EXPAND_PROJECTS,
    ) -> None:
        self._towns = towns
        self._partnerships = partnerships
        self._memberships = (
            memberships if memberships is not None else empty_records(MEMBERSHIP_COLUMNS)
        )
        self._aliases = (
            aliases
            if aliases is not None
            else pd.Series(pd.Index([], dtype=str), index=pd.Index([], dtype=str, name="alias"))
        )
        self.sources = tuple(sources)
        self.name = name
        self.expand_projects = expand_projects
        self._views: dict[Hashable, Any] = {}
        if edges is not None:
            self._views["edges"] = edges

    # the tables: each access gives a copy (copy-on-write, so it costs nothing until
    # written), so editing ``data.towns`` in place can never make a derived view stale.
    @property
    def towns(self) -> pd.DataFrame:
        """Towns indexed by ``town_id`` (a copy: change them with :meth:`replace`)."""
        return _view(self._towns)

    @property
    def partnerships(self) -> pd.DataFrame:
        """Edge-list partnership records (a copy: change them with :meth:`replace`)."""
        return _view(self._partnerships)

    @property
    def memberships(self) -> pd.DataFrame:
        """Project membership records (a copy: change them with :meth:`replace`)."""
        return _view(self._memberships)

    @property
    def aliases(self) -> pd.Series:
        """Former town ids (index) mapped to the id of the town they are now part of."""
        return self._aliases.copy()

    @property
    def edges(self) -> pd.DataFrame:
        """The pair table: one row per unordered linked town pair (see :func:`build_pairs`)."""
        return _view(self._pairs())

    def _pairs(self) -> pd.DataFrame:
        return self.derived(
            "edges",
            lambda: build_pairs(
                self._towns,
                self._partnerships,
                self._memberships,
                expand_projects=self.expand_projects,
            ),
        )

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """A value derived from this data, computed once by ``build()`` and kept with the object.

        :class:`TwinningData` never changes after it is made, so a derived value can never
        go stale; a changed network is a new object with its own views. Modules keep
        their fitted models and indexes here (never in module-level caches).

        Examples
        --------
        >>> import twinning_graph as tg
        >>> data = tg.load()
        >>> n = data.derived(("example", "towns"), lambda: len(data.towns))
        >>> n == data.derived(("example", "towns"), lambda: -1)  # second call: kept value
        True
        """
        try:
            return self._views[key]  # type: ignore[no-any-return]
        except KeyError:
            value = build()
            self._views[key] = value
            return value

    # derived views ---------------------------------------------------------
    def positions(self, town_ids: Any) -> np.ndarray:
        """Row positions in ``data.towns`` of town ids (``-1`` for ids not in the data)."""
        return np.asarray(self._towns.index.get_indexer(pd.Index(_as_list(town_ids))))

    def pair_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Row positions of ``town_a`` and ``town_b`` of every row of the pair table."""

        def build() -> tuple[np.ndarray, np.ndarray]:
            pairs = self._pairs()
            index = self._towns.index
            return index.get_indexer(pairs["town_a"]), index.get_indexer(pairs["town_b"])

        return self.derived("pair_positions", build)

    def adjacency(self, *, weighted: bool = False) -> sp.csr_array:
        """Symmetric sparse adjacency with rows and columns in ``data.towns.index`` order.

        ``A[i, j]`` is 1 (the number of partnerships with ``weighted=True``) when towns i
        and j are linked. Computed once per object; do not modify the returned matrix.

        Examples
        --------
        >>> import twinning_graph as tg
        >>> data = tg.load()
        >>> A = data.adjacency()
        >>> A.shape == (len(data.towns), len(data.towns)), int(A.sum()) == 2 * len(data.edges)
        (True, True)
        """

        def build() -> sp.csr_array:
            ia, ib = self.pair_positions()
            n = len(self._towns)
            ok = (ia >= 0) & (ib >= 0)
            w = self._pairs()["weight"].to_numpy(float)[ok] if weighted else np.ones(ok.sum())
            rows = np.concatenate([ia[ok], ib[ok]])
            cols = np.concatenate([ib[ok], ia[ok]])
            A = sp.csr_array((np.concatenate([w, w]), (rows, cols)), shape=(n, n))
            A.sum_duplicates()
            return A

        return self.derived(("adjacency", bool(weighted)), build)

    def country_codes(self) -> tuple[np.ndarray, pd.Index]:
        """Integer country code of every town (rows of ``data.towns``) and the code's country.

        Examples
        --------
        >>> import twinning_graph as tg
        >>> data = tg.load()
        >>> codes, countries = data.country_codes()
        >>> countries[codes[data.positions("DE-berlin")[0]]]
        'DE'
        """

        def build() -> tuple[np.ndarray, pd.Index]:
            codes, uniques = pd.factorize(self._towns["country"], sort=True)
            return codes, pd.Index(uniques, name="country")

        return self.derived("country_codes", build)

    @property
    def projects(self) -> pd.DataFrame:
        """One row per project (membership records): kind, since, source, members, expanded.

        ``expanded`` tells whether the project also links all its member pairs in the
        pair table (projects of at most ``expand_projects`` members).
        """

        def build() -> pd.DataFrame:
            m = self._memberships
            if not len(m):
                out = pd.DataFrame(
                    {
                        "kind": pd.Series(dtype=str),
                        "since": pd.Series(dtype="Int64"),
                        "source": pd.Series(dtype=str),
                        "members": pd.Series(dtype="int64"),
                        "expanded": pd.Series(dtype=bool),
                    },
                    index=pd.Index([], dtype=str, name="partnership_id"),
                )
                return out
            g = m.groupby("partnership_id", sort=True)
            out = g.agg(kind=("kind", "first"), since=("since", "min"), source=("source", "first"))
            out["members"] = g.size().astype("int64")
            out["since"] = out["since"].astype("Int64")
            out["expanded"] = out["members"] <= self.expand_projects
            return out

        return _view(self.derived("projects", build))

    def incidence(self) -> sp.csr_array:
        """Town × project incidence (rows: ``data.towns``, columns: ``data.projects``).

        ``B[i, p]`` is 1 when town i is a member of project p. ``B @ B.T`` counts shared
        projects; algorithms that need it should use it instead of expanding big projects.
        """

        def build() -> sp.csr_array:
            m = self._memberships
            cols = self.projects.index
            n = len(self._towns)
            if not len(m):
                return sp.csr_array((n, 0), dtype=np.int64)
            r = self._towns.index.get_indexer(m["town_id"])
            c = cols.get_indexer(m["partnership_id"])
            ok = (r >= 0) & (c >= 0)
            B = sp.csr_array(
                (np.ones(int(ok.sum()), dtype=np.int64), (r[ok], c[ok])), shape=(n, len(cols))
            )
            B.sum_duplicates()
            return B

        return self.derived("incidence", build)

    def __len__(self) -> int:
        return len(self._towns)

    # ids -------------------------------------------------------------------
    def resolve(self, town_ids: str | Iterable[str], *, what: str = "town_id") -> list[str]:
        """Current town ids of the given ids; former ids (aliases), Wikidata item ids
        (``"Q64"``) and the name of exactly one town (``"Den Haag"``, ``"Kraków"``) resolve
        to their town. :func:`~twinning_graph.find_town` lists the towns and places of a name.

        Raises
        ------
        UnknownTownError
            Naming every unknown id, with close matches among ids and town names.
        ValidationError
            When a name is the name of several towns (they are listed).

        Examples
        --------
        >>> import twinning_graph as tg
        >>> tg.load().resolve(["DE-berlin", "Q64", "Den Haag"])  # Q64: Berlin's Wikidata item
        ['DE-berlin', 'DE-berlin', 'NL-the-hague']
        """
        ids = [str(t) for t in _as_list(town_ids)]
        index = self._towns.index
        out = []
        missing = []
        alias = self._aliases
        qids = self._wikidata_ids()
        for t in ids:  # the ids a user typed: a handful
            if t in index:
                out.append(t)
            elif t in alias.index:
                out.append(str(alias[t]))
            elif t.upper() in qids.index:
                out.append(str(qids[t.upper()]))
            else:
                named = self._town_named(t)
                if named is None:
                    missing.append(t)
                else:
                    out.append(named)
        if missing:
            raise unknown_towns(missing, index, names=self._towns["name"], what=what)
        return out

    def _town_named(self, name: str) -> str | None:
        """The id of the one town called ``name`` (its own name first, then its local name
        or Wikidata label, folded as :func:`~twinning_graph.find_town` does); None when no
        town has the name; several towns: a :class:`ValidationError` listing them."""
        from twinning_graph.lookup import name_key, town_keys

        key = name_key(name)
        if not key:
            return None
        towns = self._towns
        keys = self.derived(("lookup", "keys"), lambda: town_keys(towns))
        hits = np.flatnonzero(keys["name"] == key) if "name" in keys else np.zeros(0, int)
        if len(hits) == 0:
            anywhere = np.zeros(len(towns), dtype=bool)
            for k in keys.values():
                anywhere |= k == key
            hits = np.flatnonzero(anywhere)
        if len(hits) == 1:
            return str(towns.index[hits[0]])
        if len(hits) > 1:
            rows = towns.iloc[hits[:8]]
            listed = "; ".join(
                f"{r['name']} ({r['country']}, {i})" for i, r in rows.iterrows()
            )  # a few rows, for the message
            more = f" and {len(hits) - 8} more" if len(hits) > 8 else ""
            raise ValidationError(
                f"{name!r} names {len(hits)} towns: {listed}{more}; give the town_id"
            )
        return None

    def _wikidata_ids(self) -> pd.Series:
        """Town ids by Wikidata item id (``Q64``), for towns that have one."""

        def build() -> pd.Series:
            if "wikidata_id" not in self._towns.columns:
                return pd.Series([], dtype=str)
            q = self._towns["wikidata_id"].astype("string").str.strip().str.upper()
            q = q[q.str.fullmatch(r"Q\d+").fillna(False).to_numpy()]
            q = q[~q.duplicated(keep=False)]
            return pd.Series(q.index.to_numpy(dtype=str), index=q.to_numpy(dtype=str))

        return self.derived("wikidata_ids", build)

    def town(self, town_id: str) -> pd.Series:
        """One town's row; former ids resolve; unknown ids raise :class:`UnknownTownError`."""
        return self._towns.loc[self.resolve([town_id])[0]].copy()

    def check_towns(self, town_ids: Iterable[str]) -> None:
        """Raise :class:`UnknownTownError` naming every id that is not a town (or alias)."""
        self.resolve(list(town_ids))

    # changed copies ----------------------------------------------------------
    def replace(
        self,
        *,
        towns: pd.DataFrame | None = None,
        partnerships: pd.DataFrame | None = None,
        memberships: pd.DataFrame | None = None,
        name: str | None = None,
    ) -> TwinningData:
        """A new :class:`TwinningData` with some tables replaced; this one is unchanged.

        The given tables are validated as files are (:func:`load`), so an edited town
        table with a bad coordinate or a partnership naming an unknown town raises
        :class:`ValidationError`.

        Examples
        --------
        >>> import twinning_graph as tg
        >>> data = tg.load()
        >>> towns = data.towns
        >>> towns.loc["DE-berlin", "population"] = 3_900_000
        >>> data.replace(towns=towns).town("DE-berlin")["population"]
        np.int64(3900000)
        >>> data.town("DE-berlin")["population"] == 3_900_000  # the original is unchanged
        np.False_
        """
        t = self._towns if towns is None else towns
        p = self._partnerships if partnerships is None else partnerships
        m = self._memberships if memberships is None else memberships
        t_in = t.reset_index() if t.index.name == "town_id" else t
        new = load(
            towns=t_in,
            partnerships=[x for x in (p, m) if len(x)],
            expand_projects=self.expand_projects,
        )
        return TwinningData(
            new._towns,
            new._partnerships,
            new._memberships,
            sources=self.sources,
            name=self.name if name is None else name,
            aliases=self._aliases[self._aliases.isin(new._towns.index)],
            expand_projects=self.expand_projects,
        )

    def _known_kinds(self, kinds: str | Iterable[str]) -> list[str]:
        ks = _as_list(kinds)
        known = set(self._partnerships["kind"]) | set(self._memberships["kind"])
        bad = [k for k in ks if k not in known]
        if bad:
            raise ValidationError(
                f"unknown kind{'s' if len(bad) > 1 else ''} {bad}; kinds in the data: "
                f"{sorted(known)}"
            )
        return ks

    def check_countries(self, countries: str | Iterable[str]) -> list[str]:
        """Normalised country codes (``EL`` -> ``GR``), each required to have towns in the data.

        Raises
        ------
        UnknownCountryError
            Naming every code that is not a country or has no towns in the data.
        """
        given = [str(c) for c in _as_list(countries)]
        codes = normalise_country(given, errors="coerce")
        present = set(self._towns["country"])
        bad = [g for g, c in zip(given, codes, strict=True) if c not in present]
        if bad:
            import difflib

            def hint(value: str) -> str:
                close = difflib.get_close_matches(value.strip().upper(), sorted(present), n=3)
                return f" (did you mean {', '.join(close)}?)" if close else ""

            listed = ", ".join(f"{g!r}{hint(g)}" for g in bad)
            raise UnknownCountryError(
                f"no towns in the data for country code{'s' if len(bad) > 1 else ''} {listed}; "
                f"countries in the data: {', '.join(sorted(present))}"
            )
        cs = [str(c) for c in codes]
        return cs

    def filter(
        self,
        *,
        kinds: str | Iterable[str] | None = None,
        year: int | None = None,
        countries: str | Iterable[str] | None = None,
        towns: str | Iterable[str] | None = None,
        touching: bool = False,
    ) -> TwinningData:
        """A new :class:`TwinningData` restricted by kind, year, countries and/or towns.

        This is the one filter of the library: every function and command with ``kinds``,
        ``year`` or ``countries`` options applies them through this method.

        Parameters
        ----------
        kinds
            Keep partnerships of these kinds (``"twinning"``, ``"project"``, ...).
        year
            Keep partnerships with ``since <= year`` (the network as it stood at the end of
            that year). Partnerships with an unknown year are left out, with a warning
            giving the count.
        countries
            Country codes (``EL``/``UK`` accepted). Keep the towns of these countries and
            the links among them.
        towns
            Town ids (former ids resolve): keep these towns and the links among them.
            With ``countries`` too, the towns must match both.
        touching
            With ``countries`` or ``towns``: keep every link with at least one end among the
            selected towns, and the towns at both ends (a country's or a town's links
            abroad, as a map of it shows).

        Examples
        --------
        >>> import twinning_graph as tg
        >>> data = tg.load()
        >>> inside = data.filter(countries="EL")
        >>> set(inside.towns["country"])
        {'GR'}
        >>> len(data.filter(countries="GR", touching=True).edges) > len(inside.edges)
        True
        >>> len(data.filter(towns="PL-cieszyn", touching=True).edges)  # Cieszyn's own links
        7
        """
        if not isinstance(touching, bool):
            raise ValidationError(f"touching must be True or False, got {touching!r}")
        selected_ids = None if towns is None else self.resolve(towns)
        towns_t, p, m = self._towns, self._partnerships, self._memberships
        if kinds is not None:
            ks = self._known_kinds(kinds)
            p = p[p["kind"].isin(ks)]
            m = m[m["kind"].isin(ks)]
        if year is not None:
            year = check_int(year, "year", minimum=0)
            unknown = int(p["since"].isna().sum()) + int(
                m.loc[m["since"].isna(), "partnership_id"].nunique()
            )
            if unknown:
                total = len(p) + m["partnership_id"].nunique()
                warn(
                    f"{unknown} of {total} partnerships have no known 'since' year and are "
                    f"left out of the network as of {year}",
                    stacklevel=3,
                )
            p = p[(p["since"] <= year).fillna(False).to_numpy()]
            m = m[(m["since"] <= year).fillna(False).to_numpy()]
        if countries is not None or selected_ids is not None:
            chosen = np.ones(len(towns_t), dtype=bool)
            if countries is not None:
                chosen &= towns_t["country"].isin(self.check_countries(countries)).to_numpy()
            if selected_ids is not None:
                chosen &= towns_t.index.isin(selected_ids)
            inside = towns_t.index[chosen]
            if touching:
                p = p[p["town_a"].isin(inside) | p["town_b"].isin(inside)]
                touched = m.loc[m["town_id"].isin(inside), "partnership_id"].unique()
                m = m[m["partnership_id"].isin(touched)]
                keep = inside.union(pd.Index(p["town_a"])).union(pd.Index(p["town_b"]))
                keep = keep.union(pd.Index(m["town_id"]))
                towns_t = towns_t[towns_t.index.isin(keep)]
            else:
                towns_t = towns_t.loc[inside]
                p = p[p["town_a"].isin(inside) & p["town_b"].isin(inside)]
                m = m[m["town_id"].isin(inside)]
        return TwinningData(
            towns_t,
            p.reset_index(drop=True),
            m.reset_index(drop=True),
            sources=self.sources,
            name=self.name,
            aliases=self._aliases[self._aliases.isin(towns_t.index)],
            expand_projects=self.expand_projects,
        )

    # graphs ------------------------------------------------------------------
    def town_graph(
        self,
        *,
        kinds: str | Iterable[str] | None = None,
        year: int | None = None,
        countries: str | Iterable[str] | None = None,
    ) -> Any:
        """The town graph (see :func:`twinning_graph.graph.build_town_graph`)."""
        from twinning_graph.graph import build_town_graph  # graph.py builds on this module

        return build_town_graph(self, kinds=kinds, year=year, countries=countries)

    def country_graph(
        self, *, kinds: str | Iterable[str] | None = None, year: int | None = None
    ) -> Any:
        """The country graph (see :func:`twinning_graph.graph.build_country_graph`)."""
        from twinning_graph.graph import build_country_graph

        return build_country_graph(self, kinds=kinds, year=year)

    def project_graph(self) -> Any:
        """The bipartite town–partnership graph (see :func:`~twinning_graph.graph.build_project_graph`)."""
        from twinning_graph.graph import build_project_graph

        return build_project_graph(self)

    # display -----------------------------------------------------------------
    def _counts(self) -> dict[str, int]:
        return {
            "towns": len(self._towns),
            "links": len(self._pairs()),
            "countries": int(self._towns["country"].nunique()),
            "partnerships": len(self._partnerships)
            + int(self._memberships["partnership_id"].nunique()),
        }

    def __repr__(self) -> str:
        c = self._counts()
        return (
            f"<TwinningData '{self.name}': {c['towns']:,} towns, {c['links']:,} links, "
            f"{c['countries']} countries>"
        )

    def _repr_html_(self) -> str:
        c = self._counts()
        kinds = self._pairs()["kinds"].value_counts().head(5)
        top = self._towns["country"].value_counts().head(8)
        esc = html.escape
        rows = "".join(
            f"<tr><th style='text-align:left'>{esc(k)}</th><td>{v:,}</td></tr>"
            for k, v in c.items()
        )
        krows = ", ".join(f"{esc(str(k))} ({v:,})" for k, v in kinds.items())
        crow = ", ".join(f"{esc(str(k))} ({v:,})" for k, v in top.items())
        return (
            f"<div><strong>TwinningData</strong> — {esc(self.name)}"
            f"<table>{rows}</table>"
            f"<p>Link kinds: {krows or '—'}<br>Most towns: {crow or '—'}</p></div>"
        )


# --------------------------------------------------------------------------- load


def _memberships_left_out(towns: object, p_list: Sequence[object]) -> Path | None:
    """A ``memberships.csv`` beside a towns file whose ``partnerships.csv`` is given but
    not the memberships: a folder written by ``merge``/``to_csv`` loaded without its projects.
    """
    if not isinstance(towns, (str, os.PathLike)):
        return None
    folder = Path(towns).parent
    sibling = folder / "memberships.csv"
    if not sibling.is_file():
        return None
    given = {Path(p).resolve() for p in p_list if isinstance(p, (str, os.PathLike))}
    if sibling.resolve() in given or (folder / "partnerships.csv").resolve() not in given:
        return None
    return sibling


def load(
    *,
    towns: Source | None = None,
    partnerships: Source | Sequence[Source] | None = None,
    expand_projects: int = EXPAND_PROJECTS,
) -> TwinningData:
    """Load the bundled twinning network, or your own towns and partnerships.

    Parameters
    ----------
    towns
        Path or DataFrame of towns (see :func:`~twinning_graph.read_towns`). Default: the
        bundled towns.
    partnerships
        Path, DataFrame, or a list of them (edge lists and/or project membership tables,
        see :func:`~twinning_graph.read_partnerships`). Default: the bundled partnerships
        when ``towns`` is also left out, else none.
    expand_projects
        Projects with at most this many member towns link every pair of their members in
        the pair table (``data.edges``); larger projects stay projects only
        (``data.projects``, ``data.incidence()``), so a city association of thousands of
        members does not become millions of town pairs.

    Returns
    -------
    TwinningData

    Raises
    ------
    ValidationError
        One error listing every problem in every input (file, row, column).

    Warns
    -----
    DataWarning
        When ``towns`` is given without ``partnerships`` (the network then has no links);
        when the ``partnerships.csv`` of a folder written by ``merge``/``to_csv`` is given
        but the ``memberships.csv`` beside it is not (its projects would be lost); when
        projects are too large to expand.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> data = tg.load()
    >>> data.town("DE-berlin")[["name", "country"]].tolist()
    ['Berlin', 'DE']
    """
    expand_projects = check_int(expand_projects, "expand_projects", minimum=2)
    bundled = towns is None and partnerships is None
    towns_given = towns is not None
    if towns is not None:
        check_source(towns, "towns")
    if towns is None:
        towns = bundled_data_dir() / "towns.csv"
    p_list = source_list(
        ([bundled_data_dir() / "partnerships.csv"] if bundled else [])
        if partnerships is None
        else partnerships,
        "partnerships",
    )
    problems = Problems()
    t = None
    try:
        t = read_towns(towns)
    except ValidationError as exc:
        if not exc.problems:
            raise
        problems.items.extend(exc.problems)
    edges, members = empty_records(EDGE_COLUMNS), empty_records(MEMBERSHIP_COLUMNS)
    if p_list:
        try:
            edges, members = read_partnerships(p_list, towns=t)
        except ValidationError as exc:
            if not exc.problems:
                raise
            problems.items.extend(exc.problems)
    labels = [source_label(towns, "<towns DataFrame>")] + [
        source_label(s, f"<partnerships DataFrame {i}>") for i, s in enumerate(p_list)
    ]
    problems.raise_if_any()
    assert t is not None
    if towns_given and partnerships is None:
        warn(
            f"towns given without partnerships: {len(t):,} town{'s' if len(t) != 1 else ''} "
            "and no links (the bundled "
            "partnerships are loaded only when towns is left out too: 0 of them kept); "
            "pass partnerships=FILE (CLI: --partnerships FILE) for your own links"
        )
    left_out = _memberships_left_out(towns, p_list)
    if left_out is not None:
        warn(
            f"{left_out} lies beside the towns file {towns} but was not given: its project "
            "memberships are not loaded; add it to partnerships (CLI: --partnerships "
            f"{left_out})"
        )
    aliases = read_aliases(bundled_data_dir() / "town_aliases.csv", towns=t) if bundled else None
    big = (
        int((members.groupby("partnership_id").size() > expand_projects).sum())
        if len(members)
        else 0
    )
    if big:
        warn(
            f"{big} project{'s have' if big != 1 else ' has'} more than {expand_projects} member "
            "towns: kept as projects (data.projects, data.incidence()), not expanded into links "
            "between every pair of members; raise expand_projects to expand them"
        )
    return TwinningData(
        t,
        edges,
        members,
        sources=labels,
        name="bundled: Wikidata twin towns 2017, with 2021 links" if bundled else "user data",
        aliases=aliases,
        expand_projects=expand_projects,
    )
