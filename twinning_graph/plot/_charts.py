"""Charts: country matrix, top-n bars, degree distribution, links per year."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LogNorm, Normalize

from twinning_graph._errors import (
    UnknownCountryError,
    ValidationError,
)
from twinning_graph._text import plot_text
from twinning_graph._validate import check_choice, check_int
from twinning_graph.plot._basemap import new_axes
from twinning_graph.plot._common import TOWN_COLOR, as_list, chart_title, degree_of, frames

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MATRIX_VALUES = ("observed", "expected", "ratio")


def _new_chart_axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 5.0)) -> Axes:
    return new_axes(figsize) if ax is None else ax


def plot_country_matrix(
    table: pd.DataFrame,
    *,
    value: str = "observed",
    ax: Axes | None = None,
    countries: Iterable[str] | None = None,
    title: str | None = "auto",
) -> Axes:
    """Heatmap of a country-pair gap table.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per country pair with columns ``country_a``, ``country_b``, ``observed``,
        ``expected`` and ``ratio`` (e.g. from :mod:`twinning_graph.gaps`). Pairs may be given in
        one or both orders; the matrix is made symmetric.
    value : {"observed", "expected", "ratio"}, default "observed"
        The column shown. "ratio" (observed / expected) uses a logarithmic diverging scale
        centred at 1 (red: more links than expected, blue: fewer); zero ratios are drawn in grey.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    title : str or None, default "auto"
        "auto": an English title saying what is shown; None: no title; any other
        text: that title (drawn as it is).
    countries : iterable of str, optional
        Countries to show, in this order; default: every country in ``table``, sorted.

    Returns
    -------
    matplotlib.axes.Axes
        With one image (``ax.images[0]``, an n × n array) and a colorbar.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from twinning_graph.plot import plot_country_matrix
    >>> table = pd.DataFrame({"country_a": ["DE", "DE", "FR"], "country_b": ["FR", "PL", "PL"],
    ...                       "observed": [40, 10, 2], "expected": [20.0, 10.0, 4.0],
    ...                       "ratio": [2.0, 1.0, 0.5]})
    >>> ax = plot_country_matrix(table, value="ratio")
    >>> ax.images[0].get_array().shape
    (3, 3)
    >>> plt.close(ax.figure)
    """
    check_choice(value, "value", MATRIX_VALUES)
    if not isinstance(table, pd.DataFrame):
        raise ValidationError(
            "plot_country_matrix draws a gap table (a DataFrame, e.g. "
            f"twinning_graph.gaps.country_pair_gaps(data)), got {type(table).__name__}"
        )
    missing = {"country_a", "country_b", value} - set(table.columns)
    if missing:
        raise ValidationError(
            f"the gap table needs columns country_a, country_b and {value!r}; missing "
            f"{sorted(missing)} (columns given: {list(table.columns)})"
        )
    pairs = table[["country_a", "country_b", value]].astype({value: "Float64"})
    swapped = pairs.rename(columns={"country_a": "country_b", "country_b": "country_a"})
    both = pd.concat([pairs, swapped], ignore_index=True).drop_duplicates(
        ["country_a", "country_b"], keep="first"
    )
    present = sorted(set(both["country_a"].astype(str)))
    if countries is None:
        order = present
    else:
        order = [c.upper() for c in as_list(countries)]
        unknown = sorted(set(order) - set(present))
        if unknown:
            raise UnknownCountryError(
                f"country code(s) {unknown} are not in the table; countries in it: "
                f"{', '.join(present)}"
            )
    matrix = (
        both.pivot(index="country_a", columns="country_b", values=value)
        .reindex(index=order, columns=order)
        .to_numpy(dtype=np.float64, na_value=np.nan)
    )
    ax = _new_chart_axes(ax, (7.5, 6.5))
    if value == "ratio":
        positive = matrix[np.isfinite(matrix) & (matrix > 0)]
        span = float(np.abs(np.log10(positive)).max()) if len(positive) else 1.0
        span = max(span, 0.1)
        norm: Normalize = LogNorm(vmin=10.0**-span, vmax=10.0**span)
        cmap = colormaps["RdBu_r"].with_extremes(bad="#e0e0e0")
        shown = np.ma.masked_invalid(np.where(matrix > 0, matrix, np.nan))
        label = "observed / expected links (log scale)"
    else:
        finite = matrix[np.isfinite(matrix)]
        norm = Normalize(vmin=0.0, vmax=float(finite.max()) if len(finite) else 1.0)
        cmap = colormaps["Blues"].with_extremes(bad="#f4f4f4")
        shown = np.ma.masked_invalid(matrix)
        label = f"{value} links"
    im = ax.imshow(shown, cmap=cmap, norm=norm, interpolation="nearest")
    n = len(order)
    names = [plot_text(c) for c in order]
    ax.set_xticks(np.arange(n), labels=names, rotation=90, fontsize=7 if n > 20 else 9)
    ax.set_yticks(np.arange(n), labels=names, fontsize=7 if n > 20 else 9)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label=label)
    chart_title(ax, title, f"Country pairs: {value}")
    return ax


def plot_reach(
    series_or_frame: pd.Series | pd.DataFrame,
    *,
    column: str | None = None,
    n: int = 20,
    ax: Axes | None = None,
    title: str | None = "auto",
) -> Axes:
    """Horizontal bar chart of the towns (or countries) with the highest values of a measure.

    Parameters
    ----------
    series_or_frame : pandas.Series or pandas.DataFrame
        A measure indexed by town_id or country code. A DataFrame needs ``column`` unless it has
        exactly one numeric column; a ``name`` column (and ``country``) is used for the labels.
    column : str, optional
        The column of a DataFrame to plot.
    n : int, default 20
        Number of bars (largest values, the largest at the top).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    title : str or None, default "auto"
        "auto": an English title saying what is shown; None: no title; any other
        text: that title (drawn as it is).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from twinning_graph.plot import plot_reach
    >>> reach = pd.Series({"DE-a": 12, "FR-b": 30, "PL-c": 7}, name="reach")
    >>> ax = plot_reach(reach, n=2)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['FR-b', 'DE-a']
    >>> plt.close(ax.figure)
    """
    n = check_int(n, "n", minimum=1)
    if isinstance(series_or_frame, pd.DataFrame):
        frame = series_or_frame
        if column is None:
            numeric = [
                c
                for c in frame.columns
                if pd.api.types.is_numeric_dtype(frame[c])
                and not pd.api.types.is_bool_dtype(frame[c])
            ]
            if len(numeric) != 1:
                raise ValidationError(
                    f"plot_reach needs column= for a DataFrame with {len(numeric)} numeric "
                    f"columns; choose one of {numeric}"
                )
            column = numeric[0]
        elif column not in frame.columns:
            raise ValidationError(
                f"column {column!r} is not in the frame; columns: {list(frame.columns)}"
            )
        values = pd.to_numeric(frame[column], errors="coerce")
        if "name" in frame.columns:
            labels = frame["name"].astype(str)
            if "country" in frame.columns:
                labels = labels + " (" + frame["country"].astype(str) + ")"
        else:
            labels = frame.index.to_series().astype(str)
        name = str(column)
    elif isinstance(series_or_frame, pd.Series):
        values = pd.to_numeric(series_or_frame, errors="coerce")
        labels = series_or_frame.index.to_series().astype(str)
        name = str(series_or_frame.name) if series_or_frame.name is not None else "value"
    else:
        raise ValidationError(
            f"plot_reach takes a Series or DataFrame, got {type(series_or_frame).__name__}"
        )
    best = values.dropna().sort_values(ascending=False, kind="stable").head(n)
    ax = _new_chart_axes(ax, (7.0, max(2.5, 0.3 * len(best) + 1.0)))
    ypos = np.arange(len(best))
    ax.barh(ypos, best.to_numpy(dtype=np.float64), color=TOWN_COLOR)
    # data-derived text is drawn as it is: no mathtext, shortened
    ax.set_yticks(ypos, labels=[plot_text(t) for t in labels.loc[best.index]], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(plot_text(name))
    chart_title(ax, title, f"Top {len(best)} by {plot_text(name)}")
    return ax


def plot_degree_distribution(
    data: Any, *, ax: Axes | None = None, title: str | None = "auto"
) -> Axes:
    """Log–log complementary cumulative distribution of the number of partners per town.

    Each point (k, p) says that a share p of the towns with at least one partner has k or more
    partners. Towns without partners cannot be shown on a log scale and are left out (their
    number is written on the axes).

    Parameters
    ----------
    data : TwinningData or networkx.Graph
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    title : str or None, default "auto"
        "auto": an English title saying what is shown; None: no title; any other
        text: that title (drawn as it is).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValidationError
        When there is no link at all.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import twinning_graph as tg
    >>> from twinning_graph.plot import plot_degree_distribution
    >>> ax = plot_degree_distribution(tg.load())
    >>> ax.get_xscale(), ax.get_yscale()
    ('log', 'log')
    >>> plt.close(ax.figure)
    """
    towns, edges = frames(data)
    degree = degree_of(towns, edges)
    linked = degree[degree > 0]
    if len(linked) == 0:
        raise ValidationError("no link in the data: the degree distribution is empty")
    k, counts = np.unique(linked, return_counts=True)
    ccdf = counts[::-1].cumsum()[::-1] / len(linked)
    ax = _new_chart_axes(ax)
    ax.loglog(k, ccdf, marker="o", markersize=3, linestyle="-", linewidth=1, color=TOWN_COLOR)
    ax.set_xlabel("number of partners k")
    ax.set_ylabel("share of towns with ≥ k partners")
    chart_title(ax, title, "Degree distribution (CCDF)")
    isolated = int((degree == 0).sum())
    note = f"{len(linked)} towns with partners"
    if isolated:
        note += f"; {isolated} without partners not shown"
    ax.text(0.02, 0.02, note, transform=ax.transAxes, fontsize=7, color="#444444")
    return ax


def plot_links_per_year(data: Any, *, ax: Axes | None = None, title: str | None = "auto") -> Axes:
    """Bar chart of the number of new links per year (from each pair's earliest ``since``).

    Parameters
    ----------
    data : TwinningData or networkx.Graph
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.
    title : str or None, default "auto"
        "auto": an English title saying what is shown; None: no title; any other
        text: that title (drawn as it is).

    Returns
    -------
    matplotlib.axes.Axes
        The number of links with an unknown year is written on the axes.

    Raises
    ------
    ValidationError
        When no link has a known ``since`` year (nothing to draw). We raise rather than draw an
        empty chart so that a report can catch it and leave the chart out.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> import twinning_graph as tg
    >>> from twinning_graph.plot import plot_links_per_year
    >>> towns = pd.DataFrame({"town_id": ["a", "b", "c"], "name": ["A", "B", "C"],
    ...                       "country": ["DE", "FR", "PL"], "lat": [50.0, 47.0, 52.0],
    ...                       "lon": [8.0, 2.0, 19.0]})
    >>> edges = pd.DataFrame({"town_a": ["a", "a"], "town_b": ["b", "c"], "since": [1963, 1991]})
    >>> ax = plot_links_per_year(tg.load(towns=towns, partnerships=edges))
    >>> len(ax.patches)
    29
    >>> plt.close(ax.figure)
    """
    _, edges = frames(data)
    if "since" not in edges.columns:
        raise ValidationError("no link has a known 'since' year (the edges have no 'since' column)")
    since = pd.to_numeric(edges["since"], errors="coerce")
    known = since.dropna().astype("int64")
    if known.empty:
        raise ValidationError(
            f"no link has a known 'since' year ({len(edges)} links, all without a year): "
            "nothing to plot"
        )
    counts = known.value_counts().sort_index()
    years = np.arange(int(counts.index.min()), int(counts.index.max()) + 1)
    per_year = counts.reindex(years, fill_value=0).to_numpy()
    ax = _new_chart_axes(ax, (8.0, 4.0))
    ax.bar(years, per_year, width=1.0, color=TOWN_COLOR, edgecolor="white", linewidth=0.3)
    ax.set_xlabel("year")
    ax.set_ylabel("new links")
    chart_title(ax, title, "Links per year (earliest known year of each town pair)")
    unknown = int(since.isna().sum())
    note = f"{len(known)} links with a known year"
    if unknown:
        note += f"; {unknown} without a year not shown"
    ax.text(0.01, 0.97, note, transform=ax.transAxes, va="top", fontsize=7, color="#444444")
    return ax
