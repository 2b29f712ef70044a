"""Reading, validating and normalising towns and partnerships.

Towns and partnerships come as CSV files (paths) or DataFrames. Every problem found
in an input is collected and raised as one :class:`~twinning_graph.ValidationError`
naming file, row and column; recoverable problems (duplicate links) are merged with a
:class:`~twinning_graph.DataWarning` giving counts. The data object built from them lives
in :mod:`twinning_graph.network`.

- ``_common``: columns, input kinds, cell checks and typing shared by the readers
- ``_towns``: :func:`read_towns`
- ``_partnerships``: :func:`read_partnerships` (edge lists and project memberships)
- ``_files``: former town ids (:func:`read_aliases`) and :func:`validate_files`
"""

from twinning_graph.io._common import (
    EDGE_COLUMNS,
    EDGE_REQUIRED,
    MEMBERSHIP_COLUMNS,
    MEMBERSHIP_REQUIRED,
    PAIR_COLUMNS,
    TOWN_COLUMNS,
    TOWN_REQUIRED,
    YEAR_RANGE,
    Source,
    bundled_data_dir,
    check_source,
    empty_records,
    source_list,
)
from twinning_graph.io._files import read_aliases, validate_files
from twinning_graph.io._partnerships import (
    membership_conflicts,
    merge_duplicate_edges,
    read_partnerships,
)
from twinning_graph.io._towns import read_towns

__all__ = [
    "read_towns",
    "read_partnerships",
    "validate_files",
    "bundled_data_dir",
    "TOWN_REQUIRED",
    "TOWN_COLUMNS",
    "EDGE_REQUIRED",
    "EDGE_COLUMNS",
    "MEMBERSHIP_REQUIRED",
    "MEMBERSHIP_COLUMNS",
    "PAIR_COLUMNS",
    "YEAR_RANGE",
    "Source",
    "check_source",
    "empty_records",
    "membership_conflicts",
    "merge_duplicate_edges",
    "read_aliases",
    "source_list",
]
