"""Map colours (twinning_graph._style): one fixed colour per country, neighbours differ,
the highlight colour is no country's colour."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from twinning_graph import _style
from twinning_graph._errors import UnknownCountryError

# Neighbours named by hand (land borders and narrow seas), independent of the adjacency
# computed from the borders file.
KNOWN_NEIGHBOURS = [
    ("DE", "FR"), ("DE", "PL"), ("DE", "NL"), ("DE", "AT"), ("DE", "CZ"), ("DE", "DK"),
    ("DE", "BE"), ("DE", "CH"), ("DE", "LU"), ("FR", "ES"), ("FR", "BE"), ("FR", "IT"),
    ("FR", "CH"), ("ES", "PT"), ("PL", "CZ"), ("PL", "SK"), ("PL", "LT"), ("PL", "UA"),
    ("CZ", "SK"), ("CZ", "AT"), ("AT", "HU"), ("AT", "SI"), ("AT", "IT"), ("HU", "RO"),
    ("HU", "SK"), ("HU", "HR"), ("RO", "BG"), ("RO", "MD"), ("BG", "GR"), ("BE", "NL"),
    ("GB", "IE"), ("HR", "SI"), ("HR", "BA"), ("RS", "HU"), ("LT", "LV"), ("LV", "EE"),
    ("NO", "SE"), ("SE", "FI"),
    # across a narrow sea: Strait of Dover, Øresund, Gulf of Finland, Malta–Sicily
    ("GB", "FR"), ("DK", "SE"), ("FI", "EE"), ("IT", "MT"),
]  # fmt: skip


def _lab(hex_color: str) -> np.ndarray:
    """CIELAB (D65) of an sRGB hex colour, written out here from the CIE formulas."""
    rgb = np.array([int(hex_color[i : i + 2], 16) / 255.0 for i in (1, 3, 5)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [[0.4124564, 0.3575761, 0.1804375],
         [0.2126729, 0.7151522, 0.0721750],
         [0.0193339, 0.1191920, 0.9503041]]
    )  # fmt: skip
    xyz = m @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _country_codes_from_file() -> list[str]:
    path = resources.files("twinning_graph").joinpath("data", "countries.csv")
    with path.open(encoding="utf-8") as fh:
        return [row["alpha2"] for row in csv.DictReader(fh)]


def test_every_code_of_the_country_table_has_a_palette_colour():
    codes = _country_codes_from_file()
    assert len(codes) > 240
    colors = [_style.country_color(c) for c in codes]
    assert set(colors) <= set(_style.PALETTE)


@pytest.mark.parametrize(("a", "b"), KNOWN_NEIGHBOURS)
def test_neighbours_get_different_colours(a, b):
    assert _style.country_color(a) != _style.country_color(b), (a, b)


def test_neighbour_colours_are_far_apart_in_lab():
    # the closest pair of the palette is still clearly distinct (CIE76 distance > 20)
    labs = [_lab(c) for c in _style.PALETTE]
    closest = min(
        np.linalg.norm(labs[i] - labs[j]) for i in range(len(labs)) for j in range(i + 1, len(labs))
    )
    assert closest > 20


def test_highlight_colour_is_no_country_colour():
    every = set(_style.country_color_table()["color"])
    assert _style.HIGHLIGHT.color not in every
    assert _style.HIGHLIGHT.color.upper() not in {c.upper() for c in every}
    hl = _lab(_style.HIGHLIGHT.color)
    assert min(np.linalg.norm(hl - _lab(c)) for c in every) > 40
    # the candidates keep their country colour: told apart by shape and edge
    assert _style.CANDIDATE.color is None
    assert _style.CANDIDATE.marker != _style.HIGHLIGHT.marker


def test_colouring_is_deterministic():
    first = _style.country_color_table()
    _style._assignment.cache_clear()
    second = _style.country_color_table()
    pd.testing.assert_frame_equal(first, second)


def test_country_colors_vectorised_aliases_and_missing():
    out = _style.country_colors(pd.Series(["EL", "GR", None, "deu"], index=[9, 8, 7, 6]))
    assert out[0] == out[1] == _style.country_color("GR")
    assert out[2] == _style.OTHER_COLOR
    assert out[3] == _style.country_color("DE")


def test_unknown_country_raises_naming_it():
    with pytest.raises(UnknownCountryError, match="'ZZ'"):
        _style.country_colors(["FR", "ZZ"])
    with pytest.raises(UnknownCountryError, match="'QQ'"):
        _style.country_color("QQ")


def test_colours_and_the_interactive_map_need_no_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys, twinning_graph as tg; from twinning_graph import _style; "
        "_style.country_color('DE'); tg.explore(tg.load(), countries='LU'); "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_neighbouring_pair_of_the_shipped_borders_differs():
    # all pairs the adjacency finds in the basemap (89 features since the Urals/Caucasus
    # rebuild), not only the hand-picked ones above
    table = _style.country_color_table()
    pairs = _style._neighbour_pairs()
    assert len(pairs) > 150
    same = [(a, b) for a, b in pairs if table.at[a, "color"] == table.at[b, "color"]]
    assert same == []
