"""twinning-graph: the network of European town twinning, measured, mapped and planned."""

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
    get_call,
    latest_call,
    list_calls,
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
from twinning_graph.export import (
    read_geojson,
    read_gexf,
    read_graphml,
    to_csv,
    to_geojson,
    to_gexf,
    to_graphml,
)
from twinning_graph.graph import (
    build_country_graph,
    build_project_graph,
    build_town_graph,
    from_graph,
)
from twinning_graph.io import TwinningData, load, read_partnerships, read_towns, validate_files
from twinning_graph.evolution import links_per_year, network_as_of, new_country_pairs, year_coverage
from twinning_graph.reach import country_reach, reach, town_reach
from twinning_graph.stats import degree, summary

__version__ = "0.1.0"

__all__ = [
    "EU27",
    "Call",
    "DataWarning",
    "EligibilityResult",
    "TwinningData",
    "TwinningGraphError",
    "UnknownCallError",
    "UnknownCountryError",
    "UnknownTownError",
    "ValidationError",
    "build_country_graph",
    "build_project_graph",
    "build_town_graph",
    "check_eligibility",
    "country_from_name",
    "country_name",
    "country_reach",
    "country_table",
    "degree",
    "eligible_countries",
    "eu_members",
    "from_graph",
    "get_call",
    "latest_call",
    "links_per_year",
    "list_calls",
    "load",
    "network_as_of",
    "new_country_pairs",
    "normalise_country",
    "read_geojson",
    "read_gexf",
    "read_graphml",
    "read_partnerships",
    "reach",
    "read_towns",
    "summary",
    "to_csv",
    "to_geojson",
    "to_gexf",
    "to_graphml",
    "town_reach",
    "validate_files",
    "year_coverage",
]
