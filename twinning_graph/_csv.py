"""Reading CSV files as analysts have them, and refusing what is not one.

- Any common separator (``,`` ``;`` tab ``|``), decimal commas (see :func:`parse_float`).
- The text encoding is recognised or the file refused, and non-text files are named, by
  :mod:`twinning_graph._encoding` (never mojibake).
- Every row keeps its physical line number in the file (after quoted cells that span
  lines and after blank lines): the frame's index *is* the line number.
- Header problems (duplicate or case-duplicate names, unnamed columns holding values)
  and rows with too few or too many fields are reported with their line.
"""

from __future__ import annotations

import csv
import gc
import io
import logging
import os
import re
import unicodedata
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from twinning_graph._encoding import decode
from twinning_graph._validate import MAX_NAME_LENGTH, Problems
from twinning_graph._write import unneutralise

logger = logging.getLogger(__name__)

PathLike: TypeAlias = "str | os.PathLike[str]"

# Control characters that no cell may hold (line breaks and tabs are allowed in extra
# columns only), lone surrogates and the two non-characters XML refuses.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_CONTROL_STRICT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)


_PROTECTED_CELL = re.compile("(?:^|[,;\t|\"\n\r])'+[=+\\-@\t\r\n\uff1d\uff0b\uff0d\uff20]")


def source_label(source: object, default: str) -> str:
    """A short name for an input, used in error messages."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return default


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
        if not (rec and rec[0].strip()) and not "".join(rec).strip():
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
    # the parser makes a Python list per row: the cyclic garbage collector would scan them
    # again and again while they are built (none of them can form a cycle)
    collecting = gc.isenabled()
    gc.disable()
    try:
        rows, starts, ends = _records(text, sep)
    except csv.Error as exc:
        problems.add(label, None, None, f"cannot be read as CSV: {exc}")
        return None, sep
    finally:
        if collecting:
            gc.enable()
    if not rows:
        problems.add(label, None, None, "file is empty; expected a header line and data rows")
        return None, sep
    names = _header(rows[0], starts[0], label, problems)
    if names is None:
        return None, sep
    # cells protected by the writer start with an apostrophe and a formula character; one
    # search over the whole text tells whether any cell needs looking at
    protected = bool(_PROTECTED_CELL.search(text))
    frame = _table(
        names, rows[1:], starts[1:], ends[1:], starts[0], label, sep, problems, protected
    )
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
    protected: bool = True,
) -> pd.DataFrame | None:
    """The data rows as a frame; problems for rows with too few or too many fields.

    ``protected``: some cell may have been protected against formulas (see
    :func:`~twinning_graph._write.unneutralise`)."""
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
    fixed = rows if (width == n).all() else [r[:n] for r in rows]  # cut empty extras
    cells = np.empty((len(fixed), n), dtype=object)
    cells[:] = fixed  # a 2-d array of the rows' strings, without a tuple per column
    index = pd.Index(starts, dtype="int64")
    return pd.DataFrame(
        {
            names[i]: (
                unneutralise(pd.Series(cells[:, i], index=index)).to_numpy()
                if protected
                else cells[:, i]
            )
            for i in named
        },
        index=index,
        dtype="str",
    )


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
    break or bidi override once stripped of surrounding white space; other columns may
    hold tabs and line breaks (a note written over several lines) but no other control
    character. Cells of ``length_limited`` columns may be at most
    :data:`~twinning_graph._validate.MAX_NAME_LENGTH` long (stripped).
    """
    for col in frame.columns:
        s = frame[col]
        values = s.astype(str).tolist()
        pattern = _CONTROL_STRICT if col in strict else _CONTROL
        # one regex search over the whole column first (C speed): clean columns stop here
        if pattern.search("".join(values)):
            cells = s.astype(str).str.strip() if col in strict else s.astype(str)
            hit = cells.str.contains(pattern).to_numpy(dtype=bool)
            found = cells[hit].str.extract(f"({pattern.pattern})", expand=False)
            for r, v, c in zip(frame.index[hit], cells[hit], found, strict=True):
                problems.add(
                    label,
                    r,
                    str(col),
                    f"{_describe_char(c)} at position "
                    f"{v.index(c) + 1} of {v[:40]!r}{'...' if len(v) > 40 else ''}; "
                    "remove it",
                )
        if col in length_limited and values and max(map(len, values)) > MAX_NAME_LENGTH:
            cells = s.astype(str).str.strip()
            long = (cells.str.len() > MAX_NAME_LENGTH).to_numpy(dtype=bool)
            for r, v in zip(frame.index[long], cells[long], strict=True):
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


_PLAIN_INTS = re.compile(r"(?:[+-]?\d{1,18})?(?:\n(?:[+-]?\d{1,18})?)*")


def parse_int(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse strings as nullable integers, accepting thousands separators and ``.0``.

    ``"1 234"``, ``"1.234"`` and ``"1,234"`` (groups of three digits) read as 1234;
    ``"1234.0"`` reads as 1234. Returns (Int64 values, bad mask of non-empty cells that
    are not whole numbers or do not fit in 64 bits).
    """
    # fast path: plain whole numbers (or empty) throughout, as in most files
    if _PLAIN_INTS.fullmatch("\n".join(text.astype(str).tolist())):
        cells = text.astype(str).to_numpy(dtype=object, copy=True)
        cells[cells == ""] = None
        values = pd.to_numeric(pd.Series(cells, index=text.index), errors="coerce")
        return values.astype("Int64"), np.zeros(len(text), dtype=bool)
    t = text.str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    grouped = t.str.fullmatch(r"[+-]?\d{1,3}([.,']\d{3})+")
    t = t.where(~grouped, t.str.replace(r"[.,']", "", regex=True))
    t = t.str.replace(r"^([+-]?\d+)[.,]0+$", r"\1", regex=True)
    ok = t.str.fullmatch(r"[+-]?\d{1,18}")  # 18 digits always fit in int64
    empty = t == ""
    bad = (~ok & ~empty).to_numpy()
    values = pd.to_numeric(t.where(ok, None), errors="coerce").astype("Int64")
    return values, bad
