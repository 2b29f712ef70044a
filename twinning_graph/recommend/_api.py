"""The public functions (:func:`rank_partners`, :func:`rank_partners_many`) and their
argument checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph.graph import as_frames
from twinning_graph.network import TwinningData
from twinning_graph.recommend._candidates import SOURCES, _context
from twinning_graph.recommend._score import (
    _BLOCK_ELEMENTS,
    _SCORED,
    _Block,
    _frame,
    _Options,
    _rank_block,
)
from twinning_graph.recommend._weights import RankWeights


def _check_basic(n: Any, source: Any, candidates: Any) -> None:
    if source not in SOURCES:
        raise ValidationError(f"source must be one of {list(SOURCES)}, got {source!r}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValidationError(f"n must be a positive integer or None, got {n!r}")
    if candidates is not None and source != "gazetteer":
        raise ValidationError("candidates= is used only with source='gazetteer'")


def _options(
    *,
    n: Any,
    source: str,
    w: RankWeights,
    call: Any,
    countries: Any,
    min_distance_km: Any,
    max_distance_km: Any,
    min_population: Any,
    max_population: Any,
    candidates: pd.DataFrame | None,
) -> _Options:
    the_call, eu_states = _resolve_call(call)
    lo_d, hi_d = (
        _number("min_distance_km", min_distance_km),
        _number("max_distance_km", max_distance_km),
    )
    lo_p, hi_p = (
        _number("min_population", min_population),
        _number("max_population", max_population),
    )
    if lo_d is not None and hi_d is not None and lo_d > hi_d:
        raise ValidationError(f"min_distance_km={lo_d} is larger than max_distance_km={hi_d}")
    if lo_p is not None and hi_p is not None and lo_p > hi_p:
        raise ValidationError(f"min_population={lo_p} is larger than max_population={hi_p}")
    codes = None
    if countries is not None:
        from twinning_graph.countries import normalise_country

        codes = frozenset(
            normalise_country(
                pd.Series(
                    [countries] if isinstance(countries, str) else list(countries), dtype=object
                )
            )
        )
    return _Options(
        n=None if n is None else int(n),
        source=source,
        w=w,
        call=the_call,
        eu_states=eu_states,
        codes=codes,
        lo_d=lo_d,
        hi_d=hi_d,
        lo_p=lo_p,
        hi_p=hi_p,
        candidates=candidates,
    )


def _check_town(towns: pd.DataFrame, town_id: Any) -> str:
    if not isinstance(town_id, str):
        raise ValidationError(f"town_id must be a string such as 'DE-berlin', got {town_id!r}")
    if town_id not in towns.index:
        import difflib

        from twinning_graph._errors import UnknownTownError

        close = difflib.get_close_matches(town_id, list(towns.index), n=3)
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        raise UnknownTownError(
            f"unknown town_id {town_id!r}{hint}; valid ids are the index of data.towns "
            f"({len(towns)} towns)"
        )
    return town_id


#: Resolved calls by the string given ("latest" or a topic id), with their EU Member States
#: (building a Call costs ~5 ms of table work, more than a warm ranking call).
_CALLS: dict[str, tuple[Any, frozenset[str]]] = {}


def _resolve_call(call: Any) -> tuple[Any, frozenset[str]]:
    """``(Call or None, EU Member States of its year or today)``; memoised for strings.

    A call whose look-up warns (an unconfirmed rule) is not memoised, so it warns each time.
    """
    if call is None:
        return None, _eu_now()
    if isinstance(call, str) and call in _CALLS:
        return _CALLS[call]
    import warnings

    from twinning_graph.calls import get_call

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        the_call = get_call(None if call == "latest" else call)
    for c in caught:
        warnings.warn(c.message, c.category, stacklevel=4)
    out = (the_call, frozenset(the_call.eu_states))
    if isinstance(call, str) and not caught:
        _CALLS[call] = out
    return out


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValidationError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _eu_now() -> frozenset[str]:
    from twinning_graph.countries import EU27

    return EU27


def _no_candidate_message(
    town_id: str, n_cand: int, source: str, steps: list[tuple[str, int]]
) -> str:
    detail = "; ".join(f"{label}: -{k:,}" for label, k in steps)
    return (
        f"no candidate partner left for {town_id!r} from {n_cand:,} {source} candidates "
        f"({detail}); relax the filter that removed the rest"
    )


# --------------------------------------------------------------------------- public API


def rank_partners(
    data: TwinningData | nx.Graph,
    town_id: str,
    *,
    n: int | None = 10,
    source: str = "network",
    call: Any = "latest",
    countries: str | Iterable[str] | None = None,
    min_distance_km: float | None = None,
    max_distance_km: float | None = None,
    min_population: int | None = None,
    max_population: int | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank candidate partner towns for one town.

    The model fitted on the data, the prepared candidates and the gap table are cached
    per :class:`~twinning_graph.TwinningData` object (treated as immutable; see
    ``docs/ranking.md``), so only the first call on a data object pays for them. For many
    towns at once, :func:`rank_partners_many` is faster still.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph (a graph is not cached:
        every call refits).
    town_id
        The town looking for a partner.
    n
        Number of candidates returned (best first); ``None`` returns every candidate.
    source : {"network", "gazetteer"}
        ``"network"``: the other towns of the data. ``"gazetteer"``: those plus every
        place of the shipped GeoNames gazetteer with at least 1,000 inhabitants; places
        that are towns of the data (same ``geonames_id``) are merged into them, the others
        get the id ``"geonames:<id>"``.
    call
        Keep only towns of countries eligible for this call (a topic id from
        :func:`twinning_graph.calls.list_calls` or a ``Call``); ``"latest"`` (default):
        the latest CERV Networks of Towns call; ``None``: no eligibility filter.
    countries
        Keep only candidates of these countries (ISO alpha-2).
    min_distance_km, max_distance_km
        Distance band (great circle) from the town.
    min_population, max_population
        Population band; candidates of unknown population are dropped when a band is set.
    weights
        :class:`RankWeights` or a dict overriding some weights.
    candidates
        With ``source="gazetteer"``: a DataFrame used instead of the shipped gazetteer
        (``geonames_id`` as index or column, name, country, lat, lon, population). It is
        prepared on every call (not cached).

    Returns
    -------
    pandas.DataFrame
        Indexed by candidate ``town_id``, best first: name, country, distance_km,
        population, partners (current number), in_network, lat, lon (so gazetteer places
        can be mapped: ``plot_map(data, candidates=ranking)``), common_partners, adamic_adar,
        distance_llr, country_llr, size_llr (plausibility features), new_country, gap
        (strategy features), plausibility, strategy, capacity (weighted components),
        eligible, score (= plausibility + strategy + capacity) and reason. Ties are
        broken by town_id. Existing partners and the town itself are never listed.

    Raises
    ------
    UnknownTownError
        If ``town_id`` is not a town of the data (close matches are suggested).
    UnknownCallError
        If ``call`` is not a known call.
    ValidationError
        For bad options, or when the filters leave no candidate (the message gives the
        count removed by each filter).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.recommend import rank_partners
    >>> data = tg.load()
    >>> top = rank_partners(data, "FR-chartres", n=5)
    >>> len(top), list(top.columns[:4])
    (5, ['name', 'country', 'distance_km', 'population'])
    >>> bool(top.index.isin(["DE-speyer"]).any())  # Chartres and Speyer are twinned
    False
    >>> bool(top["score"].is_monotonic_decreasing)
    True
    """
    _check_basic(n, source, candidates)
    w = RankWeights.coerce(weights)
    towns, edges = as_frames(data)
    town_id = _check_town(towns, town_id)
    opt = _options(
        n=n,
        source=source,
        w=w,
        call=call,
        countries=countries,
        min_distance_km=min_distance_km,
        max_distance_km=max_distance_km,
        min_population=min_population,
        max_population=max_population,
        candidates=candidates,
    )
    ctx = _context(data, towns, edges)
    pool = ctx.pool(source, candidates)
    row = int(ctx.model.index.get_loc(town_id))
    gaps = ctx.gaps(data) if w.gap != 0 else None
    block = _rank_block(ctx, pool, np.array([row]), opt, gaps)
    if block.empty:
        raise ValidationError(_no_candidate_message(town_id, pool.n, source, block.empty[0][1]))
    return _frame(pool, block, [ctx.model.country[row]] * len(block.pos))


def rank_partners_many(
    data: TwinningData | nx.Graph,
    town_ids: str | Iterable[str],
    *,
    n: int | None = 10,
    source: str = "network",
    call: Any = "latest",
    countries: str | Iterable[str] | None = None,
    min_distance_km: float | None = None,
    max_distance_km: float | None = None,
    min_population: int | None = None,
    max_population: int | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rank candidate partner towns for many towns at once (a programme office's batch).

    Gives, town by town, exactly what :func:`rank_partners` gives, in one long table.
    Query towns are scored in blocks against every candidate (sparse products for the
    shared partners, one dense array per feature), which takes a few ms per town even
    with 100,000 candidates.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a town graph.
    town_ids
        The towns looking for partners (duplicates are ranked once, in first-seen order).
    n, source, call, countries, min_distance_km, max_distance_km, min_population, \
max_population, weights, candidates
        As in :func:`rank_partners`, applied to every town.

    Returns
    -------
    pandas.DataFrame
        One row per (town, candidate), towns in the order given, candidates best first:
        ``town_id`` (the query town), ``rank`` (1 = best), ``candidate_id`` and then the
        columns of :func:`rank_partners`. A town whose filters leave no candidate has no
        row (a :class:`~twinning_graph.DataWarning` gives the count and examples).

    Raises
    ------
    UnknownTownError
        Naming every id that is not a town of the data.
    UnknownCallError, ValidationError
        As :func:`rank_partners`, for bad options.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph.recommend import rank_partners_many
    >>> data = tg.load()
    >>> many = rank_partners_many(data, ["FR-chartres", "DE-speyer"], n=3)
    >>> many[["town_id", "rank"]].values.tolist()
    [['FR-chartres', 1], ['FR-chartres', 2], ['FR-chartres', 3], ['DE-speyer', 1], ['DE-speyer', 2], ['DE-speyer', 3]]
    >>> list(many.columns[:5])
    ['town_id', 'rank', 'candidate_id', 'name', 'country']
    """
    _check_basic(n, source, candidates)
    w = RankWeights.coerce(weights)
    towns, edges = as_frames(data)
    ids = _query_ids(towns, town_ids)
    opt = _options(
        n=n,
        source=source,
        w=w,
        call=call,
        countries=countries,
        min_distance_km=min_distance_km,
        max_distance_km=max_distance_km,
        min_population=min_population,
        max_population=max_population,
        candidates=candidates,
    )
    ctx = _context(data, towns, edges)
    pool = ctx.pool(source, candidates)
    rows = ctx.model.index.get_indexer(ids)
    gaps = ctx.gaps(data) if (w.gap != 0 and len(rows)) else None
    size = max(1, min(256, _BLOCK_ELEMENTS // max(pool.n, 1)))
    # Loop over blocks of query towns; each block is vectorised over block x candidates.
    blocks = [
        _rank_block(ctx, pool, rows[i : i + size], opt, gaps) for i in range(0, len(rows), size)
    ]
    if not blocks:
        blocks = [
            _Block(
                np.zeros(0, np.intp),
                np.zeros(0, np.intp),
                np.zeros(0, np.intp),
                {k: np.zeros(0) for k in (*_SCORED, "capacity")},
                [],
            )
        ]
    block = _Block(
        query=np.concatenate([b.query for b in blocks]),
        rank=np.concatenate([b.rank for b in blocks]),
        pos=np.concatenate([b.pos for b in blocks]),
        parts={k: np.concatenate([b.parts[k] for b in blocks]) for k in blocks[0].parts},
        empty=[e for b in blocks for e in b.empty],
    )
    if block.empty:
        import warnings

        from twinning_graph._errors import DataWarning

        first = block.empty[0]
        warnings.warn(
            f"{len(block.empty):,} of {len(rows):,} towns have no candidate partner left "
            f"and are not in the result (e.g. "
            f"{_no_candidate_message(ctx.model.index[first[0]], pool.n, source, first[1])})",
            DataWarning,
            stacklevel=2,
        )
    out = _frame(pool, block, ctx.model.country[block.query])
    out.insert(0, "candidate_id", out.index)
    out.insert(0, "rank", block.rank.astype("int64"))
    out.insert(0, "town_id", pd.array(ctx.model.index[block.query], dtype=towns.index.dtype))
    return out.reset_index(drop=True)


def _query_ids(towns: pd.DataFrame, town_ids: Any) -> list[str]:
    ids = [town_ids] if isinstance(town_ids, str) else list(town_ids)
    bad = [t for t in ids if not isinstance(t, str)]
    if bad:
        raise ValidationError(f"town_ids must be strings such as 'DE-berlin', got {bad[:5]!r}")
    ids = list(dict.fromkeys(ids))
    missing = [t for t in ids if t not in towns.index]
    if len(missing) == 1:
        _check_town(towns, missing[0])
    elif missing:
        from twinning_graph._errors import UnknownTownError

        shown = ", ".join(map(repr, missing[:10])) + (", ..." if len(missing) > 10 else "")
        raise UnknownTownError(
            f"{len(missing):,} unknown town_ids: {shown}; valid ids are the index of "
            f"data.towns ({len(towns)} towns)"
        )
    return ids
