"""The report's candidate lists: reasons that name their towns in every language, the mark
on candidates whose eligibility is unconfirmed, a spread over countries, words in the
report's language, whole-km distances and the data caveat said once.

Expected strings are worked out by hand from the synthetic network of ``test_report.py``
(eight towns in six countries; links s1-f1, s1-d1, s1-p1, f1-d1, f1-f2, d1-d2, p1-i1,
f2-i1, d2-p1, x1-f2, x1-i1), here with a Serbian town r1 (Novi Sad) twinned with f1 and d1.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from test_report import SCRIPT_NAME, make_synthetic  # noqa: E402

import twinning_graph as tg  # noqa: E402
from twinning_graph._errors import ValidationError  # noqa: E402
from twinning_graph.cli import main  # noqa: E402
from twinning_graph.report import build_report  # noqa: E402
from twinning_graph.report._call import call_facts  # noqa: E402
from twinning_graph.report._context import Builder, resolve_scope  # noqa: E402
from twinning_graph.report._coverage import DATA_NAMES, data_name  # noqa: E402
from twinning_graph.report._i18n import get_lang  # noqa: E402
from twinning_graph.report._reasons import candidate_reasons, shared_names  # noqa: E402

MARK = {
    "en": "(⚠ eligibility unconfirmed)",
    "fr": "(⚠ éligibilité non confirmée)",
    "de": "(⚠ Teilnahme nicht bestätigt)",
}


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance, written out here (mean Earth radius 6,371.0088 km)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _text(html: str, section: str) -> str:
    body = re.search(rf'<section id="{section}"[^>]*>(.*?)</section>', html, re.S)
    assert body is not None, section
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.group(1))).replace("&lt;", "<")


def _builder(data: tg.TwinningData, tmp_path: Path, lang: str, call=None) -> Builder:
    return Builder(
        data,
        resolve_scope(data, "s1"),
        tmp_path / "x.html",
        rows=15,
        seed=0,
        broker_sample=None,
        strict=False,
        progress=None,
        lang=get_lang(lang),
        call=call_facts(call),
    )


def with_serbia() -> tg.TwinningData:
    """The synthetic network plus Novi Sad (RS, 250,000), twinned with f1 and d1."""
    base = make_synthetic()
    towns = base.towns.reset_index()[["town_id", "name", "country", "lat", "lon", "population"]]
    towns = pd.concat(
        [
            towns,
            pd.DataFrame(
                {
                    "town_id": ["r1"],
                    "name": ["Novi Sad"],
                    "country": ["RS"],
                    "lat": [45.25],
                    "lon": [19.85],
                    "population": [250000],
                }
            ),
        ],
        ignore_index=True,
    )
    links = base.partnerships[["town_a", "town_b", "kind", "since"]]
    extra = pd.DataFrame(
        {
            "town_a": ["r1", "r1"],
            "town_b": ["f1", "d1"],
            "kind": ["twinning"] * 2,
            "since": [1990] * 2,
        }
    )
    return tg.load(towns=towns, partnerships=pd.concat([links, extra], ignore_index=True))


@pytest.fixture(scope="module")
def synthetic() -> tg.TwinningData:
    return make_synthetic()


@pytest.fixture(scope="module")
def serbian(tmp_path_factory) -> dict[str, str]:
    """Reports on s1 (BE) under the latest call (CERV 2026 NT: Serbia unconfirmed)."""
    data = with_serbia()
    d = tmp_path_factory.mktemp("serbia")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            lang: build_report(
                data, scope="s1", path=d / f"{lang}.html", broker_sample=None, lang=lang
            ).read_text(encoding="utf-8")
            for lang in ("en", "fr", "de")
        }


# --------------------------------------------------------------------------- 1. names


def _ranked_row(data: tg.TwinningData) -> pd.DataFrame:
    """A ranking row for Görlitz (d2) as the ranking gives it: score terms, no names."""
    t = data.towns
    return pd.DataFrame(
        {
            "name": ["Görlitz"],
            "country": ["DE"],
            "lat": [t.lat["d2"]],
            "lon": [t.lon["d2"]],
            "distance_km": [_km((t.lat["s1"], t.lon["s1"]), (t.lat["d2"], t.lon["d2"]))],
            "common_partners": [2],
            "partner_paths": [1.0],
            "nearby_10km": [0.0],
            "nearby_50km": [0.2],
            "nearby_150km": [1.0],
            "distance_in_country": [0.0],
            "country_pair": [0.0],
            "size": [0.0],
            "centrality": [0.0],
            "same_name": [0.0],
            "new_country": [1.0],
            "gap": [0.0],
            "in_network": [True],
            "partners": [2],
        },
        index=pd.Index(["d2"], name="town_id"),
    )


def test_reasons_name_the_shared_partners_the_path_and_the_nearby_pair(synthetic, tmp_path):
    t = synthetic.towns
    km = {i: _km((t.lat["s1"], t.lon["s1"]), (t.lat[i], t.lon[i])) for i in ("d1", "d2")}
    # nearby on the 150 km scale: towns within 450 km of s1 are s1 and d1 (Köln, 184 km);
    # of d2 (Görlitz): d2, p1 (Łódź) and x1 (Vienna). Links between the two sides, not to
    # s1 on the far side: s1-p1 (0 km + Görlitz-Łódź) and d1-d2 (Brussels-Köln + 0 km);
    # the closer one is d1-d2, so "twinned with Köln, 184 km from the town".
    d_lodz = _km((t.lat["d2"], t.lon["d2"]), (t.lat["p1"], t.lon["p1"]))
    assert km["d1"] < d_lodz < 450
    b = _builder(synthetic, tmp_path, "en")
    (why,) = candidate_reasons(b, _ranked_row(synthetic))
    # shared: N(s1) = {f1, d1, p1}, N(d2) = {d1, p1}: Köln and Łódź (3 partners each, by id);
    # paths: a partner of s1 twinned with a partner of d2: only f1 (Lyon) - d1 (Köln)
    assert why == (
        "shares 2 partners: Köln (Germany) and Łódź (Poland); "
        f"{SCRIPT_NAME}'s partner Lyon & <b>Co</b> (France) is twinned with Köln (Germany), "
        "a partner of Görlitz; "
        f"twinned with Köln (Germany), {km['d1']:,.0f} km from {SCRIPT_NAME}; "
        f"{km['d2']:,.0f} km; adds a new country (Germany)"
    )
    (fr,) = candidate_reasons(_builder(synthetic, tmp_path, "fr"), _ranked_row(synthetic))
    assert fr.startswith("2 partenaires communs : Köln (Allemagne) et Łódź (Pologne)")
    assert (
        f"Lyon & <b>Co</b> (France), partenaire de {SCRIPT_NAME}, est jumelée avec Köln "
        "(Allemagne), partenaire de Görlitz" in fr
    )
    assert f"jumelée avec Köln (Allemagne), à {km['d1']:.0f} km de {SCRIPT_NAME}" in fr
    (de,) = candidate_reasons(_builder(synthetic, tmp_path, "de"), _ranked_row(synthetic))
    assert de.startswith("2 gemeinsame Partnerstädte: Köln (Deutschland) und Łódź (Polen)")
    assert f"Partnerstadt von Köln (Deutschland), {km['d1']:.0f} km von {SCRIPT_NAME}" in de


def test_more_shared_partners_than_named(tmp_path):
    """Novi Sad twinned with all three partners of s1 (f1, d1, p1; four partners each, so
    by id): two named, the third counted."""
    base = with_serbia()
    links = pd.concat(
        [
            base.partnerships[["town_a", "town_b", "kind", "since"]],
            pd.DataFrame(
                {"town_a": ["r1"], "town_b": ["p1"], "kind": ["twinning"], "since": [1999]}
            ),
        ]
    )
    data = tg.load(towns=base.towns.reset_index().drop(columns=["eu"]), partnerships=links)
    en = shared_names(_builder(data, tmp_path, "en"), "s1", "r1")
    assert en == "shares 3 partners: Köln (Germany), Lyon & <b>Co</b> (France) and 1 more"
    fr = shared_names(_builder(data, tmp_path, "fr"), "s1", "r1")
    assert fr == "3 partenaires communs : Köln (Allemagne), Lyon & <b>Co</b> (France) et 1 autre"
    assert shared_names(_builder(data, tmp_path, "en"), "s1", "x1") == ""


def test_a_nearby_pair_through_the_town_itself(synthetic, tmp_path):
    """Köln (d1) is a partner of s1; for a candidate next to Köln the nearby pair is s1-d1:
    "the town's partner Köln is N km from the candidate"."""
    t = synthetic.towns
    row = _ranked_row(synthetic).assign(
        name="Bonn",
        lat=50.73,
        lon=7.10,
        common_partners=0,
        partner_paths=0.0,
        nearby_10km=0.0,
        nearby_50km=1.5,
        nearby_150km=1.0,
        new_country=0.0,
    )
    # 50 km scale: within 150 km of s1 only s1 itself; within 150 km of Bonn only Köln
    assert _km((t.lat["s1"], t.lon["s1"]), (t.lat["d1"], t.lon["d1"])) > 150
    d = _km((50.73, 7.10), (t.lat["d1"], t.lon["d1"]))
    (why,) = candidate_reasons(_builder(synthetic, tmp_path, "en"), row)
    assert why.startswith(f"{SCRIPT_NAME}'s partner Köln (Germany) is {d:.0f} km from Bonn; ")


def test_report_reasons_name_towns_in_every_language(serbian):
    # Novi Sad (r1) is twinned with f1 and d1, both partners of s1: two shared partners,
    # Köln (3 partners + r1 = 4) and Lyon (s1, d1, f2, r1 = 4): by id d1 before f1
    for lang, words in {
        "en": "shares 2 partners: Köln (Germany) and Lyon & <b>Co</b> (France)",
        "fr": "2 partenaires communs : Köln (Allemagne) et Lyon & <b>Co</b> (France)",
        "de": "2 gemeinsame Partnerstädte: Köln (Deutschland) und Lyon & <b>Co</b> (Frankreich)",
    }.items():
        html = serbian[lang].replace("&amp;", "&").replace("&gt;", ">")
        assert words in _text(html, "candidates"), lang
        assert words in _text(html, "summary"), lang
        assert "1 shared partner" not in html and "partner_paths" not in html


# --------------------------------------------------------------------------- 2. marks


def test_unconfirmed_candidates_are_marked_with_one_explanation(serbian):
    facts = call_facts("latest")
    assert facts.id == "CERV-2026-CITIZENS-TOWN-NT"
    note = {
        "en": "⚠ Eligibility unconfirmed: the sources this version relies on do not confirm "
        "that towns of Serbia may take part in CERV-2026-CITIZENS-TOWN-NT;",
        "fr": "⚠ Éligibilité non confirmée : les sources sur lesquelles repose cette version "
        "ne confirment pas que les villes des pays suivants peuvent participer à l’appel "
        "CERV-2026-CITIZENS-TOWN-NT : Serbie.",
        "de": "⚠ Teilnahme nicht bestätigt: Die Quellen dieser Version bestätigen nicht, dass "
        "Städte aus folgenden Ländern an CERV-2026-CITIZENS-TOWN-NT teilnehmen dürfen: "
        "Serbien.",
    }
    country = {"en": "Serbia", "fr": "Serbie", "de": "Serbien"}
    for lang, html in serbian.items():
        cand = _text(html, "candidates")
        # the table: the name cell carries the mark, the note under it explains it once
        assert f"<td>Novi Sad {MARK[lang]}</td>" in html, lang
        assert cand.count(note[lang]) == 1, lang
        # the first page: Novi Sad, with its two shared partners, is among the first three
        first = _text(html, "summary")
        assert f"Novi Sad ({country[lang]}) {MARK[lang]}" in first, lang
        assert first.count(note[lang]) == 1, lang
        # no unmarked mention of Novi Sad as a candidate: every "Novi Sad (Country)" that
        # is followed by ":" (a step item) carries the mark
        assert f"Novi Sad ({country[lang]}):" not in first
        assert f"Novi Sad ({country[lang]}) :" not in first


def test_no_mark_without_an_unconfirmed_country_or_without_a_call(synthetic, tmp_path):
    # the synthetic towns are all in EU Member States (confirmed for every call); with no
    # call there is no eligibility to mark (``eligible`` is "n/a")
    for name, data, call in (("eu", synthetic, "latest"), ("none", with_serbia(), None)):
        html = build_report(
            data, scope="s1", path=tmp_path / f"{name}.html", broker_sample=None, call=call
        ).read_text(encoding="utf-8")
        assert MARK["en"] not in html and "Eligibility unconfirmed" not in html, name


# --------------------------------------------------------------------------- 3. spread


def test_candidates_spread_over_countries(tmp_path):
    data = with_serbia()
    out = build_report(
        data, scope="s1", path=tmp_path / "one.html", broker_sample=None, per_country=1
    )
    csv = pd.read_csv(tmp_path / "one_candidates.csv")
    assert csv["country"].value_counts().max() == 1
    html = out.read_text(encoding="utf-8")
    assert "At most 1 town per country is listed" in _text(html, "candidates")
    out = build_report(
        data, scope="s1", path=tmp_path / "three.html", broker_sample=None, lang="fr"
    )
    assert "Au plus 3 villes par pays sont listées" in _text(out.read_text("utf-8"), "candidates")
    out = build_report(
        data, scope="s1", path=tmp_path / "all.html", broker_sample=None, per_country=None
    )
    assert "per country" not in _text(out.read_text("utf-8"), "candidates")
    with pytest.raises(ValidationError, match="per_country must be an integer >= 1"):
        build_report(data, scope="s1", path=tmp_path / "bad.html", per_country=0)


def test_cli_report_per_country(synthetic, tmp_path, capsys):
    t = tmp_path / "towns.csv"
    synthetic.towns.drop(columns=["eu"]).reset_index().to_csv(t, index=False)
    p = tmp_path / "links.csv"
    synthetic.partnerships.to_csv(p, index=False)
    out = tmp_path / "r.html"
    args = ["--towns", str(t), "--partnerships", str(p)]
    assert main([*args, "report", "--town", "s1", "--out", str(out), "--per-country", "1"]) == 0
    csv = pd.read_csv(tmp_path / "r_candidates.csv")
    assert csv["country"].value_counts().max() == 1
    assert "At most 1 town per country is listed" in out.read_text("utf-8")


# --------------------------------------------------------------------------- 4. words


def test_header_nav_and_credits_in_the_reports_language(serbian):
    fr, de = serbian["fr"], serbian["de"]
    assert 'aria-label="Sommaire"' in fr and 'aria-label="Inhalt"' in de
    assert 'aria-label="Contents"' in serbian["en"]
    assert "Contributeurs de Wikidata (CC0)" in fr and "Wikidata-Mitwirkende (CC0)" in de
    for html in (fr, de):
        assert "Wikidata contributors" not in html
        assert "user data" not in html
    assert "(vos données)" in fr and "(Ihre Daten)" in de


def test_the_bundled_datas_name_is_translated():
    name = tg.load().name  # the name the loader gives the bundled data
    assert name in DATA_NAMES
    assert data_name(tg.load(), get_lang("fr")) == (
        "données fournies avec twinning-graph : jumelages Wikidata de 2017, avec des liens de 2021"
    )
    assert "bundled" not in data_name(tg.load(), get_lang("de"))


def test_singular_and_plural_agree():
    en, fr, de = get_lang("en"), get_lang("fr"), get_lang("de")
    assert en.plural("fact.partners.hint", 1) == "partner town"
    assert de.plural("fact.partners.hint", 1) == "Partnerstadt"
    assert de.plural("fact.partners.hint", 2) == "Partnerstädte"
    assert fr.plural("fact.partners.hint", 1) == "ville partenaire"
    assert en.plural("step.call.eu", 1) == "1 of them in an EU Member State"
    assert en.plural("step.call.eu", 2) == "2 of them EU Member States"
    assert fr.plural("step.call.eu", 1) == "1 État membre de l’UE"
    assert de.plural("step.call.eu", 1) == "1 EU-Mitgliedstaat"


def test_a_town_with_one_partner_says_partner_town_in_german(tmp_path):
    data = with_serbia()
    # x1 (AT) has two partners (f2, i1); a town with one: none in the network, so link a
    # new one to s1 only
    towns = data.towns.reset_index()[["town_id", "name", "country", "lat", "lon", "population"]]
    towns = pd.concat(
        [
            towns,
            pd.DataFrame(
                {
                    "town_id": ["n1"],
                    "name": ["Namur"],
                    "country": ["BE"],
                    "lat": [50.47],
                    "lon": [4.87],
                    "population": [110000],
                }
            ),
        ]
    )
    links = pd.concat(
        [
            data.partnerships[["town_a", "town_b", "kind", "since"]],
            pd.DataFrame(
                {"town_a": ["n1"], "town_b": ["f1"], "kind": ["twinning"], "since": [2000]}
            ),
        ]
    )
    one = tg.load(towns=towns, partnerships=links)
    html = build_report(
        one, scope="n1", path=tmp_path / "n1.html", broker_sample=None, lang="de"
    ).read_text("utf-8")
    assert re.search(r"<dd>1</dd><span class=\"hint\">Partnerstadt</span>", html)
    assert "1 Partnerstädte" not in html


# --------------------------------------------------------------------------- 5. km, caveat


def test_distances_in_whole_km_and_the_caveat_said_once(serbian, synthetic):
    html = serbian["en"]
    t = with_serbia().towns
    d = _km((t.lat["s1"], t.lon["s1"]), (t.lat["r1"], t.lon["r1"]))
    # Novi Sad's row: its distance in whole km (no decimals)
    row = re.search(r"<td>Novi Sad [^<]*</td><td>Serbia</td><td class=\"num\">([^<]+)</td>", html)
    assert row is not None and row.group(1) == f"{d:,.0f}"
    # the full caveat once (first page), a short reference to it in every other section
    assert html.count("9 towns, 13 partnerships") == 1
    assert html.count("Partnerships made or ended since May") <= 1
    notes = re.findall(r'<p class="data-note">(.*?)</p>', html, re.S)
    assert len(notes) >= 6
    brief = [n for n in notes if "what they miss is said under “In short”" in n]
    assert len(brief) == len(notes) - 1
