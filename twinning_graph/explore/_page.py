"""The self-contained HTML page of an interactive map, and the object that holds it.

The page is one file: the stylesheet, the renderer (``static/map-*.js``, written for this
package, no third-party code) and the data are inlined. A Content-Security-Policy allows
only that script and that stylesheet (by their SHA-256 hashes) and no network access at
all, unless web tiles were asked for, in which case images from the tile server's origin
only. Data values never enter the HTML as markup: the configuration is JSON with ``<``,
``>`` and ``&`` escaped, the network is base64 of gzip, and the script inserts every text
with ``textContent``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from twinning_graph._errors import ValidationError

#: Named tile sources for ``tiles=`` (each needs the network when the page is opened).
TILES = {
    "openstreetmap": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors",
    ),
}


#: The renderer's files, concatenated in this order inside one function (they share its
#: variables; see the head of map-core.js).
SCRIPT_PARTS = ("map-core.js", "map-layers.js", "map-overlay.js", "map-ui.js")


def _script() -> str:
    body = "\n".join(_static(name) for name in SCRIPT_PARTS)
    return "(function () {\n'use strict';\n" + body + "})();\n"


def _static(name: str) -> str:
    return (
        resources.files("twinning_graph")
        .joinpath("explore", "static", name)
        .read_text(encoding="utf-8")
    )


def json_for_html(value: Any) -> str:
    """JSON that is safe inside a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026`` (JSON string escapes), so
    no value can close the element or open a comment.

    Examples
    --------
    >>> from twinning_graph.explore._page import json_for_html
    >>> json_for_html({"name": "</script><b>"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _sha256(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


def resolve_tiles(tiles: str | None, attribution: str | None) -> tuple[str, str, str] | None:
    """(url template, attribution, origin for the CSP) of a ``tiles=`` argument, or None."""
    if tiles is None:
        return None
    if not isinstance(tiles, str):
        raise ValidationError(f"tiles must be None, a name or a URL template, got {tiles!r}")
    if tiles.lower() in TILES:
        url, default_attr = TILES[tiles.lower()]
        attribution = attribution or default_attr
    else:
        url = tiles
    parts = urlsplit(url)
    problems = []
    if parts.scheme != "https" or not parts.netloc:
        problems.append("it must be an https:// URL")
    if not all(k in url for k in ("{z}", "{x}", "{y}")):
        problems.append("it must contain {z}, {x} and {y}")
    if any(c in url for c in "\"'<> \\;"):
        problems.append("it must not contain quotes, spaces, <, >, \\ or ;")
    if problems:
        raise ValidationError(
            f"tiles={tiles!r} is not usable: {'; '.join(problems)}; give a name "
            f"({', '.join(TILES)}) or a template such as "
            "'https://tile.example.org/{z}/{x}/{y}.png' with attribution="
        )
    if not attribution:
        raise ValidationError(
            f"tiles={tiles!r} needs attribution= (the credit line its provider requires)"
        )
    host = parts.netloc.replace("{s}", "*")
    return url, attribution, f"{parts.scheme}://{host}"


def render_page(
    *, title: str, config: dict[str, Any], payload: bytes, tile_origin: str | None
) -> str:
    """The complete HTML document."""
    css = _static("map.css")
    js = _script()
    img_src = "data: blob:" + (f" {tile_origin}" if tile_origin else "")
    csp = (
        f"default-src 'none'; script-src {_sha256(js)}; style-src {_sha256(css)}; "
        f"img-src {img_src}; base-uri 'none'; form-action 'none'"
    )
    template = _static("page.html")
    page = (
        template.replace("__CSP__", html.escape(csp, quote=False).replace('"', "&quot;"))
        .replace("__TITLE__", html.escape(title))
        .replace("__CONFIG__", json_for_html(config))
        .replace("__DATA__", base64.b64encode(payload).decode("ascii"))
    )
    # the script and style go in last, so that no placeholder text inside them is replaced
    return page.replace("__CSS__", css, 1).replace("__JS__", js, 1)


@dataclass(frozen=True)
class ExploreMap:
    """An interactive map: shows itself in Jupyter, saves as one offline HTML file.

    Made by :func:`twinning_graph.explore`. ``html`` is the whole page; in a notebook the
    object displays inline (an ``<iframe>`` holding the page), like
    ``GeoDataFrame.explore``.

    Attributes
    ----------
    html : str
        The self-contained page.
    n_towns, n_links : int
        Towns and links in the page.
    height : int
        Height in pixels of the notebook frame.
    """

    html: str = field(repr=False)
    n_towns: int
    n_links: int
    height: int = 600

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (UTF-8) and return the path.

        Examples
        --------
        >>> import tempfile, twinning_graph as tg
        >>> m = tg.explore(tg.load(), countries="LU")
        >>> with tempfile.TemporaryDirectory() as d:
        ...     m.save(d + "/lu.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        True
        """
        out = Path(path)
        if out.suffix.lower() not in (".html", ".htm"):
            raise ValidationError(f"an interactive map is saved as .html, got {str(out)!r}")
        out.write_text(self.html, encoding="utf-8")
        return out

    def _repr_html_(self) -> str:
        # srcdoc: the page in its own document (its CSP applies; nothing is fetched)
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width:100%;height:{int(self.height)}px;border:1px solid #ddd" '
            'sandbox="allow-scripts" title="twinning-graph map"></iframe>'
        )

    def __repr__(self) -> str:
        size = len(self.html.encode("utf-8")) / 1e6
        return f"<ExploreMap: {self.n_towns:,} towns, {self.n_links:,} links, {size:.1f} MB>"
