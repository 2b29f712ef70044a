"""``docs/calls.md``: every call, its rules, their status and source, written from the data."""

from __future__ import annotations

from twinning_graph.calls._model import call_ids, make_call
from twinning_graph.countries import eligibility_table

_INTRO = """# Calls and their rules

Generated from `twinning_graph/data/calls*.csv` by `twinning_graph.calls.calls_markdown()`
(`python scripts/build_calls_doc.py`); `tests/test_calls.py` checks that this page matches
the data. Do not edit it by hand.

Every rule has a **status**:

- **confirmed**: a public source states the rule for that call (the source is named);
- **unconfirmed**: no source for that call was found; the value is carried over from a
  neighbouring call (the note says which) or rests on a page that could not be re-read;
- **contradicted**: a source states otherwise.

A call's status is that of its core rules (number of municipalities, of countries, of EU
Member States). `call="latest"` is the latest call of a kind; `call="latest-confirmed"` the
latest whose core rules are confirmed. Sources are secondary (national contact points,
municipal associations, funding databases) unless they are the Commission's own pages;
the call documents on the Funding & Tenders portal prevail. Topic links follow the portal's
address pattern and were not fetched.

## What the country rules rely on

- **EU Member States** count from their accession year (GB until 2019); source: EU
  membership (europa.eu), `data/countries.csv`.
- **Outermost regions** with their own ISO code (GF, GP, MQ, RE, YT, MF) are part of the
  EU (Art. 349 and 355(1) TFEU) and count as their Member State.
- **Overseas countries and territories** (GL, NC, PF, TF, WF, PM, BL, AW, CW, SX, BQ;
  Council Decision (EU) 2021/1764): the CERV call texts list "EU Member States (including
  overseas countries and territories)", so an OCT town is eligible and counts as its Member
  State (for the number of countries and of EU Member States). Confirmed for the years
  whose call text says so. Not eligible in the Europe for Citizens data.
- **Associated countries** count from the year their agreement is known to be **in
  force** for the call, not from signature: the calls admit countries negotiating
  association only "where the agreement enters into force before grant signature". No
  entry-into-force date was found for any CERV association, so those countries are
  *unconfirmed* (shown as `eligible="unconfirmed"`), and *contradicted* where the
  agreement was signed only after the call's grants.
"""


def _cell(text: object) -> str:
    return str(text).replace("|", " or ").replace("\n", " ")


def calls_markdown() -> str:
    """The text of ``docs/calls.md``: every call, rule, status and source, from the data.

    Examples
    --------
    >>> from twinning_graph.calls import calls_markdown
    >>> text = calls_markdown()
    >>> text.startswith("# Calls and their rules")
    True
    >>> "CERV-2026-CITIZENS-TOWN-NT" in text
    True
    """
    out = [
        _INTRO,
        "## Summary\n",
        "| call | status | municipalities | countries | EU states | deadline |",
        "|---|---|---|---|---|---|",
    ]
    calls = [make_call(c) for c in call_ids()]
    for c in calls:
        out.append(
            f"| {c.call} | {c.status} | {c.min_municipalities} | {c.min_countries} | "
            f"{c.min_eu_states} | {_cell(c.value('deadline') or '')} |"
        )
    for c in calls:
        out += ["", f"## {c.call}", "", f"{c.title}. Status of the core rules: **{c.status}**."]
        if c.topic_url:
            out.append(f"Topic page: <{c.topic_url}>.")
        if c.note:
            out.append(f"Note: {c.note}.")
        out += ["", "| rule | value | status | source | note |", "|---|---|---|---|---|"]
        for r in c.rules:
            out.append(
                f"| {r.name} | {_cell(r.value)} | {r.status} | {_cell(r.source)} | {_cell(r.note)} |"
            )
        if c.unconfirmed_countries:
            out += [
                "",
                f"Countries whose eligibility is unconfirmed for this call: "
                f"{', '.join(sorted(c.unconfirmed_countries))}.",
            ]
    out += [
        "",
        "## Non-EU countries by programme year",
        "",
        "| programme | year | country | status | signed | in force | source | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in eligibility_table().itertuples(index=False):
        out.append(
            f"| {r.programme} | {r.year} | {r.country} | {r.status} | {r.signed} | "
            f"{r.in_force} | {_cell(r.source)} | {_cell(r.note)} |"
        )
    return "\n".join(out) + "\n"
