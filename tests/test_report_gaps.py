"""The report's gap table lists only clear gaps, or says there are none.

Synthetic: DE, FR, IT and PL with 5, 5, 5 and 6 towns; every pair of countries has exactly
5 links. A Poisson model with an intercept fitted to equal counts predicts them exactly
(μ = 5 for every pair solves the likelihood equations Σ x (y - μ) = 0), so every ratio is 1
and its 95% interval (Garwood, 5 links: 1.62/5 .. 11.67/5 = 0.32 .. 2.33) includes 1: no
pair is clearly under-linked.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import twinning_graph as tg  # noqa: E402
from twinning_graph import gaps  # noqa: E402
from twinning_graph.report import build_report  # noqa: E402

SIZES = {"DE": 5, "FR": 5, "IT": 5, "PL": 6}
CENTRES = {"DE": (51.0, 10.0), "FR": (47.0, 2.5), "IT": (43.0, 12.0), "PL": (52.0, 19.0)}


@pytest.fixture(scope="module")
def even():
    ids, rows = {}, []
    for c, n in SIZES.items():
        lat, lon = CENTRES[c]
        ids[c] = [f"{c}{i}" for i in range(n)]
        rows += [(f"{c}{i}", f"{c} town {i}", c, lat + 0.1 * i, lon) for i in range(n)]
    towns = pd.DataFrame(rows, columns=["town_id", "name", "country", "lat", "lon"])
    codes = list(SIZES)
    links = [
        (ids[a][i], ids[b][i])
        for k, a in enumerate(codes)
        for b in codes[k + 1 :]
        for i in range(5)
    ]
    return tg.load(towns=towns, partnerships=pd.DataFrame(links, columns=["town_a", "town_b"]))


def test_no_clear_gap_is_said_in_words(even, tmp_path):
    g = gaps.country_pair_gaps(even, countries=list(SIZES))
    assert g["observed"].tolist() == [5] * 6
    assert g["ratio"].to_numpy() == pytest.approx(1.0)
    assert gaps.clear_gaps(g, side="under").empty
    html = build_report(even, scope="DE", path=tmp_path / "de.html", broker_sample=None)
    text = html.read_text(encoding="utf-8")
    body = re.search(r'<section id="gaps"[^>]*>(.*?)</section>', text, re.S)
    assert body is not None
    assert "No pair of countries here has clearly fewer partnerships than expected" in body.group(1)
    assert "clearest first" not in body.group(1)  # no table of non-gaps
    # the file keeps every pair of DE with the others (3 of them)
    assert len(pd.read_csv(tmp_path / "de_country_gaps.csv")) == 3
