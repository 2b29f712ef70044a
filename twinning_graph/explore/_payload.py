"""The data of an interactive map: compact arrays and a small JSON header, gzip-compressed.

Layout of the (uncompressed) payload, little-endian::

    uint32 header length | header (UTF-8 JSON) | zero padding to 8 bytes | array 1 | array 2 ...

The header lists the arrays (``arrays: {name: [dtype, offset, length]}``, offsets from the
start of the payload, each a multiple of 8) and carries the strings: town names and ids,
countries with their colours, link kinds, the candidates and the basemap features. Numbers
travel as typed arrays (float32 coordinates, uint32 link ends), so a 100,000-town /
300,000-link network is a few megabytes; gzip halves it again. Strings are JSON inside the
compressed payload, never HTML: the page inserts them with ``textContent``.
"""

from __future__ import annotations

import gzip
import json
import logging
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph import _style
from twinning_graph._errors import ValidationError
from twinning_graph._validate import warn

logger = logging.getLogger(__name__)

#: At most this many link kinds get their own filter box; rarer kinds share "other kinds".
MAX_KINDS = 31


@dataclass(frozen=True)
class Payload:
    """The compressed bytes of a map and what they hold (for ``repr`` and logging)."""

    data: bytes
    n_towns: int
    n_links: int
    raw_size: int


def _kind_bits(kinds: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per link a bit mask of its kinds (``"a;b"`` strings), and the kind names by bit.

    The masks are worked out once per distinct ``kinds`` string (a handful) and mapped onto
    the links, so a 300,000-link network costs one factorisation.
    """
    codes, uniques = pd.factorize(kinds.astype("string").fillna(""), use_na_sentinel=False)
    per_unique = [[k for k in str(u).split(";") if k] for u in uniques]
    counts = np.bincount(codes, minlength=len(uniques))
    total: dict[str, int] = {}
    for ks, n in zip(per_unique, counts, strict=True):  # distinct kinds strings: a handful
        for k in ks:
            total[k] = total.get(k, 0) + int(n)
    order = sorted(total, key=lambda k: (-total[k], k))
    names = order[:MAX_KINDS]
    if len(order) > MAX_KINDS:
        names.append("other kinds")
        logger.info("%d link kinds grouped as 'other kinds'", len(order) - MAX_KINDS)
    bit_of = {k: i for i, k in enumerate(names)}
    other = len(names) - 1
    masks = np.zeros(len(uniques), dtype=np.uint32)
    for j, ks in enumerate(per_unique):
        for k in ks:
            masks[j] |= np.uint32(1) << np.uint32(bit_of.get(k, other))
    return masks[codes], names


def _basemap_arrays() -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray, np.ndarray]:
    """Basemap features and their rings: lon/lat (float32), ring starts, ring feature index."""
    from twinning_graph.plot._basemap import load_countries

    features, coords, starts, owner = [], [], [0], []
    for i, c in enumerate(load_countries()):
        features.append({"code": c.iso_a2, "name": c.name, "eu": c.eu})
        for ring in c.rings:
            coords.append(ring.astype(np.float32))
            starts.append(starts[-1] + len(ring))
            owner.append(i)
    lonlat = np.concatenate(coords).reshape(-1)
    return (
        features,
        lonlat,
        np.asarray(starts, dtype=np.uint32),
        np.asarray(owner, dtype=np.uint16),
    )


def _pack(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """Header + arrays in the layout of the module docstring (offsets filled in here)."""
    # the header holds the offsets, so its length must be known first: fix it by iteration
    specs: dict[str, list[Any]] = {
        name: [str(a.dtype), 0, int(a.size)] for name, a in arrays.items()
    }
    header = dict(header, arrays=specs)
    for _ in range(3):
        text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        offset = 4 + len(text)
        offset += -offset % 8
        moved = False
        for name, a in arrays.items():
            if specs[name][1] != offset:
                specs[name][1] = offset
                moved = True
            offset += a.nbytes
            offset += -offset % 8
        if not moved:
            break
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    parts = [struct.pack("<I", len(text)), text]
    position = 4 + len(text)
    for name, a in arrays.items():
        pad = specs[name][1] - position
        if pad < 0:  # pragma: no cover - the loop above converges in two rounds
            raise RuntimeError("payload layout did not converge")
        parts.append(b"\0" * pad)
        parts.append(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes())
        position = specs[name][1] + a.nbytes
    return b"".join(parts)


def _strings(values: pd.Series) -> list[str | None]:
    return [None if v is None or v is pd.NA else str(v) for v in values.astype(object)]


def build_payload(
    towns: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    candidates: pd.DataFrame | None,
    candidate_extras: Sequence[str] = (),
) -> Payload:
    """Pack towns, links, candidates and the basemap of one map.

    Parameters
    ----------
    towns : pandas.DataFrame
        Indexed by town_id: name, country, lat, lon, population.
    edges : pandas.DataFrame
        Pairs: town_a, town_b, kinds, since (the pair table of the data object).
    candidates : pandas.DataFrame, optional
        :func:`twinning_graph._map_candidates.candidate_frame` rows, plus the columns named in
        ``candidate_extras`` (shown in their tooltip).

    Returns
    -------
    Payload
    """
    located = (towns["lat"].notna() & towns["lon"].notna()).to_numpy(dtype=bool)
    if not located.all():
        warn(
            f"{int((~located).sum())} town(s) without coordinates left off the map "
            f"(with their links)",
            stacklevel=4,
        )
        towns = towns.loc[located]
    pos_a = towns.index.get_indexer(edges["town_a"])
    pos_b = towns.index.get_indexer(edges["town_b"])
    ok = (pos_a >= 0) & (pos_b >= 0)
    if not ok.all():
        warn(
            f"{int((~ok).sum())} link(s) left off the map: a town has no coordinates",
            stacklevel=4,
        )
        edges = edges.loc[ok]
        pos_a, pos_b = pos_a[ok], pos_b[ok]

    codes = towns["country"].astype("string")
    present = sorted(set(codes.dropna().tolist()))
    table = _style.country_color_table()
    country_list = [
        {
            "code": c,
            "name": str(table.at[c, "name"]) if c in table.index else c,
            "color": _style.country_color(c) if c in table.index else _style.OTHER_COLOR,
        }
        for c in present
    ]
    country_idx = pd.Index(present).get_indexer(codes.fillna("").to_numpy())
    country_idx = np.where(country_idx >= 0, country_idx, len(present)).astype(np.uint16)
    if codes.isna().any():
        country_list.append({"code": "", "name": "no country", "color": _style.OTHER_COLOR})

    if "population" in towns.columns:
        pop = pd.to_numeric(towns["population"], errors="coerce").astype("Float64")
        population = pop.fillna(-1).round().clip(upper=2**31 - 1).to_numpy(np.int32)
    else:
        population = np.full(len(towns), -1, dtype=np.int32)
    if "kinds" in edges.columns:
        kind_mask, kind_names = _kind_bits(edges["kinds"].reset_index(drop=True))
    else:
        kind_mask, kind_names = np.ones(len(edges), dtype=np.uint32), ["link"]
    if "since" in edges.columns:
        since = pd.to_numeric(edges["since"], errors="coerce").astype("Float64")
        since_arr = since.fillna(0).clip(-32768, 32767).to_numpy(np.int16)
    else:
        since_arr = np.zeros(len(edges), dtype=np.int16)

    features, ring_lonlat, ring_start, ring_owner = _basemap_arrays()
    names = towns["name"] if "name" in towns.columns else towns.index.to_series()
    header: dict[str, Any] = {
        "version": 1,
        "ids": [str(t) for t in towns.index],
        "names": _strings(names.fillna(pd.Series(towns.index, index=towns.index))),
        "countries": country_list,
        "kinds": kind_names,
        "basemap": features,
        "candidates": _candidate_records(candidates, candidate_extras),
    }
    arrays = {
        "lonlat": np.column_stack(
            [towns["lon"].to_numpy(np.float64), towns["lat"].to_numpy(np.float64)]
        )
        .astype(np.float32)
        .reshape(-1),
        "country": country_idx,
        "population": population,
        "edge_a": pos_a.astype(np.uint32),
        "edge_b": pos_b.astype(np.uint32),
        "edge_kinds": kind_mask,
        "edge_since": since_arr,
        "ring_lonlat": ring_lonlat,
        "ring_start": ring_start,
        "ring_owner": ring_owner,
    }
    raw = _pack(header, arrays)
    return Payload(
        data=gzip.compress(raw, compresslevel=6, mtime=0),
        n_towns=len(towns),
        n_links=len(edges),
        raw_size=len(raw),
    )


def _candidate_records(
    candidates: pd.DataFrame | None, extras: Iterable[str]
) -> list[dict[str, Any]]:
    if candidates is None or not len(candidates):
        return []
    frame = candidates.copy()
    colors = _style.country_colors(frame["country"].astype(object).where(frame["country"].notna()))
    records = []
    for i, row in enumerate(frame.itertuples(index=False)):  # a ranking: tens of rows
        rec: dict[str, Any] = {
            "id": None if pd.isna(row.town_id) else str(row.town_id),
            "name": str(row.name),
            "country": None if pd.isna(row.country) else str(row.country),
            "color": str(colors[i]),
            "lon": float(row.lon),
            "lat": float(row.lat),
            "rank": int(row.rank),
        }
        for col in extras:
            value = getattr(row, col, None)
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            rec[col] = value.item() if hasattr(value, "item") else value
        records.append(rec)
    return records


def check_columns(towns: pd.DataFrame, edges: pd.DataFrame) -> None:
    """Raise one :class:`ValidationError` naming every missing column."""
    missing_t = sorted({"country", "lat", "lon"} - set(towns.columns))
    missing_e = sorted({"town_a", "town_b"} - set(edges.columns))
    if missing_t or missing_e:
        raise ValidationError(
            f"cannot map: the towns table lacks columns {missing_t} and the links table "
            f"lacks columns {missing_e}"
        )
