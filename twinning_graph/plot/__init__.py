"""Matplotlib maps and charts of the twinning network.

Every function takes ``ax=None`` (a new figure is made when omitted), returns the
:class:`~matplotlib.axes.Axes` it drew on and never calls ``plt.show()``. Maps are drawn on the
offline basemap of :mod:`twinning_graph.plot._basemap` (Lambert azimuthal equal-area, centred
on 10°E 52°N) and composed of layers (:mod:`twinning_graph.plot._layers`), each a small
function that takes the axes and returns it.

Artists carry a ``gid`` so that reports and tests can find them: ``"basemap"`` (country
polygons), ``"links"`` (all drawn links, one LineCollection), ``"link_density"`` or
``"country_flows"`` (the overview modes), ``"towns"``, ``"highlight"``, ``"highlight_links"``,
``"highlight_partners"``, ``"candidates"``, ``"candidate_links"``, ``"labels"`` (every name
written on the map), ``"credits"`` (the attribution text) and ``"legend"``.

The package is imported lazily: ``twinning_graph.plot._basemap`` (projection and borders) can
be used without importing matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twinning_graph.plot._basemap import plot_basemap as plot_basemap
    from twinning_graph.plot._charts import MATRIX_VALUES as MATRIX_VALUES
    from twinning_graph.plot._charts import plot_country_matrix as plot_country_matrix
    from twinning_graph.plot._charts import plot_degree_distribution as plot_degree_distribution
    from twinning_graph.plot._charts import plot_links_per_year as plot_links_per_year
    from twinning_graph.plot._charts import plot_reach as plot_reach
    from twinning_graph.plot._credits import CREDITS as CREDITS
    from twinning_graph.plot._map import COLOR_BY as COLOR_BY
    from twinning_graph.plot._map import LINKS as LINKS
    from twinning_graph.plot._map import SIZE_BY as SIZE_BY
    from twinning_graph.plot._map import plot_map as plot_map
    from twinning_graph.plot._save import save_map as save_map
    from twinning_graph.plot._texts import MAP_TEXTS as MAP_TEXTS

# name -> module that defines it (imported on first access: most of them import matplotlib)
_NAMES = {
    "plot_basemap": "_basemap",
    "MATRIX_VALUES": "_charts",
    "plot_country_matrix": "_charts",
    "plot_degree_distribution": "_charts",
    "plot_links_per_year": "_charts",
    "plot_reach": "_charts",
    "CREDITS": "_credits",
    "COLOR_BY": "_map",
    "LINKS": "_map",
    "SIZE_BY": "_map",
    "plot_map": "_map",
    "save_map": "_save",
    "MAP_TEXTS": "_texts",
}

__all__ = [
    "CREDITS",
    "MAP_TEXTS",
    "plot_basemap",
    "plot_country_matrix",
    "plot_degree_distribution",
    "plot_links_per_year",
    "plot_map",
    "plot_reach",
    "save_map",
]


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'twinning_graph.plot' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"twinning_graph.plot.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))
