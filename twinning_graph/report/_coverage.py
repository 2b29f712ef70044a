"""The data's date and coverage, in words, for every place a report's figures are read."""

from __future__ import annotations

import pandas as pd

from twinning_graph.network import TwinningData
from twinning_graph.report._i18n import Lang

#: Countries a source under-collects, by source value: their pairs show a gap of the data,
#: not of the network (wikidata-2017: towns of GR, LU and MT were not queried as origins;
#: see data/README.md, "Known biases and limits").
UNDER_COLLECTED: dict[str, frozenset[str]] = {"wikidata-2017": frozenset({"GR", "LU", "MT"})}


def under_collected(data: TwinningData) -> frozenset[str]:
    """Countries whose links the data's sources are known to miss."""
    out: frozenset[str] = frozenset()
    for s in _sources(data):
        out |= UNDER_COLLECTED.get(s, frozenset())
    return out


def _sources(data: TwinningData) -> list[str]:
    p = data.partnerships
    if "source" not in p.columns:
        return []
    return sorted({str(s) for s in p["source"].dropna().unique()})


def source_words(data: TwinningData, lang: Lang) -> str:
    """Where the links come from and when: ``'Wikidata, May 2017'`` for the bundled data,
    the source names of other data, or the data's name."""
    names = [lang(f"source.{s}") if lang.has(f"source.{s}") else s for s in _sources(data)]
    return lang.join(names) if names else str(data.name)


def data_note(data: TwinningData, lang: Lang, *, short: bool = True) -> str:
    """The data's source and date, size, and the known gaps of its coverage: one short
    sentence for a section (``short``), or the full note for the first page."""
    edges = data.edges
    known = pd.to_numeric(edges["since"], errors="coerce").notna().mean() if len(edges) else 0.0
    parts = [
        lang(
            "note.figures",
            source=source_words(data, lang),
            towns=lang.number(len(data)),
            links=lang.number(len(edges)),
        )
    ]
    if known == 0:
        parts.append(lang("note.no_year"))
    elif known < 1:
        parts.append(lang("note.some_years", share=lang.percent(known)))
    kind = "coverage_short" if short else "coverage"
    for s in _sources(data):
        if lang.has(f"{kind}.{s}"):
            parts.append(lang(f"{kind}.{s}"))
    return " ".join(parts)
