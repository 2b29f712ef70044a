"""Timing of partner ranking: one-off fit, warm calls, many towns at once, and the backtest.

    python benchmarks/rank_partners_bench.py [--towns 100000] [--skip-synthetic]

Prints, in ms (medians over calls on different towns):

- the one-off fit of the first call on a data object (model, candidates, gap table; cached
  per data object afterwards), for the bundled network, the bundled network + gazetteer
  and a SYNTHETIC network of ``--towns`` towns (``synthetic_network(n, 2.5 n, n / 50)``);
- a warm ``rank_partners(data, town, n=10)`` call for each of them;
- ``rank_partners_many`` for 1,000 towns of the synthetic network (and its cost per town);
- the backtest of the bundled data.

Per call: one haversine from the town to every candidate (the candidates' radians and
cosines precomputed), a sparse row product for shared partners and Adamic–Adar, table
look-ups for the distance, country-pair and size terms and the strategy terms (integer
codes, no string work), and a block-maximum bound + lexsort for the top n.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import twinning_graph as tg
from twinning_graph.evaluate import backtest
from twinning_graph.recommend import rank_partners, rank_partners_many


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:,.1f} ms"


def _per_call(fn: Callable[[str], Any], ids: list[str]) -> tuple[float, float]:
    """(first call, median of the other calls) in seconds."""
    times = []
    for t in ids:
        t0 = time.perf_counter()
        fn(t)
        times.append(time.perf_counter() - t0)
    return times[0], statistics.median(times[1:])


def _report(label: str, data: Any, ids: list[str], **opts: Any) -> None:
    first, med = _per_call(lambda t: rank_partners(data, t, n=10, **opts), ids)
    full = rank_partners(data, ids[0], n=None, call=None, **opts)
    print(
        f"{label}: {len(full):,} candidates ranked (call=None); first call {_ms(first)} "
        f"(one-off fit ~{_ms(first - med)}, cached afterwards); warm call median "
        f"{_ms(med)} ({len(ids) - 1} towns)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--towns",
        type=int,
        default=100_000,
        help="towns of the synthetic network (default 100,000)",
    )
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)

    data = tg.load()
    _ = data.edges  # built once, as in any session
    ids = list(data.towns.index[rng.choice(len(data), 41, replace=False)])
    _report("bundled, source='network'", data, ids)
    _report("bundled, source='gazetteer'", data, ids, source="gazetteer")
    t0 = time.perf_counter()
    rank_partners_many(data, list(data.towns.index[:1000]), n=10)
    print(f"bundled, rank_partners_many for 1,000 towns: {time.perf_counter() - t0:.2f} s")

    if not args.skip_synthetic:
        from twinning_graph.synthetic import synthetic_network

        n = args.towns
        syn = synthetic_network(n, int(2.5 * n), max(n // 50, 1), seed=0)
        _ = syn.edges
        ids = list(syn.towns.index[rng.choice(n, 41, replace=False)])
        _report(
            f"SYNTHETIC {n:,} towns / {len(syn.edges):,} linked pairs, source='network'", syn, ids
        )
        many_ids = list(syn.towns.index[rng.choice(n, min(1000, n), replace=False)])
        t0 = time.perf_counter()
        out = rank_partners_many(syn, many_ids, n=10)
        sec = time.perf_counter() - t0
        print(
            f"SYNTHETIC {n:,}: rank_partners_many for {len(many_ids):,} towns: {sec:.2f} s "
            f"({_ms(sec / len(many_ids))} per town, {len(out):,} rows; warm cache)"
        )

    t0 = time.perf_counter()
    res = backtest(data, seed=1)
    print(f"backtest(seed=1): {time.perf_counter() - t0:.1f} s for {res.queries:,} queries")


if __name__ == "__main__":
    main()
