"""Compare community-detection methods: time, modularity, determinism.

    python benchmarks/communities.py [--networks bundled,plain,hubs] [--seeds 0,1,2]

Networks: the bundled data (real), and the SYNTHETIC 100,000-town networks of
``benchmarks/run.py`` (``plain``: 250,000 links + 2,000 projects; ``hubs``: the same with
hub towns of 16,000–3,000 links). Methods: every ``communities(method=...)`` available in
this install (``louvain``, the built-in default; ``networkx``; ``leiden`` with
python-igraph) and, when scikit-network is installed, its Louvain and Leiden run on the
same matrix (``sknetwork-louvain``, ``sknetwork-leiden``; not a dependency of the library,
measured to choose the default). Each (network, method, seed) runs once; wall time
(``perf_counter``) and CPU time of the process (``process_time``, less sensitive to other
work on the machine) are reported with the load average. Modularity is Newman's weighted
modularity of the partition (:func:`twinning_graph.clusters.modularity`, equal to
networkx's, tested). "same seed, same result" runs seed 0 twice.

Writes ``benchmarks/communities.json`` and prints a markdown table. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "communities.json"
HUBS = (16_000, 10_000, 8_000, 5_000, 3_000)
#: scikit-network's Leiden is not run above this many towns: on the 100,000-town network
#: it had not finished after 15 minutes (measured once, then stopped).
SKNETWORK_LEIDEN_MAX_TOWNS = 20_000


def _network(name: str) -> Any:
    import twinning_graph as tg
    from twinning_graph.synthetic import synthetic_network

    if name == "bundled":
        return tg.load()
    if name == "plain":
        return synthetic_network(100_000, 250_000, 2_000, seed=0)
    if name == "hubs":
        return synthetic_network(100_000, 250_000, 2_000, seed=0, hubs=HUBS)
    raise SystemExit(f"unknown network {name!r}; allowed: bundled, plain, hubs")


def _methods() -> list[str]:
    from twinning_graph.clusters import METHODS

    out = [m for m in METHODS if m != "auto"]
    try:
        import igraph  # noqa: F401
    except ImportError:
        out.remove("leiden")
    try:
        import sknetwork  # noqa: F401

        out += ["sknetwork-louvain", "sknetwork-leiden"]
    except ImportError:
        pass
    return out


def _run(data: Any, method: str, seed: int) -> np.ndarray:
    """Labels in ``data.towns.index`` order (-1: no partners)."""
    from twinning_graph import clusters

    if not method.startswith("sknetwork"):
        return clusters.communities(data, seed=seed, method=method).to_numpy()
    import scipy.sparse as sp
    from sknetwork.clustering import Leiden, Louvain

    A = data.adjacency(weighted=True)
    linked = np.flatnonzero(np.diff(A.indptr) > 0)
    sub = sp.csr_matrix(A[linked][:, linked])  # scikit-network wants a csr_matrix
    cls = Louvain if method == "sknetwork-louvain" else Leiden
    algo = cls(
        modularity="newman",
        shuffle_nodes=True,
        random_state=seed,
        return_probs=False,
        return_aggregate=False,
    )
    labels = np.full(A.shape[0], -1, dtype=np.int64)
    labels[linked] = algo.fit_predict(sub)
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default="bundled,plain,hubs")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--methods", default=None, help="comma-separated (default: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from twinning_graph.clusters import modularity

    seeds = [int(s) for s in args.seeds.split(",")]
    methods = args.methods.split(",") if args.methods else _methods()
    rows: list[dict[str, Any]] = []
    for name in args.networks.split(","):
        data = _network(name)
        A = data.adjacency(weighted=True)
        _ = data.edges  # built once, outside the timings
        for method in methods:
            if method == "sknetwork-leiden" and len(data.towns) > SKNETWORK_LEIDEN_MAX_TOWNS:
                rows.append({"network": name, "method": method, "skipped": "too slow"})
                continue
            runs = []
            for seed in seeds:
                load = os.getloadavg()[0]
                t0, c0 = time.perf_counter(), time.process_time()
                labels = _run(data, method, seed)
                runs.append(
                    {
                        "seed": seed,
                        "seconds": time.perf_counter() - t0,
                        "cpu_seconds": time.process_time() - c0,
                        "load": load,
                        "modularity": modularity(A, labels),
                        "communities": int(labels.max() + 1),
                        "labels": labels,
                    }
                )
                print(
                    f"{name} {method} seed={seed}: {runs[-1]['seconds']:.2f} s "
                    f"(CPU {runs[-1]['cpu_seconds']:.2f} s) Q={runs[-1]['modularity']:.4f}",
                    flush=True,
                )
            again = _run(data, method, seeds[0])
            q = [r["modularity"] for r in runs]
            rows.append(
                {
                    "network": name,
                    "towns": len(data.towns),
                    "links": int(A.nnz // 2),
                    "method": method,
                    "median_s": float(np.median([r["seconds"] for r in runs])),
                    "median_cpu_s": float(np.median([r["cpu_seconds"] for r in runs])),
                    "load": float(np.mean([r["load"] for r in runs])),
                    "modularity_mean": float(np.mean(q)),
                    "modularity_min": float(min(q)),
                    "modularity_max": float(max(q)),
                    "communities": int(np.median([r["communities"] for r in runs])),
                    "same_seed_same_result": bool(np.array_equal(again, runs[0]["labels"])),
                    "seeds_differ": bool(
                        len(runs) > 1
                        and not all(np.array_equal(runs[0]["labels"], r["labels"]) for r in runs)
                    ),
                }
            )
    text = table(rows, seeds)
    print(text)
    args.out.write_text(
        json.dumps(
            {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "rows": rows},
            indent=1,
        )
    )
    return 0


def table(rows: list[dict[str, Any]], seeds: list[int]) -> str:
    lines = [
        f"| network | method | wall s (median of {len(seeds)}) | CPU s | load | modularity "
        "mean [min, max] | communities | same seed, same result | seeds differ |",
        "|---|---|---:|---:|---:|---|---:|---|---|",
    ]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['network']} | {r['method']} | {r['skipped']} | | | | | | |")
            continue
        lines.append(
            f"| {r['network']} | {r['method']} | {r['median_s']:.2f} | {r['median_cpu_s']:.2f} "
            f"| {r['load']:.1f} | {r['modularity_mean']:.4f} [{r['modularity_min']:.4f}, "
            f"{r['modularity_max']:.4f}] | {r['communities']:,} | "
            f"{'yes' if r['same_seed_same_result'] else 'NO'} | "
            f"{'yes' if r['seeds_differ'] else 'no'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
