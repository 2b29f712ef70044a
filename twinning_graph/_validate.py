"""Collecting validation problems and raising them as one error."""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any

from twinning_graph._errors import DataWarning, ValidationError

#: How many problems are spelled out in an error message before "... and N more".
MAX_LISTED = 50


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


def check_int(
    value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """``value`` as an int, or a :class:`ValidationError` naming the argument and the range.

    Examples
    --------
    >>> from twinning_graph._validate import check_int
    >>> check_int(3, "n", minimum=1)
    3
    >>> check_int(-1, "n", minimum=1)
    Traceback (most recent call last):
    ...
    twinning_graph._errors.ValidationError: n must be an integer >= 1, got -1
    """
    if minimum is not None and maximum is not None:
        allowed = f"an integer from {minimum} to {maximum}"
    elif minimum is not None:
        allowed = f"an integer >= {minimum}"
    elif maximum is not None:
        allowed = f"an integer <= {maximum}"
    else:
        allowed = "an integer"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValidationError(f"{name} must be {allowed}, got {value!r}")
    v = int(value)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise ValidationError(f"{name} must be {allowed}, got {v!r}")
    return v
