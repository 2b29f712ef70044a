"""The analysis sections of a report: reach, gaps, groups of towns and bridge towns, and
the network's structure."""

from __future__ import annotations

from typing import Any

import pandas as pd

from twinning_graph import gaps, plot
from twinning_graph.clusters import community_table
from twinning_graph.report._blocks import Section, Text
from twinning_graph.report._context import (
    NO_LINK,
    NO_YEAR,
    Builder,
    brokers,
    communities,
    country_of,
    country_reach,
    european,
    pair_gaps,
    town_reach,
)
from twinning_graph.report._coverage import data_note
from twinning_graph.report._figures import image, label_chart

_TOWN_COLUMNS = (
    "name",
    "country",
    "partners",
    "foreign_partners",
    "countries_reached",
    "eu_states_reached",
    "mean_partner_km",
)


def section_reach(b: Builder) -> Section | None:
    """Europe: the countries and towns reaching most countries; a country: its towns."""
    b.step("reach")
    s, lang = b.scope, b.lang
    tr = town_reach(b)
    country = {"country": lang.country}
    sec = Section("reach", lang("sec.reach"), data_note=data_note(b.data, lang))
    if s.kind == "europe":
        sec.intro = lang("reach.europe")
        cr = country_reach(b).sort_values(["links", "towns"], ascending=False, kind="stable")
        shown = cr.assign(country_name=cr.index.map(lang.country))
        sec.blocks.append(
            b.table(
                shown,
                "countries",
                lang("table.countries"),
                csv_frame=cr,
                columns=[
                    "country_name",
                    "towns",
                    "links",
                    "transnational_share",
                    "countries_reached",
                    "eu_states_reached",
                    "links_per_100k",
                ],
                note=lang("table.countries.note"),
            )
        )
        ranked = tr.sort_values(["countries_reached", "partners"], ascending=False, kind="stable")
        ax = _reach_chart(b, ranked)
        sec.blocks.append(
            image(
                ax,
                lang("reach.chart.alt"),
                lang("reach.chart.caption"),
                raster=False,
                wide=False,
            )
        )
        sec.blocks.append(
            b.table(
                ranked,
                "towns",
                lang("table.towns_reach"),
                columns=_TOWN_COLUMNS,
                values=country,
            )
        )
        return sec
    if s.kind != "country":
        return None
    name = lang.country(s.key)
    sec.intro = lang("reach.country", country=name)
    mine = tr[tr["country"] == s.key].sort_values(
        ["countries_reached", "partners"], ascending=False, kind="stable"
    )
    if (mine["partners"] > 0).any():
        ax = _reach_chart(b, mine)
        sec.blocks.append(
            image(
                ax,
                lang("reach.chart_country.alt", country=name),
                lang("reach.chart.caption"),
                raster=False,
                wide=False,
            )
        )
    sec.blocks.append(
        b.table(mine, "towns", lang("table.towns"), columns=_TOWN_COLUMNS, values=country)
    )
    return sec


def _reach_chart(b: Builder, ranked: pd.DataFrame) -> Any:
    ax = plot.plot_reach(ranked, column="countries_reached", n=20)
    return label_chart(ax, title=b.lang("reach.chart.caption"), x=b.lang("col.countries_reached"))


def gap_frame(b: Builder, g: pd.DataFrame, country: str | None) -> pd.DataFrame:
    """The gap table as the report shows it: the pair by name (the other country's name
    when the report is about one country), links, expected links, the ratio, its plausible
    range and whether the gap is clear (range entirely below 1)."""
    lang = b.lang
    a, z = g["country_a"].to_numpy(), g["country_b"].to_numpy()
    if country is None:
        who = [f"{lang.country(x)} – {lang.country(y)}" for x, y in zip(a, z, strict=True)]
    else:
        who = [lang.country(y if x == country else x) for x, y in zip(a, z, strict=True)]
    low = [lang.number(v, 2) for v in g["ratio_low"]]
    high = [lang.number(v, 2) for v in g["ratio_high"]]
    return pd.DataFrame(
        {
            "pair" if country is None else "other_country": who,
            "observed": g["observed"].to_numpy(),
            "expected": g["expected"].to_numpy(),
            "ratio": g["ratio"].to_numpy(),
            "ratio_range": [f"{lo}–{hi}" for lo, hi in zip(low, high, strict=True)],
            "clearly_fewer": (g["ratio_high"] < 1).to_numpy(),
        }
    )


def section_gaps(b: Builder) -> Section | None:
    """Country pairs with fewer links than expected, and towns with domestic partners only."""
    s, lang = b.scope, b.lang
    g_all = pair_gaps(b)
    sec = Section(
        "gaps", lang("sec.gaps"), intro=lang("gaps.intro"), data_note=data_note(b.data, lang)
    )
    country = country_of(b)
    if g_all is not None:
        g = g_all
        if country is not None:
            g = g[(g["country_a"] == country) | (g["country_b"] == country)]
        if s.kind == "europe":
            present = set(g_all["country_a"]) | set(g_all["country_b"])
            top = [c for c in b.data.towns["country"].value_counts().index if c in present][:30]
            sub = g_all[g_all["country_a"].isin(top) & g_all["country_b"].isin(top)]
            ax = plot.plot_country_matrix(sub, value="ratio", countries=sorted(top))
            label_chart(ax, title=lang("gaps.matrix.title"), colorbar=lang("col.ratio"))
            sec.blocks.append(
                image(
                    ax,
                    lang("gaps.matrix.alt"),
                    lang("gaps.matrix.caption"),
                    raster=False,
                    wide=False,
                )
            )
        title = (
            lang("table.gaps")
            if country is None
            else lang("table.gaps_country", country=lang.place(country))
        )
        # the HTML lists only clear gaps (plausible range entirely below 1); the file, every pair
        clear = gaps.clear_gaps(g, side="under")
        table = b.table(
            gap_frame(b, clear, country),
            "country_gaps",
            title,
            csv_frame=g,
            columns=["pair", "other_country", "observed", "expected", "ratio", "ratio_range"],
            values={
                "expected": lambda v: lang.number(v, 0),
                "ratio": lambda v: lang.number(v, 2),
            },
            note=lang("table.gaps.note"),
        )
        if len(clear):
            sec.blocks.append(table)
        else:
            sec.blocks.append(Text(lang("gaps.none", csv=str(table.csv))))
    if s.kind != "town":
        d = gaps.domestic_only_towns(b.data)
        if country is not None:
            d = d[d["country"] == country]
        d = d.sort_values("partners", ascending=False, kind="stable")
        sec.blocks.append(
            b.table(
                d,
                "domestic_only",
                lang("table.domestic_only"),
                columns=["name", "country", "population", "partners"],
                values={"country": lang.country},
            )
        )
    return sec if sec.blocks else None


def european_members(b: Builder, comm: pd.Series, top: int = 3) -> pd.Series:
    """Per community, its ``top`` European towns with most partners, ``'; '``-joined."""
    towns = b.data.towns
    deg = town_reach(b)["partners"]
    t = pd.DataFrame(
        {
            "community": comm.reindex(towns.index).fillna(-1).astype("int64"),
            "name": towns["name"].astype(str),
            "partners": deg.reindex(towns.index).fillna(0),
        }
    )
    t = t[(t["community"] >= 0) & european(towns["country"]).to_numpy()]
    t = t.sort_values(["community", "partners", "name"], ascending=[True, False, True])
    return t.groupby("community").head(top).groupby("community")["name"].agg("; ".join)


def section_groups(b: Builder) -> Section | None:
    """Groups of towns (communities) shown by their European members, and bridge towns
    (brokers)."""
    s, lang = b.scope, b.lang
    sec = Section(
        "groups", lang("sec.groups"), intro=lang("groups.intro"), data_note=data_note(b.data, lang)
    )
    comm = communities(b)
    table = community_table(b.data, comm, seed=b.seed)
    table = table.assign(european_members=european_members(b, comm).reindex(table.index).fillna(""))
    title = lang("table.groups")
    if s.kind == "country":
        own = comm[b.data.towns["country"].reindex(comm.index) == s.key]
        counts = own[own >= 0].value_counts()
        table = table.loc[table.index.intersection(counts.index)].assign(towns_in_country=counts)
        table = table.sort_values("towns_in_country", ascending=False, kind="stable")
        title = lang("table.groups_country", country=lang.place(s.key))
    elif s.kind == "town":
        c = int(comm.get(s.key, -1))
        table = table.loc[[c]] if c in table.index else table.iloc[:0]
        title = lang("table.groups_town" if len(table) else "table.groups_none")
    columns = [
        "community",
        "size",
        "countries",
        *(["towns_in_country"] if s.kind == "country" else []),
        "dominant_country",
        "european_members",
        "eu_share",
    ]
    sec.blocks.append(
        b.table(
            table,
            "communities",
            title,
            columns=columns,
            values={"dominant_country": lang.country},
            note=lang("table.groups.note"),
        )
    )
    br = brokers(b)
    sample = br.attrs.get("sample")
    note = (
        lang("table.bridges.exact")
        if sample is None
        else lang("table.bridges.sampled", n=lang.number(sample))
    )
    cols = ["rank", "name", "country", "partners"]
    country = {"country": lang.country}
    if s.kind == "europe":
        sec.blocks.append(
            b.table(br, "brokers", lang("table.bridges"), columns=cols, values=country, note=note)
        )
    elif s.kind == "country":
        mine = br[br["country"] == s.key]
        sec.blocks.append(
            b.table(
                mine,
                "brokers",
                lang("table.bridges_country", country=lang.place(s.key)),
                columns=cols,
                values=country,
                note=note + " " + lang("table.bridges.rank_note"),
            )
        )
    else:
        tid = str(s.key)
        rank = int(br.loc[tid, "rank"]) if tid in br.index else None
        if int(comm.get(tid, -1)) >= 0:
            mine = br[br.index.isin(comm.index[comm == comm[tid]])]
            title = lang("table.bridges_group")
        else:
            mine = br[br.index == tid]
            title = lang("table.bridges_town")
        if rank:
            note += " " + lang(
                "table.bridges.town_rank",
                town=b.scope_label(),
                rank=lang.number(rank),
                total=lang.number(len(br)),
            )
        sec.blocks.append(b.table(mine, "brokers", title, columns=cols, values=country, note=note))
    return sec


def section_structure(b: Builder) -> Section | None:
    """Europe only: partners per town and new links per year."""
    lang = b.lang
    sec = Section(
        "structure",
        lang("sec.structure"),
        intro=lang("structure.intro"),
        data_note=data_note(b.data, lang),
    )
    ax = b.optional(
        lang("omitted.what.degree"), lambda: plot.plot_degree_distribution(b.data), NO_LINK
    )
    if ax is not None:
        label_chart(
            ax,
            title=lang("structure.degree.title"),
            x=lang("structure.degree.x"),
            y=lang("structure.degree.y"),
        )
    if ax is not None:
        sec.blocks.append(
            image(
                ax,
                lang("structure.degree.alt"),
                lang("structure.degree.caption"),
                raster=False,
                wide=False,
            )
        )
    ax = b.optional(lang("omitted.what.years"), lambda: plot.plot_links_per_year(b.data), NO_YEAR)
    if ax is not None:
        label_chart(
            ax,
            title=lang("structure.years.caption"),
            x=lang("structure.years.x"),
            y=lang("structure.years.y"),
        )
    if ax is not None:
        sec.blocks.append(
            image(
                ax,
                lang("structure.years.alt"),
                lang("structure.years.caption"),
                raster=False,
                wide=False,
            )
        )
    return sec if sec.blocks else None
