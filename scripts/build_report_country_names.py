"""Build ``twinning_graph/report/locales/country_names.csv``: country names in each report language.

Run with ``python scripts/build_report_country_names.py`` in an environment where ``babel``
is installed (``pip install babel``); the package itself never imports babel.

Names come from the Unicode CLDR territory names shipped with Babel (Unicode licence,
permissive); one row per ISO 3166-1 alpha-2 code of ``twinning_graph/data/countries.csv``.
Codes CLDR does not name keep the English name of the country table.
"""

from __future__ import annotations

import csv
from pathlib import Path

from babel import Locale

ROOT = Path(__file__).resolve().parents[1]
COUNTRIES = ROOT / "twinning_graph" / "data" / "countries.csv"
OUT = ROOT / "twinning_graph" / "report" / "locales" / "country_names.csv"
LANGUAGES = ("en", "fr", "de")


def main() -> None:
    with open(COUNTRIES, encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    locales = {lang: Locale.parse(lang) for lang in LANGUAGES}
    rows = []
    for rec in table:
        code = rec["alpha2"]
        names = {}
        for lang, loc in locales.items():
            names[lang] = loc.territories.get(code) or rec["name"]
        rows.append({"code": code, **names})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["code", *LANGUAGES], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {OUT} ({len(rows)} countries)")


if __name__ == "__main__":
    main()
