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
from twinning_graph.network import TwinningData
from twinning_graph.plot._save import save_map
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
    import matplotlib

    from twinning_graph.plot._save import SAVE_RC

    buf = io.BytesIO()
    with matplotlib.rc_context(SAVE_RC):  # chart text stays text
        fig.savefig(
            buf, format="svg", bbox_inches="tight", facecolor="white", metadata={"Date": None}
        )
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


def town_map(
    data: TwinningData,
    town_id: str,
    candidates: pd.DataFrame | None = None,
    *,
    title: str | None = "auto",
    texts: dict[str, str] | None = None,
) -> Any:
    """Map of a town: its links highlighted, candidates as diamonds, the town central
    (far partners are named at the map's edge); ``texts``: the words inside the image
    (``plot_map(texts=...)``)."""
    from twinning_graph.plot import plot_map

    towns, e = data.towns, data.edges
    mine = e[(e["town_a"] == town_id) | (e["town_b"] == town_id)]
    ids = pd.Index([town_id]).append(pd.Index(mine["town_a"])).append(pd.Index(mine["town_b"]))
    ids = ids.unique()
    ids = ids[ids.isin(towns.index)]
    # the town's own links only: its partners and the candidates, nothing else
    ego = towns.loc[ids]
    p = data.partnerships
    own = p[(p["town_a"] == town_id) | (p["town_b"] == town_id)]
    ego_net = TwinningData(  # the data's sources stay, so the map credits them
        ego, own, edges=mine.reset_index(drop=True), sources=data.sources, name=data.name
    )
    cand = candidates if candidates is not None and len(candidates) else None
    return plot_map(ego_net, highlight=town_id, candidates=cand, title=title, texts=texts)


def consortium_map(
    data: TwinningData,
    seed: str,
    members: pd.Index,
    *,
    title: str | None = "auto",
    texts: dict[str, str] | None = None,
) -> Any:
    """Map of a proposed consortium: the seed town highlighted, the proposed members as
    named diamonds, and the links that already join members; nothing else."""
    from twinning_graph.plot import plot_map

    towns, e = data.towns, data.edges
    ids = pd.Index([seed]).append(pd.Index(members)).unique()
    inside = e[e["town_a"].isin(ids) & e["town_b"].isin(ids)]
    group = towns.loc[ids[ids.isin(towns.index)]]
    p = data.partnerships
    own = p[p["town_a"].isin(ids) & p["town_b"].isin(ids)]
    net = TwinningData(
        group, own, edges=inside.reset_index(drop=True), sources=data.sources, name=data.name
    )
    added = [str(t) for t in ids if t != seed]
    # no legend: the caption explains the two symbols; plot_map names every member
    return plot_map(net, highlight=seed, candidates=added, legend=False, title=title, texts=texts)


def write_map(
    data: TwinningData,
    path: str | os.PathLike,
    *,
    country: str | None = None,
    town: str | None = None,
    dpi: int = 150,
    title: str | None = "auto",
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
        Resolution of a PNG (and of the dense layers of an SVG), from 10 to 600 dots per
        inch.
    title
        "auto": a title saying what the map shows; None: none; any other text: that.

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
        ax = town_map(data, str(sc.key), title=title)
    elif country is not None:
        sc = resolve_scope(data, country)
        if sc.kind != "country":
            raise UnknownCountryError(
                f"unknown country {country!r}; countries in the data: "
                f"{', '.join(sorted(set(data.towns['country'])))}"
            )
        ax = plot_map(data, countries=sc.key, touching=True, title=title)
    else:
        ax = plot_map(data, title=title)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        save_map(ax, out, dpi=dpi)  # SVG text stays text
    finally:
        _close(ax)
    return out
