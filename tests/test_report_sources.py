"""The report and map credits on a user's own files: years, year coverage, source names.

Synthetic: four towns and three links written to ``links.csv`` in the test; two links have a
``since`` year (2005, 2024), one has none.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import twinning_graph as tg  # noqa: E402
from twinning_graph.plot._credits import map_credits  # noqa: E402
from twinning_graph.report import build_report  # noqa: E402
from twinning_graph.report._coverage import share_decimals  # noqa: E402


@pytest.fixture(scope="module")
def user_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("user")
    pd.DataFrame(
        {
            "town_id": ["PL-u", "SK-c", "CZ-j", "DE-x"],
            "name": ["Ustron", "Cadca", "Jablunkov", "Xdorf"],
            "country": ["PL", "SK", "CZ", "DE"],
            "lat": [49.72, 49.44, 49.58, 51.0],
            "lon": [18.81, 18.79, 18.76, 13.0],
        }
    ).to_csv(d / "towns.csv", index=False)
    pd.DataFrame(
        {
            "town_a": ["PL-u", "PL-u", "PL-u"],
            "town_b": ["SK-c", "CZ-j", "DE-x"],
            "kind": ["twinning"] * 3,
            "since": ["2005", "2024", ""],
        }
    ).to_csv(d / "links.csv", index=False)
    return d


@pytest.fixture(scope="module")
def user_data(user_files):
    return tg.load(towns=user_files / "towns.csv", partnerships=user_files / "links.csv")


@pytest.fixture(scope="module")
def user_report(user_data, user_files):
    path = build_report(user_data, scope="PL-u", path=user_files / "u.html", broker_sample=None)
    return path.read_text(encoding="utf-8")


def test_years_print_without_digit_grouping(user_report):
    table = re.search(r"<h3[^>]*>Partner towns</h3>(.*?)</table>", user_report, re.S)
    assert table is not None
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table.group(1))
    assert "2005" in cells and "2024" in cells
    assert "2,005" not in user_report and "2,024" not in user_report


def test_year_coverage_counts_the_known_years(user_report):
    # 2 of 3 links dated: 66.7 % -> "67%"
    assert "2 of the 3 partnerships (67%) have a known year." in user_report


def test_a_tiny_share_is_not_printed_as_zero():
    # 13 of 17,322 links: 0.075 % -> one decimal keeps it visible ("0.1%")
    assert share_decimals(13 / 17322) == 1
    assert share_decimals(0.5) == 0
    assert share_decimals(0.0) == 0


def test_a_user_file_is_named_as_your_data(user_data, user_report):
    assert "Data: your data (links.csv)" in user_report
    assert "Data: links," not in user_report
    assert map_credits(user_data, basemap=False) == "Data: your data (links.csv)"


def test_a_map_without_sourced_links_credits_your_data(user_data):
    # only the towns file: no link, so no source column to name
    towns_only = tg.TwinningData(user_data.towns, user_data.partnerships.iloc[:0])
    assert map_credits(towns_only, basemap=False) == "Data: your data"
