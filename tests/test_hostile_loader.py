"""Hostile and careless input files and arguments: the loader's side (issue 16).

Every bad file gets one clear error naming file, line and column; nothing is read as
mojibake; no partnership is dropped without an error or a warning with counts.
"""

from __future__ import annotations

import gzip
import io
import warnings
import zipfile

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph._encoding import guess_codepage
from twinning_graph._errors import DataWarning, ValidationError
from twinning_graph.io import bundled_data_dir

HEADER = "town_id,name,country,lat,lon\n"


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def problems_of(fn):
    with pytest.raises(ValidationError) as info:
        fn()
    return [str(p) for p in info.value.problems], str(info.value)


# --------------------------------------------------------------------------- encodings


@pytest.fixture(scope="module")
def bundled_towns():
    return pd.read_csv(bundled_data_dir() / "towns.csv", dtype=str, keep_default_na=False)


@pytest.mark.parametrize(
    "country,codepage",
    [
        ("PL", "cp1250"),
        ("CZ", "cp1250"),
        ("SK", "cp1250"),
        ("HU", "cp1250"),
        ("SI", "cp1250"),
        ("HR", "cp1250"),
        ("RO", "cp1250"),
        ("FR", "cp1252"),
        ("SE", "cp1252"),
        ("LT", "cp1257"),
    ],
)
def test_excel_code_pages_read_exactly(tmp_path, bundled_towns, country, codepage):
    # the bundled towns of one country, saved as plain "CSV" by Excel in that country
    sub = bundled_towns.loc[bundled_towns["country"] == country, list(HEADER.strip().split(","))]
    fits = sub["name"].map(lambda n: n.encode(codepage, errors="replace").decode(codepage) == n)
    sub = sub[fits]
    assert sub["name"].str.contains(r"[^\x00-\x7f]").sum() >= 5  # the test means something
    path = write(tmp_path / "towns.csv", sub.to_csv(index=False), codepage)
    towns = tg.read_towns(path)
    assert towns["name"].tolist() == sub["name"].tolist()


REAL_CYRILLIC = {  # Bulgarian cities (real names) with their bundled town ids
    "BG-plovdiv": "Пловдив",
    "BG-varna": "Варна",
    "BG-burgas": "Бургас",
    "BG-ruse": "Русе",
    "BG-pleven": "Плевен",
    "BG-sliven": "Сливен",
}
REAL_GREEK = {
    "GR-athens": "Αθήνα",
    "GR-thessaloniki": "Θεσσαλονίκη",
    "GR-patras": "Πάτρα",
    "GR-larissa": "Λάρισα",
    "GR-volos": "Βόλος",
    "GR-kavala": "Καβάλα",
}


@pytest.mark.parametrize(
    "names,codepage", [(REAL_CYRILLIC, "cp1251"), (REAL_GREEK, "cp1253")], ids=["bg", "gr"]
)
def test_cyrillic_and_greek_code_pages(tmp_path, bundled_towns, names, codepage):
    ref = bundled_towns.set_index("town_id").reindex(list(names))
    assert ref["lat"].notna().all()
    text = HEADER + "".join(
        f"{tid},{name},{ref.loc[tid, 'country']},{ref.loc[tid, 'lat']},{ref.loc[tid, 'lon']}\n"
        for tid, name in names.items()
    )
    towns = tg.read_towns(write(tmp_path / "towns.csv", text, codepage))
    assert towns["name"].tolist() == list(names.values())


def test_undecidable_code_page_refused_with_how_to_resave(tmp_path):
    # one Czech word and no country column: cp1250 "Plzeň", cp1252 "Plzeò" or cp1251 "Plzeт"?
    p = write(tmp_path / "links.csv", "town_a,town_b,note\na,b,Plzeň\n", "cp1250")
    (msg,), _ = problems_of(lambda: tg.read_partnerships(p))
    assert msg.startswith(f"{p}: cannot tell the file's encoding")
    assert "line 2 reads as 'a,b,Plzeň' in cp1250 (Central European) but as 'a,b,Plze" in msg
    assert "CSV UTF-8 (Comma delimited)" in msg and "Unicode (UTF-8)" in msg


def test_mojibake_never_silently(tmp_path):
    # Łódź in cp1250 read as cp1252 would be '£ódŸ': the loader must not return that
    raw = "pl-lodz,Łódź\n".encode("cp1250")
    assert guess_codepage(b"town_id,name\n" + raw * 3)[0] == "cp1250"


def test_utf16_with_bom_is_read(tmp_path):
    p = write(tmp_path / "t.tsv", (HEADER + "a,Łódź,PL,51.77,19.46\n").replace(",", "\t"), "utf-16")
    assert tg.read_towns(p)["name"].tolist() == ["Łódź"]


def test_broken_utf8_with_bom_names_the_line(tmp_path):
    p = write(
        tmp_path / "t.csv",
        b"\xef\xbb\xbf" + (HEADER + "a,A,FR,48,2\n").encode() + b"b,\xe9,FR,48,2\n",
    )
    (msg,), _ = problems_of(lambda: tg.read_towns(p))
    assert msg.startswith(f"{p}:3: the file says it is UTF-8")


# --------------------------------------------------------------------------- file kinds


def _xlsx_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def _zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("towns.csv", HEADER)
    return buf.getvalue()


@pytest.mark.parametrize(
    "content,expected",
    [
        (gzip.compress(HEADER.encode()), "this is a gzip file: decompress it first"),
        (_xlsx_bytes(), "this is an Excel workbook (.xlsx), not a CSV file: open it in Excel"),
        (_zip_bytes(), "this is a ZIP archive: extract the CSV file from it first"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 50, "Excel 97-2003 workbook (.xls)"),
        (HEADER.encode("utf-16-le"), "UTF-16 text without a byte-order mark"),
        (b"town_id,name\n" + bytes(range(256)) * 16, "binary file (it contains NUL bytes)"),
        (b"\x00" * 4096, "this file holds only NUL bytes (zeros): it was not saved completely"),
    ],
    ids=["gzip", "xlsx", "zip", "xls", "utf16-no-bom", "binary", "zeros"],
)
def test_non_csv_files_named(tmp_path, content, expected):
    p = write(tmp_path / "towns.csv", content)
    (msg,), _ = problems_of(lambda: tg.read_towns(p))
    assert msg.startswith(f"{p}: ") and expected in msg


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path):
    (msg,), _ = problems_of(lambda: tg.read_towns(tmp_path))
    assert msg == f"{tmp_path}: is a folder, expected a CSV file"


# --------------------------------------------------------------------------- structure


def test_physical_line_numbers_after_multiline_cells_and_blank_lines(tmp_path):
    text = (
        "town_id,name,country,lat,lon,note\n"  # line 1
        'a,A,FR,48.9,2.36,"a note\nover\nthree lines"\n'  # lines 2-4
        "\n\n"  # lines 5-6 blank
        "b,B,XX,48,2,\n"  # line 7: unknown country
        "\n"  # line 8
        "c,C,FR,480,2,\n"  # line 9: latitude out of range
    )
    msgs, _ = problems_of(lambda: tg.read_towns(write(tmp_path / "t.csv", text)))
    p = tmp_path / "t.csv"
    assert msgs[0].startswith(f"{p}:7:country: unknown country code 'XX'")
    assert msgs[1].startswith(f"{p}:9:lat: latitude 480.0 out of range")


@pytest.mark.parametrize(
    "second,shown",
    [("name", "'name'"), ("Name", "'Name' (compared ignoring case"), ("name ", "'name '")],
)
def test_duplicate_headers_refused_naming_both_positions(tmp_path, second, shown):
    p = write(tmp_path / "t.csv", f"town_id,name,country,lat,lon,{second}\na,A,FR,48,2,B\n")
    (msg,), _ = problems_of(lambda: tg.read_towns(p))
    assert msg.startswith(f"{p}:1:")
    assert f"column 2 is 'name' and column 6 is {shown}" in msg


def test_duplicate_dataframe_columns_refused(tiny_towns):
    frame = pd.concat([tiny_towns, tiny_towns[["name"]]], axis=1)
    (msg,), _ = problems_of(lambda: tg.read_towns(frame))
    assert "column 2 is 'name' and column 7 is 'name'" in msg


def test_trailing_separator_without_values_is_harmless(tmp_path):
    p = write(tmp_path / "t.csv", "town_id,name,country,lat,lon,\na,A,FR,48,2,\nb,B,DE,50,8,\n")
    towns = tg.read_towns(p)
    assert list(towns.columns[:5]) == ["name", "country", "lat", "lon", "population"]
    assert not [c for c in towns.columns if "Unnamed" in str(c) or c == ""]


def test_unnamed_column_with_values_refused(tmp_path):
    p = write(tmp_path / "t.csv", "town_id,name,country,lat,lon,\na,A,FR,48,2,\nb,B,DE,50,8,x\n")
    (msg,), _ = problems_of(lambda: tg.read_towns(p))
    assert msg.startswith(f"{p}:1: column 6 has no name but line 3 has a value in it ('x')")


def test_short_and_long_rows(tmp_path):
    text = HEADER + "a,A,FR,48\nb,Saint, Denis,FR,48.9,2.3\nc,C,FR,48,2,,\n"
    p = write(tmp_path / "t.csv", text)
    msgs, _ = problems_of(lambda: tg.read_towns(p))
    assert msgs == [
        f"{p}:2: 4 fields but the header has 5: no value for 'lon' (write an empty value "
        "between separators for a missing value)",
        f"{p}:3: 6 fields but the header has 5: extra value '2.3' (a comma inside a value? "
        "put that value in double quotes)",
    ]  # line 4 only has empty extra fields: read


def test_unclosed_quote_is_named(tmp_path):
    p = write(tmp_path / "t.csv", HEADER + 'a,"A,FR,48,2\nb,B,FR,48,2\n')
    (msg,), _ = problems_of(lambda: tg.read_towns(p))
    assert msg.startswith(f"{p}:2: 2 fields but the header has 5")
    assert "runs over lines 2-3: a double quote that is never closed?" in msg


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "name,char",
    [
        ("Pa\x1b[31mris", "U+001B, escape"),
        ("Lyon\x00", "U+0000, NUL"),
        ("Saint\nDenis", "U+000A, line break"),
        ("Nice\x9b2J", "U+009B, control sequence introducer"),
        ("Metz\u202eeviL", "U+202E"),
    ],
)
def test_control_characters_refused_with_file_row_column(tmp_path, name, char):
    p = tmp_path / "t.csv"
    frame = pd.DataFrame(
        {"town_id": ["a", "b"], "name": ["A", name], "country": ["FR"] * 2, "lat": [48, 49]}
    ).assign(lon=2)
    frame.to_csv(p, index=False)
    (msg,), _ = problems_of(lambda: tg.read_towns(p))
    assert msg.startswith(f"{p}:3:name: control character {char}")
    (msg,), _ = problems_of(lambda: tg.read_towns(frame))
    assert msg.startswith("<towns DataFrame>:1:name: control character")


def test_line_breaks_allowed_in_extra_columns(tiny_towns):
    towns = tg.read_towns(tiny_towns.assign(note=["two\nlines", "tab\there", "a\r\nb", "", "x"]))
    assert towns["note"].tolist()[:3] == ["two\nlines", "tab\there", "a\r\nb"]


def test_control_characters_in_partnership_ids(tiny_towns):
    links = pd.DataFrame({"town_a": ["a"], "town_b": ["b\x1b"]})
    (msg,), _ = problems_of(lambda: tg.load(towns=tiny_towns, partnerships=links))
    assert msg.startswith("<partnerships DataFrame 0>:0:town_b: control character U+001B")


def test_name_length_limit(tiny_towns):
    towns = tiny_towns.copy()
    towns.loc[2, "name"] = "x" * 1_000_000
    (msg,), _ = problems_of(lambda: tg.read_towns(towns))
    assert msg.startswith("<towns DataFrame>:2:name: 1,000,000 characters")
    assert "at most 200 are allowed" in msg


@pytest.mark.parametrize("value", ["99999999999999999999999", 1e30])
def test_huge_population_refused(tiny_towns, value):
    towns = tiny_towns.astype({"population": object})
    towns.loc[1, "population"] = value
    (msg,), _ = problems_of(lambda: tg.read_towns(towns))
    assert msg.startswith("<towns DataFrame>:1:population: population") and "too large" in msg


def test_lost_letters_warned(tmp_path):
    # Excel saving Polish names in cp1252 writes '?' for the letters cp1252 lacks
    p = write(tmp_path / "t.csv", HEADER + "a,?ód?,PL,51.77,19.46\nb,Kraków,PL,50.06,19.94\n")
    with pytest.warns(DataWarning, match=r"1 name hold a '\?' inside a word \(e.g. '\?ód\?'\)"):
        tg.read_towns(p)


def test_did_you_mean_across_case(tmp_path):
    t = write(tmp_path / "t.csv", HEADER + "A1,A,FR,48,2\nB1,B,DE,50,8\n")
    lp = write(tmp_path / "l.csv", "town_a,town_b\na1,B1\n")
    (msg,), _ = problems_of(lambda: tg.load(towns=t, partnerships=lp))
    assert msg == f"{lp}:2:town_a: unknown town 'a1': not in the towns table; did you mean 'A1'?"


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "bad,shown",
    [
        (
            None,
            "partnerships[1]: expected a path (str or pathlib.Path) or a pandas DataFrame, got NoneType None",
        ),
        (b"town_a,town_b", "got bytes b'town_a,town_b' (bytes: decode them"),
        ({"town_a": ["a"]}, "got dict {'town_a': ['a']} (a dict: make it a table"),
        (
            3,
            "partnerships[1]: expected a path (str or pathlib.Path) or a pandas DataFrame, got int 3",
        ),
    ],
)
def test_wrong_partnership_types_raise_one_clear_error(tiny_towns, tiny_links, bad, shown):
    with pytest.raises(ValidationError) as info:
        tg.load(towns=tiny_towns, partnerships=[tiny_links, bad])
    assert shown in str(info.value)
    assert "1 of the 2 partnerships inputs" not in str(info.value)  # singular
    assert str(info.value).startswith("1 of the 2 partnerships input is neither")


def test_wrong_towns_type(tiny_links):
    with pytest.raises(
        ValidationError,
        match=r"^towns: expected a path \(str or pathlib.Path\) or a pandas DataFrame, got int 123$",
    ):
        tg.load(towns=123)
    with pytest.raises(ValidationError, match=r"^partnerships: expected a path .* got int 5$"):
        tg.load(towns=bundled_data_dir() / "towns.csv", partnerships=5)


def test_never_fewer_partnerships_than_given(tiny_towns):
    # 7 rows, 2 of them the same partnership stated from both ends: 6 records, 1 warned
    links = pd.DataFrame(
        {
            "town_a": ["a", "b", "a", "b", "c", "d", "e"],
            "town_b": ["b", "a", "c", "c", "d", "e", "a"],
        }
    )
    with pytest.warns(DataWarning, match="1 duplicate partnership row"):
        data = tg.load(towns=tiny_towns, partnerships=[links])
    assert len(data.partnerships) == 6


def test_projects_keyed_by_file(tmp_path):
    t = write(tmp_path / "t.csv", HEADER + "a,A,FR,48,2\nb,B,DE,50,8\nc,C,PL,52,20\nd,D,IT,42,12\n")
    m1 = write(tmp_path / "calls2023.csv", "partnership_id,town_id\n1,a\n1,b\n1,c\n")
    m2 = write(tmp_path / "calls2024.csv", "partnership_id,town_id\n1,c\n1,d\n")
    with pytest.warns(DataWarning, match=r"1 project id \(e.g. '1'\) appears in more than one"):
        data = tg.load(towns=t, partnerships=[m1, m2])
    # two projects: {a, b, c} links 3 pairs and {c, d} one; merged they would link 6
    assert sorted(map(tuple, data.edges[["town_a", "town_b"]].to_numpy())) == [
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
        ("c", "d"),
    ]
    assert sorted(data.memberships["partnership_id"].unique()) == ["calls2023:1", "calls2024:1"]


def test_same_named_project_files_refused(tmp_path):
    t = write(tmp_path / "t.csv", HEADER + "a,A,FR,48,2\nb,B,DE,50,8\nc,C,PL,52,20\n")
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    m1 = write(tmp_path / "x" / "members.csv", "partnership_id,town_id\n1,a\n1,b\n")
    m2 = write(tmp_path / "y" / "members.csv", "partnership_id,town_id\n1,b\n1,c\n")
    (msg,), _ = problems_of(lambda: tg.load(towns=t, partnerships=[m1, m2]))
    assert "project id '1' appears in several membership files with the same name" in msg


def test_projects_of_one_file_unchanged(tmp_path, no_warnings):
    t = write(tmp_path / "t.csv", HEADER + "a,A,FR,48,2\nb,B,DE,50,8\nc,C,PL,52,20\n")
    m1 = write(tmp_path / "m1.csv", "partnership_id,town_id\n1,a\n1,b\n")
    m2 = write(tmp_path / "m2.csv", "partnership_id,town_id\n2,b\n2,c\n")
    data = tg.load(towns=t, partnerships=[m1, m2])
    assert sorted(data.memberships["partnership_id"].unique()) == ["1", "2"]


def test_validate_with_unreadable_towns_file_does_not_use_bundled_towns(tmp_path):
    bad_towns = write(tmp_path / "towns.csv", gzip.compress(b"town_id,name\n"))
    links = write(tmp_path / "links.csv", "town_a,town_b\nmy-a,my-b\n")
    problems = tg.validate_files([bad_towns, links])
    assert [str(p) for p in problems] == [
        f"{bad_towns}: this is a gzip file: decompress it first (gunzip, or 7-Zip on Windows)"
    ]
    problems = tg.validate_files([links], towns=bad_towns)
    assert len(problems) == 1 and "gzip" in problems[0].message


def test_eu_column_that_disagrees_is_warned(tiny_towns):
    with pytest.warns(DataWarning, match="'eu' column differs .* in 5 rows"):
        towns = tg.read_towns(tiny_towns.assign(eu=False))
    assert towns["eu"].all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.read_towns(tiny_towns.assign(eu=True))


def test_header_problems_name_the_header_line(tmp_path):
    p = write(tmp_path / "t.csv", "\n\nid,name,lat,lon\n1,A,1,2\n")  # header on line 3
    (msg,), _ = problems_of(lambda: tg.read_towns(p))
    assert msg.startswith(f"{p}:3: missing columns 'town_id', 'country'")
    lp = write(tmp_path / "l.csv", "\nfrom,to\na,b\n")
    (msg,), _ = problems_of(lambda: tg.read_partnerships(lp))
    assert msg.startswith(f"{lp}:2: cannot tell the format from the header")


def test_type_errors_carry_their_problems(tiny_links):
    # a caller that collects problems (as load() does) cannot lose these errors
    with pytest.raises(ValidationError) as info:
        tg.read_partnerships([tiny_links, None])
    assert [str(p) for p in info.value.problems] == [
        "partnerships[1]: expected a path (str or pathlib.Path) or a pandas DataFrame, "
        "got NoneType None"
    ]
    with pytest.raises(ValidationError) as info:
        tg.read_towns(123)
    assert [p.source for p in info.value.problems] == ["towns"]


def test_blank_name_listed_beside_a_control_character_elsewhere():
    # found by the round-trip property test: a blank name was not reported when another
    # cell of the file held a control character (one error must list every problem)
    towns = pd.DataFrame(
        {
            "town_id": ["a", "b"],
            "name": [" ", "Plain"],
            "country": ["PL", "FR"],
            "lat": [51.7592, 48.8566],
            "lon": [19.456, 2.3522],
            "note": ["\x08", "plain"],
        }
    )
    with pytest.raises(tg.ValidationError) as info:
        tg.load(towns=towns, partnerships=pd.DataFrame({"town_a": ["a"], "town_b": ["b"]}))
    shown = [str(p) for p in info.value.problems]
    assert "<towns DataFrame>:0:name: empty name" in shown
    assert any(s.startswith("<towns DataFrame>:0:note: control character U+0008") for s in shown)


@pytest.mark.parametrize(
    "suffix,expected",
    [
        (".geojson", "this is a GeoJSON file (JSON), not a CSV file: read it with tg.read_geojson"),
        (".graphml", "this is a GraphML file (XML), not a CSV file: read it with tg.read_graphml"),
        (".gexf", "this is a GEXF file (XML), not a CSV file: read it with tg.read_gexf"),
    ],
)
def test_own_exports_given_as_csv_are_named_in_one_line(tmp_path, tiny, suffix, expected):
    path = tmp_path / f"x{suffix}"
    {".geojson": tg.to_geojson, ".graphml": tg.to_graphml, ".gexf": tg.to_gexf}[suffix](tiny, path)
    (msg,), _ = problems_of(lambda: tg.read_towns(path))
    assert msg.startswith(f"{path}: {expected}")
    (msg,), _ = problems_of(lambda: tg.load(towns=path, partnerships=[]))
    assert expected in msg


@pytest.mark.parametrize(
    "content,expected",
    [
        (b'\xef\xbb\xbf  [{"a": 1}]', "this is a JSON file, not a CSV file"),
        (b"<!DOCTYPE html><html></html>", "this is an XML or HTML file, not a CSV file"),
    ],
)
def test_other_json_and_xml_named(tmp_path, content, expected):
    p = write(tmp_path / "towns.csv", content)
    (msg,), _ = problems_of(lambda: tg.read_towns(p))
    assert msg == f"{p}: {expected}"
