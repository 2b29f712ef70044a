"""A self-contained HTML report of the twinning network, of one country or of one town.

:func:`build_report` writes one HTML file that opens offline: images are embedded as
``data:`` URIs, the stylesheet is inline, there is no script, no web font and no external
resource, and a Content-Security-Policy forbids loading any. Every value taken from the data
goes through jinja2's autoescaping. Each table of the report is also written as a CSV file
beside it (``<name>_<table>.csv``), with formula-like cells neutralised for spreadsheets.

Sections whose analysis module is missing or fails are left out, and listed at the end of
the report (``strict=True`` raises instead).
"""

# re-exports only; the blocks, Scope, Progress and DEFAULT_ROWS stay importable from here as
# before the split (the redundant aliases mark them as re-exported), but are not in __all__
from twinning_graph.report._blocks import Facts as Facts
from twinning_graph.report._blocks import Figure as Figure
from twinning_graph.report._blocks import Section as Section
from twinning_graph.report._blocks import Table as Table
from twinning_graph.report._blocks import Text as Text
from twinning_graph.report._build import CREDITS_HTML, REPORT_TABLES, build_report
from twinning_graph.report._context import DEFAULT_ROWS as DEFAULT_ROWS
from twinning_graph.report._context import Progress as Progress
from twinning_graph.report._context import Scope as Scope
from twinning_graph.report._context import resolve_scope
from twinning_graph.report._figures import write_map

__all__ = ["build_report", "resolve_scope", "write_map", "CREDITS_HTML", "REPORT_TABLES"]
