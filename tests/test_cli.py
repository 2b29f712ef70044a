"""The command line: summary, validate, export."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import pytest

from twinning_graph.cli import main

TOWNS = "town_id,name,country,lat,lon\na,Alpha,DE,52.5,13.4\nb,Beta,FR,48.9,2.35\nc,Gamma,PL,52.2,21.0\n"


@pytest.fixture
def files(tmp_path):
    t = tmp_path / "towns.csv"
    t.write_text(TOWNS, encoding="utf-8")
    p = tmp_path / "links.csv"
    p.write_text("town_a,town_b\na,b\nb,c\na,c\n", encoding="utf-8")
    return t, p


def test_summary_json_keys_and_values(files, capsys):
    t, p = files
    assert main(["--towns", str(t), "--partnerships", str(p), "summary", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "towns",
        "links",
        "countries",
        "transnational_share",
        "components",
        "largest_component",
        "mean_degree",
        "max_degree",
        "assortativity",
        "clustering",
    ):
        assert key in out
    # a triangle of three countries: every link transnational, clustering 1
    assert out["towns"] == 3 and out["links"] == 3 and out["countries"] == 3
    assert out["transnational_share"] == 1.0 and out["clustering"] == 1.0
    assert out["components"] == 1 and out["largest_component"] == 3
    assert out["mean_degree"] == 2.0 and out["max_degree"] == 2
    assert out["assortativity"] is None  # all degrees equal: undefined, printed as null


def test_summary_bundled_matches_networkx(bundled, capsys):
    assert main(["summary", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    G = bundled.town_graph()
    G.remove_nodes_from([n for n, d in G.degree if d == 0])
    assert out["towns"] == G.number_of_nodes()
    assert out["links"] == G.number_of_edges()
    assert out["components"] == nx.number_connected_components(G)
    assert out["largest_component"] == max(len(c) for c in nx.connected_components(G))
    assert out["max_degree"] == max(d for _, d in G.degree)
    assert out["mean_degree"] == pytest.approx(
        2 * G.number_of_edges() / G.number_of_nodes(), abs=1e-4
    )
    assert out["assortativity"] == pytest.approx(nx.degree_assortativity_coefficient(G), abs=1e-4)
    assert out["clustering"] == pytest.approx(nx.average_clustering(G), abs=1e-4)
    assert out["transitivity"] == pytest.approx(nx.transitivity(G), abs=1e-4)
    cross = sum(G.nodes[a]["country"] != G.nodes[b]["country"] for a, b in G.edges)
    assert out["transnational_share"] == pytest.approx(cross / G.number_of_edges(), abs=1e-4)


def test_validate_ok_and_bad(files, tmp_path, capsys):
    t, p = files
    assert main(["validate", str(t), str(p)]) == 0
    assert "OK: 2 files valid" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("town_a,town_b\na,a\na,zz\n", encoding="utf-8")
    assert main(["validate", str(t), str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{bad}:2:town_b: self-link: town_a and town_b are both 'a'",
        f"{bad}:3:town_b: unknown town 'zz': not in the towns table",
    ]


def test_bad_data_exit_1(tmp_path, capsys):
    t = tmp_path / "t.csv"
    t.write_text("town_id,name,country,lat,lon\na,A,ZZ,1,2\n", encoding="utf-8")
    assert main(["--towns", str(t), "summary"]) == 1
    assert "unknown country code 'ZZ'" in capsys.readouterr().err


def test_export_graphml(files, tmp_path, capsys):
    t, p = files
    out = tmp_path / "x.graphml"
    assert main(["--towns", str(t), "--partnerships", str(p), "export", "--out", str(out)]) == 0
    assert nx.read_graphml(out).number_of_edges() == 3


def test_entry_point_installed():
    r = subprocess.run(
        [sys.executable, "-m", "twinning_graph.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "summary" in r.stdout and "validate" in r.stdout


def test_geocode_command_offline(tmp_path, capsys):
    src = tmp_path / "names.csv"
    src.write_text(
        'name,country,project\nKöln,DE,=HYPERLINK("x")\nNeustadt,DE,p2\nVille de Lyon,FR,p3\n',
        encoding="utf-8",
    )
    out, towns = tmp_path / "out.csv", tmp_path / "towns.csv"
    assert main(["geocode", str(src), "--out", str(out), "--towns-out", str(towns)]) == 0
    import pandas as pd

    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["match_kind"].tolist() == ["exact", "ambiguous", "exact"]
    assert got.loc[0, "geonames_id"] == "2886242"  # Köln in GeoNames
    assert got.loc[0, "project"] == '\'=HYPERLINK("x")'  # neutralised for spreadsheets
    err = capsys.readouterr().err
    assert "exact: 2, ambiguous: 1" in err and "1 of 3 rows left out" in err
    import twinning_graph as tg

    data = tg.load(towns=towns, partnerships=[])
    assert sorted(data.towns["country"]) == ["DE", "FR"]


def test_geocode_online_needs_user_agent(tmp_path, capsys):
    src = tmp_path / "names.csv"
    src.write_text("name\nKöln\n", encoding="utf-8")
    assert (
        main(["geocode", str(src), "--out", str(tmp_path / "o.csv"), "--online", "nominatim"]) == 1
    )
    assert "--user-agent" in capsys.readouterr().err


def test_rank_text_states_the_call_and_statuses(capsys):
    # issue 12: no output states eligibility without the call and how sure it is
    assert (
        main(["rank", "--town", "PL-cieszyn", "--n", "3", "--call", "CERV-2025-CITIZENS-TOWN-NT"])
        == 0
    )
    out = capsys.readouterr().out
    assert "eligible: under CERV-2025-CITIZENS-TOWN-NT (the call's rules: confirmed)" in out
    assert "country_status" in out
    assert main(["rank", "--town", "PL-cieszyn", "--n", "3", "--call", "none"]) == 0
    assert "eligible: n/a (no call chosen" in capsys.readouterr().out
