"""Exceptions and warnings raised by twinning-graph."""

from __future__ import annotations

__all__ = [
    "TwinningGraphError",
    "ValidationError",
    "UnknownTownError",
    "UnknownCountryError",
    "UnknownCallError",
    "DataWarning",
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
