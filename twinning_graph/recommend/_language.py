"""Languages of towns: the shipped table of official and widely used regional languages.

``data/languages.csv`` has one row per (country, region, language): ``region`` is empty for
a language of the whole country, or a GeoNames admin-1 code (``BE/WAL``, ``CH/TI``,
``ES/56`` Catalonia, ...) for a language of one region. A town speaks the languages of its
country plus those of its region; Belgium and Switzerland have regional rows only, so a
Belgian or Swiss town whose region is unknown has no language. Every row has a ``source``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["language_table", "town_languages", "REGIONAL_COUNTRIES", "language_names"]


@functools.cache
def _table() -> pd.DataFrame:
    with (
        resources.files("twinning_graph")
        .joinpath("data", "languages.csv")
        .open("r", encoding="utf-8") as fh
    ):
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def language_table() -> pd.DataFrame:
    """The shipped table of official and widely used regional languages per country.

    Returns
    -------
    pandas.DataFrame
        Columns ``country`` (ISO alpha-2), ``region`` (GeoNames admin-1 code, empty for the
        whole country), ``language`` (ISO 639 code), ``language_name``, ``status``
        (``"official"`` or ``"regional"``), ``source`` and ``note``.

    Examples
    --------
    >>> from twinning_graph.recommend import language_table
    >>> t = language_table()
    >>> sorted(t.loc[t["country"] == "LU", "language"])
    ['de', 'fr', 'lb']
    >>> t.loc[(t["country"] == "ES") & (t["region"] == "56"), "language_name"].tolist()
    ['Catalan']
    >>> bool((t["source"] != "").all())
    True
    """
    return _table().copy()


@functools.cache
def _sets() -> tuple[dict[str, frozenset[str]], dict[tuple[str, str], frozenset[str]]]:
    t = _table()
    whole = t[t["region"] == ""].groupby("country")["language"].agg(frozenset).to_dict()
    part = t[t["region"] != ""].groupby(["country", "region"])["language"].agg(frozenset)
    return whole, part.to_dict()


#: Countries whose languages depend on the region (admin-1) of the town.
REGIONAL_COUNTRIES: frozenset[str] = frozenset(_table().loc[_table()["region"] != "", "country"])


def language_names() -> dict[str, str]:
    """ISO 639 code -> English name of the language."""
    t = _table()
    return dict(zip(t["language"], t["language_name"], strict=True))


def town_languages(countries: Sequence[str], regions: Sequence[str]) -> list[frozenset[str]]:
    """The languages of towns given their countries and admin-1 regions (``""``: unknown).

    Examples
    --------
    >>> from twinning_graph.recommend._language import town_languages
    >>> [sorted(s) for s in town_languages(["BE", "BE", "ES", "IT"], ["WAL", "", "56", "17"])]
    [['fr'], [], ['ca', 'es'], ['de', 'it']]
    """
    whole, part = _sets()
    empty: frozenset[str] = frozenset()
    pairs = pd.DataFrame({"c": list(countries), "r": list(regions)})
    # one set per distinct (country, region): a handful of hundreds, whatever the towns
    uniq = pairs.drop_duplicates()
    sets = {
        (c, r): whole.get(c, empty) | part.get((c, r), empty)
        for c, r in zip(uniq["c"], uniq["r"], strict=True)
    }
    return [sets[(c, r)] for c, r in zip(pairs["c"], pairs["r"], strict=True)]


def shared_matrix(a: Sequence[frozenset[str]], b: Sequence[frozenset[str]]) -> np.ndarray:
    """``M[i, j]`` = 1.0 when the language sets ``a[i]`` and ``b[j]`` share a language."""
    # loop over the distinct profiles only (a few hundred at most)
    return np.array([[1.0 if x & y else 0.0 for y in b] for x in a], dtype=float).reshape(
        len(a), len(b)
    )
