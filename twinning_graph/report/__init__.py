"""A self-contained HTML report of the twinning network, of one country or of one town.

:func:`build_report` writes one HTML file that opens offline: images are embedded as
``data:`` URIs, the stylesheet is inline, there is no script, no web font and no external
resource, and a Content-Security-Policy forbids loading any. Every value taken from the data
goes through jinja2's autoescaping. Each table of the report is also written as a CSV file
beside it (``<name>_<table>.csv``), with formula-like cells neutralised for spreadsheets.

The report opens with a page in plain words (how connected the town, country or Europe is,
with whom, what is missing, three next steps with named towns and the call to apply to),
and closes with a glossary. Its text comes from one catalogue per language (``lang="en"``,
``"fr"`` or ``"de"``; see ``_i18n.py``); the call's rules are read through one adapter
(``_call.py``) and shown each with its status. A part of the report is left out (and listed
at the end) only under a documented condition of the data, such as no link with a known
year; any other error stops the report.
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
from twinning_graph.report._i18n import LANGUAGES

__all__ = [
    "build_report",
    "resolve_scope",
    "write_map",
    "CREDITS_HTML",
    "LANGUAGES",
    "REPORT_TABLES",
]
