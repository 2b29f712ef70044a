"""What-if at 100k towns: igraph's Leiden in clusters._leiden, and the report using it.

    python benchmarks/whatif/leiden_report.py

Patches twinning_graph.clusters at run time (no file touched); a prototype for
docs/performance.md, not a tool.
"""

from __future__ import annotations

import random
import time
import warnings
from typing import Any

import matplotlib

matplotlib.use("Agg")

import igraph as ig  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from twinning_graph import clusters  # noqa: E402
from twinning_graph.synthetic import synthetic_network  # noqa: E402


def leiden_igraph(edges: pd.DataFrame, *, seed: int | None,
                  resolution: float) -> list[list[str]]:
    """The proposed body of clusters._leiden: igraph's C Leiden, seeded."""
    e = edges.sort_values(["town_a", "town_b"])
    nodes = pd.Index(sorted(set(e["town_a"]) | set(e["town_b"])))
    g = ig.Graph(n=len(nodes), edges=np.column_stack([nodes.get_indexer(e["town_a"]),
                                                      nodes.get_indexer(e["town_b"])]).tolist())
    g.es["weight"] = e["weight"].astype(float).tolist()
    ig.set_random_number_generator(random.Random(seed))
    try:
        part = g.community_leiden(objective_function="modularity", weights="weight",
                                  resolution=resolution, n_iterations=2)
    finally:
        ig.set_random_number_generator(random)
    membership = np.asarray(part.membership)
    return [list(nodes[idx]) for idx in pd.Series(np.arange(len(nodes))).groupby(
        membership).indices.values()]


def main() -> None:
    warnings.simplefilter("ignore")
    d = synthetic_network(100_000, 250_000, 2_000, seed=0)
    _ = d.edges
    t0 = time.perf_counter()
    a = clusters.communities(d, method="leiden", seed=0)
    t_old = time.perf_counter() - t0
    clusters._leiden = leiden_igraph
    t0 = time.perf_counter()
    b = clusters.communities(d, method="leiden", seed=0)
    t_new = time.perf_counter() - t0
    again = clusters.communities(d, method="leiden", seed=0)
    print(f"leiden: leidenalg {t_old:.2f} s -> igraph community_leiden {t_new:.2f} s; "
          f"communities {a.max() + 1} vs {b.max() + 1}; deterministic {b.equals(again)}")

    original = clusters.communities

    def leiden_default(data: Any, *, seed: int | None = 0, resolution: float = 1.0,
                       method: str = "leiden") -> pd.Series:
        return original(data, seed=seed, resolution=resolution, method=method)

    clusters.communities = leiden_default
    from twinning_graph.report import build_report

    t0 = time.perf_counter()
    build_report(d, path="/tmp/whatif_report/europe.html")
    print(f"report with leiden (igraph) communities: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
