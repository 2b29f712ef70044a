"""Build twinning_graph/data/country_bounds.csv: lon/lat bounding boxes of European countries.

Computed from the GeoNames populated places (../shared/data/geonames-europe, CC BY 4.0) as the
minimum and maximum coordinates of each country's places ≥ 1,000 inhabitants. The loader uses
them to tell swapped lat/lon apart from genuinely distant towns (overseas territories).

Usage: python scripts/build_country_bounds.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = ap.parse_args()
    places = pd.read_csv(
        Path(args.shared) / "data/geonames-europe/places1000.csv",
        usecols=["country", "lat", "lon"],
        keep_default_na=False,
    )
    b = places.groupby("country").agg(
        min_lon=("lon", "min"),
        min_lat=("lat", "min"),
        max_lon=("lon", "max"),
        max_lat=("lat", "max"),
    )
    out = ROOT / "twinning_graph/data/country_bounds.csv"
    b.round(3).to_csv(out, lineterminator="\n", float_format="%.3f")
    print(f"wrote {out} ({len(b)} countries)")


if __name__ == "__main__":
    main()
