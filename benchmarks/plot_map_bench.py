"""Time plot_map and measure its files: the bundled Europe map in each links mode, and a
synthetic network of 25,000 random links (Agg backend, no display).

For each case: seconds in plot_map (scene, layers, legend and label placement), seconds to
render a PNG at 110 dpi, and the size of the SVG (text kept as text, dense layers
rasterised at 150 dpi). Timings are noisy on a shared machine: run a few times and give
the load (``uptime``) with the numbers.

Run: python benchmarks/plot_map_bench.py [n_links] [n_towns]
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import twinning_graph as tg  # noqa: E402
from twinning_graph.plot import plot_map, save_map  # noqa: E402


def synthetic(n_links: int = 25_000, n_towns: int = 8_000, seed: int = 0) -> tg.TwinningData:
    """SYNTHETIC random towns inside Europe and random unique town pairs."""
    rng = np.random.default_rng(seed)
    codes = np.array(
        ["DE", "FR", "IT", "PL", "ES", "GB", "NL", "SE", "AT", "CZ", "HU", "RO", "PT", "BE",
         "DK", "FI", "SK", "HR", "SI", "IE", "LT", "LV", "EE", "GR"]
    )  # fmt: skip
    ids = np.array([f"T{i:05d}" for i in range(n_towns)])
    towns = pd.DataFrame(
        {
            "town_id": ids,
            "name": [f"synthetic {i}" for i in range(n_towns)],
            "country": rng.choice(codes, n_towns),
            "lat": rng.uniform(36.0, 66.0, n_towns),
            "lon": rng.uniform(-9.0, 30.0, n_towns),
        }
    )
    a = rng.integers(0, n_towns, n_links * 2)
    b = rng.integers(0, n_towns, n_links * 2)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique(np.stack([lo[lo != hi], hi[lo != hi]], axis=1), axis=0)
    pairs = pairs[rng.permutation(len(pairs))[:n_links]]
    links = pd.DataFrame(
        {"town_a": ids[pairs[:, 0]], "town_b": ids[pairs[:, 1]], "source": "synthetic"}
    )
    return tg.load(towns=towns, partnerships=links)


def measure(label: str, data: tg.TwinningData, **kw: object) -> None:
    t0 = time.perf_counter()
    ax = plot_map(data, **kw)
    t1 = time.perf_counter()
    ax.figure.savefig(io.BytesIO(), format="png", dpi=110)
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        svg = save_map(ax, Path(d) / "map.svg").stat().st_size
    plt.close(ax.figure)
    print(
        f"{label:<34} plot_map {t1 - t0:5.2f} s  PNG {t2 - t1:5.2f} s  SVG {svg / 1e6:5.2f} MB",
        flush=True,
    )


def main() -> None:
    n_links = int(sys.argv[1]) if len(sys.argv) > 1 else 25_000
    n_towns = int(sys.argv[2]) if len(sys.argv) > 2 else 8_000
    warnings.simplefilter("ignore")
    bundled = tg.load()
    plt.close(plot_map(bundled, countries="LU").figure)  # warm-up: basemap and caches
    for mode in ("auto", "arcs", "flows", "density"):
        measure(f"bundled Europe, links={mode!r}", bundled, links=mode)
    measure("bundled PL, touching", bundled, countries="PL", touching=True)
    measure("bundled town PL-cieszyn", bundled.filter(towns="PL-cieszyn", touching=True),
            highlight="PL-cieszyn")  # fmt: skip
    data = synthetic(n_links, n_towns)
    for mode in ("auto", "arcs"):
        measure(f"synthetic {n_links:,} links, {mode!r}", data, links=mode)


if __name__ == "__main__":
    main()
