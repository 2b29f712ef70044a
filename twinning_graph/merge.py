"""Merging two networks: your towns and projects into the bundled twinning network.

:func:`merge` recognises the towns two :class:`~twinning_graph.TwinningData` objects share
(by GeoNames id, or by ``town_id``), gives them the first network's ids and appends the
rest. :func:`match_towns` returns that id mapping on its own.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._validate import Problems, warn
from twinning_graph.io import merge_duplicate_edges
from twinning_graph.network import TwinningData

__all__ = ["merge", "match_towns"]

logger = logging.getLogger(__name__)

#: Ways towns of the two networks are matched.
MATCH_KEYS = ("geonames_id", "town_id")
#: Name of the input in the problems listed by a :class:`ValidationError`.
_LABEL = "merge"


def _check_args(base: object, other: object, on: object) -> None:
    for arg, value in (("base", base), ("other", other)):
        if not isinstance(value, TwinningData):
            raise ValidationError(
                f"{arg} must be TwinningData (from tg.load()), got {type(value).__name__}"
            )
    if on not in MATCH_KEYS:
        raise ValidationError(f"on must be one of {list(MATCH_KEYS)}, got {on!r}")
    if on == "geonames_id":
        missing = [
            arg
            for arg, d in (("base", base), ("other", other))
            if "geonames_id" not in d.towns.columns  # type: ignore[attr-defined]
        ]
        if missing:
            raise ValidationError(
                f"on='geonames_id' but the towns of {' and '.join(missing)} have no "
                "'geonames_id' column; add one (tg.geocode finds GeoNames ids) or use on='town_id'"
            )


def _match(
    base: TwinningData, other: TwinningData, on: str
) -> tuple[pd.Series, dict[str, int], pd.DataFrame, Problems]:
    """Match the towns of ``other`` to those of ``base``.

    Returns the base town_id of each town of ``other`` (``<NA>`` when it is added), the
    counts of ids left unmatched as ambiguous, the matched towns whose names differ, and
    the problems (country mismatches, town_id clashes) to raise.
    """
    bt, ot = base.towns, other.towns
    ambiguous = {"base": 0, "other": 0}
    if on == "town_id":
        hit = ot.index.isin(bt.index)
        target = pd.Series(ot.index.where(hit, None), index=ot.index, dtype=object)
        how = "town_id"
    else:
        bg, og = bt["geonames_id"].astype("Int64"), ot["geonames_id"].astype("Int64")
        counts = bg.value_counts(dropna=True)
        unique = bg.isin(counts.index[counts == 1]).to_numpy()
        lookup = pd.Series(bt.index[unique], index=pd.Index(bg[unique]))
        shared_base = og.isin(counts.index[counts > 1]).to_numpy()
        # two towns of `other` with one id would both become the same base town
        shared_other = (og.duplicated(keep=False) & og.notna()).to_numpy() & ~shared_base
        found = og.map(lookup)
        ambiguous["base"] = int(shared_base.sum())
        ambiguous["other"] = int((shared_other & found.notna().to_numpy()).sum())
        target = found.where(~shared_other).astype(object)
        how = "geonames_id"

    matched = target.notna().to_numpy()
    pairs = pd.DataFrame(
        {
            "other_id": ot.index[matched],
            "base_id": target[matched].to_numpy(),
            "other_name": ot["name"].to_numpy()[matched],
            "other_country": ot["country"].to_numpy()[matched],
        }
    )
    pairs["base_name"] = bt["name"].reindex(pairs["base_id"]).to_numpy()
    pairs["base_country"] = bt["country"].reindex(pairs["base_id"]).to_numpy()
    if how == "geonames_id":
        pairs["key"] = ot["geonames_id"].to_numpy()[matched]
    else:
        pairs["key"] = pairs["other_id"]

    problems = Problems()
    wrong = pairs[pairs["other_country"].to_numpy() != pairs["base_country"].to_numpy()]
    for r in wrong.itertuples():  # loop over the problems only, to spell each one out
        problems.add(
            _LABEL,
            r.other_id,
            "country",
            f"town {r.other_id!r} of other ({r.other_name}, {r.other_country}) has "
            f"{how} {r.key} like base town {r.base_id!r} ({r.base_name}, "
            f"{r.base_country}) but the countries differ: a wrong {how}? Fix it in "
            "other, or clear it to add the town as new",
        )
    clash = ~matched & ot.index.isin(bt.index)
    for tid in ot.index[clash]:
        problems.add(
            _LABEL,
            tid,
            "town_id",
            f"town {tid!r} of other ({ot.at[tid, 'name']}, {ot.at[tid, 'country']}) "
            f"matches no base town by {how} and would be added, but base already has "
            f"town_id {tid!r} ({bt.at[tid, 'name']}, {bt.at[tid, 'country']}); "
            "rename it in other (e.g. with a prefix), or merge with on='town_id' if "
            "it is the same town",
        )

    def norm(names: pd.Series) -> np.ndarray:
        return names.astype(str).str.strip().str.casefold().to_numpy()

    renamed = pairs[norm(pairs["other_name"]) != norm(pairs["base_name"])]
    return target, ambiguous, renamed, problems


def _ambiguity_note(ambiguous: dict[str, int]) -> str:
    parts = []
    if ambiguous["base"]:
        n = ambiguous["base"]
        parts.append(
            f"{n} town{'s' if n != 1 else ''} not matched because {'their' if n != 1 else 'its'} "
            "geonames_id is shared by several base towns (ambiguous; added as new)"
        )
    if ambiguous["other"]:
        n = ambiguous["other"]
        parts.append(
            f"{n} town{'s' if n != 1 else ''} not matched because several towns of "
            "other share the geonames_id (ambiguous; added as new)"
        )
    return "; ".join(parts)


def match_towns(
    base: TwinningData,
    other: TwinningData,
    *,
    on: Literal["geonames_id", "town_id"] = "geonames_id",
) -> pd.Series:
    """The ``town_id`` each town of ``other`` takes when merged into ``base``.

    A town of ``other`` that matches a town of ``base`` (see :func:`merge`) takes the base
    town's id; any other town keeps its own.

    Parameters
    ----------
    base, other
        From :func:`twinning_graph.load`.
    on
        ``"geonames_id"`` (same non-empty GeoNames id) or ``"town_id"`` (identical ids).

    Returns
    -------
    pandas.Series
        Indexed by the ``town_id`` of ``other``, named ``town_id``. The matched towns are
        those whose value is in ``base.towns.index``.

    Raises
    ------
    ValidationError
        Listing every matched pair whose countries differ and every unmatched town whose
        ``town_id`` base already uses for another place.

    Warns
    -----
    DataWarning
        With the number of towns left unmatched because their GeoNames id is ambiguous.

    Examples
    --------
    >>> import pandas as pd, twinning_graph as tg
    >>> from twinning_graph.merge import match_towns
    >>> bundled = tg.load()
    >>> mine = tg.load(towns=pd.DataFrame({"town_id": ["gran", "ilok"],
    ...     "name": ["Esztergom", "Ilok"], "country": ["HU", "HR"], "lat": [47.79, 45.22],
    ...     "lon": [18.74, 19.38], "geonames_id": [3053163, 3199128]}))
    >>> match_towns(bundled, mine).to_dict()
    {'gran': 'HU-esztergom', 'ilok': 'ilok'}
    """
    _check_args(base, other, on)
    target, ambiguous, _, problems = _match(base, other, on)
    problems.raise_if_any("merge (towns of other against towns of base)")
    note = _ambiguity_note(ambiguous)
    if note:
        warn(note)
    ids = pd.Series(other.towns.index, index=other.towns.index, dtype=object)
    return target.fillna(ids).astype(str).rename("town_id")


def _fill_gaps(base_towns: pd.DataFrame, fill: pd.DataFrame) -> pd.DataFrame:
    """Base towns with their missing values (and columns) taken from ``fill``.

    ``fill`` is indexed by base town_id; base values win where both have one.
    """
    out = base_towns.copy()
    for c in fill.columns:  # a loop over columns, not towns
        extra = fill[c].reindex(out.index)
        if c not in out.columns:
            out[c] = extra
        elif extra.notna().any() and out[c].isna().any():
            out[c] = out[c].where(out[c].notna(), extra)
    return out


def _keep_types(out: pd.DataFrame, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Integer and bool columns that gained empty values become Int64 and boolean.

    Plain numpy columns cannot hold a missing value, so concatenation turns them into
    float or object; the nullable types keep whole numbers whole.
    """
    for c in out.columns:  # a loop over columns, not rows
        dtypes = [f[c].dtype for f in frames if c in f.columns and len(f)]
        if not dtypes or out[c].dtype in dtypes:
            continue
        if all(pd.api.types.is_integer_dtype(d) for d in dtypes):
            out[c] = out[c].astype("Int64")
        elif all(pd.api.types.is_bool_dtype(d) for d in dtypes):
            out[c] = out[c].astype("boolean")
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate record tables: union of columns, missing values empty, new RangeIndex."""
    nonempty = [f for f in frames if len(f)]
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    if not nonempty:
        return frames[0].reindex(columns=columns).reset_index(drop=True)
    out = pd.concat(nonempty, ignore_index=True)
    out = out.reindex(columns=columns) if list(out.columns) != columns else out
    return _keep_types(out, frames)


def merge(
    base: TwinningData,
    other: TwinningData,
    *,
    on: Literal["geonames_id", "town_id"] = "geonames_id",
) -> TwinningData:
    """Merge the towns and partnerships of ``other`` into ``base``.

    Towns of ``other`` that match a town of ``base`` take the base town's ``town_id``;
    the others are added. The partnerships and project memberships of ``other`` are
    re-keyed to those ids and appended, so a project of yours joins the bundled network
    with its towns' existing twin towns.

    Parameters
    ----------
    base
        The network merged into (e.g. ``tg.load()``). Its ids and attributes win.
    other
        The network merged in (e.g. ``tg.load(towns=..., partnerships=...)``).
    on
        How towns are matched: ``"geonames_id"`` (default) — the same non-empty GeoNames
        id; ``"town_id"`` — identical ids.

        A GeoNames id carried by several towns of ``base`` (or of ``other``) is ambiguous:
        towns with it are not matched but added as new, with a warning.

    Returns
    -------
    TwinningData
        A new object (the inputs are not modified): the towns of ``base`` then the added
        towns of ``other``; the partnerships and memberships of both; ``edges`` built anew.
        Columns are the union of both inputs' columns, values missing in one are empty.
        A matched town keeps the values of ``base``; only values ``base`` lacks (an empty
        population, a column ``base`` does not have) are taken from ``other``.

    Raises
    ------
    ValidationError
        One error listing every problem: a matched pair whose countries differ (a sign of a
        wrong GeoNames id); a town that matches nothing but whose ``town_id`` ``base``
        already uses for another place (rename it, e.g. with a prefix — ids are never
        changed silently); a project ``partnership_id`` used in the memberships of both.

    Warns
    -----
    DataWarning
        Always, with the counts: towns matched and added, matched towns whose names differ
        (the base name is kept) and towns left unmatched because their GeoNames id is
        ambiguous. Repeated edge-list partnerships (stated in both) are merged into one,
        with a warning giving the count, as :func:`~twinning_graph.load` does.

    See Also
    --------
    match_towns : the id mapping alone.

    Examples
    --------
    Two tiny networks sharing one town (GeoNames id 2):

    >>> import warnings
    >>> import pandas as pd, twinning_graph as tg
    >>> from twinning_graph.merge import merge
    >>> base = tg.load(
    ...     towns=pd.DataFrame({"town_id": ["a", "b"], "name": ["Aa", "Bb"],
    ...         "country": ["DE", "FR"], "lat": [50.0, 48.0], "lon": [8.0, 2.0],
    ...         "geonames_id": [1, 2]}),
    ...     partnerships=pd.DataFrame({"town_a": ["a"], "town_b": ["b"]}))
    >>> mine = tg.load(
    ...     towns=pd.DataFrame({"town_id": ["bb", "c"], "name": ["Bb", "Cc"],
    ...         "country": ["FR", "PL"], "lat": [48.0, 52.0], "lon": [2.0, 21.0],
    ...         "geonames_id": [2, 3], "role": ["lead", "partner"]}),
    ...     partnerships=pd.DataFrame({"town_a": ["bb"], "town_b": ["c"]}))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     merged = merge(base, mine)
    >>> print(caught[0].message)
    merge: of 2 towns of other, 1 matched a base town by geonames_id (base id and attributes kept), 1 added
    >>> merged.towns[["name", "geonames_id", "role"]]
            name  geonames_id     role
    town_id
    a         Aa            1      NaN
    b         Bb            2     lead
    c         Cc            3  partner
    >>> merged.edges[["town_a", "town_b"]].values.tolist()
    [['a', 'b'], ['b', 'c']]

    Your project joins the bundled network (Esztergom is in it, Ilok is not):

    >>> bundled = tg.load()
    >>> project = tg.load(
    ...     towns=pd.DataFrame({"town_id": ["esztergom", "ilok"], "name": ["Esztergom", "Ilok"],
    ...         "country": ["HU", "HR"], "lat": [47.79, 45.22], "lon": [18.74, 19.38],
    ...         "geonames_id": [3053163, 3199128]}),
    ...     partnerships=pd.DataFrame({"partnership_id": ["p1", "p1"],
    ...         "town_id": ["esztergom", "ilok"], "kind": ["network", "network"]}))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     merged = merge(bundled, project)
    >>> len(merged) - len(bundled)
    1
    >>> merged.memberships["town_id"].tolist()
    ['HU-esztergom', 'ilok']
    """
    _check_args(base, other, on)
    target, ambiguous, renamed, problems = _match(base, other, on)
    bm, om = base.memberships, other.memberships
    shared = np.intersect1d(
        bm["partnership_id"].dropna().astype(str).unique(),
        om["partnership_id"].dropna().astype(str).unique(),
    )
    for pid in shared:  # loop over the clashes only
        problems.add(
            _LABEL,
            None,
            "partnership_id",
            f"project partnership_id {pid!r} is used in the memberships of both base "
            "and other; give the projects of other distinct ids (e.g. a prefix)",
        )
    problems.raise_if_any("merge (other into base)")

    matched = target.notna().to_numpy()
    ids = target.fillna(pd.Series(other.towns.index, index=other.towns.index, dtype=object))
    new_id = ids.astype(str)

    # towns: base (gaps filled from its matched towns of other), then the added ones
    fill = other.towns[matched].set_axis(pd.Index(target[matched].to_numpy(), name="town_id"))
    parts = [_fill_gaps(base.towns, fill), other.towns[~matched]]
    towns = _keep_types(pd.concat(parts), [base.towns, other.towns])
    towns.index.name = "town_id"

    # partnerships and memberships, re-keyed to the ids in the merged data
    op = other.partnerships.assign(
        town_a=other.partnerships["town_a"].map(new_id),
        town_b=other.partnerships["town_b"].map(new_id),
    )
    edges = _concat([base.partnerships, op])
    if len(op):
        edges = merge_duplicate_edges(edges)  # orients the re-keyed pairs, merges repeats
    memberships = _concat([bm, om.assign(town_id=om["town_id"].map(new_id))])
    for df in (edges, memberships):
        df["since"] = df["since"].astype("Int64")

    n_match, n_added = int(matched.sum()), int((~matched).sum())
    parts = [
        f"merge: of {len(other.towns)} town{'s' if len(other.towns) != 1 else ''} of other, "
        f"{n_match} matched a base town by {on} (base id and attributes kept), "
        f"{n_added} added"
    ]
    if len(renamed):
        ex = ", ".join(
            f"{r.other_name!r} -> {r.base_name!r} ({r.base_id})"
            for r in renamed.head(3).itertuples()
        )
        parts.append(
            f"{len(renamed)} matched town{'s have' if len(renamed) != 1 else ' has'} "
            f"a different name in base, whose name is kept (e.g. {ex})"
        )
    note = _ambiguity_note(ambiguous)
    if note:
        parts.append(note)
    warn("; ".join(parts))
    logger.info("merged %d towns (%d matched, %d added)", len(other.towns), n_match, n_added)
    return TwinningData(
        towns,
        edges,
        memberships,
        sources=(*base.sources, *other.sources),
        name=f"{base.name} + {other.name}",
    )
