"""Blocks of a report (figures, tables, facts, text, sections) and cell formatting."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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
    """A paragraph of plain text."""

    text: str


@dataclass
class Section:
    """One section of the report (a page break precedes it in print)."""

    id: str
    title: str
    intro: str = ""
    blocks: list[Any] = field(default_factory=list)


# --------------------------------------------------------------------------- formatting


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float | np.floating) and math.isnan(v)


def _fmt(v: Any, column: str = "") -> str:
    """One cell as text: thousands separators, shares as percent, missing as an en dash."""
    if _is_missing(v):
        return "–"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        f = float(v)
        if column.endswith("share") and 0 <= f <= 1:
            return f"{100 * f:.1f} %"
        if f.is_integer() and abs(f) < 1e15 and not column.endswith(("ratio", "score")):
            return f"{int(f):,}"
        if abs(f) >= 100:
            return f"{f:,.0f}"
        if abs(f) >= 1:
            return f"{f:.2f}"
        return f"{f:.3g}" if f else "0"
    return str(v)


def _format_column(s: pd.Series, column: str) -> list[str]:
    """Cells of one column as text, with the same number of decimals down the column."""
    values = s.astype(object).tolist()
    if not (_is_numeric(s) and pd.api.types.is_float_dtype(s)):
        # a table shows a few dozen rows: formatting cell by cell is simplest
        return [_fmt(v, column) for v in values]
    x = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    finite = x[np.isfinite(x)]
    if column.endswith("share") and len(finite) and finite.min() >= 0 and finite.max() <= 1:
        spec = "pct"
    elif column.startswith("p_value"):
        spec = ".2g"
    elif len(finite) and np.all(finite == np.round(finite)) and not column.endswith("score"):
        spec = ",.0f"
    else:
        top = float(np.abs(finite).max()) if len(finite) else 0.0
        spec = ",.0f" if top >= 1000 else (".2f" if top >= 1 else ".3f")
    out = []
    for v in x:
        if not np.isfinite(v):
            out.append("–")
        elif spec == "pct":
            out.append(f"{100 * v:.1f} %")
        else:
            out.append(format(v, spec))
    return out


def _label(column: str) -> str:
    return str(column).replace("_", " ")


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
