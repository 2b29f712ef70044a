"""Build ``twinning_graph/data/countries.csv`` from pycountry plus hand-checked EU facts.

Run with ``python scripts/build_countries.py`` in an environment where ``pycountry`` is
installed (``pip install pycountry``); the package itself never imports pycountry.

ISO 3166-1 codes, alpha-3 codes and names come from pycountry (Debian iso-codes).
Everything else (EU membership, EEA/EFTA, candidates, aliases, name variants) is
written out below, with its source in a comment.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parents[1] / "twinning_graph" / "data" / "countries.csv"

# EU accession years (Treaty of Rome 1958 founders; enlargements 1973, 1981, 1986, 1995,
# 2004, 2007, 2013). Source: europa.eu "EU countries" / enlargement history.
EU_ACCESSION = {
    **dict.fromkeys(["BE", "DE", "FR", "IT", "LU", "NL"], 1958),
    **dict.fromkeys(["DK", "IE", "GB"], 1973),
    "GR": 1981,
    **dict.fromkeys(["ES", "PT"], 1986),
    **dict.fromkeys(["AT", "FI", "SE"], 1995),
    **dict.fromkeys(["CY", "CZ", "EE", "HU", "LT", "LV", "MT", "PL", "SI", "SK"], 2004),
    **dict.fromkeys(["BG", "RO"], 2007),
    "HR": 2013,
}
EU_LEFT = {"GB": 2020}  # withdrawal on 31 January 2020
EFTA = {"IS", "LI", "NO", "CH"}
EEA_NON_EU = {"IS", "LI", "NO"}
# EU candidate countries (European Council decisions up to 2024; GE granted Dec 2023).
CANDIDATES = {"AL", "BA", "GE", "MD", "ME", "MK", "RS", "TR", "UA"}
POTENTIAL_CANDIDATES = {"XK"}
# Scope of `europe`: EU-27, EFTA-4, GB, the four microstates and the ten enlargement
# countries (9 candidates + XK) = 46. BY and RU are deliberately excluded (see docs).
MICROSTATES = {"AD", "MC", "SM", "VA"}
# Outermost regions with their own ISO code (part of the EU, Art. 349 TFEU) and Åland.
EU_TERRITORY_EXTRA = {
    "GF": "FR",
    "GP": "FR",
    "MQ": "FR",
    "RE": "FR",
    "YT": "FR",
    "MF": "FR",
    "AX": "FI",
}
# Overseas countries and territories associated with the EU (Council Decision (EU) 2021/1764).
# CERV call texts list "EU Member States (including overseas countries and territories)", so
# twinning_graph.calls counts an OCT town as its Member State; the status of that per call
# year lives in data/calls_countries.csv.
OCT = {
    "GL": "DK",
    "NC": "FR",
    "PF": "FR",
    "TF": "FR",
    "WF": "FR",
    "PM": "FR",
    "BL": "FR",
    "AW": "NL",
    "CW": "NL",
    "SX": "NL",
    "BQ": "NL",
}
ALIASES = {"GR": "EL", "GB": "UK"}  # Eurostat/EU protocol codes
NAME_OVERRIDES = {
    "BO": "Bolivia",
    "BN": "Brunei",
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "CZ": "Czechia",
    "FM": "Micronesia",
    "GB": "United Kingdom",
    "IR": "Iran",
    "KP": "North Korea",
    "KR": "South Korea",
    "LA": "Laos",
    "MD": "Moldova",
    "PS": "Palestine",
    "RU": "Russia",
    "SY": "Syria",
    "TW": "Taiwan",
    "TZ": "Tanzania",
    "VA": "Vatican City",
    "VE": "Venezuela",
    "VN": "Vietnam",
    "TR": "Türkiye",
    "MK": "North Macedonia",
    "BQ": "Bonaire, Sint Eustatius and Saba",
    "SX": "Sint Maarten",
    "MF": "Saint Martin",
    "FK": "Falkland Islands",
    "VG": "British Virgin Islands",
    "VI": "US Virgin Islands",
    "SH": "Saint Helena",
}
# Extra spellings for country_from_name (English variants, former names, endonyms of
# European countries). Case-insensitive matching happens at run time.
EXTRA_NAMES = {
    "AT": ["Österreich", "Osterreich"],
    "BA": ["Bosnia", "Bosnia-Herzegovina", "Bosna i Hercegovina"],
    "BE": ["België", "Belgique", "Belgien"],
    "BG": ["България", "Bulgaria"],
    "CH": ["Schweiz", "Suisse", "Svizzera"],
    "CY": ["Κύπρος"],
    "CZ": ["Czech Republic", "Česko", "Česká republika", "Czechoslovakia"],
    "DE": ["Deutschland", "Federal Republic of Germany", "West Germany", "East Germany"],
    "DK": ["Danmark"],
    "EE": ["Eesti"],
    "ES": ["España", "Espana"],
    "FI": ["Suomi"],
    "GB": [
        "UK",
        "U.K.",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "United Kingdom of Great Britain and Northern Ireland",
    ],
    "GR": ["Hellas", "Ελλάδα", "Hellenic Republic"],
    "HR": ["Hrvatska"],
    "HU": ["Magyarország", "Magyarorszag"],
    "IE": ["Éire", "Eire", "Republic of Ireland"],
    "IT": ["Italia"],
    "LT": ["Lietuva"],
    "LV": ["Latvija"],
    "LU": ["Lëtzebuerg", "Luxemburg"],
    "MD": ["Republic of Moldova", "Moldavia"],
    "MK": ["Macedonia", "FYROM", "Former Yugoslav Republic of Macedonia", "Republic of Macedonia"],
    "ME": ["Crna Gora"],
    "NL": ["Holland", "The Netherlands", "Nederland"],
    "NO": ["Norge"],
    "PL": ["Polska"],
    "RO": ["România"],
    "RS": ["Srbija"],
    "RU": ["Russian Federation"],
    "SE": ["Sverige"],
    "SI": ["Slovenija"],
    "SK": ["Slovak Republic", "Slovensko"],
    "TR": ["Turkey", "Türkiye", "Turkiye"],
    "UA": ["Україна", "Ukraina"],
    "US": ["USA", "U.S.A.", "United States of America", "America"],
    "VA": ["Holy See", "Vatican"],
    "XK": ["Republic of Kosovo", "Kosova"],
    "CI": ["Ivory Coast"],
    "CV": ["Cape Verde"],
    "SZ": ["Swaziland"],
    "MM": ["Burma"],
}


def main() -> None:
    rows = []
    for c in pycountry.countries:
        rows.append((c.alpha_2, c.alpha_3, c))
    rows.append(("XK", "XKX", None))  # Kosovo: user-assigned code used by the EU and GeoNames
    out = []
    eu27 = {k for k in EU_ACCESSION if k not in EU_LEFT}
    for a2, a3, c in sorted(rows, key=lambda r: r[0]):
        if c is None:
            name, names = "Kosovo", ["Kosovo"]
        else:
            name = NAME_OVERRIDES.get(a2) or getattr(c, "common_name", None) or c.name
            names = [c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)]
        names = [n for n in dict.fromkeys([name, *names, *EXTRA_NAMES.get(a2, [])]) if n]
        eu = a2 in eu27
        europe = (
            eu
            or a2 in EFTA
            or a2 == "GB"
            or a2 in MICROSTATES
            or a2 in CANDIDATES | POTENTIAL_CANDIDATES
        )
        sovereign = EU_TERRITORY_EXTRA.get(a2) or OCT.get(a2) or ""
        out.append(
            {
                "alpha2": a2,
                "alpha3": a3,
                "name": name,
                "eu": eu,
                "eu_accession": EU_ACCESSION.get(a2, ""),
                "eu_left": EU_LEFT.get(a2, ""),
                "eea": eu or a2 in EEA_NON_EU,
                "efta": a2 in EFTA,
                "candidate": a2 in CANDIDATES,
                "potential_candidate": a2 in POTENTIAL_CANDIDATES,
                "europe": europe,
                "eu_territory": eu or a2 in EU_TERRITORY_EXTRA,
                "oct": a2 in OCT,
                "sovereign": sovereign,
                "aliases": ALIASES.get(a2, ""),
                "names": "|".join(names),
            }
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(out[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)
    assert sum(r["eu"] for r in out) == 27
    assert sum(r["europe"] for r in out) == 46, sum(r["europe"] for r in out)
    print(f"wrote {len(out)} rows to {OUT}")


if __name__ == "__main__":
    main()
