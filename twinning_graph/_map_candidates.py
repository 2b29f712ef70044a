"""Candidate partners given to a map, as one frame (no matplotlib: static and interactive maps).

A map takes its candidates as a ranking (:func:`twinning_graph.rank_partners`, which carries
``lat``/``lon``, ``name`` and ``country`` so gazetteer places outside the data can be drawn),
a DataFrame of town ids, or a list of town ids. :func:`candidate_frame` turns any of them into
one frame with ``town_id``, ``name``, ``country``, ``lat``, ``lon`` and ``rank``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import UnknownTownError, ValidationError, unknown_towns

__all__ = ["CANDIDATE_COLUMNS", "candidate_frame"]

#: Columns of :func:`candidate_frame`.
CANDIDATE_COLUMNS = ("town_id", "name", "country", "lat", "lon", "rank")


def _ids_of(frame: pd.DataFrame) -> pd.Series | None:
    if "town_id" in frame.columns:
        return frame["town_id"].astype("string")
    if frame.index.name == "town_id":
        return pd.Series(frame.index.astype(str), index=frame.index, dtype="string")
    return None


def _unknown_ids(missing: list[str], towns: pd.DataFrame) -> UnknownTownError:
    return unknown_towns(
        missing,
        towns.index,
        names=towns["name"] if "name" in towns.columns else None,
        what="candidate town_id",
        hint="or give a DataFrame with lat/lon columns",
    )


def candidate_frame(candidates: Any, towns: pd.DataFrame) -> pd.DataFrame:
    """Candidates as one frame: town_id, name, country, lat, lon, rank (1 = first given).

    Parameters
    ----------
    candidates : DataFrame, str or iterable of str
        A ranking from :func:`twinning_graph.rank_partners` (or any DataFrame with ``lat`` and
        ``lon`` columns; ``name``/``country`` are used when present, else looked up in
        ``towns`` by ``town_id``), a DataFrame with a ``town_id`` column or index, one town
        id, or a list of town ids. The order given is the rank.
    towns : pandas.DataFrame
        The towns of the map (``data.towns``), for ids without coordinates or names.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, columns :data:`CANDIDATE_COLUMNS`; ``town_id`` is missing for
        places given only by coordinates.

    Raises
    ------
    UnknownTownError
        A candidate id (without coordinates of its own) is not in ``towns``; all are named.
    ValidationError
        A DataFrame with neither ``town_id`` nor ``lat``/``lon``, or candidates without
        coordinates.

    Examples
    --------
    >>> import twinning_graph as tg
    >>> from twinning_graph._map_candidates import candidate_frame
    >>> data = tg.load()
    >>> frame = candidate_frame(["FR-paris", "DE-berlin"], data.towns)
    >>> frame[["town_id", "country", "rank"]].values.tolist()
    [['FR-paris', 'FR', 1], ['DE-berlin', 'DE', 2]]
    """
    if isinstance(candidates, pd.DataFrame):
        frame = candidates.reset_index(drop=candidates.index.name != "town_id")
        ids = _ids_of(frame)
        has_xy = {"lat", "lon"} <= set(frame.columns)
        if ids is None and not has_xy:
            raise ValidationError(
                "candidates DataFrame needs a 'town_id' column (or index) or 'lat' and 'lon' "
                f"columns; got columns {list(candidates.columns)}"
            )
    elif isinstance(candidates, str):
        frame, ids, has_xy = pd.DataFrame({"town_id": [candidates]}), None, False
    else:
        frame = pd.DataFrame({"town_id": [str(c) for c in candidates]})
        ids, has_xy = None, False
    if ids is None:
        ids = _ids_of(frame)
    n = len(frame)
    out = pd.DataFrame(
        {
            "town_id": ids.to_numpy() if ids is not None else pd.array([pd.NA] * n, "string"),
            "name": pd.array([pd.NA] * n, dtype="string"),
            "country": pd.array([pd.NA] * n, dtype="string"),
            "lat": np.full(n, np.nan),
            "lon": np.full(n, np.nan),
            "rank": np.arange(1, n + 1),
        }
    )
    if has_xy:
        out["lat"] = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(np.float64)
        out["lon"] = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(np.float64)
    for col in ("name", "country"):
        if col in frame.columns:
            out[col] = frame[col].astype("string").to_numpy()
    # what the frame does not say, the towns table does (by id)
    if ids is not None:
        known = out["town_id"].isin(towns.index).fillna(False).to_numpy(dtype=bool)
        lacking = out[["lat", "lon"]].isna().any(axis=1).to_numpy()
        missing = out.loc[lacking & ~known, "town_id"].dropna().astype(str).tolist()
        if missing:
            raise _unknown_ids(missing, towns)
        rows = towns.reindex(out["town_id"].astype(object).where(known, None))
        for col in ("lat", "lon"):
            out[col] = out[col].fillna(pd.Series(rows[col].to_numpy(np.float64)))
        for col in ("name", "country"):
            if col in rows.columns:
                filler = pd.Series(rows[col].to_numpy(), dtype="string")
                out[col] = out[col].fillna(filler)
    no_xy = out[["lat", "lon"]].isna().any(axis=1)
    if no_xy.any():
        rows_bad = (np.flatnonzero(no_xy.to_numpy()) + 1).tolist()
        raise ValidationError(
            f"{int(no_xy.sum())} candidate(s) without coordinates (rank {rows_bad[:10]}); "
            "give lat/lon columns or ids of towns that have coordinates"
        )
    out["name"] = out["name"].fillna(out["town_id"]).fillna("candidate")
    return out[list(CANDIDATE_COLUMNS)]
