"""The public :func:`geocode` entry point (see :mod:`twinning_graph.geocode`)."""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import DataWarning, ValidationError
from twinning_graph.geocode._normalise import country_codes
from twinning_graph.geocode._offline import Result, resolve_fuzzy, resolve_offline
from twinning_graph.geocode._online import resolve_online

# the logger of the former single-file module, so log records keep their name
logger = logging.getLogger(__name__)

#: Values of the ``match_kind`` column written by :func:`geocode`.
MATCH_KINDS = ("exact", "alternate", "fuzzy", "ambiguous", "none", "online", "error")

#: Kinds counted as resolved (a place and coordinates were found).
RESOLVED_KINDS = ("exact", "alternate", "fuzzy", "online")

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

#: Columns added by :func:`geocode`.
OUTPUT_COLUMNS = (
    "geonames_id",
    "lat",
    "lon",
    "population",
    "matched_name",
    "match_kind",
    "confidence",
    "candidates",
    "geocode_note",
)


def geocode(
    frame: pd.DataFrame,
    *,
    name: str = "name",
    country: str | None = "country",
    online: Any = None,
    cache: str | os.PathLike | None = None,
    min_confidence: float = 0.5,
    progress: bool = False,
    min_delay_seconds: float = 1.0,
) -> pd.DataFrame:
    """Find coordinates and GeoNames ids for town names.

    Offline first, against the shipped gazetteer (GeoNames places of 46 European countries:
    ≥ 1,000 inhabitants or seats of divisions, then places of 500–999, then municipalities and
    other divisions, each tier tried only when no entry of the one before has the name): names
    are normalised with :func:`normalise_name` and matched on ``(key, country)``. In order of
    preference:

    1. ``exact`` — the place's GeoNames primary name (confidence 1.0);
    2. ``alternate`` — one of its alternate names, any language or script (0.95);
    3. ``fuzzy`` — difflib similarity ≥ 0.85 to a name in the same country, tried only for
       rows without any candidate (0.85 × similarity).

    Keys are tried from the most literal form to the most stripped one (whole name; name
    without a qualifier after a comma or in parentheses; administrative words removed; first of
    several ``/``-separated names); each fallback costs 0.05 confidence and is said in
    ``geocode_note``. Without a country (column absent, empty cell or unknown value) the match
    runs across all countries, costs 0.1 confidence, needs a larger town for the population
    rule and skips fuzzy matching.

    When several places of the country share the best-matching name (as primary or alternate
    name), the row is ``ambiguous``: coordinates stay empty and ``candidates`` lists them. The
    ways out, in order, each noted: a qualifier (``"Neustadt (Hessen)"``) that appears in
    exactly one candidate's names or equals its admin-1 code (× 0.95); all candidates within
    10 km of the largest (× 0.9); the **section rule**: candidates that lie within 10 km of a
    town of 100,000+ inhabitants and 10 times their size are left out ("Legazpi" is the Basque
    town, not the Madrid neighbourhood) (× 0.85); the **population rule**, across primary and
    alternate names: the most populous candidate has at least 10 times the inhabitants of the
    next one and at least 10,000 inhabitants (100,000 without a country) ("Newcastle" is
    Newcastle upon Tyne, not the Newcastle of Northern Ireland) (× 0.8); else a unique primary
    name among alternates (× 0.95). A division (a municipality matched by its name) costs
    × 0.9. Matches below ``min_confidence`` are dropped (``none``, best guess in the note).

    Online fallback, only when ``online`` is given: rows still without any match (``none``;
    ambiguous rows are not sent) are looked up with the geocoder through
    :class:`geopy.extra.rate_limiter.RateLimiter`, the answers cached in ``cache``. Network
    errors mark the row ``error`` and the run continues. Nothing touches the network unless
    ``online`` is given.

    Parameters
    ----------
    frame : DataFrame
        Towns to geocode; never modified.
    name : str, default "name"
        Column with the town names.
    country : str or None, default "country"
        Column with countries: ISO alpha-2 codes (``EL``/``UK`` accepted) or English/native
        names (``"Germany"``, ``"Deutschland"``). If the column is absent (and named
        ``"country"``) or ``None``, names are matched across all countries.
    online : geopy geocoder or callable, optional
        E.g. ``Nominatim(user_agent="my-project")`` (its ``geocode`` method is used) or any
        callable taking a query string and returning a geopy ``Location``, a ``(lat, lon)``
        pair, a dict with ``lat``/``lon``/``address``, or ``None``.
    cache : path, optional
        JSON file mapping query strings to ``{"lat", "lon", "address"}`` or ``null`` (not
        found). Read before and written after the online lookups, so a rerun sends no new
        requests. Errors are not cached.
    min_confidence : float, default 0.6
        Offline matches with a lower confidence are reported as ``none``.
    progress : bool, default False
        Show a progress bar for online lookups (tqdm if installed, else log messages).
    min_delay_seconds : float, default 1.0
        Delay between online requests (Nominatim's usage policy asks for 1 per second).

    Returns
    -------
    DataFrame
        A copy of ``frame`` with added columns ``geonames_id`` (Int64), ``lat``, ``lon``
        (float64), ``population`` (Int64), ``matched_name`` (gazetteer name or online
        address), ``match_kind`` (one of :data:`MATCH_KINDS`), ``confidence`` (0–1),
        ``candidates`` (for ambiguous rows: ``"geonames_id:name:admin1:population"`` joined by
        ``";"``, most populous first; else ``""``) and ``geocode_note``.

    Raises
    ------
    ValidationError
        If a column is missing or an argument is invalid.

    Examples
    --------
    >>> import pandas as pd
    >>> from twinning_graph.geocode import geocode
    >>> towns = pd.DataFrame({"name": ["Köln", "Kolonia", "Ville de Lyon", "Neustadt"],
    ...                       "country": ["DE", "Poland", "FR", "DE"]})
    >>> out = geocode(towns)
    >>> out[["geonames_id", "match_kind", "confidence"]]
       geonames_id match_kind  confidence
    0      2886242      exact        1.00
    1         <NA>       none        0.00
    2      2996944      exact        0.95
    3         <NA>  ambiguous        0.00
    """
    _check_arguments(frame, name, country, online, min_confidence, min_delay_seconds)
    out = frame.copy()
    clash = [c for c in OUTPUT_COLUMNS if c in out.columns and c != name and c != country]
    if clash:
        warnings.warn(f"geocode() overwrites existing column(s) {clash}", DataWarning, stacklevel=2)
    raw = out[name].astype("str").fillna("").str.strip()
    raw = pd.Series(raw.to_numpy(dtype=object), dtype="str")
    res = Result(len(out))
    if country is not None and country in out.columns:
        codes, unknown = country_codes(pd.Series(out[country].to_numpy(dtype=object)))
        bad = np.flatnonzero(unknown.to_numpy())
        values = out[country].to_numpy(dtype=object)
        res.add_note(
            bad, [f"unknown country {values[r]!r}: matched across all countries" for r in bad]
        )
    else:
        codes = pd.Series(pd.NA, index=raw.index, dtype="str")

    if len(out):
        stripped = resolve_offline(raw, codes, res)
        resolve_fuzzy(stripped, codes, res)
        _apply_min_confidence(res, min_confidence)
        _fill_places(res)
        res.add_note(np.flatnonzero(raw.str.len().to_numpy() == 0), "empty name")
        if online is not None:
            resolve_online(raw, codes, res, online, cache, progress, min_delay_seconds)

    gid = pd.array(np.where(res.gid >= 0, res.gid, 0), dtype="Int64")
    gid[res.gid < 0] = pd.NA
    out["geonames_id"] = gid
    out["lat"] = res.lat
    out["lon"] = res.lon
    out["population"] = _population(res.gid)
    out["matched_name"] = pd.array(res.matched, dtype="str")
    out["match_kind"] = pd.array(res.kind, dtype="str")
    out["confidence"] = res.confidence
    out["candidates"] = pd.array(res.candidates, dtype="str")
    out["geocode_note"] = pd.array(res.note, dtype="str")
    counts = pd.Series(res.kind).value_counts()
    logger.info("geocoded %d rows: %s", len(out), ", ".join(f"{k} {v}" for k, v in counts.items()))
    return out


def _check_arguments(
    frame: Any,
    name: str,
    country: str | None,
    online: Any,
    min_confidence: float,
    min_delay_seconds: float,
) -> None:
    problems = []
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"geocode() expects a pandas DataFrame, got {type(frame).__name__}")
    present = ", ".join(map(repr, frame.columns)) or "none"
    if name not in frame.columns:
        problems.append(f"name column {name!r} not found; columns present: {present}")
    if country is not None and country != "country" and country not in frame.columns:
        problems.append(
            f"country column {country!r} not found; columns present: {present} "
            "(pass country=None to match across all countries)"
        )
    if online is not None and not (hasattr(online, "geocode") or callable(online)):
        problems.append(
            f"online must be a geopy geocoder or a callable, got {type(online).__name__}"
        )
    if (
        isinstance(min_confidence, bool)
        or not isinstance(min_confidence, (int, float))
        or not 0 <= min_confidence <= 1
    ):
        problems.append(f"min_confidence must be a number in [0, 1], got {min_confidence!r}")
    if (
        isinstance(min_delay_seconds, bool)
        or not isinstance(min_delay_seconds, (int, float))
        or min_delay_seconds < 0
    ):
        problems.append(f"min_delay_seconds must be a number >= 0, got {min_delay_seconds!r}")
    if problems:
        raise ValidationError("geocode(): " + "; ".join(problems))


def _apply_min_confidence(res: Result, min_confidence: float) -> None:
    low = np.flatnonzero((res.gid >= 0) & (res.confidence < min_confidence))
    if not len(low):
        return
    from twinning_graph._gazetteer import places_table

    names = places_table()["name"].reindex(res.gid[low]).to_numpy(dtype=object)
    res.add_note(
        low,
        [
            f"best guess {n} (geonames_id {g}, {res.kind[r]}, confidence "
            f"{res.confidence[r]:.2f}) is below min_confidence={min_confidence}"
            for r, g, n in zip(low, res.gid[low], names, strict=True)
        ],
    )
    res.gid[low] = -1
    res.kind[low] = "none"
    res.confidence[low] = 0.0


def _fill_places(res: Result) -> None:
    from twinning_graph._gazetteer import places_table

    hit = np.flatnonzero(res.gid >= 0)
    rows = places_table().loc[res.gid[hit]]
    res.lat[hit] = rows["lat"].to_numpy()
    res.lon[hit] = rows["lon"].to_numpy()
    res.matched[hit] = rows["name"].to_numpy(dtype=object)


def _population(gid: np.ndarray) -> pd.Series:
    from twinning_graph._gazetteer import places_table

    pop = places_table()["population"].reindex(np.where(gid >= 0, gid, -1)).to_numpy()
    out = pd.array(np.nan_to_num(pop, nan=0).astype(np.int64), dtype="Int64")
    out[(gid < 0) | (np.nan_to_num(pop, nan=0) == 0)] = pd.NA  # 0 = unknown in GeoNames
    return out
