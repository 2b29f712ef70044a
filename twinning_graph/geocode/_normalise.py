"""Name normalisation (prefixes, suffixes, qualifiers) and country / region codes."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from twinning_graph._errors import UnknownCountryError
from twinning_graph._text import fold
from twinning_graph.countries import country_from_name, country_name, normalise_country

# --------------------------------------------------------------------------------------------
# Name normalisation
# --------------------------------------------------------------------------------------------

# Administrative words in front of or behind a town's name, as they appear *after* the
# basic normalisation (casefolded, accents stripped, punctuation replaced by spaces).
_PREFIXES = (
    # German
    "freie und hansestadt",
    "freie hansestadt",
    "landeshauptstadt",
    "hansestadt",
    "lutherstadt",
    "universitatsstadt",
    "wissenschaftsstadt",
    "grosse kreisstadt",
    "kreisstadt",
    "stadtgemeinde",
    "marktgemeinde",
    "ortsgemeinde",
    "gemeinde",
    "stadt",
    "markt",
    "kurort",
    "barockstadt",
    # French, Italian, Spanish, Portuguese, Catalan, Galician, Romanian
    "ville de",
    "ville d",
    "commune de",
    "commune d",
    "commune of",
    "comune di",
    "comune de",
    "citta di",
    "citta de",
    "municipio de",
    "municipio di",
    "municipio da",
    "municipio do",
    "ayuntamiento de",
    "concello de",
    "ajuntament de",
    "ajuntament d",
    "concelho de",
    "municipiul",
    "orasul",
    "oras",
    "comuna",
    # Central and Eastern Europe
    "statutarni mesto",
    "mesto",
    "miasto i gmina",
    "miasto",
    "gmina",
    "obec",
    "grad",
    "opcina",
    "obcina",
    "mestna obcina",
    "opstina",
    "obshtina",
    "obshchina",
    "gemeente",
    # English
    "royal borough of",
    "london borough of",
    "metropolitan borough of",
    "county borough of",
    "borough of",
    "city and county of",
    "city of",
    "town of",
    "district of",
    "municipality of",
    "the",
)
_SUFFIXES = (
    # English (often in Wikidata labels)
    "urban municipality",
    "rural municipality",
    "municipality",
    "municipal district",
    "metropolitan borough",
    "borough council",
    "district council",
    "city council",
    "town council",
    "urban district",
    "rural district",
    "borough",
    "district",
    "city",
    "town",
    "village",
    "commune",
    "parish",
    # Nordic, Baltic, Dutch, German, Hungarian
    "kommune",
    "kommun",
    "kunta",
    "kaupunki",
    "stad",
    "gemeente",
    "gemeinde",
    "stadt",
    "vald",
    "linn",
    "novads",
    "pilseta",
    "rajono savivaldybe",
    "miesto savivaldybe",
    "savivaldybe",
    "varos",
    "kozseg",
    "municipiu",
    "kerulet",
    "kerulete",
)


def _alternation(words: Iterable[str]) -> str:
    # longest first so that "marktgemeinde" wins over "markt"
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_PREFIX_RE = rf"^(?:(?:{_alternation(_PREFIXES)}) )+"
_SUFFIX_RE = rf"(?: (?:{_alternation(_SUFFIXES)}))+$"
# A qualifier: "Porcia, Friuli-Venezia Giulia", "Frankfurt (Oder)", "Neustadt [Hessen]".
_QUALIFIER_RE = r"^\s*([^,(\[]*?)\s*(?:[,(\[]\s*(.*?)[\s)\]]*)?$"


def strip_admin_words(basic: pd.Series) -> pd.Series:
    """Remove administrative prefixes and suffixes from already basic-normalised keys."""
    stripped = basic.str.replace(_PREFIX_RE, "", regex=True)
    stripped = stripped.str.replace(_SUFFIX_RE, "", regex=True)
    # never strip a name down to nothing ("Stadt" alone stays "stadt")
    return stripped.where(stripped.str.len() > 0, basic)


def split_qualifier(series: pd.Series) -> tuple[pd.Series, pd.Series]:
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
    head, _ = split_qualifier(s)
    return strip_admin_words(fold(head))


# --------------------------------------------------------------------------------------------
# Countries
# --------------------------------------------------------------------------------------------


def country_code(value: str) -> str | None:
    """One country value (code or name) → ISO alpha-2, or None when unknown.

    Codes go through :func:`twinning_graph.countries.normalise_country` (``EL``/``UK``,
    alpha-3), names through :func:`twinning_graph.countries.country_from_name`: the library's
    one country normaliser.
    """
    text = value.strip()
    if not text:
        return None
    code = normalise_country(text, errors="coerce")
    if isinstance(code, str):
        return code
    try:
        found = country_from_name(text)
    except UnknownCountryError:
        return None
    return found if isinstance(found, str) else None


def country_codes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalise a column of country codes/names; returns (codes or <NA>, unknown mask)."""
    text = values.astype("str").fillna("").str.strip()
    uniques = {v: country_code(v) for v in text.unique()}  # a few dozen distinct values
    codes = text.map(uniques).astype("str")
    unknown = codes.isna() & (text != "")
    return codes, unknown


# Names of first-level regions (GeoNames admin-1 codes) for the countries whose towns most
# often carry a region qualifier ("Essen, Lower Saxony"). English and native names.
_ADMIN1_NAMES = {
    "DE": {
        "01": "Baden-Württemberg",
        "02": "Bavaria|Bayern",
        "03": "Bremen",
        "04": "Hamburg",
        "05": "Hesse|Hessen",
        "06": "Lower Saxony|Niedersachsen",
        "07": "North Rhine-Westphalia|Nordrhein-Westfalen|NRW",
        "08": "Rhineland-Palatinate|Rheinland-Pfalz",
        "09": "Saarland",
        "10": "Schleswig-Holstein",
        "11": "Brandenburg",
        "12": "Mecklenburg-Vorpommern|Mecklenburg-Western Pomerania",
        "13": "Saxony|Sachsen",
        "14": "Saxony-Anhalt|Sachsen-Anhalt",
        "15": "Thuringia|Thüringen",
        "16": "Berlin",
    },
    "AT": {
        "01": "Burgenland",
        "02": "Carinthia|Kärnten",
        "03": "Lower Austria|Niederösterreich",
        "04": "Upper Austria|Oberösterreich",
        "05": "Salzburg",
        "06": "Styria|Steiermark",
        "07": "Tyrol|Tirol",
        "08": "Vorarlberg",
        "09": "Vienna|Wien",
    },
    "IT": {
        "01": "Abruzzo",
        "02": "Basilicata",
        "03": "Calabria",
        "04": "Campania",
        "05": "Emilia-Romagna",
        "06": "Friuli-Venezia Giulia",
        "07": "Lazio",
        "08": "Liguria",
        "09": "Lombardy|Lombardia",
        "10": "Marche",
        "11": "Molise",
        "12": "Piedmont|Piemonte",
        "13": "Apulia|Puglia",
        "14": "Sardinia|Sardegna",
        "15": "Sicily|Sicilia",
        "16": "Tuscany|Toscana",
        "17": "Trentino-Alto Adige|Trentino-South Tyrol|South Tyrol|Südtirol|Trentino",
        "18": "Umbria",
        "19": "Aosta Valley|Valle d'Aosta",
        "20": "Veneto",
    },
    "ES": {
        "07": "Balearic Islands|Illes Balears|Islas Baleares",
        "27": "La Rioja",
        "29": "Community of Madrid|Madrid",
        "31": "Region of Murcia|Murcia",
        "32": "Navarre|Navarra",
        "34": "Asturias",
        "39": "Cantabria",
        "51": "Andalusia|Andalucía",
        "52": "Aragon|Aragón",
        "53": "Canary Islands|Canarias",
        "54": "Castilla-La Mancha|Castile-La Mancha",
        "55": "Castile and León|Castilla y León",
        "56": "Catalonia|Cataluña|Catalunya",
        "57": "Extremadura",
        "58": "Galicia",
        "59": "Basque Country|País Vasco|Euskadi",
        "60": "Valencian Community|Comunidad Valenciana",
    },
    "PL": {
        "72": "Lower Silesian|Dolnośląskie",
        "73": "Kuyavian-Pomeranian|Kujawsko-Pomorskie",
        "74": "Łódź|Łódzkie",
        "75": "Lublin|Lubelskie",
        "76": "Lubusz|Lubuskie",
        "77": "Lesser Poland|Małopolskie",
        "78": "Masovian|Mazowieckie",
        "79": "Opole|Opolskie",
        "80": "Subcarpathian|Podkarpackie",
        "81": "Podlaskie|Podlasie",
        "82": "Pomeranian|Pomorskie",
        "83": "Silesian|Śląskie",
        "84": "Świętokrzyskie|Holy Cross",
        "85": "Warmian-Masurian|Warmińsko-Mazurskie",
        "86": "Greater Poland|Wielkopolskie",
        "87": "West Pomeranian|Zachodniopomorskie",
    },
    "GB": {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"},
    "NL": {
        "01": "Drenthe",
        "02": "Friesland|Fryslân",
        "03": "Gelderland",
        "04": "Groningen",
        "05": "Limburg",
        "06": "North Brabant|Noord-Brabant",
        "07": "North Holland|Noord-Holland",
        "09": "Utrecht",
        "10": "Zeeland",
        "11": "South Holland|Zuid-Holland",
        "15": "Overijssel",
        "16": "Flevoland",
    },
    "BE": {
        "BRU": "Brussels|Bruxelles|Brussel",
        "VLG": "Flanders|Vlaanderen",
        "WAL": "Wallonia|Wallonie",
    },
    "FR": {
        "11": "Île-de-France",
        "24": "Centre-Val de Loire",
        "27": "Bourgogne-Franche-Comté",
        "28": "Normandy|Normandie",
        "32": "Hauts-de-France",
        "44": "Grand Est",
        "52": "Pays de la Loire",
        "53": "Brittany|Bretagne",
        "75": "Nouvelle-Aquitaine",
        "76": "Occitanie|Occitania",
        "84": "Auvergne-Rhône-Alpes",
        "93": "Provence-Alpes-Côte d'Azur|PACA",
        "94": "Corsica|Corse",
    },
    "CH": {
        "AG": "Aargau",
        "BE": "Bern|Berne",
        "BL": "Basel-Landschaft",
        "BS": "Basel-Stadt",
        "FR": "Fribourg|Freiburg",
        "GE": "Geneva|Genève|Genf",
        "GR": "Graubünden|Grisons",
        "LU": "Lucerne|Luzern",
        "SG": "St. Gallen",
        "SO": "Solothurn",
        "TG": "Thurgau",
        "TI": "Ticino|Tessin",
        "VD": "Vaud|Waadt",
        "VS": "Valais|Wallis",
        "ZH": "Zurich|Zürich",
        "ZG": "Zug",
        "SZ": "Schwyz",
    },
}
_REGION_WORDS = (
    r"(?: (?:voivodeship|region|province|state|land|canton|county|autonomous community))+$"
)


def _admin1_lookup() -> dict[tuple[str, str], str]:
    """``(country, normalised region name) -> admin-1 code``, built once."""
    if not _ADMIN1_KEYS:
        entries = [
            (cc, code, name)
            for cc, regions in _ADMIN1_NAMES.items()
            for code, names in regions.items()
            for name in names.split("|")
        ]
        keys = fold(pd.Series([e[2] for e in entries], dtype="str"))
        for (cc, code, _), key in zip(entries, keys, strict=True):
            _ADMIN1_KEYS[(cc, key)] = code
    return _ADMIN1_KEYS


_ADMIN1_KEYS: dict[tuple[str, str], str] = {}


def qualifier_admin1(qualifier: pd.Series, codes: pd.Series) -> np.ndarray:
    """The admin-1 code a row's qualifier names (``"Lower Saxony"`` → ``"06"``), or ``""``."""
    lookup = _admin1_lookup()
    key = fold(qualifier).str.replace(_REGION_WORDS, "", regex=True).to_numpy(dtype=object)
    country = codes.fillna("").to_numpy(dtype=object)
    out = np.full(len(key), "", dtype=object)
    for r in np.flatnonzero(key != ""):  # rows with a qualifier only
        out[r] = lookup.get((country[r], key[r]), "")
    return out


def country_label(code: str) -> str:
    """English name of a country code, for online queries (the code itself if unknown)."""
    try:
        return str(country_name(code))
    except UnknownCountryError:
        return code
