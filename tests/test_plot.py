"""Tests of twinning_graph.plot and its basemap (Agg backend, no display)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PatchCollection  # noqa: E402
from matplotlib.colors import LogNorm, to_rgba  # noqa: E402

import twinning_graph as tg  # noqa: E402
from twinning_graph import _style  # noqa: E402
from twinning_graph._errors import (  # noqa: E402
    DataWarning,
    UnknownCountryError,
    UnknownTownError,
    ValidationError,
)
from twinning_graph.plot import (  # noqa: E402
    _basemap,  # noqa: E402
    plot_country_matrix,
    plot_degree_distribution,
    plot_links_per_year,
    plot_map,
    plot_reach,
)
from twinning_graph.plot._basemap import (  # noqa: E402
    EARTH_RADIUS_M,
    great_circle_arcs,
    plot_basemap,
    project,
    resolve_extent,
)

# Five towns, five links (hand-checked below):
#   CH-e–IT-d 1970 twinning | DE-a–FR-b 1963 twinning | DE-a–PL-c 1991 twinning
#   FR-b–IT-d  ?   network  | IT-d–PL-c 2004 twinning
# degrees: DE-a 2, FR-b 2, PL-c 2, IT-d 3, CH-e 1
TOWNS = pd.DataFrame(
    {
        "town_id": ["DE-a", "FR-b", "PL-c", "IT-d", "CH-e"],
        "name": ["Aheim", "Bville", "Cowo", "Dino", "Ezell"],
        "country": ["DE", "FR", "PL", "IT", "CH"],
        "lat": [50.0, 47.0, 52.0, 43.0, 46.9],
        "lon": [8.0, 2.0, 19.0, 12.0, 7.4],
    }
)
PARTNERSHIPS = pd.DataFrame(
    {
        "town_a": ["DE-a", "DE-a", "FR-b", "PL-c", "IT-d"],
        "town_b": ["FR-b", "PL-c", "IT-d", "IT-d", "CH-e"],
        "kind": ["twinning", "twinning", "network", "twinning", "twinning"],
        "since": [1963, 1991, None, 2004, 1970],
    }
)


@pytest.fixture(scope="module")
def data():
    return tg.load(towns=TOWNS, partnerships=PARTNERSHIPS)


@pytest.fixture(autouse=True)
def _close_figures(monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("plt.show() must never be called by the library")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


def by_gid(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, f"expected one collection with gid {gid!r}, got {len(found)}"
    return found[0]


def n_arcs(ax):
    links = by_gid(ax, "links")
    assert isinstance(links, LineCollection)
    return len(links.get_segments())


# ---------------------------------------------------------------------------------- projection


def test_project_centre_is_origin():
    x, y = project(10, 52)
    assert (float(x), float(y)) == (0.0, 0.0)


def test_project_radial_distance_on_central_meridian():
    # LAEA keeps directions from the centre and maps angular distance c to 2 R sin(c / 2)
    x, y = project(10.0, 62.0)
    assert float(x) == pytest.approx(0.0, abs=1e-6)
    assert float(y) == pytest.approx(2 * EARTH_RADIUS_M * np.sin(np.radians(10.0) / 2))
    x, y = project(10.0, 42.0)
    assert float(y) == pytest.approx(-2 * EARTH_RADIUS_M * np.sin(np.radians(10.0) / 2))


def test_project_is_vectorised_and_broadcasts():
    x, y = project(np.array([[0.0, 10.0], [20.0, 30.0]]), 52.0)
    assert x.shape == y.shape == (2, 2)
    assert x[0, 0] < 0 < x[1, 0]


def _cell_area(lon, lat, d=0.01):
    lons = np.array([lon, lon + d, lon + d, lon])
    lats = np.array([lat, lat, lat + d, lat + d])
    x, y = project(lons, lats)
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


@pytest.mark.parametrize("lon", [10.0, -15.0, 35.0])
def test_projection_is_equal_area(lon):
    # a small lon/lat cell has area R² cos(lat) dlon dlat on the sphere
    ratio = _cell_area(lon, 40.0) / _cell_area(lon, 65.0)
    expected = np.cos(np.radians(40.005)) / np.cos(np.radians(65.005))
    assert ratio == pytest.approx(expected, rel=0.01)
    sphere = EARTH_RADIUS_M**2 * np.cos(np.radians(40.005)) * np.radians(0.01) ** 2
    assert _cell_area(lon, 40.0) == pytest.approx(sphere, rel=0.01)


def test_great_circle_arcs_shape_ends_and_poleward_bulge():
    segs = great_circle_arcs([-10.0, 2.0], [50.0, 48.0], [30.0, 2.0], [50.0, 48.0], points=9)
    assert segs.shape == (2, 9, 2)
    x0, y0 = project(-10.0, 50.0)
    x1, y1 = project(30.0, 50.0)
    np.testing.assert_allclose(segs[0, 0], [x0, y0], atol=1e-3)
    np.testing.assert_allclose(segs[0, -1], [x1, y1], atol=1e-3)
    _, y_par = project(10.0, 50.0)
    assert segs[0, 4, 1] > y_par  # the great circle runs north of the parallel
    assert np.isfinite(segs).all()  # identical ends (second pair) give a point, not NaN


# ------------------------------------------------------------------------------------ basemap


def test_basemap_one_patch_collection_with_eu_shaded():
    ax = plot_basemap()
    coll = by_gid(ax, "basemap")
    assert isinstance(coll, PatchCollection)
    features = _basemap.load_countries()
    assert len(coll.get_paths()) == len(features) == 89
    face = coll.get_facecolors()
    pos = {c.iso_a2: i for i, c in enumerate(features)}
    assert tuple(face[pos["DE"]]) == tuple(face[pos["FR"]])  # both EU
    assert tuple(face[pos["DE"]]) != tuple(face[pos["CH"]])  # EU vs non-EU
    assert tuple(face[pos["DE"]]) == to_rgba(_style.EU_FILL)


def test_basemap_no_eu_highlight_and_subset():
    ax = plot_basemap(countries=["FR", "CH"], highlight_eu=False)
    coll = by_gid(ax, "basemap")
    assert len(coll.get_paths()) == 2
    face = coll.get_facecolors()
    assert tuple(face[0]) == tuple(face[1])


def test_basemap_uses_given_ax_and_zooms_to_country():
    fig, ax = plt.subplots()
    assert plot_basemap(ax=ax, extent="FR") is ax
    xmin, xmax, ymin, ymax = _basemap.country_bounds("FR")
    x0, x1 = ax.get_xlim()
    assert x0 < xmin < xmax < x1
    assert (x1 - x0) < 1.3 * (xmax - xmin)
    x, y = project(2.35, 48.86)  # Paris is in view
    assert x0 < x < x1 and ax.get_ylim()[0] < y < ax.get_ylim()[1]


def test_basemap_bad_country_and_extent():
    with pytest.raises(UnknownCountryError, match="'ZZ'.*allowed"):
        plot_basemap(countries=["ZZ"])
    with pytest.raises(UnknownCountryError, match="ZZ"):
        resolve_extent("ZZ")
    with pytest.raises(ValidationError, match="west < east"):
        resolve_extent((10, 0, 40, 50))
    with pytest.raises(ValidationError, match="extent must be"):
        resolve_extent(3.5)


def test_default_extent_covers_europe():
    xmin, xmax, ymin, ymax = resolve_extent(None)
    for lon, lat in [(-9.1, 38.7), (24.9, 60.2), (23.7, 37.98), (-21.9, 64.1), (30.5, 50.45)]:
        x, y = project(lon, lat)  # Lisbon, Helsinki, Athens, Reykjavik, Kyiv
        assert xmin < x < xmax and ymin < y < ymax


# ------------------------------------------------------------------------------------ plot_map


def test_map_artists(data):
    ax = plot_map(data)
    assert [c.get_gid() for c in ax.collections] == ["basemap", "links", "towns"]
    assert n_arcs(ax) == 5
    assert len(by_gid(ax, "towns").get_offsets()) == 5
    # points per arc by length (geopy great-circle distances, independent of the library):
    # < 500 km drawn as a chord (2 points), < 1,500 km 6 points, longer 16
    from geopy.distance import great_circle

    t = TOWNS.set_index("town_id")
    expected = []
    for a, b in zip(PARTNERSHIPS["town_a"], PARTNERSHIPS["town_b"], strict=True):
        km = great_circle(tuple(t.loc[a, ["lat", "lon"]]), tuple(t.loc[b, ["lat", "lon"]])).km
        expected.append(2 if km < 500 else 6 if km < 1500 else 16)
    got = sorted(len(seg) for seg in by_gid(ax, "links").get_segments())
    assert got == sorted(expected)


def test_arc_points_follow_length():
    towns = pd.DataFrame(
        {
            "town_id": ["FR-paris", "FR-lyon", "ES-madrid", "RU-moscow"],
            "name": ["Paris", "Lyon", "Madrid", "Moscow"],
            "country": ["FR", "FR", "ES", "RU"],
            "lat": [48.8566, 45.7640, 40.4168, 55.7558],
            "lon": [2.3522, 4.8357, -3.7038, 37.6173],
        }
    )
    links = pd.DataFrame(
        {"town_a": ["FR-paris"] * 3, "town_b": ["FR-lyon", "ES-madrid", "RU-moscow"]}
    )
    ax = plot_map(tg.load(towns=towns, partnerships=links), basemap=False, extent="data")
    # pairs in data.edges order: Madrid-Paris 1,054 km, Lyon-Paris 392 km, Paris-Moscow 2,487 km
    assert [len(s) for s in by_gid(ax, "links").get_segments()] == [6, 2, 16]
    plt.close(ax.figure)
    credits = [t for t in ax.texts if t.get_gid() == "credits"]
    # user tables without a source column: credited as "your data", never as Wikidata
    assert len(credits) == 1
    # links given in memory (source "user"): "your data"; basemap=False: no borders to credit
    assert credits[0].get_text() == "Data: your data"
    assert ax.get_legend() is not None


def test_map_sizes_follow_partner_count(data):
    ax = plot_map(data, extent="data")
    towns = by_gid(ax, "towns")
    sizes = towns.get_sizes()
    offsets = towns.get_offsets()
    x_it, y_it = project(12.0, 43.0)
    x_ch, y_ch = project(7.4, 46.9)
    s = {tuple(np.round(o, 3)): sz for o, sz in zip(np.asarray(offsets), sizes, strict=True)}
    size_it = s[(round(float(x_it), 3), round(float(y_it), 3))]
    size_ch = s[(round(float(x_ch), 3), round(float(y_ch), 3))]
    assert size_it == sizes.max()  # IT-d has 3 partners, the most
    assert size_ch == sizes.min()  # CH-e has 1


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, 5),
        ({"kinds": "network"}, 1),
        ({"kinds": ["twinning"]}, 4),
        ({"countries": "PL"}, 0),  # links inside PL: none
        ({"countries": "PL", "touching": True}, 2),
        ({"countries": ["CH", "IT"]}, 1),  # IT-d-CH-e
        ({"countries": ["CH", "FR"], "touching": True}, 3),
        ({"kinds": "twinning", "year": 1995}, 3),
        ({"max_links": 2}, 2),
    ],
)
def test_map_link_filters(data, filters, expected):
    assert n_arcs(plot_map(data, **filters)) == expected


def test_map_year_filter_leaves_out_unknown_years_with_warning(data):
    # the same meaning as data.filter(year=...): the network as it stood in 1990
    with pytest.warns(DataWarning, match="1 of 5 partnerships have no known 'since' year"):
        ax = plot_map(data, year=1990)
    assert n_arcs(ax) == 2  # 1963 and 1970


def test_map_country_filter_draws_only_touched_towns(data):
    ax = plot_map(data, countries="PL", touching=True)
    assert len(by_gid(ax, "towns").get_offsets()) == 3  # PL-c, DE-a, IT-d


def test_map_highlight_and_candidates(data):
    gazetteer_place = pd.DataFrame({"name": ["Faraway"], "lat": [60.17], "lon": [24.94]})
    ax = plot_map(data, highlight="IT-d", candidates=gazetteer_place)
    star = by_gid(ax, "highlight")
    assert len(star.get_offsets()) == 1
    np.testing.assert_allclose(star.get_offsets()[0], np.ravel(project(12.0, 43.0)))
    assert len(by_gid(ax, "highlight_links").get_segments()) == 3
    assert len(by_gid(ax, "highlight_partners").get_offsets()) == 3
    assert len(by_gid(ax, "candidates").get_offsets()) == 1
    dashed = by_gid(ax, "candidate_links")
    assert len(dashed.get_segments()) == 1
    offset, dashes = dashed.get_linestyle()[0]
    assert dashes is not None  # dashed, not solid
    assert n_arcs(ax) == 5  # the main collection still holds every link


def test_map_candidates_from_ranking_or_ids(data):
    ranking = pd.DataFrame({"town_id": ["DE-a", "PL-c"], "score": [0.9, 0.5]})
    ax = plot_map(data, highlight="CH-e", candidates=ranking)
    assert len(by_gid(ax, "candidates").get_offsets()) == 2
    ax = plot_map(data, candidates=["FR-b"])
    assert len(by_gid(ax, "candidates").get_offsets()) == 1
    assert not [c for c in ax.collections if c.get_gid() == "candidate_links"]


def test_map_unknown_towns(data):
    with pytest.raises(UnknownTownError, match="'IT-x'.*'IT-d'"):
        plot_map(data, highlight="IT-x")
    with pytest.raises(UnknownTownError, match="candidate.*'PL-q'"):
        plot_map(data, candidates=["PL-q"])


def test_map_bad_arguments(data):
    with pytest.raises(ValidationError, match="color_by must be one of 'country'.*got 'colour'"):
        plot_map(data, color_by="colour")
    with pytest.raises(ValidationError, match="size_by"):
        plot_map(data, size_by="area")
    with pytest.raises(ValidationError, match="unknown kind.*'ferry'.*network"):
        plot_map(data, kinds="ferry")
    with pytest.raises(UnknownCountryError, match="'NO'"):
        plot_map(data, countries="NO")
    with pytest.raises(ValidationError, match="values="):
        plot_map(data, color_by="reach")
    with pytest.raises(ValidationError, match="max_links"):
        plot_map(data, max_links=-1)
    with pytest.raises(ValidationError, match="links must be one of.*'flows'.*got 'lines'"):
        plot_map(data, links="lines")
    with pytest.raises(ValidationError, match="labels must be an integer"):
        plot_map(data, labels="all")


def test_map_given_ax_is_returned_and_kwargs_untouched(data):
    fig, ax = plt.subplots()
    scatter_kws = {"alpha": 0.5, "marker": "s"}
    line_kws = {"colors": "green"}
    before = (dict(scatter_kws), dict(line_kws))
    out = plot_map(data, ax=ax, scatter_kws=scatter_kws, line_kws=line_kws)
    assert out is ax
    assert (scatter_kws, line_kws) == before
    assert by_gid(ax, "towns").get_alpha() == 0.5
    assert tuple(by_gid(ax, "links").get_colors()[0][:3]) == to_rgba("green")[:3]


def test_map_without_basemap_arcs_legend_credits(data):
    ax = plot_map(
        data, basemap=False, links=None, legend=False, credits=False, labels=None, title=None
    )
    assert [c.get_gid() for c in ax.collections] == ["towns"]
    assert ax.get_legend() is None
    assert not ax.texts
    assert ax.get_title(loc="left") == ""


def test_map_colours(data):
    communities = pd.Series({"DE-a": 0, "FR-b": 0, "IT-d": 1, "CH-e": 1, "PL-c": 0})
    ax = plot_map(data, color_by="community", communities=communities, extent="data")
    colors = by_gid(ax, "towns").get_facecolors()
    assert len({tuple(c) for c in colors}) == 2
    ax = plot_map(data, color_by="community")  # computed by twinning_graph.clusters
    assert len(by_gid(ax, "towns").get_offsets()) == 5
    ax = plot_map(data, color_by="country")
    # each town in its country's fixed colour (the scatter draws big markers first)
    sc = by_gid(ax, "towns")
    t = TOWNS.set_index("town_id")
    for (x, y), face in zip(sc.get_offsets(), sc.get_facecolors(), strict=True):
        tid = min(
            t.index,
            key=lambda i: np.hypot(*(np.ravel(project(t.at[i, "lon"], t.at[i, "lat"])) - (x, y))),
        )
        assert tuple(face) == to_rgba(_style.country_color(t.at[tid, "country"]))
    reach = pd.Series(
        {"DE-a": 1.0, "FR-b": 2.0, "IT-d": 3.0, "CH-e": 4.0, "PL-c": 5.0}, name="reach"
    )
    ax = plot_map(data, color_by="reach", values=reach)
    assert by_gid(ax, "towns").get_array() is not None
    assert len(ax.figure.axes) == 2  # map and colorbar
    ax = plot_map(data, color_by=None, size_by=None)
    assert len(set(by_gid(ax, "towns").get_sizes())) == 1


def test_map_country_colours_fixed_and_legend_lists_drawn_colours_only():
    n = 14
    codes = ["AT", "BE", "BG", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "HR", "HU", "IE", "IT"]
    towns = pd.DataFrame(
        {
            "name": codes,
            "country": codes,
            "lat": np.linspace(40, 60, n),
            "lon": np.linspace(0, 20, n),
        },
        index=pd.Index([f"{c}-x" for c in codes], name="town_id"),
    )
    edges = pd.DataFrame({"town_a": towns.index[:-1], "town_b": towns.index[1:]})
    ax = plot_map(tg.load(towns=towns.reset_index(), partnerships=edges), extent="europe")
    drawn = {tuple(c) for c in by_gid(ax, "towns").get_facecolors()}
    assert drawn == {to_rgba(_style.country_color(c)) for c in codes}  # no grey "other"
    assert n_arcs(ax) == 13
    legend = ax.get_legend()
    swatches = {
        tuple(to_rgba(h.get_markerfacecolor()))
        for h in legend.legend_handles
        if h.get_marker() == "o" and h.get_label() != "link"
    }
    assert swatches == drawn  # one entry per colour drawn, none for colours not drawn


def test_map_accepts_town_graph(data):
    ax = plot_map(data.town_graph(), extent=["DE-a", "PL-c"])
    assert n_arcs(ax) == 5
    x_de, _ = project(8.0, 50.0)
    x_pl, _ = project(19.0, 52.0)
    x0, x1 = ax.get_xlim()
    assert x0 < x_de < x_pl < x1


def test_map_many_links_single_collection():
    rng = np.random.default_rng(1)
    n_towns, n_links = 300, 3000
    ids = np.array([f"T{i}" for i in range(n_towns)])
    towns = pd.DataFrame(
        {
            "town_id": ids,
            "name": ids,
            "country": "DE",
            "lat": rng.uniform(40, 60, n_towns),
            "lon": rng.uniform(-5, 25, n_towns),
        }
    )
    a, b = rng.integers(0, n_towns, (2, 2 * n_links))
    pairs = np.unique(np.sort(np.stack([a, b], axis=1)[a != b], axis=1), axis=0)[:n_links]
    edges = pd.DataFrame({"town_a": ids[pairs[:, 0]], "town_b": ids[pairs[:, 1]]})
    ax = plot_map(tg.load(towns=towns, partnerships=edges), basemap=False)
    assert sum(isinstance(c, LineCollection) for c in ax.collections) == 1
    assert n_arcs(ax) == n_links
    assert by_gid(ax, "links").get_alpha() < 0.5


# ------------------------------------------------------------------------------------ charts


GAPS = pd.DataFrame(
    {
        "country_a": ["DE", "DE", "FR", "DE"],
        "country_b": ["FR", "PL", "PL", "DE"],
        "observed": [40, 10, 0, 5],
        "expected": [20.0, 10.0, 4.0, 5.0],
        "ratio": [2.0, 1.0, 0.0, 1.0],
    }
)


@pytest.mark.parametrize("value", ["observed", "expected", "ratio"])
def test_country_matrix_shape_and_symmetry(value):
    ax = plot_country_matrix(GAPS, value=value)
    image = ax.images[0].get_array()
    assert image.shape == (3, 3)
    filled = np.ma.filled(image.astype(float), np.nan)
    np.testing.assert_array_equal(np.isnan(filled), np.isnan(filled.T))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["DE", "FR", "PL"]
    assert len(ax.figure.axes) == 2  # heatmap and colorbar


def test_country_matrix_ratio_log_scale_centred_at_one():
    ax = plot_country_matrix(GAPS, value="ratio", countries=["PL", "DE", "FR"])
    norm = ax.images[0].norm
    assert isinstance(norm, LogNorm)
    assert norm.vmin * norm.vmax == pytest.approx(1.0)
    assert norm(1.0) == pytest.approx(0.5)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["PL", "DE", "FR"]
    assert ax.images[0].get_array()[1, 2] == 2.0  # DE–FR


def test_country_matrix_bad_input():
    with pytest.raises(ValidationError, match="value must be one of.*'ratio', got 'gap'"):
        plot_country_matrix(GAPS, value="gap")
    with pytest.raises(ValidationError, match="missing.*'expected'"):
        plot_country_matrix(GAPS.drop(columns="expected"), value="expected")
    with pytest.raises(UnknownCountryError, match="'IT'"):
        plot_country_matrix(GAPS, countries=["DE", "IT"])


def test_plot_reach_series_and_frame():
    fig, ax = plt.subplots()
    reach = pd.Series({"DE-a": 3.0, "FR-b": 9.0, "PL-c": 1.0, "IT-d": 5.0}, name="reach")
    assert plot_reach(reach, n=3, ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["FR-b", "IT-d", "DE-a"]
    assert [p.get_width() for p in ax.patches] == [9.0, 5.0, 3.0]
    frame = pd.DataFrame(
        {"name": ["Aheim", "Bville"], "country": ["DE", "FR"], "reach": [1.0, 2.0], "rank": [2, 1]},
        index=pd.Index(["DE-a", "FR-b"], name="town_id"),
    )
    ax = plot_reach(frame, column="reach")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Bville (FR)", "Aheim (DE)"]
    with pytest.raises(ValidationError, match="column=.*'reach', 'rank'"):
        plot_reach(frame)
    with pytest.raises(ValidationError, match="n must be an integer >= 1"):
        plot_reach(reach, n=0)


def test_degree_distribution_ccdf(data):
    ax = plot_degree_distribution(data)
    line = ax.get_lines()[0]
    # degrees 2, 2, 2, 3, 1 -> P(K >= 1) = 1, P(K >= 2) = 0.8, P(K >= 3) = 0.2
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(line.get_ydata(), [1.0, 0.8, 0.2])
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_links_per_year(data):
    fig, ax = plt.subplots()
    assert plot_links_per_year(data, ax=ax) is ax
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 2004 - 1963 + 1
    assert sum(heights) == 4
    assert any("1 without a year" in t.get_text() for t in ax.texts)


def test_links_per_year_without_years_raises():
    edges = pd.DataFrame({"town_a": ["DE-a"], "town_b": ["FR-b"]})
    with pytest.raises(ValidationError, match="no link has a known 'since' year"):
        plot_links_per_year(tg.load(towns=TOWNS, partnerships=edges))


# ------------------------------------------------------------------- labels, legend, extents
# A town map like Cieszyn's: a partner 0.7 km away (Český Těšín), partners around, one across
# the ocean (Phoenix), and three candidates. Coordinates from GeoNames.
EGO_TOWNS = pd.DataFrame(
    {
        "town_id": ["PL-cieszyn", "CZ-tesin", "SK-roznava", "DE-potsdam", "BE-genk", "US-phoenix",
                    "CZ-olomouc", "HU-szerencs", "SE-orust"],
        "name": ["Cieszyn", "Český Těšín", "Rožňava", "Potsdam", "Genk", "Phoenix",
                 "Olomouc", "Szerencs", "Orust"],
        "country": ["PL", "CZ", "SK", "DE", "BE", "US", "CZ", "HU", "SE"],
        "lat": [49.75, 49.74611, 48.66, 52.4, 50.965, 33.448, 49.596, 48.162, 58.233],
        "lon": [18.6333, 18.62617, 20.532, 13.067, 5.5, -112.074, 17.26, 21.205, 11.683],
    }
)  # fmt: skip
EGO_LINKS = pd.DataFrame(
    {
        "town_a": ["PL-cieszyn"] * 5,
        "town_b": ["CZ-tesin", "SK-roznava", "DE-potsdam", "BE-genk", "US-phoenix"],
    }
)
CANDIDATES = ["CZ-olomouc", "HU-szerencs", "SE-orust"]


@pytest.fixture(scope="module")
def ego():
    return tg.load(towns=EGO_TOWNS, partnerships=EGO_LINKS)


def drawn_labels(ax):
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    return {
        t.get_text(): t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "labels"
    }


def test_town_map_names_every_requested_town_inside_the_axes_without_overlap(ego):
    ax = plot_map(ego, highlight="PL-cieszyn", candidates=CANDIDATES)
    boxes = drawn_labels(ax)
    expected = {"Cieszyn", "Český Těšín", "Rožňava", "Potsdam", "Genk", "Olomouc", "Szerencs",
                "Orust"}  # fmt: skip
    assert expected <= set(boxes)
    frame = ax.get_window_extent()
    for text, box in boxes.items():
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, text
    items = list(boxes.items())
    for i, (ta, a) in enumerate(items):
        for tb, b in items[i + 1 :]:
            assert not a.overlaps(b), (ta, tb)


def test_partner_beside_the_highlight_is_displaced_and_visible(ego):
    ax = plot_map(ego, highlight="PL-cieszyn")
    star = np.ravel(by_gid(ax, "highlight").get_offsets()[0])
    moved = [c for c in ax.collections if c.get_gid() == "displaced"]
    assert len(moved) == 1  # only Český Těšín (0.7 km) hides under the star
    ax.figure.canvas.draw()
    to_px = ax.transData.transform
    gap_pt = np.hypot(*(to_px(moved[0].get_offsets()[0]) - to_px(star))) * 72 / ax.figure.dpi
    star_radius_pt = np.sqrt(_style.HIGHLIGHT.size) / 2
    assert gap_pt > star_radius_pt  # drawn clear of the star
    leader = [ln for ln in ax.lines if ln.get_gid() == "displaced_leader"]
    x_true, y_true = project(18.62617, 49.74611)
    assert leader and np.allclose(
        (leader[0].get_xdata()[0], leader[0].get_ydata()[0]), (x_true, y_true)
    )


def test_off_frame_partner_named_at_the_edge_with_its_direction(ego):
    ax = plot_map(ego, highlight="PL-cieszyn")
    x0, x1 = ax.get_xlim()
    x_px, _ = project(-112.074, 33.448)
    assert not (x0 <= x_px <= x1)  # Phoenix is off the map
    boxes = drawn_labels(ax)
    phoenix = [t for t in boxes if "Phoenix (US)" in t]
    assert len(phoenix) == 1
    # the great circle to Arizona leaves Europe to the north-west: an arrow pointing left/up
    assert phoenix[0][0] in "←↖↑"
    frame = ax.get_window_extent()
    box = boxes[phoenix[0]]
    assert min(box.x0 - frame.x0, box.y0 - frame.y0, frame.x1 - box.x1, frame.y1 - box.y1) < 8


def test_legend_covers_no_highlighted_partner_or_candidate_marker(ego):
    ax = plot_map(ego, highlight="PL-cieszyn", candidates=CANDIDATES)
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    for gid in ("highlight", "highlight_partners", "candidates"):
        pts = ax.transData.transform(by_gid(ax, gid).get_offsets())
        inside = (
            (pts[:, 0] >= legend.x0)
            & (pts[:, 0] <= legend.x1)
            & (pts[:, 1] >= legend.y0)
            & (pts[:, 1] <= legend.y1)
        )
        assert not inside.any(), gid


def test_legend_moves_off_a_map_full_of_important_markers():
    # candidates in all four corners of the window: no corner is free, the legend goes outside
    lat = [50.0, 40.0, 40.0, 60.0, 60.0]
    lon = [10.0, 0.0, 20.0, 0.0, 20.0]
    towns = pd.DataFrame(
        {"town_id": list("abcde"), "name": list("ABCDE"), "country": ["DE"] * 5,
         "lat": lat, "lon": lon}
    )  # fmt: skip
    links = pd.DataFrame({"town_a": ["a"], "town_b": ["b"]})
    data = tg.load(towns=towns, partnerships=links)
    ax = plot_map(data, highlight="a", candidates=["c", "d", "e"], extent="data")
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # right of the frame


def test_candidates_in_their_country_colour_in_the_order_given_and_named(ego):
    ranking = pd.DataFrame({"town_id": CANDIDATES, "score": [0.9, 0.5, 0.2]})
    ax = plot_map(ego, highlight="PL-cieszyn", candidates=ranking)
    cs = by_gid(ax, "candidates")
    expected = [np.ravel(project(17.26, 49.596)), np.ravel(project(21.205, 48.162)),
                np.ravel(project(11.683, 58.233))]  # fmt: skip
    np.testing.assert_allclose(np.asarray(cs.get_offsets()), expected)
    faces = [tuple(f) for f in cs.get_facecolors()]
    assert faces == [to_rgba(_style.country_color(c)) for c in ("CZ", "HU", "SE")]
    assert {"1. Olomouc", "2. Szerencs", "3. Orust"} <= set(drawn_labels(ax))  # ranked


def test_highlight_style_is_the_style_module_s_not_a_country_colour(ego):
    ax = plot_map(ego, highlight="PL-cieszyn")
    star = by_gid(ax, "highlight")
    assert tuple(star.get_facecolors()[0]) == to_rgba(_style.HIGHLIGHT.color)
    countries = set(_style.country_color_table()["color"])
    assert _style.HIGHLIGHT.color not in countries
    rings = by_gid(ax, "highlight_partners").get_edgecolors()
    assert all(tuple(r) == to_rgba(_style.HIGHLIGHT.color) for r in rings)


def test_same_country_same_colour_on_two_different_maps(ego, data):
    # Germany on a map of five made-up towns and on the Cieszyn map
    a = plot_map(data, color_by="country")
    b = plot_map(ego, highlight="PL-cieszyn")
    sa = by_gid(a, "towns")
    de_a = [tuple(f) for (x, y), f in zip(sa.get_offsets(), sa.get_facecolors(), strict=True)
            if np.allclose((x, y), np.ravel(project(8.0, 50.0)))]  # fmt: skip
    sb = by_gid(b, "towns")
    de_b = [tuple(f) for (x, y), f in zip(sb.get_offsets(), sb.get_facecolors(), strict=True)
            if np.allclose((x, y), np.ravel(project(13.067, 52.4)))]  # fmt: skip
    assert de_a == de_b == [to_rgba(_style.country_color("DE"))]


def _ratio(ax):
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return (x1 - x0) / (y1 - y0)


def test_auto_extent_keeps_the_subject_central_and_readable():
    # Tortosa's partners: two in Spain, two in France, one in Italy, one in Syria (GeoNames)
    towns = pd.DataFrame(
        {
            "town_id": ["tortosa", "alcaniz", "avignon", "lepuy", "vercelli", "tartus"],
            "name": ["Tortosa", "Alcañiz", "Avignon", "Le Puy", "Vercelli", "Tartus"],
            "country": ["ES", "ES", "FR", "FR", "IT", "SY"],
            "lat": [40.8125, 41.05, 43.95, 45.04, 45.32, 34.889],
            "lon": [0.5216, -0.133, 4.81, 3.885, 8.42, 35.887],
        }
    )
    links = pd.DataFrame({"town_a": ["tortosa"] * 5, "town_b": towns["town_id"][1:]})
    ax = plot_map(tg.load(towns=towns, partnerships=links), highlight="tortosa")
    assert 0.8 - 1e-9 <= _ratio(ax) <= 1.45 + 1e-9  # not a strip
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    x, y = project(0.5216, 40.8125)
    assert 0.3 - 1e-9 <= (x - x0) / (x1 - x0) <= 0.7 + 1e-9
    assert 0.3 - 1e-9 <= (y - y0) / (y1 - y0) <= 0.7 + 1e-9
    xs, _ = project(35.887, 34.889)  # Tartus, 2,900 km away, is named at the edge instead
    assert not (x0 <= xs <= x1)
    assert any("Tartus (SY)" in t for t in drawn_labels(ax))


def test_country_map_centres_on_the_country(data):
    ax = plot_map(data, countries="PL", touching=True)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    x, y = project(19.0, 52.0)  # the PL town
    assert 0.3 - 1e-9 <= (x - x0) / (x1 - x0) <= 0.7 + 1e-9
    assert 0.3 - 1e-9 <= (y - y0) / (y1 - y0) <= 0.7 + 1e-9


def test_titles_auto_custom_and_none(ego, data):
    assert plot_map(ego, highlight="PL-cieszyn").get_title(loc="left") == (
        "Cieszyn (PL): 5 partners"
    )
    assert plot_map(data).get_title(loc="left") == "Twinning network: 5 towns, 5 links"
    assert plot_map(data, title="Price $5 and $6").get_title(loc="left") == (
        "Price \\$5 and \\$6"  # data text is never mathtext
    )
    assert plot_map(data, title=None).get_title(loc="left") == ""


def test_country_titles_say_inside_or_touching(data):
    # touching PL: DE-a–PL-c and PL-c–IT-d (2 links); inside DE and FR: DE-a–FR-b (1 link)
    touching = plot_map(data, countries="PL", touching=True).get_title(loc="left")
    assert touching == "Partnerships of the towns of Poland (with their partners abroad): 2 links"
    inside = plot_map(data, countries=["DE", "FR"]).get_title(loc="left")
    assert inside == "Partnerships within Germany, France: 1 link"


def test_overview_top_towns_named_on_a_map_without_highlight(data):
    # the five towns are all "most connected": each is named
    assert set(drawn_labels(plot_map(data))) == {"Aheim", "Bville", "Cowo", "Dino", "Ezell"}
    assert set(drawn_labels(plot_map(data, labels=1))) == {"Dino"}  # 3 partners, the most


def test_credits_follow_the_data_sources():
    synthetic = tg.synthetic_network(60, 80, 0, seed=3)
    ax = plot_map(synthetic)
    (credits,) = [t.get_text() for t in ax.texts if t.get_gid() == "credits"]
    assert "SYNTHETIC" in credits and "Wikidata" not in credits
    bundled = plot_map(tg.load(), countries="LU", extent="LU")
    (credits,) = [t.get_text() for t in bundled.texts if t.get_gid() == "credits"]
    assert credits.startswith("Data: Wikidata contributors (CC0)")
    assert credits.endswith("borders: Made with Natural Earth")


def _many_links(n_towns=400, n_links=4000, seed=2):
    rng = np.random.default_rng(seed)
    ids = np.array([f"T{i}" for i in range(n_towns)])
    codes = np.array(["DE", "FR", "PL", "IT", "ES"])
    towns = pd.DataFrame(
        {
            "town_id": ids,
            "name": ids,
            "country": codes[rng.integers(0, 5, n_towns)],
            "lat": rng.uniform(40, 60, n_towns),
            "lon": rng.uniform(-5, 25, n_towns),
        }
    )
    a, b = rng.integers(0, n_towns, (2, 3 * n_links))
    pairs = np.unique(np.sort(np.stack([a, b], axis=1)[a != b], axis=1), axis=0)[:n_links]
    edges = pd.DataFrame({"town_a": ids[pairs[:, 0]], "town_b": ids[pairs[:, 1]]})
    return tg.load(towns=towns, partnerships=edges), towns, edges


def test_dense_network_overview_is_country_flows():
    data, towns, edges = _many_links()
    ax = plot_map(data)  # 4,000 links > 3,000: flows
    flows = by_gid(ax, "country_flows")
    country = towns.set_index("town_id")["country"]
    ca, cb = country[edges["town_a"]].to_numpy(), country[edges["town_b"]].to_numpy()
    pairs = {tuple(sorted(p)) for p in zip(ca, cb, strict=True) if p[0] != p[1]}
    assert len(flows.get_segments()) == len(pairs)  # 5 countries: 10 pairs, all drawn
    # widths grow with the number of links: drawn thinnest first, the busiest pair widest
    widths = np.asarray(flows.get_linewidths())
    assert np.all(np.diff(widths) >= 0) and widths[-1] == pytest.approx(10.0)
    assert widths[0] < widths[-1]
    assert not [c for c in ax.collections if c.get_gid() == "links"]
    ax = plot_map(data, links="density")
    assert [im.get_gid() for im in ax.images] == ["link_density"]
    ax = plot_map(data, links="arcs")
    assert n_arcs(ax) == 4000


def test_svg_keeps_text_as_text_and_rasterises_dense_links(tmp_path):
    from twinning_graph.plot import save_map

    data, _, _ = _many_links()
    ax = plot_map(data, links="arcs")
    out = save_map(ax, tmp_path / "map.svg")
    svg = out.read_text(encoding="utf-8")
    assert "<text" in svg and "Twinning network" in svg  # the title is text, not glyph paths
    names = [t.get_text() for t in ax.texts if t.get_gid() == "labels"]
    assert names and all(f">{n}</text>" in svg for n in names)  # and so is every name
    assert "<image" in svg  # the 4,000 links are one embedded picture
    by_gid(ax, "links").set_rasterized(False)
    vector = save_map(ax, tmp_path / "vector.svg")
    assert out.stat().st_size < vector.stat().st_size
    with pytest.raises(ValidationError, match="must end in .png, .svg, .pdf"):
        save_map(ax, tmp_path / "map.gif")


def test_chart_title_option():
    reach = pd.Series({"DE-a": 3.0, "FR-b": 9.0}, name="reach")
    assert plot_reach(reach).get_title() == "Top 2 by reach"
    assert plot_reach(reach, title="Reichweite").get_title() == "Reichweite"
    assert plot_reach(reach, title=None).get_title() == ""


def test_unproject_inverts_project():
    lon = np.array([-24.0, 2.35, 60.6, 44.8])
    lat = np.array([65.0, 48.86, 56.8, 41.7])
    back = _basemap.unproject(*project(lon, lat))
    np.testing.assert_allclose(back, (lon, lat), atol=1e-9)


def test_basemap_reaches_the_urals_and_the_caucasus():
    from matplotlib.path import Path

    countries = {c.iso_a2: c for c in _basemap.load_countries()}
    # Yekaterinburg (Russia, east of the Urals), Tbilisi, Baku, Yerevan: inside their country
    for code, lon, lat in [("RU", 60.6, 56.84), ("GE", 44.79, 41.72), ("AZ", 49.87, 40.41),
                           ("AM", 44.51, 40.18), ("KZ", 51.37, 51.23)]:  # fmt: skip
        c = countries[code]
        assert any(Path(r).contains_point((lon, lat)) for r in c.rings), code
    # the default Europe window has land, not a cut, in its north-east corner (~61°E 63°N)
    x0, x1, y0, y1 = resolve_extent(None)
    lon, lat = _basemap.unproject(x1 - 10_000, y1 - 10_000)
    assert any(Path(r).contains_point((float(lon), float(lat))) for r in countries["RU"].rings)


def test_cli_country_map_is_titled_and_documented_as_touching(data, tmp_path, capsys):
    from twinning_graph.cli import main
    from twinning_graph.report import write_map

    svg = write_map(data, tmp_path / "pl.svg", country="PL").read_text(encoding="utf-8")
    assert "Partnerships of the towns of Poland (with their partners abroad): 2 links" in svg
    with pytest.raises(SystemExit):
        main(["map", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "the links of this country's towns to towns of any country" in help_text
