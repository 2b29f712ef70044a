"""A self-contained HTML report of the twinning network, of one country or of one town.

:func:`build_report` writes one HTML file that opens offline: images are embedded as
``data:`` URIs, the stylesheet is inline, there is no script, no web font and no external
resource, and a Content-Security-Policy forbids loading any. Every value taken from the data
goes through jinja2's autoescaping. Each table of the report is also written as a CSV file
beside it (``<name>_<table>.csv``), with formula-like cells neutralised for spreadsheets.

Sections whose analysis module is missing or fails are left out, and listed at the end of
the report (``strict=True`` raises instead).
"""

from __future__ import annotations

import base64
import datetime as _dt
import difflib
import importlib
import inspect
import io
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import UnknownCountryError, UnknownTownError, ValidationError
from twinning_graph.io import TwinningData

__all__ = ["build_report", "resolve_scope", "write_map", "CREDITS_HTML", "REPORT_TABLES"]

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: Credits shown in every report (text, link); the links are plain anchors, never loaded.
CREDITS_HTML: tuple[tuple[str, str], ...] = (
    ("Wikidata contributors (CC0)", "https://www.wikidata.org/"),
    ("GeoNames (geonames.org), CC BY 4.0", "https://www.geonames.org/"),
    ("Made with Natural Earth", "https://www.naturalearthdata.com/"),
)

#: Names of the tables a report may write as CSV (``<name>_<table>.csv``), by scope.
REPORT_TABLES: dict[str, tuple[str, ...]] = {
    "europe": ("summary", "countries", "towns", "country_gaps", "domestic_only", "communities",
               "brokers"),
    "country": ("summary", "towns", "country_gaps", "domestic_only", "communities", "brokers"),
    "town": ("summary", "partners", "candidates", "plan", "plan_checks", "plan_alternatives",
             "country_gaps", "communities", "brokers"),
}

#: Rows shown in an HTML table (the CSV beside the report holds every row).
DEFAULT_ROWS = 15

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What a report is about: ``kind`` is "europe", "country" or "town"."""

    kind: str
    key: str | None = None
    label: str = "Europe"


def resolve_scope(data: TwinningData, scope: str) -> Scope:
    """Interpret a report scope: ``"europe"``, a country code in the data, or a town id.

    Parameters
    ----------
    data
        The network.
    scope
        ``"europe"`` (any case), an ISO 3166-1 alpha-2 code of a country with towns in the
        data (any case; ``EL`` and ``UK`` accepted), or a ``town_id``.

    Returns
    -------
    Scope
        With ``kind`` ("europe", "country" or "town"), ``key`` (the code or town id) and a
        display ``label``.

    Raises
    ------
    UnknownCountryError
        A two-letter scope that is no country of the data.
    UnknownTownError
        Any other scope that is not a town id of the data.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.report import resolve_scope
    >>> data = tg.load()
    >>> resolve_scope(data, "fr").kind, resolve_scope(data, "FR-paris").label
    ('country', 'Paris (FR)')
    """
    if not isinstance(scope, str) or not scope.strip():
        raise ValidationError(
            f"scope must be 'europe', a country code or a town id (a string), got {scope!r}")
    towns = data.towns
    s = scope.strip()
    if s.lower() == "europe":
        return Scope("europe", None, "Europe")
    if s in towns.index:
        row = towns.loc[s]
        return Scope("town", s, f"{row['name']} ({row['country']})")
    present = sorted(set(towns["country"].astype(str)))
    code = {"EL": "GR", "UK": "GB"}.get(s.upper(), s.upper())
    if code in present:
        from twinning_graph.countries import country_name

        try:
            name = country_name(code)
        except Exception:  # an unusual code of user data: show the code  # noqa: BLE001
            name = code
        return Scope("country", code, f"{name} ({code})")
    allowed = (f"allowed: 'europe', a country code in the data ({', '.join(present)}) or a "
               f"town id (see data.towns.index, {len(towns)} towns)")
    if len(s) == 2 and s.isalpha():
        raise UnknownCountryError(f"unknown scope {scope!r}: no towns of country {code!r} in "
                                  f"the data; {allowed}")
    close = difflib.get_close_matches(s, [str(t) for t in towns.index], n=3)
    hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
    raise UnknownTownError(f"unknown scope {scope!r}{hint}: not 'europe', a country code or a "
                           f"town id of the data; {allowed}")


# --------------------------------------------------------------------------- blocks


@dataclass
class Figure:
    """An embedded image: ``uri`` is a ``data:`` URI."""

    uri: str
    alt: str
    caption: str = ""
    wide: bool = True


@dataclass
class Table:
    """A table of formatted cells; ``numeric[i]`` right-aligns column ``i``."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    csv: str | None = None
    total: int = 0
    note: str = ""


@dataclass
class Facts:
    """Headline figures: (label, value, hint) triples shown as cards."""

    items: list[tuple[str, str, str]]


@dataclass
class Text:
    """A paragraph of plain text."""

    text: str


@dataclass
class Section:
    """One section of the report (a page break precedes it in print)."""

    id: str
    title: str
    intro: str = ""
    blocks: list[Any] = field(default_factory=list)


# --------------------------------------------------------------------------- formatting


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float | np.floating) and math.isnan(v)


def _fmt(v: Any, column: str = "") -> str:
    """One cell as text: thousands separators, shares as percent, missing as an en dash."""
    if _is_missing(v):
        return "–"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        f = float(v)
        if column.endswith("share") and 0 <= f <= 1:
            return f"{100 * f:.1f} %"
        if f.is_integer() and abs(f) < 1e15 and not column.endswith(("ratio", "score")):
            return f"{int(f):,}"
        if abs(f) >= 100:
            return f"{f:,.0f}"
        if abs(f) >= 1:
            return f"{f:.2f}"
        return f"{f:.3g}" if f else "0"
    return str(v)


def _format_column(s: pd.Series, column: str) -> list[str]:
    """Cells of one column as text, with the same number of decimals down the column."""
    values = s.astype(object).tolist()
    if not (_is_numeric(s) and pd.api.types.is_float_dtype(s)):
        # a table shows a few dozen rows: formatting cell by cell is simplest
        return [_fmt(v, column) for v in values]
    x = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    finite = x[np.isfinite(x)]
    if column.endswith("share") and len(finite) and finite.min() >= 0 and finite.max() <= 1:
        spec = "pct"
    elif column.startswith("p_value"):
        spec = ".2g"
    elif len(finite) and np.all(finite == np.round(finite)) and not column.endswith("score"):
        spec = ",.0f"
    else:
        top = float(np.abs(finite).max()) if len(finite) else 0.0
        spec = ",.0f" if top >= 1000 else (".2f" if top >= 1 else ".3f")
    out = []
    for v in x:
        if not np.isfinite(v):
            out.append("–")
        elif spec == "pct":
            out.append(f"{100 * v:.1f} %")
        else:
            out.append(format(v, spec))
    return out


def _label(column: str) -> str:
    return str(column).replace("_", " ")


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


# --------------------------------------------------------------------------- images


def _png_bytes(fig: Any, *, dpi: int = 130) -> bytes:
    """PNG of a figure, reduced to a 256-colour palette (a map shrinks about fivefold)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                metadata={"Software": None})
    raw = buf.getvalue()
    try:
        from PIL import Image  # a dependency of matplotlib

        img = Image.open(io.BytesIO(raw)).convert("RGB")
        small = img.quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                             dither=Image.Dither.NONE)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
    except Exception:  # noqa: BLE001 - the full-colour PNG is fine, only larger
        return raw
    return out.getvalue() if out.tell() < len(raw) else raw


def _png_uri(fig: Any) -> str:
    return "data:image/png;base64," + base64.b64encode(_png_bytes(fig)).decode("ascii")


def _svg_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", facecolor="white",
                metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _close(ax: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def _image(ax: Any, alt: str, caption: str = "", *, raster: bool = True,
           wide: bool = True) -> Figure:
    """Embed the figure of ``ax`` (PNG for maps, SVG for charts) and close it."""
    try:
        uri = _png_uri(ax.figure) if raster else _svg_uri(ax.figure)
    finally:
        _close(ax)
    return Figure(uri=uri, alt=alt, caption=caption, wide=wide)


# --------------------------------------------------------------------------- context


class _Builder:
    """Collects sections and tables; writes the CSV files as tables are added."""

    def __init__(self, data: TwinningData, scope: Scope, path: Path, *, rows: int, seed: int,
                 broker_sample: int | None, strict: bool, progress: Progress | None) -> None:
        self.data = data
        self.scope = scope
        self.path = path
        self.rows = rows
        self.seed = seed
        self.broker_sample = broker_sample
        self.strict = strict
        self._progress = progress
        self.sections: list[Section] = []
        self.omitted: list[tuple[str, str]] = []
        self.csv_files: dict[str, Path] = {}
        self._cache: dict[str, Any] = {}
        self._t0 = time.perf_counter()

    # progress / optional parts ---------------------------------------
    def step(self, message: str) -> None:
        logger.info("report: %s", message)
        if self._progress is not None:
            self._progress(message)

    def optional(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one part of the report; a missing module or a failure leaves it out."""
        try:
            return fn()
        except (ImportError, AttributeError) as exc:
            if self.strict:
                raise
            reason = f"not available ({type(exc).__name__}: {exc})"
        except Exception as exc:  # noqa: BLE001 - a failing part must not lose the whole report
            if self.strict:
                raise
            reason = f"failed ({type(exc).__name__}: {exc})"
        logger.warning("report: %s left out: %s", what, reason)
        self.omitted.append((what, reason))
        return None

    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    # tables ------------------------------------------------------------
    def table(self, frame: pd.DataFrame, name: str, title: str, *, rows: int | None = None,
              columns: Iterable[str] | None = None, index_label: str | None = None,
              note: str = "", csv_frame: pd.DataFrame | None = None) -> Table:
        """Format the first ``rows`` rows of ``frame`` for HTML; write ``csv_frame`` (default
        ``frame``, every row) to ``<name>_<table>.csv`` beside the report."""
        from twinning_graph.export import neutralise_formulas

        full = frame if csv_frame is None else csv_frame
        csv_path = self.path.with_name(f"{self.path.stem}_{name}.csv")
        out = full.reset_index() if _has_named_index(full) else full
        neutralise_formulas(out).to_csv(csv_path, index=False, lineterminator="\n",
                                        encoding="utf-8")
        self.csv_files[name] = csv_path
        shown = frame.reset_index() if _has_named_index(frame) else frame
        if columns is not None:
            keep = [c for c in columns if c in shown.columns]
            shown = shown[keep]
        n = len(shown)
        head = shown.head(self.rows if rows is None else rows)
        numeric = [_is_numeric(head[c]) for c in head.columns]
        labels = [_label(c) for c in head.columns]
        if index_label and labels:
            labels[0] = index_label
        cols = [_format_column(head[c], str(c)) for c in head.columns]
        cells = [list(r) for r in zip(*cols, strict=True)] if cols else []
        return Table(title=title, columns=labels, rows=cells, numeric=numeric,
                     csv=csv_path.name, total=n, note=note)


def _has_named_index(frame: pd.DataFrame) -> bool:
    return frame.index.name is not None


def _function(module: str, name: str) -> Callable[..., Any]:
    """``twinning_graph.<module>.<name>``; ImportError/AttributeError when not there (yet)."""
    mod = importlib.import_module(f"twinning_graph.{module}")
    return getattr(mod, name)


def _call(fn: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """Call ``fn`` with the keyword options its signature accepts."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return fn(*args, **options)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(*args, **options)
    return fn(*args, **{k: v for k, v in options.items() if k in params})


# --------------------------------------------------------------------------- shared analytics


def _town_reach(b: _Builder) -> pd.DataFrame:
    return b.cached("town_reach", lambda: _function("reach", "town_reach")(b.data))


def _communities(b: _Builder) -> pd.Series:
    def run() -> pd.Series:
        b.step("communities (Louvain)")
        return _call(_function("clusters", "communities"), b.data, seed=b.seed)

    return b.cached("communities", run)


def _brokers(b: _Builder) -> pd.DataFrame:
    def run() -> pd.DataFrame:
        n = b.broker_sample
        b.step(f"brokers (betweenness, {'exact' if n is None else f'{n} sampled sources'})")
        out = _call(_function("clusters", "brokers"), b.data, top=None, sample=n, seed=b.seed)
        out = out.copy()
        out.insert(0, "rank", np.arange(1, len(out) + 1))
        return out

    return b.cached("brokers", run)


def _gaps(b: _Builder) -> pd.DataFrame:
    def run() -> pd.DataFrame:
        b.step("country-pair gaps")
        return _function("gaps", "country_pair_gaps")(b.data)

    return b.cached("gaps", run)


def _country_of(b: _Builder) -> str | None:
    s = b.scope
    if s.kind == "country":
        return s.key
    if s.kind == "town":
        return str(b.data.towns.loc[s.key, "country"])
    return None


# --------------------------------------------------------------------------- sections


_SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    "towns": ("Towns with partners", ""),
    "links": ("Linked town pairs", ""),
    "countries": ("Countries", "with at least one linked town"),
    "transnational_share": ("Transnational links", "share of links between two countries"),
    "eu_towns": ("Towns in the EU", "towns in an EU Member State"),
    "mean_degree": ("Partners per town", "mean"),
    "max_degree": ("Most partners", "of a single town"),
    "components": ("Separate networks", "connected components"),
    "largest_component": ("Largest network", "towns in the largest component"),
    "clustering": ("Clustering", "mean local clustering coefficient"),
    "assortativity": ("Assortativity", "degree correlation across links"),
    "with_year": ("Links with a known year", "share"),
}


def _summary_facts(s: Mapping[str, Any]) -> Facts:
    shares = ("transnational_share", "with_year")
    return Facts([(label, _fmt(s[key], key + "_share" if key in shares else key), hint)
                  for key, (label, hint) in _SUMMARY_LABELS.items() if key in s])


def _summary_frame(s: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({"figure": list(s), "value": [None if _is_missing(v) else v
                                                       for v in s.values()]}).astype(object)


def _sub_data(data: TwinningData, country: str) -> TwinningData:
    """The links touching ``country``: its towns, their partners and the partnerships."""
    towns, p, m = data.towns, data.partnerships, data.memberships
    own = towns.index[towns["country"] == country]
    p = p[p["town_a"].isin(own) | p["town_b"].isin(own)]
    projects = m.loc[m["town_id"].isin(own), "partnership_id"].unique()
    m = m[m["partnership_id"].isin(projects)]
    keep = pd.Index(own).append(pd.Index(p["town_a"])).append(pd.Index(p["town_b"]))
    keep = keep.append(pd.Index(m["town_id"])).unique()
    return TwinningData(towns.loc[towns.index.isin(keep)], p.reset_index(drop=True),
                        m.reset_index(drop=True), sources=data.sources,
                        name=f"{data.name}, links of {country}")


def _section_overview(b: _Builder) -> Section:
    from twinning_graph.stats import summary

    b.step("headline figures")
    s = b.scope
    sec = Section("overview", "Headline figures")
    if s.kind == "europe":
        fig = summary(b.data)
        sec.intro = ("The twinning network as a whole: towns with at least one partner and the "
                     "town pairs linked by a partnership.")
        sec.blocks.append(_summary_facts(fig))
        b.table(_summary_frame(fig), "summary", "Summary")
    elif s.kind == "country":
        code = str(s.key)
        fig = summary(_sub_data(b.data, code))
        sec.intro = (f"The network of {s.label}: its towns, their partners at home and abroad, "
                     "and the links between them.")
        facts = _summary_facts(fig)
        row = b.optional("country reach", lambda: _function("reach", "country_reach")(b.data)
                         .loc[code])
        if row is not None:
            extra = [("Towns", _fmt(row.get("towns")), f"of {code} in the data"),
                     ("Twinned towns", _fmt(row.get("twinned_towns")), "with a partner"),
                     ("Countries reached", _fmt(row.get("countries_reached")),
                      "linked by at least one town pair"),
                     ("EU states reached", _fmt(row.get("eu_states_reached")), "other than itself"),
                     ("Domestic links", _fmt(row.get("domestic_links")), "both towns in " + code),
                     ("Transnational links", _fmt(row.get("transnational_links")),
                      "one town abroad")]
            facts = Facts(extra + [f for f in facts.items if f[0] in (
                "Partners per town", "Most partners", "Separate networks", "Clustering")])
            fig = {**fig, **{f"country_{k}": v for k, v in row.items()}}
        sec.blocks.append(facts)
        b.table(_summary_frame(fig), "summary", "Summary")
    else:
        tid = str(s.key)
        t = b.data.towns.loc[tid]
        reach = _town_reach(b).loc[tid]
        k2 = next((c for c in reach.index if c.startswith("countries_within_")), None)
        items = [("Country", str(t["country"]), ""),
                 ("Population", _fmt(t.get("population")), "GeoNames"),
                 ("Partners", _fmt(reach["partners"]), "partner towns"),
                 ("Foreign partners", _fmt(reach["foreign_partners"]), ""),
                 ("Countries reached", _fmt(reach["countries_reached"]), "among the partners"),
                 ("EU states reached", _fmt(reach["eu_states_reached"]), "other than its own")]
        if k2:
            items.append(("Countries within 2 links", _fmt(reach[k2]),
                          "via partners' partners"))
        items.append(("Mean distance to partners", _fmt(reach["mean_partner_km"]) + " km"
                      if not _is_missing(reach["mean_partner_km"]) else "–", "great-circle"))
        sec.intro = f"{s.label}: its partners and what it reaches through them."
        sec.blocks.append(Facts(items))
        fig = {"town_id": tid, "name": t["name"], "country": t["country"],
               **{k: v for k, v in reach.items() if k not in ("name", "country")}}
        b.table(_summary_frame(fig), "summary", "Summary")
        b.sections.append(sec)
        sec = _section_partners(b, tid)
    return sec


def _section_partners(b: _Builder, tid: str) -> Section:
    e, towns = b.data.edges, b.data.towns
    mine = e[(e["town_a"] == tid) | (e["town_b"] == tid)]
    other = np.where(mine["town_a"] == tid, mine["town_b"], mine["town_a"])
    frame = pd.DataFrame({
        "town_id": other,
        "name": towns["name"].reindex(other).to_numpy(),
        "country": towns["country"].reindex(other).to_numpy(),
        "kinds": mine["kinds"].to_numpy(),
        "since": mine["since"].to_numpy(),
        "distance_km": mine["distance_km"].round(0).to_numpy(),
    }).sort_values(["country", "name"], kind="stable").set_index("town_id")
    sec = Section("partners", "Current partners",
                  intro=f"{len(frame)} partner town{'s' if len(frame) != 1 else ''}.")
    sec.blocks.append(b.table(frame, "partners", "Partner towns", rows=200,
                              index_label="town id"))
    return sec


def _map_section(b: _Builder) -> Section:
    from twinning_graph.plot import plot_map

    b.step("maps")
    s = b.scope
    sec = Section("maps", "Maps")
    if s.kind == "europe":
        ax = plot_map(b.data)
        sec.intro = ("Each line is a partnership between two towns, drawn as a great-circle arc; "
                     "each dot is a town, sized by its number of partners and coloured by country.")
        sec.blocks.append(_image(ax, "Map of all towns and partnership links in Europe",
                                 "Towns and partnership links"))
    elif s.kind == "country":
        ax = plot_map(b.data, countries=s.key)
        sec.intro = (f"Links with at least one town in {s.label}, on the map of Europe; "
                     "partners outside the window are cut at its edge.")
        sec.blocks.append(_image(ax, f"Map of the partnership links of {s.label}",
                                 f"Partnership links of {s.label}"))
        ax = plot_map(b.data, countries=s.key, extent=s.key, color_by=None)
        sec.blocks.append(_image(ax, f"Map of the towns of {s.label}",
                                 f"Towns of {s.label}, sized by number of partners"))
    return sec


def _town_map(b: _Builder, candidates: pd.DataFrame | None) -> Figure:
    has = candidates is not None and len(candidates) > 0
    ax = _town_map_axes(b, candidates if has else None)
    cap = "Partners (red)" + (" and candidate partners (orange diamonds)" if has else "")
    return _image(ax, f"Map of {b.scope.label}, its partners and candidates", cap)


def _ids_of(frame: pd.DataFrame) -> list[str]:
    if "town_id" in frame.columns:
        return [str(t) for t in frame["town_id"]]
    return [str(t) for t in frame.index]


def _section_reach(b: _Builder) -> Section | None:
    from twinning_graph.plot import plot_reach

    b.step("reach")
    s = b.scope
    tr = _town_reach(b)
    cols = ["name", "country", "partners", "foreign_partners", "countries_reached",
            "eu_states_reached", "mean_partner_km"]
    if s.kind == "europe":
        sec = Section("reach", "Reach", intro=(
            "How far partnerships carry: the countries and EU Member States a country's or a "
            "town's partners are in."))
        cr = b.optional("country reach", lambda: _function("reach", "country_reach")(b.data))
        if cr is not None:
            cr = cr.sort_values(["links", "towns"], ascending=False, kind="stable")
            sec.blocks.append(b.table(cr, "countries", "Countries with most links",
                                      columns=["country", "name", "towns", "twinned_towns",
                                               "links", "transnational_share",
                                               "countries_reached", "eu_states_reached",
                                               "links_per_100k"], index_label="country"))
        ranked = tr.sort_values(["countries_reached", "partners"], ascending=False,
                                kind="stable")
        ax = plot_reach(ranked, column="countries_reached", top=20)
        sec.blocks.append(_image(ax, "Bar chart of the towns reaching most countries",
                                 "Towns whose partners are in the most countries",
                                 raster=False, wide=False))
        sec.blocks.append(b.table(ranked, "towns", "Towns reaching most countries",
                                  columns=["town_id", *cols], index_label="town id"))
        return sec
    if s.kind == "country":
        sec = Section("reach", "Reach of its towns", intro=(
            f"The towns of {s.label} whose partners are in the most countries."))
        mine = tr[tr["country"] == s.key].sort_values(["countries_reached", "partners"],
                                                      ascending=False, kind="stable")
        if (mine["partners"] > 0).any():
            ax = plot_reach(mine, column="countries_reached", top=20)
            sec.blocks.append(_image(ax, f"Bar chart of the towns of {s.label} reaching most "
                                     "countries", "Towns reaching most countries",
                                     raster=False, wide=False))
        sec.blocks.append(b.table(mine, "towns", "Towns", columns=["town_id", *cols],
                                  index_label="town id"))
        return sec
    return None


def _section_gaps(b: _Builder) -> Section | None:
    from twinning_graph.plot import plot_country_matrix

    s = b.scope
    gaps = b.optional("country-pair gaps", lambda: _gaps(b))
    sec = Section("gaps", "Gaps", intro=(
        "Country pairs with fewer links than expected from how many links each country has "
        "(observed / expected below 1), and towns whose partners are all in their own country."))
    country = _country_of(b)
    if gaps is not None:
        g = gaps
        if country is not None:
            g = g[(g["country_a"] == country) | (g["country_b"] == country)]
        if s.kind == "europe" and {"country_a", "country_b", "ratio"} <= set(gaps.columns):
            ax = b.optional("country matrix", lambda: _country_matrix(b, gaps,
                                                                      plot_country_matrix))
            if ax is not None:
                sec.blocks.append(_image(ax, "Heatmap of observed over expected links between "
                                         "the countries with most towns",
                                         "Observed / expected town links between countries "
                                         "(red: more than the gravity model expects, blue: "
                                         "fewer; grey: no link)", raster=False, wide=False))
        title = ("Most under-linked country pairs" if country is None
                 else f"Country pairs of {country}, most under-linked first")
        sec.blocks.append(b.table(g, "country_gaps", title, columns=_GAP_COLUMNS, note=(
            "Expected counts come from a gravity model of the EU-27 country pairs (numbers of "
            "towns and distance); ratio_low–ratio_high is the 95 % interval of the ratio. "
            "Greece, Luxembourg and Malta are under-collected in the bundled data, so their "
            "pairs show a gap of the data rather than of the network.")))
    dom = b.optional("domestic-only towns",
                     lambda: _function("gaps", "domestic_only_towns")(b.data))
    if dom is not None and s.kind != "town":
        d = dom
        if country is not None and "country" in d.columns:
            d = d[d["country"] == country]
        sort = [c for c in ("partners", "domestic_partners", "population") if c in d.columns]
        if sort:
            d = d.sort_values(sort[0], ascending=False, kind="stable")
        sec.blocks.append(b.table(d, "domestic_only", "Towns with domestic partners only",
                                  index_label="town id"))
    return sec if sec.blocks else None


_GAP_COLUMNS = ("country_a", "country_b", "observed", "expected", "ratio", "ratio_low",
                "ratio_high", "p_value_quasi", "distance_km")


def _country_matrix(b: _Builder, gaps: pd.DataFrame, plot: Callable[..., Any]) -> Any:
    present = set(gaps["country_a"]) | set(gaps["country_b"])
    top = b.data.towns["country"].value_counts()
    top = [c for c in top.index if c in present][:30]
    sub = gaps[gaps["country_a"].isin(top) & gaps["country_b"].isin(top)]
    return plot(sub, value="ratio", countries=sorted(top))


def _section_clusters(b: _Builder) -> Section | None:
    s = b.scope
    sec = Section("clusters", "Clusters and brokers", intro=(
        "Communities are groups of towns more densely linked among themselves than with the "
        "rest (Louvain modularity, fixed seed). Brokers lie on many shortest paths between "
        "other towns (betweenness centrality)."))
    comm = b.optional("communities", lambda: _communities(b))
    if comm is not None:
        table = b.optional("community table", lambda: _call(
            _function("clusters", "community_table"), b.data, comm, seed=b.seed))
        if table is not None:
            country = _country_of(b)
            title = "Largest communities"
            if s.kind == "country":
                own = comm[b.data.towns["country"].reindex(comm.index) == country]
                counts = own[own >= 0].value_counts()
                table = table.loc[table.index.intersection(counts.index)].assign(
                    **{f"towns_in_{country}": counts})
                table = table.sort_values(f"towns_in_{country}", ascending=False, kind="stable")
                title = f"Communities with towns of {country}"
            elif s.kind == "town":
                c = int(comm.get(s.key, -1))
                table = table.loc[[c]] if c in table.index else table.iloc[:0]
                title = "The town's community" if len(table) else "The town has no community"
            sec.blocks.append(b.table(table, "communities", title, index_label="community"))
    br = b.optional("brokers", lambda: _brokers(b))
    if br is not None:
        sample = br.attrs.get("sample")
        note = ("Exact betweenness." if sample is None else
                f"Betweenness estimated from {sample} sampled source towns; close ranks may "
                "swap with another seed.")
        if s.kind == "europe":
            sec.blocks.append(b.table(br, "brokers", "Leading brokers", index_label="town id",
                                      note=note))
        elif s.kind == "country":
            mine = br[br["country"] == s.key]
            sec.blocks.append(b.table(mine, "brokers", f"Leading brokers of {s.key}",
                                      index_label="town id", note=note + " Rank among all "
                                      "towns of the network."))
        else:
            tid = str(s.key)
            rank = int(br.loc[tid, "rank"]) if tid in br.index else None
            if comm is not None and int(comm.get(tid, -1)) >= 0:
                members = comm.index[comm == comm[tid]]
                mine = br[br.index.isin(members)]
                title = "Leading brokers of the town's community"
            else:
                mine = br[br.index == tid]
                title = "The town's broker rank"
            sec.blocks.append(b.table(mine, "brokers", title, index_label="town id",
                                      note=note + (f" {b.scope.label} ranks {rank:,} of "
                                                   f"{len(br):,}." if rank else "")))
    return sec if sec.blocks else None


def _section_network_charts(b: _Builder) -> Section | None:
    from twinning_graph import plot

    sec = Section("structure", "Network structure", intro=(
        "How partners are distributed over towns, and when the links were made."))
    ax = b.optional("degree distribution", lambda: plot.plot_degree_distribution(b.data))
    if ax is not None:
        sec.blocks.append(_image(ax, "Degree distribution chart", "Number of partners per "
                                 "town (complementary cumulative distribution, log–log)",
                                 raster=False, wide=False))
    if b.data.edges["since"].notna().any():
        ax = b.optional("links per year", lambda: plot.plot_links_per_year(b.data))
        if ax is not None:
            sec.blocks.append(_image(ax, "Chart of new links per year", "New links per year",
                                     raster=False, wide=False))
    return sec if sec.blocks else None


def _section_candidates(b: _Builder) -> tuple[Section | None, pd.DataFrame | None]:
    tid = str(b.scope.key)

    def run() -> pd.DataFrame:
        b.step("candidate partners")
        return _call(_function("recommend", "rank_partners"), b.data, tid, n=b.rows,
                     seed=b.seed)

    ranked = b.optional("candidate partners", run)
    if ranked is None:
        return None, None
    sec = Section("candidates", "Candidate partners", intro=(
        f"Towns ranked as new partners for {b.scope.label}. Each score column is one "
        "component of the ranking; the total combines them."))
    frame = ranked
    sec.blocks.append(b.table(frame, "candidates", "Ranked candidate partners",
                              columns=_CANDIDATE_COLUMNS, index_label="town id"))
    return sec, ranked


_CANDIDATE_COLUMNS = ("town_id", "name", "country", "distance_km", "population", "partners",
                      "common_partners", "plausibility", "strategy", "capacity", "score",
                      "reason")


def _section_plan(b: _Builder) -> Section | None:
    tid = str(b.scope.key)

    def run() -> Any:
        b.step("proposed network")
        return _function("plan", "plan_network")(b.data, [tid])

    plan = b.optional("proposed network", run)
    if plan is None:
        return None
    call = getattr(getattr(plan, "call", None), "call", None) or str(getattr(plan, "call", ""))
    members: pd.DataFrame = plan.members
    sec = Section("plan", "Proposed network", intro=(
        f"A network of towns around {b.scope.label} proposed for the call {call}: towns are "
        "added one at a time, each chosen for its fit with the towns already in, while the "
        "call's rules (number of municipalities, countries, Member States) are checked."))
    n_countries = members["country"].nunique() if "country" in members.columns else None
    sec.blocks.append(Facts([
        ("Call", call, ""),
        ("Meets the call's rules", _fmt(bool(plan.eligible)), ""),
        ("Municipalities", _fmt(len(members)), "seed town included"),
        ("Countries", _fmt(n_countries), ""),
    ]))
    if getattr(plan, "message", ""):
        msg = str(plan.message)
        sec.blocks.append(Text(msg[:1].upper() + msg[1:] + "."))
    added = members[members.get("role", pd.Series("added", index=members.index)) != "seed"]
    if len(added):
        ax = b.optional("plan map", lambda: _town_map_axes(b, added))
        if ax is not None:
            sec.blocks.append(_image(ax, f"Map of the network proposed around {b.scope.label}",
                                     "Proposed members (orange diamonds) and the town's "
                                     "current partners (red)"))
    sec.blocks.append(b.table(members, "plan", "Members", rows=100, index_label="town id"))
    checks = getattr(plan, "checks", None)
    if isinstance(checks, pd.DataFrame):
        sec.blocks.append(b.table(checks, "plan_checks", "The call's rules", rows=100))
    alt = getattr(plan, "alternatives", None)
    if isinstance(alt, pd.DataFrame) and len(alt):
        sec.blocks.append(b.table(alt, "plan_alternatives", "Alternatives for each added town",
                                  rows=30))
    return sec


# --------------------------------------------------------------------------- build


def _render(b: _Builder, *, title: str, subtitle: str, generated: str,
            elapsed: float) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("twinning_graph", "templates"),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True,
                                     default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["kind"] = lambda block: type(block).__name__.lower()
    tpl = env.get_template("report.html")
    return tpl.render(
        title=title,
        subtitle=subtitle,
        scope=b.scope,
        sections=b.sections,
        omitted=b.omitted,
        credits=CREDITS_HTML,
        csp=_CSP,
        generated=generated,
        data_name=b.data.name,
        elapsed=f"{elapsed:.1f}",
        csv_files=[p.name for p in b.csv_files.values()],
    )


def build_report(
    data: TwinningData,
    *,
    path: str | os.PathLike,
    scope: str = "europe",
    title: str | None = None,
    rows: int = DEFAULT_ROWS,
    seed: int = 0,
    broker_sample: int | None = 100,
    strict: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write a self-contained HTML report, and its tables as CSV files beside it.

    Parameters
    ----------
    data
        The network, from :func:`twinning_graph.load` (a town graph is accepted too).
    path
        The HTML file to write; its directory is created if missing. The tables go to
        ``<directory>/<stem>_<table>.csv`` (see :data:`REPORT_TABLES`).
    scope
        ``"europe"`` (the whole network), a country code of the data (``"FR"``), or a
        ``town_id`` (adds the town's partners, ranked candidate partners and a proposed
        network).
    title
        Report title; default ``"Town twinning: <scope>"``.
    rows
        Rows shown per HTML table (the CSV files hold every row).
    seed
        Seed of the community detection, the broker sample and the candidate ranking.
    broker_sample
        Source towns sampled to estimate betweenness for the brokers table (``None``:
        exact, slow on the bundled network). 100 sources take about 8 s on the bundled
        data and find the same leading brokers as larger samples, in a slightly
        different order.
    strict
        Raise when a section cannot be built, instead of leaving it out and listing it
        at the end of the report.
    progress
        Called with a short message as each step starts (the CLI prints them on stderr);
        steps are also logged at INFO level.

    Returns
    -------
    pathlib.Path
        The HTML file. It embeds every image as a ``data:`` URI, has no script, no external
        resource and a Content-Security-Policy that forbids loading any; every value from
        the data is HTML-escaped; CSV cells that a spreadsheet would run as formulas are
        neutralised.

    Raises
    ------
    UnknownCountryError, UnknownTownError
        ``scope`` is not "europe", a country code of the data or a town id; the message
        names what was given and what is allowed.

    Examples
    --------
    >>> import tempfile, twinning_graph as tg
    >>> from twinning_graph.report import build_report
    >>> data = tg.load().filter(countries=["LU", "BE"])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     html = build_report(data, scope="LU", path=d + "/lu.html").read_text("utf-8")
    >>> "<script" in html, "Made with Natural Earth" in html
    (False, True)
    """
    t0 = time.perf_counter()
    if not isinstance(data, TwinningData):
        import networkx as nx

        if isinstance(data, nx.Graph):
            from twinning_graph.graph import from_graph

            data = from_graph(data)
        else:
            raise ValidationError(
                f"build_report needs TwinningData (from tg.load()) or a town graph, got "
                f"{type(data).__name__}")
    if isinstance(rows, bool) or not isinstance(rows, int | np.integer) or rows < 1:
        raise ValidationError(f"rows must be a positive integer, got {rows!r}")
    if broker_sample is not None and (isinstance(broker_sample, bool) or not isinstance(
            broker_sample, int | np.integer) or broker_sample < 1):
        raise ValidationError(
            f"broker_sample must be a positive integer or None, got {broker_sample!r}")
    sc = resolve_scope(data, scope)
    out = Path(path)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValidationError(f"path must end in .html or .htm, got {str(out)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    b = _Builder(data, sc, out, rows=int(rows), seed=seed, broker_sample=broker_sample,
                 strict=strict, progress=progress)
    b.step(f"report on {sc.label}: {len(data):,} towns, {len(data.edges):,} links")

    b.sections.append(_section_overview(b))
    if sc.kind == "town":
        cand_sec, ranked = _section_candidates(b)
        b.step("maps")
        maps = Section("maps", "Map")
        fig = b.optional("town map", lambda: _town_map(b, ranked))
        if fig is not None:
            maps.blocks.append(fig)
            b.sections.append(maps)
        if cand_sec is not None:
            b.sections.append(cand_sec)
        plan = _section_plan(b)
        if plan is not None:
            b.sections.append(plan)
    else:
        maps = _map_section(b)
        if maps.blocks:
            b.sections.append(maps)
        reach = b.optional("reach", lambda: _section_reach(b))
        if reach is not None:
            b.sections.append(reach)
    for make in (_section_gaps, _section_clusters):
        sec = make(b)
        if sec is not None:
            b.sections.append(sec)
    if sc.kind == "europe":
        sec = _section_network_charts(b)
        if sec is not None:
            b.sections.append(sec)

    b.step("writing HTML")
    heading = title or f"Town twinning: {sc.label}"
    subtitle = {"europe": "The network of twin towns and networks of towns",
                "country": "Country report", "town": "Town report"}[sc.kind]
    html = _render(b, title=heading, subtitle=subtitle,
                   generated=_dt.date.today().isoformat(), elapsed=time.perf_counter() - t0)
    out.write_text(html, encoding="utf-8")
    b.step(f"wrote {out} ({len(html) / 1e6:.1f} MB) and {len(b.csv_files)} CSV files in "
           f"{time.perf_counter() - t0:.1f} s")
    return out


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
        Resolution of a PNG.

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
    if country is not None and town is not None:
        raise ValidationError(f"give either country or town, not both (got country={country!r}, "
                              f"town={town!r})")
    if town is not None:
        sc = resolve_scope(data, town)
        if sc.kind != "town":
            data.check_towns([town])
        b = _Builder(data, sc, out.with_suffix(".html"), rows=DEFAULT_ROWS, seed=0,
                     broker_sample=None, strict=True, progress=None)
        ax = _town_map_axes(b)
    elif country is not None:
        sc = resolve_scope(data, country)
        if sc.kind != "country":
            raise UnknownCountryError(f"unknown country {country!r}; countries in the data: "
                                      f"{', '.join(sorted(set(data.towns['country'])))}")
        ax = plot_map(data, countries=sc.key)
    else:
        ax = plot_map(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        ax.figure.savefig(out, format=fmt, dpi=dpi, bbox_inches="tight", facecolor="white")
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
    return plot_map((ego, mine), highlight=tid, candidates=cand,
                    extent=pts if len(pts) > 1 else None, color_by="country")
