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
    _lex_counts,
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


def test_ties_broken_by_a_second_key():
    # candidates' (primary, -distance); the target (column 1) has primary 2, distance 5
    primary = np.array([[3.0, 2.0, 2.0, 2.0, 1.0]])
    near = -np.array([[9.0, 5.0, 4.0, 5.0, 1.0]])
    excl = np.zeros((1, 5), dtype=bool)
    excl[0, 1] = True  # the target itself is not counted
    g, t = _lex_counts([primary, near], [primary[:, 1], near[:, 1]], excl)
    # above: column 0 (3 > 2) and column 2 (2 == 2, nearer); tied: column 3
    assert g.tolist() == [2] and t.tolist() == [1]


@pytest.fixture
def square() -> tg.TwinningData:
    """Six towns in six countries; links a-b, b-c, c-d, d-a, a-c, e-f (6 links)."""
    towns = pd.DataFrame(
        {
            "town_id": list("abcdef"),
            "name": list("ABCDEF"),
            "country": ["DE", "FR", "PL", "IT", "ES", "AT"],
            "lat": [50.0, 51.0, 52.0, 53.0, 40.0, 47.0],
            "lon": [10.0, 10.0, 10.0, 10.0, -3.0, 14.0],
        }
    )
    links = pd.DataFrame({"town_a": list("abcdae"), "town_b": list("bcdacf")})
    return tg.load(towns=towns, partnerships=links)


def test_split_links_hides_transnational_links_only(line, square):
    tr, hid = split_links(square, fraction=0.2, seed=3)
    tr2, hid2 = split_links(square, fraction=0.2, seed=3)
    pd.testing.assert_frame_equal(hid, hid2)
    assert len(hid) == 1 and len(tr) == 5
    towns = pd.DataFrame(
        {
            "town_id": ["x", "y", "z"],
            "name": ["X", "Y", "Z"],
            "country": ["DE", "DE", "FR"],
            "lat": [50.0, 51.0, 49.0],
            "lon": [10.0, 10.0, 3.0],
        }
    )
    links = pd.DataFrame({"town_a": ["x", "x", "y"], "town_b": ["y", "z", "z"]})
    mixed = tg.load(towns=towns, partnerships=links)
    for seed in range(5):  # the domestic link x-y is never hidden
        _, hid = split_links(mixed, fraction=0.5, seed=seed)
        assert hid[["town_a", "town_b"]].values.tolist() in ([["x", "z"]], [["y", "z"]])
    with pytest.raises(tg.ValidationError, match="fraction"):
        split_links(square, fraction=1.5)


def test_backtest_on_a_tiny_graph(square):
    res = backtest(square, fraction=0.2, seeds=[0])
    assert res.queries == 2
    assert list(res.table.index) == ["model", "model, default filters", *BASELINES]
    # 6 towns: every hidden partner is within the top 10
    assert res.table.loc["model", "hits@10"] == 1.0
    assert res.table.loc["nearest_foreign", "hits@50"] == 1.0
    d = res.to_dict()
    assert set(d["methods"]) == {"model", "model, default filters", *BASELINES}
    json.dumps(d)


def test_nearest_foreign_baseline_by_an_independent_count(square):
    from twinning_graph._geo import haversine_km

    res = backtest(square, fraction=0.4, seeds=[2], baselines=["nearest_foreign"])
    train, hidden = split_links(square, fraction=0.4, seed=2)
    t = square.towns
    partners = {x: set() for x in t.index}
    for a, b in zip(train["town_a"], train["town_b"], strict=True):
        partners[a].add(b)
        partners[b].add(a)
    hidden_of = {x: set() for x in t.index}
    for a, b in zip(hidden["town_a"], hidden["town_b"], strict=True):
        hidden_of[a].add(b)
        hidden_of[b].add(a)
    rr = []
    for a, b in zip(hidden["town_a"], hidden["town_b"], strict=True):
        for u, v in ((a, b), (b, a)):
            others = [
                x
                for x in t.index
                if x != u and x not in partners[u] and (x == v or x not in hidden_of[u])
            ]
            d = {
                x: haversine_km(*t.loc[u, ["lat", "lon"]], *t.loc[x, ["lat", "lon"]])
                for x in others
            }
            rank = 1 + sum(d[x] < d[v] for x in others if x != v)
            rr.append(1 / rank)
    assert res.table.loc["nearest_foreign", "mrr"] == pytest.approx(np.mean(rr))
    assert res.queries == len(rr)


@pytest.fixture(scope="module")
def bundled_backtest(bundled):
    # the bar of issue 11 is measured on several seeds, pooled; the weights are fitted on
    # each training split
    return backtest(bundled, seeds=(0, 1, 2))


def test_model_beats_the_baselines_on_bundled_data(bundled_backtest):
    res = bundled_backtest
    t = res.table
    for b in BASELINES:
        assert t.loc["model", "hits@10"] > t.loc[b, "hits@10"], b
    # on queries whose hidden partner shares a partner with the town the model is at least
    # as good as counting common partners (ties broken by the nearest town)
    assert t.loc["model", "shared hits@10"] >= t.loc["common_partners", "shared hits@10"]
    # the bar of issue 11 on queries without a shared partner: 50% above nearest foreign town
    assert res.lift()["not_shared_vs_nearest_foreign"] >= 1.5
    assert 0.1 < res.shared_queries / res.queries < 0.3


@pytest.mark.xfail(
    strict=True,
    reason="issue 11 bar not met on the cleaned data of issue 14: hits@10 is 1.21x the best "
    "baseline, not 1.25x (docs/ranking.md, 'The bar')",
)
def test_model_is_25_percent_above_the_best_baseline(bundled_backtest):
    assert bundled_backtest.lift()["overall_vs_best_baseline"] >= 1.25


def test_cli_evaluate(tmp_path, square, capsys):
    towns = square.towns.reset_index()[["town_id", "name", "country", "lat", "lon"]]
    towns.to_csv(tmp_path / "t.csv", index=False)
    square.edges[["town_a", "town_b"]].to_csv(tmp_path / "l.csv", index=False)
    argv = ["--towns", str(tmp_path / "t.csv"), "--partnerships", str(tmp_path / "l.csv")]
    assert main([*argv, "evaluate", "--fraction", "0.2", "--seeds", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["methods"]) >= set(BASELINES) and out["seeds"] == [0]
    assert {"hits@10", "hits@50", "mrr"} <= set(out["methods"]["model"])
