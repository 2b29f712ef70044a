"""Exceptions and warnings raised by twinning-graph."""

from __future__ import annotations

from typing import Any

__all__ = [
    "TwinningGraphError",
    "ValidationError",
    "UnknownTownError",
    "UnknownCountryError",
    "UnknownCallError",
    "DataWarning",
    "unknown_towns",
]


class TwinningGraphError(Exception):
    """Base class of every error raised by twinning-graph."""


class ValidationError(TwinningGraphError, ValueError):
    """Input data or an argument is invalid; the message lists every problem found."""

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        #: The individual problems (``twinning_graph._validate.Problem``), when known.
        self.problems = list(problems or [])


class UnknownTownError(TwinningGraphError, KeyError):
    """A town id is not in the data."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class UnknownCountryError(TwinningGraphError, KeyError):
    """A country code is not a known ISO 3166-1 alpha-2 code."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownCallError(TwinningGraphError, KeyError):
    """A call name is not one of the calls shipped with the package."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DataWarning(UserWarning):
    """A recoverable problem in the data (duplicates merged, rows left out, ...)."""


def unknown_towns(
    missing: list[str],
    valid: Any,
    *,
    names: Any = None,
    what: str = "town_id",
    hint: str = "",
) -> UnknownTownError:
    """The one builder of :class:`UnknownTownError`: every unknown id, with close matches.

    ``valid`` are the known ids; ``names`` (a Series of names indexed by id), when given,
    lets a name typed instead of an id suggest that town's id; ``hint`` ends the message.
    """
    import difflib

    ids = [str(v) for v in valid]
    by_name: dict[str, str] = {}
    if names is not None:
        by_name = {str(n).casefold(): str(i) for i, n in names.items()}
    parts = []
    for t in missing:  # the few ids a user typed
        close = difflib.get_close_matches(str(t), ids, n=3)
        named = by_name.get(str(t).casefold())
        if named and named not in close:
            close.insert(0, named)
        for near in difflib.get_close_matches(str(t).casefold(), list(by_name), n=2, cutoff=0.8):
            if by_name[near] not in close:  # a misspelt name: the ids of close names
                close.append(by_name[near])
        suggest = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        parts.append(f"{t!r}{suggest}")
    n = len(ids)
    example = ", ".join(map(repr, ids[:3]))
    return UnknownTownError(
        f"unknown {what}{'s' if len(missing) > 1 else ''} {', '.join(parts)}; valid ids are the "
        f"index of data.towns ({n:,} towns, e.g. {example}); the name of one town works too "
        "(`twinning-graph find NAME` or tg.find_town(NAME) looks a name up)"
        + (f"; {hint}" if hint else "")
    )
