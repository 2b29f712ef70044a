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
import shlex
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from twinning_graph._cli_parser import build_parser, none_or
from twinning_graph._errors import DataWarning, TwinningGraphError, ValidationError
from twinning_graph._text import terminal_frame, terminal_text
from twinning_graph._write import write_table

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
                if isinstance(v, float) and not math.isnan(v):
                    v = round(v, 3)  # the text view; --json and --csv keep every digit
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
    from twinning_graph.gaps import clear_gaps, country_pair_gaps

    table = country_pair_gaps(
        load_data(args), model=args.model, mass=args.mass, countries=args.countries
    )
    if not args.all:
        table = clear_gaps(table, side=args.side)
        if table.empty:
            _stderr_line("no pair is off the model beyond chance; --all lists every pair")
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
        # the user's own town_id column is kept (projects files refer to it)
        towns = to_towns(out, id_column="town_id" if "town_id" in out.columns else None)
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
    # the projects are in memberships.csv: name every file needed to load all of it
    load_opts = [f"--towns {shlex.quote(str(paths['towns']))}"] + [
        f"--partnerships {shlex.quote(str(paths[k]))}"
        for k in ("partnerships", "memberships")
        if k in paths
    ]
    print("load it with: twinning-graph " + " ".join(load_opts) + " ...", file=sys.stderr)
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


def _band(args: argparse.Namespace) -> Any:
    """--population-band as a number, None ('none'), or as given (the library names what
    is allowed)."""
    band = none_or(args.population_band)
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
        call=none_or(args.call),
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
