"""Text helpers shared by the whole library: the one name folder and safe display text.

:func:`fold` is how every module compares names (geocoding, country names, matching towns,
finding a town by name): ``fold("Łódź") == fold("LODZ") == "lodz"``.

Text that comes from data is never interpreted as markup where it is shown:
:func:`terminal_text` for the terminal (no escape sequences), :func:`plot_text` for
matplotlib (no mathtext), both with a length limit (:func:`shorten`). HTML is escaped by
the report's template engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = [
    "fold",
    "fold_one",
    "terminal_text",
    "terminal_frame",
    "plot_text",
    "shorten",
    "DISPLAY_LENGTH",
]

#: Longest data-derived label drawn on a figure or printed in a table cell, in characters.
DISPLAY_LENGTH = 60

# Characters a terminal may act on instead of showing: C0 controls (ESC starts escape
# sequences), DEL, C1 controls (CSI U+009B starts one on its own), and the Unicode bidi
# overrides and isolates that reorder what is shown ("Trojan source"); lone surrogates and
# non-characters (printing them fails or shows garbage).
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff\ufffe\uffff]"
)
_TERMINAL_UNSAFE_MULTILINE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff\ufffe\uffff]"
)

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


def _escape_char(m: re.Match[str]) -> str:
    c = m.group(0)
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def shorten(text: str, limit: int = DISPLAY_LENGTH) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when it was cut.

    Examples
    --------
    >>> from twinning_graph._text import shorten
    >>> shorten("Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch", 20)
    'Llanfairpwllgwyngyl…'
    """
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def terminal_text(text: object, *, limit: int | None = None, multiline: bool = False) -> str:
    r"""``text`` safe to print on a terminal: control characters shown as escapes.

    ESC, CSI and the other control characters a terminal would act on are written as
    ``\x1b``-style escapes, so a name can neither recolour nor clear the screen nor
    reorder the text around it. ``multiline`` keeps line breaks (for printing a whole
    table); ``limit`` shortens long text (see :func:`shorten`).

    Examples
    --------
    >>> from twinning_graph._text import terminal_text
    >>> terminal_text("Paris\x1b[2J")
    'Paris\\x1b[2J'
    >>> print(terminal_text("Tab\there"))
    Tab\x09here
    """
    s = str(text)
    if limit is not None:
        s = shorten(s, limit)
    pattern = _TERMINAL_UNSAFE_MULTILINE if multiline else _TERMINAL_UNSAFE
    return pattern.sub(_escape_char, s)


def terminal_frame(frame: pd.DataFrame, *, limit: int | None = DISPLAY_LENGTH) -> pd.DataFrame:
    """Copy of ``frame`` whose text cells, column names and index are :func:`terminal_text`.

    Numbers are left as they are (pandas aligns them); text cells longer than ``limit``
    are shortened for display.
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        txt = s.astype(object).where(s.isna(), s.astype(str))
        out.isetitem(
            i, txt.map(lambda v: v if not isinstance(v, str) else terminal_text(v, limit=limit))
        )
    out.columns = [terminal_text(c, limit=limit) for c in out.columns]
    if not pd.api.types.is_numeric_dtype(out.index):
        out.index = pd.Index(
            [terminal_text(v, limit=limit) for v in out.index], name=out.index.name
        )
    return out


def plot_text(text: object, *, limit: int = DISPLAY_LENGTH) -> str:
    r"""``text`` to draw with matplotlib as it is: ``$`` escaped (no mathtext), shortened.

    matplotlib reads a label with two ``$`` as a formula ("Price $5 and $6" would be drawn
    as "Price 5and6", and an unbalanced one can fail the whole figure). Control
    characters are shown as escapes (see :func:`terminal_text`).

    Examples
    --------
    >>> from twinning_graph._text import plot_text
    >>> plot_text("Price $5 and $6")
    'Price \\$5 and \\$6'
    """
    s = shorten(terminal_text(text), limit)
    return s.replace("$", "\\$")
