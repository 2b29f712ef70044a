"""Telling what a file is and how its text is encoded, for the CSV reader.

- Compressed files, workbooks and other binary files are named, with what to do
  (:func:`binary_kind`), and so are JSON and XML files such as the library's own GeoJSON,
  GraphML and GEXF exports (:func:`export_kind`).
- UTF-8 (with or without a byte-order mark) and UTF-16/32 with a byte-order mark are read
  as they are; a file saved by Excel in a Windows code page (cp1252 Western, cp1250
  Central European, cp1251 Cyrillic, cp1253 Greek, cp1257 Baltic) is recognised from its
  words and its ``country`` column (:func:`guess_codepage`); when the code page cannot be
  told for sure the file is refused with how to save it as UTF-8 (:func:`decode`) —
  never read as mojibake.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
import unicodedata
import zipfile

import numpy as np
import pandas as pd

from twinning_graph._validate import Problems

logger = logging.getLogger(__name__)

#: How to save a file as UTF-8, quoted in every encoding message.
SAVE_AS_UTF8 = (
    "save it as UTF-8: in Excel 'File > Save As > CSV UTF-8 (Comma delimited) (*.csv)', "
    "in LibreOffice 'Save As > Text CSV' with character set 'Unicode (UTF-8)'"
)

#: Windows code pages Excel writes plain "CSV" in, with the countries that use them.
CODEPAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cp1252": ("Western European", ()),
    "cp1250": (
        "Central European",
        ("PL", "CZ", "SK", "HU", "SI", "HR", "RO", "AL", "BA", "RS", "ME"),
    ),
    "cp1251": ("Cyrillic", ("BG", "RU", "UA", "BY", "MK", "RS", "BA", "ME")),
    "cp1253": ("Greek", ("GR", "EL", "CY")),
    # Baltic files share most bytes with Western and Central European ones: cp1257 is
    # considered only when the country column says the rows are Estonian, Latvian or
    # Lithuanian towns.
    "cp1257": ("Baltic", ("EE", "LV", "LT")),
}
#: Score lead over every other reading (log-likelihood units) needed to accept a guess.
CODEPAGE_MARGIN = 10.0


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "this is a gzip file: decompress it first (gunzip, or 7-Zip on Windows)"),
    (b"BZh", "this is a bzip2 file: decompress it first"),
    (b"\xfd7zXZ\x00", "this is an xz file: decompress it first"),
    (b"7z\xbc\xaf\x27\x1c", "this is a 7-Zip archive: extract the CSV file from it first"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "this is an Excel 97-2003 workbook (.xls), not a CSV file: open it in Excel or "
        "LibreOffice and save it as 'CSV UTF-8', or read it with pandas.read_excel and "
        "pass the DataFrame",
    ),
    (b"%PDF", "this is a PDF document, not a CSV file: export the table as CSV"),
    (b"PAR1", "this is a Parquet file: read it with pandas.read_parquet and pass the DataFrame"),
    (b"SQLite format 3\x00", "this is an SQLite database, not a CSV file"),
    (b"\x89PNG", "this is a PNG image, not a CSV file"),
)


# --------------------------------------------------------------------------- file kinds


def _zip_kind(raw: bytes) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        names = []
    if any(n.startswith("xl/") for n in names):
        return (
            "this is an Excel workbook (.xlsx), not a CSV file: open it in Excel or "
            "LibreOffice and save it as 'CSV UTF-8 (Comma delimited)', or read it with "
            "pandas.read_excel and pass the DataFrame"
        )
    if "content.xml" in names:
        return (
            "this is an OpenDocument spreadsheet (.ods), not a CSV file: open it in "
            "LibreOffice and save it as 'Text CSV' (UTF-8)"
        )
    if any(n.startswith("word/") for n in names):
        return "this is a Word document, not a CSV file"
    return "this is a ZIP archive: extract the CSV file from it first"


def binary_kind(raw: bytes) -> str | None:
    """What a non-text file is, and what to do with it; None for a text file."""
    for magic, message in _MAGIC:
        if raw.startswith(magic):
            return message
    if raw.startswith(b"PK\x03\x04"):
        return _zip_kind(raw)
    nul = raw.count(0)
    if not nul:
        return None
    if nul == len(raw):
        return (
            "this file holds only NUL bytes (zeros): it was not saved completely (a crash or "
            "a full disk?); save or copy it again"
        )
    head = raw[:4096]
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if max(odd, even) > len(head) // 4 and min(odd, even) < len(head) // 40 + 1:
        return "this looks like UTF-16 text without a byte-order mark; " + SAVE_AS_UTF8
    if nul > 8:
        return "this is a binary file (it contains NUL bytes), not a text CSV file"
    return None  # a text file with a stray NUL: reported at its row and column


def export_kind(raw: bytes) -> str | None:
    """What a JSON or XML file is (GeoJSON, GraphML, GEXF: the library's own exports), and
    how to read it; None for anything else."""
    head = raw[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"{", b"[")):
        if b'"FeatureCollection"' in head or b'"Feature"' in head:
            return (
                "this is a GeoJSON file (JSON), not a CSV file: read it with "
                "tg.read_geojson, or give the CSV files (twinning-graph export --out DIR/)"
            )
        return "this is a JSON file, not a CSV file"
    if head.startswith(b"<"):
        for tag, kind, reader in (
            (b"<graphml", "GraphML", "tg.read_graphml"),
            (b"<gexf", "GEXF", "tg.read_gexf"),
        ):
            if tag in head:
                return (
                    f"this is a {kind} file (XML), not a CSV file: read it with {reader}, "
                    "or give the CSV files (twinning-graph export --out DIR/)"
                )
        return "this is an XML or HTML file, not a CSV file"
    return None


# --------------------------------------------------------------------------- encodings

_SCRIPT = {"LATIN": 1, "CYRILLIC": 2, "GREEK": 3}
# log-likelihood given to a letter pair or letter of a script the gazetteer has no text
# of (Cyrillic, Greek: its names are in Latin script); close to that of a real pair
_UNMODELLED_PAIR = -3.0
_UNMODELLED_LETTER = -3.5


@functools.cache
def _byte_table(codepage: str) -> tuple[np.ndarray, ...]:
    """Per byte value in ``codepage``: decodable, letter, upper, lower, script, ς, char."""
    chars = []
    ok = np.zeros(256, dtype=bool)
    for b in range(256):  # the 256 byte values of a code page
        try:
            chars.append(bytes([b]).decode(codepage))
            ok[b] = True
        except UnicodeDecodeError:
            chars.append("\ufffd")
    letter = np.array([c.isalpha() for c in chars])
    upper = np.array([c.isupper() for c in chars])
    lower = np.array([c.islower() for c in chars])
    script = np.array(
        [
            _SCRIPT.get(unicodedata.name(c, "X").split(" ")[0], 0) if c.isalpha() else 0
            for c in chars
        ]
    )
    sigma = np.array([c == "ς" for c in chars])
    return ok, letter, upper, lower, script, sigma, np.array(chars, dtype=object)


def _fold_char(c: str) -> str:
    low = c.lower()
    return (low if len(low) == 1 else c) if c.isalpha() else " "


@functools.cache
def _gazetteer_text() -> pd.DataFrame:
    from twinning_graph._gazetteer import load_gazetteer

    return load_gazetteer()[["name", "country"]]


@functools.cache
def _pair_counts() -> tuple[dict[str, int], dict[str, int]]:
    """Letter pair and first-letter counts in the gazetteer's place names (word breaks as ' ')."""
    names = _gazetteer_text()["name"].astype(str).str.lower()
    text = " " + " ".join(names.tolist()) + " "
    chars = pd.Series(list(text), dtype=object)
    chars = chars.where(chars.str.isalpha(), " ")
    pairs = (chars + chars.shift(-1).fillna(" ")).value_counts()
    first = chars.value_counts()
    return {str(k): int(v) for k, v in pairs.items()}, {str(k): int(v) for k, v in first.items()}


@functools.cache
def _pair_table(codepage: str) -> np.ndarray:
    """log P(second | first) of every byte pair read in ``codepage`` (Latin letters)."""
    pairs, first = _pair_counts()
    low = [_fold_char(c) for c in _byte_table(codepage)[6]]
    vocabulary = 300
    table = np.empty((256, 256))
    for i in range(256):  # 65,536 byte pairs, once per code page
        denominator = first.get(low[i], 0) + 0.5 * vocabulary
        for j in range(256):
            table[i, j] = np.log((pairs.get(low[i] + low[j], 0) + 0.5) / denominator)
    return table


@functools.cache
def _letter_table(codepage: str) -> np.ndarray:
    """log P(letter) of every non-ASCII byte read in ``codepage``, among the non-ASCII
    letters of the place names of the countries whose Excel writes ``codepage``."""
    g = _gazetteer_text()
    of = {c: cp for cp, (_, cs) in CODEPAGES.items() for c in cs}
    mine = g.loc[g["country"].map(lambda c: of.get(c, "cp1252")) == codepage, "name"]
    counts = pd.Series(list("".join(mine.astype(str)).lower()), dtype=object).value_counts()
    counts = counts[[ord(str(c)) > 127 for c in counts.index]]
    total = int(counts.sum())
    _, _, _, _, script, _, chars = _byte_table(codepage)
    native = {"cp1251": 2, "cp1253": 3}.get(codepage)
    table = np.zeros(256)
    for b in range(128, 256):
        if native is not None and script[b] == native:
            table[b] = _UNMODELLED_LETTER
        else:
            table[b] = np.log((counts.get(_fold_char(chars[b]), 0) + 0.5) / (total + 150.0))
    return table


def codepage_score(raw: bytes, codepage: str) -> float:
    """How plausible ``raw`` read in ``codepage`` is (higher is better; -inf: undecodable).

    The sum, over the letters next to non-ASCII bytes, of letter-pair and letter
    log-likelihoods learnt from the shipped gazetteer's place names, less penalties for
    what mojibake looks like: a symbol inside a word (``£ódŸ``), two scripts in one word
    (``Јуdџ``), an upper-case letter right after a lower-case one, a Greek final sigma
    inside a word. Vectorised over the bytes.
    """
    ok, letter, upper, lower, script, sigma, _ = _byte_table(codepage)
    a = np.frombuffer(raw, dtype=np.uint8)
    if not ok[a].all():
        return -np.inf
    prv = np.r_[np.uint8(32), a[:-1]]
    nxt = np.r_[a[1:], np.uint8(32)]
    high = a >= 0x80
    near = high | (prv >= 0x80)
    is_letter = letter[a]
    symbol = high & ~is_letter & (letter[prv] | letter[nxt])
    mixed = (
        near
        & is_letter
        & letter[prv]
        & (script[a] != script[prv])
        & (script[a] > 0)
        & (script[prv] > 0)
    )
    case = near & upper[a] & lower[prv]
    final_sigma = sigma[prv] & is_letter
    latin = ((script[a] == 1) | (script[prv] == 1)) & ~((script[a] > 1) | (script[prv] > 1))
    pair = np.where(latin, _pair_table(codepage)[prv, a], _UNMODELLED_PAIR)
    pairs = float((pair * (near & (is_letter | letter[prv]))).sum())
    letters = float(_letter_table(codepage)[a[high]].sum())
    penalty = 10 * symbol.sum() + 10 * mixed.sum() + 5 * case.sum() + 10 * final_sigma.sum()
    return pairs + letters - float(penalty)


def _country_votes(raw: bytes) -> dict[str, float]:
    """Share of the rows holding non-ASCII bytes whose ``country`` suggests each code page."""
    text = raw.decode("latin-1")  # country codes are ASCII; only the column is read
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return {}
    head = lines[0]
    sep = max((",", ";", "\t", "|"), key=head.count)
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines), newline=""), delimiter=sep))
    except csv.Error:
        return {}
    header = [h.strip().lower() for h in rows[0]]
    if "country" not in header:
        return {}
    col = header.index("country")
    of = {c: cp for cp, (_, cs) in CODEPAGES.items() for c in cs}
    hits = [
        of.get(r[col].strip().upper(), "cp1252")
        for r in rows[1:]
        if len(r) > col and any(ord(ch) > 127 for ch in "".join(r))
    ]
    if not hits:
        return {}
    return {cp: hits.count(cp) / len(hits) for cp in set(hits)}


def _first_difference(a: str, b: str) -> tuple[int, str, str]:
    """Line number and word where two readings of a file first differ."""
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), start=1):
        if x != y:
            wa, wb = x.split(), y.split()
            for u, v in zip(wa, wb, strict=False):
                if u != v:
                    return n, u[:40], v[:40]
            return n, x[:40], y[:40]
    return 1, a[:40], b[:40]


def guess_codepage(raw: bytes) -> tuple[str | None, str]:
    """The Windows code page of a non-UTF-8 file, or None and why it cannot be told.

    Returns ``(codepage, "")`` when one reading is clearly the most plausible
    (:func:`codepage_score` plus a vote of the ``country`` column), else ``(None, reason)``.
    """
    votes = _country_votes(raw)
    candidates = [cp for cp in CODEPAGES if cp != "cp1257" or votes.get("cp1257", 0) > 0]
    # the evidence is the distinct words holding non-ASCII bytes: a name repeated on many
    # rows is one piece of evidence, not many
    words = dict.fromkeys(re.findall(rb"[A-Za-z\x80-\xff]*[\x80-\xff][A-Za-z\x80-\xff]*", raw))
    evidence = b" ".join(words)
    readings: dict[str, str] = {}
    scores: dict[str, float] = {}
    for cp in candidates:
        s = codepage_score(evidence, cp)
        if np.isfinite(s):
            try:
                readings[cp] = raw.decode(cp)
            except UnicodeDecodeError:  # an undefined byte outside the words
                continue
            scores[cp] = s + 15.0 * votes.get(cp, 0.0)
    if not scores:
        return None, "its bytes are not text in UTF-8 nor in any Windows code page"
    ranked = sorted(scores, key=lambda cp: -scores[cp])
    best = ranked[0]
    rivals = [cp for cp in ranked[1:] if readings[cp] != readings[best]]
    if not rivals or scores[best] - scores[rivals[0]] >= CODEPAGE_MARGIN:
        return best, ""
    second = rivals[0]
    line, word_best, word_second = _first_difference(readings[best], readings[second])
    return None, (
        f"it is not UTF-8, and line {line} reads as {word_best!r} in {best} "
        f"({CODEPAGES[best][0]}) but as {word_second!r} in {second} ({CODEPAGES[second][0]})"
    )


def decode(raw: bytes, label: str, problems: Problems) -> str | None:
    """Text of a file: UTF-8 (with or without BOM), UTF-16/32 with BOM, or a detected
    Windows code page; records a problem and returns None when it cannot be told."""
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                problems.add(label, None, None, f"broken {codec.upper()} text ({exc.reason})")
                return None
    kind = binary_kind(raw) or export_kind(raw)
    if kind is not None:
        problems.add(label, None, None, kind)
        return None
    has_bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if has_bom:
            # the error's position is counted after the byte-order mark
            line = raw[3:].count(b"\n", 0, exc.start) + 1
            problems.add(
                label,
                line,
                None,
                f"the file says it is UTF-8 (byte-order mark) but byte {exc.start} is not "
                f"UTF-8: it was damaged or saved twice in different encodings; {SAVE_AS_UTF8}",
            )
            return None
    codepage, why = guess_codepage(raw)
    if codepage is None:
        problems.add(label, None, None, f"cannot tell the file's encoding: {why}; {SAVE_AS_UTF8}")
        return None
    logger.info("%s is not UTF-8: read as %s (%s)", label, codepage, CODEPAGES[codepage][0])
    return raw.decode(codepage)
