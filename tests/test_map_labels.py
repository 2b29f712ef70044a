"""Town maps drawn as the report draws them: every name placed, off-frame candidates named,
one legend entry per symbol, legend words replaceable (Agg backend; artists read back)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import twinning_graph as tg  # noqa: E402
from twinning_graph import _style  # noqa: E402
from twinning_graph._errors import ValidationError  # noqa: E402
from twinning_graph.plot import MAP_TEXTS, plot_map  # noqa: E402
from twinning_graph.plot._basemap import project  # noqa: E402

# Coordinates from GeoNames (as bundled). The report maps a town's own links only (its
# partners) and passes the ranked candidates with their coordinates.
PLACES = pd.DataFrame(
    [
        ("PL-cieszyn", "Cieszyn", "PL", 49.7500, 18.6333),
        ("CZ-cesky-tesin", "Český Těšín", "CZ", 49.7461, 18.6262),
        ("SK-roznava", "Rožňava", "SK", 48.6667, 20.5333),
        ("PL-puck", "Puck", "PL", 54.7179, 18.4084),
        ("CH-lucerne", "Lucerne", "CH", 47.0497, 8.3000),
        ("BE-genk", "Genk", "BE", 50.9500, 5.5000),
        ("BG-balchik", "Balchik", "BG", 43.4078, 28.1622),
        ("FI-teuva", "Teuva", "FI", 62.4861, 21.7472),
        ("HU-szerencs", "Szerencs", "HU", 48.1622, 21.2050),
        ("RS-backa-topola", "Bačka Topola", "RS", 45.8089, 19.6350),
        ("CZ-karvina", "Karviná", "CZ", 49.8542, 18.5428),
        ("CZ-havirov", "Havířov", "CZ", 49.7778, 18.4228),
        ("CZ-orlova", "Orlová", "CZ", 49.8453, 18.4302),
        ("DK-aalborg", "Aalborg", "DK", 57.0500, 9.9167),
        ("CZ-bohumin", "Bohumín", "CZ", 49.9041, 18.3576),
        ("CZ-frydek-mistek", "Frýdek-Místek", "CZ", 49.6881, 18.3536),
        ("CZ-olomouc", "Olomouc", "CZ", 49.5961, 17.2603),
        ("SK-cadca", "Čadca", "SK", 49.4386, 18.7883),
        ("CZ-ostrava", "Ostrava", "CZ", 49.8356, 18.2925),
        ("DE-troisdorf", "Troisdorf", "DE", 50.8161, 7.1556),
        ("CZ-koprivnice", "Kopřivnice", "CZ", 49.5995, 18.1448),
        ("CZ-opava", "Opava", "CZ", 49.9381, 17.9044),
        ("CZ-hlucin", "Hlučín", "CZ", 49.8979, 18.1920),
        ("IE-ennis", "Ennis", "IE", 52.8463, -8.9807),
        ("US-phoenix", "Phoenix", "US", 33.5283, -112.0764),
        ("FR-quimper", "Quimper", "FR", 47.9958, -4.0978),
        ("FR-douarnenez", "Douarnenez", "FR", 48.0922, -4.3303),
        ("FR-lorient", "Lorient", "FR", 47.7458, -3.3664),
        ("FR-grenoble", "Grenoble", "FR", 45.1869, 5.7264),
        ("FR-concarneau", "Concarneau", "FR", 47.8753, -3.9189),
        ("FR-vannes", "Vannes", "FR", 47.6550, -2.7617),
        ("FR-landerneau", "Landerneau", "FR", 48.4508, -4.2494),
        ("FR-quimperle", "Quimperlé", "FR", 47.8728, -3.5497),
        ("FR-brest", "Brest", "FR", 48.3900, -4.4869),
        ("FR-pontivy", "Pontivy", "FR", 48.0686, -2.9628),
        ("FR-ploemeur", "Ploemeur", "FR", 47.7358, -3.4311),
        ("RO-suceava", "Suceava", "RO", 47.6514, 26.2556),
        ("FR-hennebont", "Hennebont", "FR", 47.8042, -3.2789),
        ("FR-laval", "Laval", "FR", 48.0728, -0.7700),
        ("FR-morlaix", "Morlaix", "FR", 48.5775, -3.8278),
    ],
    columns=["town_id", "name", "country", "lat", "lon"],
).set_index("town_id")

CIESZYN_PARTNERS = ["CZ-cesky-tesin", "SK-roznava", "PL-puck", "CH-lucerne", "BE-genk",
                    "BG-balchik", "FI-teuva"]  # fmt: skip
# the report's ranking of Cieszyn's candidates (rank_partners, n=15, latest call), in order
CIESZYN_CANDIDATES = ["HU-szerencs", "RS-backa-topola", "CZ-karvina", "CZ-havirov", "CZ-orlova",
                      "DK-aalborg", "CZ-bohumin", "CZ-frydek-mistek", "CZ-olomouc", "SK-cadca",
                      "CZ-ostrava", "DE-troisdorf", "CZ-koprivnice", "CZ-opava", "CZ-hlucin"]  # fmt: skip
ENNIS_CANDIDATES = ["FR-quimper", "FR-douarnenez", "FR-lorient", "FR-grenoble", "FR-concarneau",
                    "FR-vannes", "FR-landerneau", "FR-quimperle", "FR-brest", "FR-pontivy",
                    "FR-ploemeur", "RO-suceava", "FR-hennebont", "FR-laval", "FR-morlaix"]  # fmt: skip


def ego(town: str, partners: list[str]) -> tg.TwinningData:
    """The town and its partners, linked to it only (what the report's town map draws)."""
    towns = PLACES.loc[[town, *partners]].reset_index()
    links = pd.DataFrame({"town_a": [town] * len(partners), "town_b": partners})
    return tg.load(towns=towns, partnerships=links)


def ranking(ids: list[str]) -> pd.DataFrame:
    """A ranking as rank_partners gives it: town_id, name, country, lat, lon and a score."""
    frame = PLACES.loc[ids].reset_index()
    return frame.assign(score=np.linspace(1.0, 0.1, len(ids)))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cieszyn():
    return ego("PL-cieszyn", CIESZYN_PARTNERS)


@pytest.fixture(scope="module")
def ennis():
    return ego("IE-ennis", ["US-phoenix"])


def drawn_labels(ax) -> dict:
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    # the text box only (an annotation's own extent includes its leader line)
    return {
        t.get_text(): Text.get_window_extent(t, renderer)
        for t in ax.texts
        if t.get_gid() == "labels"
    }


def collection(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def assert_inside_and_apart(ax, boxes: dict) -> None:
    frame = ax.get_window_extent()
    for text, box in boxes.items():
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, text
    items = list(boxes.items())
    for i, (ta, a) in enumerate(items):
        for tb, b in items[i + 1 :]:
            assert not a.overlaps(b), (ta, tb)


# ------------------------------------------------------------------------- Cieszyn (crowded)
def test_cieszyn_report_map_names_every_partner_and_every_candidate(cieszyn):
    ax = plot_map(cieszyn, highlight="PL-cieszyn", candidates=ranking(CIESZYN_CANDIDATES))
    boxes = drawn_labels(ax)
    partners = {"Český Těšín", "Rožňava", "Puck", "Lucerne", "Genk", "Balchik", "Teuva"}
    candidates = {f"{k}. {PLACES.loc[t, 'name']}" for k, t in enumerate(CIESZYN_CANDIDATES, 1)}
    assert "13. Kopřivnice" in candidates
    assert {"Cieszyn"} | partners | candidates == set(boxes)
    assert_inside_and_apart(ax, boxes)


def test_partner_under_the_star_is_displaced_past_the_crowding_candidates(cieszyn):
    ax = plot_map(cieszyn, highlight="PL-cieszyn", candidates=ranking(CIESZYN_CANDIDATES))
    ax.figure.canvas.draw()
    moved = collection(ax, "displaced")
    to_pt = 72 / ax.figure.dpi
    at = ax.transData.transform(moved.get_offsets())[0]
    star = ax.transData.transform(collection(ax, "highlight").get_offsets())[0]
    star_r = np.sqrt(_style.HIGHLIGHT.size) / 2
    assert np.hypot(*(at - star)) * to_pt > star_r  # clear of the star
    # and clear of every candidate diamond (radius sqrt(70)/2 pt, the dot's about 3 pt)
    diamonds = ax.transData.transform(collection(ax, "candidates").get_offsets())
    gaps = np.hypot(*(diamonds - at).T) * to_pt
    assert gaps.min() > np.sqrt(_style.CANDIDATE.size) / 2 + 3
    leader = [ln for ln in ax.lines if ln.get_gid() == "displaced_leader"]
    assert len(leader) == 1
    start = (leader[0].get_xdata()[0], leader[0].get_ydata()[0])
    np.testing.assert_allclose(start, np.ravel(project(18.6262, 49.7461)))  # Český Těšín


def test_legend_has_an_entry_for_each_symbol_of_the_cieszyn_map(cieszyn):
    ax = plot_map(cieszyn, highlight="PL-cieszyn", candidates=ranking(CIESZYN_CANDIDATES))
    texts = legend_texts(ax)
    # star, ringed partner, red partner link, diamond, dashed line; every link touches
    # Cieszyn so there is no "other link" entry; no name at the frame edge
    assert texts[:5] == [
        "Cieszyn (7 partners)",
        "partner (fill: its country)",
        "link of Cieszyn",
        "ranked candidates (15; fill: country)",
        "line to a candidate",
    ]
    assert not any(t.startswith(("other link", "link (", "→ off")) for t in texts)
    handles = ax.get_legend().legend_handles
    assert handles[2].get_linestyle() == "-" and handles[2].get_color() == _style.HIGHLIGHT.color
    assert handles[4].get_linestyle() == "--"
    assert handles[1].get_marker() == "o" and handles[3].get_marker() == _style.CANDIDATE.marker
    # Cieszyn (PL) is the star; Puck keeps Poland in the legend
    assert any("Poland" in t for t in texts)


# ------------------------------------------------------------------------- Ennis (off frame)
def test_off_frame_candidate_named_at_the_edge_and_its_country_in_the_legend(ennis):
    ax = plot_map(ennis, highlight="IE-ennis", candidates=ranking(ENNIS_CANDIDATES))
    x0, x1 = ax.get_xlim()
    x_suceava, _ = project(26.2556, 47.6514)
    assert x_suceava > x1  # Suceava lies east of the window
    boxes = drawn_labels(ax)
    suceava = [t for t in boxes if "Suceava" in t]
    # Ennis → Suceava heads east (the arc bends north, so it may leave slightly rising/falling)
    assert len(suceava) == 1 and suceava[0][:-2] == "12. Suceava (RO)"
    assert suceava[0][-1] in "→↗↘"
    frame = ax.get_window_extent()
    assert frame.x1 - boxes[suceava[0]].x1 < 20  # against the right edge
    # a small diamond in Romania's colour where the dashed line leaves, inside the frame
    exits = collection(ax, "candidate_exits")
    assert tuple(exits.get_facecolors()[0]) == to_rgba(_style.country_color("RO"))
    ex = ax.transData.transform(exits.get_offsets())[0]
    assert frame.x0 < ex[0] < frame.x1 and frame.y0 < ex[1] < frame.y1
    texts = legend_texts(ax)
    assert "Romania" in texts and "France" in texts
    assert "Ireland" not in texts  # Ennis is drawn as the star only
    everyone = {f"{k}. {PLACES.loc[t, 'name']}" for k, t in enumerate(ENNIS_CANDIDATES, 1)}
    everyone = (everyone - {"12. Suceava"}) | {"Ennis", suceava[0]}
    phoenix = [t for t in boxes if "Phoenix (US)" in t]
    assert len(phoenix) == 1
    assert set(boxes) == everyone | set(phoenix)
    assert_inside_and_apart(ax, boxes)


def test_legend_of_the_ennis_map(ennis):
    ax = plot_map(ennis, highlight="IE-ennis", candidates=ranking(ENNIS_CANDIDATES))
    texts = legend_texts(ax)
    # the only partner (Phoenix) is off the map: no ringed-dot entry, but its red line shows
    assert texts[:5] == [
        "Ennis (1 partner)",
        "link of Ennis",
        "ranked candidates (15; fill: country)",
        "line to a candidate",
        "→ off the map: named at the edge",
    ]
    assert "partner (fill: its country)" not in texts


# ------------------------------------------------------------------------- texts=
GERMAN = {
    "title_country": "Orte nach Land",
    "title_size_partners": "Größe: Partner",
    "highlight": "{name} ({n} Partner)",
    "highlight_one": "{name} (1 Partner)",
    "partner": "Partner (Füllung: sein Land)",
    "partner_link": "Verbindung von {name}",
    "ranked_candidates": "Kandidaten nach Rang ({n}; Füllung: Land)",
    "candidate_link": "Linie zu einem Kandidaten",
    "other_links": "andere Verbindung ({n} gezeichnet)",
    "off_map": "→ außerhalb der Karte: am Rand benannt",
    "country.FR": "Frankreich",
    "country.RO": "Rumänien",
}


def test_texts_replace_every_legend_word(ennis):
    ax = plot_map(ennis, highlight="IE-ennis", candidates=ranking(ENNIS_CANDIDATES), texts=GERMAN)
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Orte nach Land, Größe: Partner"
    assert legend_texts(ax) == [
        "Ennis (1 Partner)",
        "Verbindung von Ennis",
        "Kandidaten nach Rang (15; Füllung: Land)",
        "Linie zu einem Kandidaten",
        "→ außerhalb der Karte: am Rand benannt",
        "Frankreich",
        "Rumänien",
    ]


def test_texts_default_is_english_and_bad_texts_list_every_problem(ennis):
    assert MAP_TEXTS["partner"] == "partner (fill: its country)"
    bad = {"partnr": "x", "highlight": "{name} ({count})", "candidate_link": 3}
    with pytest.raises(ValidationError, match=r"3 problem\(s\)") as err:
        plot_map(ennis, highlight="IE-ennis", texts=bad)
    message = str(err.value)
    assert "unknown key 'partnr'" in message
    assert "unknown field(s) ['count']" in message and "allowed: n, name" in message
    assert "'candidate_link': value must be a string, got int" in message


# ------------------------------------------------------------------------- no room for names
def test_candidates_without_room_are_numbered_and_listed_under_the_map():
    # 12 candidates within 3 km of each other on a small map of Europe: the full names
    # cannot all fit; each is either named, or numbered with its name listed under the map
    lat = 50.0 + np.repeat([0.0, 0.02, 0.04], 4)
    lon = 10.0 + np.tile([0.0, 0.03, 0.06, 0.09], 3)
    names = [f"Longername{k:02d}" for k in range(1, 13)]
    cands = pd.DataFrame({"town_id": [f"c{k}" for k in range(12)], "name": names,
                          "country": "DE", "lat": lat, "lon": lon})  # fmt: skip
    towns = pd.DataFrame({"town_id": ["h", "p"], "name": ["Home", "Faraway"],
                          "country": ["FR", "ES"], "lat": [48.0, 40.0], "lon": [2.0, -4.0]})  # fmt: skip
    data = tg.load(towns=towns, partnerships=pd.DataFrame({"town_a": ["h"], "town_b": ["p"]}))
    fig, ax = plt.subplots(figsize=(3.5, 3.5))
    plot_map(data, ax=ax, highlight="h", candidates=cands.assign(score=1.0), extent="europe")
    boxes = drawn_labels(ax)
    key = [t.get_text() for t in ax.texts if t.get_gid() == "label_key"]
    listed = key[0] if key else ""
    for k, name in enumerate(names, 1):
        full = f"{k}. {name}"
        assert full in boxes or (str(k) in boxes and full in listed), full
    assert any(str(k) in boxes for k in range(1, 13))  # the small map does need numbers
    assert_inside_and_apart(ax, boxes)
