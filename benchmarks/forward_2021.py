"""A forward check of partner search on real later data: Wikidata links of 2021 that the
bundled 2017 network does not have.

    python benchmarks/forward_2021.py [--shared ../shared]

Reads ``data/wikidata-cities-2021/query.csv`` of the shared folder (a recorded Wikidata
Query Service result of November 2021: cities with population and their P190 partners),
matches both ends of every link to the bundled towns (same folded name and country within
15 km, else the nearest town within 2 km), keeps the transnational pairs the bundled
network does not have and that have an end in one of the 25 countries whose twinnings
the 2017 snapshot listed (a link absent in 2017 is then new or newly recorded), and scores them with :func:`twinning_graph.evaluate_links`: the model fitted on
the whole 2017 network ranks every foreign town for each end, as in the backtest.

The 2021 query covers large cities only (Wikidata items that are instances of "city"), so
this is a check on large towns, not a second backtest.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import twinning_graph as tg
from twinning_graph.lookup import match_places, name_keys

#: The countries whose towns' P190 statements the 2017 snapshot queried.
ORIGINS = set("AT BE BG CY CZ DE DK EE ES FI FR GB HR HU IE IT LT LV NL PL PT RO SE SI SK".split())


def _points(wkt: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    xy = wkt.astype(str).str.extract(r"Point\(([-\d.eE]+) ([-\d.eE]+)\)").astype(float)
    return xy[1].to_numpy(), xy[0].to_numpy()  # lat, lon (WKT is lon lat)


def _match(towns: pd.DataFrame, labels: pd.Series, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Row of the bundled town of each 2021 item (-1: none)."""
    from scipy.spatial import cKDTree

    from twinning_graph._geo import haversine_km

    ok = np.isfinite(lat) & np.isfinite(lon)
    tlat, tlon = towns["lat"].to_numpy(float), towns["lon"].to_numpy(float)

    def xyz(la: np.ndarray, lo: np.ndarray) -> np.ndarray:
        la, lo = np.radians(la), np.radians(lo)
        return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

    _, near = cKDTree(xyz(tlat, tlon)).query(xyz(np.where(ok, lat, 0), np.where(ok, lon, 0)))
    country = towns["country"].astype(str).to_numpy()[near]  # the country of the nearest town
    keys = np.array(name_keys(labels.astype(str)))
    row = match_places(
        np.array(name_keys(towns["name"].astype(str))),
        towns["country"].astype(str).to_numpy(),
        tlat,
        tlon,
        np.full(len(towns), -1),
        keys,
        country,
        lat,
        lon,
        np.full(len(keys), -1),
    )
    d = haversine_km(lat, lon, tlat[near], tlon[near])
    row = np.where((row < 0) & (d <= 2.0), near, row)
    return np.where(ok, row, -1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", default="../shared", help="the shared data folder")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    q = pd.read_csv(Path(args.shared) / "data" / "wikidata-cities-2021" / "query.csv")
    data = tg.load()
    towns = data.towns
    clat, clon = _points(q["city_coordinate_location"])
    slat, slon = _points(q["sister_coordinate_location"])
    a = _match(towns, q["cityLabel"], clat, clon)
    b = _match(towns, q["sisterLabel"], slat, slon)
    both = (a >= 0) & (b >= 0) & (a != b)
    ids = towns.index.to_numpy()
    pairs = pd.DataFrame({"town_a": ids[a[both]], "town_b": ids[b[both]]})
    country = towns["country"].astype(str)
    origin = (
        country.reindex(pairs["town_a"]).isin(ORIGINS).to_numpy()
        | country.reindex(pairs["town_b"]).isin(ORIGINS).to_numpy()
    )
    pairs = pairs[origin]
    print(
        f"{len(q):,} statements; {int(both.sum()):,} with both ends in the bundled towns; "
        f"{len(pairs):,} with an end in the 2017 origin countries"
    )
    res = tg.evaluate_links(data, pairs)
    print(f"{res.queries:,} queries, {res.shared_queries:,} share a partner with the new partner")
    cols = [
        "hits@10",
        "hits@50",
        "mrr",
        "shared hits@10",
        "not shared hits@10",
        "not shared hits@50",
    ]
    print(res.table[cols].round(4).to_string())
    print({k: round(v, 2) for k, v in res.lift().items()})


if __name__ == "__main__":
    main()
