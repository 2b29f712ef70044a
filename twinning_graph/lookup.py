"""Finding towns by name: network towns and gazetteer places, ambiguity listed.

:func:`find_town` looks a name up among the towns of a network (their ``name`` and, when
the data have them, ``name_local`` and ``wikidata_label``) and the shipped GeoNames
gazetteer (primary and alternate names in every language), merges a place into a network
town when they are the same place (:func:`match_places`), and lists every candidate with
its country and population. :func:`resolve_town` turns a name into exactly one town or
raises an error that lists the candidates; it never picks one of several silently.
"""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import UnknownTownError, ValidationError
from twinning_graph._geo import haversine_km
from twinning_graph._validate import check_int

__all__ = ["find_town", "resolve_town", "match_places", "SAME_PLACE_KM"]

#: A place and a town with the same folded name and country this close (km) are one place.
SAME_PLACE_KM = 15.0
#: Ranking of the kinds of match, best first.
MATCHES = ("name", "alternate name", "similar name")
_NAME_COLUMNS = ("name", "name_local", "wikidata_label")
COLUMNS = (
    "town_id",
    "name",
    "name_local",
    "country",
    "population",
    "in_network",
    "geonames_id",
    "lat",
    "lon",
    "match",
)


def match_places(
    town_keys: np.ndarray,
    town_country: np.ndarray,
    town_lat: np.ndarray,
    town_lon: np.ndarray,
    town_gid: np.ndarray,
    keys: np.ndarray,
    country: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    gid: np.ndarray,
) -> np.ndarray:
    """Row of the town each place is (-1: none): the same ``geonames_id`` (>= 0), else the
    nearest town with the same name key and country within :data:`SAME_PLACE_KM`.

    Examples
    --------
    >>> import numpy as np
    >>> from twinning_graph.lookup import match_places
    >>> town = dict(town_keys=np.array(["helsingborg"]), town_country=np.array(["SE"]),
    ...             town_lat=np.array([56.05]), town_lon=np.array([12.69]),
    ...             town_gid=np.array([-1]))
    >>> match_places(**town, keys=np.array(["helsingborg", "helsingborg"]),
    ...              country=np.array(["SE", "SE"]), lat=np.array([56.046, 58.0]),
    ...              lon=np.array([12.694, 12.69]), gid=np.array([2706767, 1])).tolist()
    [0, -1]
    """
    out = np.full(len(keys), -1, dtype=np.intp)
    town_gid = np.asarray(town_gid, dtype=np.int64)
    gid = np.asarray(gid, dtype=np.int64)
    known = town_gid >= 0
    by_gid = pd.Series(np.flatnonzero(known), index=town_gid[known])
    by_gid = by_gid[~by_gid.index.duplicated()]
    hit = (gid >= 0) & np.isin(gid, by_gid.index.to_numpy())
    out[hit] = by_gid.reindex(gid[hit]).to_numpy()
    rest = np.flatnonzero(~hit & (np.asarray(keys) != ""))
    if len(rest) == 0 or len(town_keys) == 0:
        return out
    left = pd.DataFrame({"key": np.asarray(keys)[rest], "country": country[rest], "i": rest})
    right = pd.DataFrame(
        {"key": town_keys, "country": town_country, "row": np.arange(len(town_keys))}
    )
    m = left.merge(right, on=["key", "country"])
    if len(m):
        i, r = m["i"].to_numpy(), m["row"].to_numpy()
        d = haversine_km(np.asarray(lat)[i], np.asarray(lon)[i], town_lat[r], town_lon[r])
        m = m.assign(d=d)[d <= SAME_PLACE_KM].sort_values(["i", "d"]).drop_duplicates("i")
        out[m["i"].to_numpy()] = m["row"].to_numpy()
    return out


def name_keys(names: Any) -> list[str]:
    """Matching keys of names (:func:`twinning_graph.geocode.normalise_name`)."""
    from twinning_graph.geocode import normalise_name

    return normalise_name(pd.Series(list(names), dtype="str")).tolist()


def name_key(name: str) -> str:
    """The matching key of one name (:func:`twinning_graph.geocode.normalise_name`)."""
    from twinning_graph.geocode import normalise_name

    return str(normalise_name(pd.Series([str(name)], dtype="str")).iloc[0])


def town_keys(towns: pd.DataFrame) -> dict[str, np.ndarray]:
    """Name keys of the towns, one array per name column the towns have."""
    from twinning_graph.geocode import normalise_name

    return {
        col: normalise_name(towns[col].astype("string").fillna("").astype(str))
        .to_numpy(dtype=object)
        .astype(str)
        for col in _NAME_COLUMNS
        if col in towns
    }


def _keys_of(data: Any) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    from twinning_graph.network import TwinningData

    if data is None:
        from twinning_graph.network import load

        data = load()
    if isinstance(data, TwinningData):
        towns = data.towns
        return towns, data.derived(("lookup", "keys"), lambda: town_keys(towns))
    if isinstance(data, pd.DataFrame):
        return data, town_keys(data)
    raise ValidationError(
        f"data must be a TwinningData (tg.load()) or a towns DataFrame, got {type(data).__name__}"
    )


def find_town(
    name: str,
    *,
    data: Any = None,
    country: str | None = None,
    limit: int | None = 10,
) -> pd.DataFrame:
    """Towns and places whose name matches ``name``, best first.

    Parameters
    ----------
    name
        A name in any language or script: ``"Kraków"``, ``"Cracow"``, ``"Den Haag"``.
    data
        The network whose towns are searched besides the gazetteer (a
        :class:`~twinning_graph.TwinningData`; default: the bundled network).
    country
        Keep only matches in this country (ISO alpha-2).
    limit
        At most this many rows (``None``: all).

    Returns
    -------
    pandas.DataFrame
        One row per distinct place: ``town_id`` (the network id, or ``"geonames:<id>"`` for a
        gazetteer place not in the network), ``name``, ``name_local`` (the gazetteer's or the
        data's local name when known), ``country``, ``population``, ``in_network``,
        ``geonames_id``, ``lat``, ``lon`` and ``match`` (``"name"``: the town's name or the
        place's primary name; ``"alternate name"``; ``"similar name"``: no exact match, a
        close spelling). Sorted by match, then population (largest first). Any row can be
        passed as the town of :func:`~twinning_graph.rank_partners`.

    Raises
    ------
    ValidationError
        If ``name`` is not a non-empty string, or ``limit`` is not a positive integer.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> hits = tg.find_town("Kraków")
    >>> hits.loc[0, ["town_id", "country", "match"]].tolist(), bool(hits.loc[0, "in_network"])
    (['PL-krakow', 'PL', 'name'], True)
    >>> tg.find_town("Den Haag").loc[0, ["town_id", "name_local", "match"]].tolist()
    ['NL-the-hague', 'Den Haag', 'name']
    >>> sorted(tg.find_town("Frankfurt", country="DE")["name"].head(2))
    ['Frankfurt', 'Frankfurt (Oder)']
    """
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"name must be a non-empty string, got {name!r}")
    if limit is not None:
        check_int(limit, "limit", minimum=1, hint=" (or None for every match)")
    towns, keys = _keys_of(data)
    return find_in(towns, keys, name, country=country, limit=limit)


def find_in(
    towns: pd.DataFrame,
    keys: dict[str, np.ndarray],
    name: str,
    *,
    country: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """:func:`find_town` among ``towns`` whose name keys (:func:`town_keys`) are given."""
    code = None
    if country is not None:
        from twinning_graph.countries import normalise_country

        code = str(normalise_country(country))
    key = name_key(name)
    if not key:
        raise ValidationError(f"name {name!r} has no letters to match")
    out = _exact(towns, keys, key)
    if code is not None:
        out = out[out["country"] == code]
    if out.empty:
        out = _similar(towns, keys, key)
        if code is not None:
            out = out[out["country"] == code]
    rank = out["match"].map({m: i for i, m in enumerate(MATCHES)})
    pop = pd.to_numeric(out["population"], errors="coerce").fillna(-1)
    close = (
        [-difflib.SequenceMatcher(None, key, k).ratio() for k in name_keys(out["name"])]
        if len(out) and (out["match"] == "similar name").any()
        else 0.0
    )  # a loop over the few similar names found
    out = out.assign(_r=rank.to_numpy(), _s=close, _p=-pop.to_numpy())
    out = out.sort_values(["_r", "_s", "_p", "town_id"], kind="stable")
    out = out.drop(columns=["_r", "_s", "_p"])
    out = out.reset_index(drop=True)
    return out.head(limit) if limit is not None else out


def _exact(towns: pd.DataFrame, keys: dict[str, np.ndarray], key: str) -> pd.DataFrame:
    """Network towns and gazetteer places with the name key ``key``."""
    from twinning_graph._gazetteer import load_gazetteer, name_index

    net_hit = np.zeros(len(towns), dtype=bool)
    for k in keys.values():
        net_hit |= k == key
    idx = name_index()
    found = idx[idx["key"] == key]
    kind = found.groupby("geonames_id")["kind"].agg(
        lambda s: "name" if (s == "primary").any() else "alternate name"
    )
    gaz = load_gazetteer().reindex(kind.index).dropna(subset=["lat"])
    return _combine(towns, keys, np.flatnonzero(net_hit), "name", gaz, kind.reindex(gaz.index))


def _similar(towns: pd.DataFrame, keys: dict[str, np.ndarray], key: str) -> pd.DataFrame:
    """Close spellings (did-you-mean) among town names and gazetteer primary names."""
    from twinning_graph._gazetteer import load_gazetteer, name_index

    idx = name_index()
    primary = idx[(idx["kind"] == "primary") & idx["key"].str.startswith(key[:1])]
    net_keys = np.concatenate([k for k in keys.values()]) if keys else np.array([], str)
    pool = sorted(set(primary["key"]) | {k for k in net_keys if k[:1] == key[:1]})
    close = difflib.get_close_matches(key, pool, n=8, cutoff=0.75)
    net_hit = np.zeros(len(towns), dtype=bool)
    for k in keys.values():
        net_hit |= np.isin(k, close)
    gids = primary.loc[primary["key"].isin(close), "geonames_id"].unique()
    gaz = load_gazetteer().reindex(gids).dropna(subset=["lat"])
    kind = pd.Series("similar name", index=gaz.index)
    return _combine(towns, keys, np.flatnonzero(net_hit), "similar name", gaz, kind)


def _combine(
    towns: pd.DataFrame,
    keys: dict[str, np.ndarray],
    rows: np.ndarray,
    net_match: str,
    gaz: pd.DataFrame,
    gaz_match: pd.Series,
) -> pd.DataFrame:
    """Network rows plus gazetteer places, a place that is a network town merged into it."""
    tk = keys.get("name", np.array([], str))
    gid_t = (
        pd.to_numeric(towns["geonames_id"], errors="coerce").fillna(-1).to_numpy().astype(np.int64)
        if "geonames_id" in towns
        else np.full(len(towns), -1)
    )
    from twinning_graph.geocode import normalise_name

    gkeys = normalise_name(gaz["name"].astype(str)).to_numpy(dtype=object).astype(str)
    row_of = match_places(
        tk,
        towns["country"].astype(str).to_numpy(),
        towns["lat"].to_numpy(float),
        towns["lon"].to_numpy(float),
        gid_t,
        gkeys,
        gaz["country"].astype(str).to_numpy(),
        gaz["lat"].to_numpy(float),
        gaz["lon"].to_numpy(float),
        gaz.index.to_numpy().astype(np.int64),
    )
    match = pd.Series(net_match, index=rows, dtype=object)
    local = pd.Series(pd.NA, index=rows, dtype=object)
    gpop = pd.to_numeric(gaz["population"], errors="coerce")
    for r, m, g_name in zip(row_of, gaz_match.to_numpy(), gaz["name"].to_numpy(), strict=True):
        # a loop over the few places that match one name
        if r < 0:
            continue
        if r not in match.index or MATCHES.index(m) < MATCHES.index(match[r]):
            match[r] = m
        local[r] = g_name
    rows = match.index.to_numpy(dtype=np.intp)
    t = towns.iloc[rows]
    pop = pd.to_numeric(t["population"], errors="coerce") if "population" in t else None
    net = pd.DataFrame(
        {
            "town_id": t.index.astype(str),
            "name": t["name"].astype(str).to_numpy(),
            "name_local": (
                t["name_local"].to_numpy(dtype=object)
                if "name_local" in t
                else local.reindex(rows).to_numpy(dtype=object)
            ),
            "country": t["country"].astype(str).to_numpy(),
            "population": (
                pd.array(pop.to_numpy(), dtype="Float64")
                if pop is not None
                else pd.array([None] * len(t), dtype="Float64")
            ),
            "in_network": True,
            "geonames_id": pd.array(np.where(gid_t[rows] >= 0, gid_t[rows], None), dtype="Int64"),
            "lat": t["lat"].to_numpy(float),
            "lon": t["lon"].to_numpy(float),
            "match": match.reindex(rows).to_numpy(dtype=object),
        }
    )
    new = row_of < 0
    g = gaz[new]
    places = pd.DataFrame(
        {
            "town_id": [f"geonames:{i}" for i in g.index],
            "name": g["name"].astype(str).to_numpy(),
            "name_local": g["name"].astype(str).to_numpy(),
            "country": g["country"].astype(str).to_numpy(),
            "population": pd.array(gpop[new].where(gpop[new] > 0).to_numpy(), dtype="Float64"),
            "in_network": False,
            "geonames_id": pd.array(g.index.to_numpy(), dtype="Int64"),
            "lat": g["lat"].to_numpy(float),
            "lon": g["lon"].to_numpy(float),
            "match": gaz_match[new].to_numpy(dtype=object),
        }
    )
    out = pd.concat([net, places], ignore_index=True) if len(places) else net
    out["population"] = pd.array(out["population"].round(), dtype="Int64")
    return out[list(COLUMNS)]


def _describe(rows: pd.DataFrame, limit: int = 8) -> str:
    parts = []
    for r in rows.head(limit).itertuples():
        pop = "population unknown" if pd.isna(r.population) else f"{int(r.population):,}"
        where = "in the network" if r.in_network else "gazetteer"
        parts.append(f"{r.name} ({r.country}, {pop}; {r.town_id}, {where})")
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return "; ".join(parts) + more


def resolve_town(name: str, *, data: Any = None, country: str | None = None) -> pd.Series:
    """The one town called ``name`` (a row of :func:`find_town`), or an error.

    A name that is the town's or place's own name wins over places that carry it only as an
    alternate name ("Kraków": the Polish city, not a German village with that alternate
    name). Several towns left: :class:`ValidationError` listing them (name, country,
    population, id); none: :class:`UnknownTownError` with close spellings.

    Examples
    --------
    >>> from twinning_graph.lookup import resolve_town
    >>> resolve_town("Den Haag")["country"]
    'NL'
    >>> resolve_town("Frankfurt")
    Traceback (most recent call last):
    ...
    twinning_graph._errors.ValidationError: 'Frankfurt' matches 2 places: ...
    """
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"name must be a non-empty string, got {name!r}")
    towns, keys = _keys_of(data)
    return resolve_in(towns, keys, name, country=country)


def resolve_in(
    towns: pd.DataFrame, keys: dict[str, np.ndarray], name: str, *, country: str | None = None
) -> pd.Series:
    """:func:`resolve_town` among ``towns`` whose name keys (:func:`town_keys`) are given."""
    found = find_in(towns, keys, name, country=country, limit=None)
    exact = found[found["match"] != "similar name"]
    where = f" in {country}" if country else ""
    if exact.empty:
        hint = f"; did you mean: {_describe(found)}" if len(found) else ""
        raise UnknownTownError(
            f"no town or gazetteer place is called {name!r}{where}{hint}. Give a town_id or "
            "a GeoNames id (geonames:ID); `twinning-graph find NAME` lists the towns and "
            "places of a name"
        )
    own = exact[exact["match"] == "name"]
    pick = own if len(own) else exact
    if len(pick) > 1:
        raise ValidationError(
            f"{name!r} matches {len(pick)} places{where}: {_describe(pick)}. Give one of "
            f"their ids (the town_id, or geonames:ID); `twinning-graph find {name!r}` or "
            f"tg.find_town({name!r}) lists them"
        )
    return pick.iloc[0]
