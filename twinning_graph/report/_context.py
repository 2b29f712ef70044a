"""The state a report is built in: its scope, the table/CSV writer and cached analytics."""

from __future__ import annotations

import difflib
import importlib
import inspect
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import UnknownCountryError, UnknownTownError, ValidationError
from twinning_graph.network import TwinningData
from twinning_graph.report._blocks import (
    Section,
    Table,
    _format_column,
    _is_numeric,
    _label,
)

# the package's logger, as before report.py became a subpackage
logger = logging.getLogger("twinning_graph.report")

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
        data (any case; ``EL`` and ``UK`` accepted), or a ``town_id``.

    Returns
    -------
    Scope
        With ``kind`` ("europe", "country" or "town"), ``key`` (the code or town id) and a
        display ``label``.

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
    if s in towns.index:
        row = towns.loc[s]
        return Scope("town", s, f"{row['name']} ({row['country']})")
    present = sorted(set(towns["country"].astype(str)))
    code = {"EL": "GR", "UK": "GB"}.get(s.upper(), s.upper())
    if code in present:
        from twinning_graph.countries import country_name

        try:
            name = country_name(code)
        except Exception:  # an unusual code of user data: show the code  # noqa: BLE001
            name = code
        return Scope("country", code, f"{name} ({code})")
    allowed = (
        f"allowed: 'europe', a country code in the data ({', '.join(present)}) or a "
        f"town id (see data.towns.index, {len(towns)} towns)"
    )
    if len(s) == 2 and s.isalpha():
        raise UnknownCountryError(
            f"unknown scope {scope!r}: no towns of country {code!r} in the data; {allowed}"
        )
    close = difflib.get_close_matches(s, [str(t) for t in towns.index], n=3)
    hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
    raise UnknownTownError(
        f"unknown scope {scope!r}{hint}: not 'europe', a country code or a "
        f"town id of the data; {allowed}"
    )


# --------------------------------------------------------------------------- context


class _Builder:
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
    ) -> None:
        self.data = data
        self.table_format = table_format
        self.scope = scope
        self.path = path
        self.rows = rows
        self.seed = seed
        self.broker_sample = broker_sample
        self.strict = strict
        self._progress = progress
        self.sections: list[Section] = []
        self.omitted: list[tuple[str, str]] = []
        self.csv_files: dict[str, Path] = {}
        self._cache: dict[str, Any] = {}
        self._t0 = time.perf_counter()

    # progress / optional parts ---------------------------------------
    def step(self, message: str) -> None:
        logger.info("report: %s", message)
        if self._progress is not None:
            self._progress(message)

    def optional(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run one part of the report; a missing module or a failure leaves it out."""
        try:
            return fn()
        except (ImportError, AttributeError) as exc:
            if self.strict:
                raise
            reason = f"not available ({type(exc).__name__}: {exc})"
        except Exception as exc:  # noqa: BLE001 - a failing part must not lose the whole report
            if self.strict:
                raise
            reason = f"failed ({type(exc).__name__}: {exc})"
        logger.warning("report: %s left out: %s", what, reason)
        self.omitted.append((what, reason))
        return None

    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

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
    ) -> Table:
        """Format the first ``rows`` rows of ``frame`` for HTML; write ``csv_frame`` (default
        ``frame``, every row) to ``<name>_<table>.csv`` beside the report."""
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
        numeric = [_is_numeric(head[c]) for c in head.columns]
        labels = [_label(c) for c in head.columns]
        if index_label and labels:
            labels[0] = index_label
        cols = [_format_column(head[c], str(c)) for c in head.columns]
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


def _function(module: str, name: str) -> Callable[..., Any]:
    """``twinning_graph.<module>.<name>``; ImportError/AttributeError when not there (yet)."""
    mod = importlib.import_module(f"twinning_graph.{module}")
    return getattr(mod, name)


def _call(fn: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """Call ``fn`` with the keyword options its signature accepts."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return fn(*args, **options)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(*args, **options)
    return fn(*args, **{k: v for k, v in options.items() if k in params})


# --------------------------------------------------------------------------- shared analytics


def _town_reach(b: _Builder) -> pd.DataFrame:
    return b.cached("town_reach", lambda: _function("reach", "town_reach")(b.data))


def _communities(b: _Builder) -> pd.Series:
    def run() -> pd.Series:
        clusters = importlib.import_module("twinning_graph.clusters")
        method = "leiden" if clusters._fast_available() else "louvain"
        b.step(f"communities ({method.capitalize()})")
        return _call(clusters.communities, b.data, seed=b.seed, method=method)

    return b.cached("communities", run)


def _brokers(b: _Builder) -> pd.DataFrame:
    def run() -> pd.DataFrame:
        n = b.broker_sample
        b.step(f"brokers (betweenness, {'exact' if n is None else f'{n} sampled sources'})")
        out = _call(_function("clusters", "brokers"), b.data, top=None, sample=n, seed=b.seed)
        out = out.copy()
        out.insert(0, "rank", np.arange(1, len(out) + 1))
        return out

    return b.cached("brokers", run)


def _gaps(b: _Builder) -> pd.DataFrame:
    def run() -> pd.DataFrame:
        b.step("country-pair gaps")
        return _function("gaps", "country_pair_gaps")(b.data)

    return b.cached("gaps", run)


def _country_of(b: _Builder) -> str | None:
    s = b.scope
    if s.kind == "country":
        return s.key
    if s.kind == "town":
        return str(b.data.towns.loc[s.key, "country"])
    return None
