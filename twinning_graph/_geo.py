"""Distances on the sphere: the one haversine of the library.

Every distance in twinning-graph (pair tables, ranking, geocoding, maps) comes from
:func:`haversine_km`, so all modules agree to the metre.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "EARTH_RADIUS_KM",
    "haversine_km",
    "haversine_matrix_km",
    "unit_xyz",
    "chord_of_km",
    "km_of_chord",
]

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


def unit_xyz(lat: Any, lon: Any) -> np.ndarray:
    """Points (degrees) on the unit sphere, one row each: for nearest-neighbour trees.

    The straight-line (chord) distance between two rows converts to great-circle km with
    :func:`km_of_chord`, and a radius in km to a chord with :func:`chord_of_km`.
    """
    la = np.radians(np.asarray(lat, dtype=float))
    lo = np.radians(np.asarray(lon, dtype=float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def chord_of_km(km: float) -> float:
    """The chord length on the unit sphere of a great-circle distance in km.

    Examples
    --------
    >>> from twinning_graph._geo import chord_of_km, km_of_chord
    >>> round(float(km_of_chord(chord_of_km(877.5))), 6)
    877.5
    """
    return float(2 * np.sin(min(km / EARTH_RADIUS_KM, np.pi) / 2))


def km_of_chord(chord: Any) -> np.ndarray:
    """Great-circle km of chord lengths on the unit sphere (inverse of :func:`chord_of_km`)."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord, dtype=float) / 2, 0.0, 1.0))
