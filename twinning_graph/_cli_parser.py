"""The ``twinning-graph`` command line's arguments: the parser and its option types.

:mod:`twinning_graph.cli` runs the commands; this module only declares them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from twinning_graph._errors import ValidationError
from twinning_graph._validate import MAX_DPI, MAX_PLAN_SIZE, MIN_DPI, check_int
from twinning_graph._write import TABLE_FORMATS

CALL_HELP = (
    "call: a topic id, 'latest' (default: the latest CERV Networks of Towns call) or "
    "'latest-confirmed' (the latest whose rules are confirmed); see the calls command"
)


def int_option(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for an integer in a range (checked by ``check_int``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        try:
            return check_int(value, "the value", minimum=minimum, maximum=maximum)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(
                str(exc).replace("the value must be", "must be")
            ) from None

    parse.__name__ = "integer"
    return parse


def add_format(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--format",
        choices=TABLE_FORMATS,
        default="csv",
        help=f"{what}: csv (UTF-8, comma), csv-eu (semicolon, decimal comma, UTF-8 with BOM: "
        "Excel in most of Europe) or xlsx (pip install twinning-graph[xlsx]); default csv",
    )


def add_output(p: argparse.ArgumentParser, *, csv: bool = True) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print JSON")
    if csv:
        g.add_argument("--csv", action="store_true", help="print CSV")


def none_or(text: Any) -> Any:
    return None if str(text).strip().lower() in ("none", "off", "0") else text


def count_or_none(text: str) -> int | None:
    """An argparse type: a count, or None for 'none' / 'off' / '0'."""
    value = none_or(text)
    return None if value is None else int(value)


def add_candidate_filters(p: argparse.ArgumentParser, whose: str) -> None:
    """The candidate options ``rank`` and ``plan`` share (one meaning in both, as in
    ``rank_partners`` and ``plan_network``); ``whose`` names the reference population."""
    p.add_argument(
        "--from",
        dest="source",
        choices=["network", "gazetteer"],
        default="network",
        help="candidates: towns of the network (default) or also every gazetteer "
        "place with >= 1,000 inhabitants",
    )
    p.add_argument(
        "--countries", nargs="+", metavar="CC", default=None, help="only towns of these countries"
    )
    p.add_argument(
        "--include-domestic",
        action="store_true",
        help="also towns of the same country (default: foreign towns only)",
    )
    p.add_argument(
        "--population-band",
        default="10",
        metavar="F",
        help=f"population within this factor of {whose} (default 10; 'none': off)",
    )
    p.add_argument("--min-population", type=int, default=None, metavar="N")
    p.add_argument("--max-population", type=int, default=None, metavar="N")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twinning-graph",
        description="The network of European town twinning: summary, validation, reach, "
        "gaps, partner ranking, maps and reports.",
    )
    parser.add_argument(
        "--towns",
        metavar="PATH",
        action="append",
        help="towns CSV (default: bundled data); repeatable, 'bundled' names the bundled "
        "towns: --towns bundled --towns mine.csv",
    )
    parser.add_argument(
        "--partnerships",
        metavar="PATH",
        action="append",
        help="partnerships CSV (edge list or project membership); repeatable, 'bundled' "
        "names the bundled partnerships",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("summary", help="headline figures of the network")
    add_output(p, csv=False)

    p = sub.add_parser("validate", help="check towns/partnership files; exit 1 listing problems")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = sub.add_parser("export", help="write the network as CSV, GraphML, GEXF or GeoJSON")
    p.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="file (.graphml, .gexf, .geojson) or a directory for CSV files",
    )
    p.add_argument(
        "--no-spreadsheet-safe",
        action="store_true",
        help="do not neutralise formula-like cells in CSV",
    )
    add_format(p, "table files written to a directory")

    p = sub.add_parser("reach", help="transnational reach of a town, a country, or every town")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--town", metavar="ID", help="one town (town_id, e.g. DE-berlin)")
    who.add_argument("--country", metavar="XX", help="one country (ISO alpha-2, e.g. PL)")
    p.add_argument(
        "--k",
        type=int,
        default=2,
        metavar="K",
        help="hops for countries_within_K_hops (default 2)",
    )
    add_output(p)

    p = sub.add_parser("clusters", help="communities of towns (Louvain/Leiden) and their countries")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--resolution", type=float, default=1.0, help="modularity resolution")
    p.add_argument(
        "--method",
        choices=["auto", "louvain", "leiden", "networkx"],
        default="auto",
        help="auto/louvain: built-in (default); networkx: networkx's Louvain; "
        "leiden needs: pip install twinning-graph[fast]",
    )
    p.add_argument(
        "--n",
        "--top",
        dest="n",
        type=int_option(1),
        default=None,
        metavar="N",
        help="show the N largest communities only (rows, as --n everywhere)",
    )
    add_output(p)

    p = sub.add_parser(
        "gaps",
        help="country pairs with fewer (under-linked) or more (over-linked) links than a "
        "gravity model expects, beyond chance",
        description="Country pairs whose number of town links is off a gravity model "
        "beyond chance: the 95% interval of observed/expected (quasi-Poisson, which allows "
        "for the over-dispersion of the counts) lies entirely below 1 (under-linked, listed "
        "first, clearest first by p_value_quasi) or above 1 (over-linked, listed next). "
        "--all lists every pair. The plain Poisson p_value is shown but too small for "
        "over-dispersed counts: do not judge a gap by it.",
    )
    p.add_argument(
        "--mass",
        choices=["towns", "population"],
        default="towns",
        help="country mass: towns in the data or population",
    )
    p.add_argument(
        "--model",
        choices=["gravity", "mass", "uniform"],
        default="gravity",
        help="expected links from: gravity = both masses and the distance (default); "
        "mass = the masses only; uniform = the same for every pair",
    )
    p.add_argument(
        "--side",
        choices=["under", "over", "both"],
        default="both",
        help="under-linked pairs, over-linked pairs or both (default both)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="every pair, ordered by p_value_quasi (most under-linked first, most "
        "over-linked last), not only those off the model beyond chance (ignores --side)",
    )
    p.add_argument(
        "--countries",
        nargs="+",
        metavar="CC",
        default=None,
        help="country codes whose pairs are modelled (default: EU-27)",
    )
    p.add_argument(
        "--n",
        "--top",
        dest="n",
        type=int_option(1),
        default=None,
        metavar="N",
        help="show the first N pairs only (rows, as --n everywhere)",
    )
    add_output(p)

    p = sub.add_parser(
        "geocode",
        help="find coordinates and GeoNames ids for towns given by name "
        "(offline; online only with --online)",
    )
    p.add_argument("file", metavar="FILE", help="CSV with a name column (and a country column)")
    p.add_argument("--out", required=True, metavar="FILE", help="geocoded CSV to write")
    p.add_argument(
        "--towns-out",
        metavar="FILE",
        help="also write the resolved rows as a towns table for --towns (a town_id column "
        "of FILE is kept; else ids are CC-name)",
    )
    p.add_argument("--name-column", default="name", metavar="COL")
    p.add_argument("--country-column", default="country", metavar="COL")
    p.add_argument(
        "--online",
        choices=["nominatim"],
        help="look up rows not found offline with this geopy geocoder (network!)",
    )
    p.add_argument(
        "--user-agent",
        metavar="UA",
        help="user agent for the online geocoder (required by Nominatim's usage policy)",
    )
    p.add_argument(
        "--cache",
        metavar="FILE",
        default="geocode-cache.json",
        help="JSON cache of online answers, so reruns make no new requests",
    )
    add_format(p, "the files written (--out, --towns-out)")

    p = sub.add_parser(
        "merge",
        help="merge your towns and partnerships into the data selected by --towns/"
        "--partnerships (default: bundled) and write the result as CSV files",
    )
    p.add_argument("--other-towns", required=True, metavar="PATH", help="your towns CSV")
    p.add_argument(
        "--other-partnerships",
        action="append",
        metavar="PATH",
        help="your partnerships CSV (edge list or project membership); repeatable",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the merged CSVs")
    p.add_argument(
        "--on",
        choices=["auto", "wikidata_id", "geonames_id", "name", "town_id"],
        default="auto",
        help="how towns are matched (default: Wikidata id, GeoNames id, then name + country "
        "+ distance)",
    )
    p.add_argument("--max-km", type=float, default=10.0, metavar="KM")
    p.add_argument(
        "--accept",
        action="store_true",
        help="accept id matches farther than --max-km or with unrelated names, and add "
        "towns named like a town of their country farther than --max-km as new towns",
    )

    p = sub.add_parser(
        "update",
        help="fetch today's twin-town links from Wikidata (network: needs --online) and write "
        "them as towns/partnerships CSVs",
    )
    p.add_argument(
        "--online",
        action="store_true",
        help="allow requests to the Wikidata Query Service (without it: replay --cache only)",
    )
    p.add_argument(
        "--user-agent",
        metavar="UA",
        help="contact for the Wikimedia User-Agent policy, e.g. 'me-project/1.0 (me@example.org)'",
    )
    p.add_argument(
        "--countries",
        metavar="CC,CC",
        default=None,
        help="comma-separated ISO codes (default: the 46 European countries)",
    )
    p.add_argument(
        "--cache",
        metavar="DIR",
        default="wikidata-cache",
        help="folder of saved answers, replayed on reruns (default: wikidata-cache)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for towns/partnerships CSVs")

    p = sub.add_parser(
        "map", help="draw the network map to a PNG or SVG file, or an interactive HTML map"
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="FILE.png or FILE.svg; FILE.html: an interactive map that works offline",
    )
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--country",
        metavar="XX",
        help="the links of this country's towns to towns of any country (its partners "
        "abroad too), not only the links inside it; HTML: the country ticked in the "
        "page's filter",
    )
    who.add_argument("--town", metavar="ID", help="highlight this town and its partners")
    p.add_argument(
        "--dpi",
        type=int,
        default=150,
        help=f"resolution of a PNG, {MIN_DPI}-{MAX_DPI} (default 150)",
    )
    p.add_argument(
        "--title",
        default="auto",
        help="title drawn on a PNG/SVG map (default: one saying what the map shows)",
    )

    p = sub.add_parser("report", help="write a self-contained HTML report (+ its tables as CSV)")
    p.add_argument("--out", required=True, metavar="FILE", help="report.html to write")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--country", metavar="XX", help="report on one country")
    who.add_argument("--town", metavar="ID", help="report on one town (with candidate partners)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--rows",
        type=int,
        default=15,
        metavar="N",
        help="rows per table in the HTML (CSV files hold all; default 15)",
    )
    p.add_argument(
        "--broker-sample",
        type=int,
        default=100,
        metavar="N",
        help="source towns sampled for betweenness (default 100; 0 = exact, slow)",
    )
    add_format(p, "the table files written beside the report")
    p.add_argument(
        "--call",
        default="latest",
        metavar="ID",
        help="call whose rules the report checks: a call id, 'latest' (default: latest "
        "Networks of Towns call) or 'none' (no call)",
    )
    p.add_argument(
        "--lang",
        default="en",
        choices=["en", "fr", "de"],
        help="language of the report (default en; the CSV files keep machine names)",
    )
    p.add_argument(
        "--per-country",
        type=count_or_none,
        default=3,
        metavar="N",
        help="at most N candidate partners per country (default 3; 'none' = no cap)",
    )

    p = sub.add_parser(
        "rank", help="the foreign towns a town is most likely to twin with next, explained"
    )
    p.add_argument(
        "--town",
        required=True,
        metavar="TOWN",
        help="town_id (FR-chartres), name (Kraków: several matches are listed), GeoNames id",
    )
    p.add_argument("--n", type=int, default=10, metavar="N", help="candidates shown (default 10)")
    p.add_argument(
        "--call",
        default="latest",
        metavar="CALL",
        help="keep countries eligible for this call: a topic id, 'latest' (default: latest "
        "CERV Networks of Towns call), 'latest-confirmed' or 'none' (no call rules)",
    )
    add_candidate_filters(p, "the town's")
    p.add_argument("--min-distance", type=float, default=None, metavar="KM")
    p.add_argument("--max-distance", type=float, default=None, metavar="KM")
    p.add_argument(
        "--per-country", type=int, default=None, metavar="N", help="at most N towns per country"
    )
    add_output(p)

    p = sub.add_parser(
        "plan",
        help="propose a network of towns that satisfies a call's rules "
        "(exit 1 when no plan satisfies them)",
    )
    p.add_argument(
        "--towns",
        dest="town_ids",
        required=True,
        metavar="ID,ID",
        help="comma-separated seed towns (town_ids or names)",
    )
    p.add_argument("--call", default="latest", metavar="CALL", help=CALL_HELP)
    p.add_argument(
        "--size",
        type=int,
        default=None,
        metavar="N",
        help=f"municipalities in the plan, at most {MAX_PLAN_SIZE} (default: the call's minimum)",
    )
    add_candidate_filters(p, "a seed's")
    add_output(p, csv=False)

    p = sub.add_parser(
        "eligibility",
        help="check towns against a call's rules, rule by rule (exit 0 eligible, 1 not eligible)",
    )
    p.add_argument(
        "--towns",
        dest="town_ids",
        required=True,
        metavar="ID,ID",
        help="comma-separated towns (town_ids or names)",
    )
    p.add_argument("--call", default="latest", metavar="CALL", help=CALL_HELP)
    from twinning_graph.calls import LEAD_TYPES

    p.add_argument("--lead-type", default=None, choices=LEAD_TYPES, help="lead applicant's type")
    p.add_argument(
        "--participants", type=int, default=None, metavar="N", help="planned direct participants"
    )
    p.add_argument(
        "--international-participants",
        type=int,
        default=None,
        metavar="N",
        help="planned invited international participants",
    )
    p.add_argument(
        "--duration", type=float, default=None, metavar="MONTHS", help="planned duration"
    )
    add_output(p, csv=False)

    p = sub.add_parser(
        "find",
        help="look a name up among the network's towns and the gazetteer's places "
        "(ids to give to --town)",
    )
    p.add_argument("name", help="a town's name in any language, e.g. 'Kraków' or 'Den Haag'")
    p.add_argument("--country", default=None, help="only places of this country (ISO code)")
    p.add_argument("--n", type=int_option(1), default=10, metavar="N", help="rows to show (10)")
    add_output(p)

    p = sub.add_parser("calls", help="list the calls with their rules, dates, status and sources")
    p.add_argument("--kind", choices=["networks-of-towns", "town-twinning"], default=None)
    add_output(p, csv=False)

    p = sub.add_parser(
        "evaluate",
        help="backtest of partner search: hits@10, hits@50 and MRR of the model and "
        "baselines on hidden transnational links",
    )
    p.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        metavar="SEED",
        help="one split of hidden links per seed (default 0 1 2)",
    )
    p.add_argument(
        "--fraction", type=float, default=0.1, help="share of transnational links hidden (0.1)"
    )
    p.add_argument(
        "--ablations", action="store_true", help="also refit the model without each term"
    )
    add_output(p, csv=False)

    return parser
