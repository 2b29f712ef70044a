"""Offline matching against the shipped gazetteer: stages, ambiguity, fuzzy matching."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._text import fold
from twinning_graph.geocode._normalise import (
    country_code,
    qualifier_admin1,
    split_qualifier,
    strip_admin_words,
)

# --------------------------------------------------------------------------------------------
# Offline matching
# --------------------------------------------------------------------------------------------

#: Population rule: several candidates share a name, but the most populous one has at least
#: ``POPULATION_RATIO`` times the inhabitants of the next one and at least
#: ``POPULATION_MIN`` inhabitants (``POPULATION_MIN_ANY_COUNTRY`` when no country is given).
POPULATION_RATIO = 10
POPULATION_MIN = 10_000
POPULATION_MIN_ANY_COUNTRY = 100_000
#: Candidates this close to the most populous one are taken as the same place.
SAME_PLACE_KM = 10.0
#: Section rule: a place under SECTION_MAX_POPULATION inhabitants within SAME_PLACE_KM of a
#: town of SECTION_CITY_MIN+ inhabitants (and POPULATION_RATIO times its own) is taken as a
#: section of that town when another candidate of the name exists.
SECTION_CITY_MIN = 100_000
SECTION_MAX_POPULATION = 50_000
#: Gazetteer kinds that are divisions, matched only when no populated place has the name.
DIVISION_KINDS = ("municipality", "admin_unit")
#: Candidates compete within the lowest tier that has the name: places (>= 1,000 inhabitants
#: or seats of divisions), then small places (500-999), then divisions.
KIND_TIER = {"place": 0, "small_place": 1, "municipality": 2, "admin_unit": 2}
#: difflib similarity a fuzzy match needs; names shorter than FUZZY_MIN_LENGTH are not fuzzed.
FUZZY_CUTOFF = 0.85
#: Fuzzy confidence = FUZZY_WEIGHT × similarity, i.e. below the default min_confidence: on the
#: Wikidata twin towns only ~10 % of fuzzy matches were within 10 km (most unmatched names are
#: villages missing from the gazetteer, and difflib finds a similar-looking other town).
FUZZY_WEIGHT = 0.5
FUZZY_MIN_LENGTH = 5
#: At most this many candidates are listed for an ambiguous row.
MAX_CANDIDATES = 25

_STAGE_NOTES = {
    0: "",
    1: "matched without the qualifier {qualifier!r}",
    2: "matched after stripping administrative words",
    3: "matched on the first of several '/'-separated names",
    4: "matched on the first part of a joined name (unique candidate only)",
}


def _stage_keys(raw: pd.Series) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Keys to try for each input row, most literal first (stage 0 → 3)."""
    head, qualifier = split_qualifier(raw)
    full = fold(raw)
    head_key = fold(head)
    stripped = strip_admin_words(head_key)
    slash = strip_admin_words(fold(head.str.split("/").str[0].fillna("")))
    # "Barking and Dagenham", "Lampedusa e Linosa": districts named after their towns. Not
    # hyphens: "Thorigné-Fouillard" is one French town, and its "Thorigné" another one.
    part = strip_admin_words(
        fold(head.str.split(r"\s+(?:and|und|et|e|y|i|og|och|en)\s+", regex=True).str[0].fillna(""))
    )
    part = part.where(part.str.len() >= 5, "")
    rows = np.arange(len(raw))
    stages = pd.concat(
        [
            pd.DataFrame({"row": rows, "key": k.to_numpy(dtype=object), "stage": i})
            for i, k in enumerate((full, head_key, stripped, slash, part))
        ],
        ignore_index=True,
    )
    stages = stages[stages["key"].str.len() > 0].drop_duplicates(["row", "key"])
    return stages, stripped, qualifier


def _candidates(
    stages: pd.DataFrame, row_country: np.ndarray, row_region: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Gazetteer places matching a row's keys at the row's best stage, in its country/region.

    Also returns the rows whose only candidates lie outside the region their qualifier names.
    """
    from twinning_graph._gazetteer import names_table, places_table

    gaz = places_table()
    cand = stages.merge(names_table(), on="key", how="inner", sort=False)
    cand = cand.join(gaz[["name", "country", "admin1", "population"]], on="geonames_id")
    rows = cand["row"].to_numpy()
    want = row_country[rows]
    cand = cand[(want == "") | (cand["country"].to_numpy(dtype=object) == want)]
    region = row_region[cand["row"].to_numpy()]
    in_region = (region == "") | (cand["admin1"].to_numpy(dtype=object) == region)
    elsewhere = np.setdiff1d(cand["row"].to_numpy(), cand.loc[in_region, "row"].to_numpy())
    cand = cand[in_region]
    cand = cand[cand["stage"] == cand.groupby("row")["stage"].transform("min")]
    # tier 0: a place (>= 1,000 inhabitants or a seat), 1: a small place (500-999), 2: a
    # division; only the lowest tier with the name competes. krank 0: primary name, 1: alternate.
    tier = cand["geonames_id"].map(gaz["kind"]).map(KIND_TIER).fillna(0).astype(np.int8)
    cand = cand.assign(
        tier=tier.to_numpy(), krank=(cand["kind"] == "alternate").to_numpy().astype(np.int8)
    )
    cand = cand.sort_values(
        ["row", "tier", "krank", "population", "geonames_id"],
        ascending=[True, True, True, False, True],
        kind="stable",
    )
    cand = cand.drop_duplicates(["row", "geonames_id"])
    cand["best"] = cand["tier"] == cand.groupby("row")["tier"].transform("min")
    return cand.reset_index(drop=True), elsewhere


def _format_candidates(cand: pd.DataFrame) -> pd.Series:
    """Per row: ``"geonames_id:name:admin1:population;..."``, most populous first."""
    cand = cand.sort_values(["row", "population", "geonames_id"], ascending=[True, False, True])
    cand = cand[cand.groupby("row").cumcount() < MAX_CANDIDATES]
    text = (
        cand["geonames_id"].astype("str")
        + ":"
        + cand["name"].str.replace(";", ",")
        + ":"
        + cand["admin1"]
        + ":"
        + cand["population"].astype("str")
    )
    return text.groupby(cand["row"].to_numpy()).agg(";".join)


def _population_pick(group: pd.DataFrame, minimum: int) -> tuple[int | None, str]:
    """Apply the population rule to one row's candidates (sorted by population, descending)."""
    pops = group["population"].to_numpy()
    if len(pops) >= 2 and pops[0] >= minimum and pops[0] >= POPULATION_RATIO * pops[1]:
        note = (
            f"population rule: chose {group['name'].iloc[0]} ({pops[0]:,} inhabitants) over "
            f"{len(pops) - 1} other place(s) of that name (largest {pops[1]:,})"
        )
        return int(group.index[0]), note
    return None, ""


def _same_place_pick(group: pd.DataFrame) -> tuple[int | None, str]:
    """Candidates all within SAME_PLACE_KM of the most populous one count as one place.

    GeoNames often lists a town and a section or namesake village next to it; picking the
    most populous entry then cannot be wrong by more than SAME_PLACE_KM.
    """
    from twinning_graph._gazetteer import places_table
    from twinning_graph._geo import haversine_km

    coords = places_table().loc[group.index, ["lat", "lon"]].to_numpy()
    km = haversine_km(coords[0, 0], coords[0, 1], coords[:, 0], coords[:, 1])
    if km.max() <= SAME_PLACE_KM:
        note = (
            f"{len(group)} places of that name lie within {km.max():.1f} km of each other: "
            f"took the most populous, {group['name'].iloc[0]}"
        )
        return int(group.index[0]), note
    return None, ""


@functools.cache
def _sections() -> pd.Series:
    """Gazetteer entries that look like a section of a much larger town nearby.

    True for a populated place with fewer than ``SECTION_MAX_POPULATION`` inhabitants that
    lies within ``SAME_PLACE_KM`` of a place with at least ``SECTION_CITY_MIN`` inhabitants
    and ``POPULATION_RATIO`` times its own, under another name (Madrid's Legazpi
    neighbourhood beside the Basque town of Legazpi).
    """
    from scipy.spatial import cKDTree

    from twinning_graph._gazetteer import places_table
    from twinning_graph._geo import chord_of_km, unit_xyz

    gaz = places_table()
    gaz = gaz[gaz["kind"].isin(("place", "small_place"))]
    big = gaz[gaz["population"] >= SECTION_CITY_MIN]
    small = gaz[gaz["population"] < SECTION_MAX_POPULATION]

    def xyz(frame: pd.DataFrame) -> np.ndarray:
        return unit_xyz(frame["lat"], frame["lon"])

    radius = chord_of_km(SAME_PLACE_KM)
    near = cKDTree(xyz(big)).query_ball_point(xyz(small), r=radius)
    pairs = pd.DataFrame(
        {
            "small": np.repeat(np.arange(len(small)), [len(n) for n in near]),
            "big": np.concatenate([np.asarray(n, dtype=np.int64) for n in [[], *near]]),
        }
    ).astype("int64")
    s_pop = small["population"].to_numpy()[pairs["small"]]
    b_pop = big["population"].to_numpy()[pairs["big"]]
    s_name = small["name"].to_numpy()[pairs["small"]]
    b_name = big["name"].to_numpy()[pairs["big"]]
    hit = (b_pop >= POPULATION_RATIO * np.maximum(s_pop, 1)) & (s_name != b_name)
    flag = np.zeros(len(small), dtype=bool)
    flag[pairs["small"].to_numpy()[hit]] = True
    return pd.Series(flag, index=small.index)


class Result:
    """Per-row output columns, filled stage by stage."""

    def __init__(self, n: int) -> None:
        self.gid = np.full(n, -1, dtype=np.int64)
        self.kind = np.full(n, "none", dtype=object)
        self.confidence = np.zeros(n, dtype=np.float64)
        self.candidates = np.full(n, "", dtype=object)
        self.note = np.full(n, "", dtype=object)
        self.lat = np.full(n, np.nan)
        self.lon = np.full(n, np.nan)
        self.matched = np.full(n, "", dtype=object)
        self.tried = np.zeros(n, dtype=bool)  # had offline candidates (fuzzy is not tried)

    def add_note(self, rows: Any, text: str | Iterable[str]) -> None:
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        texts = [text] * len(rows) if isinstance(text, str) else list(text)
        for r, t in zip(rows, texts, strict=True):
            if t:
                self.note[r] = f"{self.note[r]}; {t}" if self.note[r] else t


def resolve_offline(raw: pd.Series, codes: pd.Series, res: Result) -> pd.Series:
    """Exact and alternate matching plus ambiguity handling; returns the stripped keys."""
    stages, stripped, qualifier = _stage_keys(raw)
    row_country = codes.fillna("").to_numpy(dtype=object)
    row_region = qualifier_admin1(qualifier, codes)
    cand, elsewhere = _candidates(stages, row_country, row_region)
    res.tried[elsewhere] = True
    res.tried[cand["row"].to_numpy()] = True
    res.kind[elsewhere] = "none"
    res.add_note(
        elsewhere,
        [
            f"no place of that name in {qualifier.iloc[r]!r} (region "
            f"{row_country[r]}-{row_region[r]}); other regions have one"
            for r in elsewhere
        ],
    )
    if cand.empty:
        return stripped
    top = cand[cand["best"]]
    count = top.groupby("row").size()
    stage = cand.groupby("row")["stage"].first()
    first = top.drop_duplicates("row").set_index("row")

    picked = pd.Series(-1, index=count.index, dtype=np.int64)
    factor = pd.Series(1.0, index=count.index)
    unique = count.index[count.to_numpy() == 1]
    picked[unique] = first.loc[unique, "geonames_id"].to_numpy()

    # Several places share the name: try the qualifier, the same-place rule, the section rule,
    # the population rule (across primary and alternate names), then a unique primary name.
    # A loop over ambiguous rows only (typically a few percent of the input).
    qual = qualifier.to_numpy(dtype=object)
    section = _sections()
    for row, group in top[top["row"].isin(count.index[count.to_numpy() > 1])].groupby("row"):
        if stage[row] >= 4:  # part of a name is too weak to choose between places
            continue
        group = group.set_index("geonames_id").sort_values(
            ["population", "krank"], ascending=[False, True], kind="stable"
        )
        q = str(qual[row]).strip()
        if q:
            narrowed = _narrow_by_qualifier(group, q, row_country[row] == "")
            if len(narrowed) == 1:
                picked[row] = int(narrowed.index[0])
                factor[row] = 0.95
                res.add_note(row, f"qualifier {q!r} picked one of {len(group)} places")
                continue
            if len(narrowed) > 1:
                group = narrowed
        gid, note = _same_place_pick(group)
        if gid is not None:
            picked[row] = gid
            factor[row] = 0.9
            res.add_note(row, note)
            continue
        unfiltered = group
        is_section = section.reindex(group.index, fill_value=False).to_numpy()
        if is_section.any() and not is_section.all():
            if (~is_section).sum() == 1:
                picked[row] = int(group.index[~is_section][0])
                factor[row] = 0.85
                res.add_note(
                    row,
                    f"section rule: left out {', '.join(group['name'][is_section])} "
                    "(part of a much larger town nearby)",
                )
                continue
            group = group[~is_section]
        minimum = POPULATION_MIN if row_country[row] else POPULATION_MIN_ANY_COUNTRY
        gid, note = _population_pick(group, minimum)
        if gid is not None:
            picked[row] = gid
            factor[row] = 0.8
            res.add_note(row, note)
            continue
        primary = unfiltered[unfiltered["krank"] == 0]
        if len(primary) == 1:  # one place has it as its primary name, others as an alias
            picked[row] = int(primary.index[0])
            factor[row] = 0.95

    ok = picked.to_numpy() >= 0
    rows = picked.index.to_numpy()
    good_rows, good_gid = rows[ok], picked.to_numpy()[ok]
    kinds = cand.set_index(["row", "geonames_id"])["kind"]
    kind = kinds.loc[list(zip(good_rows, good_gid, strict=True))].to_numpy()
    conf = np.where(kind == "primary", 1.0, 0.95)
    conf = conf - 0.05 * (stage[good_rows].to_numpy() > 0) - 0.1 * (row_country[good_rows] == "")
    from twinning_graph._gazetteer import places_table

    gkind = places_table()["kind"].reindex(good_gid).to_numpy(dtype=object)
    division = np.isin(gkind, DIVISION_KINDS)
    conf = conf * np.where(division, 0.9, 1.0)
    res.add_note(
        good_rows[division],
        [
            f"matched a GeoNames {k.replace('_', ' ')} (coordinates of its largest place)"
            for k in gkind[division]
        ],
    )
    res.gid[good_rows] = good_gid
    res.kind[good_rows] = np.where(kind == "primary", "exact", "alternate")
    res.confidence[good_rows] = np.round(conf * factor[good_rows].to_numpy(), 3)
    in_region = good_rows[row_region[good_rows] != ""]
    res.add_note(
        in_region,
        [
            f"qualifier {qual[r]!r} read as region {row_country[r]}-{row_region[r]}"
            for r in in_region
        ],
    )
    for s in (1, 2, 3, 4):
        hit = good_rows[(stage[good_rows].to_numpy() == s) & (row_region[good_rows] == "")]
        res.add_note(hit, [_STAGE_NOTES[s].format(qualifier=qual[r]) for r in hit])

    amb = rows[~ok]
    if len(amb):
        listed = _format_candidates(cand[cand["row"].isin(amb)])
        res.kind[amb] = "ambiguous"
        res.candidates[amb] = listed.loc[amb].to_numpy()
        n_cand = cand[cand["row"].isin(amb)].groupby("row").size().loc[amb].to_numpy()
        res.add_note(
            amb,
            [
                f"{k} places match; add a qualifier or a country, or pick one of the candidates"
                for k in n_cand
            ],
        )
    return stripped


def _narrow_by_qualifier(group: pd.DataFrame, qualifier: str, any_country: bool) -> pd.DataFrame:
    """Candidates whose names, admin-1 code or (without a country) country fit the qualifier."""
    from twinning_graph._gazetteer import names_table

    if any_country:
        code = country_code(qualifier)
        if code is not None:
            return group[group["country"] == code]
    q = fold(pd.Series([qualifier])).iloc[0]
    if not q:
        return group.iloc[:0]
    idx = names_table()
    keys = idx[idx["geonames_id"].isin(group.index)]
    hit = keys["key"].str.contains(rf"\b{re.escape(q)}\b", regex=True)
    fits = set(keys.loc[hit, "geonames_id"]) | set(
        group.index[group["admin1"] == qualifier.upper()]
    )
    return group[group.index.isin(fits)]


def _letter_counts(keys: Iterable[str]) -> np.ndarray:
    """Per key, counts of its characters hashed into 64 bins (for a quick_ratio bound)."""
    rows = [
        np.bincount(np.frombuffer(k.encode("utf-32-le"), dtype=np.uint32) % 64, minlength=64)
        for k in keys
    ]
    return np.array(rows, dtype=np.int16).reshape(len(rows), 64)


class _FuzzyPool:
    """A country's distinct keys grouped by first character, with the places they name."""

    def __init__(self, country: str) -> None:
        from twinning_graph._gazetteer import names_table, places_table

        gaz = places_table()
        idx = names_table()
        idx = idx[idx["geonames_id"].isin(gaz.index[gaz["country"] == country])]
        idx = idx[idx["key"].str.len() >= FUZZY_MIN_LENGTH - 1]
        keys = idx["key"].to_numpy(dtype=object)  # the index is sorted by key
        ids = idx["geonames_id"].to_numpy()
        self._all_keys, self._ids = keys, ids
        uniq = pd.unique(keys)  # sorted already, so grouped by first character
        first = pd.Series(uniq, dtype="str").str[0].to_numpy(dtype=object)
        letters, start = np.unique(first, return_index=True)
        bounds = np.append(start, len(uniq))
        self._keys = {
            f: uniq[a:b] for f, a, b in zip(letters, bounds[:-1], bounds[1:], strict=True)
        }
        self._counts: dict[str, np.ndarray] = {}  # built per first letter on first use

    def places(self, keys: list[str]) -> list[int]:
        """The geonames ids named by ``keys``."""
        lo = np.searchsorted(self._all_keys, keys, side="left")
        hi = np.searchsorted(self._all_keys, keys, side="right")
        return sorted({int(g) for a, b in zip(lo, hi, strict=True) for g in self._ids[a:b]})

    def close(self, key: str) -> tuple[list[str], float]:
        """The most similar keys (ties kept) and their difflib ratio; ``([], 0)`` if none."""
        first = key[0]
        keys = self._keys.get(first)
        if keys is None:
            return [], 0.0
        if first not in self._counts:
            self._counts[first] = _letter_counts(keys)
        counts = self._counts[first]
        # upper bound of difflib's ratio (like its quick_ratio), for all keys at once
        common = np.minimum(counts, _letter_counts([key])[0]).sum(axis=1)
        lengths = counts.sum(axis=1)
        bound = 2 * common / (lengths + len(key))
        pool = list(keys[bound >= FUZZY_CUTOFF])
        close = difflib.get_close_matches(key, pool, n=5, cutoff=FUZZY_CUTOFF)
        if not close:
            return [], 0.0
        ratios = [difflib.SequenceMatcher(None, key, c).ratio() for c in close]
        return [c for c, r in zip(close, ratios, strict=True) if r >= ratios[0] - 1e-9], ratios[0]


_FUZZY_POOLS: dict[str, _FuzzyPool] = {}


def resolve_fuzzy(stripped: pd.Series, codes: pd.Series, res: Result) -> None:
    """difflib matching, same country only, for rows left without any candidate."""
    from twinning_graph._gazetteer import places_table

    country = codes.fillna("").to_numpy(dtype=object)
    keys = stripped.to_numpy(dtype=object)
    todo = np.flatnonzero(
        (res.kind == "none")
        & ~res.tried
        & (country != "")
        & (stripped.str.len().to_numpy() >= FUZZY_MIN_LENGTH)
    )
    if not len(todo):
        return
    gaz = places_table()
    memo: dict[tuple[str, str], tuple[list[str], float]] = {}
    # A Python loop over the unmatched rows only: difflib has no vectorised form; candidates
    # are limited to keys of the same country, first letter and a compatible length.
    for row in todo:
        key, cc = keys[row], country[row]
        if cc not in _FUZZY_POOLS:
            _FUZZY_POOLS[cc] = _FuzzyPool(cc)
        pool = _FUZZY_POOLS[cc]
        if (key, cc) not in memo:
            memo[(key, cc)] = pool.close(key)
        best, ratio = memo[(key, cc)]
        if not best:
            continue
        ids = pool.places(best)
        group = gaz.loc[ids].sort_values(["population"], ascending=False, kind="stable")
        if group.empty:
            continue
        conf = round(FUZZY_WEIGHT * ratio, 3)
        gid: int | None
        if len(group) == 1:
            gid, note = int(group.index[0]), ""
        else:
            gid, note = _population_pick(group, POPULATION_MIN)
            conf = round(conf * 0.8, 3)
        if gid is None:  # a guess that fits several places is no match at all
            res.add_note(
                row,
                f"fuzzy match {best[0]!r} (similarity {ratio:.2f}) fits "
                f"{len(group)} places: {', '.join(group['name'].head(5))}",
            )
            continue
        res.gid[row] = gid
        res.kind[row] = "fuzzy"
        res.confidence[row] = conf
        res.add_note(row, f"fuzzy match {best[0]!r} (similarity {ratio:.2f})")
        res.add_note(row, note)
