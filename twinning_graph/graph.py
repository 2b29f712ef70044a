"""Town graph, country graph and town–partnership graph.

Builders return new networkx graphs; the data they are built from are never modified.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, Concatenate, ParamSpec, TypeVar

import networkx as nx
import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._geo import haversine_km
from twinning_graph._validate import warn
from twinning_graph.countries import country_table
from twinning_graph.io import PAIR_COLUMNS
from twinning_graph.network import TwinningData

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "build_town_graph",
    "build_country_graph",
    "build_project_graph",
    "as_data",
    "accepts_graph",
    "from_graph",
]

NODE_ATTRS = ("name", "country", "lat", "lon", "population", "eu")


def _py(v: Any) -> Any:
    """Plain Python value for a graph attribute (None for missing)."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def as_data(obj: TwinningData | nx.Graph) -> TwinningData:
    """The data object of ``obj``: a :class:`TwinningData` as it is, a town graph converted.

    The one converter at the boundary: analyses decorated with :func:`accepts_graph` call
    it, so each takes either form. Converting a big graph costs time on every call;
    convert once with :func:`from_graph` when you call several analyses.
    """
    if isinstance(obj, TwinningData):
        return obj
    if isinstance(obj, nx.Graph):
        return from_graph(obj)
    raise ValidationError(
        f"expected TwinningData (from tg.load()) or a networkx town graph, got {type(obj).__name__}"
    )


def accepts_graph(
    func: Callable[Concatenate[TwinningData, P], R],
) -> Callable[Concatenate[TwinningData | nx.Graph, P], R]:
    """Decorator: the analysis takes :class:`TwinningData` or a town graph as first argument.

    Like networkx's ``not_implemented_for``, the input kind is handled once, at the
    boundary, and the function body always sees a :class:`TwinningData`.
    """

    @functools.wraps(func)
    def wrapper(data: TwinningData | nx.Graph, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return func(as_data(data), *args, **kwargs)

    return wrapper


def build_town_graph(
    data: TwinningData,
    *,
    kinds: str | Iterable[str] | None = None,
    year: int | None = None,
    countries: str | Iterable[str] | None = None,
) -> nx.Graph:
    """Build the town graph: towns as nodes, linked pairs as edges.

    Parameters
    ----------
    data
        From :func:`twinning_graph.load`.
    kinds
        Keep only partnerships of these kinds (e.g. ``"twinning"``).
    year
        The network as it stood in ``year`` (partnerships with ``since <= year``).
    countries
        Keep only towns of these countries and the links among them.

    Returns
    -------
    networkx.Graph
        Nodes are ``town_id`` with attributes name, country, lat, lon, population (int or
        None), eu, plus extra town columns; edges carry kinds, weight (number of
        partnerships), since (earliest year or None) and distance_km. Every town is a
        node, linked or not.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> G = tg.load().town_graph()
    >>> G.nodes["FR-paris"]["country"]
    'FR'
    """
    if kinds is not None or year is not None or countries is not None:
        data = data.filter(kinds=kinds, year=year, countries=countries)
    towns, edges = data.towns, data.edges
    G = nx.Graph(name=data.name)
    # networkx stores attributes in per-node dicts, so building them is one pass in Python
    records = towns.astype(object).where(towns.notna(), None).to_dict("index")
    G.add_nodes_from(records.items())
    e = edges.astype(object).where(edges.notna(), None)
    G.add_edges_from(
        (a, b, {"kinds": k, "weight": int(w), "since": _py(s), "distance_km": float(d)})
        for a, b, k, w, s, d in zip(
            e["town_a"],
            e["town_b"],
            e["kinds"],
            e["weight"],
            e["since"],
            e["distance_km"],
            strict=True,
        )
    )
    return G


@accepts_graph
def build_country_graph(
    data: TwinningData,
    *,
    kinds: str | Iterable[str] | None = None,
    year: int | None = None,
) -> nx.Graph:
    """Build the country graph: countries as nodes, town links between them as edge weight.

    Node attributes: name, eu, towns (number of towns in the data), linked_towns,
    domestic_links (links between two towns of the country). Edge attribute ``weight``:
    number of town pairs linked across the two countries.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> C = tg.load().country_graph()
    >>> C["DE"]["FR"]["weight"] > 100
    True
    """
    if kinds is not None or year is not None:
        data = data.filter(kinds=kinds, year=year)
    towns, edges = data.towns, data.edges
    ca = edges["town_a"].map(towns["country"])
    cb = edges["town_b"].map(towns["country"])
    lo = np.where(ca < cb, ca, cb)
    hi = np.where(ca < cb, cb, ca)
    pairs = pd.DataFrame({"a": lo, "b": hi})
    counts = pairs.value_counts().rename("weight").reset_index()
    domestic = counts[counts["a"] == counts["b"]].set_index("a")["weight"]
    cross = counts[counts["a"] != counts["b"]]
    n_towns = towns["country"].value_counts()
    linked = pd.Index(pd.concat([edges["town_a"], edges["town_b"]]).unique())
    n_linked = towns.loc[towns.index.intersection(linked), "country"].value_counts()
    table = country_table()
    names, eu = table["name"], table["eu"]
    C = nx.Graph(name=f"countries of {getattr(data, 'name', 'graph')}")
    for c in sorted(n_towns.index):  # one node per country: a few hundred at most
        C.add_node(
            c,
            name=str(names.get(c, c)),
            eu=bool(eu.get(c, False)),
            towns=int(n_towns[c]),
            linked_towns=int(n_linked.get(c, 0)),
            domestic_links=int(domestic.get(c, 0)),
        )
    C.add_weighted_edges_from(zip(cross["a"], cross["b"], cross["weight"].astype(int), strict=True))
    return C


def build_project_graph(data: TwinningData) -> nx.Graph:
    """Build the bipartite town–partnership graph.

    Town nodes (``bipartite=0``) keep their attributes; each partnership is a node
    (``bipartite=1``, id ``"p:<partnership_id>"``, attributes kind, since, source) linked
    to its member towns. Edge-list records without a ``partnership_id`` get the id
    ``"p:<town_a>|<town_b>|<kind>"``.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> B = tg.load().project_graph()
    >>> sum(1 for _, d in B.nodes(data=True) if d["bipartite"] == 1) == len(tg.load().partnerships)
    True
    """
    towns = data.towns
    B = nx.Graph(name=f"town-partnership graph of {data.name}")
    records = towns.astype(object).where(towns.notna(), None).to_dict("index")
    B.add_nodes_from((k, {**v, "bipartite": 0}) for k, v in records.items())
    p = data.partnerships
    pid = "p:" + p["partnership_id"].fillna(p["town_a"] + "|" + p["town_b"] + "|" + p["kind"])
    m = data.memberships
    mid = "p:" + m["partnership_id"].astype(str)
    nodes = pd.concat(
        [
            pd.DataFrame(
                {"id": pid, "kind": p["kind"], "since": p["since"], "source": p["source"]}
            ),
            pd.DataFrame(
                {"id": mid, "kind": m["kind"], "since": m["since"], "source": m["source"]}
            ),
        ]
    ).drop_duplicates("id")
    B.add_nodes_from(
        (i, {"bipartite": 1, "kind": k, "since": _py(s), "source": src})
        for i, k, s, src in zip(
            nodes["id"], nodes["kind"], nodes["since"], nodes["source"], strict=True
        )
    )
    B.add_edges_from(zip(pid, p["town_a"], strict=True))
    B.add_edges_from(zip(pid, p["town_b"], strict=True))
    B.add_edges_from(zip(mid, m["town_id"], strict=True))
    return B


def _graph_frames(obj: nx.Graph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Towns and pair table read from a town graph (nodes with attributes, simple edges)."""
    if obj.is_directed() or obj.is_multigraph():
        raise ValidationError("expected an undirected simple town graph (nx.Graph)")
    nodes = dict(obj.nodes(data=True))
    towns = pd.DataFrame.from_dict(nodes, orient="index")
    towns.index = pd.Index([str(i) for i in towns.index], name="town_id", dtype=str)
    if len(obj) and towns.shape[1] == 0:
        towns = pd.DataFrame(index=towns.index)
    for col, default in (
        ("name", None),
        ("country", None),
        ("lat", np.nan),
        ("lon", np.nan),
        ("population", pd.NA),
        ("eu", False),
    ):
        if col not in towns.columns:
            towns[col] = default
    if "name" in towns:
        towns["name"] = towns["name"].fillna(pd.Series(towns.index, index=towns.index))
    towns["lat"] = pd.to_numeric(towns["lat"], errors="coerce").astype(float)
    towns["lon"] = pd.to_numeric(towns["lon"], errors="coerce").astype(float)
    towns["population"] = pd.to_numeric(towns["population"], errors="coerce").astype("Int64")
    towns["eu"] = towns["eu"].fillna(False).astype(bool)
    el = nx.to_pandas_edgelist(obj, source="town_a", target="town_b")
    if len(el) == 0:
        el = pd.DataFrame(columns=["town_a", "town_b"])
    loops = (el["town_a"].astype(str) == el["town_b"].astype(str)).to_numpy()
    if loops.any():
        warn(
            f"{int(loops.sum())} self-loop{'s' if loops.sum() != 1 else ''} in the graph "
            "ignored (a town cannot partner itself)"
        )
        el = el[~loops]
    a = el["town_a"].astype(str).to_numpy(dtype=object)
    b = el["town_b"].astype(str).to_numpy(dtype=object)
    edges = pd.DataFrame({"town_a": np.where(a < b, a, b), "town_b": np.where(a < b, b, a)})
    edges["kinds"] = el["kinds"].fillna("").astype(str).to_numpy() if "kinds" in el else ""
    edges["weight"] = (
        pd.to_numeric(el["weight"], errors="coerce").fillna(1).astype("int64").to_numpy()
        if "weight" in el
        else 1
    )
    edges["since"] = (
        pd.to_numeric(el["since"], errors="coerce").astype("Int64").to_numpy()
        if "since" in el
        else pd.NA
    )
    edges["since"] = edges["since"].astype("Int64")
    edges["distance_km"] = haversine_km(
        edges["town_a"].map(towns["lat"]),
        edges["town_a"].map(towns["lon"]),
        edges["town_b"].map(towns["lat"]),
        edges["town_b"].map(towns["lon"]),
    )
    edges["town_a"] = edges["town_a"].astype(str)
    edges["town_b"] = edges["town_b"].astype(str)
    return towns, edges[list(PAIR_COLUMNS)].reset_index(drop=True)


def from_graph(G: nx.Graph, *, name: str = "graph") -> TwinningData:
    """Turn a town graph (built here, or read back from GraphML/GEXF) into TwinningData.

    Each edge becomes one edge-list partnership record per kind in its ``kinds``
    attribute; the pair table (``edges``) keeps the graph's own weight, since and distance.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> data = tg.load()
    >>> back = tg.from_graph(data.town_graph())
    >>> back.edges["weight"].equals(data.edges["weight"]), len(back.towns) == len(data.towns)
    (True, True)
    """
    if not isinstance(G, nx.Graph):
        raise ValidationError(f"expected a networkx town graph, got {type(G).__name__}")
    towns, edges = _graph_frames(G)
    towns = towns.copy()
    for col in ("geonames_id",):
        if col in towns:
            towns[col] = pd.to_numeric(towns[col], errors="coerce").astype("Int64")
        else:
            towns[col] = pd.Series(pd.NA, index=towns.index, dtype="Int64")
    kinds = edges["kinds"].replace("", "twinning").str.split(";")
    e = edges.assign(kind=kinds).explode("kind")
    p = pd.DataFrame(
        {
            "town_a": e["town_a"].to_numpy(),
            "town_b": e["town_b"].to_numpy(),
            "kind": e["kind"].to_numpy(),
            "since": e["since"].to_numpy(),
            "source": name,
            "partnership_id": None,
        }
    )
    p["since"] = p["since"].astype("Int64")
    # keep the graph's own pair attributes (weight may count several partnerships)
    return TwinningData(towns, p, sources=(name,), name=name, edges=edges)
