"""The shipped European gazetteer: GeoNames places and divisions and their names.

Data: GeoNames (geonames.org), CC BY 4.0 — see ``data/gazetteer.SOURCE.md``. The files are
built by ``scripts/build_gazetteer.py``; they are read on first use and kept in memory.

Every entry has a ``kind`` (see :data:`KINDS`): ``"place"`` — a GeoNames populated place with
at least 1,000 inhabitants or the seat of a division (GeoNames ``cities1000``: the universe of
candidate towns); ``"small_place"`` — 500–999 inhabitants (``cities500``); ``"municipality"``
— a GeoNames division that is a municipality (a Danish *kommune*, a Dutch *gemeente*, ...);
``"admin_unit"`` — a higher division (region, province, county). Only the geocoder looks
beyond ``"place"`` by default.

Three functions make up the API used across the package:

- :func:`load_gazetteer` — every place (by default: ``kind == "place"``), indexed by
  ``geonames_id``;
- :func:`places` — places filtered by population and country (the universe of candidate
  towns for analytics and partner ranking);
- :func:`name_index` — normalised names (``key``) → ``geonames_id`` of every entry, for
  geocoding.

The returned frames are shallow copies of a cached table (copy-on-write), so callers may
modify them without affecting later calls.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources

import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph.countries import normalise_country

__all__ = ["load_gazetteer", "name_index", "places", "GAZETTEER_CREDIT", "KINDS"]

#: Kinds of gazetteer entries, from populated places to administrative units.
KINDS = ("place", "small_place", "municipality", "admin_unit")

#: Attribution required by the GeoNames licence (CC BY 4.0).
GAZETTEER_CREDIT = "GeoNames (geonames.org), CC BY 4.0"

PLACES_FILE = "gazetteer.places.csv.gz"
NAMES_FILE = "gazetteer.names.csv.gz"


def _data_path(name: str):
    return resources.files("twinning_graph") / "data" / name


@functools.cache
def places_table() -> pd.DataFrame:
    with _data_path(PLACES_FILE).open("rb") as fh:
        frame = pd.read_csv(
            fh,
            compression="gzip",
            keep_default_na=False,
            dtype={
                "geonames_id": "int64",
                "name": "str",
                "country": "str",
                "admin1": "str",
                "lat": "float64",
                "lon": "float64",
                "population": "int64",
                "timezone": "str",
                "kind": "str",
            },
        )
    return frame.set_index("geonames_id")


@functools.cache
def names_table() -> pd.DataFrame:
    with _data_path(NAMES_FILE).open("rb") as fh:
        frame = pd.read_csv(
            fh,
            compression="gzip",
            keep_default_na=False,
            dtype={"key": "str", "geonames_id": "int64", "kind": "category"},
        )
    frame["kind"] = frame["kind"].cat.rename_categories({"a": "alternate", "p": "primary"})
    return frame


def load_gazetteer(*, kinds: str | Iterable[str] | None = "place") -> pd.DataFrame:
    """Every place in the shipped gazetteer.

    Parameters
    ----------
    kinds : str or iterable of str, default "place"
        Kinds of entries to return (see :data:`KINDS`); ``None`` returns every entry.
        The default, ``"place"``, is the GeoNames ``cities1000`` set: populated places with
        at least 1,000 inhabitants or seats of divisions.

    Returns
    -------
    DataFrame
        Indexed by ``geonames_id`` (int64) with columns ``name`` (GeoNames primary name),
        ``country`` (ISO 3166-1 alpha-2), ``admin1`` (GeoNames admin-1 code), ``lat``, ``lon``
        (float64, WGS84; a division has the coordinates of its most populous place),
        ``population`` (int64; 0 where GeoNames has none), ``timezone`` and ``kind``.

    Examples
    --------
    >>> from twinning_graph._gazetteer import load_gazetteer
    >>> gaz = load_gazetteer()
    >>> gaz.loc[2886242, ["name", "country", "admin1"]].tolist()
    ['Köln', 'DE', '07']
    >>> len(gaz)
    71561
    >>> sorted(load_gazetteer(kinds=None)["kind"].unique())
    ['admin_unit', 'municipality', 'place', 'small_place']
    """
    table = places_table()
    if kinds is None:
        return table.copy(deep=False)
    wanted = [kinds] if isinstance(kinds, str) else list(kinds)
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown:
        raise ValidationError(f"unknown gazetteer kinds {unknown}; allowed: {list(KINDS)}")
    return table.loc[table["kind"].isin(wanted)].copy(deep=False)


def name_index() -> pd.DataFrame:
    """The gazetteer's name index: every normalised name of every place.

    Returns
    -------
    DataFrame
        Columns ``key`` (a name normalised by :func:`twinning_graph.geocode.normalise_name`
        or a lighter form keeping qualifiers and administrative words), ``geonames_id`` and
        ``kind`` (categorical: ``"primary"`` for the GeoNames primary name, ``"alternate"`` for
        alternate names in any language and script). One row per distinct (key, place), sorted
        by key.

    Examples
    --------
    >>> from twinning_graph._gazetteer import name_index
    >>> idx = name_index()
    >>> idx[idx["key"] == "kolonia"].loc[:, ["geonames_id", "kind"]].to_numpy().tolist()
    [[2886242, 'alternate']]
    """
    return names_table().copy(deep=False)


def places(
    *, min_population: int = 1000, countries: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """Gazetteer places filtered by population and country.

    Parameters
    ----------
    min_population : int, default 1000
        Keep places with at least this many inhabitants. Places whose population GeoNames
        does not know (``population == 0``) are kept only when ``min_population <= 1000``,
        the threshold the gazetteer was built with.
    countries : str or iterable of str, optional
        ISO 3166-1 alpha-2 codes to keep (``EL`` and ``UK`` are accepted for ``GR`` and
        ``GB``); all countries when ``None``.

    Returns
    -------
    DataFrame
        Like :func:`load_gazetteer` (``kind == "place"`` only), filtered.

    Examples
    --------
    >>> from twinning_graph._gazetteer import places
    >>> big = places(min_population=1_000_000, countries=["DE", "AT"])
    >>> sorted(big["name"])
    ['Berlin', 'Hamburg', 'Köln', 'Munich', 'Vienna']
    """
    if isinstance(min_population, bool) or not isinstance(min_population, (int, float)):
        raise ValidationError(
            f"min_population must be a number, got {min_population!r} "
            f"({type(min_population).__name__})"
        )
    table = places_table()
    table = table[table["kind"] == "place"]
    keep = table["population"] >= min_population
    if min_population <= 1000:
        keep |= table["population"] == 0
    if countries is not None:
        codes = [countries] if isinstance(countries, str) else list(countries)
        given = [str(c).strip().upper() for c in codes]
        normal = normalise_country(given, errors="coerce")
        codes = [n if isinstance(n, str) else g for n, g in zip(normal, given, strict=True)]
        known = set(table["country"].unique())
        unknown = sorted(set(codes) - known)
        if unknown:
            raise ValidationError(
                f"countries not in the gazetteer: {unknown}; allowed: {sorted(known)}"
            )
        keep &= table["country"].isin(codes)
    return table.loc[keep].copy(deep=False)
