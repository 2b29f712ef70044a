"""Matplotlib maps and charts of the twinning network.

Every function takes ``ax=None`` (a new figure is made when omitted), returns the
:class:`~matplotlib.axes.Axes` it drew on and never calls ``plt.show()``. Maps are drawn on the
offline basemap of :mod:`twinning_graph._basemap` (Lambert azimuthal equal-area, centred on
10°E 52°N).

Artists carry a ``gid`` so that reports and tests can find them: ``"basemap"`` (country polygons),
``"links"`` (all drawn links, one LineCollection), ``"towns"``, ``"highlight"``,
``"highlight_links"``, ``"highlight_partners"``, ``"candidates"``, ``"candidate_links"`` and
``"credits"`` (the attribution text).
"""

from twinning_graph._basemap import plot_basemap
from twinning_graph.plot._charts import (
    MATRIX_VALUES as MATRIX_VALUES,  # not in __all__, importable as before the split
)
from twinning_graph.plot._charts import (
    plot_country_matrix,
    plot_degree_distribution,
    plot_links_per_year,
    plot_reach,
)
from twinning_graph.plot._common import CREDITS
from twinning_graph.plot._map import COLOR_BY as COLOR_BY
from twinning_graph.plot._map import SIZE_BY as SIZE_BY
from twinning_graph.plot._map import plot_map

__all__ = [
    "CREDITS",
    "plot_basemap",
    "plot_country_matrix",
    "plot_degree_distribution",
    "plot_links_per_year",
    "plot_map",
    "plot_reach",
]
