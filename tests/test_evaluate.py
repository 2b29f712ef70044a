"""Backtest metrics on hand-made rankings, and the ranker against baselines on the bundled data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.cli import main
from twinning_graph.evaluate import (
    BASELINES,
    _expected_metrics,
    backtest,
    hits_at_k,
    mean_reciprocal_rank,
    split_links,
)


def test_metrics_by_hand():
    ranks = [1, 3, 12, 2]
    assert hits_at_k(ranks, k=10) == 0.75
    assert hits_at_k(ranks, k=2) == 0.5
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 1 / 12 + 1 / 2) / 4)
    with pytest.raises(tg.ValidationError, match=">= 1"):
        hits_at_k([0, 1])


def test_tied_ranks_scored_by_expectation():
    # 0 above, 1 tied: rank 1 or 2 with equal chance
    hit, rr = _expected_metrics(np.array([0]), np.array([1]), 1)
    assert hit[0] == pytest.approx(0.5) and rr[0] == pytest.approx((1 + 1 / 2) / 2)
    # 8 above, 3 tied: ranks 9..12 -> P(<= 10) = 2/4, E[1/r] = (1/9+1/10+1/11+1/12)/4
    hit, rr = _expected_metrics(np.array([8]), np.array([3]), 10)
    assert hit[0] == pytest.approx(0.5)
    assert rr[0] == pytest.approx((1 / 9 + 1 / 10 + 1 / 11 + 1 / 12) / 4)
    # no ties: the plain rank
    hit, rr = _expected_metrics(np.array([4, 10]), np.array([0, 0]), 10)
    assert hit.tolist() == [1.0, 0.0] and rr.tolist() == pytest.approx([1 / 5, 1 / 11])


@pytest.fixture
def square() -> tg.TwinningData:
    """Four towns, links a-b, b-c, c-d, d-a, a-c (5 links)."""
    towns = pd.DataFrame(
        {
            "town_id": list("abcd"),
            "name": list("ABCD"),
            "country": ["DE", "FR", "PL", "IT"],
            "lat": [50.0, 51.0, 52.0, 53.0],
            "lon": [10.0] * 4,
        }
    )
    links = pd.DataFrame({"town_a": list("abcda"), "town_b": list("bcdac")})
    return tg.load(towns=towns, partnerships=links)


def test_split_links_is_seeded(square):
    tr, hid = split_links(square, fraction=0.2, seed=3)
    tr2, hid2 = split_links(square, fraction=0.2, seed=3)
    pd.testing.assert_frame_equal(hid, hid2)
    assert len(hid) == 1 and len(tr) == 4
    with pytest.raises(tg.ValidationError, match="fraction"):
        split_links(square, fraction=1.5)


def test_backtest_on_a_tiny_graph(square):
    res = backtest(square, fraction=0.2, seed=0)
    assert res.queries == 2 and res.test_towns == 2
    assert list(res.table.index) == ["ranker", "plausibility_only", *BASELINES]
    d = res.to_dict()
    assert set(d["baselines"]) == set(BASELINES)
    assert set(d["ranker"]) == {"hits@10", "mrr"}
    # 4 towns: every hidden partner is within the top 10
    assert d["ranker"]["hits@10"] == 1.0


def test_ranker_beats_every_baseline_on_bundled_data(bundled):
    res = backtest(bundled, seed=1)  # weights were tuned on seed 0
    t = res.table
    for b in BASELINES:
        assert t.loc["ranker", "hits@10"] > t.loc[b, "hits@10"], b
        assert t.loc["plausibility_only", "hits@10"] > t.loc[b, "hits@10"], b


def test_cli_evaluate(tmp_path, square, capsys):
    towns = square.towns.reset_index()[["town_id", "name", "country", "lat", "lon"]]
    towns.to_csv(tmp_path / "t.csv", index=False)
    square.edges[["town_a", "town_b"]].to_csv(tmp_path / "l.csv", index=False)
    assert (
        main(
            [
                "--towns",
                str(tmp_path / "t.csv"),
                "--partnerships",
                str(tmp_path / "l.csv"),
                "evaluate",
                "--fraction",
                "0.2",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert set(out["baselines"]) == set(BASELINES)
    assert {"hits@10", "mrr"} == set(out["ranker"])
