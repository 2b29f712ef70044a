"""One meaning per keyword: every function and command that takes ``countries``, ``year``,
``kinds``, ``touching``, ``call``, ``n`` or ``seed`` gives it the same meaning.

The reference for the filters is :meth:`TwinningData.filter`; for ``call`` it is
:func:`twinning_graph.calls.resolve_call` (None: no call rules); ``n`` is the number of rows
returned; ``seed`` makes results repeatable.
"""

from __future__ import annotations

import json
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph import clusters
from twinning_graph.cli import main
from twinning_graph.plot import plot_map, plot_reach


@pytest.fixture(scope="module")
def net() -> tg.TwinningData:
    """Synthetic: a, b in Greece; c in Poland; d, e in Germany; f in France.

    Links: a-b twinning 1990 (GR-GR), a-c twinning undated (GR-PL), c-d network 2005,
    d-e twinning 1970 (DE-DE), b-f network 2010 (GR-FR), d-f twinning 1999.
    """
    towns = pd.DataFrame(
        {
            "town_id": list("abcdef"),
            "name": ["Athina", "Thessaloniki", "Warszawa", "Berlin", "München", "Paris"],
            "country": ["GR", "GR", "PL", "DE", "DE", "FR"],
            "lat": [38.0, 40.6, 52.2, 52.5, 48.1, 48.85],
            "lon": [23.7, 22.9, 21.0, 13.4, 11.6, 2.35],
            "population": [600_000, 300_000, 1_700_000, 3_600_000, 1_400_000, 2_100_000],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": list("aacdbd"),
            "town_b": list("bcdeff"),
            "kind": ["twinning", "twinning", "network", "twinning", "network", "twinning"],
            "since": [1990, None, 2005, 1970, 2010, 1999],
        }
    )
    return tg.load(towns=towns, partnerships=links)


def pairs(data: tg.TwinningData) -> set[tuple[str, str]]:
    return set(map(tuple, data.edges[["town_a", "town_b"]].to_numpy().tolist()))


def graph_pairs(G) -> set[tuple[str, str]]:
    return {tuple(sorted(e)) for e in G.edges()}


def drawn_links(ax) -> int:
    (links,) = [c for c in ax.collections if c.get_gid() == "links"]
    n = len(links.get_segments())
    plt.close(ax.figure)
    return n


FILTERS = [
    {"countries": "GR"},
    {"countries": "EL"},  # the EU's code for Greece, accepted everywhere
    {"countries": ["GR", "DE"]},
    {"countries": "GR", "touching": True},
    {"kinds": "network"},
    {"kinds": ["twinning"], "countries": "DE", "touching": True},
    {"year": 2000},
    {"year": 2000, "kinds": "twinning"},
]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.DataWarning)
        return fn(*args, **kwargs)


@pytest.mark.parametrize("options", FILTERS, ids=lambda o: json.dumps(o))
def test_filters_mean_the_same_everywhere(net, options):
    expected = pairs(_quiet(net.filter, **options))
    graph_options = {k: v for k, v in options.items() if k != "touching"}
    if "touching" not in options:
        assert graph_pairs(_quiet(net.town_graph, **graph_options)) == expected
    assert drawn_links(_quiet(plot_map, net, links="arcs", **options)) == len(expected)
    assert _quiet(tg.explore, net, **options).n_links == len(expected)


def test_hand_checked_filter_answers(net):
    # worked out from the fixture's docstring
    assert pairs(net.filter(countries="EL")) == {("a", "b")}
    assert pairs(net.filter(countries="GR", touching=True)) == {("a", "b"), ("a", "c"), ("b", "f")}
    assert pairs(net.filter(kinds="network")) == {("c", "d"), ("b", "f")}
    with pytest.warns(tg.DataWarning, match="1 of 6 partnerships have no known 'since' year"):
        as_of = net.filter(year=2000)
    assert pairs(as_of) == {("a", "b"), ("d", "e"), ("d", "f")}


def test_year_warns_the_same_everywhere(net):
    message = "1 of 6 partnerships have no known 'since' year"
    with pytest.warns(tg.DataWarning, match=message):
        net.town_graph(year=2000)
    with pytest.warns(tg.DataWarning, match=message):
        plt.close(plot_map(net, year=2000).figure)
    with pytest.warns(tg.DataWarning, match=message):
        tg.explore(net, year=2000)
    with pytest.warns(tg.DataWarning, match=message):
        tg.network_as_of(net, 2000)


@pytest.mark.parametrize(
    "call_el",
    [
        lambda d: d.filter(countries="EL").towns["country"].unique().tolist(),
        lambda d: [tg.reach(d, country="EL")["country"]],
        lambda d: (
            tg.country_pair_gaps(d, countries=["EL", "DE", "PL", "FR"], min_towns=1)[
                ["country_a", "country_b"]
            ]
            .stack()
            .pipe(lambda s: sorted(set(s) & {"GR", "EL"}))
        ),
        lambda d: tg.low_reach_countries(
            d, countries=["EL"], threshold=1.01, min_towns=1
        ).index.tolist(),
        lambda d: (
            tg.rank_partners(d, "c", countries=["EL"], call=None, n=None)["country"]
            .unique()
            .tolist()
        ),
        lambda d: (
            tg.check_eligibility(["EL", "DE", "PL", "FR"], call="CERV-2025-CITIZENS-TOWN-NT")
            .countries["country"]
            .head(1)
            .tolist()
        ),
    ],
    ids=["filter", "reach", "gaps", "low_reach", "rank", "eligibility"],
)
def test_el_means_greece_everywhere(net, call_el):
    assert _quiet(call_el, net) == ["GR"]


def test_call_none_means_no_call_rules(net):
    ranked = tg.rank_partners(net, "a", call=None, n=None)
    assert set(ranked["eligible"]) == {"n/a"}
    assert tg.resolve_call(None) is None
    with pytest.raises(tg.ValidationError, match="needs a call"):
        tg.check_eligibility(["GR", "DE"], call=None)
    with pytest.raises(tg.ValidationError, match="call=None"):
        tg.plan_network(net, ["a"], call=None)
    with pytest.raises(tg.ValidationError, match="call=None means 'no call'"):
        tg.get_call(None)  # type: ignore[arg-type]


def test_latest_is_the_same_call_everywhere(net):
    latest = tg.resolve_call("latest").call
    assert tg.get_call("latest").call == latest
    assert _quiet(tg.check_eligibility, ["GR", "DE"], call="latest").call.call == latest
    ranked = _quiet(tg.rank_partners, net, "a", call="latest", n=None)
    assert ranked["eligible_reason"].str.startswith(latest + ":").all()
    plan = _quiet(tg.plan_network, net, ["a"], call="latest", size=4)
    assert plan.call.call == latest
    sure = tg.resolve_call("latest-confirmed").call
    ranked = _quiet(tg.rank_partners, net, "a", call="latest-confirmed", n=None)
    assert ranked["eligible_reason"].str.startswith(sure + ":").all()


def test_n_is_the_number_of_rows(net, capsys):
    assert len(tg.rank_partners(net, "a", call=None, n=2)) == 2
    assert len(clusters.brokers(net, n=2)) == 2
    ax = plot_reach(tg.town_reach(net), column="partners", n=2)
    assert len(ax.patches) == 2
    plt.close(ax.figure)
    for bad in (0, -1):
        with pytest.raises(tg.ValidationError, match="n must be an integer >= 1"):
            tg.rank_partners(net, "a", call=None, n=bad)
        with pytest.raises(tg.ValidationError, match="n must be an integer >= 1"):
            clusters.brokers(net, n=bad)


def test_cli_n_is_the_number_of_rows(bundled, capsys):
    for command in (
        ["rank", "--town", "PL-cieszyn", "--call", "none"],
        ["clusters"],
        ["gaps"],
    ):
        capsys.readouterr()
        assert main([*command, "--n", "3", "--json"]) == 0
        assert len(json.loads(capsys.readouterr().out)) == 3, command


def test_seed_repeats_results(net):
    big = tg.synthetic_network(400, 800, 10, seed=3)
    assert big.edges.equals(tg.synthetic_network(400, 800, 10, seed=3).edges)
    assert not big.edges.equals(tg.synthetic_network(400, 800, 10, seed=4).edges)
    a = clusters.communities(big, seed=1)
    assert a.equals(clusters.communities(big, seed=1))
    b = clusters.brokers(big, sample=50, seed=2, n=None)
    assert b.equals(clusters.brokers(big, sample=50, seed=2, n=None))
    assert np.isfinite(b["betweenness"]).all()
