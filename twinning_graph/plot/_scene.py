"""What a map draws, worked out once: the towns, links, highlight, candidates and window.

:func:`build_scene` turns the data and the options of :func:`~twinning_graph.plot.plot_map`
into a :class:`MapScene`: projected coordinates, colours, marker sizes and the window, all
computed on whole columns. The layers (:mod:`twinning_graph.plot._layers`) only draw it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph import _style
from twinning_graph._errors import DataWarning, ValidationError
from twinning_graph._map_candidates import candidate_frame
from twinning_graph._text import plot_text
from twinning_graph.countries import country_name
from twinning_graph.network import TwinningData
from twinning_graph.plot._basemap import project, resolve_extent
from twinning_graph.plot._common import TOWN_COLOR, degree_of
from twinning_graph.plot._extent import (
    europe_window,
    fit_window,
    in_frame,
    near_mask,
    subject_window,
)
from twinning_graph.plot._texts import MAP_TEXTS, check_texts, fill

logger = logging.getLogger(__name__)

_COMMUNITY_PALETTE = (*_style.PALETTE, "#E08B3A")  # ten categories


@dataclass(frozen=True)
class MapScene:
    """Everything one map draws, in projected metres (see the module docstring).

    Attributes
    ----------
    data : TwinningData
        The full network (towns and coordinates of every link end).
    shown : TwinningData
        The network after the filters.
    links : pandas.DataFrame
        The pair-table rows drawn (``max_links`` applied).
    towns : pandas.DataFrame
        Towns drawn, indexed by town_id: name, country, lon, lat, x, y, degree, size,
        color (hex or RGBA), in_view (inside the window).
    window : tuple of float
        (xmin, xmax, ymin, ymax).
    highlight : pandas.Series or None
        The highlighted town: name, country, lon, lat, x, y.
    partners : pandas.DataFrame
        The highlighted town's partners (rows of ``towns`` plus color), nearest first.
    candidates : pandas.DataFrame or None
        :func:`~twinning_graph._map_candidates.candidate_frame` plus x, y, color, in_view
        and (with a highlighted town) exit_x, exit_y, edge, dx, dy: where the dashed line
        to an off-frame candidate leaves the window.
    countries : tuple of str
        The countries the map is about (``countries=``), or empty.
    touching : bool
        The map keeps every link with an end in ``countries`` (their links abroad too),
        not only the links inside them.
    entries : list of (str, str)
        Legend entries of the town colours: (label, colour).
    colorbar : numpy.ndarray or None
        Values of a continuous colour scale (``color_by="reach"``).
    texts : dict of str
        The words written in the image (legend, overview entries):
        :data:`twinning_graph.plot._texts.MAP_TEXTS` updated with the caller's ``texts``.
    """

    data: TwinningData
    shown: TwinningData
    links: pd.DataFrame
    towns: pd.DataFrame
    window: tuple[float, float, float, float]
    highlight: pd.Series | None
    partners: pd.DataFrame
    candidates: pd.DataFrame | None
    countries: tuple[str, ...]
    color_by: str | None
    size_by: str | None
    entries: list[tuple[str, Any]] = field(default_factory=list)
    colorbar: np.ndarray | None = None
    colorbar_label: str = ""
    ranked: bool = False
    texts: dict[str, str] = field(default_factory=lambda: dict(MAP_TEXTS))
    touching: bool = False

    @property
    def highlight_id(self) -> str | None:
        return None if self.highlight is None else str(self.highlight.name)


# ------------------------------------------------------------------------------ sizes, colours
def marker_sizes(value: np.ndarray, *, smallest: float, largest: float) -> np.ndarray:
    """Marker areas (points²) growing with the square root of ``value`` (NaN → smallest)."""
    v = np.nan_to_num(np.asarray(value, dtype=np.float64), nan=0.0).clip(min=0.0)
    vmax = v.max() if len(v) else 0.0
    if vmax <= 0:
        return np.full(len(v), smallest * 2)
    return smallest + (largest - smallest) * np.sqrt(v / vmax)


def _sizes(t: pd.DataFrame, size_by: str | None) -> np.ndarray:
    # markers shrink as the map gets crowded (about 40 pt² for the largest of 12,000 towns)
    crowd = max(len(t), 1)
    largest = float(np.clip(160.0 * (200.0 / crowd) ** (1 / 3), 30.0, 160.0))
    smallest = 2.0 if crowd > 2000 else 6.0
    if size_by == "partners":
        return marker_sizes(t["degree"].to_numpy(), smallest=smallest, largest=largest)
    if size_by == "population":
        if "population" not in t.columns:
            raise ValidationError("size_by='population' needs a 'population' column in towns")
        pop = pd.to_numeric(t["population"], errors="coerce").to_numpy(np.float64)
        return marker_sizes(pop, smallest=smallest, largest=largest)
    return np.full(len(t), max(smallest, largest / 8))


def country_entries(
    codes: pd.Series, texts: Mapping[str, str] | None = None
) -> list[tuple[str, Any]]:
    """Legend entries for the countries of the markers in view: one per colour drawn.

    Country colours repeat (only neighbours must differ), so each entry names the countries
    in view that have its colour, the most numerous first (three at most, then "+ n");
    colours that are not drawn get no entry. ``texts`` may replace country names (keys
    ``"country.XX"``, see :mod:`twinning_graph.plot._texts`).

    Examples
    --------
    >>> import pandas as pd
    >>> from twinning_graph.plot._scene import country_entries
    >>> [label for label, _ in country_entries(pd.Series(["ES", "ES", "IT", "FR"]))]
    ['Spain, Italy', 'France']
    >>> [label for label, _ in country_entries(pd.Series(["FR"]), {"country.FR": "Frankreich"})]
    ['Frankreich']
    """
    counts = codes.dropna().astype(str).value_counts()
    if counts.empty:
        return []
    order = sorted(counts.index, key=lambda c: (-counts[c], c))
    table = pd.DataFrame(
        {
            "code": order,
            "n": [int(counts[c]) for c in order],
            "name": [
                (texts or {}).get(f"country.{c}", english)
                for c, english in zip(
                    order, country_name(pd.Series(order, dtype=object)), strict=True
                )
            ],
            "color": _style.country_colors(order),
        }
    )
    entries: list[tuple[str, Any]] = []
    by_color = table.groupby("color", sort=False)
    ranked = by_color["n"].sum().sort_values(ascending=False, kind="stable")
    for color in ranked.index:
        names = [plot_text(n) for n in by_color.get_group(color)["name"]]
        label = ", ".join(names[:3]) + (f" + {len(names) - 3}" if len(names) > 3 else "")
        entries.append((label, color))
    return entries


def _category_colors(labels: pd.Series, in_view: np.ndarray) -> tuple[np.ndarray, list]:
    """Colours of a categorical Series: the 10 largest categories in view coloured, others grey."""
    text = labels.astype("string")
    counts = text[in_view].dropna().value_counts()
    top = sorted(counts.index, key=lambda c: (-counts[c], c))[: len(_COMMUNITY_PALETTE)]
    palette = np.array([*_COMMUNITY_PALETTE[: len(top)], _style.OTHER_COLOR], dtype=object)
    position = pd.Index(top).get_indexer(text.fillna("").to_numpy())
    colors = palette[np.where(position >= 0, position, len(top))]
    entries: list[tuple[str, Any]] = [
        (f"{plot_text(c)} ({counts[c]:,})", _COMMUNITY_PALETTE[i]) for i, c in enumerate(top)
    ]
    rest = len(set(text.dropna()) - set(top))
    if rest or text.isna().any():
        entries.append(
            (f"{rest} other communities" if rest else "no community", _style.OTHER_COLOR)
        )
    return colors, entries


# ------------------------------------------------------------------------------ the window
def _window(
    extent: Any,
    towns: pd.DataFrame,
    every_town: pd.DataFrame,
    highlight: pd.Series | None,
    partners: pd.DataFrame,
    candidates: pd.DataFrame | None,
    selected: pd.Index,
) -> tuple[float, float, float, float]:
    if isinstance(extent, str) and extent.lower() == "auto":
        return _auto_window(towns, highlight, partners, candidates, selected)
    if isinstance(extent, str) and extent.lower() in ("data", "towns"):
        return resolve_extent(towns[["lat", "lon"]])
    if (
        not isinstance(extent, str)
        and isinstance(extent, Sequence | pd.Index | np.ndarray)
        and len(extent) > 0
        and all(isinstance(v, str) for v in extent)
    ):
        return resolve_extent(every_town.loc[list(extent), ["lat", "lon"]])
    return resolve_extent(extent)


def _auto_window(
    towns: pd.DataFrame,
    highlight: pd.Series | None,
    partners: pd.DataFrame,
    candidates: pd.DataFrame | None,
    selected: pd.Index,
) -> tuple[float, float, float, float]:
    """The subject in the middle: the highlighted town, or the selected countries."""
    if highlight is not None:
        xs = [partners["x"].to_numpy()]
        ys = [partners["y"].to_numpy()]
        if candidates is not None:
            xs.append(candidates["x"].to_numpy())
            ys.append(candidates["y"].to_numpy())
        x, y = np.concatenate(xs), np.concatenate(ys)
        ok = in_frame(x, y)
        x, y = x[ok], y[ok]
        cx, cy = float(highlight["x"]), float(highlight["y"])
        near = near_mask(np.hypot(x - cx, y - cy))
        return subject_window(cx, cy, x[near], y[near])
    x, y = towns["x"].to_numpy(), towns["y"].to_numpy()
    ok = in_frame(x, y)
    if not ok.any():
        return europe_window()
    if len(selected):
        own = towns.index.isin(selected) & ok
        if own.any():
            ox, oy = x[own], y[own]
            cx, cy = (ox.min() + ox.max()) / 2, (oy.min() + oy.max()) / 2
            d = np.hypot(x[ok] - cx, y[ok] - cy)
            near = near_mask(d, keep=own[ok])
            return _clamp_to_europe(subject_window(cx, cy, x[ok][near], y[ok][near]))
    window = fit_window(x[ok], y[ok])
    europe = europe_window()
    if (window[1] - window[0]) > 0.6 * (europe[1] - europe[0]) and (window[3] - window[2]) > 0.6 * (
        europe[3] - europe[2]
    ):
        return europe
    return window


def _clamp_to_europe(
    window: tuple[float, float, float, float],
) -> tuple[float, float, float, float]:
    """A window no larger than the Europe window (a country's links reach every corner)."""
    europe = europe_window()
    if (window[1] - window[0]) >= (europe[1] - europe[0]) or (window[3] - window[2]) >= (
        europe[3] - europe[2]
    ):
        return europe
    return window


# ------------------------------------------------------------------------------ the scene
def _with_exits(
    partners: pd.DataFrame, hl: Any, window: tuple[float, float, float, float]
) -> pd.DataFrame:
    """Where the link to each partner (or candidate) outside the window leaves it: exit_x,
    exit_y, edge, dx, dy (missing for those in view)."""
    from twinning_graph.plot._labels import edge_exit
    from twinning_graph.plot._layers import arc_segments

    out = partners.assign(exit_x=np.nan, exit_y=np.nan, edge=None, dx=np.nan, dy=np.nan)
    away = ~out["in_view"].to_numpy(bool)
    if not away.any():
        return out
    far = out[away]
    start = np.tile([float(hl["lon"]), float(hl["lat"])], (len(far), 1))
    arcs = arc_segments(start, far[["lon", "lat"]].to_numpy(np.float64))
    rows = [edge_exit(arc, window) for arc in arcs]  # one town's partners: a short loop
    found = [r if r is not None else (np.nan, np.nan, None, np.nan, np.nan) for r in rows]
    cols = ["exit_x", "exit_y", "edge", "dx", "dy"]
    out.loc[far.index, cols] = pd.DataFrame(found, columns=cols, index=far.index)
    return out


def _drawn_towns(
    towns: pd.DataFrame, kept: pd.DataFrame, shown: TwinningData, filtered: bool
) -> np.ndarray:
    """Which towns to draw: all, or (with filters) the ends of the kept links and the towns
    the filter kept."""
    if not filtered:
        return np.ones(len(towns), dtype=bool)
    pos = np.concatenate(
        [towns.index.get_indexer(kept["town_a"]), towns.index.get_indexer(kept["town_b"])]
    )
    drawn = np.zeros(len(towns), dtype=bool)
    drawn[pos[pos >= 0]] = True
    drawn |= towns.index.isin(shown.towns.index)
    return drawn


def build_scene(
    full: TwinningData,
    *,
    kinds: Any,
    year: Any,
    countries: Any,
    touching: bool,
    highlight: str | None,
    candidates: Any,
    extent: Any,
    color_by: str | None,
    size_by: str | None,
    communities: pd.Series | None,
    values: pd.Series | None,
    max_links: int | None,
    texts: Mapping[str, str] | None = None,
) -> MapScene:
    """Filter, project and colour what a map shows (see :class:`MapScene`)."""
    words = check_texts(texts)
    filtered = kinds is not None or year is not None or countries is not None
    shown = (
        full.filter(kinds=kinds, year=year, countries=countries, touching=touching)
        if filtered
        else full
    )
    towns, kept = full.towns, shown.edges
    if highlight is not None:
        highlight = full.resolve([highlight], what="highlight town_id")[0]
    if (
        not isinstance(extent, str)
        and isinstance(extent, Sequence | pd.Index | np.ndarray)
        and len(extent) > 0
        and all(isinstance(v, str) for v in extent)
    ):
        extent = full.resolve(list(extent), what="extent town_id")
    if color_by == "reach" and values is None:
        raise ValidationError(
            "color_by='reach' needs values= (a Series town_id -> number, e.g. from "
            "twinning_graph.reach)"
        )
    # an option that would be ignored is an error, not a silent no-op
    if communities is not None and color_by != "community":
        raise ValidationError(
            f"communities= colours the towns only with color_by='community' (got "
            f"color_by={color_by!r}); pass color_by='community'"
        )
    if values is not None and color_by != "reach":
        raise ValidationError(
            f"values= colours the towns only with color_by='reach' (got color_by={color_by!r}); "
            "pass color_by='reach'"
        )
    cand = candidate_frame(candidates, towns) if candidates is not None else None
    ranked = isinstance(candidates, pd.DataFrame) and "score" in candidates.columns

    located = (towns["lat"].notna() & towns["lon"].notna()).to_numpy()
    if not located.all():
        ok_ids = towns.index[located]
        ok = (kept["town_a"].isin(ok_ids) & kept["town_b"].isin(ok_ids)).to_numpy()
        if (~ok).any():
            warnings.warn(
                f"{int((~ok).sum())} link(s) not drawn: a town has no coordinates",
                DataWarning,
                stacklevel=3,
            )
            kept = kept.loc[ok]
    if max_links is not None and len(kept) > max_links:
        weight = kept["weight"].to_numpy() if "weight" in kept.columns else np.ones(len(kept))
        order = np.sort(np.argsort(-weight, kind="stable")[:max_links])
        logger.info("drawing %d of %d links (max_links)", max_links, len(kept))
        kept = kept.iloc[order]

    drawn = _drawn_towns(towns, kept, shown, filtered)
    if highlight is not None:
        drawn[towns.index.get_loc(highlight)] = True
    drawn &= located
    t = towns.loc[drawn].copy()
    t["x"], t["y"] = project(t["lon"].to_numpy(np.float64), t["lat"].to_numpy(np.float64))
    t["degree"] = degree_of(towns, kept)[drawn]

    hl: pd.Series | None = None
    partners = t.iloc[:0]
    if highlight is not None:
        hl = t.loc[highlight]
        mine = kept[(kept["town_a"] == highlight) | (kept["town_b"] == highlight)]
        ids = pd.Index(mine["town_a"]).append(pd.Index(mine["town_b"])).unique()
        ids = ids[(ids != highlight) & ids.isin(t.index)]
        partners = t.loc[ids]
        d = np.hypot(partners["x"] - float(hl["x"]), partners["y"] - float(hl["y"]))
        partners = partners.assign(distance_m=d.to_numpy()).sort_values("distance_m", kind="stable")
        partners["color"] = _style.country_colors(partners["country"])
    if cand is not None:
        cx, cy = project(cand["lon"].to_numpy(np.float64), cand["lat"].to_numpy(np.float64))
        cand = cand.assign(x=cx, y=cy, color=_style.country_colors(cand["country"]))

    selected = (
        shown.towns.index[shown.towns["country"].isin(full.check_countries(countries))]
        if countries is not None
        else pd.Index([])
    )
    window = _window(extent, t, towns, hl, partners, cand, selected)
    x, y = t["x"].to_numpy(), t["y"].to_numpy()
    in_view = (x >= window[0]) & (x <= window[1]) & (y >= window[2]) & (y <= window[3])
    t["in_view"] = in_view
    t["size"] = _sizes(t, size_by)
    if len(partners):
        partners["in_view"] = t.loc[partners.index, "in_view"].to_numpy()
        partners = _with_exits(partners, hl, window)
    if cand is not None:
        cand["in_view"] = (
            (cand["x"] >= window[0])
            & (cand["x"] <= window[1])
            & (cand["y"] >= window[2])
            & (cand["y"] <= window[3])
        ).to_numpy()
        if hl is not None:  # off-frame candidates are named where their dashed line leaves
            # a little inside the frame, so the diamond drawn there shows whole
            m = 0.012 * (window[1] - window[0])
            inset = (window[0] + m, window[1] - m, window[2] + m, window[3] - m)
            cand = _with_exits(cand, hl, inset)

    colorbar, colorbar_label = None, ""
    entries: list[tuple[str, Any]] = []
    if color_by == "country":
        t["color"] = _style.country_colors(t["country"])
        # the highlighted town is a star, not a country-coloured dot
        codes = t.loc[in_view & (t.index != highlight), "country"]
        if cand is not None:  # off-frame ones too: a diamond marks where their line leaves
            shows = cand["in_view"] | (cand["edge"].notna() if "edge" in cand else False)
            codes = pd.concat([codes, cand.loc[shows, "country"]])
        entries = country_entries(codes, words)
    elif color_by == "community":
        if communities is None:
            from twinning_graph.clusters import communities as find_communities

            communities = find_communities(full)
        labels = pd.Series(communities).reindex(t.index)
        t["color"], entries = _category_colors(labels, in_view)
    elif color_by == "reach":
        vals = pd.to_numeric(pd.Series(values).reindex(t.index), errors="coerce")
        colorbar = vals.to_numpy(np.float64)
        colorbar_label = plot_text(getattr(values, "name", None) or "reach")
        t["color"] = _style.OTHER_COLOR
    else:
        t["color"] = TOWN_COLOR
        entries = [(fill(words, "towns"), TOWN_COLOR)]
    return MapScene(
        data=full,
        shown=shown,
        links=kept,
        towns=t,
        window=window,
        highlight=hl,
        partners=partners,
        candidates=cand,
        countries=tuple(full.check_countries(countries)) if countries is not None else (),
        color_by=color_by,
        size_by=size_by,
        entries=entries,
        colorbar=colorbar,
        colorbar_label=colorbar_label,
        ranked=ranked,
        texts=words,
        touching=bool(touching),
    )
