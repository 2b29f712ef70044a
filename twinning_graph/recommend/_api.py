"""The public functions (:func:`rank_partners`, :func:`rank_partners_many`) and their
argument checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph.network import TwinningData
from twinning_graph.recommend._eligibility import resolve_call
from twinning_graph.recommend._pool import SOURCES
from twinning_graph.recommend._weights import RankWeights

if TYPE_CHECKING:
    from twinning_graph.recommend._model import Options, PartnerModel

#: The options of a ranking and their defaults (rank_partners, PartnerModel.rank, ...).
OPTIONS: dict[str, Any] = {
    "n": 10,
    "source": "network",
    "call": "latest",
    "include_domestic": False,
    "countries": None,
    "min_distance_km": None,
    "max_distance_km": None,
    "population_band": 10.0,
    "min_population": None,
    "max_population": None,
    "weights": None,
    "candidates": None,
    "per_country": None,
}


def partner_model(data: TwinningData | nx.Graph) -> PartnerModel:
    """The fitted :class:`PartnerModel` of ``data``: kept on a TwinningData (``data.derived``),
    refitted for a networkx graph."""
    from twinning_graph.recommend._model import PartnerModel

    if isinstance(data, TwinningData):
        return data.derived(("recommend", "PartnerModel"), lambda: PartnerModel(data))
    if isinstance(data, nx.Graph):
        return PartnerModel(data)
    raise ValidationError(
        f"expected TwinningData (from tg.load()) or a networkx town graph, got "
        f"{type(data).__name__}"
    )


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValidationError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _call(model: PartnerModel, call: Any) -> Any:
    """:func:`resolve_call`, remembered on the model for strings (a Call costs ~5 ms to
    build); a call whose look-up warns is not remembered, so it warns every time."""
    import warnings

    if isinstance(call, str) and call in model._calls:
        return model._calls[call]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolved = resolve_call(call)  # UnknownCallError: its own clear message
    for c in caught:
        warnings.warn(c.message, c.category, stacklevel=5)
    if isinstance(call, str) and not caught:
        model._calls[call] = resolved
    return resolved


def options_from(model: PartnerModel, **options: Any) -> Options:
    """Check every ranking option; one error lists every problem."""
    from twinning_graph._validate import Problems, check_int
    from twinning_graph.recommend._model import Options

    problems = Problems()
    where = "options"
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        problems.add(where, None, None, f"unknown option(s) {unknown}; allowed: {list(OPTIONS)}")
    o = {**OPTIONS, **{k: v for k, v in options.items() if k in OPTIONS}}
    for k, none_means in (("n", "every candidate"), ("per_country", "no cap")):
        if o[k] is not None:
            try:
                check_int(o[k], k, minimum=1, hint=f" (or None for {none_means})")
            except ValidationError as exc:
                problems.add(where, None, None, str(exc))
    if o["source"] not in SOURCES:
        problems.add(where, None, "source", f"must be one of {list(SOURCES)}, got {o['source']!r}")
    if o["candidates"] is not None and o["source"] != "gazetteer":
        problems.add(where, None, "candidates", "is used only with source='gazetteer'")
    if o["candidates"] is not None and not isinstance(o["candidates"], pd.DataFrame):
        problems.add(where, None, "candidates", "must be a DataFrame of places")
    if not isinstance(o["include_domestic"], (bool, np.bool_)):
        problems.add(
            where, None, "include_domestic", f"must be True or False, got {o['include_domestic']!r}"
        )
    nums = {}
    for k in ("min_distance_km", "max_distance_km", "min_population", "max_population"):
        try:
            nums[k] = _number(k, o[k])
        except ValidationError as exc:
            problems.add(where, None, k, str(exc).split(" ", 1)[1])
    band = o["population_band"]
    if band is not None and (
        isinstance(band, bool)
        or not isinstance(band, (int, float, np.integer, np.floating))
        or not np.isfinite(band)
        or band < 1
    ):
        problems.add(
            where,
            None,
            "population_band",
            f"must be a number >= 1 (a factor) or None, got {band!r}",
        )
        band = None
    for lo, hi in (("min_distance_km", "max_distance_km"), ("min_population", "max_population")):
        if nums.get(lo) is not None and nums.get(hi) is not None and nums[lo] > nums[hi]:  # type: ignore[operator]
            problems.add(where, None, lo, f"{nums[lo]:g} is larger than {hi}={nums[hi]:g}")
    codes = None
    if o["countries"] is not None:
        from twinning_graph._errors import UnknownCountryError
        from twinning_graph.countries import normalise_country

        given = [o["countries"]] if isinstance(o["countries"], str) else list(o["countries"])
        try:
            codes = frozenset(map(str, normalise_country(pd.Series(given, dtype=object))))
        except (UnknownCountryError, ValidationError) as exc:
            problems.add(where, None, "countries", str(exc))
    weights = None
    try:
        weights = RankWeights.coerce(o["weights"], base=model.weights)
    except ValidationError as exc:
        problems.add(where, None, "weights", str(exc))
    problems.raise_if_any("the ranking options")
    call = _call(model, o["call"])
    assert weights is not None
    return Options(
        n=None if o["n"] is None else int(o["n"]),
        source=o["source"],
        call=call,
        include_domestic=bool(o["include_domestic"]),
        codes=codes,
        lo_d=nums["min_distance_km"],
        hi_d=nums["max_distance_km"],
        band=None if band is None else float(band),
        lo_p=nums["min_population"],
        hi_p=nums["max_population"],
        weights=weights,
        candidates=o["candidates"],
        per_country=None if o["per_country"] is None else int(o["per_country"]),
    )


def rank_partners(
    data: TwinningData | nx.Graph,
    town: Any,
    *,
    n: int | None = 10,
    source: str = "network",
    call: Any = "latest",
    include_domestic: bool = False,
    countries: str | Iterable[str] | None = None,
    min_distance_km: float | None = None,
    max_distance_km: float | None = None,
    population_band: float | None = 10.0,
    min_population: float | None = None,
    max_population: float | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    candidates: pd.DataFrame | None = None,
    per_country: int | None = None,
) -> pd.DataFrame:
    """Rank the foreign towns a town is most likely to twin with next, explained by name.

    The score is a model of why towns twin, fitted on the links of ``data``
    (:class:`PartnerModel`, kept on the data object so only the first call pays for the
    fit): shared partners (a hub or a partner outside Europe counts little), paths through
    partners' partners, towns near both that are twinned, distance (overall and within the
    candidate's country), country pair, size, whether the candidate is the main town of its
    area, and same name. Each term is a column; ``reason`` puts the largest in words.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a networkx town graph (refitted each
        call).
    town
        Any town: a network town id (``"PL-krakow"``), a name (``"Kraków"``: several
        matching places raise an error listing them, see :func:`~twinning_graph.find_town`),
        a GeoNames id (``3094802`` or ``"geonames:3094802"``), a row of ``find_town``, or a
        new place as a dict with ``country``, ``lat``, ``lon`` and optionally ``name``,
        ``population``. A town without partners yet is ranked on everything but its
        partners.
    n
        Number of candidates returned (best first); ``None`` returns all.
    source : {"network", "gazetteer"}
        ``"network"``: the towns of the data. ``"gazetteer"``: those plus every place of
        the shipped GeoNames gazetteer (>= 1,000 inhabitants) that is not one of them
        (merged by GeoNames id, or name, country and 15 km); new places get the id
        ``"geonames:<id>"``.
    call
        Keep towns of countries eligible for a call: a call id, a
        :class:`~twinning_graph.calls.Call`, ``"latest"`` (default: the latest Networks of
        Towns call), ``"latest-confirmed"``, or ``None`` (no call rules: nothing removed,
        ``eligible`` is ``"n/a"``). Candidates whose eligibility is unconfirmed are kept and
        say so. A :class:`~twinning_graph.DataWarning` says when the town itself is not
        eligible.
    include_domestic
        Also list towns of the town's own country (default False: CERV funds
        transnational partnerships).
    countries
        Keep only candidates of these countries (ISO alpha-2).
    min_distance_km, max_distance_km
        Distance band (great circle) from the town.
    population_band
        Keep candidates whose population is within this factor of the town's (default 10:
        from a tenth to ten times; about 88% of real transnational partners are); ``None``
        switches it off. Candidates or towns of unknown population are kept.
    min_population, max_population
        Absolute population band; candidates of unknown population are dropped when set.
    weights
        Override some weights of the fitted model (a dict), e.g. ``{"gap": 0.3}`` to
        prefer pairs of Member States that are under-linked, or a full :class:`RankWeights`.
    candidates
        With ``source="gazetteer"``: a DataFrame of places used instead of the shipped
        gazetteer (``geonames_id`` as index or column, name, country, lat, lon, population;
        optionally admin1, feature_code).
    per_country
        List at most this many candidates of one country (the next best of other countries
        take their places): a list with options in several countries, as a Networks of
        Towns application needs. Off by default: the most likely partners of a town are
        often in one country, and capping costs some accuracy (``docs/ranking.md``).

    Returns
    -------
    pandas.DataFrame
        Indexed by candidate ``town_id``, best first: name, country, population, partners
        (current number), distance_km, common_partners, in_network, geonames_id, lat, lon;
        one column per score term (its weighted contribution: shared_partners,
        partner_paths, nearby_10km, nearby_50km, nearby_150km, distance,
        distance_in_country, country_pair, size, centrality, same_name, new_country,
        candidate_ties, language, gap); score (their sum); eligible (``"yes"``, ``"no"``,
        ``"unconfirmed"`` or ``"n/a"``), eligible_reason, eligible_rule, eligible_source;
        and reason. Equal scores are ordered by closeness in population to the town, then
        by distance, then by town_id. The town itself, its existing partners and
        their doubles are never listed.

    Raises
    ------
    UnknownTownError
        If ``town`` is not a town, a place or a name of one (close names are suggested).
    UnknownCallError
        If ``call`` is not a known call.
    ValidationError
        For an ambiguous name (the candidates are listed), bad options (every problem in one
        message), or when the filters leave no candidate (the count each removed).

    Examples
    --------
    >>> import twinning_graph as tg
    >>> top = tg.rank_partners(tg.load(), "FR-chartres", n=5)
    >>> len(top), bool((top["country"] != "FR").all())
    (5, True)
    >>> "DE-speyer" in top.index  # Chartres and Speyer are twinned already
    False
    >>> bool(top["score"].is_monotonic_decreasing), set(top["eligible"]) <= {"yes", "unconfirmed"}
    (True, True)
    """
    return partner_model(data).rank(
        town,
        n=n,
        source=source,
        call=call,
        include_domestic=include_domestic,
        countries=countries,
        min_distance_km=min_distance_km,
        max_distance_km=max_distance_km,
        population_band=population_band,
        min_population=min_population,
        max_population=max_population,
        weights=weights,
        candidates=candidates,
        per_country=per_country,
    )


def rank_partners_many(
    data: TwinningData | nx.Graph,
    towns: Any,
    *,
    n: int | None = 10,
    source: str = "network",
    call: Any = "latest",
    include_domestic: bool = False,
    countries: str | Iterable[str] | None = None,
    min_distance_km: float | None = None,
    max_distance_km: float | None = None,
    population_band: float | None = 10.0,
    min_population: float | None = None,
    max_population: float | None = None,
    weights: RankWeights | Mapping[str, float] | None = None,
    candidates: pd.DataFrame | None = None,
    per_country: int | None = None,
) -> pd.DataFrame:
    """Rank candidate partners for many towns at once (a programme office's batch).

    Gives, town by town, exactly what :func:`rank_partners` gives, in one long table;
    towns are scored in blocks against every candidate.

    Parameters
    ----------
    data
        A :class:`~twinning_graph.TwinningData` or a networkx town graph.
    towns
        The towns looking for partners, each as :func:`rank_partners` accepts (a town
        appearing twice is ranked once, in first-seen order).
    n, source, call, include_domestic, countries, min_distance_km, max_distance_km, \
population_band, min_population, max_population, weights, candidates, per_country
        As in :func:`rank_partners`, applied to every town.

    Returns
    -------
    pandas.DataFrame
        One row per (town, candidate), towns in the order given, candidates best first:
        ``town_id`` (the query town), ``rank`` (1 = best), ``candidate_id`` and then the
        columns of :func:`rank_partners`. A town whose filters leave no candidate has no
        row (a :class:`~twinning_graph.DataWarning` gives the count and an example).

    Raises
    ------
    UnknownTownError, ValidationError
        Naming every town that cannot be resolved; bad options as :func:`rank_partners`.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> many = tg.rank_partners_many(tg.load(), ["FR-chartres", "DE-speyer"], n=3)
    >>> many[["town_id", "rank"]].values.tolist()
    [['FR-chartres', 1], ['FR-chartres', 2], ['FR-chartres', 3], ['DE-speyer', 1], ['DE-speyer', 2], ['DE-speyer', 3]]
    >>> list(many.columns[:4])
    ['town_id', 'rank', 'candidate_id', 'name']
    """
    return partner_model(data).rank_many(
        towns,
        n=n,
        source=source,
        call=call,
        include_domestic=include_domestic,
        countries=countries,
        min_distance_km=min_distance_km,
        max_distance_km=max_distance_km,
        population_band=population_band,
        min_population=min_population,
        max_population=max_population,
        weights=weights,
        candidates=candidates,
        per_country=per_country,
    )
