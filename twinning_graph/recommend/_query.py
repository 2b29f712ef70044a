"""Who is asking: any town, resolved once at the boundary.

A query town may be

- a network town id (``"PL-krakow"``);
- a GeoNames id (``3094802`` or ``"geonames:3094802"``): the gazetteer place, or the
  network town that is the same place;
- a name (``"Kraków"``, ``"Den Haag"``): :func:`twinning_graph.lookup.resolve_town`, which
  lists the candidates instead of guessing when several places match;
- a row of :func:`twinning_graph.find_town` (its ``town_id`` is used);
- a new place: a mapping with ``country``, ``lat``, ``lon`` and optionally ``name``,
  ``population`` (and ``admin1``). A new place that is a network town (same GeoNames id,
  or same name and country within 15 km) is that town.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import UnknownTownError, ValidationError
from twinning_graph._validate import Problems
from twinning_graph.recommend._places import Network, name_keys, town_regions

_GEONAMES = re.compile(r"^geonames:(\d+)$")
_QID = re.compile(r"^[Qq]\d+$")
#: what a town id of the bundled data looks like ("PL-krakow")
_ID = re.compile(r"^[A-Z]{2}-[a-z0-9-]+$")
_PLACE_KEYS = ("name", "country", "lat", "lon", "population", "admin1", "geonames_id", "town_id")


@dataclass(frozen=True)
class QueryTown:
    """A resolved query town (``row`` >= 0: a network town)."""

    id: str
    name: str
    country: str
    lat: float
    lon: float
    population: float
    key: str
    geonames_id: int
    row: int
    region: str = ""


def resolve(net: Network, town: Any, *, data: Any = None) -> QueryTown:
    """The :class:`QueryTown` meant by ``town`` (see the module docstring), or one clear error."""
    if isinstance(town, (bool, np.bool_)):
        raise ValidationError(f"town must be a town id, name, GeoNames id or place, got {town!r}")
    if isinstance(town, (int, np.integer)):
        return _geonames(net, int(town))
    if isinstance(town, str):
        if town in net.index:
            return _network(net, int(net.index.get_loc(town)))
        m = _GEONAMES.match(town.strip())
        if m:
            return _geonames(net, int(m.group(1)))
        if not town.strip():
            raise ValidationError("town is an empty string; give a town id, a name or a place")
        return _by_name(net, town, data)
    if isinstance(town, (Mapping, pd.Series)):
        return _place(net, dict(town), data)
    raise ValidationError(
        f"town must be a town id, a name, a GeoNames id, a row of tg.find_town or a dict "
        f"with country, lat, lon (and name, population), got {type(town).__name__}"
    )


def _network(net: Network, row: int) -> QueryTown:
    return QueryTown(
        id=str(net.index[row]),
        name=str(net.name[row]),
        country=str(net.country[row]),
        lat=float(net.lat[row]),
        lon=float(net.lon[row]),
        population=float(net.pop[row]),
        key=str(net.key[row]),
        geonames_id=int(net.geonames_id[row]),
        row=row,
    )


def _geonames(net: Network, gid: int) -> QueryTown:
    if gid >= 0:
        hit = np.flatnonzero(net.geonames_id == gid)
        if len(hit):
            return _network(net, int(hit[0]))
    from twinning_graph._gazetteer import load_gazetteer

    gaz = load_gazetteer()
    if gid not in gaz.index:
        raise UnknownTownError(
            f"no town of the network and no place of the shipped gazetteer has GeoNames id "
            f"{gid}; find places by name with tg.find_town"
        )
    p = gaz.loc[gid]
    pop = float(p["population"])
    return _as_town(
        net,
        tid=f"geonames:{gid}",
        name=str(p["name"]),
        country=str(p["country"]),
        lat=float(p["lat"]),
        lon=float(p["lon"]),
        population=pop if pop > 0 else np.nan,
        gid=gid,
        region=str(p["admin1"]),
    )


def _as_town(
    net: Network,
    *,
    tid: str,
    name: str,
    country: str,
    lat: float,
    lon: float,
    population: float,
    gid: int,
    region: str,
) -> QueryTown:
    """A place, or the network town that is the same place."""
    from twinning_graph.lookup import match_places

    key = str(name_keys([name])[0]) if name else ""
    row = match_places(
        net.key,
        net.country,
        net.lat,
        net.lon,
        net.geonames_id,
        np.array([key]),
        np.array([country]),
        np.array([lat]),
        np.array([lon]),
        np.array([gid]),
    )[0]
    if row >= 0:
        return _network(net, int(row))
    if not region:
        region = str(
            town_regions(
                pd.DataFrame(index=[0]),
                np.array([country]),
                np.array([lat]),
                np.array([lon]),
                np.array([gid]),
            )[0]
        )
    return QueryTown(tid, name, country, lat, lon, population, key, gid, -1, region)


def _by_name(net: Network, name: str, data: Any) -> QueryTown:
    from twinning_graph._errors import unknown_towns
    from twinning_graph.lookup import resolve_in

    text = name.strip()
    if data is not None and hasattr(data, "resolve") and (_QID.match(text) or _ID.match(text)):
        try:  # a former id (alias) or a Wikidata id
            return resolve(net, data.resolve([text])[0], data=None)
        except UnknownTownError:
            pass
    try:
        hit = resolve_in(net.towns, net.name_keys(), name)
    except UnknownTownError:
        if _ID.match(text):  # it looks like a town id: suggest the close ids
            raise unknown_towns([text], net.index, names=net.towns["name"]) from None
        raise
    return resolve(net, str(hit["town_id"]), data=data)


def _place(net: Network, spec: dict[str, Any], data: Any) -> QueryTown:
    tid = spec.get("town_id")
    if isinstance(tid, str) and tid in net.index:
        return _network(net, int(net.index.get_loc(tid)))
    gid = spec.get("geonames_id")
    if gid is not None and not pd.isna(gid) and not {"lat", "lon"} <= set(spec):
        return _geonames(net, int(gid))
    if isinstance(tid, str) and _GEONAMES.match(tid) and not {"lat", "lon"} <= set(spec):
        return resolve(net, tid, data=data)
    return _new_place(net, spec)


def _new_place(net: Network, spec: dict[str, Any]) -> QueryTown:
    problems = Problems()
    where = "town"
    unknown = sorted(set(map(str, spec)) - set(_PLACE_KEYS) - {"in_network", "match"})
    if unknown:
        problems.add(where, None, None, f"unknown keys {unknown}; allowed: {list(_PLACE_KEYS)}")
    for k in ("country", "lat", "lon"):
        if spec.get(k) is None or (not isinstance(spec.get(k), str) and pd.isna(spec.get(k))):
            problems.add(where, None, k, "missing (a new place needs country, lat and lon)")
    country = ""
    if spec.get("country") is not None:
        from twinning_graph._errors import UnknownCountryError
        from twinning_graph.countries import normalise_country

        try:
            country = str(normalise_country(spec["country"]))
        except (UnknownCountryError, ValidationError):
            problems.add(
                where, None, "country", f"{spec['country']!r} is not an ISO 3166-1 country code"
            )

    def number(k: str, lo: float, hi: float) -> float:
        v = spec.get(k)
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return np.nan
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            problems.add(where, None, k, f"must be a number, got {v!r}")
            return np.nan
        if not (lo <= float(v) <= hi):
            problems.add(where, None, k, f"must be between {lo:g} and {hi:g}, got {v!r}")
            return np.nan
        return float(v)

    lat, lon = number("lat", -90, 90), number("lon", -180, 180)
    pop = number("population", 0, 1e9)
    name = spec.get("name")
    if name is not None and not isinstance(name, str):
        problems.add(where, None, "name", f"must be a string, got {name!r}")
        name = None
    problems.raise_if_any("the new place given as town")
    gid = spec.get("geonames_id")
    return _as_town(
        net,
        tid=str(name) if name else f"new place ({lat:.4f}, {lon:.4f})",
        name=str(name or ""),
        country=country,
        lat=lat,
        lon=lon,
        population=pop if pop > 0 else np.nan,
        gid=int(gid) if gid is not None and not pd.isna(gid) else -1,
        region=str(spec.get("admin1") or ""),
    )
