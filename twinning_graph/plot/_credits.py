"""The credit line of a map, built from the data's own sources (no matplotlib here).

A map credits what it shows: the sources of its links (the ``source`` column of the
partnerships and memberships, and the data's source labels), the gazetteer when towns or
candidates come from GeoNames, and Natural Earth for the borders. Synthetic data is called
synthetic, never credited to Wikidata.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from twinning_graph._style import CREDITS

__all__ = ["CREDITS", "KNOWN_SOURCES", "map_credits", "source_file"]

#: Credit text of the link sources the package knows (value of the ``source`` column).
KNOWN_SOURCES: dict[str, str] = {
    "wikidata-2017": "Wikidata contributors (CC0), May 2017",
    "wikidata-2021": "Wikidata contributors (CC0), November 2021",
    "synthetic": "SYNTHETIC random links (not real partnerships)",
}
WIKIDATA_BOTH = "Wikidata contributors (CC0), May 2017 and November 2021"
GEONAMES = "GeoNames (CC BY 4.0)"
NATURAL_EARTH = "borders: Made with Natural Earth"
_MAX_NAMED = 3  # user sources named one by one; beyond, "and N more"


def source_file(source: str, paths: Iterable[object]) -> str:
    """The file a user source value names: the reader sets ``source`` to the file's stem
    (``links`` for ``links.csv``); give back the file name when one of the data's
    ``paths`` has that stem, else the value as it is."""
    for p in paths:
        if isinstance(p, str | Path) and Path(p).stem == source:
            return Path(p).name
    return source


def source_name(source: str, paths: Iterable[object]) -> str:
    """Credit text of one link source: a known source's credit, ``"your data"`` for a
    table given in memory, ``"your data (links.csv)"`` for a file."""
    if source in KNOWN_SOURCES:
        return KNOWN_SOURCES[source]
    if source == "user":
        return "your data"
    return f"your data ({source_file(source, paths)})"


def _link_sources(data: Any) -> list[str]:
    values: list[str] = []
    for table in (data.partnerships, data.memberships):
        if "source" in table.columns and len(table):
            values.extend(str(s) for s in table["source"].dropna().unique())
    return sorted(set(values))


def map_credits(data: Any, *, candidates: pd.DataFrame | None = None, basemap: bool = True) -> str:
    """The attribution line of a map of ``data``.

    Parameters
    ----------
    data : TwinningData
        The network drawn.
    candidates : pandas.DataFrame, optional
        The candidates drawn (from :func:`twinning_graph._map_candidates.candidate_frame`);
        places without a ``town_id`` of ``data`` come from the GeoNames gazetteer.
    basemap : bool, default True
        Credit Natural Earth for the borders.

    Returns
    -------
    str
        ``"Data: <sources>; <towns>; borders: Made with Natural Earth"``.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.plot._credits import map_credits
    >>> map_credits(tg.load())
    'Data: Wikidata contributors (CC0), May 2017 and November 2021; GeoNames (CC BY 4.0); borders: Made with Natural Earth'
    >>> map_credits(tg.synthetic_network(200, 300, 0, seed=1), basemap=False)
    'Data: SYNTHETIC random links (not real partnerships); GeoNames (CC BY 4.0)'
    """
    sources = _link_sources(data)
    if {"wikidata-2017", "wikidata-2021"} <= set(sources):  # one credit for both snapshots
        sources = [s for s in sources if s not in ("wikidata-2017", "wikidata-2021")]
        named = [WIKIDATA_BOTH] + [source_name(s, data.sources) for s in sources]
    else:
        named = [source_name(s, data.sources) for s in sources]
    synthetic = any(str(s).upper().startswith("SYNTHETIC") for s in data.sources)
    if synthetic and KNOWN_SOURCES["synthetic"] not in named:
        named.insert(0, KNOWN_SOURCES["synthetic"])
    if len(named) > _MAX_NAMED:
        named = [*named[:_MAX_NAMED], f"and {len(named) - _MAX_NAMED} more sources"]
    if not named:  # no link with a source drawn: the data's own name ("your data" for a user's)
        named = ["your data" if str(data.name) == "user data" else str(data.name)]
    text = "; ".join(named)
    towns = data.towns
    geonames = "geonames_id" in towns.columns and bool(towns["geonames_id"].notna().any())
    if candidates is not None and "town_id" in candidates.columns:
        geonames |= bool((~candidates["town_id"].isin(towns.index)).any())
    pieces = [f"Data: {text}"]
    if geonames or synthetic:  # synthetic towns are gazetteer places
        pieces.append(GEONAMES)
    if basemap:
        pieces.append(NATURAL_EARTH)
    return "; ".join(pieces)
