"""The glossary at the end of a report: the words a report cannot avoid, explained."""

from __future__ import annotations

from twinning_graph.report._blocks import Glossary, Section
from twinning_graph.report._i18n import Lang

#: Terms explained in every report, in the order shown (catalogue ``glossary.<term>`` and
#: ``glossary.<term>.text``).
TERMS = (
    "partnership",
    "reach",
    "expected",
    "ratio",
    "group",
    "bridge",
    "score",
    "rules",
    "status",
    "town_id",
)


def section_glossary(lang: Lang) -> Section:
    """The glossary section."""
    items = [(lang(f"glossary.{t}"), lang(f"glossary.{t}.text")) for t in TERMS]
    return Section("glossary", lang("sec.glossary"), blocks=[Glossary(items)])
