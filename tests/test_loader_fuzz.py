"""Random and malformed CSV fed to the loader: only the library's own error may escape."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import twinning_graph as tg

HEADERS = [
    "town_id,name,country,lat,lon,population",
    "town_id;name;country;lat;lon",
    "town_a,town_b,kind,since",
    "partnership_id,town_id",
    "a,b",
    "",
]
cell = st.text(alphabet=string.printable + "éßΘ;,\"'\t", max_size=12)
row = st.lists(cell, min_size=0, max_size=7).map(lambda cs: ",".join(cs))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(HEADERS),
    rows=st.lists(row, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_random_towns_csv(tmp_path_factory, header, rows, encoding):
    path = tmp_path_factory.mktemp("fuzz") / "towns.csv"
    path.write_bytes("\n".join([header, *rows]).encode(encoding, errors="replace"))
    try:
        towns = tg.read_towns(path)
    except tg.ValidationError as exc:
        assert str(exc)  # says something
    else:
        assert towns.index.is_unique and towns["lat"].between(-90, 90).all()


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300))
def test_random_bytes(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("bytes")
    (d / "t.csv").write_bytes(data)
    (d / "p.csv").write_bytes(data)
    try:
        tg.load(towns=d / "t.csv", partnerships=d / "p.csv")
    except tg.ValidationError:
        pass


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "zz", ""]),
            st.sampled_from(["a", "b", "c", "", "x y"]),
            st.sampled_from(["", "1990", "19x0", "-5", "2024-01-01"]),
        ),
        max_size=8,
    )
)
def test_random_partnerships(tmp_path_factory, rows):
    d = tmp_path_factory.mktemp("p")
    (d / "t.csv").write_text(
        "town_id,name,country,lat,lon\na,A,DE,50,8\nb,B,FR,48,2\nc,C,PL,52,21\n"
    )
    (d / "p.csv").write_text("town_a,town_b,since\n" + "\n".join(",".join(r) for r in rows))
    try:
        data = tg.load(towns=d / "t.csv", partnerships=d / "p.csv")
    except tg.ValidationError:
        return
    assert (data.edges["town_a"] < data.edges["town_b"]).all()


# real town names (the bundled towns) of the countries whose Excel writes each code page
_CODEPAGE_OF = {"PL": "cp1250", "CZ": "cp1250", "HU": "cp1250", "HR": "cp1250", "RO": "cp1250"}
_CODEPAGE_OF |= {"FR": "cp1252", "DE": "cp1252", "ES": "cp1252", "SE": "cp1252", "PT": "cp1252"}


def _encodable_names() -> dict[str, list[str]]:
    import pandas as pd

    from twinning_graph.io import bundled_data_dir

    towns = pd.read_csv(bundled_data_dir() / "towns.csv", dtype=str, keep_default_na=False)
    out = {}
    for cc, cp in _CODEPAGE_OF.items():
        names = towns.loc[towns["country"] == cc, "name"]
        out[cc] = [
            n
            for n in names
            if any(ord(c) > 127 for c in n) and n.encode(cp, errors="replace").decode(cp) == n
        ]
    return out


_NAMES = _encodable_names()


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    country=st.sampled_from(sorted(_CODEPAGE_OF)),
    picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8),
    with_country=st.booleans(),
)
def test_code_page_files_read_exactly_or_refused(tmp_path_factory, country, picks, with_country):
    """A file saved by Excel in a Windows code page is never read as mojibake."""
    cp = _CODEPAGE_OF[country]
    names = [_NAMES[country][i % len(_NAMES[country])] for i in picks]
    rows = [
        f"t{i},{n}" + (f",{country},50,10" if with_country else "") for i, n in enumerate(names)
    ]
    header = "town_id,name,country,lat,lon" if with_country else "town_id,name"
    path = tmp_path_factory.mktemp("cp") / "towns.csv"
    path.write_bytes("\n".join([header, *rows, ""]).encode(cp))
    from twinning_graph._csv import read_raw
    from twinning_graph._validate import Problems

    problems = Problems()
    frame, _ = read_raw(path, problems)
    if frame is None:
        (problem,) = problems.items
        assert problem.message.startswith("cannot tell the file's encoding")
        assert "CSV UTF-8" in problem.message
    else:
        assert frame["name"].tolist() == names
