"""Time plot_map on a synthetic network of 25,000 random links (Agg backend, no display).

Run: /work/venv/bin/python benchmarks/plot_map_bench.py [n_links] [n_towns]
"""

from __future__ import annotations

import io
import sys
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from twinning_graph.plot import plot_map  # noqa: E402


def synthetic(n_links: int = 25_000, n_towns: int = 8_000, seed: int = 0):
    """Random towns inside Europe and random unique town pairs, as (towns, edges) frames."""
    rng = np.random.default_rng(seed)
    codes = np.array(
        [
            "DE",
            "FR",
            "IT",
            "PL",
            "ES",
            "GB",
            "NL",
            "SE",
            "AT",
            "CZ",
            "HU",
            "RO",
            "PT",
            "BE",
            "DK",
            "FI",
            "SK",
            "HR",
            "SI",
            "IE",
            "LT",
            "LV",
            "EE",
            "GR",
        ]
    )
    ids = np.array([f"T{i:05d}" for i in range(n_towns)])
    towns = pd.DataFrame(
        {
            "name": ids,
            "country": rng.choice(codes, n_towns),
            "lat": rng.uniform(36.0, 66.0, n_towns),
            "lon": rng.uniform(-9.0, 30.0, n_towns),
            "population": rng.integers(1_000, 500_000, n_towns),
        },
        index=pd.Index(ids, name="town_id"),
    )
    a = rng.integers(0, n_towns, n_links * 2)
    b = rng.integers(0, n_towns, n_links * 2)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique(np.stack([lo[lo != hi], hi[lo != hi]], axis=1), axis=0)
    pairs = pairs[rng.permutation(len(pairs))[:n_links]]
    edges = pd.DataFrame(
        {
            "town_a": ids[pairs[:, 0]],
            "town_b": ids[pairs[:, 1]],
            "kinds": "twinning",
            "weight": np.ones(len(pairs), dtype=np.int64),
            "since": pd.array(rng.integers(1950, 2024, len(pairs)), dtype="Int64"),
        }
    )
    return towns, edges


def main() -> None:
    n_links = int(sys.argv[1]) if len(sys.argv) > 1 else 25_000
    n_towns = int(sys.argv[2]) if len(sys.argv) > 2 else 8_000
    towns, edges = synthetic(n_links, n_towns)
    plot_map((towns.head(10), edges.head(0)))  # warm-up: basemap parsing and caches
    plt.close("all")
    t0 = time.perf_counter()
    ax = plot_map((towns, edges))
    t1 = time.perf_counter()
    ax.figure.savefig(io.BytesIO(), format="png", dpi=100)
    t2 = time.perf_counter()
    plt.close(ax.figure)
    print(
        f"{len(edges)} links, {len(towns)} towns: plot_map {t1 - t0:.2f} s, "
        f"render to PNG {t2 - t1:.2f} s, total {t2 - t0:.2f} s"
    )


if __name__ == "__main__":
    main()
