"""Tests of twinning_graph.merge on tiny hand-made networks and the bundled data."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph.merge import match_report, match_towns, merge


def towns_frame(rows: list[tuple], extra: dict[str, list] | None = None) -> pd.DataFrame:
    """Towns from (town_id, name, country, lat, lon, geonames_id) tuples."""
    df = pd.DataFrame(rows, columns=["town_id", "name", "country", "lat", "lon", "geonames_id"])
    df["geonames_id"] = df["geonames_id"].astype("Int64")
    for col, values in (extra or {}).items():
        df[col] = values
    return df


def quiet_merge(base: tg.TwinningData, other: tg.TwinningData, **kw) -> tg.TwinningData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.DataWarning)
        return merge(base, other, **kw)


@pytest.fixture
def base() -> tg.TwinningData:
    # a -- b twinning, project P1 of a, b, c
    towns = towns_frame(
        [
            ("a", "Aachen", "DE", 50.78, 6.08, 1),
            ("b", "Brest", "FR", 48.39, -4.49, 2),
            ("c", "Cork", "IE", 51.90, -8.47, 3),
            ("d", "Delft", "NL", 52.01, 4.36, None),
        ],
        extra={"size": ["big", "mid", "mid", "small"]},
    )
    edges = pd.DataFrame(
        {"town_a": ["a"], "town_b": ["b"], "kind": ["twinning"], "since": [1990], "stars": [5]}
    )
    members = pd.DataFrame(
        {
            "partnership_id": ["P1"] * 3,
            "town_id": ["a", "b", "c"],
            "kind": ["network"] * 3,
            "since": [2020] * 3,
        }
    )
    return tg.load(towns=towns, partnerships=[edges, members])


@pytest.fixture
def other() -> tg.TwinningData:
    # "brest" is base's b (geonames 2, name spelled differently); x and y are new
    towns = towns_frame(
        [
            ("brest", "Brest (Finistère)", "FR", 48.39, -4.49, 2),
            ("x", "Xanten", "DE", 51.66, 6.45, 10),
            ("y", "Ypres", "BE", 50.85, 2.88, None),
        ],
        extra={"role": ["lead", "partner", "partner"]},
    )
    edges = pd.DataFrame(
        {
            "town_a": ["x", "y"],
            "town_b": ["brest", "x"],
            "kind": ["twinning", "twinning"],
            "since": [2001, 2005],
        }
    )
    members = pd.DataFrame(
        {
            "partnership_id": ["Q1"] * 3,
            "town_id": ["brest", "x", "y"],
            "kind": ["project"] * 3,
            "since": [2024] * 3,
        }
    )
    return tg.load(towns=towns, partnerships=[edges, members])


def test_matched_and_added_counts(base, other):
    with pytest.warns(tg.DataWarning, match=r"of 3 towns of other, 1 matched .* 2 added") as rec:
        merged = merge(base, other)
    assert list(merged.towns.index) == ["a", "b", "c", "d", "x", "y"]
    assert len(merged) == 6
    message = " ".join(str(w.message) for w in rec)
    assert "1 matched town has another name in base" in message
    assert "'brest' (Brest (Finistère)) -> 'b' (Brest) by geonames_id, 0.0 km [renamed]" in message


def test_base_attributes_win_and_gaps_are_filled(base, other):
    merged = quiet_merge(base, other)
    assert merged.towns.loc["b", "name"] == "Brest"  # base name kept
    assert merged.towns.loc["b", "role"] == "lead"  # column base lacks: taken from other
    assert merged.towns.loc["x", "eu"]


def test_links_are_rekeyed(base, other):
    merged = quiet_merge(base, other)
    p = merged.partnerships
    assert p[["town_a", "town_b"]].values.tolist() == [["a", "b"], ["b", "x"], ["x", "y"]]
    assert p["since"].tolist() == [1990, 2001, 2005]
    pairs = set(map(tuple, merged.edges[["town_a", "town_b"]].values.tolist()))
    assert ("b", "x") in pairs and ("x", "y") in pairs
    assert not (set(merged.edges["town_a"]) | set(merged.edges["town_b"])) - set(merged.towns.index)


def test_membership_pairs(base, other):
    merged = quiet_merge(base, other)
    m = merged.memberships
    assert m.loc[m["partnership_id"] == "Q1", "town_id"].tolist() == ["b", "x", "y"]
    e = merged.edges.set_index(["town_a", "town_b"])
    # a-b: the twinning and project P1; b-x: the twinning and project Q1; x-y likewise
    assert e.loc[("a", "b"), "kinds"] == "network;twinning"
    assert e.loc[("a", "b"), "weight"] == 2
    assert e.loc[("b", "x"), "kinds"] == "project;twinning"
    assert e.loc[("b", "x"), "weight"] == 2
    assert e.loc[("b", "y"), "kinds"] == "project"
    assert e.loc[("b", "y"), "since"] == 2024
    # pairs: 3 of P1, 3 of Q1, a-b/b-x/x-y twinnings shared with them
    assert len(merged.edges) == 6


def test_extra_columns_union(base, other):
    merged = quiet_merge(base, other)
    t = merged.towns
    assert list(t.columns) == [
        "name",
        "country",
        "lat",
        "lon",
        "population",
        "geonames_id",
        "eu",
        "size",
        "role",
    ]
    assert t.loc["x", "size"] is pd.NA or pd.isna(t.loc["x", "size"])
    assert pd.isna(t.loc["a", "role"])
    assert t["geonames_id"].dtype == "Int64"
    assert t["eu"].dtype == bool
    # an integer extra column of base stays whole where other has no value
    assert merged.partnerships["stars"].dtype == "Int64"
    assert merged.partnerships["stars"].tolist()[0] == 5
    assert merged.partnerships["stars"].isna().sum() == 2


def test_edges_rebuilt_not_copied(base, other):
    _ = base.edges  # cache base's pairs
    merged = quiet_merge(base, other)
    assert merged.edges is not base.edges
    assert len(merged.edges) > len(base.edges)


def test_inputs_unchanged(base, other):
    before = [
        d.copy()
        for d in (
            base.towns,
            base.partnerships,
            base.memberships,
            other.towns,
            other.partnerships,
            other.memberships,
        )
    ]
    base_edges = base.edges.copy()
    quiet_merge(base, other)
    after = (
        base.towns,
        base.partnerships,
        base.memberships,
        other.towns,
        other.partnerships,
        other.memberships,
    )
    for b, a in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(b, a)
    pd.testing.assert_frame_equal(base_edges, base.edges)


def test_town_id_clash_is_an_error(base):
    other = tg.load(
        towns=towns_frame(
            [("c", "Calais", "FR", 50.95, 1.86, 99), ("d", "Dijon", "FR", 47.32, 5.04, None)]
        )
    )
    with pytest.raises(tg.ValidationError, match=r"2 problems") as exc:
        merge(base, other)
    text = str(exc.value)
    assert "town 'c' of other (Calais, FR)" in text and "(Cork, IE)" in text
    assert "town 'd' of other (Dijon, FR)" in text and "rename it" in text


def test_partnership_id_clash_is_an_error(base):
    towns = towns_frame(
        [("x", "Xanten", "DE", 51.66, 6.45, 10), ("y", "Ypres", "BE", 50.85, 2.88, 11)]
    )
    members = pd.DataFrame({"partnership_id": ["P1", "P1"], "town_id": ["x", "y"]})
    other = tg.load(towns=towns, partnerships=members)
    with pytest.raises(tg.ValidationError, match=r"partnership_id 'P1' is used in the memberships"):
        merge(base, other)


def test_country_mismatch_is_an_error(base):
    other = tg.load(
        towns=towns_frame(
            [
                ("brest-by", "Brest", "BY", 52.10, 23.70, 2),
                ("aix", "Aix", "FR", 43.53, 5.45, 1),
                ("x", "Xanten", "DE", 51.66, 6.45, 10),
            ]
        )
    )
    with pytest.raises(tg.ValidationError, match=r"2 problems") as exc:
        merge(base, other)
    text = str(exc.value)
    assert "town 'brest-by' of other (Brest, BY) has geonames_id 2 like base town 'b'" in text
    assert "town 'aix' of other (Aix, FR) has geonames_id 1 like base town 'a' (Aachen, DE)" in text
    assert text.count("countries differ") == 2 and "'x'" not in text


def test_ambiguous_geonames_ids_are_not_matched():
    base_towns = towns_frame(
        [
            ("vienna", "Vienna", "AT", 48.21, 16.37, 7),
            ("wieden", "Wieden", "AT", 48.19, 16.37, 7),
            ("graz", "Graz", "AT", 47.07, 15.44, 8),
        ]
    )
    base = tg.load(towns=base_towns)
    other = tg.load(
        towns=towns_frame(
            [("wien", "Wien", "AT", 48.21, 16.37, 7), ("graz2", "Graz", "AT", 47.07, 15.44, 8)]
        )
    )
    with pytest.warns(
        tg.DataWarning,
        match=r"1 matched .* 1 added; 1 town not matched because "
        r"its geonames_id is shared by several base towns",
    ):
        merged = merge(base, other)
    assert list(merged.towns.index) == ["vienna", "wieden", "graz", "wien"]
    with pytest.warns(tg.DataWarning, match="shared by several base towns"):
        assert match_towns(base, other).to_dict() == {"wien": "wien", "graz2": "graz"}


def test_geonames_id_shared_within_other_is_ambiguous(base):
    other = tg.load(
        towns=towns_frame(
            [("b1", "Brest", "FR", 48.39, -4.49, 2), ("b2", "Brest", "FR", 48.39, -4.49, 2)]
        )
    )
    with pytest.warns(tg.DataWarning, match="2 towns not matched because several towns of other"):
        merged = merge(base, other)
    assert {"b1", "b2"} <= set(merged.towns.index)


def test_on_town_id(base):
    other = tg.load(
        towns=towns_frame(
            [("a", "Aachen", "DE", 50.78, 6.08, None), ("z", "Zwolle", "NL", 52.51, 6.09, None)]
        ),
        partnerships=pd.DataFrame({"town_a": ["a"], "town_b": ["z"]}),
    )
    with pytest.warns(tg.DataWarning, match="1 matched a base town by town_id"):
        merged = merge(base, other, on="town_id")
    assert list(merged.towns.index) == ["a", "b", "c", "d", "z"]
    assert ("a", "z") in set(map(tuple, merged.edges[["town_a", "town_b"]].values.tolist()))
    # by geonames_id the same "a" has no id to match on and clashes
    with pytest.raises(tg.ValidationError, match="merge with on='town_id'"):
        merge(base, other, on="geonames_id")
    # on="auto" finds it by name: Aachen, DE, 0 km
    with pytest.warns(tg.DataWarning, match="1 matched a base town by name"):
        assert "z" in quiet_merge(base, other).towns.index and len(merge(base, other)) == 5


def test_repeated_partnership_is_merged_once(base):
    other = tg.load(
        towns=towns_frame(
            [("aachen", "Aachen", "DE", 50.78, 6.08, 1), ("brest", "Brest", "FR", 48.39, -4.49, 2)]
        ),
        partnerships=pd.DataFrame({"town_a": ["brest"], "town_b": ["aachen"], "since": [1985]}),
    )
    with pytest.warns(tg.DataWarning) as rec:
        merged = merge(base, other)
    messages = [str(w.message) for w in rec]
    assert any("1 duplicate partnership row" in m for m in messages)
    assert any("2 matched a base town by geonames_id" in m for m in messages)
    assert len(merged.partnerships) == 1
    assert merged.partnerships.loc[0, "since"] == 1985


def test_bad_arguments(base, other):
    with pytest.raises(tg.ValidationError, match=r"on must be one of \['auto', 'wikidata_id'"):
        merge(base, other, on="zip")
    with pytest.raises(tg.ValidationError, match="max_km must be a number > 0"):
        merge(base, other, max_km=0)
    with pytest.raises(tg.ValidationError, match="other must be TwinningData"):
        merge(base, other.towns)


def test_merge_with_bundled_data():
    bundled = tg.load()
    bt = bundled.towns
    # Esztergom is bundled; Ilok (HR) and Tutrakan (BG) are not (GeoNames ids from the gazetteer)
    assert bt.loc["HU-esztergom", "geonames_id"] == 3053163
    assert not bt["geonames_id"].isin([3199128, 726141]).any()
    mine = tg.load(
        towns=towns_frame(
            [
                ("esztergom", "Esztergom", "HU", 47.79, 18.74, 3053163),
                ("ilok", "Ilok", "HR", 45.22, 19.38, 3199128),
                ("tutrakan", "Tutrakan", "BG", 44.05, 26.61, 726141),
            ]
        ),
        partnerships=pd.DataFrame(
            {
                "partnership_id": ["danube"] * 3,
                "town_id": ["esztergom", "ilok", "tutrakan"],
                "kind": ["network"] * 3,
                "since": [2025] * 3,
            }
        ),
    )
    with pytest.warns(tg.DataWarning, match=r"of 3 towns of other, 1 matched .* 2 added"):
        merged = merge(bundled, mine)
    assert len(merged) == len(bundled) + 2
    assert merged.towns.index.is_unique
    assert merged.memberships["town_id"].tolist() == ["HU-esztergom", "ilok", "tutrakan"]
    assert len(merged.edges) == len(bundled.edges) + 3
    new = merged.edges[merged.edges["kinds"] == "network"]
    assert set(map(tuple, new[["town_a", "town_b"]].values.tolist())) == {
        ("HU-esztergom", "ilok"),
        ("HU-esztergom", "tutrakan"),
        ("ilok", "tutrakan"),
    }
    # Esztergom keeps its bundled twin towns and gains two partners
    assert tg.degree(merged)["HU-esztergom"] == tg.degree(bundled)["HU-esztergom"] + 2
    assert merged.towns["n_coordinates"].dtype == "Int64"


# ------------------------------------------------------------------ matching rules (issue 14)


def test_auto_matches_by_wikidata_then_geonames_then_name(base):
    # base: a Aachen (gn 1), b Brest (gn 2), c Cork (gn 3), d Delft (no id)
    b2 = tg.load(
        towns=base.towns.reset_index().assign(wikidata_id=["Q1017", "", "", "Q690"]),
        partnerships=base.partnerships,
    )
    other = tg.load(
        towns=towns_frame(
            [
                ("w", "Aachen, NRW", "DE", 50.78, 6.08, None),  # Q-id only
                ("g", "Brest", "FR", 48.39, -4.49, 2),  # GeoNames id
                ("n", "Delft", "NL", 52.02, 4.35, None),  # no id: name + country, 1.2 km
                ("far", "Delft", "NL", 52.50, 4.35, None),  # same name 53 km away: refused
            ],
            extra={"wikidata_id": ["Q1017", "", "", ""]},
        )
    )
    report = match_report(b2, other)
    assert report[report["matched"]].set_index("other_id")["how"].to_dict() == {
        "w": "wikidata_id",
        "g": "geonames_id",
        "n": "name",
    }
    assert report[~report["matched"]]["other_id"].tolist() == ["far"]
    with pytest.raises(tg.ValidationError, match=r"town 'far' of other \(Delft, NL"):
        match_towns(b2, other)
    expected = {"w": "a", "g": "b", "n": "d", "far": "far"}
    assert match_towns(b2, other, accept=True).to_dict() == expected


def test_towns_without_ids_are_not_added_twice():
    # the bundled Esztergom has a geonames_id; a user row without one is found by name
    bundled = tg.load()
    mine = tg.load(
        towns=towns_frame([("esz", "Esztergom", "HU", 47.79, 18.74, None)]),
    )
    assert match_towns(bundled, mine).to_dict() == {"esz": "HU-esztergom"}


def test_distant_and_unrelated_matches_are_refused_unless_accepted(base):
    other = tg.load(
        towns=towns_frame(
            [
                # geonames_id 1 is Aachen's, but this point is ~64 km away (by hand: 17.8 km N, 61.7 km E)
                ("k", "Aachen", "DE", 50.94, 6.96, 1),
                # geonames_id 3 is Cork's, but the name is another town's
                ("m", "Mallow", "IE", 51.90, -8.47, 3),
            ]
        )
    )
    with pytest.raises(tg.ValidationError, match=r"2 problems") as exc:
        merge(base, other)
    text = str(exc.value)
    assert "matches base town 'a' (Aachen) by geonames_id but lies 64.3 km away" in text
    assert "matches base town 'c' (Cork) by geonames_id but has an unrelated name" in text
    assert "accept=True" in text
    with pytest.warns(tg.DataWarning) as rec:
        merged = merge(base, other, accept=True)
    assert len(merged) == 4
    message = str(rec[0].message)
    assert "'k' (Aachen) -> 'a' (Aachen) by geonames_id, 64.3 km [distant]" in message
    assert "'m' (Mallow) -> 'c' (Cork) by geonames_id, 0.0 km [renamed]" in message


def test_every_renamed_match_is_listed(base):
    rows = [(f"t{i}", f"Brest {i}", "FR", 48.39, -4.49, 2) for i in range(1)]
    rows += [("aa", "Aachen (NRW)", "DE", 50.78, 6.08, 1), ("cc", "Corcaigh", "IE", 51.9, -8.47, 3)]
    other = tg.load(towns=towns_frame(rows))
    with pytest.warns(tg.DataWarning) as rec:
        merge(base, other, accept=True)
    message = str(rec[0].message)
    assert "3 matched towns have another name in base" in message
    for tid in ("t0", "aa", "cc"):
        assert f"'{tid}' (" in message


def test_conflicting_duplicated_memberships_are_reported(base):
    # two towns of other ("Berlin" and "Berlin-Mitte") both become base town b; their project
    # rows disagree on the role
    other = tg.load(
        towns=towns_frame(
            [
                ("berlin", "Brest", "FR", 48.39, -4.49, 2),
                ("mitte", "Brest", "FR", 48.39, -4.49, None),
                ("x", "Xanten", "DE", 51.66, 6.45, 10),
            ]
        ),
        partnerships=pd.DataFrame(
            {
                "partnership_id": ["Q1", "Q1", "Q1"],
                "town_id": ["berlin", "mitte", "x"],
                "role": ["Lead Partner", "Partner", "Partner"],
            }
        ),
    )
    with pytest.warns(tg.DataWarning) as rec:
        merged = merge(base, other)
    message = " ".join(str(w.message) for w in rec)
    assert (
        "project 'Q1', town 'b': role given as 'Lead Partner' / 'Partner'; kept 'Lead Partner'"
        in (message)
    )
    q1 = merged.memberships[merged.memberships["partnership_id"] == "Q1"]
    assert sorted(q1["town_id"]) == ["b", "x"]
    assert q1.set_index("town_id").at["b", "role"] == "Lead Partner"


# ------------------------------------------------------------------ command line


def test_cli_repeatable_towns_and_merge(tmp_path, capsys):
    from twinning_graph.cli import main

    mine = tmp_path / "mine.csv"
    mine.write_text("town_id,name,country,lat,lon\nmy-ilok,Ilok,HR,45.22,19.38\n", encoding="utf-8")
    links = tmp_path / "links.csv"
    links.write_text("town_a,town_b\nmy-ilok,HU-esztergom\n", encoding="utf-8")
    # bundled towns + mine, bundled links + mine: one more town and one more link
    args = ["--towns", "bundled", "--towns", str(mine), "--partnerships", "bundled",
            "--partnerships", str(links), "summary", "--json"]  # fmt: skip
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    bundled = tg.load()
    assert out["towns"] == len(bundled) + 1
    assert out["links"] == len(bundled.edges) + 1
    # a town id in two --towns files is an error naming both files
    clash = tmp_path / "clash.csv"
    clash.write_text("town_id,name,country,lat,lon\nDE-berlin,Berlin,DE,52.5,13.4\n", "utf-8")
    assert main(["--towns", "bundled", "--towns", str(clash), "summary"]) == 1
    assert f"town_id 'DE-berlin' is in bundled and in {clash}" in capsys.readouterr().err
    # merge: my Esztergom row (no ids) is found by name and country, Ilok is added
    other = tmp_path / "other.csv"
    other.write_text(
        "town_id,name,country,lat,lon\nesz,Esztergom,HU,47.79,18.74\nilok,Ilok,HR,45.22,19.38\n",
        encoding="utf-8",
    )
    olinks = tmp_path / "olinks.csv"
    olinks.write_text("town_a,town_b\nesz,ilok\n", encoding="utf-8")
    out_dir = tmp_path / "merged"
    assert main(["merge", "--other-towns", str(other), "--other-partnerships", str(olinks),
                 "--out", str(out_dir)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "1 matched a base town by name" in err
    merged = tg.load(towns=out_dir / "towns.csv", partnerships=out_dir / "partnerships.csv")
    assert len(merged) == len(bundled) + 1
    assert ("HU-esztergom", "ilok") in set(map(tuple, merged.edges[["town_a", "town_b"]].values))


def test_far_namesake_is_refused_not_added_twice(base):
    # "Aachen" DE without ids, one degree of latitude north of base town a (50.78, 6.08):
    # by hand 6371.0088 km * pi / 180 = 111.195 km, shown as 111.2; a typo in lat
    other = tg.load(
        towns=towns_frame(
            [("far", "Aachen", "DE", 51.78, 6.08, None), ("x", "Xanten", "DE", 51.66, 6.45, None)]
        )
    )
    with pytest.raises(tg.ValidationError, match=r"1 problem\b") as exc:
        merge(base, other)
    text = str(exc.value)
    assert (
        "merge:far:lat/lon: town 'far' of other (Aachen, DE; in <towns DataFrame>) has the name "
        "of base town 'a' (Aachen, DE) but lies 111.2 km from it (max_km=10)" in text
    )
    assert "max_km=112 (CLI --max-km 112)" in text
    assert "accept=True (CLI --accept) to add it as a new town" in text
    # listed by match_report as a near miss, beside nothing else (Xanten has no namesake)
    report = match_report(base, other)
    assert report[["other_id", "base_id", "km", "distant", "matched"]].to_dict("records") == [
        {"other_id": "far", "base_id": "a", "km": 111.2, "distant": True, "matched": False}
    ]
    # accept: added as a second Aachen, named in the warning
    with pytest.warns(tg.DataWarning) as rec:
        merged = merge(base, other, accept=True)
    assert len(merged) == 4 + 2
    assert "'far' (Aachen) added beside 'a' (Aachen), 111.2 km away" in str(rec[0].message)
    # a larger max_km matches it instead
    assert match_towns(base, other, max_km=112).to_dict() == {"far": "a", "x": "x"}


def test_cli_merge_names_every_file_to_load(tmp_path, capsys):
    from twinning_graph.cli import main

    btowns = tmp_path / "btowns.csv"
    btowns.write_text(
        "town_id,name,country,lat,lon\nA,Aachen,DE,50.78,6.08\nB,Brest,FR,48.39,-4.49\n", "utf-8"
    )
    blinks = tmp_path / "blinks.csv"
    blinks.write_text("town_a,town_b\nA,B\n", "utf-8")
    mine = tmp_path / "mine.csv"
    mine.write_text(
        "town_id,name,country,lat,lon\naa,Aachen,DE,50.78,6.08\nx,Xanten,DE,51.66,6.45\n", "utf-8"
    )
    projects = tmp_path / "projects.csv"
    projects.write_text("partnership_id,town_id\nP1,aa\nP1,x\n", "utf-8")
    out = tmp_path / "merged"
    assert main(["--towns", str(btowns), "--partnerships", str(blinks), "merge",
                 "--other-towns", str(mine), "--other-partnerships", str(projects),
                 "--out", str(out)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert (
        f"load it with: twinning-graph --towns {out / 'towns.csv'} --partnerships "
        f"{out / 'partnerships.csv'} --partnerships {out / 'memberships.csv'} ..." in err
    )
    # towns + partnerships only: the projects would be lost, so a warning names the file
    with pytest.warns(tg.DataWarning, match=r"memberships\.csv lies beside the towns file"):
        lost = tg.load(towns=out / "towns.csv", partnerships=out / "partnerships.csv")
    assert len(lost.memberships) == 0
    # with the files the message names: A-B twinning plus project P1 linking A and x
    with warnings.catch_warnings():
        warnings.simplefilter("error", tg.DataWarning)
        full = tg.load(
            towns=out / "towns.csv",
            partnerships=[out / "partnerships.csv", out / "memberships.csv"],
        )
    assert sorted(full.memberships["town_id"]) == ["A", "x"]
    assert sorted(map(tuple, full.edges[["town_a", "town_b"]].values)) == [("A", "B"), ("A", "x")]
