"""No formula gets into a spreadsheet: every table the library writes (issue 16).

One hostile synthetic network (town names, notes and a column name that spreadsheets would
run as formulas, with carriage returns and line feeds inside cells) is written through
every table writer: ``to_csv`` (csv and csv-eu), the CLI's ``--csv`` output, the report's
table files and ``geocode``'s output. Each file is checked with Python's csv module and,
where LibreOffice is installed, opened in LibreOffice Calc: no cell may be a formula.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import twinning_graph as tg
from twinning_graph._write import neutralise_formulas, unneutralise, write_table
from twinning_graph.cli import main
from twinning_graph.report import build_report

FORMULAS = [
    '=HYPERLINK("http://evil.example/x","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "＝1+1",  # full-width equals sign
]
NOTES = [
    "first line\r=SUM(1+1)",  # a bare carriage return: the row must not break here
    "first line\n=SUM(2+2)",
    "\r=SUM(3+3)",
    "\t=SUM(4+4)",
    "'=already quoted",
    "x\r\n@SUM(5+5)",
    "plain",
    "-12",  # a plain number stays a number
]
HOSTILE_COLUMN = '=HYPERLINK("http://evil.example/col","col")'
RISKY_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


@pytest.fixture(scope="module")
def hostile() -> tg.TwinningData:
    """Synthetic: eight towns in seven countries; five are named like formulas.

    Links: t0-t1, t0-t2, t0-t3, t1-t4, t2-t5, t3-t6, t4-t7, t5-t6, t6-t7.
    """
    towns = pd.DataFrame(
        {
            "town_id": [f"t{i}" for i in range(8)],
            "name": [*FORMULAS, "Łódź", "Köln", "Lyon"],
            "country": ["BE", "FR", "DE", "PL", "IT", "AT", "NL", "ES"],
            "lat": [50.85, 45.76, 50.94, 51.76, 45.07, 48.21, 52.37, 40.42],
            "lon": [4.35, 4.84, 6.96, 19.46, 7.69, 16.37, 4.90, -3.70],
            "population": [180000, 513000, 1080000, 670000, 870000, 1900000, 870000, 3200000],
            "note": NOTES,
            HOSTILE_COLUMN: ["=1"] * 8,
        }
    )
    links = pd.DataFrame(
        {
            "town_a": ["t0", "t0", "t0", "t1", "t2", "t3", "t4", "t5", "t6"],
            "town_b": ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t6", "t7"],
            "kind": ["=cmd()", *["twinning"] * 8],
            "ref": ["@ref\r=1", *[f"r{i}" for i in range(8)]],
        }
    )
    return tg.load(towns=towns, partnerships=links)


@pytest.fixture(scope="module")
def written(hostile, tmp_path_factory) -> dict[str, list[Path]]:
    """Every table file the library writes for the hostile network, by separator."""
    d = tmp_path_factory.mktemp("hostile")
    comma: list[Path] = []
    semicolon: list[Path] = []
    comma += tg.to_csv(hostile, d / "export").values()
    semicolon += tg.to_csv(hostile, d / "export-eu", format="csv-eu").values()
    for scope in ("europe", "t0"):
        build_report(hostile, scope=scope, path=d / "report" / f"{scope}.html", broker_sample=None)
    comma += sorted((d / "report").glob("*.csv"))
    build_report(hostile, scope="t0", path=d / "report-eu" / "t0.html", format="csv-eu")
    semicolon += sorted((d / "report-eu").glob("*.csv"))
    # the command line: tables printed with --csv, and geocode's files
    towns, links = tg.to_csv(hostile, d / "cli-input", spreadsheet_safe=False)["towns"], None
    links = d / "cli-input" / "partnerships.csv"
    for command in (["reach"], ["clusters"], ["rank", "--town", "t1", "--call", "none"]):
        out = d / f"cli-{command[0]}.csv"
        with open(out, "w", encoding="utf-8", newline="") as fh:
            _run_cli(["--towns", str(towns), "--partnerships", str(links), *command, "--csv"], fh)
        comma.append(out)
    names = d / "names.csv"
    names.write_text(
        "name,country,project\n"
        + "".join(
            f'"{n.replace(chr(34), chr(34) * 2)}",DE,"{p.replace(chr(34), chr(34) * 2)}"\n'
            for n, p in zip(["Köln", *FORMULAS], ["p", *NOTES], strict=False)
        ),
        encoding="utf-8",
    )
    for fmt, bucket in (("csv", comma), ("csv-eu", semicolon)):
        out, towns_out = d / f"geocoded-{fmt}.csv", d / f"geocoded-towns-{fmt}.csv"
        code = main(
            [
                "geocode",
                str(names),
                "--out",
                str(out),
                "--towns-out",
                str(towns_out),
                "--format",
                fmt,
            ]
        )
        assert code == 0
        bucket += [out, towns_out]
    return {",": comma, ";": semicolon}


def _run_cli(argv, fh):
    import contextlib

    with contextlib.redirect_stdout(fh):
        assert main(argv) == 0


def _cells(path: Path, sep: str) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


def _risky(cell: str) -> bool:
    if not cell.startswith(RISKY_START):
        return False
    try:
        float(cell.replace(",", "."))
        return False
    except ValueError:
        return True


def test_every_table_writer_was_exercised(written):
    names = {p.name for ps in written.values() for p in ps}
    assert {"towns.csv", "partnerships.csv", "links.csv"} <= names
    assert {"europe_towns.csv", "t0_partners.csv", "t0_candidates.csv"} <= names
    assert "t0_plan_alternatives.csv" in names
    assert {"cli-reach.csv", "cli-clusters.csv", "cli-rank.csv", "geocoded-csv.csv"} <= names
    assert len(written[";"]) >= 6


@pytest.mark.parametrize("sep", [",", ";"])
def test_no_formula_cell_and_no_broken_row(written, sep):
    for path in written[sep]:
        rows = _cells(path, sep)
        width = len(rows[0])
        assert all(len(r) == width for r in rows), f"{path.name}: a row broke"
        bad = [c for r in rows for c in r if _risky(c)]
        assert not bad, f"{path.name}: formula-like cells {bad[:3]}"


def test_hostile_cells_kept_as_text(written):
    towns = next(p for p in written[","] if p.name == "towns.csv")
    rows = _cells(towns, ",")
    assert rows[0][-1] == "'" + HOSTILE_COLUMN  # the header is neutralised too
    names = [r[1] for r in rows[1:]]
    assert names[:5] == ["'" + f for f in FORMULAS]
    notes = [r[rows[0].index("note")] for r in rows[1:]]
    assert notes == [
        "first line\r=SUM(1+1)",
        "first line\n=SUM(2+2)",
        "'\r=SUM(3+3)",
        "'\t=SUM(4+4)",
        "''=already quoted",
        "x\r\n@SUM(5+5)",
        "plain",
        "-12",
    ]


def test_csv_reads_back_exactly(written, hostile):
    d = next(p for p in written[","] if p.name == "towns.csv").parent
    back = tg.load(towns=d / "towns.csv", partnerships=d / "partnerships.csv")
    assert back.towns["name"].tolist() == hostile.towns["name"].tolist()
    assert back.towns["note"].tolist() == hostile.towns["note"].tolist()
    assert HOSTILE_COLUMN in back.towns.columns
    assert back.partnerships["ref"].tolist() == hostile.partnerships["ref"].tolist()


def test_csv_eu_is_the_european_excel_dialect(written, hostile):
    links = next(p for p in written[";"] if p.name == "links.csv")
    raw = links.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    rows = _cells(links, ";")
    assert rows[0] == ["town_a", "town_b", "kinds", "weight", "since", "distance_km"]
    km = hostile.edges["distance_km"].iloc[0]
    assert rows[1][5] == repr(float(km)).replace(".", ",")  # full precision, decimal comma
    d = links.parent
    back = tg.load(towns=d / "towns.csv", partnerships=d / "partnerships.csv")
    assert back.towns["lat"].tolist() == hostile.towns["lat"].tolist()
    assert back.towns["name"].tolist() == hostile.towns["name"].tolist()


def test_report_tables_are_rounded_for_people(written, hostile):
    from geopy.distance import great_circle

    table = next(p for p in written[","] if p.name == "europe_towns.csv")
    rows = _cells(table, ",")
    row = next(r for r in rows[1:] if r[0] == "t0")
    mean_km = row[rows[0].index("mean_partner_km")]
    t = hostile.towns
    km = [
        great_circle(
            (t.loc["t0", "lat"], t.loc["t0", "lon"]), (t.loc[o, "lat"], t.loc[o, "lon"])
        ).km
        for o in ("t1", "t2", "t3")
    ]
    assert len(mean_km.split(".")[1]) == 1  # 0.1 km for people
    assert abs(float(mean_km) - sum(km) / 3) <= 0.05 + 1e-3
    scores = [float(r[rows[0].index("eu_share")]) for r in rows[1:]]
    assert all(round(v, 3) == v for v in scores)
    # the machine table keeps full precision
    links = _cells(next(p for p in written[","] if p.name == "links.csv"), ",")
    assert float(links[1][5]) == float(hostile.edges["distance_km"].iloc[0])


def test_write_table_quotes_a_bare_carriage_return():
    buf = io.StringIO()
    write_table(pd.DataFrame({"a": ["x\ry"], "b": [1]}), buf)
    assert buf.getvalue() == 'a,b\r\n"x\ry",1\r\n'
    buf = io.StringIO()
    write_table(pd.DataFrame({"a": ["x y"], "b": [1.5]}), buf)
    assert buf.getvalue() == "a,b\nx y,1.5\n"


def test_neutralise_and_unneutralise_are_inverse():
    cells = pd.Series(["=1", "'=1", "''=1", "'plain", "plain", "-1.5", "-x", "@", "\t"])
    done = neutralise_formulas(pd.DataFrame({"c": cells}))["c"]
    assert done.tolist() == ["'=1", "''=1", "'''=1", "'plain", "plain", "-1.5", "'-x", "'@", "'\t"]
    assert unneutralise(done.astype(str)).tolist() == cells.tolist()


def test_xlsx_holds_text_never_formulas(hostile, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    paths = tg.to_csv(hostile, tmp_path, format="xlsx")
    assert sorted(p.name for p in paths.values()) == [
        "links.xlsx",
        "partnerships.xlsx",
        "towns.xlsx",
    ]
    ws = openpyxl.load_workbook(paths["towns"]).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    header = [c.value for c in next(ws.iter_rows())]
    assert HOSTILE_COLUMN in header
    names = [r[1].value for r in ws.iter_rows(min_row=2)]
    assert names == hostile.towns["name"].tolist()
    lat = [r[3].value for r in ws.iter_rows(min_row=2)]
    assert lat == hostile.towns["lat"].tolist()  # numbers stay numbers


def test_xlsx_for_people_keeps_full_value_shows_rounded(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = write_table(
        pd.DataFrame({"distance_km": [1234.56789], "score": [0.123456]}),
        tmp_path / "t.xlsx",
        for_people=True,
    )
    row = next(openpyxl.load_workbook(path).active.iter_rows(min_row=2))
    assert [c.value for c in row] == [1234.56789, 0.123456]
    assert [c.number_format for c in row] == ["0.0", "0.000"]


# --------------------------------------------------------------------------- LibreOffice


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _calc_cells(files: list[Path], sep: str, tmp_path: Path) -> dict[str, list]:
    """Open CSV files in LibreOffice Calc (headless, formulas evaluated on import) and
    return every cell of each, as converted to .xlsx and read by openpyxl."""
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / f"calc{ord(sep)}"
    profile = tmp_path / "lo-profile"
    # separator, text delimiter ", UTF-8, from line 1, standard cells, default language,
    # quoted fields not forced to text, detect special numbers, (export options), and
    # evaluate formulas: the worst case a user can choose when opening the file
    filt = f"CSV:{ord(sep)},34,76,1,,0,false,true,false,false,false,-1,true"
    subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            f"--infilter={filt}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    cells = {}
    for f in files:
        ws = openpyxl.load_workbook(out / (f.stem + ".xlsx")).active
        cells[f.name] = [c for row in ws.iter_rows() for c in row]
    return cells


needs_soffice = pytest.mark.skipif(
    _soffice() is None, reason="LibreOffice not found (apt-get install libreoffice-calc-nogui)"
)


@needs_soffice
def test_libreoffice_finds_formulas_in_unprotected_csv(tmp_path):
    # the check can fail: what pandas wrote before is run as formulas by Calc
    d = tmp_path / "raw"
    d.mkdir()
    pd.DataFrame({"name": ["=1+1", "ok"]}).to_csv(d / "plain.csv", index=False)
    pd.DataFrame({"name": ["x\r=SUM(2+2)", "ok"]}).to_csv(
        d / "carriage.csv", index=False, lineterminator="\n"
    )
    cells = _calc_cells([d / "plain.csv", d / "carriage.csv"], ",", tmp_path)
    for name, found in cells.items():
        assert [c for c in found if c.data_type == "f"], name


@needs_soffice
@pytest.mark.parametrize("sep", [",", ";"])
def test_libreoffice_sees_no_formula_in_any_file_we_write(written, sep, tmp_path):
    files = written[sep]
    # several files share a name (towns.csv): give each its own
    d = tmp_path / "in"
    d.mkdir()
    copies = []
    for i, f in enumerate(files):
        copies.append(d / f"{i:02d}_{f.name}")
        shutil.copy(f, copies[-1])
    cells = _calc_cells(copies, sep, tmp_path)
    assert len(cells) == len(files)
    for name, found in cells.items():
        assert found, name
        formulas = [(c.coordinate, c.value) for c in found if c.data_type == "f"]
        assert not formulas, f"{name}: {formulas[:3]}"
    towns = next(v for k, v in cells.items() if k.endswith("_towns.csv"))
    assert '=HYPERLINK("http://evil.example/x","click")' in "".join(
        str(c.value) for c in towns
    )  # shown as text
