"""Reading CSV files as analysts have them, and refusing what is not one.

- Any common separator (``,`` ``;`` tab ``|``), a UTF-8 or UTF-16 byte-order mark, decimal
  commas (see :func:`parse_float`).
- Files saved by Excel in a Windows code page (cp1252 Western, cp1250 Central European,
  cp1251 Cyrillic, cp1253 Greek, cp1257 Baltic) are recognised from their content and
  their ``country`` column; when the code page cannot be told for sure the file is
  refused with a message saying how to save it as UTF-8 (never read as mojibake).
- Compressed files, workbooks and other binary files are named ("this is a gzip file").
- Every row keeps its physical line number in the file (after quoted cells that span
  lines and after blank lines): the frame's index *is* the line number.
- Header problems (duplicate or case-duplicate names, unnamed columns holding values)
  and rows with too few or too many fields are reported with their line.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import os
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from twinning_graph._validate import MAX_NAME_LENGTH, Problems
from twinning_graph._write import unneutralise

logger = logging.getLogger(__name__)

PathLike: TypeAlias = "str | os.PathLike[str]"

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

# Control characters that no cell may hold (line breaks and tabs are allowed in extra
# columns only), lone surrogates and the two non-characters XML refuses.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_CONTROL_STRICT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)

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


def source_label(source: object, default: str) -> str:
    """A short name for an input, used in error messages."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return default


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
    kind = binary_kind(raw)
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


# --------------------------------------------------------------------------- parsing


def _records(text: str, sep: str) -> tuple[list[list[str]], list[int], list[int]]:
    """Records with the physical line each starts and ends on (blank lines skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', strict=False)
    rows: list[list[str]] = []
    starts: list[int] = []
    ends: list[int] = []
    previous = 0
    # one record at a time: the csv module tells the line number only while iterating
    for rec in reader:
        start, previous = previous + 1, reader.line_num
        if not rec or all(not c.strip() for c in rec):
            continue
        rows.append(rec)
        starts.append(start)
        ends.append(previous)
    return rows, starts, ends


def _header(cells: list[str], line: int, label: str, problems: Problems) -> list[str] | None:
    """Clean column names; problems for duplicate, over-long and control-character names."""
    names = unneutralise(pd.Series([c.strip().strip("\ufeff") for c in cells], dtype=object))
    names = [str(n) for n in names]
    seen: dict[str, int] = {}
    ok = True
    for i, name in enumerate(names):
        if _CONTROL_STRICT.search(name):
            problems.add(
                label,
                line,
                None,
                f"column {i + 1} name {name!r} holds a control character; remove it",
            )
            ok = False
            continue
        if len(name) > MAX_NAME_LENGTH:
            problems.add(
                label,
                line,
                None,
                f"column {i + 1} name is {len(name):,} characters long; at most "
                f"{MAX_NAME_LENGTH} are allowed",
            )
            ok = False
            continue
        if not name:
            continue
        key = name.casefold()
        if key in seen:
            j = seen[key]
            same = "" if names[j] == name else " (compared ignoring case and spaces)"
            problems.add(
                label,
                line,
                name,
                f"duplicate column name: column {j + 1} is {cells[j]!r} and column {i + 1} is "
                f"{cells[i]!r}{same}; rename or remove one of them",
            )
            ok = False
        else:
            seen[key] = i
    return names if ok else None


def read_raw(path: PathLike, problems: Problems) -> tuple[pd.DataFrame | None, str]:
    """Read a delimited text file into a DataFrame of strings indexed by line number.

    Returns the frame (every cell a ``str`` as written, ``""`` for an empty cell; the
    index holds the physical line number of each row, the header being the first
    non-blank line) and the separator. Cells that :func:`twinning_graph._write.write_table`
    protected with an apostrophe read back as written. Records a problem and returns
    ``None`` for a file that cannot be read as a table.
    """
    label = os.fspath(path)
    p = Path(path)
    if not p.exists():
        problems.add(label, None, None, "file not found")
        return None, ","
    if p.is_dir():
        problems.add(label, None, None, "is a folder, expected a CSV file")
        return None, ","
    try:
        raw = p.read_bytes()
    except OSError as exc:
        problems.add(label, None, None, f"cannot read the file: {exc.strerror or exc}")
        return None, ","
    text = decode(raw, label, problems)
    if text is None:
        return None, ","
    if not text.strip():
        problems.add(label, None, None, "file is empty; expected a header line and data rows")
        return None, ","
    first = next(ln for ln in text.splitlines() if ln.strip())
    counts = {sep: first.count(sep) for sep in (",", ";", "\t", "|")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        sep = ","
    try:
        rows, starts, ends = _records(text, sep)
    except csv.Error as exc:
        problems.add(label, None, None, f"cannot be read as CSV: {exc}")
        return None, sep
    if not rows:
        problems.add(label, None, None, "file is empty; expected a header line and data rows")
        return None, sep
    names = _header(rows[0], starts[0], label, problems)
    if names is None:
        return None, sep
    frame = _table(names, rows[1:], starts[1:], ends[1:], starts[0], label, sep, problems)
    if frame is None:
        return None, sep
    frame.attrs["separator"] = sep
    frame.attrs["header_line"] = starts[0]
    return frame, sep


def _table(
    names: list[str],
    rows: list[list[str]],
    starts: list[int],
    ends: list[int],
    header_line: int,
    label: str,
    sep: str,
    problems: Problems,
) -> pd.DataFrame | None:
    """The data rows as a frame; problems for rows with too few or too many fields."""
    n = len(names)
    # trailing unnamed columns (a separator at the end of the header line) are dropped
    # when they hold nothing; an unnamed column holding values must be named
    width = np.array([len(r) for r in rows], dtype=np.int64)
    named = [i for i, c in enumerate(names) if c]
    before = len(problems)
    for i, c in enumerate(names):
        if c:
            continue
        filled = [k for k, r in enumerate(rows) if len(r) > i and r[i].strip()]
        if filled:
            k = filled[0]
            problems.add(
                label,
                header_line,
                None,
                f"column {i + 1} has no name but line {starts[k]} has a value in it "
                f"({rows[k][i][:40]!r}); give the column a name in the header, or remove "
                f"the values{'' if i < n - 1 else ' (a separator at the end of the header line?)'}",
            )
    sep_name = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}[sep]
    # rows with too many fields: extra empty fields (a separator at the end of the line)
    # are harmless; extra values are not
    for k in np.flatnonzero(width > n).tolist():
        extra = [c for c in rows[k][n:] if c.strip()]
        if extra:
            where = (
                "" if starts[k] == ends[k] else f"this row runs over lines {starts[k]}-{ends[k]}; "
            )
            problems.add(
                label,
                starts[k],
                None,
                f"{width[k]} fields but the header has {n}: extra value"
                f"{'s' if len(extra) > 1 else ''} {', '.join(repr(e[:40]) for e in extra[:3])} "
                f"({where}a {sep_name} inside a value? put that value in double quotes)",
            )
    for k in np.flatnonzero(width < n).tolist():
        missing = [c or f"column {i + 1}" for i, c in enumerate(names)][width[k] :]
        spans = starts[k] != ends[k]
        problems.add(
            label,
            starts[k],
            None,
            f"{width[k]} field{'s' if width[k] != 1 else ''} but the header has {n}: no value "
            f"for {', '.join(map(repr, missing[:5]))}{' ...' if len(missing) > 5 else ''}"
            + (
                f" (this row runs over lines {starts[k]}-{ends[k]}: a double quote that is "
                "never closed?)"
                if spans
                else " (write an empty value between separators for a missing value)"
            ),
        )
    if len(problems) > before:
        return None
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (names[i] for i in named)})
    fixed = [r[:n] for r in rows]  # only empty extra fields are cut here
    data = pd.DataFrame(fixed, columns=range(n), dtype=object)
    frame = pd.DataFrame(
        {names[i]: unneutralise(data[i].astype(object)).to_numpy(dtype=object) for i in named},
        index=pd.Index(starts, dtype="int64"),
    )
    return frame


def as_string_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of a user DataFrame with every cell as a string ("" for missing), unstripped."""
    out = pd.DataFrame(index=frame.index)
    for i, col in enumerate(frame.columns):
        s = frame.iloc[:, i]
        na = s.isna().to_numpy()
        txt = s.astype(str).where(~na, "")
        out[str(col).strip()] = txt.to_numpy(dtype=object)
    return out


def duplicate_column_problems(columns: list[str], label: str, problems: Problems) -> bool:
    """Problems for column names that are the same ignoring case and spaces; True if none."""
    seen: dict[str, int] = {}
    ok = True
    for i, c in enumerate(columns):
        key = str(c).strip().casefold()
        if key in seen:
            j = seen[key]
            problems.add(
                label,
                None,
                str(c),
                f"duplicate column name: column {j + 1} is {columns[j]!r} and column {i + 1} "
                f"is {c!r}; rename or remove one of them",
            )
            ok = False
        else:
            seen.setdefault(key, i)
    return ok


def control_character_problems(
    frame: pd.DataFrame,
    label: str,
    problems: Problems,
    *,
    strict: tuple[str, ...],
    length_limited: tuple[str, ...] = (),
) -> None:
    """Problems for cells holding control characters, and for over-long names.

    Columns in ``strict`` (ids, names, codes) may not hold any control character, line
    break or bidi override; other columns may hold tabs and line breaks (a note written
    over several lines) but no other control character. Cells of ``length_limited``
    columns may be at most :data:`~twinning_graph._validate.MAX_NAME_LENGTH` long.
    """
    for col in frame.columns:
        s = frame[col]
        pattern = _CONTROL_STRICT if col in strict else _CONTROL
        hit = s.str.contains(pattern).to_numpy(dtype=bool)
        if hit.any():
            found = s[hit].str.extract(f"({pattern.pattern})", expand=False)
            for r, v, c in zip(frame.index[hit], s[hit], found, strict=True):
                problems.add(
                    label,
                    r,
                    str(col),
                    f"{_describe_char(c)} at position "
                    f"{v.index(c) + 1} of {v[:40]!r}{'...' if len(v) > 40 else ''}; "
                    "remove it",
                )
        if col in length_limited:
            long = (s.str.len() > MAX_NAME_LENGTH).to_numpy(dtype=bool)
            for r, v in zip(frame.index[long], s[long], strict=True):
                problems.add(
                    label,
                    r,
                    str(col),
                    f"{len(v):,} characters ({v[:30]!r}...); at most {MAX_NAME_LENGTH} are allowed",
                )


_CHAR_NAMES = {
    "\x00": "NUL",
    "\t": "tab",
    "\n": "line break (LF)",
    "\r": "line break (CR)",
    "\x1b": "escape (ESC, starts terminal escape sequences)",
    "\x7f": "delete (DEL)",
    "\x9b": "control sequence introducer (CSI)",
}


def _describe_char(c: str) -> str:
    code = f"U+{ord(c):04X}"
    if c in _CHAR_NAMES:
        return f"control character {code}, {_CHAR_NAMES[c]},"
    if "\ud800" <= c <= "\udfff":
        return f"lone surrogate {code} (not a character: broken text)"
    name = unicodedata.name(c, "")
    return f"control character {code}{', ' + name.lower() + ',' if name else ''}"


def row_labels(frame: pd.DataFrame, mask: np.ndarray, from_file: bool) -> list[int | str]:
    """Rows of ``mask`` as file line numbers or DataFrame index labels.

    A frame read by :func:`read_raw` is indexed by line number, so both are the index.
    """
    pos = np.flatnonzero(mask)
    idx = frame.index[pos]
    if from_file:
        return [int(v) for v in idx]
    return list(idx)


def parse_float(text: pd.Series, *, decimal_comma: bool) -> tuple[pd.Series, np.ndarray]:
    """Parse strings as floats; returns (values, bad) where bad marks non-empty unparseable cells.

    With ``decimal_comma`` a single comma is read as the decimal mark (``48,85``).
    """
    t = text.str.strip()
    if decimal_comma:
        t = t.str.replace(",", ".", regex=False)
    values = pd.to_numeric(t.where(t != "", None), errors="coerce").astype("float64")
    bad = (t != "").to_numpy() & values.isna().to_numpy()
    return values, bad


#: Largest whole number a column of whole numbers holds (int64).
INT_LIMIT = 2**63 - 1


def parse_int(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse strings as nullable integers, accepting thousands separators and ``.0``.

    ``"1 234"``, ``"1.234"`` and ``"1,234"`` (groups of three digits) read as 1234;
    ``"1234.0"`` reads as 1234. Returns (Int64 values, bad mask of non-empty cells that
    are not whole numbers or do not fit in 64 bits).
    """
    t = text.str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    grouped = t.str.fullmatch(r"[+-]?\d{1,3}([.,']\d{3})+")
    t = t.where(~grouped, t.str.replace(r"[.,']", "", regex=True))
    t = t.str.replace(r"^([+-]?\d+)[.,]0+$", r"\1", regex=True)
    ok = t.str.fullmatch(r"[+-]?\d{1,18}")  # 18 digits always fit in int64
    empty = t == ""
    bad = (~ok & ~empty).to_numpy()
    values = pd.to_numeric(t.where(ok, None), errors="coerce").astype("Int64")
    return values, bad
