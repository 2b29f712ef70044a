"""Shared fixtures: tiny networks built in code, whose answers can be worked out by hand."""

from __future__ import annotations

import os
import warnings

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import twinning_graph as tg  # noqa: E402


@pytest.fixture(scope="session")
def bundled():
    """The bundled data (loaded once per test session)."""
    return tg.load()


@pytest.fixture
def tiny_towns() -> pd.DataFrame:
    """Five towns in four countries (synthetic test data).

    Links (tiny_links): a-b, a-c, b-c (a triangle across PL, DE, FR), c-d (FR-FR, domestic),
    d-e (FR-IT).
    """
    return pd.DataFrame(
        {
            "town_id": ["a", "b", "c", "d", "e"],
            "name": ["Łódź", "Göteborg", "Paris", "Lyon", "Θεσσαλονίκη"],
            "country": ["PL", "SE", "FR", "FR", "EL"],
            "lat": [51.7592, 57.7089, 48.8566, 45.7640, 40.6401],
            "lon": [19.4560, 11.9746, 2.3522, 4.8357, 22.9444],
            "population": [670642, 583056, 2148000, 513275, None],
        }
    )


@pytest.fixture
def tiny_links() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "town_a": ["a", "a", "b", "c", "d"],
            "town_b": ["b", "c", "c", "d", "e"],
            "kind": ["twinning"] * 5,
            "since": [1990, 1995, None, 2001, 2010],
        }
    )


@pytest.fixture
def tiny(tiny_towns, tiny_links):
    return tg.load(towns=tiny_towns, partnerships=tiny_links)


@pytest.fixture
def line() -> tg.TwinningData:
    """Five towns 1 degree of latitude apart along 10°E (synthetic), linked t1-t2, t1-t3,
    t2-t3, t3-t4, t4-t5; t4 carries GeoNames id 100 (used by gazetteer-merge tests)."""
    towns = pd.DataFrame(
        {
            "town_id": ["t1", "t2", "t3", "t4", "t5"],
            "name": ["One", "Two", "Three", "Four", "Five"],
            "country": ["PL", "DE", "FR", "IT", "RU"],
            "lat": [50.0, 51.0, 52.0, 53.0, 54.0],
            "lon": [10.0] * 5,
            "population": [10_000, 20_000, 50_000, 5_000, 100_000],
            "geonames_id": [None, None, None, 100, None],
        }
    )
    links = pd.DataFrame(
        {"town_a": ["t1", "t1", "t2", "t3", "t4"], "town_b": ["t2", "t3", "t3", "t4", "t5"]}
    )
    return tg.load(towns=towns, partnerships=links)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def pytest_collection_modifyitems(config, items):
    os.environ.setdefault("MPLBACKEND", "Agg")
