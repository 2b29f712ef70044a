"""The interactive map (tg.explore): its data, its safety, and the page in headless chromium.

The fixture is a SYNTHETIC network of six towns built here, three of them named like attacks.
Links (kind, since): k-x (twinning 1960), k-s (twinning 1990), k-p (network 2015),
k-w (twinning 1995), p-w (network 2016), s-w (twinning 2000), q-x (twinning 1970).
So Köln (k) has four partners: x, s, p, w; Poland (s, w) has one link within it (s-w) and
four touching it (k-s, k-w, p-w, s-w); five links are "twinning", two "network".
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import struct
import warnings
from pathlib import Path

import browser
import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph import _style
from twinning_graph._errors import (
    DataWarning,
    UnknownCountryError,
    UnknownTownError,
    ValidationError,
)
from twinning_graph._map_candidates import candidate_frame
from twinning_graph.cli import main
from twinning_graph.explore import ExploreMap
from twinning_graph.explore._payload import build_payload
from twinning_graph.network import TwinningData
from twinning_graph.plot._basemap import project

IMG_NAME = '<img src=x onerror="window.__xss=1">'
SCRIPT_NAME = "</script><script>window.__xss=2</script>"
QUOTE_NAME = "\"Quote' & <b>Ampersand</b>"

needs_chromium = pytest.mark.skipif(
    browser.find_chromium() is None,
    reason="headless chromium not found (apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture(scope="module")
def net() -> tg.TwinningData:
    towns = pd.DataFrame(
        {
            "town_id": ["k", "x", "s", "p", "w", "q"],
            "name": ["Köln", IMG_NAME, SCRIPT_NAME, "Praha", "Wrocław", QUOTE_NAME],
            "country": ["DE", "FR", "PL", "CZ", "PL", "BE"],
            "lat": [50.94, 45.76, 51.76, 50.08, 51.11, 50.85],
            "lon": [6.96, 4.84, 19.46, 14.44, 17.03, 4.35],
            "population": [1_080_000, 513_000, None, 1_300_000, 640_000, 180_000],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["k", "k", "k", "k", "p", "s", "q"],
            "town_b": ["x", "s", "p", "w", "w", "w", "x"],
            "kind": [
                "twinning",
                "twinning",
                "network",
                "twinning",
                "network",
                "twinning",
                "twinning",
            ],
            "since": [1960, 1990, 2015, 1995, 2016, 2000, 1970],
        }
    )
    return tg.load(towns=towns, partnerships=links)


def _decode(page: str) -> dict:
    """The payload of a page, unpacked here from the documented layout (not by the code)."""
    m = re.search(r'<script type="application/octet-stream" id="tg-data">([^<]*)</script>', page)
    assert m is not None
    raw = gzip.decompress(base64.b64decode(m.group(1)))
    (n,) = struct.unpack("<I", raw[:4])
    header = json.loads(raw[4 : 4 + n].decode("utf-8"))
    arrays = {}
    for name, (dtype, offset, length) in header["arrays"].items():
        assert offset % 8 == 0
        arrays[name] = np.frombuffer(
            raw, dtype=np.dtype(dtype).newbyteorder("<"), count=length, offset=offset
        )
    header["a"] = arrays
    return header


def _config(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="tg-config">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


# --------------------------------------------------------------------------- data in the page


def test_payload_holds_every_town_and_link(net):
    page = tg.explore(net).html
    d = _decode(page)
    towns = net.towns
    assert d["ids"] == list(towns.index)
    assert d["names"][d["ids"].index("s")] == SCRIPT_NAME
    lonlat = d["a"]["lonlat"].reshape(-1, 2)
    assert np.allclose(lonlat[:, 0], towns["lon"], atol=1e-4)
    assert np.allclose(lonlat[:, 1], towns["lat"], atol=1e-4)
    pairs = {
        frozenset((d["ids"][a], d["ids"][b]))
        for a, b in zip(d["a"]["edge_a"], d["a"]["edge_b"], strict=True)
    }
    assert pairs == {
        frozenset(p)
        for p in [
            ("k", "x"),
            ("k", "s"),
            ("k", "p"),
            ("k", "w"),
            ("p", "w"),
            ("s", "w"),
            ("q", "x"),
        ]
    }
    assert d["a"]["population"][d["ids"].index("s")] == -1  # unknown population
    assert d["a"]["population"][d["ids"].index("k")] == 1_080_000
    # kinds as bits, most frequent first: twinning (5 links) = bit 0, network (2) = bit 1
    assert d["kinds"] == ["twinning", "network"]
    assert sorted(d["a"]["edge_kinds"].tolist()) == [1, 1, 1, 1, 1, 2, 2]
    assert sorted(d["a"]["edge_since"].tolist()) == [1960, 1970, 1990, 1995, 2000, 2015, 2016]


def test_two_maps_give_a_country_the_same_colour(net, bundled):
    europe = _decode(tg.explore(bundled).html)["countries"]
    poland = _decode(tg.explore(bundled, countries=["PL", "DE"]).html)["countries"]
    tiny = _decode(tg.explore(net).html)["countries"]
    by = [{c["code"]: c["color"] for c in m} for m in (europe, poland, tiny)]
    for code in ("DE", "PL"):
        assert by[0][code] == by[1][code] == by[2][code] == _style.country_color(code)
    assert by[0]["FR"] == by[2]["FR"]
    assert len(poland) == 2  # data.filter kept the towns of PL and DE only


def test_filters_go_through_data_filter(net, monkeypatch):
    calls = []
    original = TwinningData.filter

    def spy(self, **kwargs):
        calls.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(TwinningData, "filter", spy)
    m = tg.explore(net, countries="PL", kinds="twinning")
    assert calls == [{"countries": "PL", "kinds": "twinning", "year": None, "touching": False}]
    # towns of Poland and the twinning links among them: s, w and the link s-w
    assert (m.n_towns, m.n_links) == (2, 1)
    m = tg.explore(net, year=1990)
    assert m.n_links == 3  # k-x 1960, q-x 1970, k-s 1990


def test_candidates_from_a_ranking_carry_their_tooltip_columns(net):
    ranking = pd.DataFrame(
        {
            "name": ["Praha", "Gdańsk (not in the data)"],
            "country": ["CZ", "PL"],
            "lat": [50.08, 54.35],
            "lon": [14.44, 18.65],
            "score": [2.5, 1.25],
            "reason": ["1 shared partner", "<b>new</b> country"],
        },
        index=pd.Index(["p", "PL-gdansk"], name="town_id"),
    )
    d = _decode(tg.explore(net, highlight="x", candidates=ranking).html)
    c = d["candidates"]
    assert [x["name"] for x in c] == ["Praha", "Gdańsk (not in the data)"]
    assert [x["rank"] for x in c] == [1, 2]
    assert [x["color"] for x in c] == [_style.country_color("CZ"), _style.country_color("PL")]
    assert c[1]["reason"] == "<b>new</b> country" and c[1]["score"] == 1.25
    assert c[1]["id"] == "PL-gdansk"


def test_candidate_frame_forms(net):
    towns = net.towns
    f = candidate_frame(["w", "p"], towns)
    assert f["name"].tolist() == ["Wrocław", "Praha"] and f["country"].tolist() == ["PL", "CZ"]
    f = candidate_frame(pd.DataFrame({"town_id": ["k"]}), towns)
    assert f.loc[0, "lat"] == pytest.approx(50.94)
    f = candidate_frame(pd.DataFrame({"lat": [48.2], "lon": [16.4], "name": ["Wien"]}), towns)
    assert f.loc[0, "name"] == "Wien" and pd.isna(f.loc[0, "town_id"])
    with pytest.raises(UnknownTownError, match="'nope'.*'zzz'"):
        candidate_frame(["k", "nope", "zzz"], towns)
    with pytest.raises(ValidationError, match="town_id.*lat"):
        candidate_frame(pd.DataFrame({"score": [1]}), towns)


def test_highlight_and_extent_decide_the_first_view(net):
    cfg = _config(tg.explore(net, highlight="k").html)
    assert cfg["highlight"] == "k"
    fit = {tuple(p) for p in cfg["fit"]}
    # Köln and its four partners
    assert fit == {(6.96, 50.94), (4.84, 45.76), (19.46, 51.76), (14.44, 50.08), (17.03, 51.11)}
    cfg = _config(tg.explore(net, extent=(0, 10, 40, 50)).html)
    lons = [p[0] for p in cfg["fit"]]
    lats = [p[1] for p in cfg["fit"]]
    assert (min(lons), max(lons), min(lats), max(lats)) == (0, 10, 40, 50)
    cfg = _config(tg.explore(net, show_countries="pl").html)
    assert cfg["showCountries"] == ["PL"]
    lons = [p[0] for p in cfg["fit"]]
    assert 13 < min(lons) < 15.5 and 23 < max(lons) < 25  # Poland's borders


def test_bad_arguments_say_what_is_allowed(net):
    with pytest.raises(UnknownTownError, match="'kk'"):
        tg.explore(net, highlight="kk")
    with pytest.raises(UnknownTownError, match="not in the filtered network"):
        tg.explore(net, highlight="k", countries="PL")
    with pytest.raises(UnknownCountryError, match="show_countries"):
        tg.explore(net, show_countries="IT")
    with pytest.raises(ValidationError, match="extent"):
        tg.explore(net, extent=(10, 0, 40, 50))
    with pytest.raises(ValidationError, match="height"):
        tg.explore(net, height=10)
    with pytest.raises(ValidationError, match="https"):
        tg.explore(net, tiles="http://tiles.example/{z}/{x}/{y}.png", attribution="x")
    with pytest.raises(ValidationError, match="attribution"):
        tg.explore(net, tiles="https://tiles.example/{z}/{x}/{y}.png")
    with pytest.raises(ValidationError, match="attribution= is for tiles"):
        tg.explore(net, attribution="me")
    with pytest.raises(ValidationError, match=r"\.html"):
        tg.explore(net).save("map.png")


def test_towns_without_coordinates_are_counted_not_dropped_silently(net):
    towns = net.towns.copy()
    towns.loc["q", ["lat", "lon"]] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        p = build_payload(towns, net.edges, candidates=None)
    messages = [str(w.message) for w in caught if w.category is DataWarning]
    assert messages == [
        "1 town(s) without coordinates left off the map (with their links)",
        "1 link(s) left off the map: a town has no coordinates",
    ]
    assert (p.n_towns, p.n_links) == (5, 6)


# --------------------------------------------------------------------------- HTML safety


def test_page_is_self_contained_and_values_are_escaped(net):
    page = tg.explore(net, title=f"Map {SCRIPT_NAME} {IMG_NAME}").html
    # three script elements (config JSON, data, renderer) and nothing else closes one
    assert page.count("<script") == 3 and page.count("</script>") == 3
    assert "<img" not in page and "onerror" not in page.replace("onerror=", "")  # no markup
    # the names travel compressed; the title is escaped text in <title> and JSON in the config
    assert page.count("window.__xss") == 4  # two names, in <title> and in the config
    assert "<title>Map &lt;/script&gt;&lt;script&gt;window.__xss=2" in page
    cfg = _config(page)
    assert cfg["title"] == f"Map {SCRIPT_NAME} {IMG_NAME}"  # the JSON decodes to the text
    # no address to load anything from
    assert not re.search(r"(src|href)=\"?(https?:)?//", page)
    assert "http://" not in page and "https://" not in page.split("</style>")[0]


def test_content_security_policy_allows_only_the_inline_script_and_style(net):
    page = tg.explore(net).html
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "default-src 'none'" in csp
    js = re.search(r"<script>(.*)</script>", page, re.S).group(1)
    css = re.search(r"<style>(.*)</style>", page, re.S).group(1)
    for text in (js, css):
        digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "http" not in csp and "connect-src" not in csp  # nothing from the network
    tiled = tg.explore(net, tiles="openstreetmap").html
    csp_t = re.search(r'content="([^"]*)"', tiled.split("Content-Security-Policy")[1]).group(1)
    assert "img-src data: blob: https://tile.openstreetmap.org" in csp_t
    assert _config(tiled)["tiles"]["attribution"] == "© OpenStreetMap contributors"


def test_notebook_view_is_an_iframe_with_the_escaped_page(net):
    m = tg.explore(net, height=420)
    frame = m._repr_html_()
    assert frame.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in frame
    assert "height:420px" in frame
    assert "<script" not in frame  # the page is an attribute value, fully escaped
    assert repr(m).startswith("<ExploreMap: 6 towns, 7 links")
    assert isinstance(m, ExploreMap)


def test_cli_writes_an_interactive_map(net, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("twinning_graph.cli.load_data", lambda args: net)
    out = tmp_path / "pl.html"
    assert main(["map", "--out", str(out), "--country", "PL"]) == 0
    cfg = _config(out.read_text(encoding="utf-8"))
    assert cfg["showCountries"] == ["PL"] and cfg["highlight"] is None
    assert main(["map", "--out", str(tmp_path / "k.html"), "--town", "k"]) == 0
    assert _config((tmp_path / "k.html").read_text(encoding="utf-8"))["highlight"] == "k"


# --------------------------------------------------------------------------- in chromium

READY = "window.__tgmap && window.__tgmap.ready && window.__tgmap.timings.firstPaint"


def _open(session: browser.Session, path: Path) -> None:
    session.open(path)
    session.wait_for(READY, timeout=60)


def _no_network(session: browser.Session, path: Path) -> None:
    assert session.requests == [path.resolve().as_uri()], session.requests
    assert session.problems() == []


@pytest.fixture(scope="module")
def page(net, tmp_path_factory) -> Path:
    return tg.explore(net).save(tmp_path_factory.mktemp("explore") / "net.html")


@pytest.fixture(scope="module")
def session():
    if browser.find_chromium() is None:
        pytest.skip("headless chromium not found")
    with browser.Session(window=(1100, 700)) as s:
        yield s


@pytest.mark.browser
@needs_chromium
def test_renders_offline_towns_and_links(page, session):
    _open(session, page)
    _no_network(session, page)
    t = session.evaluate("window.__tgmap.timings")
    assert t["townsDrawn"] == 6 and t["linksDrawn"] == 7
    # the canvas holds the towns' country colours and the links change its pixels
    de = _style.country_color("DE")
    count = f"""(function () {{
        var c = document.getElementById('tg-canvas'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        var want = [{int(de[1:3], 16)}, {int(de[3:5], 16)}, {int(de[5:7], 16)}], n = 0;
        for (var i = 0; i < d.length; i += 4) if (d[i] === want[0] && d[i + 1] === want[1] && d[i + 2] === want[2]) n++;
        return n; }})()"""
    assert session.evaluate(count) > 10
    snapshot = """(function () { var c = document.getElementById('tg-canvas');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); })()"""
    with_links = np.array(session.evaluate(snapshot))
    session.evaluate("window.__tgmap.layers.links = false; window.__tgmap.redraw()")
    without = np.array(session.evaluate(snapshot))
    session.evaluate("window.__tgmap.layers.links = true; window.__tgmap.redraw()")
    assert (with_links != without).reshape(-1, 4).any(axis=1).sum() > 200


@pytest.mark.browser
@needs_chromium
def test_link_rasteriser_draws_the_same_links(page, session):
    _open(session, page)
    session.evaluate("window.__tgmap.rasterLinks = true; window.__tgmap.redraw()")
    t = session.evaluate("window.__tgmap.timings")
    assert t["linkMode"] == "raster" and t["linksDrawn"] == 7
    session.evaluate("window.__tgmap.rasterLinks = undefined; window.__tgmap.redraw()")
    assert session.evaluate("window.__tgmap.timings.linkMode") == "vector"


@pytest.mark.browser
@needs_chromium
def test_projection_in_the_page_is_the_python_one(page, session):
    _open(session, page)
    for lon, lat in [(2.35, 48.86), (-9.14, 38.72), (30.52, 50.45), (10.0, 52.0)]:
        x, y = project(lon, lat)
        jx, jy = session.evaluate(f"window.__tgmap.project({lon}, {lat})")
        assert abs(jx - float(x)) < 1.0 and abs(jy - float(y)) < 1.0


@pytest.mark.browser
@needs_chromium
def test_hover_shows_a_tooltip(page, session):
    _open(session, page)
    x, y = session.evaluate("window.__tgmap.screenOf('k')")
    session.mouse("mouseMoved", x, y)
    tip = session.wait_for(
        "!document.getElementById('tg-tooltip').hidden && document.getElementById('tg-tooltip').innerText"
    )
    assert "Köln" in tip and "Germany (DE)" in tip
    assert "population: 1,080,000" in tip and "partners: 4" in tip
    session.mouse("mouseMoved", 5, 690)  # empty corner: the tooltip goes away
    assert session.wait_for("document.getElementById('tg-tooltip').hidden")


@pytest.mark.browser
@needs_chromium
def test_click_lists_and_highlights_the_partners(page, session):
    _open(session, page)
    x, y = session.evaluate("window.__tgmap.screenOf('k')")
    session.click(x, y)
    items = session.wait_for(
        "Array.from(document.querySelectorAll('#tg-partners li')).map(li => li.textContent)"
    )
    assert len(items) == 4
    names = ["Praha", IMG_NAME, SCRIPT_NAME, "Wrocław"]  # by country code: CZ, FR, PL, PL
    for item, name in zip(items, names, strict=True):
        assert name in item
    assert "since 2015" in items[0] and "network" in items[0]
    assert session.evaluate("document.getElementById('tg-sel-count').textContent") == "4 partners"
    # clicking a partner in the list moves the selection to it
    session.evaluate("document.querySelectorAll('#tg-partners li')[3].click()")
    assert session.evaluate("document.getElementById('tg-sel-name').textContent") == "Wrocław"
    assert session.evaluate("document.querySelectorAll('#tg-partners li').length") == 3


@pytest.mark.browser
@needs_chromium
def test_names_with_markup_stay_text(page, session):
    _open(session, page)
    for tid in ("x", "s", "q"):
        x, y = session.evaluate(f"window.__tgmap.screenOf('{tid}')")
        session.mouse("mouseMoved", x, y)
        tip = session.wait_for(
            "!document.getElementById('tg-tooltip').hidden && document.getElementById('tg-tooltip').firstChild.textContent"
        )
        assert tip == {"x": IMG_NAME, "s": SCRIPT_NAME, "q": QUOTE_NAME}[tid]
    x, y = session.evaluate("window.__tgmap.screenOf('k')")
    session.click(x, y)
    session.wait_for("document.querySelectorAll('#tg-partners li').length === 4")
    assert session.evaluate("typeof window.__xss") == "undefined"
    assert session.evaluate("document.querySelectorAll('img, #tg-panel script').length") == 0
    # the only <b> is the tooltip's own title line, holding text only
    assert session.evaluate(
        "Array.from(document.querySelectorAll('b')).every("
        "b => b.parentNode.id === 'tg-tooltip' && b.children.length === 0)"
    )


@pytest.mark.browser
@needs_chromium
def test_filters_by_country_and_kind(page, session):
    _open(session, page)
    links = "window.__tgmap.timings.linksDrawn"
    session.evaluate("window.__tgmap.setCountries(['PL'])")
    assert session.evaluate(links) == 4  # touching Poland: k-s, k-w, p-w, s-w
    session.evaluate(
        "var m = document.getElementById('tg-c-mode'); m.value = 'within';"
        "m.dispatchEvent(new Event('change'))"
    )
    assert session.evaluate(links) == 1  # within Poland: s-w
    session.evaluate("document.getElementById('tg-c-all').click()")
    assert session.evaluate(links) == 7
    session.evaluate("document.querySelector('[data-kind=network]').click()")
    assert session.evaluate(links) == 5  # the twinning links only
    session.evaluate("document.querySelector('[data-kind=network]').click()")
    assert session.evaluate(links) == 7


@pytest.mark.browser
@needs_chromium
def test_highlight_and_candidates_open_selected(net, tmp_path, session):
    path = tg.explore(net, highlight="x", candidates=["p", "w"]).save(tmp_path / "x.html")
    _open(session, path)
    _no_network(session, path)
    assert session.evaluate("document.getElementById('tg-sel-name').textContent") == IMG_NAME
    cands = session.evaluate(
        "Array.from(document.querySelectorAll('#tg-candidates li')).map(li => li.textContent)"
    )
    assert len(cands) == 2 and "Praha" in cands[0] and "Wrocław" in cands[1]


@pytest.mark.browser
@needs_chromium
def test_notebook_iframe_renders(net, tmp_path, session):
    wrapper = tmp_path / "notebook.html"
    wrapper.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
        + tg.explore(net, height=500)._repr_html_()
        + "</body></html>",
        encoding="utf-8",
    )
    session.open(wrapper)
    import time

    time.sleep(2.0)  # the frame's own page loads on its own (sandboxed: not reachable)
    shot = session.screenshot(tmp_path / "nb.png")
    from matplotlib.image import imread

    px = (imread(shot)[:, :, :3] * 255).round().astype(int)
    de = np.array([int(_style.country_color("DE")[i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(px - de).sum(axis=2) <= 3).sum() > 10  # Köln's marker inside the frame
    assert [u for u in session.requests if not u.startswith("file:")] == []


@pytest.mark.browser
@needs_chromium
def test_larger_network_draws_with_the_rasteriser(tmp_path, session):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        data = tg.synthetic_network(3000, 25000, n_projects=20, seed=1)
    path = tg.explore(data).save(tmp_path / "syn.html")
    _open(session, path)
    _no_network(session, path)
    t = session.evaluate("window.__tgmap.timings")
    assert t["linkMode"] == "raster" and t["linksDrawn"] > 5000
    assert t["townsDrawn"] > 2500


def test_a_town_graph_maps_like_its_data(net):
    m = tg.explore(net.town_graph())
    assert (m.n_towns, m.n_links) == (6, 7)
    with pytest.raises(ValidationError, match="TwinningData"):
        tg.explore(net.towns)


@pytest.mark.browser
@needs_chromium
def test_tiles_are_loaded_only_when_asked(net, tmp_path, session):
    # an address that can never resolve (RFC 2606 .invalid): nothing leaves the machine
    path = tg.explore(
        net, tiles="https://tiles.invalid/{z}/{x}/{y}.png", attribution="test tiles"
    ).save(tmp_path / "tiles.html")
    _open(session, path)
    asked = [u for u in session.requests if not u.startswith("file:")]
    assert asked and all(u.startswith("https://tiles.invalid/") for u in asked)
    assert session.evaluate("window.__tgmap.timings.townsDrawn") == 6
    # failed tile loads are the only complaint: no script error, no blocked load
    others = [p for p in session.problems() if "tiles.invalid" not in p]
    assert others == []


def test_the_same_data_give_the_same_page(net):
    assert tg.explore(net, highlight="k").html == tg.explore(net, highlight="k").html


@pytest.mark.browser
@needs_chromium
def test_drag_pans_and_wheel_zooms(page, session):
    _open(session, page)
    v0 = session.evaluate("window.__tgmap.view()")
    session.drag(400, 300, 500, 360)
    v1 = session.wait_for(
        f"(function(){{var v = window.__tgmap.view(); return v.cx !== {v0['cx']} && v;}})()"
    )
    # dragging by (+100, +60) px moves the centre by (-100, +60) px in map metres
    assert v1["cx"] == pytest.approx(v0["cx"] - 100 / v0["s"], rel=1e-6)
    assert v1["cy"] == pytest.approx(v0["cy"] + 60 / v0["s"], rel=1e-6)
    assert v1["s"] == v0["s"]
    session.wheel(400, 300, -300)  # one notch up: twice the scale, around the mouse
    v2 = session.wait_for(
        f"(function(){{var v = window.__tgmap.view(); return v.s !== {v1['s']} && v;}})()"
    )
    assert v2["s"] == pytest.approx(2 * v1["s"], rel=1e-6)
    # the map point under the mouse stays under the mouse
    before = (v1["cx"] + (400 - v1["W"] / 2) / v1["s"], v1["cy"] - (300 - v1["H"] / 2) / v1["s"])
    after = (v2["cx"] + (400 - v2["W"] / 2) / v2["s"], v2["cy"] - (300 - v2["H"] / 2) / v2["s"])
    assert after == pytest.approx(before, rel=1e-9, abs=1e-3)
    # the full drawing follows once the user pauses, with every town still in view drawn
    session.wait_for("window.__tgmap.timings.lastFullDraw !== undefined && !window.__tgmap.busy()")
    assert session.problems() == []


@pytest.mark.browser
@needs_chromium
def test_search_finds_and_selects_a_town(page, session):
    _open(session, page)
    session.evaluate(
        "var q = document.getElementById('tg-search'); q.value = 'wroc';"
        "q.dispatchEvent(new Event('input'))"
    )
    hits = session.evaluate(
        "Array.from(document.querySelectorAll('#tg-results li')).map(li => li.textContent)"
    )
    assert len(hits) == 1 and hits[0].startswith("Wrocław")
    session.evaluate("document.querySelector('#tg-results li').click()")
    assert session.evaluate("document.getElementById('tg-sel-name').textContent") == "Wrocław"
    assert session.evaluate("document.getElementById('tg-sel-count').textContent") == "3 partners"


@pytest.mark.browser
@needs_chromium
def test_partner_under_the_star_is_drawn_beside_it_and_every_name_placed(tmp_path, session):
    # Cieszyn and Český Těšín are 0.7 km apart (GeoNames); seven candidates within 40 km
    # crowd the star, and far partners (Genk, Teuva) make the first view wide
    towns = pd.DataFrame(
        [
            ("PL-cieszyn", "Cieszyn", "PL", 49.7500, 18.6333),
            ("CZ-cesky-tesin", "Český Těšín", "CZ", 49.7461, 18.6262),
            ("SK-roznava", "Rožňava", "SK", 48.6667, 20.5333),
            ("BE-genk", "Genk", "BE", 50.9500, 5.5000),
            ("FI-teuva", "Teuva", "FI", 62.4861, 21.7472),
            ("CZ-karvina", "Karviná", "CZ", 49.8542, 18.5428),
            ("CZ-havirov", "Havířov", "CZ", 49.7778, 18.4228),
            ("CZ-orlova", "Orlová", "CZ", 49.8453, 18.4302),
            ("CZ-bohumin", "Bohumín", "CZ", 49.9041, 18.3576),
            ("CZ-frydek-mistek", "Frýdek-Místek", "CZ", 49.6881, 18.3536),
            ("CZ-ostrava", "Ostrava", "CZ", 49.8356, 18.2925),
            ("SK-cadca", "Čadca", "SK", 49.4386, 18.7883),
        ],
        columns=["town_id", "name", "country", "lat", "lon"],
    )
    partners = ["CZ-cesky-tesin", "SK-roznava", "BE-genk", "FI-teuva"]
    links = pd.DataFrame({"town_a": ["PL-cieszyn"] * 4, "town_b": partners})
    data = tg.load(towns=towns, partnerships=links)
    cands = list(towns["town_id"][5:])
    path = tg.explore(data, highlight="PL-cieszyn", candidates=cands).save(tmp_path / "c.html")
    _open(session, path)
    moved = session.evaluate("window.__tgmap.displaced")
    assert [m["town"] for m in moved] == ["CZ-cesky-tesin"]
    star = session.evaluate("window.__tgmap.screenOf('PL-cieszyn')")
    true_xy = session.evaluate("window.__tgmap.screenOf('CZ-cesky-tesin')")
    assert np.hypot(true_xy[0] - star[0], true_xy[1] - star[1]) < 11  # hidden by the star
    assert np.hypot(moved[0]["x"] - star[0], moved[0]["y"] - star[1]) > 11 + 4.5  # beside it
    boxes = session.evaluate("window.__tgmap.labelBoxes")
    names = {b["text"] for b in boxes}
    expected = {"Cieszyn", "Český Těšín", "Rožňava", "Genk", "Teuva"}
    expected |= {f"{k}. {n}" for k, n in enumerate(towns["name"][5:], 1)}
    assert names == expected
    view = session.evaluate("window.__tgmap.view()")
    for i, a in enumerate(boxes):
        assert 0 <= a["x0"] and a["x1"] <= view["W"] and 0 <= a["y0"] and a["y1"] <= view["H"]
        for b in boxes[i + 1 :]:
            apart = (
                a["x1"] <= b["x0"] or b["x1"] <= a["x0"] or a["y1"] <= b["y0"] or b["y1"] <= a["y0"]
            )
            assert apart, (a["text"], b["text"])
