"""twinning-graph: the network of European town twinning, measured, mapped and planned.

Plotting and report functions (``plot_map``, ``build_report``, ...) are imported on first use,
so ``import twinning_graph`` stays quick and does not load matplotlib.
"""

from typing import Any

from twinning_graph._errors import (
    DataWarning,
    TwinningGraphError,
    UnknownCallError,
    UnknownCountryError,
    UnknownTownError,
    ValidationError,
)
from twinning_graph.calls import (
    Call,
    EligibilityResult,
    check_eligibility,
    country_eligibility,
    get_call,
    latest_call,
    list_calls,
    resolve_call,
)
from twinning_graph.clusters import (
    bridges,
    brokers,
    communities,
    community_table,
    components,
    k_core,
    national_islands,
)
from twinning_graph.countries import (
    EU27,
    country_from_name,
    country_name,
    country_table,
    eligible_countries,
    eu_members,
    normalise_country,
)
from twinning_graph.evaluate import BacktestResult, backtest, evaluate_links
from twinning_graph.evolution import (
    links_per_year,
    network_as_of,
    new_country_pairs,
    year_coverage,
)
from twinning_graph.explore import ExploreMap, explore  # eager, see explore/__init__.py
from twinning_graph.export import (
    read_geojson,
    read_gexf,
    read_graphml,
    to_csv,
    to_geojson,
    to_gexf,
    to_graphml,
)
from twinning_graph.gaps import (
    country_matrix,
    country_pair_gaps,
    domestic_only_towns,
    low_reach_countries,
    unpartnered_places,
)
from twinning_graph.geocode import geocode, normalise_name, to_towns
from twinning_graph.graph import (
    build_country_graph,
    build_project_graph,
    build_town_graph,
    from_graph,
)
from twinning_graph.io import read_partnerships, read_towns, validate_files
from twinning_graph.lookup import find_town
from twinning_graph.merge import match_report, match_towns, merge
from twinning_graph.network import TwinningData, load
from twinning_graph.plan import PlanResult, plan_network
from twinning_graph.reach import country_reach, reach, town_reach
from twinning_graph.recommend import PartnerModel, RankWeights, rank_partners, rank_partners_many
from twinning_graph.stats import degree, summary
from twinning_graph.synthetic import synthetic_network
from twinning_graph.wikidata import fetch_wikidata

__version__ = "0.1.0"

# name -> module, imported on first access (these modules import matplotlib)
_LAZY = {
    "plot_map": "twinning_graph.plot",
    "plot_basemap": "twinning_graph.plot",
    "plot_country_matrix": "twinning_graph.plot",
    "plot_reach": "twinning_graph.plot",
    "plot_degree_distribution": "twinning_graph.plot",
    "plot_links_per_year": "twinning_graph.plot",
    "build_report": "twinning_graph.report",
    "write_map": "twinning_graph.report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'twinning_graph' has no attribute {name!r}")


__all__ = [
    "EU27",
    "BacktestResult",
    "Call",
    "DataWarning",
    "EligibilityResult",
    "ExploreMap",
    "PartnerModel",
    "PlanResult",
    "RankWeights",
    "TwinningData",
    "TwinningGraphError",
    "UnknownCallError",
    "UnknownCountryError",
    "UnknownTownError",
    "ValidationError",
    "backtest",
    "bridges",
    "brokers",
    "build_country_graph",
    "build_project_graph",
    "build_report",
    "build_town_graph",
    "check_eligibility",
    "country_eligibility",
    "communities",
    "community_table",
    "components",
    "country_from_name",
    "country_matrix",
    "country_name",
    "country_pair_gaps",
    "country_reach",
    "country_table",
    "degree",
    "domestic_only_towns",
    "eligible_countries",
    "eu_members",
    "explore",
    "evaluate_links",
    "fetch_wikidata",
    "find_town",
    "from_graph",
    "geocode",
    "get_call",
    "k_core",
    "latest_call",
    "links_per_year",
    "list_calls",
    "load",
    "low_reach_countries",
    "match_report",
    "match_towns",
    "merge",
    "national_islands",
    "network_as_of",
    "new_country_pairs",
    "normalise_country",
    "normalise_name",
    "plan_network",
    "plot_basemap",
    "plot_country_matrix",
    "plot_degree_distribution",
    "plot_links_per_year",
    "plot_map",
    "plot_reach",
    "rank_partners",
    "rank_partners_many",
    "reach",
    "resolve_call",
    "read_geojson",
    "read_gexf",
    "read_graphml",
    "read_partnerships",
    "read_towns",
    "summary",
    "synthetic_network",
    "to_csv",
    "to_geojson",
    "to_gexf",
    "to_graphml",
    "to_towns",
    "town_reach",
    "unpartnered_places",
    "validate_files",
    "write_map",
    "year_coverage",
]
