"""Figures: matplotlib figures embedded as ``data:`` URIs, the town map and :func:`write_map`."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image  # a dependency of matplotlib

from twinning_graph._errors import UnknownCountryError, ValidationError
from twinning_graph._validate import MAX_DPI, MIN_DPI, check_int, check_path_writable
from twinning_graph._write import atomic_write
from twinning_graph.network import TwinningData
from twinning_graph.report._blocks import Figure
from twinning_graph.report._context import resolve_scope

# --------------------------------------------------------------------------- images


def _png_bytes(fig: Any, *, dpi: int = 130) -> bytes:
    """PNG of a figure, reduced to a 256-colour palette (a map shrinks about fivefold)."""
    buf = io.BytesIO()
    fig.savefig(
        buf,
        format="png",
        dpi=dpi,
        bbox_inches="tight",
        facecolor="white",
        metadata={"Software": None},
    )
    raw = buf.getvalue()
    img = Image.open(io.BytesIO(raw)).convert("RGB")
    small = img.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue() if out.tell() < len(raw) else raw


def label_chart(ax: Any, *, title: str, x: str = "", y: str = "", colorbar: str = "") -> Any:
    """Put a chart's title and axis labels in the report's language (the plot functions
    label charts in English with the column names)."""
    ax.set_title(title)
    if x:
        ax.set_xlabel(x)
    if y:
        ax.set_ylabel(y)
    if colorbar:
        for other in ax.figure.axes:
            if other is not ax:
                other.set_ylabel(colorbar)
    return ax


def _png_uri(fig: Any) -> str:
    return "data:image/png;base64," + base64.b64encode(_png_bytes(fig)).decode("ascii")


def _svg_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", facecolor="white", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _close(ax: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def image(
    ax: Any, alt: str, caption: str = "", *, raster: bool = True, wide: bool = True
) -> Figure:
    """Embed the figure of ``ax`` (PNG for maps, SVG for charts) and close it."""
    try:
        uri = _png_uri(ax.figure) if raster else _svg_uri(ax.figure)
    finally:
        _close(ax)
    return Figure(uri=uri, alt=alt, caption=caption, wide=wide)


# --------------------------------------------------------------------------- maps


def _window(towns: pd.DataFrame) -> pd.DataFrame | None:
    """The points a map zooms to: those on the basemap of Europe (partners overseas are
    left outside the window); None (all of Europe) when fewer than two."""
    pts = towns[["lat", "lon"]]
    pts = pts[pts["lon"].between(-25, 45) & pts["lat"].between(34, 72)]
    return pts if len(pts) > 1 else None


def town_map(data: TwinningData, town_id: str, candidates: pd.DataFrame | None = None) -> Any:
    """Map of a town: its links highlighted, candidates as diamonds, zoomed to them."""
    from twinning_graph.plot import plot_map

    towns, e = data.towns, data.edges
    mine = e[(e["town_a"] == town_id) | (e["town_b"] == town_id)]
    ids = pd.Index([town_id]).append(pd.Index(mine["town_a"])).append(pd.Index(mine["town_b"]))
    cand = _ids_of(candidates) if candidates is not None else None
    if cand:
        ids = ids.append(pd.Index(cand))
    ids = ids.unique()
    ids = ids[ids.isin(towns.index)]
    # the town's own links only: its partners and the candidates, nothing else
    ego = towns.loc[ids]
    ego_net = TwinningData(ego, data.partnerships.iloc[:0], edges=mine.reset_index(drop=True))
    return plot_map(
        ego_net, highlight=town_id, candidates=cand, extent=_window(ego), color_by="country"
    )


def consortium_map(data: TwinningData, seed: str, members: pd.Index) -> Any:
    """Map of a proposed consortium: the seed town highlighted, the proposed members as
    diamonds, and the links that already join members; nothing else."""
    from twinning_graph.plot import plot_map

    towns, e = data.towns, data.edges
    ids = pd.Index([seed]).append(pd.Index(members)).unique()
    inside = e[e["town_a"].isin(ids) & e["town_b"].isin(ids)]
    group = towns.loc[ids[ids.isin(towns.index)]]
    net = TwinningData(group, data.partnerships.iloc[:0], edges=inside.reset_index(drop=True))
    added = [str(t) for t in ids if t != seed]
    # no legend: the caption explains the two symbols, and a legend would hide members
    ax = plot_map(net, highlight=seed, candidates=added, extent=_window(group), legend=False)
    _label_points(ax, "candidates", towns.loc[added, "name"].astype(str).tolist())
    return ax


def _label_points(ax: Any, gid: str, labels: list[str]) -> None:
    """Write ``labels`` beside the points of the scatter ``gid`` (drawn in that order)."""
    from matplotlib import patheffects

    found = [c for c in ax.collections if c.get_gid() == gid]
    if not found:
        return
    offsets = found[0].get_offsets()
    if len(offsets) != len(labels):
        return
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    for (x, y), text in zip(offsets, labels, strict=True):
        ax.annotate(
            text,
            (x, y),
            xytext=(6, 5),
            textcoords="offset points",
            fontsize=9,
            zorder=7,
            path_effects=halo,
        )


def _ids_of(frame: pd.DataFrame) -> list[str]:
    if "town_id" in frame.columns:
        return [str(t) for t in frame["town_id"]]
    return [str(t) for t in frame.index]


def write_map(
    data: TwinningData,
    path: str | os.PathLike,
    *,
    country: str | None = None,
    town: str | None = None,
    dpi: int = 150,
) -> Path:
    """Draw the network map (Europe, one country's links, or one town) to a PNG or SVG file.

    Parameters
    ----------
    data
        The network.
    path
        Output file; the format follows its extension (``.png`` or ``.svg``).
    country
        Draw only the links touching this country (map of Europe).
    town
        Highlight this town and its partners, zoomed to them.
    dpi
        Resolution of a PNG, from 10 to 600 dots per inch.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, twinning_graph as tg
    >>> from twinning_graph.report import write_map
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_map(tg.load(), d + "/lu.png", country="LU").stat().st_size > 1000
    True
    """
    from twinning_graph.plot import plot_map

    out = Path(path)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise ValidationError(f"map file must end in .png or .svg, got {str(out)!r}")
    dpi = check_int(dpi, "dpi", minimum=MIN_DPI, maximum=MAX_DPI)
    check_path_writable(out)  # before drawing, not after it
    if country is not None and town is not None:
        raise ValidationError(
            f"give either country or town, not both (got country={country!r}, town={town!r})"
        )
    if town is not None:
        sc = resolve_scope(data, town)
        if sc.kind != "town":
            data.check_towns([town])
        ax = town_map(data, str(sc.key))
    elif country is not None:
        sc = resolve_scope(data, country)
        if sc.kind != "country":
            raise UnknownCountryError(
                f"unknown country {country!r}; countries in the data: "
                f"{', '.join(sorted(set(data.towns['country'])))}"
            )
        ax = plot_map(data, countries=sc.key, touching=True)
    else:
        ax = plot_map(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_write(out, binary=True) as fh:
            ax.figure.savefig(fh, format=fmt, dpi=dpi, bbox_inches="tight", facecolor="white")
    finally:
        _close(ax)
    return out
