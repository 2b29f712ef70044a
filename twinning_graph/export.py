"""Exports for Gephi (GraphML, GEXF), QGIS (GeoJSON) and spreadsheets (CSV), and reading them back.

CSV is the lossless format: it keeps every partnership record and every extra column.
GraphML, GEXF and GeoJSON hold the town graph: towns with all their columns, and one
link per town pair with kinds, weight, since and distance_km.

Every file is written through :mod:`twinning_graph._write`: to a temporary file that is
moved into place only when complete, so a failed export never leaves half a file (nor
destroys the previous one).
"""

from __future__ import annotations

import json
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from twinning_graph._csv import control_character_problems
from twinning_graph._errors import ValidationError
from twinning_graph._validate import Problems, warn
from twinning_graph._write import atomic_write, table_suffix, write_table
from twinning_graph._write import neutralise_formulas as neutralise_formulas
from twinning_graph.graph import accepts_graph, build_town_graph, from_graph
from twinning_graph.io import PAIR_COLUMNS
from twinning_graph.network import TwinningData

__all__ = [
    "neutralise_formulas",
    "to_csv",
    "to_graphml",
    "to_gexf",
    "to_geojson",
    "read_graphml",
    "read_gexf",
    "read_geojson",
]


def to_csv(
    data: TwinningData,
    directory: str | os.PathLike,
    *,
    spreadsheet_safe: bool = True,
    format: str = "csv",
) -> dict[str, Path]:
    """Write towns, partnerships, memberships and links as table files in ``directory``.

    Parameters
    ----------
    data
        The data to write.
    directory
        Created if missing. Files: ``towns``, ``partnerships``, ``links`` and, when there
        are project memberships, ``memberships`` (``.csv``, or ``.xlsx``).
    spreadsheet_safe
        Neutralise cells that a spreadsheet would run as formulas (see
        :func:`neutralise_formulas`); reading the files back with :func:`~twinning_graph.load`
        gives the original text. Turn off for files meant only for other programs.
    format
        ``"csv"`` (UTF-8, comma), ``"csv-eu"`` (semicolon, decimal comma, UTF-8 with a
        byte-order mark: what Excel in most of Europe opens directly) or ``"xlsx"``
        (needs ``pip install twinning-graph[xlsx]``). Numbers keep full precision.

    Returns
    -------
    dict
        File kind to path. ``tg.load(towns=..., partnerships=[...])`` reads the CSV
        formats back.

    Examples
    --------
    >>> import tempfile, twinning_graph as tg
    >>> data = tg.load()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = tg.to_csv(data, d)
    ...     back = tg.load(towns=paths["towns"], partnerships=paths["partnerships"])
    >>> sorted(paths), len(back.edges) == len(data.edges)
    (['links', 'partnerships', 'towns'], True)
    """
    suffix = table_suffix(format)
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    tables = {
        "towns": data.towns.drop(columns=["eu"]).reset_index(),
        "partnerships": data.partnerships,
        "links": data.edges,
    }
    if len(data.memberships):
        tables["memberships"] = data.memberships
    out: dict[str, Path] = {}
    for kind, frame in tables.items():
        out[kind] = d / f"{kind}{suffix}"
        write_table(
            frame, out[kind], format=format, spreadsheet_safe=spreadsheet_safe, sheet_name=kind
        )
    return out


#: Node and edge attribute names GEXF (as written by networkx) gives a meaning of its own.
GEXF_NODE_RESERVED = frozenset(
    {"id", "label", "pid", "start", "end", "viz", "parents", "slices", "spells"}
)
GEXF_EDGE_RESERVED = frozenset({"id", "label", "type", "start", "end", "viz", "slices", "spells"})

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean_attrs(attrs: dict[str, Any]) -> None:
    """Drop missing values (GraphML/GEXF cannot store None) and unwrap numpy scalars."""
    for k in [k for k, v in attrs.items() if v is None or (isinstance(v, float) and math.isnan(v))]:
        del attrs[k]
    for k, v in list(attrs.items()):
        if isinstance(v, np.generic):
            attrs[k] = v.item()


def _rename_reserved(G: nx.Graph) -> None:
    """Rename attributes GEXF reserves (``id``, ``label``, ``viz``, ...) to ``<name>_``."""
    renamed: dict[str, str] = {}
    for items, reserved in (
        ((a for _, a in G.nodes(data=True)), GEXF_NODE_RESERVED),
        ((a for _, _, a in G.edges(data=True)), GEXF_EDGE_RESERVED),
    ):
        for attrs in items:
            for k in [k for k in attrs if k in reserved]:
                new = k + "_"
                while new in attrs:
                    new += "_"
                attrs[new] = attrs.pop(k)
                renamed[k] = new
    if renamed:
        warn(
            "GEXF gives the attribute name"
            f"{'s' if len(renamed) > 1 else ''} {', '.join(map(repr, sorted(renamed)))} a "
            "meaning of its own; written as "
            + ", ".join(repr(renamed[k]) for k in sorted(renamed)),
            stacklevel=4,
        )


def _check_xml_text(G: nx.Graph) -> None:
    """A :class:`ValidationError` naming every node/edge text XML 1.0 cannot hold."""
    problems = Problems()

    def check(where: str, key: str, value: Any) -> None:
        if isinstance(value, str) and _XML_ILLEGAL.search(value):
            c = _XML_ILLEGAL.search(value).group(0)  # type: ignore[union-attr]
            problems.add(
                "graph", where, key, f"control character U+{ord(c):04X}: XML cannot hold it"
            )

    # attribute dicts are per node/edge in networkx: one pass over them is unavoidable
    for node, attrs in G.nodes(data=True):
        check(f"node {str(node)[:40]!r}", "id", str(node))
        for k, v in attrs.items():
            check(f"node {str(node)[:40]!r}", "attribute name", str(k))
            check(f"node {str(node)[:40]!r}", str(k), v)
    for a, b, attrs in G.edges(data=True):
        for k, v in attrs.items():
            check(f"link {str(a)[:20]!r}-{str(b)[:20]!r}", str(k), v)
    problems.raise_if_any("the graph to write")


def _export_graph(data: TwinningData | nx.Graph, *, gexf: bool = False) -> nx.Graph:
    """Town graph with missing attributes removed, reserved names renamed, text checked."""
    G = build_town_graph(data) if isinstance(data, TwinningData) else data.copy()
    # attribute dicts are per node/edge in networkx: one pass over them is unavoidable
    for _, attrs in G.nodes(data=True):
        _clean_attrs(attrs)
    for _, _, attrs in G.edges(data=True):
        for k in [k for k, v in attrs.items() if v is None]:
            del attrs[k]
    G.graph = {k: v for k, v in G.graph.items() if isinstance(v, (str, int, float, bool))}
    _check_xml_text(G)
    if gexf:
        _rename_reserved(G)
    return G


def to_graphml(data: TwinningData | nx.Graph, path: str | os.PathLike) -> Path:
    """Write the town graph as GraphML (Gephi, yEd, Cytoscape); UTF-8.

    Examples
    --------
    >>> import tempfile, twinning_graph as tg
    >>> data = tg.load()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = tg.read_graphml(tg.to_graphml(data, d + "/net.graphml"))
    >>> len(back.edges) == len(data.edges)
    True
    """
    G = _export_graph(data)
    with atomic_write(path, binary=True) as fh:
        nx.write_graphml(G, fh, encoding="utf-8")
    return Path(path)


def to_gexf(data: TwinningData | nx.Graph, path: str | os.PathLike) -> Path:
    """Write the town graph as GEXF (Gephi); UTF-8.

    Examples
    --------
    >>> import tempfile, twinning_graph as tg
    >>> data = tg.load().filter(countries=["LU", "MT"])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = tg.read_gexf(tg.to_gexf(data, d + "/net.gexf"))
    >>> back.towns["name"].sort_values().head(2).tolist() == data.towns["name"].sort_values().head(2).tolist()
    True"""
    G = _export_graph(data, gexf=True)
    with atomic_write(path, binary=True) as fh:
        nx.write_gexf(G, fh, encoding="utf-8")
    return Path(path)


def _read_back(G: nx.Graph, path: str | os.PathLike) -> TwinningData:
    """TwinningData of a graph read from a file, its text checked like a loaded file."""
    label = os.fspath(path)
    towns = pd.DataFrame.from_dict(dict(G.nodes(data=True)), orient="index")
    towns.index = pd.Index([str(i) for i in towns.index])
    text = towns.select_dtypes(include=["object", "string"]).astype(str)
    text = text.assign(town_id=towns.index.to_numpy())
    problems = Problems()
    keys = tuple(c for c in ("town_id", "name", "country") if c in text.columns)
    control_character_problems(text, label, problems, strict=keys, length_limited=keys)
    problems.raise_if_any(label)
    try:
        return from_graph(nx.Graph(G), name=Path(path).name)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(
            f"{label}: not a town graph as written by twinning_graph ({type(exc).__name__}: {exc})"
        ) from exc


def _read_graph(path: str | os.PathLike, reader: Any, what: str) -> nx.Graph:
    """Run a networkx reader; its errors become one :class:`ValidationError` naming the file."""
    label = os.fspath(path)
    if not Path(path).is_file():
        raise ValidationError(
            f"{label}: file not found" + (" (it is a folder)" if Path(path).is_dir() else "")
        )
    try:
        return reader(path, node_type=str)  # type: ignore[no-any-return]
    except (ET.ParseError, nx.NetworkXError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValidationError(f"{label}: not a readable {what} file: {exc}") from exc
    except OSError as exc:
        raise ValidationError(f"{label}: cannot read the file: {exc.strerror or exc}") from exc


def read_graphml(path: str | os.PathLike) -> TwinningData:
    """Read a GraphML file written by :func:`to_graphml` back into TwinningData.

    See :func:`to_graphml` for an example."""
    return _read_back(_read_graph(path, nx.read_graphml, "GraphML"), path)


def read_gexf(path: str | os.PathLike) -> TwinningData:
    """Read a GEXF file written by :func:`to_gexf` back into TwinningData.

    See :func:`to_gexf` for an example."""
    G = _read_graph(path, nx.read_gexf, "GEXF")
    for node, attrs in G.nodes(data=True):  # GEXF stores the node label separately
        if attrs.get("label") == node:
            del attrs["label"]
    return _read_back(G, path)


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


@accepts_graph
def to_geojson(data: TwinningData, path: str | os.PathLike) -> Path:
    """Write towns as Point features and links as LineString features (GeoJSON, EPSG:4326).

    Town features carry ``feature_type="town"``, ``town_id`` and every town column; link
    features carry ``feature_type="link"``, town_a, town_b, kinds, weight, since and
    distance_km. Open it in QGIS and filter on ``feature_type``.

    Examples
    --------
    >>> import json, tempfile, twinning_graph as tg
    >>> data = tg.load().filter(countries=["LU", "BE"])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = tg.to_geojson(data, d + "/net.geojson")
    ...     kinds = {f["geometry"]["type"] for f in json.load(open(path))["features"]}
    ...     back = tg.read_geojson(path)
    >>> sorted(kinds), len(back.towns) == len(data.towns), len(back.edges) == len(data.edges)
    (['LineString', 'Point'], True, True)
    """
    towns, edges = data.towns, data.edges
    _check_finite(towns, edges)
    tw = towns.reset_index()
    features: list[dict[str, Any]] = []
    cols = list(tw.columns)
    # one dict per feature is what the GeoJSON format is; built from column arrays
    values = [tw[c].astype(object).to_numpy() for c in cols]
    lon_i, lat_i = cols.index("lon"), cols.index("lat")
    for row in zip(*values, strict=True):
        props = {"feature_type": "town"}
        props.update({c: _json_value(v) for c, v in zip(cols, row, strict=True)})
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(row[lon_i]), float(row[lat_i])],
                },
                "properties": props,
            }
        )
    lat, lon = towns["lat"], towns["lon"]
    e = edges.astype(object)
    coords = zip(
        e["town_a"].map(lon),
        e["town_a"].map(lat),
        e["town_b"].map(lon),
        e["town_b"].map(lat),
        strict=True,
    )
    ecols = list(PAIR_COLUMNS)
    evalues = [e[c].to_numpy() for c in ecols]
    for row, (x1, y1, x2, y2) in zip(zip(*evalues, strict=True), coords, strict=True):
        props = {"feature_type": "link"}
        props.update({c: _json_value(v) for c, v in zip(ecols, row, strict=True)})
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[float(x1), float(y1)], [float(x2), float(y2)]],
                },
                "properties": props,
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    with atomic_write(path, encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, allow_nan=False)
    return Path(path)


def _check_finite(towns: pd.DataFrame, edges: pd.DataFrame) -> None:
    """A :class:`ValidationError` naming every infinite number (JSON cannot hold one)."""
    problems = Problems()
    for what, frame in (("town", towns), ("link", edges)):
        for col in frame.columns:
            s = frame[col]
            if pd.api.types.is_float_dtype(s):
                bad = np.isinf(s.to_numpy(dtype=np.float64, na_value=np.nan))
            elif s.dtype == object:  # attributes of a graph: any Python values
                bad = s.map(lambda v: isinstance(v, float) and math.isinf(v)).to_numpy(bool)
            else:
                continue
            for i in np.flatnonzero(bad)[:10].tolist():
                where = (
                    f"{what} {frame.index[i]!r}"
                    if what == "town"
                    else f"link {frame['town_a'].iloc[i]!r}-{frame['town_b'].iloc[i]!r}"
                )
                problems.add(
                    "GeoJSON", where, str(col), f"{s.iloc[i]}: JSON cannot hold an infinite number"
                )
    problems.raise_if_any("the data to write as GeoJSON")


def read_geojson(path: str | os.PathLike) -> TwinningData:
    """Read a GeoJSON file written by :func:`to_geojson` back into TwinningData.

    See :func:`to_geojson` for an example."""
    label = os.fspath(path)
    if not Path(path).is_file():
        raise ValidationError(f"{label}: file not found")
    try:
        with open(path, encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{label}: not valid JSON (UTF-8): {exc}") from exc
    except OSError as exc:
        raise ValidationError(f"{label}: cannot read the file: {exc.strerror or exc}") from exc
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list) or not all(isinstance(f, dict) for f in feats):
        raise ValidationError(f"{label}: expected a GeoJSON FeatureCollection with 'features'")
    props = pd.DataFrame(
        [f.get("properties") if isinstance(f.get("properties"), dict) else {} for f in feats]
    )
    if "feature_type" not in props or (
        "town_id" not in props and (props["feature_type"] == "town").any()
    ):
        raise ValidationError(
            f"{label}: features have no 'feature_type' (town/link) property or towns have no "
            "'town_id'; was it written by twinning_graph.to_geojson?"
        )
    towns = props[props["feature_type"] == "town"].drop(columns="feature_type")
    links = props[props["feature_type"] == "link"]
    towns = towns.dropna(axis=1, how="all").set_index("town_id")
    G = nx.Graph()
    G.add_nodes_from(towns.astype(object).where(towns.notna(), None).to_dict("index").items())
    for c in ("town_a", "town_b", "kinds", "weight", "since", "distance_km"):
        if c not in links:  # e.g. a network without links has no link properties at all
            links = links.assign(**{c: None})
    G.add_edges_from(
        (a, b, {"kinds": k, "weight": w, "since": s})
        for a, b, k, w, s in zip(
            links["town_a"],
            links["town_b"],
            links["kinds"],
            links["weight"],
            links["since"],
            strict=True,
        )
    )
    return _read_back(G, path)
