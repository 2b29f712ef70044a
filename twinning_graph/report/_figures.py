"""Figures: matplotlib figures embedded as ``data:`` URIs, the town map and :func:`write_map`."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

import pandas as pd

from twinning_graph._errors import UnknownCountryError, ValidationError
from twinning_graph._validate import MAX_DPI, MIN_DPI, check_int, check_path_writable
from twinning_graph._write import atomic_write
from twinning_graph.network import TwinningData
from twinning_graph.report._blocks import Figure
from twinning_graph.report._context import DEFAULT_ROWS, _Builder, resolve_scope

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
    try:
        from PIL import Image  # a dependency of matplotlib

        img = Image.open(io.BytesIO(raw)).convert("RGB")
        small = img.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
    except Exception:  # noqa: BLE001 - the full-colour PNG is fine, only larger
        return raw
    return out.getvalue() if out.tell() < len(raw) else raw


def _png_uri(fig: Any) -> str:
    return "data:image/png;base64," + base64.b64encode(_png_bytes(fig)).decode("ascii")


def _svg_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", facecolor="white", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _close(ax: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def _image(
    ax: Any, alt: str, caption: str = "", *, raster: bool = True, wide: bool = True
) -> Figure:
    """Embed the figure of ``ax`` (PNG for maps, SVG for charts) and close it."""
    try:
        uri = _png_uri(ax.figure) if raster else _svg_uri(ax.figure)
    finally:
        _close(ax)
    return Figure(uri=uri, alt=alt, caption=caption, wide=wide)


# --------------------------------------------------------------------------- maps


def _town_map(b: _Builder, candidates: pd.DataFrame | None) -> Figure:
    has = candidates is not None and len(candidates) > 0
    ax = _town_map_axes(b, candidates if has else None)
    cap = "Partners (red)" + (" and candidate partners (orange diamonds)" if has else "")
    return _image(ax, f"Map of {b.scope.label}, its partners and candidates", cap)


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
        b = _Builder(
            data,
            sc,
            out.with_suffix(".html"),
            rows=DEFAULT_ROWS,
            seed=0,
            broker_sample=None,
            strict=True,
            progress=None,
        )
        ax = _town_map_axes(b)
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


def _town_map_axes(b: _Builder, candidates: pd.DataFrame | None = None) -> Any:
    """Map of the scope's town: its links highlighted, candidates as diamonds, zoomed to them."""
    from twinning_graph.plot import plot_map

    tid = str(b.scope.key)
    towns, e = b.data.towns, b.data.edges
    mine = e[(e["town_a"] == tid) | (e["town_b"] == tid)]
    ids = pd.Index([tid]).append(pd.Index(mine["town_a"])).append(pd.Index(mine["town_b"]))
    cand = _ids_of(candidates) if candidates is not None else None
    if cand:
        ids = ids.append(pd.Index(cand))
    ids = ids.unique()
    ids = ids[ids.isin(towns.index)]
    # the town's own links only: its partners and the candidates, nothing else
    ego = towns.loc[ids]
    pts = ego[["lat", "lon"]]
    # the basemap covers Europe: partners overseas are left outside the window
    pts = pts[pts["lon"].between(-25, 45) & pts["lat"].between(34, 72)]
    # the town's ego network: no partnership records needed, the pair table is given
    ego_net = TwinningData(ego, b.data.partnerships.iloc[:0], edges=mine.reset_index(drop=True))
    return plot_map(
        ego_net,
        highlight=tid,
        candidates=cand,
        extent=pts if len(pts) > 1 else None,
        color_by="country",
    )
