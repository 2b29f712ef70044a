"""Communities, components, cores, brokers and bridges of the town network.

Every function takes a :class:`~twinning_graph.TwinningData` or a town graph and returns
pandas objects indexed by ``town_id`` (towns) or by community number (communities).

Community numbers are deterministic: communities are numbered ``0, 1, 2, ...`` by size,
largest first, ties broken by the smallest ``town_id`` they contain. Towns without any
partner belong to no community and get the label ``-1`` (a lone town is not a cluster);
:func:`components` by contrast gives every unlinked town its own component, as graph
theory does.

Modules: ``_communities`` (detection and description), ``_louvain`` (the built-in sparse
modularity optimiser), ``_brokers`` (betweenness), ``_structure`` (components, cores,
bridges), ``_common`` (input conversion and numbering shared by all).
"""

from twinning_graph.clusters._brokers import (
    BETWEENNESS_SAMPLE,
    EXACT_BETWEENNESS_MAX_NODES,
    brokers,
)
from twinning_graph.clusters._communities import (
    METHODS,
    NATIONAL_ISLAND_SHARE,
    communities,
    community_table,
    national_islands,
)
from twinning_graph.clusters._louvain import modularity
from twinning_graph.clusters._structure import bridges, components, core_number, k_core

__all__ = [
    "communities",
    "community_table",
    "components",
    "core_number",
    "k_core",
    "brokers",
    "bridges",
    "national_islands",
    "modularity",
    "METHODS",
    "NATIONAL_ISLAND_SHARE",
    "EXACT_BETWEENNESS_MAX_NODES",
    "BETWEENNESS_SAMPLE",
]
