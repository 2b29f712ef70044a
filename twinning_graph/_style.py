"""The colours and marker styles of every map: one fixed colour per country, everywhere.

Country colours
---------------
Every ISO 3166-1 alpha-2 code of ``data/countries.csv`` (plus XK) has one colour, the same on
the Europe map, a country map, a town map, the report and the interactive map. The colours
come from Paul Tol's *muted* qualitative palette (9 colours designed to stay distinct for
colour-blind readers and on a light background, https://personal.sron.nl/~pault/):
:data:`PALETTE`.

They are assigned by colouring the map of Europe so that **neighbours differ**:

1. Two countries of the shipped Natural Earth borders (``data/europe_countries.geojson``) are
   neighbours when a vertex of one lies within :data:`NEIGHBOUR_KM` (100 km) of a vertex of
   the other: a land border, or a narrow sea (Strait of Dover, Øresund, Gulf of Finland,
   Malta–Sicily), since towns on both sides appear side by side on a map.
2. Countries are coloured greedily in a fixed order (most neighbours first, then by code);
   each takes, among the palette colours none of its already coloured neighbours has, the one
   used least so far (ties: palette order). The result depends only on the borders file, so it
   is the same on every machine and every run.
3. Countries without a polygon in the borders file (the rest of the world: US, CN, JP, ...)
   take the palette colours in turn, in alphabetical order of their codes.

Highlight and candidates
------------------------
:data:`HIGHLIGHT` (the town a map is about, its links and partners) is a red that is none of
the country colours (its CIE76 distance to the nearest one is over 60), drawn as a star with a
black edge. :data:`CANDIDATE` (proposed partners) keeps the candidate's country colour and
is told apart by its shape (a diamond with a black edge) and its dashed link.

This module has no matplotlib import: hex strings and marker names work in matplotlib
(``c=``, ``marker=``) and in the browser alike.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BORDER_COLOR",
    "CREDITS",
    "CANDIDATE",
    "EU_FILL",
    "HIGHLIGHT",
    "LINK_COLOR",
    "NEIGHBOUR_KM",
    "NON_EU_FILL",
    "OTHER_COLOR",
    "PALETTE",
    "SEA_COLOR",
    "MarkerStyle",
    "country_color",
    "country_colors",
    "country_color_table",
]

#: Paul Tol's "muted" qualitative palette: rose, indigo, sand, green, cyan, wine, teal, olive,
#: purple.
PALETTE: tuple[str, ...] = (
    "#CC6677",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
)
#: Towns without a country (or a value that is no country): a neutral grey.
OTHER_COLOR = "#9E9E9E"
#: Links of the network (drawn with a transparency that depends on their number).
LINK_COLOR = "#23395D"
#: Basemap fills: EU Member States, other countries; country borders; the sea.
EU_FILL = "#DCE6F2"
NON_EU_FILL = "#EEEEEE"
BORDER_COLOR = "#B4B4B4"
SEA_COLOR = "#F7FBFF"

#: Attribution shown on every map (and repeated in reports).
CREDITS = (
    "Data: Wikidata contributors (CC0), GeoNames (CC BY 4.0); borders: Made with Natural Earth"
)

#: Two countries closer than this (km between border vertices) count as neighbours.
NEIGHBOUR_KM = 100.0


@dataclass(frozen=True)
class MarkerStyle:
    """How a special kind of town is drawn.

    Attributes
    ----------
    color : str or None
        Fill colour (hex); None means "the town's country colour".
    marker : str
        Matplotlib marker name (``"*"`` star, ``"D"`` diamond); the interactive map draws
        the same shapes.
    edgecolor : str
        Outline colour.
    size : float
        Marker area in points² (matplotlib ``s=``); the interactive map scales it.
    link_color : str
        Colour of the lines from the highlighted town to these towns.
    link_style : str
        ``"solid"`` or ``"dashed"``.
    """

    color: str | None
    marker: str
    edgecolor: str
    size: float
    link_color: str
    link_style: str


#: The highlighted town: a red star (no country has this red), its links solid red.
HIGHLIGHT = MarkerStyle(
    color="#FF0000",
    marker="*",
    edgecolor="#000000",
    size=260.0,
    link_color="#FF0000",
    link_style="solid",
)
#: Candidate partners: a diamond in the candidate's country colour, a dashed link.
CANDIDATE = MarkerStyle(
    color=None,
    marker="D",
    edgecolor="#000000",
    size=70.0,
    link_color="#000000",
    link_style="dashed",
)


def _neighbour_pairs() -> list[tuple[str, str]]:
    """Pairs of basemap countries with border vertices within :data:`NEIGHBOUR_KM`."""
    from scipy.spatial import cKDTree

    from twinning_graph.plot._basemap import load_countries, project

    codes: list[np.ndarray] = []
    points: list[np.ndarray] = []
    for country in load_countries():
        if len(country.iso_a2) != 2 or not country.iso_a2.isalpha():
            continue  # '-99': the sovereign base areas on Cyprus
        for ring in country.rings:
            x, y = project(ring[:, 0], ring[:, 1])
            points.append(np.column_stack([x, y]))
            codes.append(np.full(len(ring), country.iso_a2))
    code = np.concatenate(codes)
    pairs = cKDTree(np.vstack(points)).query_pairs(NEIGHBOUR_KM * 1000.0, output_type="ndarray")
    a, b = code[pairs[:, 0]], code[pairs[:, 1]]
    differ = a != b
    a, b = a[differ], b[differ]
    lo, hi = np.where(a < b, a, b), np.where(a < b, b, a)
    unique = pd.DataFrame({"a": lo, "b": hi}).drop_duplicates().sort_values(["a", "b"])
    return list(zip(unique["a"].tolist(), unique["b"].tolist(), strict=True))


@functools.cache
def _assignment() -> pd.DataFrame:
    """The colour table: index ISO code; columns name, color, neighbours (on the basemap)."""
    from twinning_graph.countries import country_table
    from twinning_graph.plot._basemap import load_countries

    table = country_table()
    pairs = _neighbour_pairs()
    neighbours: dict[str, set[str]] = {}
    for a, b in pairs:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    on_map = sorted({c.iso_a2 for c in load_countries() if c.iso_a2 in table.index})
    color: dict[str, str] = {}
    used = dict.fromkeys(PALETTE, 0)
    # ~60 countries with at most a dozen neighbours each: a plain loop, fixed order
    for code in sorted(on_map, key=lambda c: (-len(neighbours.get(c, ())), c)):
        taken = {color[n] for n in neighbours.get(code, ()) if n in color}
        free = [p for p in PALETTE if p not in taken] or list(PALETTE)
        pick = min(free, key=lambda p: (used[p], PALETTE.index(p)))
        color[code] = pick
        used[pick] += 1
    rest = sorted(set(table.index) - set(color))
    for i, code in enumerate(rest):
        color[code] = PALETTE[i % len(PALETTE)]
    out = pd.DataFrame(
        {
            "name": table["name"],
            "color": pd.Series(color),
            "on_basemap": table.index.isin(on_map),
            "neighbours": pd.Series(
                {c: " ".join(sorted(neighbours.get(c, ()))) for c in table.index}
            ),
        }
    )
    out.index.name = "country"
    return out


def country_color_table() -> pd.DataFrame:
    """Every country code with its map colour and its neighbours on the basemap.

    Returns
    -------
    pandas.DataFrame
        Indexed by ISO 3166-1 alpha-2 ``country``: ``name``, ``color`` (hex), ``on_basemap``
        (has borders in the shipped file) and ``neighbours`` (space-separated codes). A copy.

    Examples
    --------
    >>> from twinning_graph._style import country_color_table
    >>> table = country_color_table()
    >>> bool(table["color"].notna().all())  # every code has a colour
    True
    >>> table.loc["DE", "color"] != table.loc["PL", "color"]  # neighbours differ
    True
    """
    return _assignment().copy()


def country_color(code: str) -> str:
    """The map colour of one country.

    Parameters
    ----------
    code : str
        ISO 3166-1 alpha-2 or alpha-3 code, or the EU codes EL / UK (normalised with
        :func:`twinning_graph.countries.normalise_country`).

    Returns
    -------
    str
        ``"#RRGGBB"``.

    Raises
    ------
    UnknownCountryError
        ``code`` is not a country code (close codes are suggested).

    Examples
    --------
    >>> from twinning_graph._style import country_color
    >>> country_color("EL") == country_color("GR")
    True
    """
    from twinning_graph.countries import normalise_country

    return str(_assignment().at[normalise_country(code), "color"])


def country_colors(codes: Iterable[Any] | pd.Series) -> np.ndarray:
    """Map colours of many towns' countries, vectorised.

    Parameters
    ----------
    codes : iterable of str or pandas.Series
        Country codes (normalised like :func:`country_color`); missing values get
        :data:`OTHER_COLOR`.

    Returns
    -------
    numpy.ndarray
        Hex strings (object dtype), one per input value, in input order.

    Raises
    ------
    UnknownCountryError
        A value is neither missing nor a country code (all such values are named).

    Examples
    --------
    >>> from twinning_graph._style import OTHER_COLOR, country_color, country_colors
    >>> colors = country_colors(["FR", None, "FR"])
    >>> colors[0] == colors[2] == country_color("FR"), colors[1] == OTHER_COLOR
    (True, True)
    """
    from twinning_graph.countries import normalise_country

    series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    normal = normalise_country(series.reset_index(drop=True))
    mapped = normal.map(_assignment()["color"])
    return mapped.fillna(OTHER_COLOR).to_numpy(dtype=object)
