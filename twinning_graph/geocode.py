"""Geocoding town names: offline against the shipped GeoNames gazetteer, optionally online.

The offline matcher is vectorised: input names are normalised (:func:`normalise_name`) and
merged with the gazetteer's name index on ``(key, country)``. Exact primary-name matches win
over alternate-name matches, which win over fuzzy matches. Several places sharing a key in a
country are reported as ``ambiguous`` with the candidates listed, never silently resolved,
except under the population rule (see :func:`geocode`).

Gazetteer data: GeoNames (geonames.org), CC BY 4.0.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import DataWarning, ValidationError

__all__ = ["geocode", "normalise_name", "to_towns", "MATCH_KINDS"]

logger = logging.getLogger(__name__)

#: Values of the ``match_kind`` column written by :func:`geocode`.
MATCH_KINDS = ("exact", "alternate", "fuzzy", "ambiguous", "none", "online", "error")

#: Kinds counted as resolved (a place and coordinates were found).
RESOLVED_KINDS = ("exact", "alternate", "fuzzy", "online")

# --------------------------------------------------------------------------------------------
# Name normalisation
# --------------------------------------------------------------------------------------------

# Letters that Unicode NFKD does not decompose into a base letter + accent.
_LETTERS = str.maketrans(
    {
        "ß": "ss", "ẞ": "ss", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae",
        "œ": "oe", "Œ": "oe", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
        "ı": "i", "ħ": "h", "Ħ": "h", "ŧ": "t", "Ŧ": "t", "ĸ": "k", "ŀ": "l", "Ŀ": "l",
        "ŉ": "n", "ſ": "s", "ƒ": "f", "ǝ": "e", "ə": "e", "Ə": "e",
    }
)
_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"

# Administrative words in front of or behind a town's name, as they appear *after* the
# basic normalisation (casefolded, accents stripped, punctuation replaced by spaces).
_PREFIXES = (
    # German
    "freie und hansestadt", "freie hansestadt", "landeshauptstadt", "hansestadt", "lutherstadt",
    "universitatsstadt", "wissenschaftsstadt", "grosse kreisstadt", "kreisstadt",
    "stadtgemeinde", "marktgemeinde", "ortsgemeinde", "gemeinde", "stadt", "markt",
    "kurort", "barockstadt",
    # French, Italian, Spanish, Portuguese, Catalan, Galician, Romanian
    "ville de", "ville d", "commune de", "commune d", "commune of", "comune di", "comune de",
    "citta di", "citta de", "municipio de", "municipio di", "municipio da", "municipio do",
    "ayuntamiento de", "concello de", "ajuntament de", "ajuntament d", "concelho de",
    "municipiul", "orasul", "oras", "comuna",
    # Central and Eastern Europe
    "statutarni mesto", "mesto", "miasto i gmina", "miasto", "gmina", "obec", "grad",
    "opcina", "obcina", "mestna obcina", "opstina", "obshtina", "obshchina", "gemeente",
    # English
    "royal borough of", "london borough of", "metropolitan borough of", "county borough of",
    "borough of", "city and county of", "city of", "town of", "district of",
    "municipality of", "the",
)
_SUFFIXES = (
    # English (often in Wikidata labels)
    "urban municipality", "rural municipality", "municipality", "municipal district",
    "metropolitan borough", "borough council", "district council", "city council",
    "town council", "urban district", "rural district", "borough", "district", "city",
    "town", "village", "commune", "parish",
    # Nordic, Baltic, Dutch, German, Hungarian
    "kommune", "kommun", "kunta", "kaupunki", "stad", "gemeente", "gemeinde", "stadt",
    "vald", "linn", "novads", "pilseta", "rajono savivaldybe", "miesto savivaldybe",
    "savivaldybe", "varos", "kozseg", "municipiu", "kerulet", "kerulete",
)


def _alternation(words: Iterable[str]) -> str:
    # longest first so that "marktgemeinde" wins over "markt"
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_PREFIX_RE = rf"^(?:(?:{_alternation(_PREFIXES)}) )+"
_SUFFIX_RE = rf"(?: (?:{_alternation(_SUFFIXES)}))+$"
# A qualifier: "Porcia, Friuli-Venezia Giulia", "Frankfurt (Oder)", "Neustadt [Hessen]".
_QUALIFIER_RE = r"^\s*([^,(\[]*?)\s*(?:[,(\[]\s*(.*?)[\s)\]]*)?$"


def _basic(series: pd.Series) -> pd.Series:
    """Casefold, strip accents, drop punctuation and collapse spaces (no word stripping)."""
    s = series.astype("str").fillna("")
    s = s.str.translate(_LETTERS).str.normalize("NFKD")
    s = s.str.replace(_COMBINING, "", regex=True).str.casefold()
    # apostrophes join nothing: "Villeneuve-d'Ascq" == "Villeneuve d Ascq"
    s = s.str.replace(r"[\W_]+", " ", regex=True).str.strip()
    # one spelling for the saint abbreviations: "St. Pölten" == "Sankt Pölten"
    s = s.str.replace(r"\b(?:saint|sankt|sint|skt)\b", "st", regex=True)
    return s.str.replace(r"\bsainte\b", "ste", regex=True)


def _strip_admin_words(basic: pd.Series) -> pd.Series:
    """Remove administrative prefixes and suffixes from already basic-normalised keys."""
    stripped = basic.str.replace(_PREFIX_RE, "", regex=True)
    stripped = stripped.str.replace(_SUFFIX_RE, "", regex=True)
    # never strip a name down to nothing ("Stadt" alone stays "stadt")
    return stripped.where(stripped.str.len() > 0, basic)


def _split_qualifier(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split ``"Porcia, Friuli-Venezia Giulia"`` into ``("Porcia", "Friuli-Venezia Giulia")``."""
    s = series.astype("str").fillna("")
    parts = s.str.extract(_QUALIFIER_RE)
    head = parts[0].fillna("")
    head = head.where(head.str.len() > 0, s)
    return head, parts[1].fillna("")


def normalise_name(series: pd.Series | Iterable[str]) -> pd.Series:
    """Normalise place names into matching keys.

    Casefolds, strips accents (Unicode NFKD; letters that do not decompose are
    transliterated: ß→ss, ł→l, ø→o, æ→ae, đ→d, ...), replaces punctuation by spaces,
    collapses spaces, drops a qualifier after a comma or in parentheses
    (``"Porcia, Friuli-Venezia Giulia"`` → ``"porcia"``) and strips administrative
    prefixes and suffixes (``"Gemeinde"``, ``"Ville de"``, ``"Comune di"``, ``"Gmina"``,
    ``"City of"``, ``"Landeshauptstadt"``, ``"kommun"``, ``"Municipality"``, ...).
    Non-Latin scripts are kept (accents stripped), so ``"Θεσσαλονίκη"`` and
    ``"Кёльн"`` match the gazetteer's alternate names.

    Parameters
    ----------
    series : Series or iterable of str
        Names; missing values become ``""``.

    Returns
    -------
    Series
        The keys (``str``), indexed like the input.

    Examples
    --------
    >>> from twinning_graph.geocode import normalise_name
    >>> normalise_name(["Köln", "Gemeinde Großwallstadt", "Ville de Lyon",
    ...                 "Porcia, Friuli-Venezia Giulia", "Łódź", "Θεσσαλονίκη"]).tolist()
    ['koln', 'grosswallstadt', 'lyon', 'porcia', 'lodz', 'θεσσαλονικη']
    """
    s = series if isinstance(series, pd.Series) else pd.Series(list(series), dtype="str")
    head, _ = _split_qualifier(s)
    return _strip_admin_words(_basic(head))


# --------------------------------------------------------------------------------------------
# Countries
# --------------------------------------------------------------------------------------------

# Fallback used when twinning_graph.countries is unavailable: English and native names of the
# gazetteer's countries (keys are basic-normalised).
_COUNTRY_NAMES = {
    "AD": ("andorra",), "AL": ("albania", "shqiperia"),
    "AT": ("austria", "osterreich"), "BA": ("bosnia and herzegovina", "bosnia", "bosna i hercegovina"),
    "BE": ("belgium", "belgie", "belgique", "belgien"), "BG": ("bulgaria", "balgariya", "българия"),
    "CH": ("switzerland", "schweiz", "suisse", "svizzera"), "CY": ("cyprus", "kypros", "κυπρος"),
    "CZ": ("czechia", "czech republic", "cesko", "ceska republika"),
    "DE": ("germany", "deutschland"), "DK": ("denmark", "danmark"),
    "EE": ("estonia", "eesti"), "ES": ("spain", "espana"), "FI": ("finland", "suomi"),
    "FR": ("france",), "GB": ("united kingdom", "uk", "great britain", "britain", "england",
                              "scotland", "wales", "northern ireland"),
    "GE": ("georgia", "sakartvelo"), "GR": ("greece", "ellada", "hellas", "ελλαδα"),
    "HR": ("croatia", "hrvatska"), "HU": ("hungary", "magyarorszag"),
    "IE": ("ireland", "eire", "republic of ireland"), "IS": ("iceland", "island"),
    "IT": ("italy", "italia"), "LI": ("liechtenstein",), "LT": ("lithuania", "lietuva"),
    "LU": ("luxembourg", "luxemburg", "letzebuerg"), "LV": ("latvia", "latvija"),
    "MC": ("monaco",), "MD": ("moldova", "republic of moldova"), "ME": ("montenegro", "crna gora"),
    "MK": ("north macedonia", "macedonia", "severna makedonija"), "MT": ("malta",),
    "NL": ("netherlands", "the netherlands", "nederland", "holland"), "NO": ("norway", "norge"),
    "PL": ("poland", "polska"), "PT": ("portugal",), "RO": ("romania",),
    "RS": ("serbia", "srbija"), "SE": ("sweden", "sverige"), "SI": ("slovenia", "slovenija"),
    "SK": ("slovakia", "slovensko", "slovak republic"), "SM": ("san marino",),
    "TR": ("turkey", "turkiye"), "UA": ("ukraine", "ukraina"), "VA": ("vatican", "holy see"),
    "XK": ("kosovo",),
}
_NAME_TO_CODE = {n: c for c, names in _COUNTRY_NAMES.items() for n in names}
_ALIASES = {"EL": "GR", "UK": "GB"}


def _country_code(value: str) -> str | None:
    """One country value (code or name) → ISO alpha-2, or None when unknown."""
    text = value.strip()
    if not text:
        return None
    try:  # the package's country table, when present
        from twinning_graph import countries as _countries

        try:
            code = _countries.normalise_country(text)
            if isinstance(code, str) and len(code) == 2:
                return code
        except Exception:  # noqa: BLE001 - unknown value: try the name lookup
            pass
        if hasattr(_countries, "country_from_name"):
            try:
                code = _countries.country_from_name(text)
                if isinstance(code, str) and len(code) == 2:
                    return code
            except Exception:  # noqa: BLE001
                pass
    except ImportError:
        pass
    upper = text.upper()
    if len(upper) == 2 and upper.isalpha():
        upper = _ALIASES.get(upper, upper)
        return upper if upper in _COUNTRY_NAMES else None
    key = _basic(pd.Series([text])).iloc[0]
    return _NAME_TO_CODE.get(key)


def _country_codes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalise a column of country codes/names; returns (codes or <NA>, unknown mask)."""
    text = values.astype("str").fillna("").str.strip()
    uniques = {v: _country_code(v) for v in text.unique()}  # a few dozen distinct values
    codes = text.map(uniques).astype("str")
    unknown = codes.isna() & (text != "")
    return codes, unknown


# Names of first-level regions (GeoNames admin-1 codes) for the countries whose towns most
# often carry a region qualifier ("Essen, Lower Saxony"). English and native names.
_ADMIN1_NAMES = {
    "DE": {"01": "Baden-Württemberg", "02": "Bavaria|Bayern", "03": "Bremen",
           "04": "Hamburg", "05": "Hesse|Hessen", "06": "Lower Saxony|Niedersachsen",
           "07": "North Rhine-Westphalia|Nordrhein-Westfalen|NRW",
           "08": "Rhineland-Palatinate|Rheinland-Pfalz", "09": "Saarland",
           "10": "Schleswig-Holstein", "11": "Brandenburg",
           "12": "Mecklenburg-Vorpommern|Mecklenburg-Western Pomerania",
           "13": "Saxony|Sachsen", "14": "Saxony-Anhalt|Sachsen-Anhalt",
           "15": "Thuringia|Thüringen", "16": "Berlin"},
    "AT": {"01": "Burgenland", "02": "Carinthia|Kärnten", "03": "Lower Austria|Niederösterreich",
           "04": "Upper Austria|Oberösterreich", "05": "Salzburg", "06": "Styria|Steiermark",
           "07": "Tyrol|Tirol", "08": "Vorarlberg", "09": "Vienna|Wien"},
    "IT": {"01": "Abruzzo", "02": "Basilicata", "03": "Calabria", "04": "Campania",
           "05": "Emilia-Romagna", "06": "Friuli-Venezia Giulia", "07": "Lazio",
           "08": "Liguria", "09": "Lombardy|Lombardia", "10": "Marche", "11": "Molise",
           "12": "Piedmont|Piemonte", "13": "Apulia|Puglia", "14": "Sardinia|Sardegna",
           "15": "Sicily|Sicilia",  "16": "Tuscany|Toscana",
           "17": "Trentino-Alto Adige|Trentino-South Tyrol|South Tyrol|Südtirol|Trentino",
           "18": "Umbria", "19": "Aosta Valley|Valle d'Aosta", "20": "Veneto"},
    "ES": {"07": "Balearic Islands|Illes Balears|Islas Baleares", "27": "La Rioja",
           "29": "Community of Madrid|Madrid", "31": "Region of Murcia|Murcia",
           "32": "Navarre|Navarra", "34": "Asturias", "39": "Cantabria",
           "51": "Andalusia|Andalucía", "52": "Aragon|Aragón", "53": "Canary Islands|Canarias",
           "54": "Castilla-La Mancha|Castile-La Mancha", "55": "Castile and León|Castilla y León",
           "56": "Catalonia|Cataluña|Catalunya", "57": "Extremadura", "58": "Galicia",
           "59": "Basque Country|País Vasco|Euskadi",
           "60": "Valencian Community|Comunidad Valenciana"},
    "PL": {"72": "Lower Silesian|Dolnośląskie", "73": "Kuyavian-Pomeranian|Kujawsko-Pomorskie",
           "74": "Łódź|Łódzkie", "75": "Lublin|Lubelskie", "76": "Lubusz|Lubuskie",
           "77": "Lesser Poland|Małopolskie", "78": "Masovian|Mazowieckie",
           "79": "Opole|Opolskie", "80": "Subcarpathian|Podkarpackie", "81": "Podlaskie|Podlasie",
           "82": "Pomeranian|Pomorskie", "83": "Silesian|Śląskie",
           "84": "Świętokrzyskie|Holy Cross", "85": "Warmian-Masurian|Warmińsko-Mazurskie",
           "86": "Greater Poland|Wielkopolskie", "87": "West Pomeranian|Zachodniopomorskie"},
    "GB": {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"},
    "NL": {"01": "Drenthe", "02": "Friesland|Fryslân", "03": "Gelderland", "04": "Groningen",
           "05": "Limburg", "06": "North Brabant|Noord-Brabant",
           "07": "North Holland|Noord-Holland", "09": "Utrecht", "10": "Zeeland",
           "11": "South Holland|Zuid-Holland", "15": "Overijssel", "16": "Flevoland"},
    "BE": {"BRU": "Brussels|Bruxelles|Brussel", "VLG": "Flanders|Vlaanderen",
           "WAL": "Wallonia|Wallonie"},
    "FR": {"11": "Île-de-France", "24": "Centre-Val de Loire",
           "27": "Bourgogne-Franche-Comté", "28": "Normandy|Normandie",
           "32": "Hauts-de-France", "44": "Grand Est", "52": "Pays de la Loire",
           "53": "Brittany|Bretagne", "75": "Nouvelle-Aquitaine", "76": "Occitanie|Occitania",
           "84": "Auvergne-Rhône-Alpes", "93": "Provence-Alpes-Côte d'Azur|PACA",
           "94": "Corsica|Corse"},
    "CH": {"AG": "Aargau", "BE": "Bern|Berne", "BL": "Basel-Landschaft", "BS": "Basel-Stadt",
           "FR": "Fribourg|Freiburg", "GE": "Geneva|Genève|Genf", "GR": "Graubünden|Grisons",
           "LU": "Lucerne|Luzern", "SG": "St. Gallen", "SO": "Solothurn", "TG": "Thurgau",
           "TI": "Ticino|Tessin", "VD": "Vaud|Waadt", "VS": "Valais|Wallis",
           "ZH": "Zurich|Zürich", "ZG": "Zug", "SZ": "Schwyz"},
}
_REGION_WORDS = r"(?: (?:voivodeship|region|province|state|land|canton|county|autonomous community))+$"


def _admin1_lookup() -> dict[tuple[str, str], str]:
    """``(country, normalised region name) -> admin-1 code``, built once."""
    if not _ADMIN1_KEYS:
        entries = [(cc, code, name) for cc, regions in _ADMIN1_NAMES.items()
                   for code, names in regions.items() for name in names.split("|")]
        keys = _basic(pd.Series([e[2] for e in entries], dtype="str"))
        for (cc, code, _), key in zip(entries, keys, strict=True):
            _ADMIN1_KEYS[(cc, key)] = code
    return _ADMIN1_KEYS


_ADMIN1_KEYS: dict[tuple[str, str], str] = {}


def _qualifier_admin1(qualifier: pd.Series, codes: pd.Series) -> np.ndarray:
    """The admin-1 code a row's qualifier names (``"Lower Saxony"`` → ``"06"``), or ``""``."""
    lookup = _admin1_lookup()
    key = _basic(qualifier).str.replace(_REGION_WORDS, "", regex=True).to_numpy(dtype=object)
    country = codes.fillna("").to_numpy(dtype=object)
    out = np.full(len(key), "", dtype=object)
    for r in np.flatnonzero(key != ""):  # rows with a qualifier only
        out[r] = lookup.get((country[r], key[r]), "")
    return out


def _country_name(code: str) -> str:
    """English name of a country code, for online queries."""
    try:
        from twinning_graph.countries import country_table

        table = country_table()
        if code in table.index and "name" in table.columns:
            return str(table.at[code, "name"])
    except Exception:  # noqa: BLE001 - the fallback below is good enough for a query string
        pass
    names = _COUNTRY_NAMES.get(code)
    return names[0].title() if names else code


# --------------------------------------------------------------------------------------------
# Offline matching
# --------------------------------------------------------------------------------------------

#: Population rule: several candidates share a name, but the most populous one has at least
#: ``POPULATION_RATIO`` times the inhabitants of the next one and at least
#: ``POPULATION_MIN`` inhabitants (``POPULATION_MIN_ANY_COUNTRY`` when no country is given).
POPULATION_RATIO = 10
POPULATION_MIN = 10_000
POPULATION_MIN_ANY_COUNTRY = 100_000
#: Candidates this close to the most populous one are taken as the same place.
SAME_PLACE_KM = 10.0
#: difflib similarity a fuzzy match needs; names shorter than FUZZY_MIN_LENGTH are not fuzzed.
FUZZY_CUTOFF = 0.85
#: Fuzzy confidence = FUZZY_WEIGHT × similarity, i.e. below the default min_confidence: on the
#: Wikidata twin towns only ~10 % of fuzzy matches were within 10 km (most unmatched names are
#: villages missing from the gazetteer, and difflib finds a similar-looking other town).
FUZZY_WEIGHT = 0.5
FUZZY_MIN_LENGTH = 5
#: At most this many candidates are listed for an ambiguous row.
MAX_CANDIDATES = 25

_STAGE_NOTES = {
    0: "",
    1: "matched without the qualifier {qualifier!r}",
    2: "matched after stripping administrative words",
    3: "matched on the first of several '/'-separated names",
    4: "matched on the first part of a joined name (unique candidate only)",
}

def _stage_keys(raw: pd.Series) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Keys to try for each input row, most literal first (stage 0 → 3)."""
    head, qualifier = _split_qualifier(raw)
    full = _basic(raw)
    head_key = _basic(head)
    stripped = _strip_admin_words(head_key)
    slash = _strip_admin_words(_basic(head.str.split("/").str[0].fillna("")))
    # "Barking and Dagenham", "Lampedusa e Linosa": districts named after their towns. Not
    # hyphens: "Thorigné-Fouillard" is one French town, and its "Thorigné" another one.
    part = _strip_admin_words(_basic(
        head.str.split(r"\s+(?:and|und|et|e|y|i|og|och|en)\s+", regex=True)
        .str[0].fillna("")))
    part = part.where(part.str.len() >= 5, "")
    rows = np.arange(len(raw))
    stages = pd.concat(
        [
            pd.DataFrame({"row": rows, "key": k.to_numpy(dtype=object), "stage": i})
            for i, k in enumerate((full, head_key, stripped, slash, part))
        ],
        ignore_index=True,
    )
    stages = stages[stages["key"].str.len() > 0].drop_duplicates(["row", "key"])
    return stages, stripped, qualifier


def _candidates(stages: pd.DataFrame, row_country: np.ndarray,
                row_region: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Gazetteer places matching a row's keys at the row's best stage, in its country/region.

    Also returns the rows whose only candidates lie outside the region their qualifier names.
    """
    from twinning_graph._gazetteer import _names_table, _places_table

    gaz = _places_table()
    cand = stages.merge(_names_table(), on="key", how="inner", sort=False)
    cand = cand.join(gaz[["name", "country", "admin1", "population"]], on="geonames_id")
    rows = cand["row"].to_numpy()
    want = row_country[rows]
    cand = cand[(want == "") | (cand["country"].to_numpy(dtype=object) == want)]
    region = row_region[cand["row"].to_numpy()]
    in_region = (region == "") | (cand["admin1"].to_numpy(dtype=object) == region)
    elsewhere = np.setdiff1d(cand["row"].to_numpy(), cand.loc[in_region, "row"].to_numpy())
    cand = cand[in_region]
    cand = cand[cand["stage"] == cand.groupby("row")["stage"].transform("min")]
    cand = cand.assign(krank=(cand["kind"] == "alternate").to_numpy().astype(np.int8))
    cand = cand.sort_values(["row", "krank", "population", "geonames_id"],
                            ascending=[True, True, False, True], kind="stable")
    cand = cand.drop_duplicates(["row", "geonames_id"])
    cand["best"] = cand["krank"] == cand.groupby("row")["krank"].transform("min")
    return cand.reset_index(drop=True), elsewhere


def _format_candidates(cand: pd.DataFrame) -> pd.Series:
    """Per row: ``"geonames_id:name:admin1:population;..."``, most populous first."""
    cand = cand.sort_values(["row", "population", "geonames_id"], ascending=[True, False, True])
    cand = cand[cand.groupby("row").cumcount() < MAX_CANDIDATES]
    text = (cand["geonames_id"].astype("str") + ":" + cand["name"].str.replace(";", ",")
            + ":" + cand["admin1"] + ":" + cand["population"].astype("str"))
    return text.groupby(cand["row"].to_numpy()).agg(";".join)


def _population_pick(group: pd.DataFrame, minimum: int) -> tuple[int | None, str]:
    """Apply the population rule to one row's candidates (sorted by population, descending)."""
    pops = group["population"].to_numpy()
    if len(pops) >= 2 and pops[0] >= minimum and pops[0] >= POPULATION_RATIO * pops[1]:
        note = (f"population rule: chose {group['name'].iloc[0]} ({pops[0]:,} inhabitants) over "
                f"{len(pops) - 1} other place(s) of that name (largest {pops[1]:,})")
        return int(group.index[0]), note
    return None, ""


def _same_place_pick(group: pd.DataFrame) -> tuple[int | None, str]:
    """Candidates all within SAME_PLACE_KM of the most populous one count as one place.

    GeoNames often lists a town and a section or namesake village next to it; picking the
    most populous entry then cannot be wrong by more than SAME_PLACE_KM.
    """
    from twinning_graph._gazetteer import _places_table

    coords = _places_table().loc[group.index, ["lat", "lon"]].to_numpy()
    lat, lon = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    a = (np.sin((lat - lat[0]) / 2) ** 2
         + np.cos(lat[0]) * np.cos(lat) * np.sin((lon - lon[0]) / 2) ** 2)
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(a))
    if km.max() <= SAME_PLACE_KM:
        note = (f"{len(group)} places of that name lie within {km.max():.1f} km of each other: "
                f"took the most populous, {group['name'].iloc[0]}")
        return int(group.index[0]), note
    return None, ""


class _Result:
    """Per-row output columns, filled stage by stage."""

    def __init__(self, n: int) -> None:
        self.gid = np.full(n, -1, dtype=np.int64)
        self.kind = np.full(n, "none", dtype=object)
        self.confidence = np.zeros(n, dtype=np.float64)
        self.candidates = np.full(n, "", dtype=object)
        self.note = np.full(n, "", dtype=object)
        self.lat = np.full(n, np.nan)
        self.lon = np.full(n, np.nan)
        self.matched = np.full(n, "", dtype=object)
        self.tried = np.zeros(n, dtype=bool)  # had offline candidates (fuzzy is not tried)

    def add_note(self, rows: Any, text: str | Iterable[str]) -> None:
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        texts = [text] * len(rows) if isinstance(text, str) else list(text)
        for r, t in zip(rows, texts, strict=True):
            if t:
                self.note[r] = f"{self.note[r]}; {t}" if self.note[r] else t


def _resolve_offline(raw: pd.Series, codes: pd.Series, res: _Result) -> pd.Series:
    """Exact and alternate matching plus ambiguity handling; returns the stripped keys."""
    stages, stripped, qualifier = _stage_keys(raw)
    row_country = codes.fillna("").to_numpy(dtype=object)
    row_region = _qualifier_admin1(qualifier, codes)
    cand, elsewhere = _candidates(stages, row_country, row_region)
    res.tried[elsewhere] = True
    res.tried[cand["row"].to_numpy()] = True
    res.kind[elsewhere] = "none"
    res.add_note(elsewhere, [f"no place of that name in {qualifier.iloc[r]!r} (region "
                             f"{row_country[r]}-{row_region[r]}); other regions have one"
                             for r in elsewhere])
    if cand.empty:
        return stripped
    top = cand[cand["best"]]
    count = top.groupby("row").size()
    stage = cand.groupby("row")["stage"].first()
    first = top.drop_duplicates("row").set_index("row")

    picked = pd.Series(-1, index=count.index, dtype=np.int64)
    factor = pd.Series(1.0, index=count.index)
    unique = count.index[count.to_numpy() == 1]
    picked[unique] = first.loc[unique, "geonames_id"].to_numpy()

    # Several places share the name: try the qualifier, then the population rule. A loop over
    # ambiguous rows only (typically a few percent of the input).
    qual = qualifier.to_numpy(dtype=object)
    for row, group in top[top["row"].isin(count.index[count.to_numpy() > 1])].groupby("row"):
        if stage[row] >= 4:  # part of a name is too weak to choose between places
            continue
        group = group.set_index("geonames_id")
        q = str(qual[row]).strip()
        if q:
            narrowed = _narrow_by_qualifier(group, q, row_country[row] == "")
            if len(narrowed) == 1:
                picked[row] = int(narrowed.index[0])
                factor[row] = 0.95
                res.add_note(row, f"qualifier {q!r} picked one of {len(group)} places")
                continue
            if len(narrowed) > 1:
                group = narrowed
        gid, note = _same_place_pick(group)
        if gid is not None:
            picked[row] = gid
            factor[row] = 0.9
            res.add_note(row, note)
            continue
        minimum = POPULATION_MIN if row_country[row] else POPULATION_MIN_ANY_COUNTRY
        gid, note = _population_pick(group, minimum)
        if gid is not None:
            picked[row] = gid
            factor[row] = 0.8
            res.add_note(row, note)

    ok = picked.to_numpy() >= 0
    rows = picked.index.to_numpy()
    good_rows, good_gid = rows[ok], picked.to_numpy()[ok]
    kinds = cand.set_index(["row", "geonames_id"])["kind"]
    kind = kinds.loc[list(zip(good_rows, good_gid, strict=True))].to_numpy()
    conf = np.where(kind == "primary", 1.0, 0.95)
    conf = conf - 0.05 * (stage[good_rows].to_numpy() > 0) - 0.1 * (row_country[good_rows] == "")
    res.gid[good_rows] = good_gid
    res.kind[good_rows] = np.where(kind == "primary", "exact", "alternate")
    res.confidence[good_rows] = np.round(conf * factor[good_rows].to_numpy(), 3)
    in_region = good_rows[row_region[good_rows] != ""]
    res.add_note(in_region, [f"qualifier {qual[r]!r} read as region {row_country[r]}-"
                             f"{row_region[r]}" for r in in_region])
    for s in (1, 2, 3, 4):
        hit = good_rows[(stage[good_rows].to_numpy() == s) & (row_region[good_rows] == "")]
        res.add_note(hit, [_STAGE_NOTES[s].format(qualifier=qual[r]) for r in hit])

    amb = rows[~ok]
    if len(amb):
        listed = _format_candidates(cand[cand["row"].isin(amb)])
        res.kind[amb] = "ambiguous"
        res.candidates[amb] = listed.loc[amb].to_numpy()
        n_cand = cand[cand["row"].isin(amb)].groupby("row").size().loc[amb].to_numpy()
        res.add_note(amb, [f"{k} places match; add a qualifier or a country, or pick one of the "
                           "candidates" for k in n_cand])
    return stripped


def _narrow_by_qualifier(group: pd.DataFrame, qualifier: str, any_country: bool) -> pd.DataFrame:
    """Candidates whose names, admin-1 code or (without a country) country fit the qualifier."""
    from twinning_graph._gazetteer import _names_table

    if any_country:
        code = _country_code(qualifier)
        if code is not None:
            return group[group["country"] == code]
    q = _basic(pd.Series([qualifier])).iloc[0]
    if not q:
        return group.iloc[:0]
    idx = _names_table()
    keys = idx[idx["geonames_id"].isin(group.index)]
    hit = keys["key"].str.contains(rf"\b{re.escape(q)}\b", regex=True)
    fits = set(keys.loc[hit, "geonames_id"]) | set(group.index[group["admin1"] == qualifier.upper()])
    return group[group.index.isin(fits)]


def _letter_counts(keys: Iterable[str]) -> np.ndarray:
    """Per key, counts of its characters hashed into 64 bins (for a quick_ratio bound)."""
    rows = [np.bincount(np.frombuffer(k.encode("utf-32-le"), dtype=np.uint32) % 64,
                        minlength=64) for k in keys]
    return np.array(rows, dtype=np.int16).reshape(len(rows), 64)


class _FuzzyPool:
    """A country's distinct keys grouped by first character, with the places they name."""

    def __init__(self, country: str) -> None:
        from twinning_graph._gazetteer import _names_table, _places_table

        gaz = _places_table()
        idx = _names_table()
        idx = idx[idx["geonames_id"].isin(gaz.index[gaz["country"] == country])]
        idx = idx[idx["key"].str.len() >= FUZZY_MIN_LENGTH - 1]
        keys = idx["key"].to_numpy(dtype=object)  # the index is sorted by key
        ids = idx["geonames_id"].to_numpy()
        self._all_keys, self._ids = keys, ids
        uniq = pd.unique(keys)  # sorted already, so grouped by first character
        first = pd.Series(uniq, dtype="str").str[0].to_numpy(dtype=object)
        letters, start = np.unique(first, return_index=True)
        bounds = np.append(start, len(uniq))
        self._keys = {f: uniq[a:b] for f, a, b in zip(letters, bounds[:-1], bounds[1:],
                                                      strict=True)}
        self._counts: dict[str, np.ndarray] = {}  # built per first letter on first use

    def places(self, keys: list[str]) -> list[int]:
        """The geonames ids named by ``keys``."""
        lo = np.searchsorted(self._all_keys, keys, side="left")
        hi = np.searchsorted(self._all_keys, keys, side="right")
        return sorted({int(g) for a, b in zip(lo, hi, strict=True) for g in self._ids[a:b]})

    def close(self, key: str) -> tuple[list[str], float]:
        """The most similar keys (ties kept) and their difflib ratio; ``([], 0)`` if none."""
        first = key[0]
        keys = self._keys.get(first)
        if keys is None:
            return [], 0.0
        if first not in self._counts:
            self._counts[first] = _letter_counts(keys)
        counts = self._counts[first]
        # upper bound of difflib's ratio (like its quick_ratio), for all keys at once
        common = np.minimum(counts, _letter_counts([key])[0]).sum(axis=1)
        lengths = counts.sum(axis=1)
        bound = 2 * common / (lengths + len(key))
        pool = list(keys[bound >= FUZZY_CUTOFF])
        close = difflib.get_close_matches(key, pool, n=5, cutoff=FUZZY_CUTOFF)
        if not close:
            return [], 0.0
        ratios = [difflib.SequenceMatcher(None, key, c).ratio() for c in close]
        return [c for c, r in zip(close, ratios, strict=True) if r >= ratios[0] - 1e-9], ratios[0]


_FUZZY_POOLS: dict[str, _FuzzyPool] = {}


def _resolve_fuzzy(stripped: pd.Series, codes: pd.Series, res: _Result) -> None:
    """difflib matching, same country only, for rows left without any candidate."""
    from twinning_graph._gazetteer import _places_table

    country = codes.fillna("").to_numpy(dtype=object)
    keys = stripped.to_numpy(dtype=object)
    todo = np.flatnonzero((res.kind == "none") & ~res.tried & (country != "")
                          & (stripped.str.len().to_numpy() >= FUZZY_MIN_LENGTH))
    if not len(todo):
        return
    gaz = _places_table()
    memo: dict[tuple[str, str], tuple[list[str], float]] = {}
    # A Python loop over the unmatched rows only: difflib has no vectorised form; candidates
    # are limited to keys of the same country, first letter and a compatible length.
    for row in todo:
        key, cc = keys[row], country[row]
        if cc not in _FUZZY_POOLS:
            _FUZZY_POOLS[cc] = _FuzzyPool(cc)
        pool = _FUZZY_POOLS[cc]
        if (key, cc) not in memo:
            memo[(key, cc)] = pool.close(key)
        best, ratio = memo[(key, cc)]
        if not best:
            continue
        ids = pool.places(best)
        group = gaz.loc[ids].sort_values(["population"], ascending=False, kind="stable")
        if group.empty:
            continue
        conf = round(FUZZY_WEIGHT * ratio, 3)
        if len(group) == 1:
            gid, note = int(group.index[0]), ""
        else:
            gid, note = _population_pick(group, POPULATION_MIN)
            conf = round(conf * 0.8, 3)
        if gid is None:  # a guess that fits several places is no match at all
            res.add_note(row, f"fuzzy match {best[0]!r} (similarity {ratio:.2f}) fits "
                              f"{len(group)} places: {', '.join(group['name'].head(5))}")
            continue
        res.gid[row] = gid
        res.kind[row] = "fuzzy"
        res.confidence[row] = conf
        res.add_note(row, f"fuzzy match {best[0]!r} (similarity {ratio:.2f})")
        res.add_note(row, note)


# --------------------------------------------------------------------------------------------
# Online fallback
# --------------------------------------------------------------------------------------------


def _read_cache(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read geocoding cache {os.fspath(path)!r}: {exc}; "
                              "expected a JSON object {query: {lat, lon, address} or null}"
                              ) from exc
    if not isinstance(data, dict):
        raise ValidationError(f"geocoding cache {os.fspath(path)!r} holds a "
                              f"{type(data).__name__}, expected a JSON object")
    return data


def _write_cache(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, path)


def _as_record(location: Any) -> dict[str, Any] | None:
    """A geopy Location, a (lat, lon) pair or a dict → ``{lat, lon, address}``; None if empty."""
    if location is None:
        return None
    if isinstance(location, list):  # exactly_one=False style answers: take the first
        return _as_record(location[0]) if location else None
    if isinstance(location, dict):
        return {"lat": float(location["lat"]), "lon": float(location["lon"]),
                "address": str(location.get("address", ""))}
    if hasattr(location, "latitude") and hasattr(location, "longitude"):
        return {"lat": float(location.latitude), "lon": float(location.longitude),
                "address": str(getattr(location, "address", "") or "")}
    lat, lon = location  # a (lat, lon) pair
    return {"lat": float(lat), "lon": float(lon), "address": ""}


def _progress(items: list[str], enabled: bool) -> Iterable[str]:
    if not enabled:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _logged(items)
    return tqdm(items, desc="geocoding online", unit="query")


def _logged(items: list[str]) -> Iterable[str]:
    step = max(1, len(items) // 10)
    for i, item in enumerate(items):
        if i % step == 0:
            logger.info("geocoding online: %d/%d queries", i, len(items))
        yield item
    logger.info("geocoding online: %d/%d queries", len(items), len(items))


def _resolve_online(raw: pd.Series, codes: pd.Series, res: _Result, online: Any,
                    cache: str | os.PathLike | None, progress: bool,
                    min_delay_seconds: float) -> None:
    from geopy.exc import GeopyError
    from geopy.extra.rate_limiter import RateLimiter

    todo = np.flatnonzero((res.kind == "none") & (raw.str.len().to_numpy() > 0))
    if not len(todo):
        return
    func = online.geocode if hasattr(online, "geocode") else online
    # swallow_exceptions=False: errors are reported per row below, not turned into "no result"
    limited = RateLimiter(func, min_delay_seconds=min_delay_seconds, max_retries=2,
                          error_wait_seconds=5.0 * min_delay_seconds, swallow_exceptions=False)
    path = Path(cache) if cache is not None else None
    store = _read_cache(path)
    names = raw.to_numpy(dtype=object)
    country = codes.fillna("").to_numpy(dtype=object)
    queries = [f"{names[r]}, {_country_name(country[r])}" if country[r] else str(names[r])
               for r in todo]
    errors: dict[str, str] = {}
    calls = 0
    try:
        for query in _progress(sorted(set(queries) - set(store)), progress):
            try:
                calls += 1
                store[query] = _as_record(limited(query))
            except (GeopyError, OSError) as exc:  # OSError covers timeouts and refused sockets
                errors[query] = f"{type(exc).__name__}: {exc}"
    finally:
        if path is not None and calls:
            _write_cache(path, store)
    logger.info("geocoding online: %d queries sent, %d answered from the cache, %d errors",
                calls, len(set(queries)) - calls, len(errors))
    for row, query in zip(todo, queries, strict=True):
        if query in errors:
            res.kind[row] = "error"
            res.add_note(row, f"online geocoding of {query!r} failed: {errors[query]}")
            continue
        record = store.get(query)
        if record is None:
            res.add_note(row, f"online geocoder found nothing for {query!r}")
            continue
        res.kind[row] = "online"
        res.lat[row], res.lon[row] = record["lat"], record["lon"]
        res.matched[row] = record.get("address", "") or ""
        res.confidence[row] = 0.5
        res.add_note(row, f"geocoded online: {query!r}")


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

#: Columns added by :func:`geocode`.
OUTPUT_COLUMNS = ("geonames_id", "lat", "lon", "population", "matched_name", "match_kind",
                  "confidence", "candidates", "geocode_note")


def geocode(
    frame: pd.DataFrame,
    *,
    name: str = "name",
    country: str | None = "country",
    online: Any = None,
    cache: str | os.PathLike | None = None,
    min_confidence: float = 0.5,
    progress: bool = False,
    min_delay_seconds: float = 1.0,
) -> pd.DataFrame:
    """Find coordinates and GeoNames ids for town names.

    Offline first, against the shipped gazetteer (GeoNames places with ≥ 1,000 inhabitants in
    46 European countries): names are normalised with :func:`normalise_name` and matched on
    ``(key, country)``. In order of preference:

    1. ``exact`` — the place's GeoNames primary name (confidence 1.0);
    2. ``alternate`` — one of its alternate names, any language or script (0.95);
    3. ``fuzzy`` — difflib similarity ≥ 0.85 to a name in the same country, tried only for
       rows without any candidate (0.85 × similarity).

    Keys are tried from the most literal form to the most stripped one (whole name; name
    without a qualifier after a comma or in parentheses; administrative words removed; first of
    several ``/``-separated names); each fallback costs 0.05 confidence and is said in
    ``geocode_note``. Without a country (column absent, empty cell or unknown value) the match
    runs across all countries, costs 0.1 confidence, needs a larger town for the population
    rule and skips fuzzy matching.

    When several places of the country share the best-matching name, the row is
    ``ambiguous``: coordinates stay empty and ``candidates`` lists them. Two ways out are
    applied and noted: a qualifier (``"Neustadt (Hessen)"``) that appears in exactly one
    candidate's names or equals its admin-1 code (× 0.95), and the **population rule**: the
    most populous candidate has at least 10 times the inhabitants of the next one and at least
    10,000 inhabitants (100,000 without a country) (× 0.8). Matches below ``min_confidence``
    are dropped (``none``, best guess in the note).

    Online fallback, only when ``online`` is given: rows still without any match (``none``;
    ambiguous rows are not sent) are looked up with the geocoder through
    :class:`geopy.extra.rate_limiter.RateLimiter`, the answers cached in ``cache``. Network
    errors mark the row ``error`` and the run continues. Nothing touches the network unless
    ``online`` is given.

    Parameters
    ----------
    frame : DataFrame
        Towns to geocode; never modified.
    name : str, default "name"
        Column with the town names.
    country : str or None, default "country"
        Column with countries: ISO alpha-2 codes (``EL``/``UK`` accepted) or English/native
        names (``"Germany"``, ``"Deutschland"``). If the column is absent (and named
        ``"country"``) or ``None``, names are matched across all countries.
    online : geopy geocoder or callable, optional
        E.g. ``Nominatim(user_agent="my-project")`` (its ``geocode`` method is used) or any
        callable taking a query string and returning a geopy ``Location``, a ``(lat, lon)``
        pair, a dict with ``lat``/``lon``/``address``, or ``None``.
    cache : path, optional
        JSON file mapping query strings to ``{"lat", "lon", "address"}`` or ``null`` (not
        found). Read before and written after the online lookups, so a rerun sends no new
        requests. Errors are not cached.
    min_confidence : float, default 0.6
        Offline matches with a lower confidence are reported as ``none``.
    progress : bool, default False
        Show a progress bar for online lookups (tqdm if installed, else log messages).
    min_delay_seconds : float, default 1.0
        Delay between online requests (Nominatim's usage policy asks for 1 per second).

    Returns
    -------
    DataFrame
        A copy of ``frame`` with added columns ``geonames_id`` (Int64), ``lat``, ``lon``
        (float64), ``population`` (Int64), ``matched_name`` (gazetteer name or online
        address), ``match_kind`` (one of :data:`MATCH_KINDS`), ``confidence`` (0–1),
        ``candidates`` (for ambiguous rows: ``"geonames_id:name:admin1:population"`` joined by
        ``";"``, most populous first; else ``""``) and ``geocode_note``.

    Raises
    ------
    ValidationError
        If a column is missing or an argument is invalid.

    Examples
    --------
    >>> import pandas as pd
    >>> from twinning_graph.geocode import geocode
    >>> towns = pd.DataFrame({"name": ["Köln", "Kolonia", "Ville de Lyon", "Neustadt"],
    ...                       "country": ["DE", "Poland", "FR", "DE"]})
    >>> out = geocode(towns)
    >>> out[["geonames_id", "match_kind", "confidence"]]
       geonames_id match_kind  confidence
    0      2886242      exact        1.00
    1         <NA>       none        0.00
    2      2996944      exact        0.95
    3         <NA>  ambiguous        0.00
    """
    _check_arguments(frame, name, country, online, min_confidence, min_delay_seconds)
    out = frame.copy()
    clash = [c for c in OUTPUT_COLUMNS if c in out.columns and c != name and c != country]
    if clash:
        warnings.warn(f"geocode() overwrites existing column(s) {clash}", DataWarning,
                      stacklevel=2)
    raw = out[name].astype("str").fillna("").str.strip()
    raw = pd.Series(raw.to_numpy(dtype=object), dtype="str")
    res = _Result(len(out))
    if country is not None and country in out.columns:
        codes, unknown = _country_codes(pd.Series(out[country].to_numpy(dtype=object)))
        bad = np.flatnonzero(unknown.to_numpy())
        values = out[country].to_numpy(dtype=object)
        res.add_note(bad, [f"unknown country {values[r]!r}: matched across all countries"
                           for r in bad])
    else:
        codes = pd.Series(pd.NA, index=raw.index, dtype="str")

    if len(out):
        stripped = _resolve_offline(raw, codes, res)
        _resolve_fuzzy(stripped, codes, res)
        _apply_min_confidence(res, min_confidence)
        _fill_places(res)
        res.add_note(np.flatnonzero(raw.str.len().to_numpy() == 0), "empty name")
        if online is not None:
            _resolve_online(raw, codes, res, online, cache, progress, min_delay_seconds)

    gid = pd.array(np.where(res.gid >= 0, res.gid, 0), dtype="Int64")
    gid[res.gid < 0] = pd.NA
    out["geonames_id"] = gid
    out["lat"] = res.lat
    out["lon"] = res.lon
    out["population"] = _population(res.gid)
    out["matched_name"] = pd.array(res.matched, dtype="str")
    out["match_kind"] = pd.array(res.kind, dtype="str")
    out["confidence"] = res.confidence
    out["candidates"] = pd.array(res.candidates, dtype="str")
    out["geocode_note"] = pd.array(res.note, dtype="str")
    counts = pd.Series(res.kind).value_counts()
    logger.info("geocoded %d rows: %s", len(out), ", ".join(f"{k} {v}" for k, v in counts.items()))
    return out


def _check_arguments(frame: Any, name: str, country: str | None, online: Any,
                     min_confidence: float, min_delay_seconds: float) -> None:
    problems = []
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"geocode() expects a pandas DataFrame, got {type(frame).__name__}")
    present = ", ".join(map(repr, frame.columns)) or "none"
    if name not in frame.columns:
        problems.append(f"name column {name!r} not found; columns present: {present}")
    if country is not None and country != "country" and country not in frame.columns:
        problems.append(f"country column {country!r} not found; columns present: {present} "
                        "(pass country=None to match across all countries)")
    if online is not None and not (hasattr(online, "geocode") or callable(online)):
        problems.append(f"online must be a geopy geocoder or a callable, got "
                        f"{type(online).__name__}")
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float)) \
            or not 0 <= min_confidence <= 1:
        problems.append(f"min_confidence must be a number in [0, 1], got {min_confidence!r}")
    if isinstance(min_delay_seconds, bool) or not isinstance(min_delay_seconds, (int, float)) \
            or min_delay_seconds < 0:
        problems.append(f"min_delay_seconds must be a number >= 0, got {min_delay_seconds!r}")
    if problems:
        raise ValidationError("geocode(): " + "; ".join(problems))


def _apply_min_confidence(res: _Result, min_confidence: float) -> None:
    low = np.flatnonzero((res.gid >= 0) & (res.confidence < min_confidence))
    if not len(low):
        return
    from twinning_graph._gazetteer import _places_table

    names = _places_table()["name"].reindex(res.gid[low]).to_numpy(dtype=object)
    res.add_note(low, [f"best guess {n} (geonames_id {g}, {res.kind[r]}, confidence "
                       f"{res.confidence[r]:.2f}) is below min_confidence={min_confidence}"
                       for r, g, n in zip(low, res.gid[low], names, strict=True)])
    res.gid[low] = -1
    res.kind[low] = "none"
    res.confidence[low] = 0.0


def _fill_places(res: _Result) -> None:
    from twinning_graph._gazetteer import _places_table

    hit = np.flatnonzero(res.gid >= 0)
    rows = _places_table().loc[res.gid[hit]]
    res.lat[hit] = rows["lat"].to_numpy()
    res.lon[hit] = rows["lon"].to_numpy()
    res.matched[hit] = rows["name"].to_numpy(dtype=object)


def _population(gid: np.ndarray) -> pd.Series:
    from twinning_graph._gazetteer import _places_table

    pop = _places_table()["population"].reindex(np.where(gid >= 0, gid, -1)).to_numpy()
    out = pd.array(np.nan_to_num(pop, nan=0).astype(np.int64), dtype="Int64")
    out[(gid < 0) | (np.nan_to_num(pop, nan=0) == 0)] = pd.NA  # 0 = unknown in GeoNames
    return out


def _slug(names: pd.Series, fallback: pd.Series) -> pd.Series:
    """``"Ville de Lyon"`` → ``"lyon"``; non-Latin names use ``fallback`` (gazetteer name)."""
    slug = normalise_name(names).str.replace(" ", "-", regex=False)
    other = normalise_name(fallback).str.replace(" ", "-", regex=False)
    latin = slug.str.fullmatch(r"[a-z0-9\-]+").fillna(False)
    slug = slug.where(latin | (other.str.len() == 0), other)
    return slug.where(slug.str.len() > 0, "town")


def to_towns(geocoded: pd.DataFrame, *, id_column: str | None = None) -> pd.DataFrame:
    """Turn :func:`geocode` output into a towns table for ``tg.load(towns=...)``.

    Keeps the resolved rows (``exact``, ``alternate``, ``fuzzy``, ``online``) and warns with a
    count of the rows left out (ambiguous, not found, errors, no country).

    Parameters
    ----------
    geocoded : DataFrame
        Output of :func:`geocode` (with a ``name`` column, and ``country`` unless every row was
        matched offline, in which case the gazetteer's country is used).
    id_column : str, optional
        Column holding the town ids to use; by default ids are ``{CC}-{slug}`` of the name
        (``DE-koln``), with ``-2``, ``-3``, ... for repeats.

    Returns
    -------
    DataFrame
        Columns ``town_id, name, country, lat, lon, population, geonames_id`` plus the input's
        other columns except the geocoding diagnostics; RangeIndex.

    Examples
    --------
    >>> import pandas as pd
    >>> from twinning_graph.geocode import geocode, to_towns
    >>> towns = to_towns(geocode(pd.DataFrame({"name": ["Köln", "Ville de Lyon"],
    ...                                        "country": ["DE", "FR"]})))
    >>> towns[["town_id", "name", "country", "geonames_id"]]
       town_id           name country  geonames_id
    0  DE-koln           Köln      DE      2886242
    1  FR-lyon  Ville de Lyon      FR      2996944
    """
    from twinning_graph._gazetteer import _places_table

    missing = [c for c in ("name", "match_kind", "lat", "lon", "geonames_id")
               if c not in geocoded.columns]
    if id_column is not None and id_column not in geocoded.columns:
        missing.append(id_column)
    if missing:
        raise ValidationError(
            f"to_towns() needs the output of geocode(); missing column(s) {missing}; "
            f"columns present: {list(geocoded.columns)}")
    gaz_country = _places_table()["country"].reindex(
        geocoded["geonames_id"].fillna(-1).astype("int64").to_numpy()).to_numpy(dtype=object)
    if "country" in geocoded.columns:
        given, _ = _country_codes(pd.Series(geocoded["country"].to_numpy(dtype=object)))
        given_arr = given.to_numpy(dtype=object)
        country = np.where(pd.isna(gaz_country), given_arr, gaz_country)
    else:
        country = gaz_country
    country = pd.Series(country, dtype="str")
    resolved = (geocoded["match_kind"].isin(RESOLVED_KINDS).to_numpy()
                & geocoded["lat"].notna().to_numpy() & country.notna().to_numpy())
    left_out = int((~resolved).sum())
    if left_out:
        kinds = geocoded.loc[~resolved, "match_kind"].value_counts()
        detail = ", ".join(f"{k} {v}" for k, v in kinds.items())
        warnings.warn(f"to_towns(): {left_out} of {len(geocoded)} rows left out "
                      f"(not resolved: {detail})", DataWarning, stacklevel=2)
    keep = geocoded.loc[resolved]
    cc = country[resolved].to_numpy(dtype=object)
    name = keep["name"].astype("str")
    if id_column is not None:
        ids = keep[id_column].astype("str").to_numpy(dtype=object)
    else:
        matched = (keep["matched_name"] if "matched_name" in keep.columns
                   else pd.Series("", index=keep.index))
        base = pd.Series(cc, dtype="str") + "-" + _slug(
            pd.Series(name.to_numpy(dtype=object), dtype="str"),
            pd.Series(matched.to_numpy(dtype=object), dtype="str").fillna(""))
        n = base.groupby(base).cumcount()
        ids = np.where(n == 0, base, base + "-" + (n + 1).astype("str"))
    towns = pd.DataFrame({
        "town_id": pd.array(ids, dtype="str"),
        "name": pd.array(name.to_numpy(dtype=object), dtype="str"),
        "country": pd.array(cc, dtype="str"),
        "lat": keep["lat"].to_numpy(dtype=np.float64),
        "lon": keep["lon"].to_numpy(dtype=np.float64),
        "population": keep["population"].astype("Int64").to_numpy()
        if "population" in keep.columns else pd.array([pd.NA] * len(keep), dtype="Int64"),
        "geonames_id": keep["geonames_id"].astype("Int64").to_numpy(),
    })
    drop = {*OUTPUT_COLUMNS, "name", "country", "town_id"}
    if id_column is not None:
        drop.add(id_column)
    for col in keep.columns:
        if col not in drop:
            towns[col] = keep[col].to_numpy()
    return towns
