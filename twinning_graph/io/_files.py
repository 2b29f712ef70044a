"""Former town ids (aliases) and checking files without loading them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from twinning_graph._csv import (
    read_raw,
)
from twinning_graph._errors import ValidationError
from twinning_graph._validate import Problems
from twinning_graph.io._common import (
    Source,
    bundled_data_dir,
    source_list,
)
from twinning_graph.io._partnerships import read_partnerships
from twinning_graph.io._towns import read_towns


def read_aliases(path: str | os.PathLike[str], *, towns: pd.DataFrame) -> pd.Series:
    """Former town ids and the town each now resolves to (``alias,town_id,reason`` CSV).

    A missing file gives an empty table. Every target must be a town of ``towns`` and no
    alias may itself be a current town id.
    """
    empty = pd.Series(pd.Index([], dtype=str), index=pd.Index([], dtype=str, name="alias"))
    if not Path(path).exists():
        return empty
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    label = str(path)
    problems = Problems()
    missing = [c for c in ("alias", "town_id") if c not in frame.columns]
    if missing:
        problems.add(label, 1, None, f"missing columns {missing}; expected alias,town_id,reason")
        problems.raise_if_any(label)
    bad_target = ~frame["town_id"].isin(towns.index)
    for r, v in zip(frame.index[bad_target] + 2, frame["town_id"][bad_target], strict=True):
        problems.add(label, int(r), "town_id", f"alias target {v!r} is not a town")
    shadow = frame["alias"].isin(towns.index)
    for r, v in zip(frame.index[shadow] + 2, frame["alias"][shadow], strict=True):
        problems.add(label, int(r), "alias", f"alias {v!r} is also a current town id")
    problems.raise_if_any(label)
    return pd.Series(
        frame["town_id"].to_numpy(dtype=str),
        index=pd.Index(frame["alias"].to_numpy(dtype=str), name="alias"),
        name="town_id",
    )


def validate_files(paths: Sequence[str | os.PathLike], *, towns: Source | None = None) -> list[Any]:
    """Validate files without loading them into a network; returns the list of problems.

    Each file is recognised by its header: a towns table (``town_id``, ``name``, ...),
    an edge list (``town_a``, ``town_b``) or a membership table (``partnership_id``,
    ``town_id``). Partnership files are checked against the towns files among
    ``paths``, else against ``towns``, else against the bundled towns.

    Examples
    --------
    >>> import tempfile, pathlib, twinning_graph as tg
    >>> with tempfile.TemporaryDirectory() as d:
    ...     bad = pathlib.Path(d, "links.csv")
    ...     _ = bad.write_text("town_a,town_b\\nDE-berlin,DE-berlin\\n")
    ...     problems = tg.validate_files([bad])
    >>> [(p.row, p.column, p.message) for p in problems]
    [(2, 'town_b', "self-link: town_a and town_b are both 'DE-berlin'")]
    """
    problems = Problems()
    town_paths, part_paths = [], []
    unreadable = False
    for p in source_list(list(paths), "paths"):
        if isinstance(p, pd.DataFrame):
            raise ValidationError("validate_files checks files: give paths, not DataFrames")
        columns = _header_columns(p)
        if columns is None:  # unreadable: read it to say why
            probe = Problems()
            read_raw(p, probe)
            problems.extend(probe)
            unreadable = True
            continue
        if {"town_a", "town_b"} <= columns or {"partnership_id", "town_id"} <= columns:
            part_paths.append(p)
        else:
            town_paths.append(p)
    town_tables = []
    for p in town_paths:
        try:
            town_tables.append(read_towns(p))
        except ValidationError as exc:
            problems.items.extend(exc.problems)
    if part_paths:
        ref: pd.DataFrame | None
        if town_tables and len(town_tables) == len(town_paths):
            ref = pd.concat(town_tables)
        elif town_paths or unreadable:
            # a towns file is broken or unreadable: check the partnerships on their own
            # rather than against towns they were not written for
            ref = None
        elif towns is not None:
            try:
                ref = read_towns(towns)
            except ValidationError as exc:
                problems.items.extend(exc.problems)
                ref = None
        else:
            ref = read_towns(bundled_data_dir() / "towns.csv")
        try:
            read_partnerships(part_paths, towns=ref)
        except ValidationError as exc:
            problems.items.extend(exc.problems)
    return problems.sorted()


def _header_columns(path: str | os.PathLike[str]) -> set[str] | None:
    """Lower-cased column names of a CSV file from its first line; None if unreadable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    if not head.strip() or b"\x00" in head or head.startswith((b"\x1f\x8b", b"PK\x03\x04")):
        return None
    text = head.decode("utf-8-sig", errors="replace")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    sep = max((",", ";", "\t", "|"), key=first.count)
    return {c.strip().strip("'").lower() for c in first.split(sep)}
