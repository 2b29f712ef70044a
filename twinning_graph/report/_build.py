"""Building a report: :func:`build_report` runs the sections and renders the template."""

from __future__ import annotations

import os
import time
from pathlib import Path

from twinning_graph._errors import ValidationError
from twinning_graph._validate import check_choice, check_int, check_path_writable
from twinning_graph._write import TABLE_FORMATS, write_text
from twinning_graph.graph import from_graph
from twinning_graph.network import TwinningData
from twinning_graph.report._analysis import (
    section_gaps,
    section_groups,
    section_reach,
    section_structure,
)
from twinning_graph.report._call import call_facts
from twinning_graph.report._context import DEFAULT_ROWS, Builder, Progress, resolve_scope
from twinning_graph.report._coverage import data_name, source_words
from twinning_graph.report._first_page import first_page
from twinning_graph.report._glossary import section_glossary
from twinning_graph.report._i18n import Lang, get_lang
from twinning_graph.report._sections import section_maps, section_overview
from twinning_graph.report._town import section_candidates, section_plan

#: Credits shown in every report (text, link); the links are plain anchors, never loaded.
CREDITS_HTML: tuple[tuple[str, str], ...] = (
    ("Wikidata contributors (CC0)", "https://www.wikidata.org/"),
    ("GeoNames (geonames.org), CC BY 4.0", "https://www.geonames.org/"),
    ("Made with Natural Earth", "https://www.naturalearthdata.com/"),
)

#: Names of the tables a report may write as CSV (``<name>_<table>.csv``), by scope.
REPORT_TABLES: dict[str, tuple[str, ...]] = {
    "europe": (
        "summary",
        "countries",
        "towns",
        "country_gaps",
        "domestic_only",
        "communities",
        "brokers",
    ),
    "country": ("summary", "towns", "country_gaps", "domestic_only", "communities", "brokers"),
    "town": (
        "summary",
        "partners",
        "candidates",
        "plan",
        "plan_checks",
        "plan_alternatives",
        "country_gaps",
        "communities",
        "brokers",
    ),
}

#: The catalogue keys of :data:`CREDITS_HTML`'s texts (a report shows them in its language).
CREDIT_KEYS: tuple[str, ...] = ("credit.wikidata", "credit.geonames", "credit.naturalearth")

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


# --------------------------------------------------------------------------- build


def _render(b: Builder, *, title: str, subtitle: str, generated: str, elapsed: float) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    lang: Lang = b.lang

    env = Environment(
        loader=PackageLoader("twinning_graph.report", "templates"),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True, default=True),
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
        credits=[(lang(key), url) for key, (_, url) in zip(CREDIT_KEYS, CREDITS_HTML, strict=True)],
        csp=_CSP,
        generated=generated,
        data_name=data_name(b.data, lang),
        source=source_words(b.data, lang),
        elapsed=lang.number(elapsed, 1),
        csv_files=[p.name for p in b.csv_files.values()],
        t=lang,
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
    format: str = "csv",
    call: str | None = "latest",
    lang: str = "en",
    per_country: int | None = 3,
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
        network for ``call``).
    title
        Report title; default ``"Town twinning: <scope>"`` in the report's language.
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
        Raise when a part of the report meets a documented data condition (no link with a
        year, too few countries for the gap model, no candidate left), instead of leaving
        it out and listing it at the end of the report. Any other error always raises.
    progress
        Called with a short message as each step starts (the CLI prints them on stderr);
        steps are also logged at INFO level.
    format
        Format of the table files beside the report: ``"csv"``, ``"csv-eu"`` (semicolon,
        decimal comma, UTF-8 with BOM) or ``"xlsx"`` (needs openpyxl). Numbers are
        rounded for reading (distances to 0.1 km, scores to 3 decimals).
    call
        The call the report applies to: a topic id (see :func:`twinning_graph.list_calls`),
        ``"latest"`` (default: the latest CERV Networks of Towns call) or None (no call:
        candidates are not filtered by eligibility and no network is proposed). Its rules
        are shown one by one, each with its status ("confirmed", "unconfirmed").
    lang
        Language of the report: ``"en"`` (default), ``"fr"`` or ``"de"``. The CSV files
        keep machine column names and values in every language.
    per_country
        At most this many candidate partners per country in a town report (default 3:
        a Networks of Towns application needs towns of several countries; None: no
        cap), as ``per_country`` of :func:`twinning_graph.rank_partners`.

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
    ...     html = build_report(data, scope="LU", path=d + "/lu.html", lang="fr").read_text("utf-8")
    >>> "<script" in html, "Made with Natural Earth" in html, '<html lang="fr">' in html
    (False, True, True)
    """
    t0 = time.perf_counter()
    if not isinstance(data, TwinningData):
        import networkx as nx

        if isinstance(data, nx.Graph):
            data = from_graph(data)
        else:
            raise ValidationError(
                f"build_report needs TwinningData (from tg.load()) or a town graph, got "
                f"{type(data).__name__}"
            )
    check_int(rows, "rows", minimum=1)
    if broker_sample is not None:
        check_int(
            broker_sample, "broker_sample", minimum=1, hint=" (or None for exact betweenness)"
        )
    check_choice(format, "format", TABLE_FORMATS)
    if per_country is not None:
        check_int(per_country, "per_country", minimum=1, hint=" (or None for no cap)")
    language = get_lang(lang)
    facts = call_facts(call)
    sc = resolve_scope(data, scope)
    out = check_path_writable(path)  # before the work, not after it
    if out.suffix.lower() not in (".html", ".htm"):
        raise ValidationError(f"path must end in .html or .htm, got {str(out)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    b = Builder(
        data,
        sc,
        out,
        rows=int(rows),
        seed=seed,
        broker_sample=broker_sample,
        strict=strict,
        progress=progress,
        table_format=format,
        lang=language,
        call=facts,
        per_country=None if per_country is None else int(per_country),
    )
    b.step(f"report on {sc.label}: {len(data):,} towns, {len(data.edges):,} links")

    b.sections.extend(section_overview(b))
    b.sections.append(section_maps(b))
    if sc.kind == "town":
        for make_town in (section_candidates, section_plan):
            part = make_town(b)
            if part is not None:
                b.sections.append(part)
    for make in (section_reach, section_gaps, section_groups):
        sec = make(b)
        if sec is not None:
            b.sections.append(sec)
    if sc.kind == "europe":
        sec = section_structure(b)
        if sec is not None:
            b.sections.append(sec)
    # the first page is written from the figures above (computed once, cached)
    b.sections.insert(0, first_page(b))
    b.sections.append(section_glossary(language))

    b.step("writing HTML")
    label = b.scope_label()
    if sc.kind == "town":
        label = b.town_name(sc.key)
    heading = title or language("title", scope=label)
    html = _render(
        b,
        title=heading,
        subtitle=language(f"subtitle.{sc.kind}"),
        generated=language.date(b.today),
        elapsed=time.perf_counter() - t0,
    )
    write_text(out, html)
    b.step(
        f"wrote {out} ({len(html) / 1e6:.1f} MB) and {len(b.csv_files)} CSV files in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return out
