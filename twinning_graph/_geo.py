"""Distances on the sphere: the one haversine of the library.

Every distance in twinning-graph (pair tables, ranking, geocoding, maps) comes from
:func:`haversine_km`, so all modules agree to the metre.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["EARTH_RADIUS_KM", "haversine_km", "haversine_matrix_km"]

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (numpy broadcasting).

    Examples
    --------
    >>> from twinning_graph._geo import haversine_km
    >>> round(float(haversine_km(52.52, 13.405, 48.8566, 2.3522)), 1)  # Berlin - Paris
    877.5
    """
    p1 = np.radians(np.asarray(lat1, dtype=float))
    p2 = np.radians(np.asarray(lat2, dtype=float))
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def haversine_matrix_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Distances in km from every point of the first set (rows) to every point of the second."""
    return haversine_km(
        np.asarray(lat1, dtype=float)[:, None],
        np.asarray(lon1, dtype=float)[:, None],
        np.asarray(lat2, dtype=float)[None, :],
        np.asarray(lon2, dtype=float)[None, :],
    )
