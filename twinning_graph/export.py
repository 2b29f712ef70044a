"""Exports for Gephi (GraphML, GEXF), QGIS (GeoJSON) and spreadsheets (CSV), and reading them back.

CSV is the lossless format: it keeps every partnership record and every extra column.
GraphML, GEXF and GeoJSON hold the town graph: towns with all their columns, and one
link per town pair with kinds, weight, since and distance_km.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph.graph import as_frames, build_town_graph, from_graph
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

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading apostrophe (OWASP CSV injection advice), so Excel and LibreOffice show it as
    text. Numeric columns (a longitude of ``-3.7``) are left as they are, and so are text
    cells that are plain numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_formulas(pd.DataFrame({"name": ["=HYPERLINK(1)", "Paris", "-12"]}))["name"].tolist()
    ["'=HYPERLINK(1)", 'Paris', '-12']
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        txt = s.astype(str)
        risky = txt.str.startswith(_FORMULA_START) & s.notna()
        numeric = pd.to_numeric(txt.where(risky, None), errors="coerce").notna()
        risky = risky & ~numeric
        if risky.any():
            out[col] = s.astype(object).where(~risky, "'" + txt)
    return out


def to_csv(
    data: TwinningData, directory: str | os.PathLike, *, spreadsheet_safe: bool = True
) -> dict[str, Path]:
    """Write towns, partnerships, memberships and links as CSV files in ``directory``.

    Parameters
    ----------
    data
        The data to write.
    directory
        Created if missing. Files: ``towns.csv``, ``partnerships.csv``, ``links.csv`` and,
        when there are project memberships, ``memberships.csv``.
    spreadsheet_safe
        Neutralise cells that a spreadsheet would run as formulas (see
        :func:`neutralise_formulas`). Turn off for files meant only for programs.

    Returns
    -------
    dict
        File kind to path. ``tg.load(towns=..., partnerships=[...])`` reads them back.

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
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    prep = neutralise_formulas if spreadsheet_safe else (lambda f: f)
    out = {
        "towns": d / "towns.csv",
        "partnerships": d / "partnerships.csv",
        "links": d / "links.csv",
    }
    towns = data.towns.drop(columns=["eu"]).reset_index()
    prep(towns).to_csv(out["towns"], index=False, lineterminator="\n")
    prep(data.partnerships).to_csv(out["partnerships"], index=False, lineterminator="\n")
    prep(data.edges).to_csv(out["links"], index=False, lineterminator="\n")
    if len(data.memberships):
        out["memberships"] = d / "memberships.csv"
        prep(data.memberships).to_csv(out["memberships"], index=False, lineterminator="\n")
    return out


def _export_graph(data: TwinningData | nx.Graph) -> nx.Graph:
    """Town graph with missing attributes removed (GraphML/GEXF cannot store None)."""
    G = build_town_graph(data) if isinstance(data, TwinningData) else data.copy()
    # attribute dicts are per node/edge in networkx: one pass over them is unavoidable
    for _, attrs in G.nodes(data=True):
        for k in [
            k for k, v in attrs.items() if v is None or (isinstance(v, float) and math.isnan(v))
        ]:
            del attrs[k]
        for k, v in list(attrs.items()):
            if isinstance(v, np.generic):
                attrs[k] = v.item()
    for _, _, attrs in G.edges(data=True):
        for k in [k for k, v in attrs.items() if v is None]:
            del attrs[k]
    G.graph = {k: v for k, v in G.graph.items() if isinstance(v, (str, int, float, bool))}
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
    nx.write_graphml(_export_graph(data), path, encoding="utf-8")
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
    nx.write_gexf(_export_graph(data), path, encoding="utf-8")
    return Path(path)


def _read_back(G: nx.Graph, name: str) -> TwinningData:
    return from_graph(nx.Graph(G), name=name)


def read_graphml(path: str | os.PathLike) -> TwinningData:
    """Read a GraphML file written by :func:`to_graphml` back into TwinningData.

    See :func:`to_graphml` for an example."""
    G = nx.read_graphml(path, node_type=str)
    return _read_back(G, Path(path).name)


def read_gexf(path: str | os.PathLike) -> TwinningData:
    """Read a GEXF file written by :func:`to_gexf` back into TwinningData.

    See :func:`to_gexf` for an example."""
    G = nx.read_gexf(path, node_type=str)
    for node, attrs in G.nodes(data=True):  # GEXF stores the node label separately
        if attrs.get("label") == node:
            del attrs["label"]
    return _read_back(G, Path(path).name)


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def to_geojson(data: TwinningData | nx.Graph, path: str | os.PathLike) -> Path:
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
    towns, edges = as_frames(data)
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
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, allow_nan=False)
    return Path(path)


def read_geojson(path: str | os.PathLike) -> TwinningData:
    """Read a GeoJSON file written by :func:`to_geojson` back into TwinningData.

    See :func:`to_geojson` for an example."""
    with open(path, encoding="utf-8") as fh:
        try:
            doc = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{path}: not valid JSON: {exc}") from exc
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list):
        raise ValidationError(f"{path}: expected a GeoJSON FeatureCollection with 'features'")
    props = pd.DataFrame([f.get("properties") or {} for f in feats])
    if "feature_type" not in props:
        raise ValidationError(
            f"{path}: features have no 'feature_type' (town/link) property; "
            "was it written by twinning_graph.to_geojson?"
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
    return _read_back(G, Path(path).name)
