"""Timing of partner ranking against the whole gazetteer, and of the backtest.

Run: python benchmarks/rank_partners_bench.py  (bundled data; prints medians in seconds)

rank_partners is vectorised: one numpy haversine from the town to every candidate, one
sparse row product for common partners (A[i] @ A) and Adamic–Adar (A[i] @ diag(1/log deg)
@ A), table look-ups for the country-pair, distance and size terms, and argpartition for
the top n (no full sort).
"""

from __future__ import annotations

import statistics
import time

import twinning_graph as tg
from twinning_graph._gazetteer import places
from twinning_graph.evaluate import backtest
from twinning_graph.recommend import rank_partners


def _median(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    data = tg.load()
    _ = data.edges  # built once, as in any session
    gaz = places(min_population=1000)  # cached after the first call
    print(f"gazetteer places >= 1,000 inhabitants: {len(gaz):,}; network towns: {len(data):,}")
    for town in ("FR-chartres", "PL-krakow", "DE-berlin"):
        for source in ("network", "gazetteer"):
            rank_partners(data, town, source=source)  # warm-up
            sec = _median(lambda t=town, s=source: rank_partners(data, t, n=20, source=s))
            print(f"rank_partners({town!r}, source={source!r}, n=20): {sec:.3f} s")
        sec = _median(lambda t=town: rank_partners(data, t, n=20, source="gazetteer",
                                                       call=None))
        full = rank_partners(data, town, n=None, source="gazetteer", call=None)
        print(f"  ... against all {len(full):,} candidates (call=None): {sec:.3f} s")
    t = time.perf_counter()
    res = backtest(data, seed=1)
    print(f"backtest(seed=1): {time.perf_counter() - t:.1f} s for {res.queries:,} queries")


if __name__ == "__main__":
    main()
