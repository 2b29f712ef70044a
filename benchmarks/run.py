"""Europe-scale benchmark of the twinning-graph pipeline on SYNTHETIC networks.

    python benchmarks/run.py [--sizes 10000,30000,100000] [--shapes plain,hubs,bigproject]
                             [--quick] [--seed 0] [--max-memory-gb 10]

For each shape and size (number of towns; links = 2.5 × towns, projects = towns / 50) a
fresh subprocess draws a network with :func:`twinning_graph.synthetic.synthetic_network`,
writes it as CSV and times every step of the pipeline (``time.perf_counter``). Shapes:

- ``plain``: the calibrated model (degrees like the bundled data, max ~150);
- ``hubs``: plus hub towns of 16,000, 10,000, 8,000, 5,000 and 3,000 links (within the same
  number of links; each capped at a quarter of the towns);
- ``bigproject``: plus one project of 10,000 member towns (capped at half the towns),
  i.e. 50 million member pairs if projects were expanded into pairs.

Memory: before each step the kernel's high-water mark of resident memory is reset
(``/proc/self/clear_refs``) and read back after it (``VmHWM``), so each step reports its
own peak; the pipeline's peak is the largest of them. The worker runs under an address-
space limit (``--max-memory-gb``) so that a step that would take the machine's memory fails
with ``MemoryError`` (reported) instead. Then it times the straightforward code an analyst
would write with the same libraries ("naive" baselines) on a sample and extrapolates it
linearly (plain shape only).

Prints markdown tables and writes ``benchmarks/results.json``. Not a test: timings depend
on the machine and its load (reported with the results).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"

#: Steps of the pipeline, in order, with the label used in the tables.
PIPELINE = [
    ("load_csv", "load + validate from CSV"),
    ("pairs", "pair table (data.edges)"),
    ("town_graph", "build the town graph (networkx)"),
    ("town_reach", "town reach (k=2)"),
    ("country_reach", "country reach"),
    ("communities", "communities (default method)"),
    ("gaps", "gap model (country_pair_gaps)"),
    ("rank_partners", "rank_partners × 1,000 towns"),
    ("plan_network", "plan_network"),
    ("map_png", "map PNG, all links"),
    ("report_html", "full HTML report"),
]
#: Measured after the pipeline (not in its total): the parts of the report worth seeing alone.
EXTRA = [
    ("brokers", "brokers (betweenness, 100 sampled sources)"),
    ("summary", "summary (stats)"),
    ("community_table", "community_table"),
]
#: Hub degrees of the ``hubs`` shape and member count of the ``bigproject`` project.
HUBS = (16_000, 10_000, 8_000, 5_000, 3_000)
LARGE_PROJECT = 10_000
SHAPES = ("plain", "hubs", "bigproject")
SETUP = [
    ("calibrate", "calibrate on the bundled data (once)"),
    ("generate", "generate (synthetic_network)"),
    ("write_csv", "write CSV"),
]

#: Naive baselines: (key, label, sample description).
BASELINES = [
    ("distances", "distances: geopy geodesic per pair", "2,000 pairs"),
    ("reach", "town reach: nx BFS (cutoff=2) per town", "500 towns"),
    ("ranking", "ranking: per-candidate Python loop", "3 towns"),
    ("map", "map: one plt.plot per link", "20,000 links"),
    ("communities", "communities: networkx Louvain", "full graph"),
]


# ============================================================================ worker


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _reset_peak() -> bool:
    """Reset the kernel's resident-memory high-water mark (Linux); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _hwm_mb() -> float:
    """Resident-memory high-water mark since the last reset (VmHWM), else ru_maxrss."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return _rss_mb()


def shape_kwargs(shape: str, n_towns: int) -> dict[str, Any]:
    """``synthetic_network`` options of a shape at a size."""
    if shape == "hubs":
        return {"hubs": tuple(min(h, n_towns // 4) for h in HUBS)}
    if shape == "bigproject":
        return {"large_projects": (min(LARGE_PROJECT, n_towns // 2),)}
    return {}


class _Recorder:
    def __init__(self, path: Path, meta: dict[str, Any]) -> None:
        self.path = path
        self.out: dict[str, Any] = {**meta, "steps": {}, "baselines": {}}
        #: set when the pair table cannot be built: later steps all need it, so they are
        #: skipped rather than each failing after minutes of trying again
        self.skip: str | None = None
        self.flush()

    def flush(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.out, indent=1, default=float))
        tmp.replace(self.path)

    def step(self, key: str, fn: Callable[[], Any], **extra: Any) -> Any:
        if self.skip and key not in ("calibrate", "generate", "write_csv", "load_csv"):
            self.out["steps"][key] = {"skipped": self.skip}
            self.flush()
            return None
        _reset_peak()
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            value = fn()
            err = None
        except (Exception, MemoryError) as exc:  # a failed step is reported, others still run
            value, err = None, f"{type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)
        rec = {
            "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.process_time() - c0,
            "peak_rss_mb": _hwm_mb(),
            "process_peak_rss_mb": _rss_mb(),
            **extra,
        }
        if err:
            rec["error"] = err[:500]
            if key == "pairs":
                self.skip = f"the pair table failed ({err[:80]})"
        self.out["steps"][key] = rec
        self.flush()
        print(
            f"  [{self.out['shape']} {self.out['n_towns']:,}] {key}: {rec['seconds']:.2f} s "
            f"(CPU {rec['cpu_seconds']:.2f} s), "
            f"{rec['peak_rss_mb']:,.0f} MB" + (f"  ERROR {err[:120]}" if err else ""),
            file=sys.stderr,
            flush=True,
        )
        return value


def _sample(rng: Any, population: Any, k: int) -> list[Any]:
    k = min(k, len(population))
    return [population[i] for i in sorted(rng.choice(len(population), k, replace=False))]


def worker(
    n_towns: int, result: Path, *, quick: bool, seed: int, shape: str, max_memory_gb: float
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import twinning_graph as tg
    from twinning_graph.synthetic import calibrate, synthetic_network

    warnings.simplefilter("ignore")
    if max_memory_gb > 0:
        limit = int(max_memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    n_links, n_projects = int(2.5 * n_towns), max(n_towns // 50, 1)
    kwargs = shape_kwargs(shape, n_towns)
    rec = _Recorder(
        result,
        {
            "shape": shape,
            "shape_options": {k: list(v) for k, v in kwargs.items()},
            "max_memory_gb": max_memory_gb,
            "peak_reset": _reset_peak(),
            "n_towns": n_towns,
            "n_links": n_links,
            "n_projects": n_projects,
            "quick": quick,
            "seed": seed,
            "rss_at_start_mb": _rss_mb(),
        },
    )
    rng = np.random.default_rng(seed)
    tmp = Path(tempfile.mkdtemp(prefix=f"tgbench{n_towns}_"))

    rec.step("calibrate", calibrate)
    synth = rec.step(
        "generate", lambda: synthetic_network(n_towns, n_links, n_projects, seed=seed, **kwargs)
    )

    def write() -> None:
        synth.towns.reset_index().to_csv(tmp / "towns.csv", index=False)
        synth.partnerships.to_csv(tmp / "partnerships.csv", index=False)
        synth.memberships.to_csv(tmp / "projects.csv", index=False)

    rec.step("write_csv", write)
    rec.out["csv_mb"] = sum(p.stat().st_size for p in tmp.glob("*.csv")) / 1e6

    # ---------------------------------------------------------------- pipeline
    data = rec.step(
        "load_csv",
        lambda: tg.load(
            towns=tmp / "towns.csv", partnerships=[tmp / "partnerships.csv", tmp / "projects.csv"]
        ),
    )
    if data is None:
        data = synth
    edges = rec.step("pairs", lambda: data.edges)
    rec.out["n_pairs"] = int(len(edges)) if edges is not None else None
    G = rec.step("town_graph", lambda: data.town_graph())

    from twinning_graph.reach import country_reach, town_reach

    rec.step("town_reach", lambda: town_reach(data, k=2))
    rec.step("country_reach", lambda: country_reach(data))

    # the default method, whatever it is in the code measured (the "before" runs too)
    import inspect

    from twinning_graph import clusters

    fast_method = inspect.signature(clusters.communities).parameters["method"].default
    comm = rec.step("communities", lambda: clusters.communities(data, seed=0), method=fast_method)

    from twinning_graph.gaps import country_pair_gaps

    rec.step("gaps", lambda: country_pair_gaps(data))

    # rank_partners for 1,000 towns: one rank_partners_many call (it includes the one-off
    # fit of the model, cached per data object), then single warm rank_partners calls on
    # 20 of the towns for the per-town comparison with the naive loop
    from twinning_graph.recommend import rank_partners, rank_partners_many

    towns_1000 = _sample(rng, data.towns.index, 1000)

    def rank_many() -> dict[str, Any]:
        t0 = time.perf_counter()
        out = rank_partners_many(data, towns_1000, n=10)
        batch = time.perf_counter() - t0
        times = []
        for t in towns_1000[:20]:
            t1 = time.perf_counter()
            rank_partners(data, t, n=10)
            times.append(time.perf_counter() - t1)
        # "calls"/"median_call_s": the single calls (what the tables print per call)
        return {
            "batch_towns": len(towns_1000),
            "rows": int(len(out)),
            "batch_s": batch,
            "per_call_s": batch / len(towns_1000),
            "calls": len(times),
            "median_call_s": float(np.median(times)),
            "first_call_s": times[0],
        }

    info = rec.step("rank_partners", rank_many)
    if info is not None:
        rec.out["steps"]["rank_partners"].update(info)
        rec.out["steps"]["rank_partners"]["seconds"] = info["batch_s"]
        rec.out["steps"]["rank_partners"]["extrapolated"] = False
        rec.flush()

    def plan() -> Any:
        from twinning_graph.plan import plan_network

        return _call_plan(plan_network, data, towns_1000[0])

    rec.step("plan_network", plan)

    def map_png() -> float:
        from twinning_graph.plot import plot_map

        ax = plot_map(data)
        ax.figure.savefig(tmp / "map.png", dpi=100)
        plt.close(ax.figure)
        return (tmp / "map.png").stat().st_size / 1e6

    rec.step("map_png", map_png)

    def report() -> float:
        from twinning_graph.report import build_report

        path = build_report(data, path=tmp / "report" / "europe.html")
        return path.stat().st_size / 1e6

    size = rec.step("report_html", report)
    rec.out["report_mb"] = size
    keys = [k for k, _ in PIPELINE]
    done = [rec.out["steps"][k] for k in keys if k in rec.out["steps"]]
    ok = [x for x in done if "error" not in x and "skipped" not in x]
    rec.out["pipeline_s"] = sum(x["seconds"] for x in ok)
    rec.out["pipeline_cpu_s"] = sum(x.get("cpu_seconds", 0.0) for x in ok)
    rec.out["pipeline_errors"] = [
        k
        for k in keys
        if "error" in rec.out["steps"].get(k, {}) or "skipped" in rec.out["steps"].get(k, {})
    ]
    rec.out["pipeline_peak_rss_mb"] = max(
        (x["peak_rss_mb"] for x in done if "peak_rss_mb" in x), default=None
    )
    rec.flush()

    # ---------------------------------------------------------------- parts of the report
    from twinning_graph.stats import summary

    rec.step("brokers", lambda: clusters.brokers(data, n=None, sample=100, seed=0))
    rec.step("summary", lambda: summary(data))
    rec.step("community_table", lambda: clusters.community_table(data, comm))

    # ---------------------------------------------------------------- naive baselines
    if shape == "plain":
        baselines(rec, data, G, rng, quick=quick, fast_method=fast_method)
    shutil.rmtree(tmp, ignore_errors=True)  # the CSV files, map and report of this run
    rec.out["final_rss_mb"] = _rss_mb()
    rec.flush()


def _call_plan(plan_network: Callable[..., Any], data: Any, town: str) -> Any:
    """Call plan_network with what its signature asks for (its API is its owner's)."""
    import inspect

    params = list(inspect.signature(plan_network).parameters.values())
    if len(params) >= 2 and params[1].default is inspect.Parameter.empty:
        return plan_network(data, town)
    return plan_network(data)


def baselines(
    rec: _Recorder, data: Any, G: Any, rng: Any, *, quick: bool, fast_method: str
) -> None:
    import math as m

    import matplotlib.pyplot as plt
    import networkx as nx

    from twinning_graph._geo import haversine_km

    towns, edges = data.towns, data.edges
    n, n_pairs = len(towns), len(edges)
    out = rec.out["baselines"]

    def save(key: str, **kw: Any) -> None:
        if kw.get("naive_s") and kw.get("fast_s"):
            kw["ratio"] = kw["naive_s"] / kw["fast_s"]
        out[key] = kw
        rec.flush()
        print(f"  [{n:,}] baseline {key}: {kw}", file=sys.stderr, flush=True)

    # distances ---------------------------------------------------------------
    try:
        from geopy.distance import geodesic

        k = 2000
        idx = rng.choice(n_pairs, k, replace=False)
        la, lo = towns["lat"], towns["lon"]
        s = edges.iloc[idx]
        pts = list(
            zip(
                s["town_a"].map(la),
                s["town_a"].map(lo),
                s["town_b"].map(la),
                s["town_b"].map(lo),
                strict=True,
            )
        )
        t0 = time.perf_counter()
        km = [geodesic((a1, o1), (a2, o2)).km for a1, o1, a2, o2 in pts]
        assert len(km) == k
        naive = (time.perf_counter() - t0) * n_pairs / k
        t0 = time.perf_counter()
        haversine_km(
            edges["town_a"].map(la).to_numpy(float),
            edges["town_a"].map(lo).to_numpy(float),
            edges["town_b"].map(la).to_numpy(float),
            edges["town_b"].map(lo).to_numpy(float),
        )
        fast = time.perf_counter() - t0
        save(
            "distances",
            naive_s=naive,
            fast_s=fast,
            sample=k,
            extrapolated=True,
            fast_what="vectorised haversine incl. id->coordinate lookup, all pairs",
        )
    except Exception as exc:
        save("distances", error=str(exc))

    # reach ---------------------------------------------------------------------
    try:
        k = 500
        sample = _sample(rng, list(G.nodes), k)
        country = nx.get_node_attributes(G, "country")
        t0 = time.perf_counter()
        for t in sample:
            lengths = nx.single_source_shortest_path_length(G, t, cutoff=2)
            own = country[t]
            within = {country[v] for v in lengths} - {own}
            partners = list(G[t])
            foreign = [v for v in partners if country[v] != own]
            _ = (len(partners), len(foreign), len({country[v] for v in foreign}), len(within))
        naive = (time.perf_counter() - t0) * n / k
        fast = rec.out["steps"]["town_reach"]["seconds"]
        save(
            "reach",
            naive_s=naive,
            fast_s=fast,
            sample=k,
            extrapolated=True,
            fast_what="town_reach(data, k=2), every town",
        )
    except Exception as exc:
        save("reach", error=str(exc))

    # ranking --------------------------------------------------------------------
    try:
        k = 3
        sample = _sample(rng, [t for t in G.nodes if G.degree(t) > 0], k)
        lat = nx.get_node_attributes(G, "lat")
        lon = nx.get_node_attributes(G, "lon")
        country = nx.get_node_attributes(G, "country")
        t0 = time.perf_counter()
        for t in sample:
            mine = set(G[t])
            reached = {country[v] for v in mine}
            scores = []
            for c in G.nodes:
                if c == t or c in mine:
                    continue
                p1, p2 = m.radians(lat[t]), m.radians(lat[c])
                a = (
                    m.sin((p2 - p1) / 2) ** 2
                    + m.cos(p1) * m.cos(p2) * m.sin(m.radians(lon[c] - lon[t]) / 2) ** 2
                )
                d = 2 * 6371.0088 * m.asin(m.sqrt(min(a, 1.0)))
                common = len(mine & set(G[c]))
                new_country = country[c] not in reached and country[c] != country[t]
                score = (
                    common
                    - 0.5 * m.log1p(d / 100)
                    + (1.0 if new_country else 0.0)
                    - 0.3 * m.log1p(G.degree(c))
                )
                scores.append((score, c))
            scores.sort(reverse=True)
            _ = scores[:10]
        naive = (time.perf_counter() - t0) / k
        st = rec.out["steps"].get("rank_partners", {})
        fast = st.get("median_call_s") or st.get("per_call_s")
        save(
            "ranking",
            naive_s=naive,
            fast_s=fast,
            sample=k,
            extrapolated=False,
            unit="seconds per town",
            batch_per_town_s=st.get("per_call_s"),
            fast_what="rank_partners(data, town, n=10), median warm call (one town alone; "
            "rank_partners_many: batch_per_town_s)",
        )
    except Exception as exc:
        save("ranking", error=str(exc))

    # map --------------------------------------------------------------------------
    try:
        k = 5_000 if quick else 20_000
        idx = rng.choice(n_pairs, min(k, n_pairs), replace=False)
        s = edges.iloc[idx]
        la, lo = towns["lat"], towns["lon"]
        xa, ya = s["town_a"].map(lo).to_numpy(), s["town_a"].map(la).to_numpy()
        xb, yb = s["town_b"].map(lo).to_numpy(), s["town_b"].map(la).to_numpy()
        t0 = time.perf_counter()
        fig, ax = plt.subplots(figsize=(9, 8))
        for i in range(len(s)):
            ax.plot([xa[i], xb[i]], [ya[i], yb[i]], color="C0", lw=0.3, alpha=0.1)
        ax.scatter(towns["lon"], towns["lat"], s=1)
        fig.savefig(Path(tempfile.gettempdir()) / f"naive_map_{n}.png", dpi=100)
        plt.close(fig)
        naive = (time.perf_counter() - t0) * n_pairs / len(s)
        fast = rec.out["steps"]["map_png"]["seconds"]
        save(
            "map",
            naive_s=naive,
            fast_s=fast,
            sample=len(s),
            extrapolated=True,
            fast_what="plot_map(data) + savefig PNG, all links as great-circle arcs",
        )
    except Exception as exc:
        save("map", error=str(exc))

    # communities ---------------------------------------------------------------------
    try:
        from twinning_graph import clusters

        if quick and n > 30_000:
            raise RuntimeError("skipped with --quick above 30,000 towns")
        # networkx's Louvain: "networkx" since the built-in method took the name "louvain"
        naive_method = "networkx" if "networkx" in getattr(clusters, "METHODS", ()) else "louvain"
        t0 = time.perf_counter()
        clusters.communities(data, method=naive_method, seed=0)
        naive = time.perf_counter() - t0
        fast = rec.out["steps"]["communities"]["seconds"]
        save(
            "communities",
            naive_s=naive,
            fast_s=fast,
            extrapolated=False,
            fast_what=f"communities(data, method={fast_method!r})",
        )
    except Exception as exc:
        save("communities", error=str(exc))


# ============================================================================ parent


def _loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _exponent(xs: list[float], ys: list[float | None]) -> float | None:
    """Least-squares slope of log(time) against log(size): time ∝ size^slope."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else None


def _fmt_s(rec: dict[str, Any] | None) -> str:
    if not rec:
        return "—"
    if "skipped" in rec:
        return "skipped"
    if "error" in rec:
        return "error"
    s = rec["seconds"]
    txt = f"{s:.2f}" if s < 100 else f"{s:.0f}"
    return txt + ("*" if rec.get("extrapolated") else "")


def _column(r: dict[str, Any]) -> str:
    return f"{r.get('shape', 'plain')} {r['n_towns']:,}"


def _fmt_mb(rec: dict[str, Any] | None) -> str:
    if rec and "skipped" in rec:
        return "skipped"
    if not rec or rec.get("peak_rss_mb") is None:
        return "—"
    return f"{rec['peak_rss_mb']:,.0f}" + (" (error)" if "error" in rec else "")


def tables(results: list[dict[str, Any]]) -> str:
    sizes = [r["n_towns"] for r in results]
    one_shape = len({r.get("shape", "plain") for r in results}) == 1 and len(set(sizes)) > 1
    cols = [_column(r) for r in results]
    head = "| step | " + " | ".join(f"{c} (s)" for c in cols) + " | growth exponent |"
    sep = "|---|" + "---:|" * len(cols) + "---:|"
    lines = ["### Time per step", "", head, sep]

    def exponent(ys: list[float | None]) -> str:
        ex = _exponent([float(n) for n in sizes], ys) if one_shape else None
        return "—" if ex is None else f"{ex:.2f}"

    for key, label in SETUP + PIPELINE + EXTRA:
        recs = [r["steps"].get(key) for r in results]
        ys = [None if (not x or "error" in x or "skipped" in x) else x["seconds"] for x in recs]
        if key == EXTRA[0][0]:
            lines.append(
                "| *measured after the pipeline, not in its total:* |" + " |" * len(cols) + " |"
            )
        lines.append(f"| {label} | " + " | ".join(_fmt_s(x) for x in recs) + f" | {exponent(ys)} |")
    tot = [r.get("pipeline_s") for r in results]
    lines.insert(
        len(lines) - len(EXTRA) - 1,
        "| **whole pipeline (load → report)** | "
        + " | ".join(
            "—" if t is None else f"**{t:.1f}**" + (" (errors)" if r.get("pipeline_errors") else "")
            for t, r in zip(tot, results, strict=True)
        )
        + f" | {exponent(tot)} |",
    )
    lines.append(
        "| whole pipeline, CPU time of the process (s) | "
        + " | ".join(
            "—" if r.get("pipeline_cpu_s") is None else f"{r['pipeline_cpu_s']:.1f}"
            for r in results
        )
        + " | |"
    )
    lines.append(
        "| peak RSS of the pipeline (MB) | "
        + " | ".join(
            "—" if r.get("pipeline_peak_rss_mb") is None else f"{r['pipeline_peak_rss_mb']:,.0f}"
            for r in results
        )
        + " | |"
    )
    lines.append(
        "| links / linked pairs | "
        + " | ".join(
            f"{r['n_links']:,} / " + ("—" if r.get("n_pairs") is None else f"{r['n_pairs']:,}")
            for r in results
        )
        + " | |"
    )
    lines.append(
        "| load average at start (1/5/15 min) | "
        + " | ".join("/".join(str(x) for x in r.get("loadavg", [])) for r in results)
        + " | |"
    )
    rp = [r["steps"].get("rank_partners", {}) for r in results]
    lines += [
        "",
        "rank_partners: "
        + "; ".join(
            f"{c}: {x.get('calls', '?')} calls measured, median "
            f"{1000 * x.get('median_call_s', float('nan')):.0f} ms/call"
            for c, x in zip(cols, rp, strict=True)
            if x and "error" not in x and "skipped" not in x
        ),
        "",
        "### Peak memory of each step (resident high-water mark during the step, MB)",
        "",
        "| step | " + " | ".join(cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for key, label in SETUP + PIPELINE + EXTRA:
        recs = [r["steps"].get(key) for r in results]
        lines.append(f"| {label} | " + " | ".join(_fmt_mb(x) for x in recs) + " |")
    errors = [
        f"- {_column(r)}, {k}: {x['error'][:200]}"
        for r in results
        for k, x in r["steps"].items()
        if "error" in x
    ]
    if errors:
        lines += ["", "Errors:", "", *errors]
    lines += [
        "",
        "### Against the straightforward code (same libraries)",
        "",
        "| task | size | naive (s) | twinning-graph (s) | ratio | naive measured on |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for key, label, what in BASELINES:
        for r in results:
            b = r.get("baselines", {}).get(key)
            if not b:
                continue
            if "error" in b:
                lines.append(f"| {label} | {r['n_towns']:,} | — | — | — | {b['error'][:60]} |")
                continue
            unit = " per town" if b.get("unit") else ""
            extra = " (×, extrapolated linearly)" if b.get("extrapolated") else ""
            ratio = b.get("ratio", float("nan"))
            rtxt = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.2g}"
            lines.append(
                f"| {label} | {r['n_towns']:,} | {b['naive_s']:.3g}{unit} | "
                f"{b['fast_s']:.3g}{unit} | **{rtxt}×** | "
                f"{'sample of ' + str(b['sample']) if b.get('sample') else what}{extra} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,30000,100000", help="comma-separated numbers of towns"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller budgets: smaller naive-baseline samples, smaller map "
        "sample, no Louvain baseline above 30,000 towns",
    )
    parser.add_argument(
        "--shapes",
        default="plain",
        help=f"comma-separated network shapes, of: {', '.join(SHAPES)} (default plain)",
    )
    parser.add_argument(
        "--max-memory-gb",
        type=float,
        default=10.0,
        help="address-space limit of each worker (0: none); a step beyond it fails with "
        "MemoryError instead of exhausting the machine (default 10)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per size")
    parser.add_argument(
        "--tables",
        action="store_true",
        help="only print the tables of an existing results file (--out)",
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-shape", default="plain", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker is not None:
        worker(
            args.worker,
            args.result_file,
            quick=args.quick,
            seed=args.seed,
            shape=args.worker_shape,
            max_memory_gb=args.max_memory_gb,
        )
        return 0

    if args.tables:
        print(tables(json.loads(args.out.read_text())["results"]))
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    bad = [s for s in shapes if s not in SHAPES]
    if bad:
        parser.error(f"unknown shape(s) {bad}; allowed: {', '.join(SHAPES)}")
    results = []
    for shape in shapes:
        for n in sizes:
            load = _loadavg()
            print(f"{shape} {n:,}: load average {load}", file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory() as d:
                res = Path(d) / "result.json"
                cmd = [
                    sys.executable,
                    __file__,
                    "--worker",
                    str(n),
                    "--worker-shape",
                    shape,
                    "--result-file",
                    str(res),
                    "--seed",
                    str(args.seed),
                    "--max-memory-gb",
                    str(args.max_memory_gb),
                ] + (["--quick"] if args.quick else [])
                t0 = time.perf_counter()
                try:
                    proc = subprocess.run(cmd, timeout=args.timeout)
                    code: int | str = proc.returncode
                except subprocess.TimeoutExpired:
                    code = "timeout"
                r = (
                    json.loads(res.read_text())
                    if res.exists()
                    else {"n_towns": n, "shape": shape, "steps": {}, "baselines": {}}
                )
            r["loadavg"] = load
            r["loadavg_end"] = _loadavg()
            r["wall_s"] = time.perf_counter() - t0
            r["exit"] = code
            results.append(r)
            # keep what we have after every run
            _write(args.out, results)
    text = tables(results)
    print(text)
    _write(args.out, results, text)
    return 0


def _write(path: Path, results: list[dict[str, Any]], text: str | None = None) -> None:
    import numpy as np
    import pandas as pd

    meta = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "results": results,
    }
    if text:
        meta["markdown"] = text
    path.write_text(json.dumps(meta, indent=1, default=float))


if __name__ == "__main__":
    sys.exit(main())
