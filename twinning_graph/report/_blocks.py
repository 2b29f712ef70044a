"""Blocks of a report (figures, tables, facts, text, sections) and cell formatting."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph.report._i18n import Lang

# --------------------------------------------------------------------------- blocks


@dataclass
class Figure:
    """An embedded image: ``uri`` is a ``data:`` URI."""

    uri: str
    alt: str
    caption: str = ""
    wide: bool = True


@dataclass
class Table:
    """A table of formatted cells; ``numeric[i]`` right-aligns column ``i``."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    csv: str | None = None
    total: int = 0
    note: str = ""


@dataclass
class Facts:
    """Headline figures: (label, value, hint) triples shown as cards."""

    items: list[tuple[str, str, str]]


@dataclass
class Text:
    """A paragraph of plain text; ``kind`` "note" is a small note on the data."""

    text: str
    kind: str = "plain"
    heading: str = ""


@dataclass
class Steps:
    """Numbered next steps: (heading, text) pairs, with optional links (text, url)."""

    items: list[tuple[str, str]]
    links: list[tuple[str, str]] = field(default_factory=list)
    #: a sentence under the steps (e.g. what a mark on a town means)
    note: str = ""


@dataclass
class Glossary:
    """Terms and their explanations."""

    items: list[tuple[str, str]]


@dataclass
class Section:
    """One section of the report (a page break precedes it in print)."""

    id: str
    title: str
    intro: str = ""
    blocks: list[Any] = field(default_factory=list)
    #: the data's date and coverage, shown where the section's figures are read
    data_note: str = ""


# --------------------------------------------------------------------------- formatting


def is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float | np.floating) and math.isnan(v)


def fmt(v: Any, lang: Lang, column: str = "") -> str:
    """One cell as text in the report's language: grouped digits, shares as percent,
    yes/no, missing as an en dash."""
    if is_missing(v):
        return "–"
    if isinstance(v, bool | np.bool_):
        return lang.yes_no(v)
    if isinstance(v, int | np.integer):
        return lang.number(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        if column.endswith("share") and 0 <= f <= 1:
            return lang.percent(f, 1)
        if f.is_integer() and abs(f) < 1e15 and not column.endswith(("ratio", "score")):
            return lang.number(f)
        return lang.number(f, 0 if abs(f) >= 100 else (2 if abs(f) >= 1 else 3))
    return str(v)


#: Columns that hold calendar years: printed as ``2024``, never with a digit grouping.
YEAR_COLUMNS = frozenset({"since", "year", "first_seen"})


def year_text(v: Any) -> str:
    """A year as four digits (``2024.0`` -> ``'2024'``); missing: en dash."""
    if is_missing(v):
        return "–"
    try:
        return str(int(float(v)))
    except (TypeError, ValueError):
        return str(v)


def format_column(s: pd.Series, column: str, lang: Lang) -> list[str]:
    """Cells of one column as text, with the same number of decimals down the column
    (years as plain four digits)."""
    values = s.astype(object).tolist()
    if column in YEAR_COLUMNS:
        return [year_text(v) for v in values]
    if not (is_numeric(s) and pd.api.types.is_float_dtype(s)):
        # a table shows a few dozen rows: formatting cell by cell is simplest
        return [fmt(v, lang, column) for v in values]
    x = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    finite = x[np.isfinite(x)]
    if column.endswith("share") and len(finite) and finite.min() >= 0 and finite.max() <= 1:
        return ["–" if not np.isfinite(v) else lang.percent(v, 1) for v in x]
    if column.endswith("_km") or (
        len(finite) and np.all(finite == np.round(finite)) and not column.endswith("score")
    ):
        decimals = 0  # distances in whole km in every table
    else:
        top = float(np.abs(finite).max()) if len(finite) else 0.0
        decimals = 0 if top >= 1000 else (2 if top >= 1 else 3)
    return ["–" if not np.isfinite(v) else lang.number(v, decimals) for v in x]


def is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
