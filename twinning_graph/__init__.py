"""twinning-graph: the network of European town twinning, measured, mapped and planned."""

from twinning_graph._errors import (
    DataWarning,
    TwinningGraphError,
    UnknownCallError,
    UnknownCountryError,
    UnknownTownError,
    ValidationError,
)
from twinning_graph.io import TwinningData, load, read_partnerships, read_towns, validate_files

__version__ = "0.1.0"

__all__ = [
    "DataWarning",
    "TwinningData",
    "TwinningGraphError",
    "UnknownCallError",
    "UnknownCountryError",
    "UnknownTownError",
    "ValidationError",
    "load",
    "read_partnerships",
    "read_towns",
    "validate_files",
]
