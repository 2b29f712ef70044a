"""The ``twinning-graph`` command line: argument parsing and printing only.

Every command calls the library; analysis logic lives in the modules it imports.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from twinning_graph._errors import TwinningGraphError

Handler = Callable[[argparse.Namespace], int]
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


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (NaN as null)."""
    if isinstance(obj, pd.DataFrame):
        obj = obj.reset_index().to_dict("records") if obj.index.name else obj.to_dict("records")
    print(json.dumps(_clean(obj), ensure_ascii=False, indent=2, default=_json_default))


def emit_table(frame: pd.DataFrame, args: argparse.Namespace) -> None:
    """Print a DataFrame as JSON records, CSV (formula-safe), or an aligned text table."""
    if getattr(args, "json", False):
        emit_json(frame)
    elif getattr(args, "csv", False):
        from twinning_graph.export import neutralise_formulas

        f = frame.reset_index() if frame.index.name else frame
        neutralise_formulas(f).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        with pd.option_context(
            "display.max_rows", 200, "display.max_columns", 30, "display.width", 160
        ):
            print(frame.to_string())


def load_data(args: argparse.Namespace) -> Any:
    """The data selected by --towns/--partnerships (default: the bundled data)."""
    from twinning_graph.io import load

    return load(towns=args.towns, partnerships=args.partnerships)


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
    parser.add_argument("--towns", metavar="PATH", help="towns CSV (default: bundled data)")
    parser.add_argument(
        "--partnerships",
        metavar="PATH",
        action="append",
        help="partnerships CSV (edge list or project membership); repeatable",
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

    p = sub.add_parser("reach", help="transnational reach of a town, a country, or every town")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--town", metavar="ID", help="one town (town_id, e.g. DE-berlin)")
    who.add_argument("--country", metavar="XX", help="one country (ISO alpha-2, e.g. PL)")
    p.add_argument(
        "--k", type=int, default=2, metavar="K", help="hops for countries_within_K_hops (default 2)"
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
        "--top", type=int, default=None, metavar="N", help="show the N largest communities only"
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
        "--top", type=int, default=None, metavar="N", help="show the N most under-linked pairs only"
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

    p = sub.add_parser("map", help="draw the network map to a PNG or SVG file")
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.png or FILE.svg")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--country", metavar="XX", help="only the links of this country")
    who.add_argument("--town", metavar="ID", help="highlight this town and its partners")
    p.add_argument("--dpi", type=int, default=150, help="resolution of a PNG (default 150)")

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

    p = sub.add_parser("rank", help="rank candidate partner towns for one town")
    p.add_argument("--town", required=True, metavar="ID", help="town_id, e.g. FR-chartres")
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
        help="keep countries eligible for this call (default: latest CERV Networks "
        "of Towns call; 'none': no filter)",
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
    p.add_argument("--min-population", type=int, default=None, metavar="N")
    p.add_argument("--max-population", type=int, default=None, metavar="N")
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
        help="comma-separated seed town_ids",
    )
    p.add_argument(
        "--call",
        default=None,
        metavar="CALL",
        help="call topic id (default: latest CERV Networks of Towns call)",
    )
    p.add_argument(
        "--size",
        type=int,
        default=None,
        metavar="N",
        help="municipalities in the plan (default: the call's minimum)",
    )
    p.add_argument("--from", dest="source", choices=["network", "gazetteer"], default="network")
    p.add_argument(
        "--countries",
        nargs="+",
        metavar="CC",
        default=None,
        help="add only towns of these countries",
    )
    _add_output(p, csv=False)

    p = sub.add_parser(
        "eligibility",
        help="check towns against a call's rules, rule by rule (exit 0 eligible, 1 not eligible)",
    )
    p.add_argument(
        "--towns", dest="town_ids", required=True, metavar="ID,ID", help="comma-separated town_ids"
    )
    p.add_argument(
        "--call",
        default=None,
        metavar="CALL",
        help="call topic id (default: latest CERV Networks of Towns call)",
    )
    _add_output(p, csv=False)

    p = sub.add_parser(
        "evaluate",
        help="backtest of partner ranking: hits@10 and MRR of the "
        "ranker and baselines on hidden links",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the hidden links")
    p.add_argument("--fraction", type=float, default=0.1, help="share of links hidden (0.1)")
    p.add_argument("--k", type=int, default=10, help="cut-off of hits@k (10)")
    _add_output(p, csv=False)

    for register in _EXTRA_PARSERS:
        register(sub)
    return parser


#: Functions that add sub-parsers; modules of later features append to it.
_EXTRA_PARSERS: list[Callable[[Any], None]] = []


@command("summary")
def _summary(args: argparse.Namespace) -> int:
    from twinning_graph.stats import summary

    s = summary(load_data(args))
    if args.json:
        emit_json(s)
    else:
        width = max(map(len, s))
        for k, v in s.items():
            print(f"{k:<{width}}  {v}")
    return 0


@command("validate")
def _validate(args: argparse.Namespace) -> int:
    from twinning_graph.io import validate_files

    problems = validate_files(args.files, towns=args.towns)
    if problems:
        for p in problems:
            print(str(p))
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
        paths = export.to_csv(data, out, spreadsheet_safe=not args.no_spreadsheet_safe)
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
                print(f"{key:<{width}}  {'' if v is None else v}")
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
    emit_table(table.head(args.top) if args.top is not None else table, args)
    return 0


@command("gaps")
def _gaps(args: argparse.Namespace) -> int:
    from twinning_graph.gaps import country_pair_gaps

    table = country_pair_gaps(
        load_data(args), model=args.model, mass=args.mass, countries=args.countries
    )
    emit_table(table.head(args.top) if args.top is not None else table, args)
    return 0


@command("geocode")
def _geocode(args: argparse.Namespace) -> int:
    from twinning_graph._csv import read_raw
    from twinning_graph._errors import ValidationError
    from twinning_graph._validate import Problems
    from twinning_graph.export import neutralise_formulas
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
    country = args.country_column if args.country_column in frame.columns else None
    out = geocode(
        frame,
        name=args.name_column,
        country=country,
        online=online,
        cache=args.cache if online is not None else None,
        progress=online is not None,
    )
    neutralise_formulas(out).to_csv(args.out, index=False, lineterminator="\n")
    counts = out["match_kind"].value_counts()
    print(", ".join(f"{k}: {v}" for k, v in counts.items()) + f" -> {args.out}", file=sys.stderr)
    if args.towns_out:
        towns = to_towns(out)
        neutralise_formulas(towns).to_csv(args.towns_out, index=False, lineterminator="\n")
        print(f"{len(towns)} towns -> {args.towns_out}", file=sys.stderr)
    return 0


def _stderr_line(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@command("map")
def _map(args: argparse.Namespace) -> int:
    from twinning_graph.report import write_map

    data = load_data(args)
    _stderr_line("drawing the map")
    out = write_map(data, args.out, country=args.country, town=args.town, dpi=args.dpi)
    print(out)
    return 0


@command("report")
def _report(args: argparse.Namespace) -> int:
    from twinning_graph.report import build_report

    _stderr_line("loading data")
    data = load_data(args)
    if args.town:
        data.check_towns([args.town])
    scope = args.town or args.country or "europe"
    out = build_report(
        data,
        scope=scope,
        path=args.out,
        seed=args.seed,
        rows=args.rows,
        broker_sample=args.broker_sample or None,
        progress=_stderr_line,
    )
    print(out)
    return 0


def _ids(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


@command("rank")
def _rank(args: argparse.Namespace) -> int:
    from twinning_graph.recommend import rank_partners

    call = None if str(args.call).lower() == "none" else args.call
    table = rank_partners(
        load_data(args),
        args.town,
        n=args.n,
        source=args.source,
        call=call,
        countries=args.countries,
        min_distance_km=args.min_distance,
        max_distance_km=args.max_distance,
        min_population=args.min_population,
        max_population=args.max_population,
    )
    if args.json or args.csv:
        emit_table(table, args)
    else:
        show = table[
            ["name", "country", "distance_km", "population", "partners", "score", "reason"]
        ].round({"distance_km": 0, "score": 3})
        emit_table(show, args)
    return 0


@command("plan")
def _plan(args: argparse.Namespace) -> int:
    from twinning_graph.plan import plan_network

    plan = plan_network(
        load_data(args),
        _ids(args.town_ids),
        call=args.call,
        size=args.size,
        source=args.source,
        countries=args.countries,
    )
    if args.json:
        emit_json(plan.to_dict())
    else:
        print(repr(plan))
    return 0 if plan.eligible else 1


@command("eligibility")
def _eligibility(args: argparse.Namespace) -> int:
    from twinning_graph.calls import check_eligibility

    result = check_eligibility(load_data(args), _ids(args.town_ids), call=args.call)
    if args.json:
        emit_json(result.to_dict())
    else:
        print(repr(result))
    return 0 if result.eligible else 1


@command("evaluate")
def _evaluate(args: argparse.Namespace) -> int:
    from twinning_graph.evaluate import backtest

    result = backtest(load_data(args), seed=args.seed, fraction=args.fraction, k=args.k)
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
            return handler(args)
    except TwinningGraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into head
        return 0


def _show_warning(
    message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
) -> None:
    print(f"warning: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
