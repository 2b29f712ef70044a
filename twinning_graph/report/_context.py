"""The state a report is built in: its scope, language, call, the table/CSV writer and the
analytics every section shares (computed once per report)."""

from __future__ import annotations

import datetime as _dt
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph import clusters, gaps
from twinning_graph._errors import (
    UnknownCountryError,
    UnknownTownError,
    ValidationError,
    unknown_towns,
)
from twinning_graph.countries import country_from_name, country_table, normalise_country
from twinning_graph.network import TwinningData
from twinning_graph.reach import country_reach as _country_reach
from twinning_graph.reach import town_reach as _town_reach
from twinning_graph.recommend import rank_partners
from twinning_graph.report._blocks import (
    Section,
    Table,
    format_column,
    is_numeric,
)
from twinning_graph.report._call import CallFacts
from twinning_graph.report._i18n import Lang

# the package's logger, as before report.py became a subpackage
logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: Rows shown in an HTML table (the CSV beside the report holds every row).
DEFAULT_ROWS = 15


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What a report is about: ``kind`` is "europe", "country" or "town"."""

    kind: str
    key: str | None = None
    label: str = "Europe"


def resolve_scope(data: TwinningData, scope: str) -> Scope:
    """Interpret a report scope: ``"europe"``, a country code in the data, or a town id.

    Parameters
    ----------
    data
        The network.
    scope
        ``"europe"`` (any case), an ISO 3166-1 alpha-2 code of a country with towns in the
        data (any case; ``EL`` and ``UK`` accepted), a ``town_id`` (or former id, Wikidata
        id) or the name of one town of the data.

    Returns
    -------
    Scope
        With ``kind`` ("europe", "country" or "town"), ``key`` (the code or town id) and a
        display ``label`` (English; a report shows the label in its own language).

    Raises
    ------
    UnknownCountryError
        A two-letter scope that is no country of the data.
    UnknownTownError
        Any other scope that is not a town id of the data.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.report import resolve_scope
    >>> data = tg.load()
    >>> resolve_scope(data, "fr").kind, resolve_scope(data, "FR-paris").label
    ('country', 'Paris (FR)')
    """
    if not isinstance(scope, str) or not scope.strip():
        raise ValidationError(
            f"scope must be 'europe', a country code or a town id (a string), got {scope!r}"
        )
    towns = data.towns
    s = scope.strip()
    if s.lower() == "europe":
        return Scope("europe", None, "Europe")
    if s in towns.index or s in data.aliases.index:  # a former id resolves to its town
        tid = data.resolve([s])[0]
        row = towns.loc[tid]
        return Scope("town", tid, f"{row['name']} ({row['country']})")
    present = sorted(set(towns["country"].astype(str)))
    code = normalise_country(s.upper(), errors="coerce")
    if pd.isna(code):  # a country written out ("Poland", "Czech Republic")
        try:
            code = country_from_name(s)
        except UnknownCountryError:
            code = s.upper()
    code = str(code)
    if code in present:
        names = country_table()["name"]
        return Scope("country", code, f"{names.get(code, code)} ({code})")
    shown = ", ".join(present[:12]) + (
        f", ... ({len(present)} in all)" if len(present) > 12 else ""
    )
    allowed = f"allowed: 'europe', a country code in the data ({shown}), a town id or a town's name"
    if len(s) == 2 and s.isalpha():
        raise UnknownCountryError(
            f"unknown scope {scope!r}: no towns of country {code!r} in the data; {allowed}"
        )
    try:  # a Wikidata id or the name of one town
        tid = data.resolve([s], what="scope")[0]
    except UnknownTownError:
        raise unknown_towns(
            [s], towns.index, names=towns["name"], what="scope", hint=allowed
        ) from None
    row = towns.loc[tid]
    return Scope("town", tid, f"{row['name']} ({row['country']})")


# --------------------------------------------------------------------------- data conditions


@dataclass(frozen=True)
class Condition:
    """A documented condition of the data under which one part of a report is left out.

    ``error`` and ``pattern`` are the exception and message with which the analysis function
    documents the condition; ``key`` names the plain-words explanation in the catalogues
    (``omitted.<key>``). Anything else an analysis raises is a bug and stops the report.
    """

    key: str
    error: type[Exception]
    pattern: str

    def matches(self, exc: BaseException) -> bool:
        return isinstance(exc, self.error) and re.search(self.pattern, str(exc)) is not None


#: plot_links_per_year: "no link has a known 'since' year"
NO_YEAR = Condition("no_year", ValidationError, r"no link has a known 'since' year")
#: country_pair_gaps: "need more than N country pairs to fit model=..."
FEW_COUNTRIES = Condition("few_countries", ValidationError, r"country pairs to fit model")
#: plot_degree_distribution: "no link in the data"
NO_LINK = Condition("no_link", ValidationError, r"no link in the data")
#: rank_partners: "no candidate partner left for ..."
NO_CANDIDATE = Condition("no_candidate", ValidationError, r"no candidate partner left")


# --------------------------------------------------------------------------- context


class Builder:
    """Collects sections and tables; writes the CSV files as tables are added."""

    def __init__(
        self,
        data: TwinningData,
        scope: Scope,
        path: Path,
        *,
        rows: int,
        seed: int,
        broker_sample: int | None,
        strict: bool,
        progress: Progress | None,
        table_format: str = "csv",
        lang: Lang,
        call: CallFacts | None,
        per_country: int | None = None,
    ) -> None:
        self.data = data
        #: at most this many candidate partners per country (None: no cap)
        self.per_country = per_country
        self.table_format = table_format
        self.scope = scope
        self.path = path
        self.rows = rows
        self.seed = seed
        self.broker_sample = broker_sample
        self.strict = strict
        self.lang = lang
        self.call = call
        self._progress = progress
        self.sections: list[Section] = []
        self.omitted: list[tuple[str, str]] = []
        self.csv_files: dict[str, Path] = {}
        self._cache: dict[str, Any] = {}
        self._t0 = time.perf_counter()
        #: the day the report is made (a call deadline before it has passed)
        self.today = _dt.date.today()

    # progress / optional parts ---------------------------------------
    def step(self, message: str) -> None:
        logger.info("report: %s", message)
        if self._progress is not None:
            self._progress(message)

    def optional(self, what: str, fn: Callable[[], Any], *conditions: Condition) -> Any:
        """Run one part of the report; leave it out (listed at the end) only when the data
        meets one of ``conditions``. Every other error propagates."""
        try:
            return fn()
        except Exception as exc:
            met = next((c for c in conditions if c.matches(exc)), None)
            if met is None or self.strict:
                raise
            logger.warning("report: %s left out: %s", what, exc)
            self.omitted.append((what, self.lang(f"omitted.{met.key}")))
            return None

    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    # words --------------------------------------------------------------
    def town_name(self, town_id: Any, *, home: str | None = None) -> str:
        """``'Name (Country)'`` of a town of the data, in the report's language; just the
        name for a town of the country ``home``."""
        t = self.data.towns.loc[str(town_id)]
        if home is not None and str(t["country"]) == home:
            return str(t["name"])
        return f"{t['name']} ({self.lang.country(t['country'])})"

    def scope_label(self) -> str:
        s = self.scope
        if s.kind == "europe":
            return self.lang("scope.europe")
        if s.kind == "country":
            return self.lang.country(s.key)
        return str(self.data.towns.loc[str(s.key), "name"])

    # tables ------------------------------------------------------------
    def table(
        self,
        frame: pd.DataFrame,
        name: str,
        title: str,
        *,
        rows: int | None = None,
        columns: Iterable[str] | None = None,
        index_label: str | None = None,
        note: str = "",
        csv_frame: pd.DataFrame | None = None,
        values: Mapping[str, Callable[[Any], str]] | None = None,
    ) -> Table:
        """Format the first ``rows`` rows of ``frame`` for HTML; write ``csv_frame`` (default
        ``frame``, every row) to ``<name>_<table>.csv`` beside the report.

        The CSV keeps the machine column names and values; the HTML shows each column under
        its name in the report's language (catalogue key ``col.<column>``), numbers in the
        language's format, and ``values[column](cell)`` for columns given there.
        ``index_label`` is the catalogue column key of a named index.
        """
        from twinning_graph._write import table_suffix, write_table

        full = frame if csv_frame is None else csv_frame
        suffix = table_suffix(self.table_format)
        csv_path = self.path.with_name(f"{self.path.stem}_{name}{suffix}")
        out = full.reset_index() if _has_named_index(full) else full
        # tables for people: rounded for reading, formula-safe (the one table writer)
        write_table(out, csv_path, format=self.table_format, for_people=True, sheet_name=name)
        self.csv_files[name] = csv_path
        shown = frame.reset_index() if _has_named_index(frame) else frame
        if columns is not None:
            keep = [c for c in columns if c in shown.columns]
            shown = shown[keep]
        n = len(shown)
        head = shown.head(self.rows if rows is None else rows)
        values = values or {}
        keys = [str(c) for c in head.columns]
        if index_label and _has_named_index(frame) and keys and keys[0] == frame.index.name:
            keys[0] = index_label
        numeric = [is_numeric(head[c]) for c in head.columns]
        labels = [self.lang(f"col.{k}") for k in keys]
        cols = [
            [values[str(c)](v) for v in head[c].tolist()]
            if str(c) in values
            else format_column(head[c], str(c), self.lang)
            for c in head.columns
        ]
        cells = [list(r) for r in zip(*cols, strict=True)] if cols else []
        return Table(
            title=title,
            columns=labels,
            rows=cells,
            numeric=numeric,
            csv=csv_path.name,
            total=n,
            note=note,
        )


def _has_named_index(frame: pd.DataFrame) -> bool:
    return frame.index.name is not None


# --------------------------------------------------------------------------- shared analytics


def town_reach(b: Builder) -> pd.DataFrame:
    return b.cached("town_reach", lambda: _town_reach(b.data))


def country_reach(b: Builder) -> pd.DataFrame:
    return b.cached("country_reach", lambda: _country_reach(b.data))


def communities(b: Builder) -> pd.Series:
    def run() -> pd.Series:
        b.step("communities")
        return clusters.communities(b.data, seed=b.seed, method="auto")

    return b.cached("communities", run)


def brokers(b: Builder) -> pd.DataFrame:
    def run() -> pd.DataFrame:
        n = b.broker_sample
        b.step(f"brokers (betweenness, {'exact' if n is None else f'{n} sampled sources'})")
        out = clusters.brokers(b.data, n=None, sample=n, seed=b.seed).copy()
        out.insert(0, "rank", np.arange(1, len(out) + 1))
        return out

    return b.cached("brokers", run)


def pair_gaps(b: Builder) -> pd.DataFrame | None:
    """The country-pair gap table, or None when the data has too few countries for it."""

    def run() -> pd.DataFrame | None:
        b.step("country-pair gaps")
        return b.optional(
            b.lang("omitted.what.gaps"), lambda: gaps.country_pair_gaps(b.data), FEW_COUNTRIES
        )

    return b.cached("gaps", run)


def candidates(b: Builder) -> pd.DataFrame | None:
    """Ranked candidate partners of the scope's town (the call's eligibility applies; at
    most ``b.per_country`` per country)."""

    def run() -> pd.DataFrame | None:
        b.step("candidate partners")
        call = b.call.call if b.call is not None else None
        return b.optional(
            b.lang("omitted.what.candidates"),
            lambda: rank_partners(
                b.data, str(b.scope.key), n=b.rows, call=call, per_country=b.per_country
            ),
            NO_CANDIDATE,
        )

    return b.cached("candidates", run)


def european(codes: pd.Series) -> pd.Series:
    """Whether each country code is a European country (country table's ``europe``)."""
    flag = country_table()["europe"].astype(bool)
    return codes.astype(str).map(flag).fillna(False).astype(bool)


def country_of(b: Builder) -> str | None:
    s = b.scope
    if s.kind == "country":
        return s.key
    if s.kind == "town":
        return str(b.data.towns.loc[s.key, "country"])
    return None
