"""Time ``calls.country_eligibility`` on many rows (the ranking calls it per candidate row).

Rows are drawn (seeded) from the countries of the bundled towns, so the mix of EU,
candidate and other countries is real; the first call per process also builds the cached
country facts of the call year, timed separately.

    python benchmarks/country_eligibility_bench.py [n_rows]
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

import twinning_graph as tg
from twinning_graph.calls import country_eligibility


def main(n: int = 1_000_000) -> None:
    codes = tg.load().towns["country"].astype(str).to_numpy()
    rows = pd.Series(np.random.default_rng(0).choice(codes, size=n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        country_eligibility(rows.iloc[:10], "CERV-2025-CITIZENS-TOWN-NT")
        t1 = time.perf_counter()
        table = country_eligibility(rows, "CERV-2025-CITIZENS-TOWN-NT")
        t2 = time.perf_counter()
    print(f"first call (builds the call's country facts): {t1 - t0:.3f} s")
    print(f"{n:,} rows, {rows.nunique()} countries: {t2 - t1:.3f} s")
    print(table["eligible"].value_counts().to_string())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
