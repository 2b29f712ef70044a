"""The report's words in several languages: one catalogue per language, one lookup.

Every sentence, heading, column name and glossary entry of a report comes from a catalogue
``locales/<lang>.json`` (a flat JSON object: key -> text with ``{named}`` placeholders),
looked up through :class:`Lang` (``lang(key, name=value)``). A key missing from a
language falls back to English; a key missing from English raises ``KeyError`` (a report
must never show a key). Numbers, percentages and dates are written the way each language
writes them; country names come from ``locales/country_names.csv`` (Unicode CLDR, built by
``scripts/build_report_country_names.py``).

To add a language: copy ``en.json`` to ``<code>.json``, translate every value (keep the
``{placeholders}``), add a column to the country names (rerun the script with the code
added) and add the code to :data:`LANGUAGES`; ``tests/test_report.py`` checks that every
key and placeholder is there.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
import json
import math
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from twinning_graph._errors import ValidationError

#: Languages shipped: English, French, German.
LANGUAGES: tuple[str, ...] = ("en", "fr", "de")


@functools.cache
def catalogue(code: str) -> Mapping[str, str]:
    """The messages of one language (``locales/<code>.json``), as read from the package."""
    text = resources.files("twinning_graph.report").joinpath(f"locales/{code}.json")
    data = json.loads(text.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


@functools.cache
def _country_names() -> dict[str, dict[str, str]]:
    path = resources.files("twinning_graph.report").joinpath("locales/country_names.csv")
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return {row["code"]: row for row in rows}


def placeholders(template: str) -> set[str]:
    """The ``{named}`` fields of a message."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@dataclass(frozen=True)
class Lang:
    """Messages and number/date formats of one report language.

    Examples
    --------
    >>> from twinning_graph.report._i18n import get_lang
    >>> fr = get_lang("fr")
    >>> fr.number(12345.678, 1), fr.percent(0.257), fr.country("DE")
    ('12\u202f345,7', '26\u00a0%', 'Allemagne')
    >>> get_lang("de").date(__import__("datetime").date(2026, 4, 16))
    '16. April 2026'
    """

    code: str

    def __call__(self, key: str, **values: Any) -> str:
        """The message ``key`` with ``{placeholders}`` filled (English if not translated)."""
        return self.template(key).format(**values)

    def template(self, key: str) -> str:
        """The message ``key`` as written in the catalogue, placeholders left unfilled."""
        own = catalogue(self.code).get(key)
        return own if own is not None else catalogue("en")[key]  # KeyError: a missing message

    def map_texts(self) -> dict[str, str]:
        """The words inside a map image in this language (``plot_map(texts=...)``): the
        legend's ``maplegend.*`` messages and every country name."""
        from twinning_graph.plot import MAP_TEXTS

        out = {k: self.template(f"maplegend.{k}") for k in MAP_TEXTS}
        out.update({f"country.{c}": self.country(c) for c in _country_names()})
        return out

    def has(self, key: str) -> bool:
        """Whether the message ``key`` exists (in this language or in English)."""
        return key in catalogue(self.code) or key in catalogue("en")

    def plural(self, key: str, count: float, **values: Any) -> str:
        """``key.one`` or ``key.other`` by the language's plural rule; ``{n}`` is ``count``
        formatted as a number."""
        one = count == 1 or (self.code == "fr" and 0 <= count < 2)
        return self(f"{key}.{'one' if one else 'other'}", n=self.number(count), **values)

    # numbers --------------------------------------------------------------
    def number(self, value: Any, decimals: int = 0) -> str:
        """``value`` with the language's digit grouping and decimal mark; missing: en dash."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        try:
            x = float(value)
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(x):
            return "–"
        if round(x, decimals) == 0:
            x = 0.0  # no "-0"
        text = f"{x:,.{decimals}f}"
        group, point = self("_format.group"), self("_format.decimal")
        return text.replace(",", "\0").replace(".", point).replace("\0", group)

    def percent(self, share: Any, decimals: int = 0) -> str:
        """A share (0-1) as a percentage, e.g. ``'45 %'``."""
        if share is None or (isinstance(share, float) and math.isnan(share)):
            return "–"
        return self("_format.percent", value=self.number(100 * float(share), decimals))

    def date(self, day: _dt.date) -> str:
        """A date written out, e.g. ``'16 April 2026'``."""
        month = self(f"_month.{day.month}")
        return self("_format.date", day=day.day, month=month, year=day.year)

    # words ----------------------------------------------------------------
    def country(self, code: Any) -> str:
        """The country's name in this language (the code itself if unknown)."""
        row = _country_names().get(str(code))
        if row is None:
            return str(code)
        return row.get(self.code) or row["en"]

    def place(self, code: Any) -> str:
        """The country's name as it reads inside a sentence: some languages need an article
        (English "the Netherlands"); the catalogue of the language itself may give it as
        ``in_text.<code>`` (never taken from another language)."""
        own = catalogue(self.code).get(f"in_text.{code}")
        return own if own is not None else self.country(code)

    def join(self, items: Iterable[Any], *, last: str = "and") -> str:
        """``'A, B and C'`` (``last="or"``: ``'A, B or C'``, after a negation) in this
        language."""
        words = [str(i) for i in items]
        if len(words) <= 1:
            return "".join(words)
        return self(f"_format.{last}", head=", ".join(words[:-1]), last=words[-1])

    def yes_no(self, value: Any) -> str:
        return self("value.yes" if bool(value) else "value.no")


def get_lang(lang: Any) -> Lang:
    """The :class:`Lang` of a language code (``"en"``, ``"fr"``, ``"de"``, any case).

    Raises
    ------
    ValidationError
        For a language that is not shipped; the message lists those that are.
    """
    code = lang.strip().lower() if isinstance(lang, str) else lang
    if code not in LANGUAGES:
        raise ValidationError(
            f"lang must be one of {', '.join(repr(c) for c in LANGUAGES)}, got {lang!r}"
        )
    return Lang(code)
