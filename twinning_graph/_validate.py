"""Collecting validation problems and raising them as one error; argument checks.

The argument checks here are shared by every module (one helper per repeated check), and
so are the limits on sizes that can make a call run out of time or memory.
"""

from __future__ import annotations

import difflib
import numbers
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from twinning_graph._errors import DataWarning, ValidationError

#: How many problems are spelled out in an error message before "... and N more".
MAX_LISTED = 50

#: Longest town name, town id or project id accepted, in characters. Real names are far
#: shorter (the longest European place names have about 60 letters); a 1 MB "name" would
#: otherwise end up in every map label, table and report.
MAX_NAME_LENGTH = 200
#: Most municipalities in a planned network (the CERV calls ask for a handful to a few
#: dozen; each extra member is one ranking step).
MAX_PLAN_SIZE = 200
#: Resolution range of a rendered figure (dots per inch): a Europe map at 600 dpi is
#: already about 6000 × 5000 pixels.
MIN_DPI, MAX_DPI = 10, 600

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is and what is wrong.

    ``row`` is the line number in the file (the header is line 1), or the index
    label of the row when the input was a DataFrame; ``None`` for whole-file problems.
    """

    source: str
    row: int | str | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.source]
        if self.row is not None:
            where.append(str(self.row))
        if self.column is not None:
            where.append(self.column)
        return f"{':'.join(where)}: {self.message}"


class Problems:
    """Accumulates problems; :meth:`raise_if_any` raises one error listing all of them."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, source: str, row: int | str | None, column: str | None, message: str) -> None:
        self.items.append(Problem(source, row, column, message))

    def add_rows(
        self, source: str, rows: list[int | str], column: str | None, message: str
    ) -> None:
        """Add one problem per row (rows are already in file-line or index-label form)."""
        for r in rows:
            self.items.append(Problem(source, r, column, message))

    def extend(self, other: Problems) -> None:
        self.items.extend(other.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted(self) -> list[Problem]:
        """Problems by input (in the order first seen), then row, then the order found."""
        order = {src: i for i, src in reversed(list(enumerate(p.source for p in self.items)))}

        def key(ip: tuple[int, Problem]) -> tuple:
            i, p = ip
            r = p.row
            rk = (
                (0, r, "") if isinstance(r, int) else ((-1, 0, "") if r is None else (1, 0, str(r)))
            )
            return (order[p.source], rk, i)

        return [p for _, p in sorted(enumerate(self.items), key=key)]

    def message(self, what: str = "input") -> str:
        n = len(self.items)
        lines = [f"{n} problem{'s' if n != 1 else ''} in {what}:"]
        lines += [f"  {p}" for p in self.sorted()[:MAX_LISTED]]
        if n > MAX_LISTED:
            lines.append(f"  ... and {n - MAX_LISTED} more")
        return "\n".join(lines)

    def raise_if_any(self, what: str | None = None) -> None:
        """Raise one :class:`ValidationError` listing every problem (if there are any).

        ``what`` names the input in the first line; by default the inputs that have problems.
        """
        if self.items:
            if what is None:
                what = ", ".join(dict.fromkeys(p.source for p in self.sorted()))
            raise ValidationError(self.message(what), self.sorted())


def warn(message: str, *, stacklevel: int = 3) -> None:
    """Emit a :class:`DataWarning` (recoverable problem, counts in the message)."""
    warnings.warn(message, DataWarning, stacklevel=stacklevel)


# --------------------------------------------------------------------------- argument checks


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_int(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    hint: str = "",
) -> int:
    """``value`` as an int, or a :class:`ValidationError` naming the argument and the range.

    Booleans and floats are refused (``True`` is not a count; ``2.5`` hops is a mistake).
    ``hint`` is added to the message.

    Examples
    --------
    >>> from twinning_graph._validate import check_int
    >>> check_int(3, "n", minimum=1)
    3
    >>> check_int(0, "dpi", minimum=10, maximum=600)
    Traceback (most recent call last):
    ...
    twinning_graph._errors.ValidationError: dpi must be an integer from 10 to 600, got 0
    """
    if minimum is not None and maximum is not None:
        allowed = f"an integer from {minimum} to {maximum}"
    elif minimum is not None:
        allowed = f"an integer >= {minimum}"
    elif maximum is not None:
        allowed = f"an integer <= {maximum}"
    else:
        allowed = "an integer"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValidationError(f"{name} must be {allowed}, got {_shown(value)}{hint}")
    v = int(value)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise ValidationError(f"{name} must be {allowed}, got {v!r}{hint}")
    return v


def check_choice(value: Any, name: str, choices: Iterable[T]) -> T:
    """``value`` if it is one of ``choices``, else a :class:`ValidationError` listing them.

    Examples
    --------
    >>> from twinning_graph._validate import check_choice
    >>> check_choice("csv-eu", "format", ("csv", "csv-eu", "xlsx"))
    'csv-eu'
    >>> check_choice("xls", "format", ("csv", "csv-eu", "xlsx"))
    Traceback (most recent call last):
    ...
    twinning_graph._errors.ValidationError: format must be one of 'csv', 'csv-eu', 'xlsx', got 'xls' (did you mean 'xlsx'?)
    """
    allowed = list(choices)
    try:
        if value in allowed:
            return value  # type: ignore[no-any-return]
    except TypeError:  # unhashable or incomparable value
        pass
    close = (
        difflib.get_close_matches(value, [str(c) for c in allowed], n=1)
        if isinstance(value, str)
        else []
    )
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValidationError(
        f"{name} must be one of {', '.join(map(repr, allowed))}, got {_shown(value)}{hint}"
    )


def check_path_writable(path: Any, name: str = "path", *, create_parent: bool = True) -> Path:
    """``path`` as a :class:`~pathlib.Path` that a file can be written to.

    Checked before a long computation, so that it does not end in a failed write: the
    path is not a folder, and its folder exists (or, with ``create_parent``, can be
    made: the nearest existing ancestor is a writable folder, not a file).

    Examples
    --------
    >>> import tempfile
    >>> from twinning_graph._validate import check_path_writable
    >>> with tempfile.TemporaryDirectory() as d:
    ...     check_path_writable(d + "/new/report.html").name
    'report.html'
    """
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise ValidationError(
            f"{name} must be a file path (str or pathlib.Path), got {_shown(path)}"
        )
    p = Path(path)
    if str(path) == "" or p.is_dir():
        raise ValidationError(
            f"cannot write {os.fspath(path)!r}: it is a folder, expected a file name"
        )
    parent = p.parent
    ancestor = parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor != parent and not create_parent:
        raise ValidationError(
            f"cannot write {os.fspath(path)!r}: folder {os.fspath(parent)!r} does not exist"
        )
    if not ancestor.is_dir():
        raise ValidationError(
            f"cannot write {os.fspath(path)!r}: {os.fspath(ancestor)!r} is a file, not a folder"
        )
    if not os.access(ancestor, os.W_OK):
        raise ValidationError(
            f"cannot write {os.fspath(path)!r}: no permission to write in {os.fspath(ancestor)!r}"
        )
    return p
