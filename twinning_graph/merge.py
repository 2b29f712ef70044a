"""Merging two networks: your towns and projects into the bundled twinning network.

:func:`merge` recognises the towns two :class:`~twinning_graph.TwinningData` objects share
-- by Wikidata id, GeoNames id, then name + country + distance -- gives them the first
network's ids and appends the rest. :func:`match_towns` returns that id mapping on its own and
:func:`match_report` every match with how it was found, its distance and whether the names
differ.
"""

from __future__ import annotations

import difflib
import logging
from typing import Literal

import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._geo import haversine_km
from twinning_graph._text import fold
from twinning_graph._validate import Problems, warn
from twinning_graph.io import membership_conflicts, merge_duplicate_edges
from twinning_graph.network import TwinningData

__all__ = ["merge", "match_towns", "match_report"]

logger = logging.getLogger(__name__)

#: Ways towns of the two networks are matched; ``"auto"`` tries the first three in turn.
MATCH_KEYS = ("auto", "wikidata_id", "geonames_id", "name", "town_id")
_STAGES = {
    "auto": ("wikidata_id", "geonames_id", "name"),
    "wikidata_id": ("wikidata_id",),
    "geonames_id": ("geonames_id",),
    "name": ("name",),
    "town_id": ("town_id",),
}
#: Name of the input in the problems listed by a :class:`ValidationError`.
_LABEL = "merge"
#: Two names are related when their folded forms are this similar (difflib ratio).
NAME_RATIO = 0.75

On = Literal["auto", "wikidata_id", "geonames_id", "name", "town_id"]


def _check_args(base: object, other: object, on: object, max_km: object) -> None:
    for arg, value in (("base", base), ("other", other)):
        if not isinstance(value, TwinningData):
            raise ValidationError(
                f"{arg} must be TwinningData (from tg.load()), got {type(value).__name__}"
            )
    if on not in MATCH_KEYS:
        raise ValidationError(f"on must be one of {list(MATCH_KEYS)}, got {on!r}")
    if isinstance(max_km, bool) or not isinstance(max_km, (int, float)) or not max_km > 0:
        raise ValidationError(f"max_km must be a number > 0, got {max_km!r}")
    if on in ("wikidata_id", "geonames_id"):
        missing = [
            arg
            for arg, d in (("base", base), ("other", other))
            if on not in d.towns.columns  # type: ignore[attr-defined]
        ]
        if missing:
            raise ValidationError(
                f"on={on!r} but the towns of {' and '.join(missing)} have no {on!r} column; "
                "add one (tg.geocode finds GeoNames ids) or use on='auto' or on='town_id'"
            )


def _id_values(towns: pd.DataFrame, column: str) -> pd.Series:
    """A town id column as strings (GeoNames ids without '.0'); <NA> when empty."""
    if column not in towns.columns:
        return pd.Series(pd.NA, index=towns.index, dtype="string")
    values = towns[column]
    if column == "geonames_id":
        values = pd.to_numeric(values, errors="coerce").astype("Int64")
    text = values.astype("string").str.strip()
    return text.where(text.notna() & (text != ""), pd.NA)


def _match_ids(
    bt: pd.DataFrame, ot: pd.DataFrame, column: str, todo: np.ndarray
) -> tuple[pd.Series, dict[str, int]]:
    """Base town of each town of ``other`` by one id column (only rows in ``todo``)."""
    bg, og = _id_values(bt, column), _id_values(ot, column)
    og = og.where(todo, pd.NA)
    counts = bg.value_counts(dropna=True)
    unique = bg.isin(counts.index[counts == 1]).to_numpy()
    lookup = pd.Series(bt.index[unique], index=pd.Index(bg[unique]))
    shared_base = og.isin(counts.index[counts > 1]).fillna(False).to_numpy()
    # two towns of `other` with one id would both become the same base town
    shared_other = (og.duplicated(keep=False) & og.notna()).to_numpy() & ~shared_base
    found = og.map(lookup)
    ambiguous = {
        "base": int(shared_base.sum()),
        "other": int((shared_other & found.notna().to_numpy()).sum()),
    }
    return found.where(~shared_other).astype(object), ambiguous


def _name_keys(bt: pd.DataFrame) -> pd.DataFrame:
    """Folded names of the base towns: name, local name and Wikidata label."""
    frames = [
        pd.DataFrame({"base_id": bt.index, "key": fold(bt[c].fillna("").astype(str)).to_numpy()})
        for c in ("name", "name_local", "wikidata_label")
        if c in bt.columns
    ]
    keys = pd.concat(frames, ignore_index=True)
    return keys[keys["key"] != ""].drop_duplicates()


def _match_names(
    bt: pd.DataFrame, ot: pd.DataFrame, todo: np.ndarray, max_km: float
) -> tuple[pd.Series, int, pd.DataFrame]:
    """Base town by folded name, same country, within ``max_km`` (the only such town).

    Also returns the near misses: for each town of ``other`` whose name and country match
    base towns that all lie farther than ``max_km``, the nearest of them (``other_id``,
    ``base_id``, ``km``).
    """
    other = pd.DataFrame(
        {
            "other_id": ot.index[todo],
            "key": fold(ot["name"].astype(str)[todo]).to_numpy(),
            "country": ot["country"].to_numpy()[todo],
            "lat": ot["lat"].to_numpy(dtype=float)[todo],
            "lon": ot["lon"].to_numpy(dtype=float)[todo],
        }
    )
    cand = other.merge(_name_keys(bt), on="key").drop_duplicates(["other_id", "base_id"])
    cand = cand[cand["country"].to_numpy() == bt["country"].reindex(cand["base_id"]).to_numpy()]
    cand["km"] = haversine_km(
        cand["lat"].to_numpy(),
        cand["lon"].to_numpy(),
        bt["lat"].reindex(cand["base_id"]).to_numpy(dtype=float),
        bt["lon"].reindex(cand["base_id"]).to_numpy(dtype=float),
    )
    near = cand["km"] <= max_km
    # named like a base town of its country, but every such town lies farther than max_km
    far = cand[~cand["other_id"].isin(cand.loc[near, "other_id"])]
    far = far.sort_values(["other_id", "km"]).drop_duplicates("other_id")
    cand = cand[near]
    n = cand.groupby("other_id")["base_id"].transform("size")
    ambiguous = int(cand.loc[n > 1, "other_id"].nunique())
    one = cand[n == 1].set_index("other_id")["base_id"]
    # two towns of `other` named alike near one base town: neither is matched
    one = one[~one.duplicated(keep=False)]
    return one.reindex(ot.index).astype(object), ambiguous, far[["other_id", "base_id", "km"]]


def _related(a: str, b: str) -> bool:
    """Whether two folded names plausibly name one place."""
    if not a or not b or a == b or a in b or b in a:
        return True
    if {w for w in a.split() if len(w) >= 4} & {w for w in b.split() if len(w) >= 4}:
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= NAME_RATIO


def _gazetteer_names(gids: pd.Series) -> pd.Series:
    """Folded GeoNames names of each GeoNames id (a set per id)."""
    from twinning_graph._gazetteer import name_index

    idx = name_index()
    ids = pd.to_numeric(gids, errors="coerce").dropna().astype("int64").unique()
    idx = idx[idx["geonames_id"].isin(ids)]
    return idx.groupby("geonames_id")["key"].agg(set)


def _match(
    base: TwinningData, other: TwinningData, on: str, max_km: float, accept: bool
) -> tuple[pd.Series, dict[str, int], pd.DataFrame, Problems, pd.DataFrame]:
    """Match the towns of ``other`` to those of ``base``.

    Returns the base town_id of each town of ``other`` (``<NA>`` when it is added), the
    counts of towns left unmatched as ambiguous, the report of every match (see
    :func:`match_report`), the problems to raise (country mismatches, far or unrelated
    matches and far namesakes not accepted, town_id clashes) and the far namesakes: towns
    left unmatched that have the name and country of a base town farther than ``max_km``
    (``other_id``, ``base_id`` of the nearest, ``km``, ``other_name``, ``country``,
    ``base_name``).
    """
    bt, ot = base.towns, other.towns
    target = pd.Series(pd.NA, index=ot.index, dtype=object)
    how = pd.Series("", index=ot.index, dtype=object)
    ambiguous = {"base": 0, "other": 0, "name": 0}
    far = pd.DataFrame({"other_id": [], "base_id": [], "km": []})
    for stage in _STAGES[on]:
        todo = target.isna().to_numpy()
        if not todo.any():
            break
        if stage == "town_id":
            hit = ot.index.isin(bt.index) & todo
            found = pd.Series(ot.index.where(hit, None), index=ot.index, dtype=object)
        elif stage == "name":
            found, ambiguous["name"], far = _match_names(bt, ot, todo, max_km)
        else:
            found, amb = _match_ids(bt, ot, stage, todo)
            if stage == "geonames_id":
                ambiguous["base"] += amb["base"]
                ambiguous["other"] += amb["other"]
        new = found.notna().to_numpy() & todo
        target[new] = found[new]
        how[new] = stage

    matched = target.notna().to_numpy()
    far = far[~far["other_id"].isin(ot.index[matched])].reset_index(drop=True)
    far = far.assign(
        other_name=ot["name"].reindex(far["other_id"]).to_numpy(),
        country=ot["country"].reindex(far["other_id"]).to_numpy(),
        base_name=bt["name"].reindex(far["base_id"]).to_numpy(),
        km=far["km"].to_numpy(dtype=float).round(1),
    )
    report = pd.DataFrame(
        {
            "other_id": ot.index[matched],
            "base_id": target[matched].to_numpy(),
            "how": how[matched].to_numpy(),
            "other_name": ot["name"].to_numpy()[matched],
            "other_country": ot["country"].to_numpy()[matched],
        }
    )
    report["base_name"] = bt["name"].reindex(report["base_id"]).to_numpy()
    report["base_country"] = bt["country"].reindex(report["base_id"]).to_numpy()
    report["km"] = haversine_km(
        ot["lat"].to_numpy(dtype=float)[matched],
        ot["lon"].to_numpy(dtype=float)[matched],
        bt["lat"].reindex(report["base_id"]).to_numpy(dtype=float),
        bt["lon"].reindex(report["base_id"]).to_numpy(dtype=float),
    ).round(1)
    okey = fold(report["other_name"].astype(str)).to_numpy(dtype=object)
    bkey = fold(report["base_name"].astype(str)).to_numpy(dtype=object)
    report["renamed"] = okey != bkey
    # a name is related when it is alike, or one of the GeoNames names of the shared id
    gaz = _gazetteer_names(_id_values(bt, "geonames_id").reindex(report["base_id"]))
    gid = pd.to_numeric(_id_values(bt, "geonames_id").reindex(report["base_id"]), errors="coerce")
    known = [
        bool(pd.notna(g)) and k in gaz.get(int(g), set())
        for g, k in zip(gid.to_numpy(), okey, strict=True)
    ]  # a loop over the matched towns: set lookups per row
    # a loop over the matched towns only: difflib has no vectorised form
    alike = [_related(a, b) for a, b in zip(okey, bkey, strict=True)]
    report["unrelated_name"] = ~(np.asarray(known, dtype=bool) | np.asarray(alike, dtype=bool))
    report["distant"] = report["km"].to_numpy() > max_km

    problems = Problems()
    wrong = report[report["other_country"].to_numpy() != report["base_country"].to_numpy()]
    for r in wrong.itertuples():  # loop over the problems only, to spell each one out
        key = _id_values(ot, r.how).get(r.other_id) if r.how in ot.columns else r.other_id
        problems.add(
            _LABEL,
            r.other_id,
            "country",
            f"town {r.other_id!r} of other ({r.other_name}, {r.other_country}) has "
            f"{r.how} {key} like base town {r.base_id!r} ({r.base_name}, "
            f"{r.base_country}) but the countries differ: a wrong {r.how}? Fix it in "
            "other, or clear it to add the town as new",
        )
    odd = report[
        (report["distant"] | report["unrelated_name"])
        & (report["other_country"].to_numpy() == report["base_country"].to_numpy())
    ]
    if not accept:
        for r in odd.itertuples():  # loop over the suspicious matches only
            why = []
            if r.distant:
                why.append(f"lies {r.km:,.1f} km away (max_km={max_km:g})")
            if r.unrelated_name:
                why.append("has an unrelated name")
            problems.add(
                _LABEL,
                r.other_id,
                r.how,
                f"town {r.other_id!r} of other ({r.other_name}, {r.other_country}) matches "
                f"base town {r.base_id!r} ({r.base_name}) by {r.how} but "
                f"{' and '.join(why)}: a wrong {r.how}? Fix it, or pass accept=True to "
                "merge them anyway",
            )
    if not accept:
        where = other.sources[0] if other.sources else "other"
        for r in far.itertuples():  # loop over the near misses only, to spell each one out
            problems.add(
                _LABEL,
                r.other_id,
                "lat/lon",
                f"town {r.other_id!r} of other ({r.other_name}, {r.country}; in {where}) "
                f"has the name of base town {r.base_id!r} ({r.base_name}, {r.country}) but "
                f"lies {r.km:,.1f} km from it (max_km={max_km:g}), so it would be added as a "
                f"second town: a wrong lat/lon? Fix it; or pass max_km={np.ceil(r.km):g} "
                f"(CLI --max-km {np.ceil(r.km):g}) to match them, or accept=True (CLI "
                "--accept) to add it as a new town",
            )
    clash = ~matched & ot.index.isin(bt.index)
    for tid in ot.index[clash]:
        problems.add(
            _LABEL,
            tid,
            "town_id",
            f"town {tid!r} of other ({ot.at[tid, 'name']}, {ot.at[tid, 'country']}) "
            f"matches no base town by {' / '.join(_STAGES[on])} and would be added, but base "
            f"already has town_id {tid!r} ({bt.at[tid, 'name']}, {bt.at[tid, 'country']}); "
            "rename it in other (e.g. with a prefix), or merge with on='town_id' if "
            "it is the same town",
        )
    return target, ambiguous, report, problems, far


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
    if ambiguous.get("name"):
        n = ambiguous["name"]
        parts.append(
            f"{n} town{'s' if n != 1 else ''} not matched because several base towns of "
            "that name and country lie within max_km (ambiguous; added as new)"
        )
    return "; ".join(parts)


def _match_lines(report: pd.DataFrame) -> str:
    """One line per renamed or distant match."""
    shown = report[report["renamed"] | report["distant"]]
    return "\n".join(
        f"  {r.other_id!r} ({r.other_name}) -> {r.base_id!r} ({r.base_name}) by {r.how}, "
        f"{r.km:,.1f} km"
        + (" [renamed]" if r.renamed else "")
        + (" [distant]" if r.distant else "")
        for r in shown.itertuples()
    )


def match_towns(
    base: TwinningData,
    other: TwinningData,
    *,
    on: On = "auto",
    max_km: float = 10.0,
    accept: bool = False,
) -> pd.Series:
    """The ``town_id`` each town of ``other`` takes when merged into ``base``.

    A town of ``other`` that matches a town of ``base`` (see :func:`merge`) takes the base
    town's id; any other town keeps its own.

    Parameters
    ----------
    base, other
        From :func:`twinning_graph.load`.
    on
        ``"auto"`` (default): the same Wikidata id, else the same GeoNames id, else the same
        name (folded; the base town's name, local name or Wikidata label) in the same country
        within ``max_km``. ``"wikidata_id"``, ``"geonames_id"``, ``"name"``: one of these
        only; ``"town_id"``: identical ids.
    max_km
        Matches farther apart than this are refused (raised as problems) unless ``accept``;
        so is a town with the name and country of a base town that lies farther than this
        (it would be added as a second town of that name: often a typo in lat/lon).
    accept
        Accept id matches that lie farther than ``max_km`` or whose names are unrelated,
        and add towns named like a base town farther than ``max_km`` as new towns (both
        are still listed in the warning of :func:`merge`).

    Returns
    -------
    pandas.Series
        Indexed by the ``town_id`` of ``other``, named ``town_id``. The matched towns are
        those whose value is in ``base.towns.index``.

    Raises
    ------
    ValidationError
        Listing every matched pair whose countries differ, every match farther than
        ``max_km`` or with an unrelated name and every town named like a base town of its
        country that lies farther than ``max_km`` (these two unless ``accept``), and every
        unmatched town whose ``town_id`` base already uses for another place.

    Warns
    -----
    DataWarning
        With the number of towns left unmatched because their match is ambiguous.

    Examples
    --------
    >>> import pandas as pd, twinning_graph as tg
    >>> from twinning_graph.merge import match_towns
    >>> bundled = tg.load()
    >>> mine = tg.load(towns=pd.DataFrame({"town_id": ["gran", "ilok", "koeln"],
    ...     "name": ["Esztergom", "Ilok", "Köln"], "country": ["HU", "HR", "DE"],
    ...     "lat": [47.79, 45.22, 50.94], "lon": [18.74, 19.38, 6.96],
    ...     "geonames_id": [3053163, 3199128, None]}), partnerships=[])
    >>> match_towns(bundled, mine).to_dict()
    {'gran': 'HU-esztergom', 'ilok': 'ilok', 'koeln': 'DE-cologne'}
    """
    _check_args(base, other, on, max_km)
    target, ambiguous, _, problems, _ = _match(base, other, on, max_km, accept)
    problems.raise_if_any("merge (towns of other against towns of base)")
    note = _ambiguity_note(ambiguous)
    if note:
        warn(note)
    ids = pd.Series(other.towns.index, index=other.towns.index, dtype=object)
    return target.fillna(ids).astype(str).rename("town_id")


def match_report(
    base: TwinningData,
    other: TwinningData,
    *,
    on: On = "auto",
    max_km: float = 10.0,
) -> pd.DataFrame:
    """Every match between the towns of ``other`` and ``base``, with how it was found.

    Nothing is raised for suspicious matches: this is the table to check them in.

    Returns
    -------
    DataFrame
        One row per matched town of ``other``: ``other_id``, ``base_id``, ``how`` (the id or
        ``"name"``), ``other_name``, ``other_country``, ``base_name``, ``base_country``,
        ``km`` (distance between the two points), ``renamed`` (the folded names differ),
        ``unrelated_name`` (neither alike nor a GeoNames name of the place), ``distant``
        (farther than ``max_km``) and ``matched`` (False for a near miss: a town of
        ``other`` with the name and country of a base town -- the nearest one is given --
        that lies farther than ``max_km``, so :func:`merge` refuses it unless ``accept``).

    Examples
    --------
    >>> import pandas as pd, twinning_graph as tg
    >>> from twinning_graph.merge import match_report
    >>> mine = tg.load(towns=pd.DataFrame({"town_id": ["koeln"], "name": ["Kolonia"],
    ...     "country": ["DE"], "lat": [50.94], "lon": [6.96], "geonames_id": [2886242]}),
    ...     partnerships=[])
    >>> match_report(tg.load(), mine)[["other_id", "base_id", "how", "renamed",
    ...     "unrelated_name", "distant"]].to_dict("records")
    [{'other_id': 'koeln', 'base_id': 'DE-cologne', 'how': 'geonames_id', 'renamed': True, 'unrelated_name': False, 'distant': False}]
    """
    _check_args(base, other, on, max_km)
    _, _, report, _, far = _match(base, other, on, max_km, True)
    if not len(far):
        return report.assign(matched=True)
    missed = pd.DataFrame(
        {
            "other_id": far["other_id"].to_numpy(),
            "base_id": far["base_id"].to_numpy(),
            "how": "name",
            "other_name": far["other_name"].to_numpy(),
            "other_country": far["country"].to_numpy(),
            "base_name": far["base_name"].to_numpy(),
            "base_country": far["country"].to_numpy(),
            "km": far["km"].to_numpy(),
            "renamed": fold(far["other_name"].astype(str)).to_numpy()
            != fold(far["base_name"].astype(str)).to_numpy(),
            "unrelated_name": False,
            "distant": True,
        }
    )
    return pd.concat([report.assign(matched=True), missed.assign(matched=False)], ignore_index=True)


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


def _duplicate_memberships(members: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Drop repeated (partnership_id, town_id) rows, describing conflicting values.

    Repeats arise when two towns of ``other`` match one base town. The first row is kept;
    every column whose values differ within a repeat is named with all its values.
    """
    key = ["partnership_id", "town_id"]
    dup = members.duplicated(key, keep=False) & members["partnership_id"].notna()
    if not dup.any():
        return members, ""
    lines = ["  " + line for line in membership_conflicts(members)]
    kept = members[~members.duplicated(key, keep="first").to_numpy() | ~dup.to_numpy()]
    n = int(len(members) - len(kept))
    head = (
        f"{n} repeated membership row{'s' if n != 1 else ''} (two towns of other became one "
        "base town) merged"
    )
    text = head + (":\n" + "\n".join(lines) if lines else "")
    return kept.reset_index(drop=True), text


def merge(
    base: TwinningData,
    other: TwinningData,
    *,
    on: On = "auto",
    max_km: float = 10.0,
    accept: bool = False,
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
        How towns are matched (see :func:`match_towns`): ``"auto"`` (default) -- the same
        Wikidata id, else the same GeoNames id, else the same name in the same country within
        ``max_km``; or one of ``"wikidata_id"``, ``"geonames_id"``, ``"name"``,
        ``"town_id"``.

        An id carried by several towns of ``base`` (or of ``other``), or a name shared by
        several base towns nearby, is ambiguous: towns with it are not matched but added as
        new, with a warning.
    max_km
        Id matches farther apart than this are refused (see ``accept``); name matches must
        lie within it, and a town with the name and country of a base town farther away
        is refused too (it would become a second town of that name; often a typo in
        lat/lon): raise ``max_km`` to match it.
    accept
        Accept id matches that lie farther than ``max_km`` or whose names are unrelated,
        and add far namesakes of base towns as new towns (default: raise, listing each).

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
        wrong id); an id match farther than ``max_km`` or with an unrelated name, or a town
        named like a base town of its country farther than ``max_km`` (unless
        ``accept``); a town that matches nothing but whose ``town_id`` ``base``
        already uses for another place (rename it, e.g. with a prefix — ids are never
        changed silently); a project ``partnership_id`` used in the memberships of both.

    Warns
    -----
    DataWarning
        Always, with the counts: towns matched (by which key) and added, then one line for
        every match whose names differ (the base name is kept) or that lies farther than
        ``max_km``, every town added although named like a base town farther than
        ``max_km`` (with ``accept``), the towns left unmatched because their match is
        ambiguous, and every
        membership of a town in one project given twice with conflicting values (two towns
        of ``other`` became one base town; the first row is kept and the values named).
        Repeated edge-list partnerships (stated in both) are merged into one, with a warning
        giving the count, as :func:`~twinning_graph.load` does.

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
    _check_args(base, other, on, max_km)
    target, ambiguous, report, problems, far = _match(base, other, on, max_km, accept)
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
    fill = fill[~fill.index.duplicated(keep="first")]  # two towns of other, one base town
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
    memberships, conflicts = _duplicate_memberships(memberships)
    for df in (edges, memberships):
        df["since"] = df["since"].astype("Int64")

    n_match, n_added = int(matched.sum()), int((~matched).sum())
    by = report["how"].value_counts()
    used = [k for k in _STAGES[on] if k in by.index]
    if len(used) > 1:
        keys = " / ".join(f"{k} ({by[k]})" for k in used)
    else:
        keys = used[0] if used else " / ".join(_STAGES[on])
    parts = [
        f"merge: of {len(other.towns)} town{'s' if len(other.towns) != 1 else ''} of other, "
        f"{n_match} matched a base town by {keys} (base id and attributes kept), "
        f"{n_added} added"
    ]
    note = _ambiguity_note(ambiguous)
    if note:
        parts.append(note)
    lines = _match_lines(report)
    text = "; ".join(parts)
    if lines:
        n_ren, n_far = int(report["renamed"].sum()), int(report["distant"].sum())
        text += (
            f"\n{n_ren} matched town{'s have' if n_ren != 1 else ' has'} another name in base "
            f"(base name kept), {n_far} lie{'s' if n_far == 1 else ''} farther than "
            f"{max_km:g} km:\n{lines}"
        )
    if len(far):
        n_far = len(far)
        text += (
            f"\n{n_far} added town{'s have' if n_far != 1 else ' has'} the name of a base "
            f"town of its country farther than {max_km:g} km (accept=True):\n"
            + "\n".join(
                f"  {r.other_id!r} ({r.other_name}) added beside {r.base_id!r} "
                f"({r.base_name}), {r.km:,.1f} km away"
                for r in far.itertuples()
            )
        )
    if conflicts:
        text += "\n" + conflicts
    warn(text)
    logger.info("merged %d towns (%d matched, %d added)", len(other.towns), n_match, n_added)
    return TwinningData(
        towns,
        edges,
        memberships,
        sources=(*base.sources, *other.sources),
        name=f"{base.name} + {other.name}",
    )
