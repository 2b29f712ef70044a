"""The words written inside a map image (legend entries and title), replaceable by callers.

:data:`MAP_TEXTS` holds the English defaults; :func:`~twinning_graph.plot.plot_map` takes
``texts=`` (a mapping with some of these keys) so that a report in another language can
pass its own words. Values are :meth:`str.format` templates; the fields each may use are
those of its default (``{name}`` the highlighted town, ``{n}`` a count). Country names in
the legend are replaced with keys ``"country.XX"`` (``XX`` the ISO code, e.g.
``{"country.DE": "Allemagne"}``); codes without one keep their English name.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from twinning_graph._errors import ValidationError

__all__ = ["MAP_TEXTS", "check_texts", "fill"]

#: Legend and title words of a map, in English (see the module docstring).
MAP_TEXTS: dict[str, str] = {
    "title_country": "towns by country",
    "title_size_partners": "size: partners",
    "title_size_population": "size: population",
    "highlight": "{name} ({n} partners)",
    "highlight_one": "{name} (1 partner)",
    "partner": "partner (fill: its country)",
    "partner_link": "link of {name}",
    "candidates": "candidates ({n}; fill: country)",
    "ranked_candidates": "ranked candidates ({n}; fill: country)",
    "candidate_link": "line to a candidate",
    "links": "link ({n:,} drawn)",
    "other_links": "other link ({n:,} drawn)",
    "off_map": "→ off the map: named at the edge",
    "towns": "towns",
    "density": "links ({n:,}): darker where more pass",
    "flows_top": "{n:,} links between two countries",
    "flows": "{n:,} links",
}

_COUNTRY_KEY = re.compile(r"^country\.[A-Z]{2}$")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def check_texts(texts: Mapping[str, str] | None) -> dict[str, str]:
    """The map texts: :data:`MAP_TEXTS` updated with ``texts`` (checked).

    Raises
    ------
    ValidationError
        Listing every unknown key, non-text value and template field its default lacks.

    Examples
    --------
    >>> from twinning_graph.plot._texts import check_texts
    >>> check_texts({"partner": "partenaire"})["partner"]
    'partenaire'
    >>> check_texts(None)["links"]
    'link ({n:,} drawn)'
    """
    merged = dict(MAP_TEXTS)
    if texts is None:
        return merged
    if not isinstance(texts, Mapping):
        raise ValidationError(
            f"texts must be a mapping of text keys to strings, got {type(texts).__name__}"
        )
    problems: list[str] = []
    for key, value in texts.items():
        if not isinstance(key, str) or (key not in MAP_TEXTS and not _COUNTRY_KEY.match(key)):
            problems.append(f"unknown key {key!r}")
            continue
        if not isinstance(value, str):
            problems.append(f"{key!r}: value must be a string, got {type(value).__name__}")
            continue
        try:
            extra = _fields(value) - (_fields(MAP_TEXTS[key]) if key in MAP_TEXTS else set())
        except ValueError as exc:
            problems.append(f"{key!r}: not a format template ({exc}): {value!r}")
            continue
        if extra:
            allowed = sorted(_fields(MAP_TEXTS.get(key, ""))) or ["none"]
            problems.append(
                f"{key!r}: unknown field(s) {sorted(extra)} in {value!r} "
                f"(allowed: {', '.join(allowed)})"
            )
            continue
        merged[key] = value
    if problems:
        raise ValidationError(
            f"texts: {len(problems)} problem(s): "
            + "; ".join(problems)
            + f". Allowed keys: {', '.join(MAP_TEXTS)} and 'country.XX' (an ISO code)"
        )
    return merged


def fill(texts: Mapping[str, str], key: str, **values: Any) -> str:
    """The text ``key`` with its fields filled (``texts`` from :func:`check_texts`)."""
    return texts.get(key, MAP_TEXTS[key]).format(**values)
