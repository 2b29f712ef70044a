"""Text helpers shared by the whole library: the one name folder and safe display text.

:func:`fold` is how every module compares names (geocoding, country names, matching towns,
finding a town by name): ``fold("Łódź") == fold("LODZ") == "lodz"``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["fold", "fold_one"]

# Letters that Unicode NFKD does not decompose into a base letter + accent.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
        "ħ": "h",
        "Ħ": "h",
        "ŧ": "t",
        "Ŧ": "t",
        "ĸ": "k",
        "ŀ": "l",
        "Ŀ": "l",
        "ŉ": "n",
        "ſ": "s",
        "ƒ": "f",
        "ǝ": "e",
        "ə": "e",
        "Ə": "e",
    }
)
_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"


def fold(series: pd.Series | Iterable[str]) -> pd.Series:
    """Fold names for comparison: casefold, strip accents, drop punctuation, collapse spaces.

    Letters that Unicode does not decompose (``ł``, ``ß``, ``ø``, ...) are spelt out,
    ``&`` reads "and", and the saint abbreviations share one spelling.

    Examples
    --------
    >>> from twinning_graph._text import fold
    >>> fold(["Łódź", "St. Pölten", "Sankt Pölten", "Villeneuve-d'Ascq"]).tolist()
    ['lodz', 'st polten', 'st polten', 'villeneuve d ascq']
    """
    if not isinstance(series, pd.Series):
        series = pd.Series(list(series), dtype="str")
    s = series.astype("str").fillna("").str.replace("&", " and ", regex=False)
    s = s.str.translate(_LETTERS).str.normalize("NFKD")
    s = s.str.replace(_COMBINING, "", regex=True).str.casefold()
    # apostrophes join nothing: "Villeneuve-d'Ascq" == "Villeneuve d Ascq"
    s = s.str.replace(r"[\W_]+", " ", regex=True).str.strip()
    # one spelling for the saint abbreviations: "St. Pölten" == "Sankt Pölten"
    s = s.str.replace(r"\b(?:saint|sankt|sint|skt)\b", "st", regex=True)
    return s.str.replace(r"\bsainte\b", "ste", regex=True)


def fold_one(text: str) -> str:
    """:func:`fold` for one string.

    Examples
    --------
    >>> from twinning_graph._text import fold_one
    >>> fold_one("Kraków")
    'krakow'
    """
    return str(fold(pd.Series([str(text)], dtype="str")).iloc[0])
