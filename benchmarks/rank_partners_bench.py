"""Timing of partner search: the one-off fit, warm calls, many towns at once, the backtest.

    python benchmarks/rank_partners_bench.py [--towns 100000] [--skip-synthetic] [--skip-backtest]

Prints wall-clock and CPU seconds (the CPU time tells a loaded machine from a slow
code path; say the ``uptime`` load when you quote a number):

- the fit of :class:`~twinning_graph.recommend.PartnerModel` (tables, kernels, weights; kept
  on the data object afterwards) for the bundled network and a SYNTHETIC network of
  ``--towns`` towns (``synthetic_network(n, 2.5 n, n / 50)``);
- a warm ``rank_partners(data, town)`` call (median and maximum over 40 towns), for the
  network and the gazetteer candidates;
- ``rank_partners_many`` for 1,000 towns (warm);
- the backtest of the bundled data (3 seeds).

The bar of issue 11: one town <= 50 ms warm at 100,000 towns; 1,000 towns <= 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import twinning_graph as tg
from twinning_graph.recommend import partner_model, rank_partners, rank_partners_many


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _per_call(data: Any, ids: list[str], **opts: Any) -> tuple[float, float, float]:
    """(median wall, max wall, median cpu) seconds of warm calls."""
    walls, cpus = [], []
    for t in ids:
        _, w, c = _timed(lambda t=t: rank_partners(data, t, **opts))
        walls.append(w)
        cpus.append(c)
    return statistics.median(walls), max(walls), statistics.median(cpus)


def _report(label: str, data: Any, rng: np.random.Generator, *, gazetteer: bool) -> None:
    _, w, c = _timed(lambda: partner_model(data))
    print(f"{label}: fit {w:.2f} s wall, {c:.2f} s cpu ({partner_model(data)!r})")
    ids = list(data.towns.index[rng.choice(len(data.towns), 41, replace=False)])
    rank_partners(data, ids[0])  # prepares the candidates
    med, top, cpu = _per_call(data, ids[1:])
    print(
        f"  rank_partners warm: median {1000 * med:.1f} ms (max {1000 * top:.1f}, cpu {1000 * cpu:.1f})"
    )
    if gazetteer:
        _, w, _ = _timed(lambda: rank_partners(data, ids[0], source="gazetteer"))
        med, top, cpu = _per_call(data, ids[1:], source="gazetteer")
        n = len(partner_model(data).pool("gazetteer").frame)
        print(
            f"  source='gazetteer' ({n:,} candidates): first {w:.2f} s; warm median "
            f"{1000 * med:.1f} ms (max {1000 * top:.1f}, cpu {1000 * cpu:.1f})"
        )
    many = list(
        data.towns.index[rng.choice(len(data.towns), min(1000, len(data.towns)), replace=False)]
    )
    out, w, c = _timed(lambda: rank_partners_many(data, many))
    print(
        f"  rank_partners_many, {len(many):,} towns: {w:.2f} s wall, {c:.2f} s cpu "
        f"({1000 * w / len(many):.1f} ms per town, {len(out):,} rows)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--towns", type=int, default=100_000, help="synthetic towns (100,000)")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-backtest", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rng = np.random.default_rng(0)
    data = tg.load()
    _ = data.edges
    _report(f"bundled ({len(data.towns):,} towns)", data, rng, gazetteer=True)
    if not args.skip_synthetic:
        from twinning_graph.synthetic import synthetic_network

        n = args.towns
        syn = synthetic_network(n, int(2.5 * n), max(n // 50, 1), seed=0)
        _ = syn.edges
        _report(
            f"SYNTHETIC {n:,} towns / {len(syn.edges):,} linked pairs", syn, rng, gazetteer=False
        )
    if not args.skip_backtest:
        res, w, c = _timed(lambda: tg.backtest(data, seeds=(0, 1, 2)))
        print(f"backtest, 3 seeds ({res.queries:,} queries): {w:.1f} s wall, {c:.1f} s cpu")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
