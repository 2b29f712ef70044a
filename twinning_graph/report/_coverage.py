"""The data's date and coverage, in words, for every place a report's figures are read."""

from __future__ import annotations

import pandas as pd

from twinning_graph.network import TwinningData
from twinning_graph.plot._credits import source_file
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
    names = [
        lang(f"source.{s}")
        if lang.has(f"source.{s}")
        else lang("data_name.user")
        if s == "user"  # the reader's value for a table given in memory
        else lang("source.user_file", file=source_file(s, data.sources))
        for s in _sources(data)
    ]
    return lang.join(names) if names else str(data.name)


#: Names the library gives its data objects, by catalogue key (the report says them in its
#: language; any other name, e.g. one the user gave, is shown as it is).
DATA_NAMES: dict[str, str] = {
    "bundled: Wikidata twin towns 2017, with 2021 links": "data_name.bundled",
    "user data": "data_name.user",
}


def data_name(data: TwinningData, lang: Lang) -> str:
    """The data's name in the report's language (a name the library gave) or as given."""
    name = str(data.name)
    key = DATA_NAMES.get(name)
    return lang(key) if key is not None else name


def share_decimals(share: float) -> int:
    """Decimals that keep a small non-zero share from printing as 0 % (up to 3)."""
    decimals = 0
    while decimals < 3 and 0 < share and round(100 * share, decimals) == 0:
        decimals += 1
    return decimals


def data_note(data: TwinningData, lang: Lang, *, short: bool = True) -> str:
    """The data's source and date, size, and the known gaps of its coverage: in full for
    the first page (``short=False``), or one sentence for the other sections that names the
    source and refers to the full note (said once, under the first page's title)."""
    if short:
        return lang("note.brief", source=source_words(data, lang), section=lang("sec.summary"))
    edges = data.edges
    n_known = int(pd.to_numeric(edges["since"], errors="coerce").notna().sum())
    known = n_known / len(edges) if len(edges) else 0.0
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
        parts.append(
            lang(
                "note.some_years",
                known=lang.number(n_known),
                links=lang.number(len(edges)),
                share=lang.percent(known, share_decimals(known)),
            )
        )
    for s in _sources(data):
        if lang.has(f"coverage.{s}"):
            parts.append(lang(f"coverage.{s}"))
    return " ".join(parts)
