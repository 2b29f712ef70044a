"""Loading, validation and normalisation of towns and partnerships."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph._errors import DataWarning, UnknownTownError, ValidationError

TOWNS_CSV = (
    "town_id,name,country,lat,lon,population\n"
    "pl-lodz,Łódź,PL,51.7592,19.456,670642\n"
    "se-gbg,Göteborg,SE,57.7089,11.9746,\n"
    "gr-thess,Θεσσαλονίκη,EL,40.6401,22.9444,315196\n"
    "uk-york,York,UK,53.96,-1.08,152841\n"
)
LINKS_CSV = "town_a,town_b,kind,since\npl-lodz,se-gbg,twinning,1990\ngr-thess,pl-lodz,twinning,\n"


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_load_tiny_normalises_and_keeps_extras(tiny_towns, tiny_links):
    towns = tiny_towns.assign(mayor=["m1", "m2", "m3", "m4", "m5"])
    data = tg.load(towns=towns, partnerships=tiny_links)
    assert list(data.towns.index) == ["a", "b", "c", "d", "e"]
    assert data.towns.loc["e", "country"] == "GR"  # EL normalised
    assert data.towns.loc["a", "population"] == 670642
    assert pd.isna(data.towns.loc["e", "population"])
    assert data.towns["eu"].all()
    assert data.towns.loc["c", "mayor"] == "m3"
    assert len(data.edges) == 5
    assert len(data) == 5
    # inputs are not modified
    assert tiny_towns.loc[4, "country"] == "EL"


def test_uk_and_non_eu(tmp_path):
    t = write(tmp_path / "t.csv", TOWNS_CSV + "no-bergen,Bergen,NO,60.39,5.32,285911\n")
    data = tg.load(towns=t, partnerships=write(tmp_path / "l.csv", LINKS_CSV))
    assert data.towns.loc["uk-york", "country"] == "GB"
    assert not data.towns.loc["uk-york", "eu"]
    assert not data.towns.loc["no-bergen", "eu"]
    assert data.towns.loc["gr-thess", "eu"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_excel_european_csv(tmp_path, encoding):
    # Excel in a French/German locale: ';' separator, decimal comma, BOM or cp1252
    text = (
        "town_id;name;country;lat;lon;population\n"
        "fr-nimes;Nîmes;FR;43,8367;4,3601;148561\n"
        "de-koeln;Köln;DE;50,9375;6,9603;1.083.498\n"
    )
    if encoding == "cp1252":
        text = text.replace("Köln", "Koeln").replace("Nîmes", "Nîmes")
    p = write(tmp_path / "towns.csv", text, encoding)
    towns = tg.read_towns(p)
    assert towns.loc["fr-nimes", "lat"] == pytest.approx(43.8367)
    assert towns.loc["de-koeln", "lon"] == pytest.approx(6.9603)
    assert towns.loc["de-koeln", "population"] == 1083498
    assert towns.loc["fr-nimes", "name"] == "Nîmes"


def test_tab_separated(tmp_path):
    p = write(tmp_path / "t.tsv", TOWNS_CSV.replace(",", "\t"))
    assert len(tg.read_towns(p)) == 4


def test_all_problems_in_one_error(tmp_path):
    bad = (
        "town_id,name,country,lat,lon,population\n"
        "a,Alpha,DE,52.5,13.4,1000\n"  # line 2: fine
        "a,Beta,DE,48.1,11.6,2000\n"  # line 3: duplicate id
        "c,Gamma,XX,50.0,8.0,3000\n"  # line 4: unknown country
        "d,Delta,FR,200,2.3,4000\n"  # line 5: lat out of range
        "e,Epsilon,IT,41.9,12.5,many\n"  # line 6: population not a number
        "f,Phi,FR,2.35,48.85,5000\n"  # line 7: swapped lat/lon (Paris)
        "g,,PL,52.2,21.0,\n"  # line 8: empty name
    )
    p = write(tmp_path / "towns.csv", bad)
    with pytest.raises(ValidationError) as info:
        tg.read_towns(p)
    msg = str(info.value)
    assert f"{p}:2:town_id: duplicate town_id 'a'" in msg
    assert f"{p}:3:town_id: duplicate town_id 'a'" in msg
    assert f"{p}:4:country: unknown country code 'XX'" in msg
    assert f"{p}:5:lat: latitude 200.0 out of range" in msg
    assert f"{p}:6:population: not a whole number: 'many'" in msg
    assert f"{p}:7:lat:" in msg and "swapped" in msg
    assert f"{p}:8:name: empty name" in msg
    assert len(info.value.problems) == 7


def test_swapped_out_of_range(tmp_path):
    p = write(tmp_path / "t.csv", "town_id,name,country,lat,lon\nx,X,DE,120.5,45.0\n")
    with pytest.raises(
        ValidationError,
        match=r"latitude 120.5 out of range \[-90, 90\]: a typo, or lat and lon swapped",
    ):
        tg.read_towns(p)


def test_missing_columns_named(tmp_path):
    p = write(tmp_path / "t.csv", "id,name,lat,lon\n1,A,1,2\n")
    with pytest.raises(
        ValidationError, match=r"missing columns 'town_id', 'country'.*found \['id'"
    ):
        tg.read_towns(p)


@pytest.mark.parametrize(
    "content,expected",
    [
        ("", "file is empty"),
        ("\n\n", "file is empty"),
        ("town_id,name,country,lat,lon\n", "no data rows"),
    ],
)
def test_empty_files(tmp_path, content, expected):
    p = write(tmp_path / "t.csv", content)
    with pytest.raises(ValidationError, match=expected):
        tg.read_towns(p)


def test_missing_file(tmp_path):
    with pytest.raises(ValidationError, match="file not found"):
        tg.load(towns=tmp_path / "nope.csv")


def test_partnership_problems_listed_together(tmp_path):
    t = write(tmp_path / "t.csv", TOWNS_CSV)
    links = (
        "town_a,town_b,since\n"
        "pl-lodz,se-gbg,1990\n"
        "pl-lodz,pl-lodz,1991\n"  # line 3: self-link
        "pl-lodz,pl-lodzz,\n"  # line 4: unknown town (close match suggested)
        "se-gbg,gr-thess,ninety\n"
    )  # line 5: bad year
    lp = write(tmp_path / "l.csv", links)
    with pytest.raises(ValidationError) as info:
        tg.load(towns=t, partnerships=lp)
    msg = str(info.value)
    assert f"{lp}:3:town_b: self-link" in msg
    assert f"{lp}:4:town_b: unknown town 'pl-lodzz'" in msg and "did you mean 'pl-lodz'" in msg
    assert f"{lp}:5:since: not a year: 'ninety'" in msg
    assert len(info.value.problems) == 3


def test_towns_and_partnership_problems_in_one_error(tmp_path):
    t = write(tmp_path / "t.csv", TOWNS_CSV.replace("EL,40.6401", "QQ,40.6401"))
    lp = write(tmp_path / "l.csv", "town_a,town_b\npl-lodz,pl-lodz\n")
    with pytest.raises(ValidationError) as info:
        tg.load(towns=t, partnerships=lp)
    assert "unknown country code 'QQ'" in str(info.value)
    assert "self-link" in str(info.value)


def test_unknown_format(tmp_path):
    lp = write(tmp_path / "l.csv", "from,to\na,b\n")
    with pytest.raises(ValidationError, match="cannot tell the format.*'town_a' and 'town_b'"):
        tg.load(towns=write(tmp_path / "t.csv", TOWNS_CSV), partnerships=lp)


def test_duplicates_merged_with_warning(tiny_towns):
    links = pd.DataFrame(
        {"town_a": ["a", "b", "a"], "town_b": ["b", "a", "c"], "since": [2000, 1990, None]}
    )
    with pytest.warns(DataWarning, match="1 duplicate partnership row"):
        data = tg.load(towns=tiny_towns, partnerships=links)
    assert len(data.partnerships) == 2
    e = data.edges.set_index(["town_a", "town_b"])
    assert e.loc[("a", "b"), "since"] == 1990  # earliest kept
    assert e.loc[("a", "b"), "weight"] == 1


def test_membership_format_links_all_members(tiny_towns, tiny_links):
    members = pd.DataFrame(
        {
            "partnership_id": ["NT-1"] * 4 + ["TT-2"] * 2,
            "town_id": ["a", "b", "c", "e", "a", "b"],
            "kind": ["network"] * 4 + ["town-twinning"] * 2,
            "since": [2022] * 4 + [2023] * 2,
            "budget": ["50000"] * 4 + ["20000"] * 2,
        }
    )
    data = tg.load(towns=tiny_towns, partnerships=[tiny_links, members])
    assert data.memberships["budget"].tolist() == ["50000"] * 4 + ["20000"] * 2
    e = data.edges.set_index(["town_a", "town_b"])
    # NT-1 links 4 towns: 6 pairs; a-b is in the twinning list, NT-1 and TT-2
    assert e.loc[("a", "b"), "weight"] == 3
    assert e.loc[("a", "b"), "kinds"] == "network;town-twinning;twinning"
    assert e.loc[("a", "b"), "since"] == 1990
    assert e.loc[("a", "e"), "weight"] == 1 and e.loc[("a", "e"), "kinds"] == "network"
    # pairs: tiny (a-b a-c b-c c-d d-e) + NT-1 new pairs (a-e b-e c-e) = 8
    assert len(data.edges) == 8


def test_single_member_project_warns(tiny_towns):
    members = pd.DataFrame({"partnership_id": ["P", "Q", "Q"], "town_id": ["a", "b", "c"]})
    with pytest.warns(DataWarning, match="1 project with a single member"):
        data = tg.load(towns=tiny_towns, partnerships=members)
    assert len(data.edges) == 1


def test_several_partnership_files(tmp_path):
    t = write(tmp_path / "t.csv", TOWNS_CSV)
    l1 = write(tmp_path / "l1.csv", "town_a,town_b\npl-lodz,se-gbg\n")
    l2 = write(tmp_path / "l2.csv", "town_a,town_b\nuk-york,gr-thess\n")
    data = tg.load(towns=t, partnerships=[l1, l2])
    assert len(data.edges) == 2
    assert set(data.partnerships["source"]) == {"l1", "l2"}


def test_distance_matches_independent_formula(tiny):
    from geopy.distance import great_circle

    e = tiny.edges.set_index(["town_a", "town_b"])
    t = tiny.towns
    expected = great_circle(
        (t.loc["c", "lat"], t.loc["c", "lon"]), (t.loc["d", "lat"], t.loc["d", "lon"])
    ).km
    assert e.loc[("c", "d"), "distance_km"] == pytest.approx(expected, rel=1e-4)
    assert 385 < expected < 400  # Paris-Lyon


def test_filter_year_and_countries(tiny):
    with pytest.warns(DataWarning, match="1 of 5 partnerships have no known 'since' year"):
        old = tiny.filter(year=1999)
    assert sorted(map(tuple, old.edges[["town_a", "town_b"]].to_numpy())) == [
        ("a", "b"),
        ("a", "c"),
    ]
    fr = tiny.filter(countries="FR")
    assert list(fr.towns.index) == ["c", "d"] and len(fr.edges) == 1
    with pytest.raises(tg.UnknownCountryError, match="'XX'"):
        tiny.filter(countries=["XX"])
    with pytest.raises(ValidationError, match="unknown kind.*'twinning'"):
        tiny.filter(kinds="twining")


def test_check_towns_suggests(tiny):
    with pytest.raises(UnknownTownError, match="'aa'.*did you mean 'a'"):
        tiny.town("aa")


def test_repr(tiny):
    assert repr(tiny) == "<TwinningData 'user data': 5 towns, 5 links, 4 countries>"
    html = tiny._repr_html_()
    assert "<table>" in html and "twinning (5)" in html


def test_repr_html_escapes():
    towns = pd.DataFrame(
        {
            "town_id": ["x", "y"],
            "name": ["a", "b"],
            "country": ["DE", "FR"],
            "lat": [50, 48],
            "lon": [8, 2],
        }
    )
    links = pd.DataFrame({"town_a": ["x"], "town_b": ["y"], "kind": ["<b>bold</b>"]})
    html = tg.load(towns=towns, partnerships=links)._repr_html_()
    assert "<b>bold" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_validate_files(tmp_path):
    t = write(tmp_path / "t.csv", TOWNS_CSV)
    good = write(tmp_path / "l.csv", LINKS_CSV)
    assert tg.validate_files([t, good]) == []
    bad = write(tmp_path / "b.csv", "town_a,town_b\npl-lodz,nowhere\n")
    problems = tg.validate_files([t, bad])
    assert [str(p) for p in problems] == [
        f"{bad}:2:town_b: unknown town 'nowhere': not in the towns table"
    ]


def test_bad_source_type():
    with pytest.raises(
        ValidationError,
        match=r"^towns: expected a path \(str or pathlib.Path\) or a pandas DataFrame, got int 42$",
    ):
        tg.read_towns(42)


def test_since_accepts_dates(tiny_towns):
    links = pd.DataFrame(
        {"town_a": ["a", "b"], "town_b": ["b", "c"], "since": ["1995-05-01", "2001.0"]}
    )
    data = tg.load(towns=tiny_towns, partnerships=links)
    assert data.partnerships["since"].tolist() == [1995, 2001]


def test_no_warning_on_clean_data(tiny_towns, tiny_links, no_warnings):
    data = tg.load(towns=tiny_towns, partnerships=tiny_links)
    assert np.isfinite(data.edges["distance_km"]).all()


def test_extra_columns_typed_from_file_without_loss(tmp_path):
    p = write(
        tmp_path / "t.csv",
        "town_id,name,country,lat,lon,members,area,postcode,note\n"
        "a,A,DE,50,8,12,3.5,01067,x\nb,B,FR,48,2,,10,75001,\n",
    )
    towns = tg.read_towns(p)
    assert towns["members"].tolist()[0] == 12 and pd.isna(towns["members"].tolist()[1])
    assert towns["area"].tolist() == [3.5, 10.0]
    assert towns["postcode"].tolist() == ["01067", "75001"]  # leading zero kept: stays text
    assert towns["note"].tolist() == ["x", ""]


def test_bundled_extra_columns(bundled):
    assert bundled.towns["n_coordinates"].min() == 1
    # 1 or 2 statements per pair; up to 4 where duplicate towns were folded into one
    assert set(bundled.partnerships["statements"].unique()) <= {1, 2, 3, 4}


def test_error_header_names_only_the_files_with_problems(tmp_path):
    t = write(tmp_path / "t.csv", TOWNS_CSV)
    good = write(tmp_path / "good.csv", LINKS_CSV)
    bad = write(tmp_path / "bad.csv", "partnership_id,town_id\nP1,pl-lodz\nP1,nowhere\n")
    with pytest.raises(ValidationError) as info:
        tg.load(towns=t, partnerships=[good, bad])
    first = str(info.value).splitlines()[0]
    assert first == f"1 problem in {bad}:"


def test_duplicate_membership_conflicts_are_named(bundled):
    # Berlin listed twice in one project with two different roles: the first is kept, and
    # the warning says which values disagreed and which one was kept
    members = pd.DataFrame(
        {
            "partnership_id": ["P1"] * 4,
            "town_id": ["DE-berlin", "DE-berlin", "FR-paris", "PL-krakow"],
            "role": ["Lead Partner", "Partner", "Partner", "Partner"],
        }
    )
    with pytest.warns(
        tg.DataWarning,
        match=r"1 duplicate membership row .* 1 with conflicting values:\n  project 'P1', "
        r"town 'DE-berlin': role given as 'Lead Partner' / 'Partner'; kept 'Lead Partner'",
    ):
        _, kept = tg.read_partnerships(members, towns=bundled.towns)
    assert kept["role"].tolist() == ["Lead Partner", "Partner", "Partner"]


def test_hints_for_column_names_and_country_names(tmp_path):
    # the usual names of the required columns, and countries written out in words
    p = write(tmp_path / "t.csv", "id,town,country,lat,lon\na,X,PL,50,19\n")
    with pytest.raises(ValidationError, match="rename 'id' to 'town_id', 'town' to 'name'"):
        tg.read_towns(p)
    p = write(
        tmp_path / "u.csv",
        "town_id,name,country,lat,lon\na,X,Poland,50,19\nb,Y,Czech Republic,50,18\n",
    )
    with pytest.raises(ValidationError) as info:
        tg.read_towns(p)
    msg = str(info.value)
    assert f"{p}:2:country: unknown country code 'Poland'" in msg and "did you mean PL?" in msg
    assert "'Czech Republic'" in msg and "did you mean CZ?" in msg


def test_towns_without_partnerships_warn_that_there_are_no_links(tiny_towns):
    with pytest.warns(DataWarning) as rec:
        data = tg.load(towns=tiny_towns)
    assert len(data.edges) == 0 and len(data) == 5
    message = " ".join(str(w.message) for w in rec)
    assert "towns given without partnerships: 5 towns and no links" in message
    assert "0 of them kept" in message and "--partnerships FILE" in message
    # an explicit empty list means "no links": no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert len(tg.load(towns=tiny_towns, partnerships=[]).edges) == 0


def test_cli_towns_without_partnerships_warns(tmp_path, capsys):
    from twinning_graph.cli import main

    mine = tmp_path / "mine.csv"
    mine.write_text("town_id,name,country,lat,lon\nx,Xanten,DE,51.66,6.45\n", "utf-8")
    assert main(["--towns", str(mine), "summary"]) == 0
    err = capsys.readouterr().err
    assert "warning: towns given without partnerships: 1 town and no links" in err
