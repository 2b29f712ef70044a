"""The sections of a report: overview, maps, reach, gaps, clusters, candidates and plan."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph.network import TwinningData
from twinning_graph.report._blocks import Facts, Section, Text, _fmt, _is_missing
from twinning_graph.report._context import (
    _brokers,
    _Builder,
    _call,
    _communities,
    _country_of,
    _function,
    _gaps,
    _town_reach,
)
from twinning_graph.report._figures import _image, _town_map_axes

# --------------------------------------------------------------------------- sections


_SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    "towns": ("Towns with partners", ""),
    "links": ("Linked town pairs", ""),
    "countries": ("Countries", "with at least one linked town"),
    "transnational_share": ("Transnational links", "share of links between two countries"),
    "eu_towns": ("Towns in the EU", "towns in an EU Member State"),
    "mean_degree": ("Partners per town", "mean"),
    "max_degree": ("Most partners", "of a single town"),
    "components": ("Separate networks", "connected components"),
    "largest_component": ("Largest network", "towns in the largest component"),
    "clustering": ("Clustering", "mean local clustering coefficient"),
    "assortativity": ("Assortativity", "degree correlation across links"),
    "with_year": ("Links with a known year", "share"),
}


def _summary_facts(s: Mapping[str, Any]) -> Facts:
    shares = ("transnational_share", "with_year")
    return Facts(
        [
            (label, _fmt(s[key], key + "_share" if key in shares else key), hint)
            for key, (label, hint) in _SUMMARY_LABELS.items()
            if key in s
        ]
    )


def _summary_frame(s: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {"figure": list(s), "value": [None if _is_missing(v) else v for v in s.values()]}
    ).astype(object)


def _sub_data(data: TwinningData, country: str) -> TwinningData:
    """The links touching ``country``: its towns, their partners and the partnerships."""
    towns, p, m = data.towns, data.partnerships, data.memberships
    own = towns.index[towns["country"] == country]
    p = p[p["town_a"].isin(own) | p["town_b"].isin(own)]
    projects = m.loc[m["town_id"].isin(own), "partnership_id"].unique()
    m = m[m["partnership_id"].isin(projects)]
    keep = pd.Index(own).append(pd.Index(p["town_a"])).append(pd.Index(p["town_b"]))
    keep = keep.append(pd.Index(m["town_id"])).unique()
    return TwinningData(
        towns.loc[towns.index.isin(keep)],
        p.reset_index(drop=True),
        m.reset_index(drop=True),
        sources=data.sources,
        name=f"{data.name}, links of {country}",
    )


def _section_overview(b: _Builder) -> Section:
    from twinning_graph.stats import summary

    b.step("headline figures")
    s = b.scope
    sec = Section("overview", "Headline figures")
    if s.kind == "europe":
        fig: dict[str, Any] = summary(b.data).to_dict()
        sec.intro = (
            "The twinning network as a whole: towns with at least one partner and the "
            "town pairs linked by a partnership."
        )
        sec.blocks.append(_summary_facts(fig))
        b.table(_summary_frame(fig), "summary", "Summary")
    elif s.kind == "country":
        code = str(s.key)
        fig = summary(_sub_data(b.data, code)).to_dict()
        sec.intro = (
            f"The network of {s.label}: its towns, their partners at home and abroad, "
            "and the links between them."
        )
        facts = _summary_facts(fig)
        row = b.optional(
            "country reach", lambda: _function("reach", "country_reach")(b.data).loc[code]
        )
        if row is not None:
            extra = [
                ("Towns", _fmt(row.get("towns")), f"of {code} in the data"),
                ("Twinned towns", _fmt(row.get("twinned_towns")), "with a partner"),
                (
                    "Countries reached",
                    _fmt(row.get("countries_reached")),
                    "linked by at least one town pair",
                ),
                ("EU states reached", _fmt(row.get("eu_states_reached")), "other than itself"),
                ("Domestic links", _fmt(row.get("domestic_links")), "both towns in " + code),
                ("Transnational links", _fmt(row.get("transnational_links")), "one town abroad"),
            ]
            facts = Facts(
                extra
                + [
                    f
                    for f in facts.items
                    if f[0]
                    in ("Partners per town", "Most partners", "Separate networks", "Clustering")
                ]
            )
            fig = {**fig, **{f"country_{k}": v for k, v in row.items()}}
        sec.blocks.append(facts)
        b.table(_summary_frame(fig), "summary", "Summary")
    else:
        tid = str(s.key)
        t = b.data.towns.loc[tid]
        reach = _town_reach(b).loc[tid]
        k2 = next((c for c in reach.index if c.startswith("countries_within_")), None)
        items = [
            ("Country", str(t["country"]), ""),
            ("Population", _fmt(t.get("population")), "GeoNames"),
            ("Partners", _fmt(reach["partners"]), "partner towns"),
            ("Foreign partners", _fmt(reach["foreign_partners"]), ""),
            ("Countries reached", _fmt(reach["countries_reached"]), "among the partners"),
            ("EU states reached", _fmt(reach["eu_states_reached"]), "other than its own"),
        ]
        if k2:
            items.append(("Countries within 2 links", _fmt(reach[k2]), "via partners' partners"))
        items.append(
            (
                "Mean distance to partners",
                _fmt(reach["mean_partner_km"]) + " km"
                if not _is_missing(reach["mean_partner_km"])
                else "–",
                "great-circle",
            )
        )
        sec.intro = f"{s.label}: its partners and what it reaches through them."
        sec.blocks.append(Facts(items))
        fig = {
            "town_id": tid,
            "name": t["name"],
            "country": t["country"],
            **{k: v for k, v in reach.items() if k not in ("name", "country")},
        }
        b.table(_summary_frame(fig), "summary", "Summary")
        b.sections.append(sec)
        sec = _section_partners(b, tid)
    return sec


def _section_partners(b: _Builder, tid: str) -> Section:
    e, towns = b.data.edges, b.data.towns
    mine = e[(e["town_a"] == tid) | (e["town_b"] == tid)]
    other = np.where(mine["town_a"] == tid, mine["town_b"], mine["town_a"])
    frame = (
        pd.DataFrame(
            {
                "town_id": other,
                "name": towns["name"].reindex(other).to_numpy(),
                "country": towns["country"].reindex(other).to_numpy(),
                "kinds": mine["kinds"].to_numpy(),
                "since": mine["since"].to_numpy(),
                "distance_km": mine["distance_km"].round(0).to_numpy(),
            }
        )
        .sort_values(["country", "name"], kind="stable")
        .set_index("town_id")
    )
    sec = Section(
        "partners",
        "Current partners",
        intro=f"{len(frame)} partner town{'s' if len(frame) != 1 else ''}.",
    )
    sec.blocks.append(b.table(frame, "partners", "Partner towns", rows=200, index_label="town id"))
    return sec


def _map_section(b: _Builder) -> Section:
    from twinning_graph.plot import plot_map

    b.step("maps")
    s = b.scope
    sec = Section("maps", "Maps")
    if s.kind == "europe":
        ax = plot_map(b.data)
        sec.intro = (
            "Each line is a partnership between two towns, drawn as a great-circle arc; "
            "each dot is a town, sized by its number of partners and coloured by country."
        )
        sec.blocks.append(
            _image(
                ax,
                "Map of all towns and partnership links in Europe",
                "Towns and partnership links",
            )
        )
    elif s.kind == "country":
        ax = plot_map(b.data, countries=s.key, touching=True)
        sec.intro = (
            f"Links with at least one town in {s.label}, on the map of Europe; "
            "partners outside the window are cut at its edge."
        )
        sec.blocks.append(
            _image(
                ax, f"Map of the partnership links of {s.label}", f"Partnership links of {s.label}"
            )
        )
        ax = plot_map(b.data, countries=s.key, touching=True, extent=s.key, color_by=None)
        sec.blocks.append(
            _image(
                ax,
                f"Map of the towns of {s.label}",
                f"Towns of {s.label}, sized by number of partners",
            )
        )
    return sec


def _section_reach(b: _Builder) -> Section | None:
    from twinning_graph.plot import plot_reach

    b.step("reach")
    s = b.scope
    tr = _town_reach(b)
    cols = [
        "name",
        "country",
        "partners",
        "foreign_partners",
        "countries_reached",
        "eu_states_reached",
        "mean_partner_km",
    ]
    if s.kind == "europe":
        sec = Section(
            "reach",
            "Reach",
            intro=(
                "How far partnerships carry: the countries and EU Member States a country's or a "
                "town's partners are in."
            ),
        )
        cr = b.optional("country reach", lambda: _function("reach", "country_reach")(b.data))
        if cr is not None:
            cr = cr.sort_values(["links", "towns"], ascending=False, kind="stable")
            sec.blocks.append(
                b.table(
                    cr,
                    "countries",
                    "Countries with most links",
                    columns=[
                        "country",
                        "name",
                        "towns",
                        "twinned_towns",
                        "links",
                        "transnational_share",
                        "countries_reached",
                        "eu_states_reached",
                        "links_per_100k",
                    ],
                    index_label="country",
                )
            )
        ranked = tr.sort_values(["countries_reached", "partners"], ascending=False, kind="stable")
        ax = plot_reach(ranked, column="countries_reached", top=20)
        sec.blocks.append(
            _image(
                ax,
                "Bar chart of the towns reaching most countries",
                "Towns whose partners are in the most countries",
                raster=False,
                wide=False,
            )
        )
        sec.blocks.append(
            b.table(
                ranked,
                "towns",
                "Towns reaching most countries",
                columns=["town_id", *cols],
                index_label="town id",
            )
        )
        return sec
    if s.kind == "country":
        sec = Section(
            "reach",
            "Reach of its towns",
            intro=(f"The towns of {s.label} whose partners are in the most countries."),
        )
        mine = tr[tr["country"] == s.key].sort_values(
            ["countries_reached", "partners"], ascending=False, kind="stable"
        )
        if (mine["partners"] > 0).any():
            ax = plot_reach(mine, column="countries_reached", top=20)
            sec.blocks.append(
                _image(
                    ax,
                    f"Bar chart of the towns of {s.label} reaching most countries",
                    "Towns reaching most countries",
                    raster=False,
                    wide=False,
                )
            )
        sec.blocks.append(
            b.table(mine, "towns", "Towns", columns=["town_id", *cols], index_label="town id")
        )
        return sec
    return None


def _section_gaps(b: _Builder) -> Section | None:
    from twinning_graph.plot import plot_country_matrix

    s = b.scope
    gaps = b.optional("country-pair gaps", lambda: _gaps(b))
    sec = Section(
        "gaps",
        "Gaps",
        intro=(
            "Country pairs with fewer links than expected from how many links each country has "
            "(observed / expected below 1), and towns whose partners are all in their own country."
        ),
    )
    country = _country_of(b)
    if gaps is not None:
        g = gaps
        if country is not None:
            g = g[(g["country_a"] == country) | (g["country_b"] == country)]
        if s.kind == "europe" and {"country_a", "country_b", "ratio"} <= set(gaps.columns):
            ax = b.optional("country matrix", lambda: _country_matrix(b, gaps, plot_country_matrix))
            if ax is not None:
                sec.blocks.append(
                    _image(
                        ax,
                        "Heatmap of observed over expected links between "
                        "the countries with most towns",
                        "Observed / expected town links between countries "
                        "(red: more than the gravity model expects, blue: "
                        "fewer; grey: no link)",
                        raster=False,
                        wide=False,
                    )
                )
        title = (
            "Most under-linked country pairs"
            if country is None
            else f"Country pairs of {country}, most under-linked first"
        )
        sec.blocks.append(
            b.table(
                g,
                "country_gaps",
                title,
                columns=_GAP_COLUMNS,
                note=(
                    "Expected counts come from a gravity model of the EU-27 country pairs (numbers of "
                    "towns and distance); ratio_low–ratio_high is the 95 % interval of the ratio. "
                    "Greece, Luxembourg and Malta are under-collected in the bundled data, so their "
                    "pairs show a gap of the data rather than of the network."
                ),
            )
        )
    dom = b.optional(
        "domestic-only towns", lambda: _function("gaps", "domestic_only_towns")(b.data)
    )
    if dom is not None and s.kind != "town":
        d = dom
        if country is not None and "country" in d.columns:
            d = d[d["country"] == country]
        sort = [c for c in ("partners", "domestic_partners", "population") if c in d.columns]
        if sort:
            d = d.sort_values(sort[0], ascending=False, kind="stable")
        sec.blocks.append(
            b.table(d, "domestic_only", "Towns with domestic partners only", index_label="town id")
        )
    return sec if sec.blocks else None


_GAP_COLUMNS = (
    "country_a",
    "country_b",
    "observed",
    "expected",
    "ratio",
    "ratio_low",
    "ratio_high",
    "p_value_quasi",
    "distance_km",
)


def _country_matrix(b: _Builder, gaps: pd.DataFrame, plot: Callable[..., Any]) -> Any:
    present = set(gaps["country_a"]) | set(gaps["country_b"])
    top = b.data.towns["country"].value_counts()
    top = [c for c in top.index if c in present][:30]
    sub = gaps[gaps["country_a"].isin(top) & gaps["country_b"].isin(top)]
    return plot(sub, value="ratio", countries=sorted(top))


def _section_clusters(b: _Builder) -> Section | None:
    s = b.scope
    sec = Section(
        "clusters",
        "Clusters and brokers",
        intro=(
            "Communities are groups of towns more densely linked among themselves than with the "
            "rest (Louvain modularity, fixed seed). Brokers lie on many shortest paths between "
            "other towns (betweenness centrality)."
        ),
    )
    comm = b.optional("communities", lambda: _communities(b))
    if comm is not None:
        table = b.optional(
            "community table",
            lambda: _call(_function("clusters", "community_table"), b.data, comm, seed=b.seed),
        )
        if table is not None:
            country = _country_of(b)
            title = "Largest communities"
            if s.kind == "country":
                own = comm[b.data.towns["country"].reindex(comm.index) == country]
                counts = own[own >= 0].value_counts()
                table = table.loc[table.index.intersection(counts.index)].assign(
                    **{f"towns_in_{country}": counts}
                )
                table = table.sort_values(f"towns_in_{country}", ascending=False, kind="stable")
                title = f"Communities with towns of {country}"
            elif s.kind == "town":
                c = int(comm.get(s.key, -1))
                table = table.loc[[c]] if c in table.index else table.iloc[:0]
                title = "The town's community" if len(table) else "The town has no community"
            sec.blocks.append(b.table(table, "communities", title, index_label="community"))
    br = b.optional("brokers", lambda: _brokers(b))
    if br is not None:
        sample = br.attrs.get("sample")
        note = (
            "Exact betweenness."
            if sample is None
            else f"Betweenness estimated from {sample} sampled source towns; close ranks may "
            "swap with another seed."
        )
        if s.kind == "europe":
            sec.blocks.append(
                b.table(br, "brokers", "Leading brokers", index_label="town id", note=note)
            )
        elif s.kind == "country":
            mine = br[br["country"] == s.key]
            sec.blocks.append(
                b.table(
                    mine,
                    "brokers",
                    f"Leading brokers of {s.key}",
                    index_label="town id",
                    note=note + " Rank among all towns of the network.",
                )
            )
        else:
            tid = str(s.key)
            rank = int(br.loc[tid, "rank"]) if tid in br.index else None
            if comm is not None and int(comm.get(tid, -1)) >= 0:
                members = comm.index[comm == comm[tid]]
                mine = br[br.index.isin(members)]
                title = "Leading brokers of the town's community"
            else:
                mine = br[br.index == tid]
                title = "The town's broker rank"
            sec.blocks.append(
                b.table(
                    mine,
                    "brokers",
                    title,
                    index_label="town id",
                    note=note
                    + (f" {b.scope.label} ranks {rank:,} of {len(br):,}." if rank else ""),
                )
            )
    return sec if sec.blocks else None


def _section_network_charts(b: _Builder) -> Section | None:
    from twinning_graph import plot

    sec = Section(
        "structure",
        "Network structure",
        intro=("How partners are distributed over towns, and when the links were made."),
    )
    ax = b.optional("degree distribution", lambda: plot.plot_degree_distribution(b.data))
    if ax is not None:
        sec.blocks.append(
            _image(
                ax,
                "Degree distribution chart",
                "Number of partners per town (complementary cumulative distribution, log–log)",
                raster=False,
                wide=False,
            )
        )
    if b.data.edges["since"].notna().any():
        ax = b.optional("links per year", lambda: plot.plot_links_per_year(b.data))
        if ax is not None:
            sec.blocks.append(
                _image(
                    ax,
                    "Chart of new links per year",
                    "New links per year",
                    raster=False,
                    wide=False,
                )
            )
    return sec if sec.blocks else None


def _section_candidates(b: _Builder) -> tuple[Section | None, pd.DataFrame | None]:
    tid = str(b.scope.key)

    def run() -> pd.DataFrame:
        b.step("candidate partners")
        return _call(_function("recommend", "rank_partners"), b.data, tid, n=b.rows, seed=b.seed)

    ranked = b.optional("candidate partners", run)
    if ranked is None:
        return None, None
    sec = Section(
        "candidates",
        "Candidate partners",
        intro=(
            f"Towns ranked as new partners for {b.scope.label}. Each score column is one "
            "component of the ranking; the total combines them."
        ),
    )
    frame = ranked
    sec.blocks.append(
        b.table(
            frame,
            "candidates",
            "Ranked candidate partners",
            columns=_CANDIDATE_COLUMNS,
            note="Town ids and every feature column are in the CSV.",
        )
    )
    return sec, ranked


# the HTML table leaves out town_id and the raw features so the reasons have room to wrap
_CANDIDATE_COLUMNS = (
    "name",
    "country",
    "distance_km",
    "population",
    "partners",
    "plausibility",
    "strategy",
    "capacity",
    "score",
    "reason",
)


def _section_plan(b: _Builder) -> Section | None:
    tid = str(b.scope.key)

    def run() -> Any:
        b.step("proposed network")
        return _function("plan", "plan_network")(b.data, [tid])

    plan = b.optional("proposed network", run)
    if plan is None:
        return None
    call = getattr(getattr(plan, "call", None), "call", None) or str(getattr(plan, "call", ""))
    members: pd.DataFrame = plan.members
    sec = Section(
        "plan",
        "Proposed network",
        intro=(
            f"A network of towns around {b.scope.label} proposed for the call {call}: towns are "
            "added one at a time, each chosen for its fit with the towns already in, while the "
            "call's rules (number of municipalities, countries, Member States) are checked."
        ),
    )
    n_countries = members["country"].nunique() if "country" in members.columns else None
    sec.blocks.append(
        Facts(
            [
                ("Call", call, ""),
                ("Meets the call's rules", _fmt(bool(plan.eligible)), ""),
                ("Municipalities", _fmt(len(members)), "seed town included"),
                ("Countries", _fmt(n_countries), ""),
            ]
        )
    )
    if getattr(plan, "message", ""):
        msg = str(plan.message)
        sec.blocks.append(Text(msg[:1].upper() + msg[1:] + "."))
    added = members[members.get("role", pd.Series("added", index=members.index)) != "seed"]
    if len(added):
        ax = b.optional("plan map", lambda: _town_map_axes(b, added))
        if ax is not None:
            sec.blocks.append(
                _image(
                    ax,
                    f"Map of the network proposed around {b.scope.label}",
                    "Proposed members (orange diamonds) and the town's current partners (red)",
                )
            )
    sec.blocks.append(b.table(members, "plan", "Members", rows=100, index_label="town id"))
    checks = getattr(plan, "checks", None)
    if isinstance(checks, pd.DataFrame):
        sec.blocks.append(b.table(checks, "plan_checks", "The call's rules", rows=100))
    alt = getattr(plan, "alternatives", None)
    if isinstance(alt, pd.DataFrame) and len(alt):
        sec.blocks.append(
            b.table(alt, "plan_alternatives", "Alternatives for each added town", rows=30)
        )
    return sec
