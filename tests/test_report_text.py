"""The report's words: catalogues in every language, number and date formats, the call
adapter, the first page, the glossary, and the rule that an analysis error stops a report.

Expected values are worked out by hand from tiny networks built here (or in
``test_report.py``'s synthetic network of eight towns).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from test_report import SCRIPT_NAME, make_synthetic  # noqa: E402

import twinning_graph as tg  # noqa: E402
from twinning_graph import clusters, gaps  # noqa: E402
from twinning_graph._errors import UnknownCallError, ValidationError  # noqa: E402
from twinning_graph.calls import KINDS, check_eligibility  # noqa: E402
from twinning_graph.cli import main  # noqa: E402
from twinning_graph.report import _context, _i18n, build_report  # noqa: E402
from twinning_graph.report._call import RULES, STATUSES, call_facts, rule_checks, verdict  # noqa: E402
from twinning_graph.report._figures import consortium_map  # noqa: E402
from twinning_graph.report._glossary import TERMS  # noqa: E402
from twinning_graph.report._i18n import LANGUAGES, Lang, catalogue, get_lang, placeholders  # noqa: E402

REPORT_DIR = Path(_i18n.__file__).parent
IDS = {"s1", "f1", "f2", "d1", "d2", "p1", "i1", "x1"}


# --------------------------------------------------------------------------- HTML helpers


class _Sections(HTMLParser):
    """Text of each <section id=...>, the <th> and <td> texts, and the facts cards."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.th: list[str] = []
        self.td: list[str] = []
        self.facts: dict[str, str] = {}
        self.steps = 0
        self._sec: str | None = None
        self._cell: str | None = None
        self._buf = ""
        self._dt = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id"):
            self._sec = a["id"]
            self.text.setdefault(self._sec, "")
        if tag in ("th", "td", "dt", "dd"):
            self._cell, self._buf = tag, ""
        if tag == "li" and self._sec == "summary":
            self.steps += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self._cell:
            t = self._buf.strip()
            if tag == "th":
                self.th.append(t)
            elif tag == "td":
                self.td.append(t)
            elif tag == "dt":
                self._dt = t
            else:
                self.facts[self._dt] = t
            self._cell = None
        if tag == "section":
            self._sec = None

    def handle_data(self, data: str) -> None:
        if self._cell:
            self._buf += data
        if self._sec:
            self.text[self._sec] += data


def _parse(path: Path) -> _Sections:
    p = _Sections()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance, written out here (mean Earth radius 6,371.0088 km)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def synthetic() -> tg.TwinningData:
    return make_synthetic()


@pytest.fixture
def synthetic_files(synthetic, tmp_path) -> list[str]:
    t = tmp_path / "towns.csv"
    synthetic.towns.drop(columns=["eu"]).reset_index().to_csv(t, index=False)
    p = tmp_path / "links.csv"
    synthetic.partnerships.to_csv(p, index=False)
    return ["--towns", str(t), "--partnerships", str(p)]


# --------------------------------------------------------------------------- catalogues


def test_every_key_and_placeholder_in_every_language():
    en = catalogue("en")
    own_only = ("in_text.",)  # language-specific forms, never taken from another language
    keys = {k for k in en if not k.startswith(own_only)}
    assert len(keys) > 300
    for code in LANGUAGES:
        cat = catalogue(code)
        mine = {k for k in cat if not k.startswith(own_only)}
        assert mine == keys, (code, sorted(keys ^ mine)[:10])
        for k in keys:
            assert placeholders(cat[k]) == placeholders(en[k]), (code, k)
            assert cat[k].strip() or k.startswith("_format."), (code, k)


def test_every_key_the_code_uses_exists():
    """Literal keys in the modules and the template, and every value of the dynamic ones."""
    en = catalogue("en")
    used: set[str] = set()
    for f in [*REPORT_DIR.glob("*.py"), REPORT_DIR / "templates" / "report.html"]:
        text = f.read_text(encoding="utf-8")
        used |= set(re.findall(r'\b(?:lang|language|t)\(\s*"([a-z_][\w.-]*)"', text))
        for key in re.findall(r'\blang\.plural\(\s*"([\w.-]+)"', text):
            used |= {f"{key}.one", f"{key}.other"}
    used |= {f"rule.{r}" for r in RULES}
    used |= {f"value.{p}.{s}" for p in ("status", "statuses") for s in STATUSES}
    used |= {f"glossary.{t}" for t in TERMS} | {f"glossary.{t}.text" for t in TERMS}
    used |= {f"verdict.{v}" for v in ("met", "met_unconfirmed", "met_call_unconfirmed", "not_met")}
    used |= {f"verdict_short.{v}" for v in ("met", "met_unconfirmed", "met_call_unconfirmed")}
    used |= {f"call.kind.{k}" for k in KINDS} | {f"subtitle.{k}" for k in ("europe", "town")}
    used |= {
        f"omitted.{c.key}"
        for c in (_context.NO_YEAR, _context.FEW_COUNTRIES, _context.NO_LINK, _context.NO_CANDIDATE)
    }
    assert len(used) > 150
    assert sorted(used - set(en)) == []


def test_formats_by_language():
    en, fr, de = get_lang("en"), get_lang("FR"), get_lang(" de ")
    assert en.number(1234567.891, 2) == "1,234,567.89"
    assert fr.number(1234567.891, 2) == "1\u202f234\u202f567,89"
    assert de.number(1234567.891, 2) == "1.234.567,89"
    assert [x.number(-0.2) for x in (en, fr, de)] == ["0", "0", "0"]
    assert [x.number(float("nan")) for x in (en, fr, de)] == ["–"] * 3
    assert (en.percent(0.257), fr.percent(0.257), de.percent(0.2571, 1)) == (
        "26%",
        "26\u00a0%",
        "25,7\u00a0%",
    )
    day = dt.date(2026, 4, 16)
    assert (en.date(day), fr.date(day), de.date(day)) == (
        "16 April 2026",
        "16 avril 2026",
        "16. April 2026",
    )
    assert en.join(["A", "B", "C"]) == "A, B and C"
    assert fr.join(["A", "B"]) == "A et B" and de.join(["A"]) == "A"
    assert (en.country("DE"), fr.country("DE"), de.country("DE")) == (
        "Germany",
        "Allemagne",
        "Deutschland",
    )
    assert en.place("NL") == "the Netherlands" and en.country("NL") == "Netherlands"
    assert fr.place("NL") == "Pays-Bas"  # never the English "the ..."
    assert en.country("ZZ") == "ZZ"
    # plural rules: French treats 0 and 1 as singular, English and German only 1
    assert en.plural("first.countries", 0) == "0 other countries"
    assert fr.plural("first.countries", 0) == "0 autre pays"
    assert de.plural("first.countries", 1) == "1 anderen Land"


def test_missing_message_falls_back_to_english_and_unknown_key_raises(monkeypatch):
    real = _i18n.catalogue

    def without_summary(code: str):
        cat = dict(real(code))
        if code == "fr":
            del cat["sec.summary"]
        return cat

    monkeypatch.setattr(_i18n, "catalogue", without_summary)
    assert Lang("fr")("sec.summary") == "In short"
    with pytest.raises(KeyError):
        Lang("en")("no.such.key")


def test_unknown_language():
    with pytest.raises(ValidationError, match=r"lang must be one of 'en', 'fr', 'de', got 'es'"):
        get_lang("es")


# --------------------------------------------------------------------------- the call adapter


def test_call_facts_statuses_and_link():
    assert call_facts(None) is None
    latest = call_facts("latest")
    assert latest.id == tg.latest_call().call
    nt25 = call_facts("CERV-2025-CITIZENS-TOWN-NT")  # its rule is confirmed in calls.csv
    assert [(r.rule, r.required) for r in nt25.rules] == [
        ("min_municipalities", 4),
        ("all_countries_eligible", 4),
        ("min_countries", 4),
        ("min_eu_states", 2),
    ]
    assert {r.status for r in nt25.rules} == {"confirmed"} and nt25.status == "confirmed"
    with pytest.warns(tg.DataWarning):
        nt23 = call_facts("CERV-2023-CITIZENS-TOWN-NT")  # marked unconfirmed in calls.csv
    # the consortium rules of 2023 are unconfirmed (docs/calls.md); towns must still be in
    # eligible countries (the programme's own rule)
    assert [r.status for r in nt23.rules] == [
        "unconfirmed",
        "confirmed",
        "unconfirmed",
        "unconfirmed",
    ]
    assert nt23.status == "unconfirmed"
    assert nt25.link.endswith("/topic-details/cerv-2025-citizens-town-nt")
    assert call_facts("EFC-2014-2020-TOWN-TWINNING").link is None
    assert nt25.deadline == dt.date(2025, 3, 27)  # calls_rules.csv, source easy.ee
    with pytest.raises(UnknownCallError, match="unknown call 'CERV-2099'"):
        call_facts("CERV-2099")
    with pytest.raises(ValidationError, match="call must be a call id"):
        call_facts(2025)  # type: ignore[arg-type]


def test_rule_checks_mark_an_unconfirmed_country():
    facts = call_facts("CERV-2025-CITIZENS-TOWN-NT")
    # FR, DE: EU; UA and RS are eligible in 2025 only on unconfirmed association
    with pytest.warns(tg.DataWarning):
        result = check_eligibility(["FR", "DE", "UA", "RS"], call=facts.call)
    checks = rule_checks(facts, result)
    assert checks[["rule", "passed", "status"]].values.tolist() == [
        ["min_municipalities", True, "confirmed"],
        ["all_countries_eligible", True, "unconfirmed"],
        ["min_countries", True, "confirmed"],
        ["min_eu_states", True, "confirmed"],
    ]
    assert verdict(checks) == "met_unconfirmed"
    assert facts.country_status(["FR", "UA", "US"]).tolist() == [
        "confirmed",
        "unconfirmed",
        "not eligible",
    ]
    three = rule_checks(facts, check_eligibility(["FR", "DE", "IT"], call=facts.call))
    assert verdict(three) == "not_met"
    assert three.set_index("rule")["passed"].to_dict() == {
        "min_municipalities": False,
        "all_countries_eligible": True,
        "min_countries": False,
        "min_eu_states": True,
    }


# --------------------------------------------------------------------------- reports


@pytest.fixture(scope="module")
def town_reports(synthetic, tmp_path_factory) -> dict[str, Path]:
    """The synthetic town s1 (BE) under a confirmed call, the latest call and no call, and
    in French and German."""
    d = tmp_path_factory.mktemp("text")
    out = {}
    for name, kwargs in {
        "nt25": {"call": "CERV-2025-CITIZENS-TOWN-NT"},
        "latest": {},
        "none": {"call": None},
        "fr": {"lang": "fr"},
        "de": {"lang": "de"},
    }.items():
        out[name] = build_report(
            synthetic, scope="s1", path=d / f"{name}.html", broker_sample=None, **kwargs
        )
    return out


def test_first_page_of_a_town(synthetic, town_reports):
    page = _parse(town_reports["nt25"])
    text = _words(page.text["summary"])
    # s1 (BE) is linked to f1 (FR), d1 (DE) and p1 (PL): three partners, all abroad
    assert f"{SCRIPT_NAME} has 3 partner towns, 3 of them abroad, in 3 other countries." in text
    t = synthetic.towns
    km = {i: _km((t.lat["s1"], t.lon["s1"]), (t.lat[i], t.lon[i])) for i in ("f1", "d1", "p1")}
    assert min(km, key=km.get) == "d1" and max(km, key=km.get) == "p1"
    assert (
        f"The nearest partner is Köln (Germany), {km['d1']:,.0f} km away; the farthest is "
        f"Łódź (Poland), {km['p1']:,.0f} km away." in text
    )
    assert page.steps == 3
    assert "CERV-2025-CITIZENS-TOWN-NT (Networks of Towns)" in text
    assert "meets every rule of the call, all of them confirmed" in text
    html = town_reports["nt25"].read_text(encoding="utf-8")
    assert 'href="' + call_facts("CERV-2025-CITIZENS-TOWN-NT").link + '"' in html


def test_eligibility_is_never_a_bare_yes(town_reports):
    confirmed, latest = _parse(town_reports["nt25"]), _parse(town_reports["latest"])
    facts = call_facts("latest")
    assert facts.status == "unconfirmed"  # the premise: calls.csv marks it so
    assert confirmed.facts["The call's rules"] == "met (confirmed)"
    # CERV 2026 NT: the number of municipalities is confirmed, the numbers of countries and of
    # EU Member States are not (docs/calls.md)
    assert latest.facts["The call's rules"] == "met, but some rules unconfirmed"
    assert latest.facts["Call"].startswith(facts.id)
    text = _words(latest.text["plan"])
    assert (
        "but these rules are unconfirmed: Number of eligible countries and Number of EU "
        "Member States" in text
    )
    # the rules table: each rule with its required and found numbers, met, and its status
    td = latest.td
    for name, required, status in (
        ("Number of municipalities", "4", "confirmed"),
        ("Every member in an eligible country", "4", "confirmed"),
        ("Number of eligible countries", "4", "unconfirmed"),
        ("Number of EU Member States", "2", "unconfirmed"),
    ):
        i = td.index(name)
        assert td[i + 1 : i + 5] == [required, "4", "yes", status], (name, td[i : i + 5])
    csv = pd.read_csv(town_reports["latest"].with_name("latest_plan_checks.csv"))
    assert csv["status"].tolist() == ["confirmed", "confirmed", "unconfirmed", "unconfirmed"]
    assert csv["rule"].tolist() == list(RULES)  # machine names stay in the CSV


def test_no_call_means_no_plan_and_no_filter(town_reports):
    html = town_reports["none"].read_text(encoding="utf-8")
    page = _parse(town_reports["none"])
    assert 'id="plan"' not in html
    assert "Towns of every country are listed (no call chosen)." in _words(page.text["candidates"])
    assert "This report checks no call." in _words(page.text["summary"])


@pytest.mark.parametrize(
    "which, lang, words, population",
    [
        ("fr", "fr", ("En bref", "Trois prochaines étapes", "Glossaire"), "180\u202f000"),
        ("de", "de", ("Auf einen Blick", "Drei nächste Schritte", "Glossar"), "180.000"),
    ],
)
def test_report_in_french_and_german(town_reports, which, lang, words, population):
    html = town_reports[which].read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    for w in words:
        assert w in html
    page = _parse(town_reports[which])
    assert page.facts[catalogue(lang)["fact.population"]] == population  # s1: 180,000
    assert "Belgium" not in html  # country names in the report's language


@pytest.mark.parametrize("which", ["nt25", "fr", "de"])
def test_tables_speak_words_not_machine_names(town_reports, which):
    page = _parse(town_reports[which])
    assert page.th, "no table"
    assert not [h for h in page.th if "_" in h or not h], page.th
    # town ids stay in the CSV files; the tables show names
    assert not [c for c in page.td if c in IDS]


def test_jargon_only_in_the_glossary(town_reports):
    page = _parse(town_reports["nt25"])
    jargon = ("Louvain", "betweenness", "p value", "p_value", "ratio_high", "min_eu_states")
    for sid, text in page.text.items():
        found = [j for j in jargon if j in text]
        if sid == "glossary":
            assert found, "the glossary explains the technical names"
        else:
            assert not found, (sid, found)


def test_data_date_and_coverage_where_figures_are_read(town_reports):
    html = town_reports["nt25"].read_text(encoding="utf-8")
    sections = re.findall(r'<section id="([^"]+)" class="section[^"]*">(.*?)</section>', html, re.S)
    assert len(sections) >= 7
    # the full note (source, size, coverage) once, on the first page; elsewhere a short
    # one naming the source and pointing to it
    assert html.count("8 towns, 11 partnerships") == 1  # the synthetic network's size
    for sid, body in sections:
        if sid in ("glossary", "about"):
            continue
        assert 'class="data-note"' in body, sid
        if sid == "summary":
            assert "8 towns, 11 partnerships" in body
        else:
            assert "what they miss is said under “In short”" in body, sid


def test_communities_are_named_by_european_members(tmp_path):
    """Synthetic: a star around Hubstadt (DE) with a populous partner in Mexico; the group is
    named by its European towns with most partners, not by its largest town."""
    towns = pd.DataFrame(
        {
            "town_id": ["h", "m", "a", "b", "c"],
            "name": ["Hubstadt", "Megacity", "Aville", "Bville", "Cville"],
            "country": ["DE", "MX", "AT", "BE", "FR"],
            "lat": [50.0, 19.4, 48.2, 50.8, 48.9],
            "lon": [8.0, -99.1, 16.4, 4.4, 2.3],
            "population": [50000, 9000000, 3000, 4000, 5000],
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["h", "h", "h", "h"],
            "town_b": ["m", "a", "b", "c"],
            "kind": ["twinning"] * 4,
        }
    )
    data = tg.load(towns=towns, partnerships=links)
    out = build_report(data, scope="europe", path=tmp_path / "r.html", broker_sample=None)
    table = pd.read_csv(out.with_name("r_communities.csv"))
    assert len(table) == 1
    assert table["largest_towns"].iloc[0].startswith("Megacity")
    # partners: Hubstadt 4, the others 1 each (then by name); Megacity is not European
    assert table["european_members"].iloc[0] == "Hubstadt; Aville; Bville"
    cells = _parse(out).td
    assert "Hubstadt; Aville; Bville" in cells
    assert not [c for c in cells if c.startswith("Megacity;")]


def test_consortium_map_draws_the_consortium(synthetic):
    import matplotlib.pyplot as plt

    ax = consortium_map(synthetic, "s1", pd.Index(["i1", "x1", "f2"]))
    try:
        by_gid = {c.get_gid(): c for c in ax.collections}
        assert len(by_gid["towns"].get_offsets()) == 4  # the members, not s1's partners
        assert len(by_gid["candidates"].get_offsets()) == 3
        assert "highlight" in by_gid
        labels = {t.get_text() for t in ax.texts}
        assert {"Torino", "Nîmes"} <= labels
        assert ax.get_legend() is None
    finally:
        plt.close(ax.figure)


# --------------------------------------------------------------------------- no scaffolding


def test_a_missing_analysis_function_stops_the_report(synthetic, tmp_path, monkeypatch):
    monkeypatch.delattr(gaps, "country_pair_gaps")
    with pytest.raises(AttributeError, match="country_pair_gaps"):
        build_report(synthetic, scope="FR", path=tmp_path / "r.html", broker_sample=None)


def test_an_analysis_error_is_not_swallowed(synthetic, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValidationError("a bug in brokers")

    monkeypatch.setattr(clusters, "brokers", broken)
    with pytest.raises(ValidationError, match="a bug in brokers"):
        build_report(synthetic, scope="europe", path=tmp_path / "r.html")


def test_documented_data_conditions_are_listed_in_words(synthetic, tmp_path):
    # every EU country of the synthetic network has fewer than 5 towns: no gap model
    out = build_report(synthetic, scope="europe", path=tmp_path / "r.html", broker_sample=None)
    about = _words(_parse(out).text["about"])
    assert "Gaps between countries: too few countries in the data to estimate" in about
    assert (
        "New partnerships per year (chart): no partnership in the data has a known year"
        not in about
    )
    with pytest.raises(ValidationError, match="country pairs to fit model"):
        build_report(
            synthetic, scope="europe", path=tmp_path / "s.html", broker_sample=None, strict=True
        )


def test_no_scaffolding_in_the_report_package():
    for f in REPORT_DIR.glob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert "import_module" not in text and "inspect." not in text, f.name
        assert "except (ImportError" not in text and "AttributeError" not in text, f.name


# --------------------------------------------------------------------------- CLI


def test_cli_report_call_and_lang(synthetic_files, tmp_path, capsys):
    out = tmp_path / "de.html"
    args = [*synthetic_files, "report", "--town", "s1", "--out", str(out)]
    assert main([*args, "--lang", "de", "--call", "none", "--broker-sample", "0"]) == 0
    html = out.read_text(encoding="utf-8")
    assert '<html lang="de">' in html and 'id="plan"' not in html
    capsys.readouterr()
    assert main([*args, "--call", "CERV-2025-CITIZENS-TOWN-NT", "--broker-sample", "0"]) == 0
    assert "CERV-2025-CITIZENS-TOWN-NT" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main([*args, "--call", "CERV-2099"]) == 1
    assert "unknown call 'CERV-2099'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*args, "--lang", "es"])


# --------------------------------------------------------------------------- browser


@pytest.mark.browser
@pytest.mark.parametrize("which", ["fr", "de"])
def test_translated_report_renders_cleanly(town_reports, which, tmp_path):
    import browser
    from test_report import _assert_browser_clean, _assert_not_blank

    if browser.find_chromium() is None:
        pytest.skip("headless chromium not found (apt-get install chromium)")
    result = browser.probe(town_reports[which])
    _assert_browser_clean(result)
    assert catalogue(which)["steps.title"] in result["text"]
    _assert_not_blank(browser.screenshot(town_reports[which], tmp_path / "first.png"))


@pytest.mark.parametrize("scope", ["europe", "FR", "s1", "x1"])
def test_three_next_steps_for_every_scope(synthetic, scope, tmp_path):
    out = build_report(synthetic, scope=scope, path=tmp_path / "r.html", broker_sample=None)
    page = _parse(out)
    assert page.steps == 3, _words(page.text["summary"])


@pytest.mark.parametrize(
    "deadline, words",
    [
        (dt.date(2999, 1, 1), "Deadline: 1 January 2999."),
        (dt.date(2000, 4, 16), "Its deadline (16 April 2000) has passed"),
        (None, "The deadline is not in the call data of this version"),
    ],
)
def test_deadline_in_the_call_step(synthetic, tmp_path, monkeypatch, deadline, words):
    """When the call data gives a deadline, the first page states it, or that it has passed."""
    import dataclasses

    from twinning_graph.report import _build

    facts = dataclasses.replace(call_facts("CERV-2025-CITIZENS-TOWN-NT"), deadline=deadline)
    monkeypatch.setattr(_build, "call_facts", lambda call: facts)
    out = build_report(synthetic, scope="FR", path=tmp_path / "r.html", broker_sample=None)
    assert words in _words(_parse(out).text["summary"])
