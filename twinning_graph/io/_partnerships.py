"""Reading and validating partnership records: edge lists and project memberships."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._csv import (
    row_labels,
)
from twinning_graph._validate import MAX_LISTED, Problems, warn
from twinning_graph.io._common import (
    EDGE_COLUMNS,
    MEMBERSHIP_COLUMNS,
    YEAR_RANGE,
    Source,
    check_cells,
    did_you_mean,
    empty_records,
    extra_values,
    header_row,
    load_frame,
    rename_known,
    source_list,
)


def _key_projects_by_file(parts: list[pd.DataFrame], problems: Problems) -> None:
    """Keep projects of different files apart when they share a partnership_id.

    Two membership files that both number their project ``1`` describe two projects: the
    shared ids are prefixed with the file's name (``calls2023:1``, ``calls2024:1``) with a
    warning. When two files have the same name (``a/members.csv`` and
    ``b/members.csv``) they cannot be told apart this way: refused.
    """
    if len(parts) < 2:
        return
    owners: dict[str, list[int]] = {}
    for i, part in enumerate(parts):
        for pid in part["partnership_id"].unique():
            owners.setdefault(str(pid), []).append(i)
    shared = {pid: files for pid, files in owners.items() if len(files) > 1}
    if not shared:
        return
    keys = [str(part.attrs.get("file_key", f"table{i}")) for i, part in enumerate(parts)]
    involved = sorted({i for files in shared.values() for i in files})
    clash = [i for i in involved if [keys[j] for j in involved].count(keys[i]) > 1]
    if clash:
        labels = ", ".join(str(parts[i].attrs.get("label")) for i in clash)
        pid = next(iter(shared))
        problems.add(
            str(parts[clash[0]].attrs.get("label")),
            None,
            "partnership_id",
            f"project id {pid!r} appears in several membership files with the same name "
            f"({labels}): a project is identified by its file and its id, and these files "
            "cannot be told apart; rename the files, or make the ids unique",
        )
        return
    for i in involved:
        part = parts[i]
        hit = part["partnership_id"].isin(list(shared)).to_numpy()
        part.loc[hit, "partnership_id"] = keys[i] + ":" + part.loc[hit, "partnership_id"]
    example = next(iter(shared))
    files = ", ".join(str(parts[i].attrs.get("label")) for i in shared[example])
    warn(
        f"{len(shared)} project id{'s' if len(shared) != 1 else ''} (e.g. {example!r}) "
        f"appear{'' if len(shared) != 1 else 's'} in more than one membership file ({files}): read as different projects, "
        f"named by file ({', '.join(repr(keys[i] + ':' + example) for i in shared[example])}); "
        "list all members of one project in one file",
        stacklevel=5,
    )


def _parse_year(frame: pd.DataFrame, label: str, rows: Any, problems: Problems) -> pd.Series:
    if "since" not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    txt = frame["since"].str.strip()
    # accept a year, or an ISO date / "1995-05" whose first four digits are the year
    year_txt = txt.str.extract(r"^(\d{4})(?:[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?(?:\.0+)?$")[0]
    years = pd.to_numeric(year_txt, errors="coerce").astype("Int64")
    bad = ((txt != "") & years.isna()).to_numpy()
    for r, v in zip(rows(bad), frame["since"][bad], strict=True):
        problems.add(label, r, "since", f"not a year: {v!r}; expected e.g. 1995 or 1995-05-01")
    lo, hi = YEAR_RANGE
    out_range = ((years < lo) | (years > hi)).fillna(False).to_numpy()
    for r, v in zip(rows(out_range), years[out_range], strict=True):
        problems.add(label, r, "since", f"year {v} outside the plausible range {lo}-{hi}")
    return years


def _read_one_partnership_source(
    source: Source, index: int, town_ids: pd.Index | None, problems: Problems
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    frame, label, from_file, _ = load_frame(source, f"<partnerships DataFrame {index}>", problems)
    if frame is None:
        return None, None
    frame = rename_known(frame, (*EDGE_COLUMNS, *MEMBERSHIP_COLUMNS))
    cols = set(frame.columns)

    def rows(mask: np.ndarray) -> list[int | str]:
        return row_labels(frame, mask, from_file)

    default_source = Path(label).stem if from_file else "user"
    if {"town_a", "town_b"} <= cols:
        kind = "edges"
    elif {"partnership_id", "town_id"} <= cols:
        kind = "members"
    else:
        problems.add(
            label,
            header_row(frame),
            None,
            f"cannot tell the format from the header {list(frame.columns)}: an edge list needs "
            "columns 'town_a' and 'town_b'; a project membership file needs 'partnership_id' "
            "and 'town_id' (one row per member town)",
        )
        return None, None

    n_before = len(problems)
    check_cells(
        frame,
        label,
        problems,
        ("town_a", "town_b", "town_id", "partnership_id", "kind", "source"),
    )
    if len(problems) > n_before:
        return None, None
    since = _parse_year(frame, label, rows, problems)
    kind_col = (
        frame["kind"].str.strip().str.lower()
        if "kind" in cols
        else pd.Series("twinning" if kind == "edges" else "project", index=frame.index)
    )
    if "kind" in cols:
        problems.add_rows(label, rows((kind_col == "").to_numpy()), "kind", "empty kind")
    src = (
        frame["source"].str.strip()
        if "source" in cols
        else pd.Series(default_source, index=frame.index)
    )
    src = src.where(src != "", default_source)

    id_cols = ("town_a", "town_b") if kind == "edges" else ("town_id",)
    for c in id_cols:
        ids = frame[c].str.strip()
        empty = (ids == "").to_numpy()
        problems.add_rows(label, rows(empty), c, f"empty {c}")
        if town_ids is not None:
            unknown = ~ids.isin(town_ids).to_numpy() & ~empty
            for r, v in zip(rows(unknown), ids[unknown], strict=True):
                close = did_you_mean(v, town_ids)
                hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
                problems.add(label, r, c, f"unknown town {v!r}: not in the towns table{hint}")

    if kind == "edges":
        a = frame["town_a"].str.strip()
        b = frame["town_b"].str.strip()
        selfl = ((a == b) & (a != "")).to_numpy()
        for r, v in zip(rows(selfl), a[selfl], strict=True):
            problems.add(label, r, "town_b", f"self-link: town_a and town_b are both {v!r}")
        pid = (
            frame["partnership_id"].str.strip()
            if "partnership_id" in cols
            else pd.Series("", index=frame.index)
        )
        out = pd.DataFrame(
            {
                "town_a": a,
                "town_b": b,
                "kind": kind_col,
                "since": since,
                "source": src,
                "partnership_id": pid.where(pid != "", None),
            }
        )
        extras = [c for c in frame.columns if c not in EDGE_COLUMNS]
    else:
        pid = frame["partnership_id"].str.strip()
        problems.add_rows(
            label, rows((pid == "").to_numpy()), "partnership_id", "empty partnership_id"
        )
        out = pd.DataFrame(
            {
                "partnership_id": pid,
                "town_id": frame["town_id"].str.strip(),
                "kind": kind_col,
                "since": since,
                "source": src,
            }
        )
        extras = [c for c in frame.columns if c not in MEMBERSHIP_COLUMNS]
    for c in extras:
        out[c] = extra_values(frame, c)
    if len(problems) > n_before:
        return None, None
    out = out.reset_index(drop=True)
    out.attrs["label"] = label
    out.attrs["file_key"] = default_source if from_file else f"table{index}"
    return (out, None) if kind == "edges" else (None, out)


def merge_duplicate_edges(edges: pd.DataFrame) -> pd.DataFrame:
    """Orient pairs (town_a < town_b) and merge repeated statements of one partnership."""
    a, b = edges["town_a"].to_numpy(dtype=object), edges["town_b"].to_numpy(dtype=object)
    swap = a > b
    edges = edges.assign(town_a=np.where(swap, b, a), town_b=np.where(swap, a, b))
    key = edges["partnership_id"].fillna("\x00" + edges["kind"])
    dup = edges.assign(_k=key).duplicated(["town_a", "town_b", "_k"], keep="first")
    n = int(dup.sum())
    if n:
        first_since = (
            edges.assign(_k=key)
            .groupby(["town_a", "town_b", "_k"], sort=False)["since"]
            .transform("min")
        )
        edges = edges.assign(since=first_since)[~dup.to_numpy()].reset_index(drop=True)
        warn(
            f"{n} duplicate partnership row{'s' if n != 1 else ''} (same pair, same kind or "
            f"partnership_id, e.g. stated from both ends) merged into one; the earliest "
            f"'since' is kept"
        )
    return edges


def membership_conflicts(members: pd.DataFrame) -> list[str]:
    """Lines describing the columns whose values differ between repeated membership rows.

    A repeat is two rows with the same ``partnership_id`` and ``town_id``; the first row
    is the one kept, so every line says which value was kept (e.g. Berlin listed twice in
    one project, once as "Lead Partner" and once as "Partner").
    """
    key = ["partnership_id", "town_id"]
    dup = members.duplicated(key, keep=False) & members["partnership_id"].notna()
    if not dup.any():
        return []
    rows = members[dup.to_numpy()]
    lines = []
    for (pid, tid), group in rows.groupby(key, sort=True):  # loop over repeats only
        for col in group.columns.difference(key):
            values = group[col].dropna().astype(str).unique()
            if len(values) > 1:
                lines.append(
                    f"project {pid!r}, town {tid!r}: {col} given as "
                    + " / ".join(map(repr, values))
                    + f"; kept {values[0]!r}"
                )
    return lines


def _merge_duplicate_members(members: pd.DataFrame) -> pd.DataFrame:
    dup = members.duplicated(["partnership_id", "town_id"], keep="first")
    n = int(dup.sum())
    if n:
        conflicts = membership_conflicts(members)
        members = members[~dup.to_numpy()].reset_index(drop=True)
        listed = "".join(f"\n  {line}" for line in conflicts[:MAX_LISTED])
        more = (
            f"\n  ... and {len(conflicts) - MAX_LISTED} more" if len(conflicts) > MAX_LISTED else ""
        )
        warn(
            f"{n} duplicate membership row{'s' if n != 1 else ''} (same partnership_id and "
            "town_id) merged"
            + (f"; {len(conflicts)} with conflicting values:{listed}{more}" if conflicts else "")
        )
    size = members.groupby("partnership_id")["town_id"].transform("size")
    lone = members.loc[size.to_numpy() < 2, "partnership_id"].unique()
    if len(lone):
        warn(
            f"{len(lone)} project{'s' if len(lone) != 1 else ''} with a single member town "
            f"create no link (e.g. {', '.join(map(repr, lone[:3]))})"
        )
    return members


def read_partnerships(
    sources: Source | Sequence[Source], *, towns: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate one or several partnership inputs.

    Each input is either an edge list (columns ``town_a``, ``town_b`` and optionally
    ``kind``, ``since``, ``source``, ``partnership_id``) or a project membership table
    (``partnership_id``, ``town_id`` and optionally ``kind``, ``since``, ``source``; one
    row per member town), told apart by the header. Extra columns are kept.

    Parameters
    ----------
    sources
        A path or DataFrame, or a list of them.
    towns
        Validated towns (from :func:`read_towns`); when given, every town id is checked.

    Returns
    -------
    edges, memberships : pandas.DataFrame
        Edge-list records (pairs oriented so that ``town_a < town_b``; repeated statements
        merged with a warning) and membership records.

    Examples
    --------
    >>> import pandas as pd, twinning_graph as tg
    >>> members = pd.DataFrame({"partnership_id": ["NT-1"] * 3,
    ...                         "town_id": ["DE-berlin", "FR-paris", "PL-krakow"]})
    >>> edges, memberships = tg.read_partnerships(members, towns=tg.load().towns)
    >>> len(edges), memberships["kind"].unique().tolist()
    (0, ['project'])
    """
    sources = source_list(sources, "partnerships")
    problems = Problems()
    edge_parts, member_parts = [], []
    ids = towns.index if towns is not None else None
    for i, s in enumerate(sources):
        e, m = _read_one_partnership_source(s, i, ids, problems)
        if e is not None:
            edge_parts.append(e)
        if m is not None:
            member_parts.append(m)
    _key_projects_by_file(member_parts, problems)
    problems.raise_if_any()
    edges = pd.concat(edge_parts, ignore_index=True) if edge_parts else empty_records(EDGE_COLUMNS)
    members = (
        pd.concat(member_parts, ignore_index=True)
        if member_parts
        else empty_records(MEMBERSHIP_COLUMNS)
    )
    for df in (edges, members):
        df["since"] = df["since"].astype("Int64")
    if len(edges):
        edges = merge_duplicate_edges(edges)
    if len(members):
        members = _merge_duplicate_members(members)
    return edges, members
