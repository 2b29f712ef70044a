"""Hostile and careless input: the output side (issue 16).

No file half-written, every write error a one-line message, data-derived text never read
as markup (terminal escapes, matplotlib mathtext), sizes that can explode refused, GEXF
attribute names that GEXF reserves renamed, readers that raise only the library's errors.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import networkx as nx  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import twinning_graph as tg  # noqa: E402
from twinning_graph import _write  # noqa: E402
from twinning_graph._errors import DataWarning, ValidationError  # noqa: E402
from twinning_graph._text import plot_text, terminal_frame, terminal_text  # noqa: E402
from twinning_graph._write import atomic_write  # noqa: E402
from twinning_graph.cli import emit_table, main  # noqa: E402

TOWNS = "town_id,name,country,lat,lon\na,Alpha,DE,52.5,13.4\nb,Beta,FR,48.9,2.35\nc,Gamma,PL,52.2,21.0\n"


@pytest.fixture
def files(tmp_path):
    t = tmp_path / "towns.csv"
    t.write_text(TOWNS, encoding="utf-8")
    p = tmp_path / "links.csv"
    p.write_text("town_a,town_b\na,b\nb,c\na,c\n", encoding="utf-8")
    return t, p


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- atomic files


def test_failing_writer_keeps_the_previous_file(tiny, tmp_path):
    path = tmp_path / "net.geojson"
    path.write_text("the previous good file", encoding="utf-8")
    G = tiny.town_graph()
    G.nodes["a"]["area"] = float("inf")  # JSON cannot hold it
    with pytest.raises(ValidationError) as info:
        tg.to_geojson(G, path)
    assert [str(p) for p in info.value.problems] == [
        "GeoJSON:town 'a':area: inf: JSON cannot hold an infinite number"
    ]
    assert path.read_text(encoding="utf-8") == "the previous good file"
    assert leftovers(tmp_path) == []


def test_disk_full_keeps_the_previous_file_and_names_the_path(tiny, tmp_path, monkeypatch):
    path = tmp_path / "net.graphml"
    path.write_text("previous", encoding="utf-8")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_write.os, "fsync", full)
    with pytest.raises(OSError) as info:
        tg.to_graphml(tiny, path)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    assert path.read_text(encoding="utf-8") == "previous"
    assert leftovers(tmp_path) == []


def test_kill_during_a_write_leaves_the_previous_file(tmp_path):
    path = tmp_path / "towns.csv"
    path.write_text("previous", encoding="utf-8")
    script = (
        "import sys, time\n"
        "from twinning_graph._write import atomic_write\n"
        f"with atomic_write({str(path)!r}) as fh:\n"
        "    fh.write('half of the new file'); fh.flush()\n"
        "    print('writing', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert path.read_text(encoding="utf-8") == "previous"


def test_file_modes_and_links(tmp_path):
    new = tmp_path / "new.txt"
    _write.write_text(new, "x")
    assert new.stat().st_mode & 0o777 == 0o666 & ~_write._umask()
    private = tmp_path / "private.txt"
    private.write_text("old")
    private.chmod(0o600)
    _write.write_text(private, "new")
    assert private.stat().st_mode & 0o777 == 0o600 and private.read_text() == "new"
    link = tmp_path / "link.txt"
    link.symlink_to(private)
    _write.write_text(link, "through the link")
    assert link.is_symlink() and private.read_text() == "through the link"


def test_atomic_write_error_inside_block(tmp_path):
    path = tmp_path / "x.txt"
    with pytest.raises(ZeroDivisionError), atomic_write(path) as fh:
        fh.write("partial")
        1 / 0  # noqa: B018
    assert not path.exists() and leftovers(tmp_path) == []


# --------------------------------------------------------------------------- CLI write errors


@pytest.mark.parametrize(
    "make,reason",
    [
        (lambda d: d / "missing" / "net.graphml", "No such file or directory"),
        (lambda d: d / "towns.csv" / "net.gexf", "Not a directory"),
        (lambda d: d / "towns.csv" / "csv-folder", "Not a directory"),
    ],
    ids=["missing-folder", "under-a-file", "folder-under-a-file"],
)
def test_cli_cannot_write(files, tmp_path, capsys, make, reason):
    t, p = files
    out = make(tmp_path)
    assert main(["--towns", str(t), "--partnerships", str(p), "export", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: cannot write {out}: {reason}\n"


def test_cli_disk_full(files, tmp_path, capsys, monkeypatch):
    t, p = files

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_write.os, "fsync", full)
    out = tmp_path / "net.gexf"
    assert main(["--towns", str(t), "--partnerships", str(p), "export", "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"error: cannot write {out}: No space left on device\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_cli_stdout_full(files):
    t, p = files
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "twinning_graph.cli",
                "--towns",
                str(t),
                "--partnerships",
                str(p),
                "reach",
                "--csv",
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert r.returncode == 1
    assert r.stderr == "error: cannot write standard output: No space left on device\n"


# --------------------------------------------------------------------------- terminal text


def test_terminal_text_escapes_what_a_terminal_would_act_on():
    assert (
        terminal_text("Pa\x1b[2Jris\x9b31m\u202eevil\x07")
        == "Pa\\x1b[2Jris\\x9b31m\\u202eevil\\x07"
    )
    assert terminal_text("Łódź, Θεσσαλονίκη") == "Łódź, Θεσσαλονίκη"
    assert terminal_text("a\nb", multiline=True) == "a\nb" and terminal_text("a\nb") == "a\\x0ab"


def test_emit_table_prints_no_control_character(capsys):
    import argparse

    frame = pd.DataFrame(
        {"name": ["Pa\x1b]0;owned\x07ris", "Nice\x9b2J"], "n": [1, 2]},
        index=pd.Index(["\x1b[31mred", "b"], name="town_id"),
    )
    for flags in ({}, {"json": True}):
        emit_table(frame, argparse.Namespace(**flags))
        out = capsys.readouterr().out
        assert not [c for c in out if c in "\x1b\x9b\x07"], flags
        assert "Pa\\x1b]0;owned\\x07ris" in out or "\\u001b" in out


def test_names_with_escapes_never_reach_reach_or_clusters(tmp_path, capsys):
    t = tmp_path / "t.csv"
    t.write_text(TOWNS.replace("Alpha", "Al\x1b[2Jpha"), encoding="utf-8")
    p = tmp_path / "l.csv"
    p.write_text("town_a,town_b\na,b\n", encoding="utf-8")
    for command in ("reach", "clusters"):
        assert main(["--towns", str(t), "--partnerships", str(p), command]) == 1
        captured = capsys.readouterr()
        assert "\x1b" not in captured.out + captured.err
        assert f"{t}:2:name: control character U+001B" in captured.err


def test_terminal_frame_shortens_long_cells():
    frame = terminal_frame(pd.DataFrame({"name": ["x" * 500]}))
    assert len(frame.iloc[0, 0]) == 60 and frame.iloc[0, 0].endswith("…")


# --------------------------------------------------------------------------- mathtext


def test_plot_text_is_never_mathtext():
    from matplotlib.text import Text

    for raw in ("Price $5 and $6", "$x^{", "$$", "a\\$b"):
        shown = plot_text(raw)
        text, is_math = Text(0, 0, shown)._preprocess_math(shown)
        assert not is_math and text == raw


def test_map_and_chart_draw_dollar_names(tiny_towns, tiny_links, tmp_path):
    import matplotlib.pyplot as plt

    from twinning_graph.plot import plot_map, plot_reach

    towns = tiny_towns.copy()
    towns.loc[0, "name"] = "Price $5 and $6"
    towns.loc[1, "name"] = "Unbalanced $x^{"
    data = tg.load(towns=towns, partnerships=tiny_links)
    ax = plot_map(data, highlight="a")
    ax.figure.canvas.draw()
    shown = [t.get_text() for t in ax.texts]
    assert "Price \\$5 and \\$6" in shown  # drawn as "Price $5 and $6"
    plt.close(ax.figure)
    ax = plot_reach(data.towns.assign(score=[1, 2, 3, 4, 5]), column="score")
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Unbalanced \\$x^{ (SE)" in labels
    plt.close(ax.figure)
    from twinning_graph.report import write_map

    assert write_map(data, tmp_path / "m.png", town="a").stat().st_size > 1000


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize("dpi", [0, 9, 601, 4000, 150.5, True])
def test_dpi_limits(tiny, tmp_path, dpi):
    from twinning_graph.report import write_map

    with pytest.raises(ValidationError, match="dpi must be an integer from 10 to 600"):
        write_map(tiny, tmp_path / "m.png", dpi=dpi)
    assert not (tmp_path / "m.png").exists()


def test_plan_size_limit(bundled):
    with pytest.raises(ValidationError, match=r"size must be an integer from 1 to 200, got 100000"):
        tg.plan_network(bundled, ["DE-berlin"], size=100_000)


def test_reach_large_k_stops_at_the_diameter(line):
    # t1..t5 along a line: t1 reaches every other country within 3 hops (t1-t3-t4-t5)
    from twinning_graph.reach import town_reach

    big = town_reach(line, k=500)["countries_within_500_hops"]
    G = line.town_graph()
    country = line.towns["country"]
    expected = {
        t: len({country[o] for o in nx.single_source_shortest_path_length(G, t)} - {country[t]})
        for t in G
    }
    assert big.to_dict() == expected == {"t1": 4, "t2": 4, "t3": 4, "t4": 4, "t5": 4}
    assert town_reach(line, k=3)["countries_within_3_hops"].to_dict() == expected


@pytest.mark.parametrize("command", [["clusters", "--top", "-1"], ["gaps", "--top", "0"]])
def test_top_must_be_positive(command, capsys):
    with pytest.raises(SystemExit) as info:
        main(command)
    assert info.value.code == 2
    assert "argument --n/--top: must be an integer >= 1" in capsys.readouterr().err


# --------------------------------------------------------------------------- GraphML / GEXF


def test_gexf_reserved_attribute_names_renamed(tiny_towns, tiny_links, tmp_path):
    towns = tiny_towns.assign(
        id=["x1", "x2", "x3", "x4", "x5"],
        label=list("LMNOP"),
        viz=["big"] * 5,
        spells=["s"] * 5,
        start=[1990] * 5,
        end=[2000] * 5,
        pid=["p"] * 5,
    )
    data = tg.load(towns=towns, partnerships=tiny_links)
    path = tmp_path / "net.gexf"
    with pytest.warns(DataWarning, match="GEXF gives the attribute names 'end', 'id', 'label'"):
        tg.to_gexf(data, path)
    ET.parse(path)  # well-formed
    back = tg.read_gexf(path)
    assert sorted(back.towns.index) == ["a", "b", "c", "d", "e"]  # ids not replaced
    assert back.towns.loc["b", "id_"] == "x2" and back.towns.loc["c", "viz_"] == "big"
    assert len(back.edges) == 5
    graphml = tg.to_graphml(data, tmp_path / "net.graphml")
    ET.parse(graphml)
    assert sorted(tg.read_graphml(graphml).towns.index) == ["a", "b", "c", "d", "e"]


def test_graph_text_xml_cannot_hold_is_refused(tiny, tmp_path):
    G = tiny.town_graph()
    G.nodes["c"]["name"] = "Par\x1bis"
    for writer in (tg.to_graphml, tg.to_gexf):
        with pytest.raises(
            ValidationError, match=r"graph:node 'c':name: control character U\+001B"
        ):
            writer(G, tmp_path / "net.xml")
    assert leftovers(tmp_path) == [] and not (tmp_path / "net.xml").exists()


@pytest.mark.parametrize(
    "reader,content",
    [
        (tg.read_graphml, "<graphml><node"),
        (tg.read_graphml, "not xml at all"),
        (tg.read_gexf, "<gexf><graph><nodes><node/></nodes></graph></gexf>"),
        (tg.read_geojson, '{"type": "FeatureCollection", "features": [1, 2]}'),
        (tg.read_geojson, '{"features": [{"properties": {"feature_type": "town"}}]}'),
        (tg.read_geojson, "[1, 2"),
    ],
)
def test_readers_raise_only_validation_errors(tmp_path, reader, content):
    path = tmp_path / "in.file"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=str(path)):
        reader(path)
    with pytest.raises(ValidationError, match="file not found"):
        reader(tmp_path / "missing.file")


def test_read_graphml_checks_text_like_the_loader(tmp_path):
    G = nx.Graph()
    G.add_node("a", name="Ok", country="DE", lat=50.0, lon=8.0)
    G.add_node("b", name="Bad\u202eevil", country="FR", lat=48.0, lon=2.0)
    G.add_edge("a", "b", kinds="twinning", weight=1)
    path = tmp_path / "g.graphml"
    nx.write_graphml(G, path)  # XML can hold a bidi override; a town name may not
    with pytest.raises(ValidationError, match=rf"{path}:b:name: control character U\+202E"):
        tg.read_graphml(path)


# --------------------------------------------------------------------------- geocode


def test_geocode_country_column_typo_is_refused(tmp_path, capsys):
    src = tmp_path / "names.csv"
    src.write_text("name,land\nKöln,DE\n", encoding="utf-8")
    code = main(["geocode", str(src), "--out", str(tmp_path / "o.csv"), "--country-column", "lnad"])
    assert code == 1
    err = capsys.readouterr().err
    assert "country column 'lnad' not found; columns present: 'name', 'land'" in err
    assert not (tmp_path / "o.csv").exists()


def test_corrupt_geocode_cache_records_are_looked_up_again(tmp_path):
    from geopy.location import Location

    from twinning_graph.geocode import geocode

    class Fake:
        def __init__(self):
            self.calls = []

        def geocode(self, query, **kwargs):
            self.calls.append(query)
            return Location(query, (48.0, 2.0), {})

    cache = tmp_path / "cache.json"
    cache.write_text(
        json.dumps(
            {
                "Xyzzyville, France": {"lat": "north"},
                "Plughtown, France": [1, 2],
                "Frobtown, France": {"lat": 45.0, "lon": 5.0, "address": "ok"},
            }
        ),
        encoding="utf-8",
    )
    frame = pd.DataFrame({"name": ["Xyzzyville", "Plughtown", "Frobtown"], "country": ["FR"] * 3})
    fake = Fake()
    with pytest.warns(DataWarning, match="2 damaged records"):
        out = geocode(frame, online=fake, cache=cache, min_delay_seconds=0)
    assert sorted(fake.calls) == ["Plughtown, France", "Xyzzyville, France"]
    assert out["lat"].tolist() == [48.0, 48.0, 45.0]
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert stored["Xyzzyville, France"]["lat"] == 48.0
    assert leftovers(tmp_path) == []


def test_report_refuses_unknown_table_format(tiny, tmp_path):
    from twinning_graph.report import build_report

    with pytest.raises(
        ValidationError,
        match=r"format must be one of 'csv', 'csv-eu', 'xlsx', got 'xls' \(did you mean 'xlsx'\?\)",
    ):
        build_report(tiny, path=tmp_path / "r.html", format="xls")
    assert not os.listdir(tmp_path)


def test_unwritable_report_path_refused_before_the_work(tiny, tmp_path):
    from twinning_graph.report import build_report, write_map

    (tmp_path / "taken.html").mkdir()
    with pytest.raises(ValidationError, match=r"taken.html': it is a folder, expected a file name"):
        build_report(tiny, path=tmp_path / "taken.html")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValidationError, match=r"'.*file' is a file, not a folder"):
        write_map(tiny, tmp_path / "file" / "map.png")
