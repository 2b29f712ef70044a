"""Online fallback through geopy: rate limiting, JSON cache and progress reporting."""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph._errors import ValidationError
from twinning_graph._validate import warn
from twinning_graph._write import write_text
from twinning_graph.geocode._normalise import country_label
from twinning_graph.geocode._offline import Result

# the logger of the former single-file module, so log records keep their name
logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Online fallback
# --------------------------------------------------------------------------------------------


def _read_cache(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(
            f"cannot read geocoding cache {os.fspath(path)!r}: {exc}; "
            "expected a JSON object {query: {lat, lon, address} or null}"
        ) from exc
    if not isinstance(data, dict):
        raise ValidationError(
            f"geocoding cache {os.fspath(path)!r} holds a "
            f"{type(data).__name__}, expected a JSON object"
        )
    good = {k: v for k, v in data.items() if _cache_record_ok(v)}
    bad = [k for k in data if k not in good]
    if bad:
        warn(
            f"geocoding cache {os.fspath(path)!r}: {len(bad)} damaged record"
            f"{'s' if len(bad) != 1 else ''} (e.g. {bad[0][:60]!r}) ignored; "
            "they are looked up again",
            stacklevel=5,
        )
    return good


def _cache_record_ok(record: Any) -> bool:
    """A cached answer: null (nothing found) or {lat, lon[, address]} with real coordinates."""
    if record is None:
        return True
    if not isinstance(record, dict):
        return False
    lat, lon = record.get("lat"), record.get("lon")
    if isinstance(lat, bool) or isinstance(lon, bool):
        return False
    if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
        return False
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return False
    return isinstance(record.get("address", ""), str)


def _write_cache(path: Path, data: dict[str, Any]) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))


def _as_record(location: Any) -> dict[str, Any] | None:
    """A geopy Location, a (lat, lon) pair or a dict → ``{lat, lon, address}``; None if empty."""
    if location is None:
        return None
    if isinstance(location, list):  # exactly_one=False style answers: take the first
        return _as_record(location[0]) if location else None
    if isinstance(location, dict):
        return {
            "lat": float(location["lat"]),
            "lon": float(location["lon"]),
            "address": str(location.get("address", "")),
        }
    if hasattr(location, "latitude") and hasattr(location, "longitude"):
        return {
            "lat": float(location.latitude),
            "lon": float(location.longitude),
            "address": str(getattr(location, "address", "") or ""),
        }
    lat, lon = location  # a (lat, lon) pair
    return {"lat": float(lat), "lon": float(lon), "address": ""}


def _progress(items: list[str], enabled: bool) -> Iterable[str]:
    if not enabled:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _logged(items)
    return tqdm(items, desc="geocoding online", unit="query")


def _logged(items: list[str]) -> Iterable[str]:
    step = max(1, len(items) // 10)
    for i, item in enumerate(items):
        if i % step == 0:
            logger.info("geocoding online: %d/%d queries", i, len(items))
        yield item
    logger.info("geocoding online: %d/%d queries", len(items), len(items))


def resolve_online(
    raw: pd.Series,
    codes: pd.Series,
    res: Result,
    online: Any,
    cache: str | os.PathLike | None,
    progress: bool,
    min_delay_seconds: float,
) -> None:
    from geopy.exc import GeopyError
    from geopy.extra.rate_limiter import RateLimiter

    todo = np.flatnonzero((res.kind == "none") & (raw.str.len().to_numpy() > 0))
    if not len(todo):
        return
    func = online.geocode if hasattr(online, "geocode") else online
    # swallow_exceptions=False: errors are reported per row below, not turned into "no result"
    limited = RateLimiter(
        func,
        min_delay_seconds=min_delay_seconds,
        max_retries=2,
        error_wait_seconds=5.0 * min_delay_seconds,
        swallow_exceptions=False,
    )
    path = Path(cache) if cache is not None else None
    store = _read_cache(path)
    names = raw.to_numpy(dtype=object)
    country = codes.fillna("").to_numpy(dtype=object)
    queries = [
        f"{names[r]}, {country_label(country[r])}" if country[r] else str(names[r]) for r in todo
    ]
    errors: dict[str, str] = {}
    calls = 0
    try:
        for query in _progress(sorted(set(queries) - set(store)), progress):
            try:
                calls += 1
                store[query] = _as_record(limited(query))
            except (GeopyError, OSError) as exc:  # OSError covers timeouts and refused sockets
                errors[query] = f"{type(exc).__name__}: {exc}"
    finally:
        if path is not None and calls:
            _write_cache(path, store)
    logger.info(
        "geocoding online: %d queries sent, %d answered from the cache, %d errors",
        calls,
        len(set(queries)) - calls,
        len(errors),
    )
    for row, query in zip(todo, queries, strict=True):
        if query in errors:
            res.kind[row] = "error"
            res.add_note(row, f"online geocoding of {query!r} failed: {errors[query]}")
            continue
        record = store.get(query)
        if record is None:
            res.add_note(row, f"online geocoder found nothing for {query!r}")
            continue
        res.kind[row] = "online"
        res.lat[row], res.lon[row] = record["lat"], record["lon"]
        res.matched[row] = record.get("address", "") or ""
        res.confidence[row] = 0.5
        res.add_note(row, f"geocoded online: {query!r}")
