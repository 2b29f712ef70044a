"""How the network grew: new links per year, the network as of a year, new country pairs.

Everything here needs the ``since`` year of links (the earliest known start year of the
partnerships linking a town pair, ``data.edges["since"]``). The bundled Wikidata 2017 data
carry no years, so these functions raise a :class:`~twinning_graph.ValidationError` on it;
load partnerships with a ``since`` column to use them. When only some links have a year,
the functions work on those and warn with the counts (:class:`~twinning_graph.DataWarning`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import DataWarning, ValidationError
from twinning_graph._validate import check_int
from twinning_graph.graph import accepts_graph
from twinning_graph.network import TwinningData

__all__ = ["year_coverage", "links_per_year", "network_as_of", "new_country_pairs"]

NO_YEARS = (
    "no link has a known 'since' year; the bundled Wikidata 2017 data has none — "
    "load partnerships with a 'since' column (e.g. tg.load(towns=..., "
    "partnerships=...) with since=1995)"
)

PERIODS = ("year", "decade")


@accepts_graph
def year_coverage(data: TwinningData) -> dict[str, Any]:
    """How many links (linked town pairs) have a known start year.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.

    Returns
    -------
    dict
        ``links`` (total), ``with_year``, ``without_year``, ``share_with_year`` (NaN
        without links), ``first_year`` and ``last_year`` (None when no link has a year).
        Never raises for missing years: use it to check before the other functions.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.evolution import year_coverage
    >>> cov = year_coverage(tg.load())
    >>> cov["with_year"], cov["first_year"]
    (0, None)
    """
    edges = data.edges
    since = edges["since"]
    n = len(since)
    known = int(since.notna().sum())
    return {
        "links": n,
        "with_year": known,
        "without_year": n - known,
        "share_with_year": known / n if n else float("nan"),
        "first_year": int(since.min()) if known else None,
        "last_year": int(since.max()) if known else None,
    }


def _dated_edges(data: TwinningData, what: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Towns and the edges with a known year; raise when none, warn when some lack one."""
    towns, edges = data.towns, data.edges
    known = edges["since"].notna().to_numpy()
    if len(edges) == 0 or not known.any():
        raise ValidationError(
            NO_YEARS
            + (f" ({len(edges)} links, none dated)" if len(edges) else " (the data has no links)")
        )
    missing = int((~known).sum())
    if missing:
        warnings.warn(
            f"{missing} of {len(edges)} links have no known 'since' year and are left out of "
            f"{what}",
            DataWarning,
            stacklevel=3,
        )
    e = edges[known]
    return towns, e.assign(since=e["since"].astype("int64"))


@accepts_graph
def links_per_year(data: TwinningData, *, cumulative: bool = False) -> pd.Series:
    """New links (linked town pairs, dated by their earliest partnership) per year.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    cumulative
        Return the running total (links existing by the end of each year) instead.

    Returns
    -------
    pandas.Series
        Indexed by every year from the first to the last dated link (``year``, int;
        years without a new link are 0), named ``new_links`` or ``links``.

    Raises
    ------
    ValidationError
        No link has a known year (e.g. the bundled data).

    Warns
    -----
    DataWarning
        Some links have no year: they are left out, the count is given.

    Examples
    --------
    >>> import pandas as pd, twinning_graph as tg
    >>> from twinning_graph.evolution import links_per_year
    >>> towns = pd.DataFrame({"town_id": ["a", "b", "c"], "name": ["A", "B", "C"],
    ...     "country": ["DE", "FR", "PL"], "lat": [50.0, 48.0, 52.0], "lon": [8.0, 2.0, 21.0]})
    >>> links = pd.DataFrame({"town_a": ["a", "a", "b"], "town_b": ["b", "c", "c"],
    ...     "since": [1963, 1991, 1991]})
    >>> links_per_year(tg.load(towns=towns, partnerships=links)).loc[[1963, 1990, 1991]].tolist()
    [1, 0, 2]
    """
    if not isinstance(cumulative, (bool, np.bool_)):
        raise ValidationError(f"cumulative must be True or False, got {cumulative!r}")
    _, e = _dated_edges(data, "the count of links per year")
    years = e["since"].to_numpy()
    lo = int(years.min())
    counts = np.bincount(years - lo)
    out = pd.Series(
        counts.astype("int64"),
        index=pd.RangeIndex(lo, lo + len(counts), name="year"),
        name="new_links",
    )
    if cumulative:
        out = out.cumsum().rename("links")
    return out


@accepts_graph
def network_as_of(data: TwinningData, year: int) -> TwinningData:
    """The network as it stood in ``year``: links whose earliest partnership began by then.

    A thin wrapper of :meth:`TwinningData.filter` (``year=``) that first checks that the
    data carry years at all. Links with an unknown year are left out (warning with the
    count); every town is kept.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    year
        Calendar year, e.g. 1990.

    Returns
    -------
    TwinningData

    Raises
    ------
    ValidationError
        ``year`` is not an integer, or no link has a known year.

    Examples
    --------
    >>> import pandas as pd, twinning_graph as tg
    >>> from twinning_graph.evolution import network_as_of
    >>> towns = pd.DataFrame({"town_id": ["a", "b", "c"], "name": ["A", "B", "C"],
    ...     "country": ["DE", "FR", "PL"], "lat": [50.0, 48.0, 52.0], "lon": [8.0, 2.0, 21.0]})
    >>> links = pd.DataFrame({"town_a": ["a", "a"], "town_b": ["b", "c"], "since": [1963, 1991]})
    >>> len(network_as_of(tg.load(towns=towns, partnerships=links), 1980).edges)
    1
    """
    year = check_int(year, "year", minimum=0)
    edges = data.edges
    if len(edges) == 0 or edges["since"].notna().sum() == 0:
        raise ValidationError(NO_YEARS)
    return data.filter(year=year)


@accepts_graph
def new_country_pairs(data: TwinningData, *, by: str = "decade") -> pd.DataFrame:
    """Country pairs linked for the first time, per decade (or year).

    A country pair is first linked when the earliest dated link between a town of one and
    a town of the other began. Only transnational pairs count; links without a year are
    left out, so a pair linked only by undated links does not appear, and a pair whose
    first link is undated may appear later than it should (warning with the count).

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    by
        ``"decade"`` (periods 1950, 1960, ...) or ``"year"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by period (``decade`` — its first year — or ``year``), only periods with
        new pairs, sorted; columns ``new_pairs`` (int), ``cumulative_pairs`` (int) and
        ``pairs`` (list of ``"AA-BB"`` codes, alphabetical within and across pairs).

    Raises
    ------
    ValidationError
        Unknown ``by``, or no link has a known year.

    Examples
    --------
    >>> import pandas as pd, twinning_graph as tg
    >>> from twinning_graph.evolution import new_country_pairs
    >>> towns = pd.DataFrame({"town_id": ["a", "b", "c", "d"], "name": ["A", "B", "C", "D"],
    ...     "country": ["DE", "FR", "PL", "DE"], "lat": [50.0, 48.0, 52.0, 51.0],
    ...     "lon": [8.0, 2.0, 21.0, 9.0]})
    >>> links = pd.DataFrame({"town_a": ["a", "d", "a"], "town_b": ["b", "b", "c"],
    ...     "since": [1963, 1975, 1991]})
    >>> new_country_pairs(tg.load(towns=towns, partnerships=links))
            new_pairs  cumulative_pairs    pairs
    decade
    1960            1                 1  [DE-FR]
    1990            1                 2  [DE-PL]
    """
    if by not in PERIODS:
        raise ValidationError(f"by must be one of {list(PERIODS)}, got {by!r}")
    towns, e = _dated_edges(data, "the first links between countries")
    country = towns["country"]
    ca = e["town_a"].map(country).to_numpy(dtype=object)
    cb = e["town_b"].map(country).to_numpy(dtype=object)
    ok = pd.notna(ca) & pd.notna(cb) & (ca != cb)
    lo = np.where(ca < cb, ca, cb)[ok]
    hi = np.where(ca < cb, cb, ca)[ok]
    first = (
        pd.DataFrame(
            {
                "pair": pd.Series(lo, dtype=str) + "-" + pd.Series(hi, dtype=str),
                "since": e["since"].to_numpy()[ok],
            }
        )
        .groupby("pair")["since"]
        .min()
    )
    period = first // 10 * 10 if by == "decade" else first
    per = pd.DataFrame({"period": period.to_numpy(), "pair": first.index.to_numpy()})
    per = per.sort_values(["period", "pair"])
    g = per.groupby("period", sort=True)["pair"]
    out = pd.DataFrame({"new_pairs": g.size().astype("int64"), "pairs": g.agg(list)})
    out.insert(1, "cumulative_pairs", out["new_pairs"].cumsum().astype("int64"))
    out.index = out.index.astype("int64")
    out.index.name = by
    return out
