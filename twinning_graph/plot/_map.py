"""The town map: :func:`plot_map`, composed of layers (see :mod:`twinning_graph.plot`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from twinning_graph._validate import check_choice, check_int
from twinning_graph.countries import country_name
from twinning_graph.graph import as_data
from twinning_graph.plot._basemap import basemap_layer, new_axes, setup_map_axes
from twinning_graph.plot._credits import map_credits
from twinning_graph.plot._labels import labels_layer
from twinning_graph.plot._layers import (
    candidates_layer,
    credits_layer,
    highlight_layer,
    links_layer,
    title_layer,
    towns_layer,
)
from twinning_graph.plot._legend import legend_layer
from twinning_graph.plot._overview import density_layer, flows_layer
from twinning_graph.plot._scene import MapScene, build_scene

if TYPE_CHECKING:
    from matplotlib.axes import Axes

COLOR_BY = ("country", "community", "reach", None)
SIZE_BY = ("partners", "population", None)
#: How links are drawn: see :func:`plot_map`.
LINKS = ("auto", "arcs", "density", "flows", None)
#: ``links="auto"`` draws country flows above this many links (without a highlighted town).
DENSE_LINKS = 3000


def _links_mode(links: str | None, scene: MapScene) -> str | None:
    if links != "auto":
        return links
    if scene.highlight is None and len(scene.links) > DENSE_LINKS:
        return "flows"
    return "arcs"


def auto_title(scene: MapScene) -> str:
    """An English title saying what the map shows."""
    n_links = len(scene.links)
    h = scene.highlight
    if h is not None:
        n = len(scene.partners)
        title = f"{h['name']} ({h['country']}): {n} partner{'s' if n != 1 else ''}"
        if scene.candidates is not None and len(scene.candidates):
            title += f" and {len(scene.candidates)} candidates"
        return title
    if scene.countries:
        names = ", ".join(str(country_name(c)) for c in scene.countries[:3])
        more = f" and {len(scene.countries) - 3} more" if len(scene.countries) > 3 else ""
        count = f"{n_links:,} link{'s' if n_links != 1 else ''}"
        if scene.touching:  # every link with an end in the countries, abroad too
            return (
                f"Partnerships of the towns of {names}{more} (with their partners abroad): {count}"
            )
        return f"Partnerships within {names}{more}: {count}"
    return f"Twinning network: {len(scene.towns):,} towns, {n_links:,} links"


def plot_map(
    data: Any,
    *,
    ax: Axes | None = None,
    kinds: str | Iterable[str] | None = None,
    year: int | None = None,
    countries: str | Iterable[str] | None = None,
    touching: bool = False,
    highlight: str | None = None,
    candidates: Any = None,
    extent: Any = "auto",
    color_by: str | None = "country",
    size_by: str | None = "partners",
    communities: pd.Series | None = None,
    values: pd.Series | None = None,
    links: str | None = "auto",
    max_links: int | None = None,
    labels: int | str | None = "auto",
    title: str | None = "auto",
    legend: bool = True,
    texts: Mapping[str, str] | None = None,
    credits: bool = True,
    basemap: bool = True,
    scatter_kws: Mapping[str, Any] | None = None,
    line_kws: Mapping[str, Any] | None = None,
) -> Axes:
    """Map towns and their partnership links on the offline basemap of Europe.

    The map is drawn in layers (basemap, links, towns, highlighted town, candidates, title,
    credits, legend, labels), each a small function of :mod:`twinning_graph.plot._layers`.
    Towns are one scatter (``gid="towns"``) sized by their number of partners and coloured
    by country with the fixed colours of :mod:`twinning_graph._style` (the same country has
    the same colour on every map; neighbours differ). Names are placed without overlap:
    the highlighted town, its partners, the candidates and, on a map without a highlighted
    town, the most connected towns.

    Parameters
    ----------
    data : TwinningData or networkx.Graph
        The network: a loaded :class:`~twinning_graph.TwinningData` or a town graph.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    kinds, year, countries, touching : optional
        Filters, applied by :meth:`TwinningData.filter` with the same meaning everywhere:
        partnerships of these kinds; partnerships with ``since <= year`` (undated ones are
        left out, with a warning); towns of these countries and the links among them, or with
        ``touching=True`` every link with at least one end in them (a country's links abroad).
    highlight : str, optional
        A town_id drawn as a star (``gid="highlight"``); its links are emphasised and its
        partners ringed and named (partners outside the window at its edge, with an arrow).
    candidates : DataFrame or list of str, optional
        Candidate partners: a ranking from :func:`~twinning_graph.rank_partners` (numbered
        1, 2, … in its order), a DataFrame with a ``town_id`` column (or index) or with
        ``lat``/``lon`` columns (places that need not be in ``data``), or a list of town ids.
        Drawn as diamonds in their country's colour (``gid="candidates"``, in the order
        given), named, and joined to ``highlight`` by dashed arcs.
    extent : default "auto"
        Map window. "auto": centred on the highlighted town (holding its partners and
        candidates, far ones named at the edge instead), or on ``countries``, or the whole
        data (Europe when it spans Europe); the width/height ratio stays between 0.8 and
        1.45. None or "europe": Europe. An ISO country code (``"FR"``); ``"data"`` (every
        town drawn); a list of town ids; a DataFrame with lat/lon; or (west, east, south,
        north) degrees.
    color_by : {"country", "community", "reach", None}, default "country"
        "country": the fixed country colours. "community": colour by ``communities``
        (10 largest coloured, the rest grey). "reach": a continuous colour scale of
        ``values`` with a colorbar. None: one colour.
    size_by : {"partners", "population", None}, default "partners"
        Marker area grows with the square root of the number of partners (among the links
        drawn) or of the population; None gives equal markers.
    communities : pandas.Series, optional
        town_id → community label, for ``color_by="community"`` (default:
        :func:`twinning_graph.clusters.communities`).
    values : pandas.Series, optional
        town_id → number (e.g. a reach measure), for ``color_by="reach"``.
    links : {"auto", "arcs", "density", "flows", None}, default "auto"
        "arcs": every link a great-circle arc (``gid="links"``). "density": an image of how
        many links pass each point (``gid="link_density"``), readable with tens of thousands
        of links. "flows": links summed per country pair, one arc between the countries'
        centres of towns, as wide as the number of links (``gid="country_flows"``; the
        towns fade behind). "auto": flows above 3,000 links on a map without a highlighted
        town (the Europe map: 15,000 arcs are a hairball), else arcs. None: no links.
    max_links : int, optional
        Draw at most this many links: those with the largest weight, first in the data first.
    labels : "auto", int or None, default "auto"
        "auto": name the highlighted town, its partners, the candidates and (without a
        highlighted town) the 12 most connected towns in view. An int: that many most
        connected towns instead of 12. None: no names.
    title : str or None, default "auto"
        "auto": an English title saying what is shown; None: no title; any other text: that.
    legend, credits, basemap : bool, default True
        Draw the legend (in a free corner, else beside the map), the attribution
        (``gid="credits"``, from the data's sources) and the country borders.
    texts : mapping, optional
        Words written in the image, to replace the English ones (a report in another
        language): keys of :data:`twinning_graph.plot.MAP_TEXTS` (legend entries and
        title, :meth:`str.format` templates with the fields of the English text) and
        ``"country.XX"`` for a country's name in the legend.
    scatter_kws, line_kws : mapping, optional
        Extra keyword arguments for the town scatter and the links LineCollection (copied,
        never modified).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValidationError
        A bad ``color_by``/``size_by``/``links``/``kinds``/``extent``/``texts``, or missing
        ``values``.
    UnknownTownError
        ``highlight`` or a candidate is not a town of ``data`` (close matches are suggested).
    UnknownCountryError
        A country in ``countries`` has no town in ``data``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import twinning_graph as tg
    >>> from twinning_graph.plot import plot_map
    >>> data = tg.load()
    >>> ax = plot_map(data, countries="LU", touching=True)
    >>> [c.get_gid() for c in ax.collections][:3]
    ['basemap', 'links', 'towns']
    >>> ax.get_title(loc="left")
    'Partnerships of the towns of Luxembourg (with their partners abroad): 71 links'
    >>> plt.close(ax.figure)
    """
    check_choice(color_by, "color_by", COLOR_BY)
    check_choice(size_by, "size_by", SIZE_BY)
    check_choice(links, "links", LINKS)
    if max_links is not None:
        max_links = check_int(max_links, "max_links", minimum=0)
    if labels is not None and labels != "auto":
        labels = check_int(labels, "labels", minimum=0, hint=' (or "auto" or None)')
    scene = build_scene(
        as_data(data),
        kinds=kinds,
        year=year,
        countries=countries,
        touching=touching,
        highlight=highlight,
        candidates=candidates,
        extent=extent,
        color_by=color_by,
        size_by=size_by,
        communities=communities,
        values=values,
        max_links=max_links,
        texts=texts,
    )
    if ax is None:
        ax = new_axes(_figsize(scene.window))
    if basemap:
        basemap_layer(ax, window=scene.window)
    setup_map_axes(ax, scene.window)
    mode = _links_mode(links, scene)
    extra: list[Any] = []
    if mode == "arcs":
        links_layer(ax, scene, line_kws=line_kws)
    elif mode == "density":
        _, extra = density_layer(ax, scene)
    elif mode == "flows":
        _, extra = flows_layer(ax, scene)
    if mode == "flows":  # the towns step back so the flows read
        scatter_kws = {"alpha": 0.5, **dict(scatter_kws or {})}
    towns_layer(ax, scene, scatter_kws=scatter_kws)
    highlight_layer(ax, scene)
    candidates_layer(ax, scene)
    title_layer(ax, auto_title(scene) if title == "auto" else title)
    if credits:
        credits_layer(ax, map_credits(scene.data, candidates=scene.candidates, basemap=basemap))
    if legend:
        legend_layer(ax, scene, links=mode, extra=extra)
    labels_layer(ax, scene, labels=labels)
    return ax


def _figsize(window: tuple[float, ...]) -> tuple[float, float]:
    """Figure size for a window: about 9 inches on the long side, the window's proportions."""
    ratio = (window[1] - window[0]) / (window[3] - window[2])
    if ratio >= 1:
        return 9.5, max(9.5 / ratio + 0.6, 4.0)
    return max(8.5 * ratio, 4.0), 8.5 + 0.6


__all__ = ["COLOR_BY", "LINKS", "SIZE_BY", "auto_title", "plot_map"]
