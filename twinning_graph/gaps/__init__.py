"""Gaps in the twinning network: under-linked country pairs, low-reach countries, towns
without foreign partners and large places without any partner.

The centre piece is :func:`country_pair_gaps`, a gravity model of the number of town links
between two countries. What it assumes and where it is weak is spelled out in its
docstring; read it before quoting a "gap".
"""

from twinning_graph.gaps._pairs import (
    MASSES,
    MODELS,
    SIDES,
    clear_gaps,
    country_matrix,
    country_pair_gaps,
)
from twinning_graph.gaps._poisson import PoissonFit, count_mean_interval, fit_poisson
from twinning_graph.gaps._towns import domestic_only_towns, low_reach_countries, unpartnered_places

__all__ = [
    "country_pair_gaps",
    "clear_gaps",
    "country_matrix",
    "low_reach_countries",
    "domestic_only_towns",
    "unpartnered_places",
    "fit_poisson",
    "count_mean_interval",
    "PoissonFit",
    "MODELS",
    "MASSES",
    "SIDES",
]
