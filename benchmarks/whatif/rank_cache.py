"""What-if: rank_partners with its per-data work cached (patched at run time, no file touched).

    python benchmarks/whatif/rank_cache.py [N_TOWNS]

Relies on private names of twinning_graph.recommend (_Model, _network_candidates,
_gap_table) as they were on 2026-11-25; a prototype for docs/performance.md, not a tool.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import twinning_graph.recommend as R
from twinning_graph.synthetic import synthetic_network


def bench(data: Any, ids: list[str], label: str) -> None:
    R.rank_partners(data, ids[0], n=10)  # warm-up
    times = []
    for t in ids[1:]:
        t0 = time.perf_counter()
        R.rank_partners(data, t, n=10)
        times.append(time.perf_counter() - t0)
    print(f"{label}: median {1000 * np.median(times):.0f} ms, mean {1000 * np.mean(times):.0f} ms")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = synthetic_network(n, int(2.5 * n), n // 50, seed=0)
    _ = data.edges
    ids = list(data.towns.index[np.random.default_rng(0).choice(n, 40, replace=False)])
    bench(data, ids, "as is")

    cache: dict[tuple[str, int, int], Any] = {}
    orig_model = R._Model

    class CachedModel:  # one fitted model per (towns, edges) pair of objects
        def __new__(cls, towns: Any, edges: Any) -> Any:
            key = ("model", id(towns), id(edges))
            if key not in cache:
                cache[key] = orig_model(towns, edges)
            return cache[key]

    def memo(tag: str, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def inner(obj: Any) -> Any:
            key = (tag, id(obj), 0)
            if key not in cache:
                cache[key] = fn(obj)
            return cache[key]
        return inner

    R._Model = CachedModel
    R._network_candidates = memo("candidates", R._network_candidates)
    R._gap_table = memo("gaps", R._gap_table)
    bench(data, ids, "cached model + candidates + gap table")


if __name__ == "__main__":
    main()
