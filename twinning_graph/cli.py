"""The ``twinning-graph`` command line: argument parsing and printing only.

Every command calls the library; analysis logic lives in the modules it imports.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from twinning_graph._errors import DataWarning, TwinningGraphError, ValidationError
from twinning_graph._text import terminal_frame, terminal_text
from twinning_graph._validate import MAX_DPI, MAX_PLAN_SIZE, MIN_DPI, check_int
from twinning_graph._write import TABLE_FORMATS, write_table

Handler = Callable[[argparse.Namespace], int]
_CALL_HELP = (
    "call: a topic id, 'latest' (default: the latest CERV Networks of Towns call) or "
    "'latest-confirmed' (the latest whose rules are confirmed); see the calls command"
)
_COMMANDS: dict[str, Handler] = {}


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if o is pd.NA:
        return None
    if isinstance(o, (set, frozenset, tuple)):
        return sorted(o)
    return str(o)


def _clean(o: Any) -> Any:
    """Replace NaN/NA by None so the JSON output is valid JSON."""
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if o is pd.NA or o is None:
        return None
    if isinstance(o, float) and math.isnan(o):
        return None
    if hasattr(o, "item") and not isinstance(o, (str, bytes)):
        try:
            return _clean(o.item())
        except (ValueError, AttributeError):
            return o
    return o


# characters json.dumps leaves raw with ensure_ascii=False that a terminal would act on
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (NaN as null; no raw terminal control characters)."""
    if isinstance(obj, pd.DataFrame):
        obj = obj.reset_index().to_dict("records") if obj.index.name else obj.to_dict("records")
    text = json.dumps(_clean(obj), ensure_ascii=False, indent=2, default=_json_default)
    print(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text))


def emit_table(frame: pd.DataFrame, args: argparse.Namespace) -> None:
    """Print a DataFrame as JSON records, CSV (formula-safe), or an aligned text table.

    The text table shows data-derived text through :func:`~twinning_graph._text.terminal_text`
    (no escape sequences reach the terminal) and shortens very long cells.
    """
    if getattr(args, "json", False):
        emit_json(frame)
    elif getattr(args, "csv", False):
        write_table(frame, sys.stdout, format="csv")
    else:
        with pd.option_context(
            "display.max_rows", 200, "display.max_columns", 30, "display.width", 160
        ):
            say(terminal_frame(frame).to_string())


def say(text: str) -> None:
    """Print data-derived text on stdout with control characters shown as escapes."""
    print(terminal_text(text, multiline=True))


def _int_option(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
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


def _add_format(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--format",
        choices=TABLE_FORMATS,
        default="csv",
        help=f"{what}: csv (UTF-8, comma), csv-eu (semicolon, decimal comma, UTF-8 with BOM: "
        "Excel in most of Europe) or xlsx (pip install twinning-graph[xlsx]); default csv",
    )


def load_data(args: argparse.Namespace) -> Any:
    """The data selected by --towns/--partnerships (default: the bundled data)."""
    from twinning_graph.network import load

    return load(towns=towns_source(args.towns), partnerships=partnerships_source(args))


def _bundled(path: str, name: str) -> Any:
    from twinning_graph.io import bundled_data_dir

    return bundled_data_dir() / name if path == "bundled" else path


def partnerships_source(args: argparse.Namespace) -> Any:
    """The --partnerships files, ``bundled`` naming the bundled partnerships."""
    if args.partnerships is None:
        return None
    return [_bundled(p, "partnerships.csv") for p in args.partnerships]


def towns_source(paths: list[str] | None) -> Any:
    """One towns table from the --towns files (``bundled`` names the bundled towns).

    Several files are read one by one (each error names its file) and put together; a
    town_id used in two files is an error naming both.
    """
    if not paths:
        return None
    if len(paths) == 1:
        return _bundled(paths[0], "towns.csv")
    from twinning_graph._errors import ValidationError
    from twinning_graph.io import read_towns

    frames = [read_towns(_bundled(p, "towns.csv")) for p in paths]
    seen: dict[str, str] = {}
    clashes = []
    for path, frame in zip(paths, frames, strict=True):  # a loop over files
        for tid in frame.index[frame.index.isin(list(seen))]:
            clashes.append(f"town_id {tid!r} is in {seen[tid]} and in {path}")
        seen.update(dict.fromkeys(frame.index, path))
    if clashes:
        raise ValidationError(
            f"{len(clashes)} town id{'s' if len(clashes) != 1 else ''} used in two --towns "
            "files (rename yours, or use `twinning-graph merge` to match them): "
            + "; ".join(clashes[:20])
            + (f"; ... {len(clashes) - 20} more" if len(clashes) > 20 else "")
        )
    return pd.concat(frames).reset_index()


def command(name: str) -> Callable[[Handler], Handler]:
    """Register a sub-command handler."""

    def deco(fn: Handler) -> Handler:
        _COMMANDS[name] = fn
        return fn

    return deco


def _add_output(p: argparse.ArgumentParser, *, csv: bool = True) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print JSON")
    if csv:
        g.add_argument("--csv", action="store_true", help="print CSV")


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
    _add_output(p, csv=False)

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
    _add_format(p, "table files written to a directory")

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
    _add_output(p)

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
        type=_int_option(1),
        default=None,
        metavar="N",
        help="show the N largest communities only (rows, as --n everywhere)",
    )
    _add_output(p)

    p = sub.add_parser("gaps", help="country pairs with fewer links than a gravity model expects")
    p.add_argument(
        "--mass",
        choices=["towns", "population"],
        default="towns",
        help="country mass: towns in the data or population",
    )
    p.add_argument("--model", choices=["gravity", "mass", "uniform"], default="gravity")
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
        type=_int_option(1),
        default=None,
        metavar="N",
        help="show the N most under-linked pairs only (rows, as --n everywhere)",
    )
    _add_output(p)

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
        help="also write the resolved rows as a towns table for --towns",
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
    _add_format(p, "the files written (--out, --towns-out)")

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
        help="accept id matches farther than --max-km or with unrelated names",
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
    who.add_argument("--country", metavar="XX", help="only the links of this country")
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
    _add_format(p, "the table files written beside the report")
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
        type=_count_or_none,
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
        "--from",
        dest="source",
        choices=["network", "gazetteer"],
        default="network",
        help="candidates: towns of the network (default) or also every gazetteer "
        "place with >= 1,000 inhabitants",
    )
    p.add_argument(
        "--call",
        default="latest",
        metavar="CALL",
        help="keep countries eligible for this call: a topic id, 'latest' (default: latest "
        "CERV Networks of Towns call), 'latest-confirmed' or 'none' (no call rules)",
    )
    p.add_argument(
        "--include-domestic", action="store_true", help="also list towns of the same country"
    )
    p.add_argument(
        "--countries",
        nargs="+",
        metavar="CC",
        default=None,
        help="only candidates of these countries",
    )
    p.add_argument("--min-distance", type=float, default=None, metavar="KM")
    p.add_argument("--max-distance", type=float, default=None, metavar="KM")
    p.add_argument(
        "--population-band",
        default="10",
        metavar="F",
        help="population within this factor of the town's (default 10; 'none': off)",
    )
    p.add_argument("--min-population", type=int, default=None, metavar="N")
    p.add_argument("--max-population", type=int, default=None, metavar="N")
    p.add_argument(
        "--per-country", type=int, default=None, metavar="N", help="at most N towns per country"
    )
    _add_output(p)

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
    p.add_argument("--call", default="latest", metavar="CALL", help=_CALL_HELP)
    p.add_argument(
        "--size",
        type=int,
        default=None,
        metavar="N",
        help=f"municipalities in the plan, at most {MAX_PLAN_SIZE} (default: the call's minimum)",
    )
    p.add_argument("--from", dest="source", choices=["network", "gazetteer"], default="network")
    p.add_argument(
        "--countries",
        nargs="+",
        metavar="CC",
        default=None,
        help="add only towns of these countries",
    )
    p.add_argument(
        "--include-domestic", action="store_true", help="also add towns of the seeds' countries"
    )
    p.add_argument(
        "--population-band",
        default="10",
        metavar="F",
        help="population within this factor of a seed's (default 10; 'none': off)",
    )
    p.add_argument("--min-population", type=int, default=None, metavar="N")
    p.add_argument("--max-population", type=int, default=None, metavar="N")
    _add_output(p, csv=False)

    p = sub.add_parser(
        "eligibility",
        help="check towns against a call's rules, rule by rule (exit 0 eligible, 1 not eligible)",
    )
    p.add_argument(
        "--towns", dest="town_ids", required=True, metavar="ID,ID", help="comma-separated town_ids"
    )
    p.add_argument("--call", default="latest", metavar="CALL", help=_CALL_HELP)
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
    _add_output(p, csv=False)

    p = sub.add_parser(
        "find",
        help="look a name up among the network's towns and the gazetteer's places "
        "(ids to give to --town)",
    )
    p.add_argument("name", help="a town's name in any language, e.g. 'Kraków' or 'Den Haag'")
    p.add_argument("--country", default=None, help="only places of this country (ISO code)")
    p.add_argument("--n", type=_int_option(1), default=10, metavar="N", help="rows to show (10)")
    _add_output(p)

    p = sub.add_parser("calls", help="list the calls with their rules, dates, status and sources")
    p.add_argument("--kind", choices=["networks-of-towns", "town-twinning"], default=None)
    _add_output(p, csv=False)

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
    _add_output(p, csv=False)

    return parser


@command("summary")
def _summary(args: argparse.Namespace) -> int:
    from twinning_graph.stats import summary

    s = summary(load_data(args))
    if args.json:
        emit_json(s.to_dict())
    else:
        width = max(map(len, s))
        for k, v in s.items():
            say(f"{k:<{width}}  {v}")
    return 0


@command("validate")
def _validate(args: argparse.Namespace) -> int:
    from twinning_graph.io import validate_files

    problems = validate_files(args.files, towns=towns_source(args.towns))
    if problems:
        for p in problems:
            say(str(p))
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found", file=sys.stderr)
        return 1
    print(f"OK: {len(args.files)} file{'s' if len(args.files) != 1 else ''} valid")
    return 0


@command("export")
def _export(args: argparse.Namespace) -> int:
    from twinning_graph import export

    data = load_data(args)
    out = args.out
    low = out.lower()
    if low.endswith(".graphml"):
        export.to_graphml(data, out)
    elif low.endswith(".gexf"):
        export.to_gexf(data, out)
    elif low.endswith((".geojson", ".json")):
        export.to_geojson(data, out)
    else:
        paths = export.to_csv(
            data, out, spreadsheet_safe=not args.no_spreadsheet_safe, format=args.format
        )
        for p in paths.values():
            print(p)
        return 0
    print(out)
    return 0


@command("reach")
def _reach(args: argparse.Namespace) -> int:
    from twinning_graph.reach import reach

    result = reach(load_data(args), town=args.town, country=args.country, k=args.k)
    if isinstance(result, dict):
        if args.json:
            emit_json(result)
        elif args.csv:
            emit_table(pd.DataFrame([result]), args)
        else:
            width = max(map(len, result))
            for key, v in result.items():
                say(f"{key:<{width}}  {'' if v is None else v}")
        return 0
    if args.json or args.csv:
        emit_table(result, args)
    else:
        top = result.sort_values(
            ["countries_reached", "partners"], ascending=False, kind="stable"
        ).head(50)
        emit_table(top.round(3), args)
        print(f"(top 50 of {len(result):,} towns by countries_reached; --csv or --json for all)")
    return 0


@command("clusters")
def _clusters(args: argparse.Namespace) -> int:
    from twinning_graph.clusters import communities, community_table

    data = load_data(args)
    comm = communities(data, seed=args.seed, resolution=args.resolution, method=args.method)
    table = community_table(data, comm)
    emit_table(table.head(args.n) if args.n is not None else table, args)
    return 0


@command("gaps")
def _gaps(args: argparse.Namespace) -> int:
    from twinning_graph.gaps import country_pair_gaps

    table = country_pair_gaps(
        load_data(args), model=args.model, mass=args.mass, countries=args.countries
    )
    emit_table(table.head(args.n) if args.n is not None else table, args)
    return 0


@command("geocode")
def _geocode(args: argparse.Namespace) -> int:
    from twinning_graph._csv import read_raw
    from twinning_graph._validate import Problems
    from twinning_graph.geocode import geocode, to_towns

    problems = Problems()
    frame, _ = read_raw(args.file, problems)
    problems.raise_if_any(args.file)
    assert frame is not None
    online = None
    if args.online == "nominatim":
        if not args.user_agent:
            raise ValidationError(
                "--online nominatim needs --user-agent NAME (Nominatim's usage "
                "policy asks every application to identify itself)"
            )
        from geopy.geocoders import Nominatim

        online = Nominatim(user_agent=args.user_agent)
    # the default column may be absent (names only); a column the user named must exist
    country = (
        None
        if args.country_column == "country" and "country" not in frame.columns
        else args.country_column
    )
    out = geocode(
        frame,
        name=args.name_column,
        country=country,
        online=online,
        cache=args.cache if online is not None else None,
        progress=online is not None,
    )
    write_table(out, args.out, format=args.format)
    counts = out["match_kind"].value_counts()
    print(", ".join(f"{k}: {v}" for k, v in counts.items()) + f" -> {args.out}", file=sys.stderr)
    if args.towns_out:
        towns = to_towns(out)
        write_table(towns, args.towns_out, format=args.format)
        print(f"{len(towns)} towns -> {args.towns_out}", file=sys.stderr)
    return 0


@command("merge")
def _merge(args: argparse.Namespace) -> int:
    from twinning_graph.export import to_csv
    from twinning_graph.merge import merge
    from twinning_graph.network import load

    base = load_data(args)
    other = load(towns=args.other_towns, partnerships=args.other_partnerships or [])
    merged = merge(base, other, on=args.on, max_km=args.max_km, accept=args.accept)
    paths = to_csv(merged, args.out, spreadsheet_safe=False)
    print(
        f"{len(merged.towns):,} towns, {len(merged.edges):,} links -> "
        + ", ".join(str(p) for p in paths.values()),
        file=sys.stderr,
    )
    return 0


@command("update")
def _update(args: argparse.Namespace) -> int:
    from twinning_graph.export import to_csv
    from twinning_graph.network import load
    from twinning_graph.wikidata import fetch_wikidata

    countries = None if args.countries is None else args.countries.split(",")
    data = fetch_wikidata(
        countries,
        online=args.online,
        user_agent=args.user_agent,
        cache=args.cache,
        base=load(),
        progress=args.online,
    )
    paths = to_csv(data, args.out, spreadsheet_safe=False)
    print(
        f"{len(data.towns):,} towns, {len(data.edges):,} links (Wikidata contributors, CC0) -> "
        + ", ".join(str(p) for p in paths.values()),
        file=sys.stderr,
    )
    return 0


def _stderr_line(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@command("map")
def _map(args: argparse.Namespace) -> int:
    data = load_data(args)
    _stderr_line("drawing the map")
    if str(args.out).lower().endswith((".html", ".htm")):
        from twinning_graph.explore import explore

        m = explore(data, highlight=args.town, show_countries=args.country)
        print(m.save(args.out))
        return 0
    from twinning_graph.report import write_map

    out = write_map(
        data, args.out, country=args.country, town=args.town, dpi=args.dpi, title=args.title
    )
    print(out)
    return 0


@command("report")
def _report(args: argparse.Namespace) -> int:
    from twinning_graph.report import build_report

    _stderr_line("loading data")
    data = load_data(args)
    if args.town:
        args.town = data.resolve([args.town])[0]  # an id, a former id or a town's name
    scope = args.town or args.country or "europe"
    out = build_report(
        data,
        scope=scope,
        path=args.out,
        seed=args.seed,
        rows=args.rows,
        broker_sample=args.broker_sample or None,
        progress=_stderr_line,
        format=args.format,
        call=None if args.call.strip().lower() == "none" else args.call,
        lang=args.lang,
        per_country=args.per_country,
    )
    print(out)
    return 0


def _ids(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _none(text: Any) -> Any:
    return None if str(text).strip().lower() in ("none", "off", "0") else text


def _count_or_none(text: str) -> int | None:
    """An argparse type: a count, or None for 'none' / 'off' / '0'."""
    value = _none(text)
    return None if value is None else int(value)


def _band(args: argparse.Namespace) -> Any:
    """--population-band as a number, None ('none'), or as given (the library names what
    is allowed)."""
    band = _none(args.population_band)
    if band is not None:
        try:
            band = float(band)
        except ValueError:
            band = args.population_band
    return band


@command("rank")
def _rank(args: argparse.Namespace) -> int:
    from twinning_graph.recommend import rank_partners

    band = _band(args)
    town: Any = args.town
    if str(town).isdigit():
        town = int(town)  # a GeoNames id
    table = rank_partners(
        load_data(args),
        town,
        n=args.n,
        source=args.source,
        call=_none(args.call),
        include_domestic=args.include_domestic,
        countries=args.countries,
        min_distance_km=args.min_distance,
        max_distance_km=args.max_distance,
        population_band=band,
        min_population=args.min_population,
        max_population=args.max_population,
        per_country=args.per_country,
    )
    if args.json or args.csv:
        emit_table(table, args)
    else:
        say(_eligibility_header(table))
        show = table[
            [
                "name",
                "country",
                "population",
                "distance_km",
                "score",
                "eligible",
                "eligible_country",
            ]
        ].round({"distance_km": 0, "score": 2})
        show = show.rename(columns={"eligible_country": "country_status"})
        emit_table(show, args)
        # the reasons in full below the table (a table cell would cut them)
        say("\nwhy:")
        for tid, row in table.iterrows():  # the n listed rows
            say(f"  {row['name']} ({tid}): {row['reason']}")
    return 0


def _eligibility_header(table: pd.DataFrame) -> str:
    """One line saying under which call the ``eligible`` column was computed, how sure."""
    if not len(table) or (table["eligible"] == "n/a").all():
        return "eligible: n/a (no call chosen: --call none)"
    call = str(table["eligible_reason"].iat[0]).split(":", 1)[0]
    rules = str(table["eligible_rule"].iat[0])
    shaky = sorted(set(table.loc[table["eligible_country"] != "confirmed", "country"]))
    line = f"eligible: under {call} (the call's rules: {rules})"
    if shaky:
        line += f"; country eligibility unconfirmed for {', '.join(shaky)}"
    return line + "; sources in --json/--csv (eligible_source)"


@command("plan")
def _plan(args: argparse.Namespace) -> int:
    from twinning_graph.plan import plan_network

    plan = plan_network(
        load_data(args),
        _ids(args.town_ids),
        call=args.call,
        size=args.size,
        source=args.source,
        include_domestic=args.include_domestic,
        countries=args.countries,
        population_band=_band(args),
        min_population=args.min_population,
        max_population=args.max_population,
    )
    if args.json:
        emit_json(plan.to_dict())
    else:
        say("\n".join(plan.lines()))
    return 0 if plan.eligible else 1


@command("eligibility")
def _eligibility(args: argparse.Namespace) -> int:
    from twinning_graph.calls import check_eligibility

    result = check_eligibility(
        load_data(args),
        _ids(args.town_ids),
        call=args.call,
        lead_type=args.lead_type,
        participants=args.participants,
        international_participants=args.international_participants,
        duration_months=args.duration,
    )
    if args.json:
        emit_json(result.to_dict())
    else:
        say(repr(result))
    return 0 if result.eligible else 1


@command("find")
def _find(args: argparse.Namespace) -> int:
    from twinning_graph.lookup import find_town

    found = find_town(args.name, data=load_data(args), country=args.country, limit=args.n)
    if args.json or args.csv:
        emit_table(found, args)
        return 0
    if found.empty:
        print(f"no town or place is called {args.name!r} or anything close")
        return 1
    cols = ["town_id", "name", "name_local", "country", "population", "in_network", "match"]
    emit_table(found[cols].set_index("town_id"), args)
    return 0


@command("calls")
def _calls(args: argparse.Namespace) -> int:
    from twinning_graph.calls import call_ids, get_call

    with warnings.catch_warnings():  # the listing itself shows what is unconfirmed
        warnings.simplefilter("ignore", DataWarning)
        calls = [get_call(c) for c in call_ids()]
    calls = [c for c in calls if args.kind is None or c.kind == args.kind]
    if args.json:
        emit_json([c.to_dict() for c in calls])
        return 0

    def plural(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"

    core = ("min_municipalities", "min_countries", "min_eu_states")

    for c in calls:
        when = c.value("deadline") or "not known"
        if c.deadline_passed():
            when = f"{when} (passed)"
        print(f"{c.call}  deadline {when}")
        print(
            f"    consortium: {plural(c.min_municipalities, 'municipality', 'municipalities')}, "
            f"{plural(c.min_countries, 'country', 'countries')}, "
            f"{plural(c.min_eu_states, 'EU Member State', 'EU Member States')} ({c.status})"
        )
        why = dict.fromkeys(r.note for r in c.unconfirmed_rules if r.name in core and r.note)
        for note in why:  # the core rules usually share one note
            print(f"      why {c.status}: {note}")
        for r in c.unconfirmed_rules:
            if r.name in core:
                continue  # on the consortium line
            print(f"    {r.status}: {r.name} = {r.value} ({r.note or 'no source for this call'})")
        if c.unconfirmed_countries:
            print(f"    countries unconfirmed: {', '.join(sorted(c.unconfirmed_countries))}")
    print("(every rule with its source: --json, tg.calls.call_rules() or docs/calls.md)")
    return 0


@command("evaluate")
def _evaluate(args: argparse.Namespace) -> int:
    from twinning_graph.evaluate import backtest

    result = backtest(
        load_data(args), seeds=args.seeds, fraction=args.fraction, ablations=args.ablations
    )
    if args.json:
        emit_json(result.to_dict())
    else:
        print(repr(result))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``twinning-graph``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.command:
        parser.print_help()
        return 2
    handler = _COMMANDS[args.command]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            code = handler(args)
            sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
            return code
    except TwinningGraphError as exc:
        print(f"error: {terminal_text(str(exc), multiline=True)}", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.filename is None:  # printing: stdout is full or closed
            _silence_stdout()
            if exc.errno == errno.EPIPE:  # e.g. piped into head
                return 0
            where = "standard output"
        else:
            where = os.fspath(exc.filename)
        reason = exc.strerror or str(exc)
        print(f"error: cannot write {terminal_text(where)}: {reason}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass


def _show_warning(
    message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
) -> None:
    print(f"warning: {terminal_text(str(message), multiline=True)}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
