"""Loader cost and code-page detection quality (issue 16).

1. CPU time of ``tg.load()`` on the bundled data (12,352 towns, 15,395 partnership rows):
   the reader parses with the csv module to keep physical line numbers and checks every
   cell for control characters.
2. How often a file saved by Excel in a Windows code page is read exactly, refused ("save
   it as UTF-8"), or read wrongly (mojibake: must be 0). Files are built from the real
   names of the bundled towns of each country, encoded in the code page Excel uses there,
   1, 3, 10 or 30 random names per file, without a country column (the harder case).

    python benchmarks/loader_bench.py [--files 20]
"""

from __future__ import annotations

import argparse
import collections
import time
import warnings

import numpy as np
import pandas as pd

import twinning_graph as tg
from twinning_graph._encoding import CODEPAGES, guess_codepage
from twinning_graph.io import bundled_data_dir


def load_time(repeats: int = 9) -> tuple[float, float]:
    tg.load()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        tg.load()
        times.append(time.process_time() - t0)
    times.sort()
    return times[0], times[len(times) // 2]


def detection(files: int, seed: int = 0) -> dict[tuple[int, str], int]:
    towns = pd.read_csv(bundled_data_dir() / "towns.csv", dtype=str, keep_default_na=False)
    codepage_of = {c: cp for cp, (_, cs) in CODEPAGES.items() for c in cs}
    rng = np.random.default_rng(seed)
    counts: collections.Counter[tuple[int, str]] = collections.Counter()
    for country, group in towns.groupby("country"):
        cp = codepage_of.get(str(country), "cp1252")
        if cp == "cp1257":  # Baltic files are recognised from their country column only
            continue
        encoded = []
        for name in group["name"]:
            if any(ord(c) > 127 for c in name):
                try:
                    encoded.append(name.encode(cp))
                except UnicodeEncodeError:
                    pass
        if len(encoded) < 3:
            continue
        for size in (1, 3, 10, 30):
            for _ in range(files):
                pick = rng.choice(len(encoded), size=size, replace=True)
                raw = b"town_id,name\n" + b"\n".join(b"x," + encoded[i] for i in pick) + b"\n"
                got, _ = guess_codepage(raw)
                if got is None:
                    counts[(size, "refused")] += 1
                elif raw.decode(got) == raw.decode(cp):
                    counts[(size, "exact")] += 1
                else:
                    counts[(size, "WRONG")] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20, help="files per country and size")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    low, mid = load_time()
    print(f"tg.load() CPU time: min {low:.3f} s, median {mid:.3f} s")
    counts = detection(args.files)
    for size in (1, 3, 10, 30):
        total = sum(v for (s, _), v in counts.items() if s == size)
        parts = ", ".join(
            f"{kind} {counts[(size, kind)] / total:.1%}" for kind in ("exact", "refused", "WRONG")
        )
        print(f"{size:>2} names per file ({total} files): {parts}")


if __name__ == "__main__":
    main()
