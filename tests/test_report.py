"""The HTML report: self-contained, escaped, printable; opened in a real headless chromium.

The escape tests use a tiny synthetic network built here (town names that are HTML and
spreadsheet formulas); one end-to-end report per scope kind uses the bundled data.
"""

from __future__ import annotations

import base64
import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import browser  # noqa: E402  (tests/ is on sys.path under pytest)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import twinning_graph as tg  # noqa: E402
from twinning_graph._errors import (  # noqa: E402
    UnknownCountryError,
    UnknownTownError,
    ValidationError,
)
from twinning_graph.cli import main  # noqa: E402
from twinning_graph.report import (  # noqa: E402
    CREDITS_HTML,
    build_report,
    resolve_scope,
    write_map,
)
from twinning_graph.report._call import call_facts  # noqa: E402

SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = '=HYPERLINK("http://example.com/x","click")'
CREDIT_TEXTS = (
    "Wikidata contributors (CC0)",
    "GeoNames (geonames.org), CC BY 4.0",
    "Made with Natural Earth",
)
#: The credits in a French report: the Wikidata credit translated, the others as their
#: licensors ask for them (Natural Earth: "Made with Natural Earth").
CREDIT_TEXTS_FR = (
    "Contributeurs de Wikidata (CC0)",
    "GeoNames (geonames.org), CC BY 4.0",
    "Made with Natural Earth",
)

# the one other kind of external link a report has: the page of its call (a plain anchor)
CALL_LINKS = {
    call_facts(c).link
    for c in ("latest", "CERV-2025-CITIZENS-TOWN-NT", "CERV-2024-CITIZENS-TOWN-TT")
}

needs_chromium = pytest.mark.skipif(
    browser.find_chromium() is None,
    reason="headless chromium not found (apt-get install chromium; .ci/run installs it)",
)


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def synthetic() -> tg.TwinningData:
    return make_synthetic()


def make_synthetic() -> tg.TwinningData:
    """Synthetic: eight towns in six countries, two of them named like attacks.

    Links: s1-f1, s1-d1, s1-p1 (the script town has three foreign partners), f1-d1, f1-f2
    (domestic), d1-d2 (domestic), p1-i1, f2-i1, d2-p1; x1 (the formula town) is linked to
    f2 and i1.
    """
    towns = pd.DataFrame(
        {
            "town_id": ["s1", "f1", "f2", "d1", "d2", "p1", "i1", "x1"],
            "name": [
                SCRIPT_NAME,
                "Lyon & <b>Co</b>",
                "Nîmes",
                "Köln",
                "Görlitz",
                "Łódź",
                "Torino",
                FORMULA_NAME,
            ],
            "country": ["BE", "FR", "FR", "DE", "DE", "PL", "IT", "AT"],
            "lat": [50.85, 45.76, 43.84, 50.94, 51.15, 51.76, 45.07, 48.21],
            "lon": [4.35, 4.84, 4.36, 6.96, 14.99, 19.46, 7.69, 16.37],
            "population": [180000, 513000, 148000, 1080000, 55000, 670000, 870000, 1900000],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["s1", "s1", "s1", "f1", "f1", "d1", "p1", "f2", "d2", "x1", "x1"],
            "town_b": ["f1", "d1", "p1", "d1", "f2", "d2", "i1", "i1", "p1", "f2", "i1"],
            "kind": ["twinning"] * 11,
            "since": [1960, 1970, 1990, 1965, 1980, 1991, 1995, 2001, 2004, 1999, 2010],
        }
    )
    return tg.load(towns=towns, partnerships=links)


@pytest.fixture(scope="module")
def synthetic_reports(synthetic, tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("synthetic")
    return {
        scope: build_report(synthetic, scope=scope, path=d / f"{scope}.html", broker_sample=None)
        for scope in ("europe", "FR", "s1")
    }


@pytest.fixture(scope="module")
def bundled_reports(tmp_path_factory) -> dict[str, Path]:
    """Europe, a town (Cieszyn, PL) in English and a town (Ennis, IE) in French."""
    data = tg.load()
    d = tmp_path_factory.mktemp("bundled")
    return {
        "europe": build_report(data, scope="europe", path=d / "europe.html"),
        "town": build_report(data, scope="PL-cieszyn", path=d / "cieszyn.html"),
        "town_fr": build_report(data, scope="IE-ennis", path=d / "ennis.html", lang="fr"),
    }


# --------------------------------------------------------------------------- helpers


class _Resources(HTMLParser):
    """Every src/href/srcset/style url() of a page, with the tag and whether it is in the
    credits section."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str, bool]] = []
        self.scripts = 0
        self._about = 0
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self._depth += 1
            if a.get("id") == "about":
                self._about = self._depth
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href", "srcset", "data", "poster", "action", "formaction"):
            if a.get(name):
                self.found.append((tag, name, a[name] or "", self._about > 0))
        for url in re.findall(r"url\(([^)]*)\)", a.get("style") or ""):
            self.found.append((tag, "style", url, False))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            if self._depth == self._about:
                self._about = 0
            self._depth -= 1


def _resources(html: str) -> _Resources:
    p = _Resources()
    p.feed(html)
    return p


def _read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _assert_self_contained(html: str) -> None:
    res = _resources(html)
    assert res.scripts == 0, "the report must not contain any <script>"
    for tag, attr, value, in_credits in res.found:
        low = value.strip().lower()
        if tag == "img":
            assert low.startswith("data:image/"), f"image not embedded: {value[:60]}"
        elif tag == "a" and attr == "href":
            if value in CALL_LINKS:
                continue
            if low.startswith(("http://", "https://")):
                assert in_credits, f"external link outside the credits: {value}"
                assert value in {url for _, url in CREDITS_HTML}
            else:
                assert not re.match(r"^[a-z][a-z0-9+.-]*:", low), f"unexpected link {value}"
        else:
            raise AssertionError(f"unexpected resource <{tag} {attr}={value[:60]!r}>")
    style = "\n".join(re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL))
    assert "@import" not in style and "url(" not in style and "@font-face" not in style
    assert "<link" not in html.lower()
    assert 'http-equiv="Content-Security-Policy"' in html


def _decode_images(html: str) -> list[bytes]:
    out = []
    for mime, payload in re.findall(r'src="data:(image/[a-z+]+);base64,([A-Za-z0-9+/=]+)"', html):
        raw = base64.b64decode(payload, validate=True)
        if mime == "image/png":
            assert raw.startswith(b"\x89PNG\r\n\x1a\n")
        else:
            assert mime == "image/svg+xml" and b"<svg" in raw[:2000]
        out.append(raw)
    return out


def _assert_browser_clean(result: dict) -> None:
    assert result["errors"] == [], result["errors"]
    assert result["console"] == [], result["console"]
    assert result["log_console"] == [], result["log_console"]
    assert result["violations"] == [], f"blocked loads: {result['violations']}"
    external = [r for r in result["resources"] if not r.startswith("data:")]
    assert external == [], f"network requests: {external}"
    assert result["scripts"] == []
    assert result["images"], "no image in the report"
    for img in result["images"]:
        assert img["complete"] and img["naturalWidth"] > 0 and img["naturalHeight"] > 0, img
    # nothing wider than a laptop screen: tables scroll inside their box
    assert result["scrollWidth"] <= result["clientWidth"] + 1


def _assert_not_blank(png: Path) -> None:
    from matplotlib.image import imread

    pixels = imread(png)
    assert pixels.ndim == 3 and pixels.shape[0] > 500 and pixels.shape[1] > 500
    assert float(pixels[..., :3].std()) > 0.05, "the screenshot looks blank"
    # more than two colours in use (text, figures), not a single flat fill
    assert len(np.unique((pixels[::7, ::7, :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 20


# --------------------------------------------------------------------------- scope


def test_resolve_scope(synthetic):
    assert resolve_scope(synthetic, "europe").kind == "europe"
    assert resolve_scope(synthetic, "Europe").kind == "europe"
    sc = resolve_scope(synthetic, "fr")
    assert (sc.kind, sc.key) == ("country", "FR")
    sc = resolve_scope(synthetic, "s1")
    assert (sc.kind, sc.key) == ("town", "s1")
    assert sc.label == f"{SCRIPT_NAME} (BE)"


@pytest.mark.parametrize(
    "scope, error, match",
    [
        (
            "ZZ",
            UnknownCountryError,
            r"unknown scope 'ZZ'.*allowed: 'europe', a country code in "
            r"the data \(AT, BE, DE, FR, IT, PL\), a town id or a town's name",
        ),
        ("GB", UnknownCountryError, r"no towns of country 'GB'"),
        ("s11", UnknownTownError, r"unknown scope 's11' \(did you mean 's1'.*allowed: 'europe'"),
        ("", ValidationError, r"scope must be 'europe', a country code or a town id"),
    ],
)
def test_unknown_scope_names_given_and_allowed(synthetic, tmp_path, scope, error, match):
    with pytest.raises(error, match=match):
        build_report(synthetic, scope=scope, path=tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"rows": 0}, "rows must be an integer >= 1"),
        ({"broker_sample": 0}, "broker_sample must be an integer >= 1"),
    ],
)
def test_bad_options(synthetic, tmp_path, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        build_report(synthetic, path=tmp_path / "r.html", **kwargs)


def test_path_must_be_html(synthetic, tmp_path):
    with pytest.raises(ValidationError, match=r"must end in \.html"):
        build_report(synthetic, path=tmp_path / "r.pdf")


# --------------------------------------------------------------------------- escaping, CSV


@pytest.mark.parametrize("scope", ["europe", "FR", "s1"])
def test_report_is_self_contained(synthetic_reports, scope):
    html = synthetic_reports[scope].read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert _decode_images(html), "no embedded image"
    for text in CREDIT_TEXTS:
        assert text in html


@pytest.mark.parametrize("scope", ["europe", "s1"])
def test_data_values_are_escaped(synthetic_reports, scope):
    html = synthetic_reports[scope].read_text(encoding="utf-8")
    assert SCRIPT_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Co</b>" not in html
    assert "<script" not in html.lower()
    if scope == "s1":
        assert (
            "<title>Town twinning: &lt;script&gt;alert(1)&lt;/script&gt; (Belgium)</title>" in html
        )


def test_csv_beside_report_neutralises_formulas(synthetic_reports):
    html_path = synthetic_reports["europe"]
    files = sorted(html_path.parent.glob("europe_*.csv"))
    names = {f.name for f in files}
    assert {"europe_summary.csv", "europe_towns.csv", "europe_brokers.csv"} <= names
    cells = [c for f in files for row in _read_csv(f) for c in row]
    assert "'" + FORMULA_NAME in cells
    assert FORMULA_NAME not in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]
    # the script name is data like any other: kept as text in the CSV
    assert SCRIPT_NAME in cells
    # every table file is linked from the report, by a relative link
    html = html_path.read_text(encoding="utf-8")
    for f in files:
        assert f'href="{f.name}"' in html


def test_town_report_has_partners_candidates_and_tables(synthetic_reports):
    html = synthetic_reports["s1"].read_text(encoding="utf-8")
    assert 'id="partners"' in html and "Lyon &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    partners = _read_csv(synthetic_reports["s1"].with_name("s1_partners.csv"))
    assert sorted(r[0] for r in partners[1:]) == ["d1", "f1", "p1"]
    summary = dict(_read_csv(synthetic_reports["s1"].with_name("s1_summary.csv"))[1:])
    assert summary["partners"] == "3" and summary["countries_reached"] == "3"


def test_country_report_keeps_to_the_country(synthetic_reports):
    towns = _read_csv(synthetic_reports["FR"].with_name("FR_towns.csv"))
    header, rows = towns[0], towns[1:]
    assert {r[header.index("country")] for r in rows} == {"FR"}
    assert sorted(r[0] for r in rows) == ["f1", "f2"]


def test_print_css(synthetic_reports):
    html = synthetic_reports["europe"].read_text(encoding="utf-8")
    style = re.search(r"@media print\s*\{(.*)", html, flags=re.DOTALL).group(1)
    assert "break-before: page" in style
    assert "overflow: visible" in style  # tables are not clipped on paper
    assert "display: table-header-group" in style


def test_progress_callback(synthetic, tmp_path):
    messages: list[str] = []
    build_report(synthetic, scope="europe", path=tmp_path / "r.html", progress=messages.append)
    assert messages[0].startswith("report on Europe")
    assert any(m.startswith("communities") for m in messages)
    assert messages[-1].startswith("wrote ")


def test_write_map_png_and_svg(synthetic, tmp_path):
    png = write_map(synthetic, tmp_path / "m.png", town="s1")
    assert png.read_bytes().startswith(b"\x89PNG")
    svg = write_map(synthetic, tmp_path / "m.svg", country="FR")
    assert b"<svg" in svg.read_bytes()[:2000]
    with pytest.raises(ValidationError, match=r"\.png or \.svg"):
        write_map(synthetic, tmp_path / "m.gif")
    with pytest.raises(UnknownCountryError):
        write_map(synthetic, tmp_path / "m.png", country="s1")


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def synthetic_files(synthetic, tmp_path):
    t = tmp_path / "towns.csv"
    towns = synthetic.towns.drop(columns=["eu"]).reset_index()
    towns.to_csv(t, index=False)
    p = tmp_path / "links.csv"
    synthetic.partnerships.to_csv(p, index=False)
    return ["--towns", str(t), "--partnerships", str(p)]


def test_cli_report(synthetic_files, tmp_path, capsys):
    out = tmp_path / "rep" / "town.html"
    assert (
        main(
            [*synthetic_files, "report", "--town", "s1", "--out", str(out), "--broker-sample", "0"]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert "candidate partners" in captured.err and "writing HTML" in captured.err
    assert out.exists() and (out.parent / "town_partners.csv").exists()


def test_cli_report_unknown_scope(synthetic_files, tmp_path, capsys):
    assert (
        main([*synthetic_files, "report", "--country", "ZZ", "--out", str(tmp_path / "r.html")])
        == 1
    )
    err = capsys.readouterr().err
    assert "unknown scope 'ZZ'" in err and "AT, BE, DE, FR, IT, PL" in err
    assert (
        main([*synthetic_files, "report", "--town", "FR", "--out", str(tmp_path / "r.html")]) == 1
    )
    assert "unknown town_id 'FR'" in capsys.readouterr().err


def test_cli_map(synthetic_files, tmp_path, capsys):
    out = tmp_path / "map.svg"
    assert main([*synthetic_files, "map", "--country", "FR", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.exists()
    assert main([*synthetic_files, "map", "--out", str(tmp_path / "map.jpg")]) == 1


# --------------------------------------------------------------------------- browser


@needs_chromium
@pytest.mark.browser
def test_browser_shows_script_name_as_text(synthetic_reports):
    result = browser.probe(synthetic_reports["s1"])
    _assert_browser_clean(result)
    assert SCRIPT_NAME in result["text"]
    assert "Lyon & <b>Co</b>" in result["text"]
    assert not any("alert" in s for s in result["scripts"])
    assert result["title"] == f"Town twinning: {SCRIPT_NAME} (Belgium)"


@needs_chromium
@pytest.mark.browser
def test_probe_detects_external_requests(tmp_path):
    """The harness itself: a page that tries to load from the network is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="https://cdn.example.com/x.css"></head>'
        '<body><img src="http://example.com/x.png" alt="x">'
        '<script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    result = browser.probe(page)
    blocked = result["resources"] + result["errors"]
    assert any("example.com" in r for r in blocked)
    assert result["console"] == ["error: boom"]
    assert [im["naturalWidth"] for im in result["images"]] == [0]


@needs_chromium
@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("which", ["europe", "town", "town_fr"])
def test_browser_bundled_report(bundled_reports, which, tmp_path):
    path = bundled_reports[which]
    html = path.read_text(encoding="utf-8")
    _assert_self_contained(html)
    result = browser.probe(path)
    _assert_browser_clean(result)
    assert len(result["images"]) >= (3 if which == "europe" else 1)
    for text in CREDIT_TEXTS_FR if which == "town_fr" else CREDIT_TEXTS:
        assert text in result["text"]
    shot = browser.screenshot(path, tmp_path / "shot.png", window=(1280, 2400))
    _assert_not_blank(shot)
    if which == "europe":
        pdf = browser.print_pdf(path, tmp_path / "report.pdf")
        # a page per section at least
        assert browser.pdf_pages(pdf) >= html.count("<section id=")


@pytest.mark.slow
def test_bundled_report_sections(bundled_reports):
    html = bundled_reports["europe"].read_text(encoding="utf-8")
    for sid in ("summary", "overview", "maps", "reach", "gaps", "groups", "glossary", "about"):
        assert f'<section id="{sid}"' in html
    town_html = bundled_reports["town"].read_text(encoding="utf-8")
    for sid in ("summary", "overview", "partners", "maps", "candidates", "plan", "glossary"):
        assert f'<section id="{sid}"' in town_html


@pytest.mark.slow
def test_bundled_town_report_reads_as_words(bundled_reports):
    """Cieszyn: next steps name the best candidates, groups are named by European towns,
    tables show names where ids were, and the plan has its own map."""
    import warnings

    data = tg.load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.DataWarning)
        best = tg.rank_partners(data, "PL-cieszyn", n=3, call=tg.latest_call())
    html = bundled_reports["town"].read_text(encoding="utf-8")
    summary = html.split('<section id="summary"', 1)[1].split("</section>", 1)[0]
    for name in best["name"]:
        assert name in summary
    groups = html.split('<section id="groups"', 1)[1].split("</section>", 1)[0]
    assert "Guanajuato" not in groups and "Lanzhou" not in groups
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    ids = [c for c in cells if re.fullmatch(r"[A-Z]{2}-[a-z0-9-]+", c)]
    assert ids == [], ids[:5]
    plan = html.split('<section id="plan"', 1)[1].split("</section>", 1)[0]
    assert 'alt="Map of the network proposed around Cieszyn"' in plan
