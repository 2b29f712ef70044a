"""Random names through every writer and reader (issue 16).

A town name drawn from any Unicode text, control characters, quotes, separators, line
breaks and formula prefixes is either refused by the loader (naming row and column) or
comes back unchanged from every format the library writes: CSV, European CSV, Excel,
GraphML, GEXF, GeoJSON and the command line's ``--csv`` output. The same text in an extra
column (where tabs and line breaks are allowed) comes back too.
"""

from __future__ import annotations

import contextlib
import io
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import twinning_graph as tg
from twinning_graph._csv import read_raw
from twinning_graph._validate import Problems
from twinning_graph.cli import main

SPECIAL = list("\r\n\t\x00\x1b\x7f\x9b\u2028\u202e\ufeff\ud800\"',;|=+-@ '") + [
    "\r\n",
    "NaN",
    "None",
    "#N/A",
    "$5 and $6",
    "<b>",
    "&amp;",
]
PREFIX = ["", "=", "+", "-", "@", "'=", "''+", "＝", "\t", " ", "-12"]
# characters the loader refuses in a name (and, except tab/CR/LF, in any cell)
STRICT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
ANY_CELL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

text = st.builds(
    lambda prefix, parts: prefix + "".join(parts),
    st.sampled_from(PREFIX),
    st.lists(st.text(min_size=1, max_size=4) | st.sampled_from(SPECIAL), min_size=1, max_size=6),
)


def _network(name: str, note: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    towns = pd.DataFrame(
        {
            "town_id": ["a", "b"],
            "name": [name, "Plain"],
            "country": ["PL", "FR"],
            "lat": [51.7592, 48.8566],
            "lon": [19.456, 2.3522],
            "note": [note, "plain"],
        }
    )
    return towns, pd.DataFrame({"town_a": ["a"], "town_b": ["b"]})


def _xml_text(s: str) -> str:
    """What an XML parser gives back for element text (line ends normalised)."""
    return s.replace("\r\n", "\n").replace("\r", "\n")


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=text, note=text)
def test_random_names_round_trip_or_are_refused(tmp_path_factory, name, note):
    towns, links = _network(name, note)
    shown = name.strip()
    bad_name = not shown or STRICT.search(shown)
    bad_note = ANY_CELL.search(note)
    event("refused" if bad_name or bad_note else "round trip")
    if bad_name or bad_note:
        with pytest.raises(tg.ValidationError) as info:
            tg.load(towns=towns, partnerships=links)
        where = "<towns DataFrame>:0:name" if bad_name else "<towns DataFrame>:0:note"
        assert any(str(p).startswith(where) for p in info.value.problems), info.value
        return
    data = tg.load(towns=towns, partnerships=links)
    assert data.towns.loc["a", "name"] == shown and data.towns.loc["a", "note"] == note
    d = tmp_path_factory.mktemp("rt")

    for fmt in ("csv", "csv-eu"):
        paths = tg.to_csv(data, d / fmt, format=fmt)
        back = tg.load(towns=paths["towns"], partnerships=paths["partnerships"])
        assert back.towns.loc["a", "name"] == shown, fmt
        assert back.towns.loc["a", "note"] == note, fmt
        assert back.towns.loc["a", "lat"] == 51.7592, fmt

    openpyxl = pytest.importorskip("openpyxl")
    xlsx = tg.to_csv(data, d / "xlsx", format="xlsx")["towns"]
    rows = list(openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[1][1] == shown and _xml_text(rows[1][-1]) == _xml_text(note)

    back = tg.read_graphml(tg.to_graphml(data, d / "net.graphml"))
    assert back.towns.loc["a", "name"] == shown
    assert _xml_text(back.towns.loc["a", "note"]) == _xml_text(note)

    back = tg.read_gexf(tg.to_gexf(data, d / "net.gexf"))
    assert back.towns.loc["a", "name"] == shown and back.towns.loc["a", "note"] == note

    back = tg.read_geojson(tg.to_geojson(data, d / "net.geojson"))
    assert back.towns.loc["a", "name"] == shown and back.towns.loc["a", "note"] == note

    # the command line: a table printed with --csv, read back by the library's reader
    source = tg.to_csv(data, d / "cli")
    out = d / "reach.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh, contextlib.redirect_stdout(fh):
        code = main(
            ["--towns", str(source["towns"]), "--partnerships", str(source["partnerships"])]
            + ["reach", "--csv"]
        )
    assert code == 0
    frame, _ = read_raw(out, Problems())
    assert frame is not None
    assert frame.set_index("town_id").loc["a", "name"] == shown


@settings(max_examples=200, deadline=None)
@given(raw=text)
def test_terminal_output_never_holds_control_characters(raw):
    import argparse

    from twinning_graph.cli import emit_table, say

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        say(raw)
        emit_table(
            pd.DataFrame({"name": [raw]}, index=pd.Index([raw], name="id")), argparse.Namespace()
        )
        emit_table(pd.DataFrame({"name": [raw]}), argparse.Namespace(json=True))
    out = buf.getvalue()
    # only the line breaks the output itself makes remain
    assert not STRICT.search(out.replace("\n", ""))
    assert "\\x1b" in out or "\x1b" not in raw
