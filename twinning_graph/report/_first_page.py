"""The first page of a report, in plain words generated from the figures: how connected the
town, country or Europe is, with whom, what is missing, and three concrete next steps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from twinning_graph.countries import eu_members
from twinning_graph.recommend import rank_partners, rank_partners_many
from twinning_graph.report._blocks import Section, Steps, Text
from twinning_graph.report._context import (
    NO_CANDIDATE,
    Builder,
    candidates,
    country_reach,
    pair_gaps,
    town_reach,
)
from twinning_graph.report._coverage import data_note, under_collected
from twinning_graph.report._reasons import (
    candidate_reasons,
    listed_name,
    marked_countries,
    unconfirmed_note,
)
from twinning_graph.report._town import plan, plan_checks, verdict_words

_STEPS = 3


def first_page(b: Builder) -> Section:
    """The "In short" section for the report's scope."""
    b.step("first page")
    lang = b.lang
    sec = Section("summary", lang("sec.summary"), data_note=data_note(b.data, lang, short=False))
    if b.scope.kind == "town":
        paragraphs, steps = _town(b)
    elif b.scope.kind == "country":
        paragraphs, steps = _country(b)
    else:
        paragraphs, steps = _europe(b)
    for heading, text in paragraphs:
        sec.blocks.append(Text(text, kind="lead", heading=heading))
    note = unconfirmed_note(b, marked_countries(b))
    sec.blocks.append(Steps(steps[:_STEPS], links=_call_links(b), note=note))
    return sec


# --------------------------------------------------------------------------- shared


def _pair_counts(b: Builder) -> pd.DataFrame:
    """Links per unordered country pair (both directions folded), across borders only."""
    e, c = b.data.edges, b.data.towns["country"]
    ca = e["town_a"].map(c).astype(str).to_numpy()
    cb = e["town_b"].map(c).astype(str).to_numpy()
    lo, hi = np.minimum(ca, cb), np.maximum(ca, cb)
    pairs = pd.DataFrame({"a": lo, "b": hi})
    pairs = pairs[pairs["a"] != pairs["b"]]
    return pairs.value_counts().rename("links").reset_index()


def _gaps(b: Builder, country: str | None) -> tuple[pd.DataFrame, bool]:
    """Country pairs with fewer links than expected, most certain first, leaving out
    countries the data under-collects: those with a clear gap (95 % range below 1) if any
    (``True``), else the pairs below expectation (``False``)."""
    g = pair_gaps(b)
    if g is None:
        return pd.DataFrame(columns=["country_a", "country_b", "observed", "expected"]), True
    skip = under_collected(b.data)
    g = g[~g["country_a"].isin(skip) & ~g["country_b"].isin(skip) & (g["ratio"] < 1)]
    if country is not None:
        g = g[(g["country_a"] == country) | (g["country_b"] == country)]
    g = g.sort_values("p_value_quasi", kind="stable")
    clear = g[g["ratio_high"] < 1]
    return (clear, True) if len(clear) else (g, False)


def _missing_gaps(b: Builder, g: pd.DataFrame, clear: bool, country: str) -> str:
    key = "first.country_gaps" if clear else "first.country_gaps_soft"
    return b.lang(key, country=b.lang.place(country), gaps=_gap_words(b, g, country))


def _pick(b: Builder, ranked: pd.DataFrame, town: str, k: int = 3) -> tuple[list[str], bool]:
    """The ``k`` best candidates of a ranking; when more than ``k`` share the best score
    (the data cannot tell them apart), those closest in population to ``town``, and True."""
    best = ranked["score"].iloc[0]
    tied = ranked[np.isclose(ranked["score"], best, rtol=0, atol=1e-9)]
    if len(tied) <= k:
        return [str(t) for t in ranked.index[:k]], False
    own = b.data.towns.loc[town, "population"]
    pop = pd.to_numeric(tied["population"], errors="coerce").astype(float)
    gap = np.abs(np.log(pop / float(own))) if pd.notna(own) and own > 0 else pop * 0
    order = tied.assign(_gap=gap.fillna(np.inf)).sort_values(["_gap", "distance_km"])
    return [str(t) for t in order.index[:k]], True


def _gap_words(b: Builder, g: pd.DataFrame, country: str | None, k: int = 3) -> str:
    lang = b.lang
    items = []
    for row in g.head(k).itertuples():
        other = row.country_b if row.country_a == country else row.country_a
        who = (
            lang.place(other)
            if country is not None
            else f"{lang.place(row.country_a)} – {lang.place(row.country_b)}"
        )
        items.append(
            lang(
                "first.gap_item",
                who=who,
                observed=lang.number(row.observed),
                expected=lang.number(row.expected),
            )
        )
    return lang.join(items)


def _call_step(b: Builder, members: str = "", verdict: str = "") -> tuple[str, str]:
    lang = b.lang
    facts = b.call
    if facts is None:
        return lang("step.call.heading_none"), lang("step.call.none")
    if facts.deadline is None:
        deadline = lang("step.call.no_deadline")
    elif facts.deadline < b.today:
        deadline = lang("step.call.deadline_passed", date=lang.date(facts.deadline))
    else:
        deadline = lang("step.call.deadline", date=lang.date(facts.deadline))
    rules = lang(
        "step.call.rules",
        municipalities=lang.number(facts.call.min_municipalities),
        countries=lang.number(facts.call.min_countries),
        eu_states=lang.plural("step.call.eu", facts.call.min_eu_states),
        status=lang(f"value.statuses.{facts.status}"),
    )
    text = lang("step.call.text", call=facts.id, kind=lang(f"call.kind.{facts.kind}"))
    text += " " + rules
    if members:
        text += " " + lang("step.call.members", members=members, verdict=verdict)
    text += " " + deadline
    return lang("step.call.heading"), text


def _call_links(b: Builder) -> list[tuple[str, str]]:
    if b.call is None or not b.call.link:
        return []
    return [(b.lang("step.call.link", call=b.call.id), b.call.link)]


def _named(b: Builder, ids: Sequence[str], *, home: str | None = None) -> str:
    """Towns proposed as partners, by name (marked when their eligibility is unconfirmed)."""
    return b.lang.join(listed_name(b, t, home=home) for t in ids)


def _best_pairs(
    b: Builder, towns: Sequence[str], countries: Sequence[str] | str, k: int = 3
) -> list[tuple[str, str]]:
    """The ``k`` best (town, candidate) pairs from ``towns`` to towns of ``countries``
    (one candidate per town; the report's call applies)."""
    if not len(towns):
        return []
    call = b.call.call if b.call is not None else None
    ranked = b.optional(
        b.lang("omitted.what.candidates"),
        lambda: rank_partners_many(b.data, list(towns), n=1, countries=countries, call=call),
        NO_CANDIDATE,
    )
    if ranked is None or not len(ranked):
        return []
    top = ranked.sort_values(["score", "town_id"], ascending=[False, True], kind="stable")
    top = top.drop_duplicates("candidate_id").head(k)
    return list(zip(top["town_id"].astype(str), top["candidate_id"].astype(str), strict=True))


def _pairs_words(b: Builder, pairs: list[tuple[str, str]], *, home: str | None = None) -> str:
    return b.lang.join(
        f"{b.town_name(a, home=home)} – {listed_name(b, c, home=home)}" for a, c in pairs
    )


def _widen_step(b: Builder, towns: pd.DataFrame, *, home: str | None) -> list[tuple[str, str]]:
    """A step for the towns reaching fewest countries: each with its best partner abroad."""
    linked = towns[towns["partners"] > 0]
    least = linked.sort_values(["countries_reached", "partners"], kind="stable").index[:3]
    pairs = []
    for t in least:  # three towns: one ranking each
        own = str(b.data.towns.loc[t, "country"])
        pairs += _best_pairs(b, [str(t)], _abroad(b, own), k=1)
    if not pairs:
        return []
    return [
        (
            b.lang("step.widen.heading"),
            b.lang("step.widen.text", pairs=_pairs_words(b, pairs, home=home)),
        )
    ]


def _leads_step(b: Builder, towns: pd.DataFrame, *, home: str | None) -> list[tuple[str, str]]:
    """A step naming the towns whose partners are in the most countries."""
    best = towns.sort_values(["countries_reached", "partners"], ascending=False).index[:3]
    if not len(best):
        return []
    names = b.lang.join(b.town_name(t, home=home) for t in best)
    return [(b.lang("step.leads.heading"), b.lang("step.leads.text", towns=names))]


def _coverage_words(b: Builder, country: str) -> list[str]:
    if country in under_collected(b.data):
        return [b.lang("first.under_collected", country=b.lang.place(country))]
    return []


def _abroad(b: Builder, country: str) -> list[str]:
    """Every country of the data but ``country`` (a filter for partners abroad)."""
    return sorted(set(b.data.towns["country"].astype(str)) - {country})


# --------------------------------------------------------------------------- town


def _town(b: Builder) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    lang = b.lang
    tid = str(b.scope.key)
    town = b.scope_label()
    own = str(b.data.towns.loc[tid, "country"])
    towns, e = b.data.towns, b.data.edges
    tr = town_reach(b)
    r = tr.loc[tid]
    mine = e[(e["town_a"] == tid) | (e["town_b"] == tid)]
    other = pd.Index(np.where(mine["town_a"] == tid, mine["town_b"], mine["town_a"]))
    dist = pd.Series(mine["distance_km"].to_numpy(), index=other)
    partner_countries = towns["country"].reindex(other).astype(str)
    abroad = sorted(set(partner_countries) - {own})

    # how connected
    peers = tr.loc[tr["country"] == own, "partners"]
    if int(r["partners"]) == 0:
        connected = lang("first.town.none", town=town)
    elif int(r["foreign_partners"]) == 0:
        connected = lang.plural("first.town.home", int(r["partners"]), town=town)
    else:
        connected = lang.plural(
            "first.town.partners",
            int(r["partners"]),
            town=town,
            foreign=lang.number(r["foreign_partners"]),
            countries=lang.plural("first.countries", len(abroad)),
        )
        below = float((peers < r["partners"]).mean())
        median = float(peers.median())
        if below >= 0.5:
            how = "more"
        elif r["partners"] < median:
            how = "fewer"
        else:
            how = "typical"
        connected += " " + lang(
            f"first.town.compare_{how}",
            share=lang.percent(below),
            country=lang.place(own),
            median=lang.number(median, 0),
        )
        k2 = next((c for c in r.index if c.startswith("countries_within_")), None)
        if k2 is not None:
            connected += " " + lang("first.town.two_steps", n=lang.number(r[k2]))
    # with whom
    if len(other) == 1:
        whom = lang(
            "first.town.whom_one", partner=b.town_name(other[0]), km=lang.number(dist.iloc[0])
        )
    elif len(other):
        near, far = dist.idxmin(), dist.idxmax()
        whom = lang(
            "first.town.whom",
            countries=lang.join(lang.place(c) for c in abroad) or lang("first.none_abroad"),
            near=b.town_name(near),
            near_km=lang.number(dist[near]),
            far=b.town_name(far),
            far_km=lang.number(dist[far]),
        )
    else:
        whom = lang("first.town.whom_none")
    # what is missing
    cr = country_reach(b)
    eu = cr[cr.index.isin(eu_members())]
    big = [c for c in eu.sort_values("links", ascending=False).index if c != own]
    not_reached = [c for c in big if c not in abroad][:3]
    missing = []
    if own in eu_members() and int(r["partners"]) > 0 and int(r["eu_states_reached"]) == 0:
        missing.append(lang("first.town.no_eu"))
    if not_reached:
        missing.append(
            lang("first.town.not_reached", countries=lang.join(lang.place(c) for c in not_reached))
        )
    g, clear = _gaps(b, own)
    if len(g):
        missing.append(_missing_gaps(b, g, clear, own))
    missing += _coverage_words(b, own)
    if not missing:
        missing.append(lang("first.nothing_missing"))

    steps = []
    picked: list[str] = []
    ranked = candidates(b)
    if ranked is not None and len(ranked):
        # the best town of each country when there are enough countries: an application
        # needs partners from several countries
        spread = ranked.drop_duplicates("country")
        spread_out = len(spread) >= 3 and len(spread) < len(ranked)
        picked, _ = _pick(b, spread if spread_out else ranked, tid)
        top = ranked.loc[picked]
        why = candidate_reasons(b, top)
        items = [
            lang("step.candidate_item", town=listed_name(b, t), why=w)
            for t, w in zip(top.index, why, strict=True)
        ]
        steps.append(
            (
                lang("step.contact.heading"),
                lang(
                    "step.contact.text_spread" if spread_out else "step.contact.text",
                    items=" ".join(items),
                ),
            )
        )
    gap_country = next(
        (
            c
            for c in [
                *(
                    row.country_b if row.country_a == own else row.country_a
                    for row in g.itertuples()
                ),
                *not_reached,
            ]
            if c not in abroad
        ),
        None,
    )
    if gap_country is not None:
        found = b.optional(
            lang("omitted.what.candidates"),
            lambda: rank_partners(
                b.data,
                tid,
                n=50,
                countries=gap_country,
                call=b.call.call if b.call is not None else None,
            ),
            NO_CANDIDATE,
        )
        if found is not None and len(found):
            names, tied = _pick(b, found, tid)
            steps.append(
                (
                    lang("step.gap.heading", country=lang.place(gap_country)),
                    lang(
                        "step.gap.town_tied" if tied else "step.gap.town",
                        town=town,
                        country=lang.place(gap_country),
                        names=_named(b, names),
                    ),
                )
            )
    if len(steps) < _STEPS - 1 and ranked is not None and len(ranked) > 3:
        more = [t for t in ranked.index if t not in set(picked)][:3]
        steps.append((lang("step.more.heading"), lang("step.more.text", names=_named(b, more))))
    if len(steps) < _STEPS - 1:
        peers_frame = tr[(tr["country"] == own) & (tr.index != tid)]
        steps += _leads_step(b, peers_frame, home=own)
    result = plan(b)
    if result is not None:
        members = _named(b, list(result.members.index))
        steps.append(_call_step(b, members, verdict_words(lang, plan_checks(b, result))))
    else:
        steps.append(_call_step(b))
    paragraphs = [
        (lang("first.connected"), connected),
        (lang("first.whom"), whom),
        (lang("first.missing"), " ".join(missing)),
    ]
    return paragraphs, steps


# --------------------------------------------------------------------------- country


def _country(b: Builder) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    lang = b.lang
    code = str(b.scope.key)
    name = lang.place(code)
    row = country_reach(b).loc[code]
    tr = town_reach(b)
    mine = tr[tr["country"] == code]
    eu_total = len(eu_members() - {code})
    all_twinned = int(row["twinned_towns"]) == int(row["towns"])
    connected = lang(
        "first.country.connected_all" if all_twinned else "first.country.connected",
        country=name,
        towns=lang.number(row["towns"]),
        twinned=lang.number(row["twinned_towns"]),
        links=lang.number(row["links"]),
        share=lang.percent(row["transnational_share"]),
        mean=lang.number(float(mine["partners"].mean()), 1),
        europe=lang.number(float(tr.loc[tr["partners"] > 0, "partners"].mean()), 1),
        countries=lang.number(row["countries_reached"]),
        eu=lang.number(row["eu_states_reached"]),
        eu_total=lang.number(eu_total),
    )
    pc = _pair_counts(b)
    pc = pc[(pc["a"] == code) | (pc["b"] == code)]
    pc = pc.assign(other=np.where(pc["a"] == code, pc["b"], pc["a"]))
    top = pc.sort_values(["links", "other"], ascending=[False, True]).head(3)
    whom = lang(
        "first.country.whom",
        country=name,
        items=lang.join(
            lang("first.count_item", who=lang.place(o), n=lang.number(n))
            for o, n in zip(top["other"], top["links"], strict=True)
        ),
    )
    g, clear = _gaps(b, code)
    missing = []
    none_eu = sorted(eu_members() - {code} - set(pc["other"]))
    if none_eu:
        missing.append(
            lang(
                "first.country.no_eu",
                country=name,
                countries=lang.join((lang.place(c) for c in none_eu), last="or"),
            )
        )
    if len(g):
        missing.append(_missing_gaps(b, g, clear, code))
    domestic = mine[(mine["partners"] > 0) & (mine["foreign_partners"] == 0)]
    if len(domestic):
        missing.append(lang.plural("first.country.domestic", len(domestic), country=name))
    missing += _coverage_words(b, code)
    if not missing:
        missing.append(lang("first.nothing_missing"))

    steps = []
    if len(g):
        r0 = g.iloc[0]
        other = str(r0["country_b"] if r0["country_a"] == code else r0["country_a"])
        own_towns = list(mine.sort_values("partners", ascending=False).index[:200])
        pairs = _best_pairs(b, own_towns, other)
        if pairs:
            steps.append(
                (
                    lang("step.gap.heading", country=lang.place(other)),
                    lang(
                        "step.gap.pairs",
                        country=lang.place(other),
                        pairs=_pairs_words(b, pairs, home=code),
                    ),
                )
            )
    reachable = [c for c in none_eu if c not in under_collected(b.data)]
    if reachable:
        own_towns = list(mine.sort_values("partners", ascending=False).index[:200])
        pairs = _best_pairs(b, own_towns, reachable)
        if pairs:
            steps.append(
                (
                    lang("step.no_eu.heading"),
                    lang(
                        "step.no_eu.text",
                        countries=lang.join((lang.place(c) for c in reachable), last="or"),
                        pairs=_pairs_words(b, pairs, home=code),
                    ),
                )
            )
    if len(domestic) and len(steps) < _STEPS - 1:
        biggest = list(domestic.sort_values("partners", ascending=False).index[:3])
        pairs = _best_pairs(b, biggest, _abroad(b, code))
        if pairs:
            steps.append(
                (
                    lang("step.abroad.heading"),
                    lang("step.abroad.text", pairs=_pairs_words(b, pairs, home=code)),
                )
            )
    if len(steps) < _STEPS - 1:
        steps += _widen_step(b, mine, home=code)
    steps = steps[: _STEPS - 1]
    leads = list(mine.sort_values(["countries_reached", "partners"], ascending=False).index[:3])
    steps.append(_call_step(b))
    if leads:
        h, t = steps[-1]
        steps[-1] = (h, t + " " + lang("step.call.leads", towns=_named(b, leads, home=code)))
    paragraphs = [
        (lang("first.connected"), connected),
        (lang("first.whom"), whom),
        (lang("first.missing"), " ".join(missing)),
    ]
    return paragraphs, steps


# --------------------------------------------------------------------------- Europe


def _europe(b: Builder) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    lang = b.lang
    tr = town_reach(b)
    linked = tr[tr["partners"] > 0]
    e = b.data.edges
    c = b.data.towns["country"]
    cross = float((e["town_a"].map(c) != e["town_b"].map(c)).mean()) if len(e) else 0.0
    connected = lang(
        "first.europe.connected",
        towns=lang.number(len(linked)),
        countries=lang.number(linked["country"].nunique()),
        links=lang.number(len(e)),
        share=lang.percent(cross),
        mean=lang.number(float(linked["partners"].mean()), 1),
    )
    cr = country_reach(b).sort_values("links", ascending=False)
    pc = _pair_counts(b).sort_values(["links", "a", "b"], ascending=[False, True, True]).head(3)
    whom = lang(
        "first.europe.whom",
        countries=lang.join(
            lang("first.count_item", who=lang.place(k), n=lang.number(n))
            for k, n in cr["links"].head(3).items()
        ),
        pairs=lang.join(
            lang(
                "first.count_item",
                who=f"{lang.place(a)} – {lang.place(bb)}",
                n=lang.number(n),
            )
            for a, bb, n in zip(pc["a"], pc["b"], pc["links"], strict=True)
        ),
    )
    g, clear = _gaps(b, None)
    missing = []
    if len(g):
        key = "first.europe.gaps" if clear else "first.europe.gaps_soft"
        missing.append(lang(key, gaps=_gap_words(b, g, None)))
    domestic = linked[linked["foreign_partners"] == 0]
    if len(domestic):
        missing.append(lang.plural("first.europe.domestic", len(domestic)))
    if not missing:
        missing.append(lang("first.nothing_missing"))

    steps = []
    if len(g):
        r0 = g.iloc[0]
        a, z = str(r0["country_a"]), str(r0["country_b"])
        own_towns = list(
            tr[tr["country"] == a].sort_values("partners", ascending=False).index[:200]
        )
        pairs = _best_pairs(b, own_towns, z)
        if pairs:
            steps.append(
                (
                    lang("step.pair.heading", a=lang.place(a), b=lang.place(z)),
                    lang(
                        "step.pair.text" if clear else "step.pair.text_soft",
                        a=lang.place(a),
                        b=lang.place(z),
                        pairs=_pairs_words(b, pairs),
                    ),
                )
            )
    if len(domestic):
        biggest = list(domestic.sort_values("partners", ascending=False).index[:3])
        # each town's partner abroad: candidates outside its own country
        pairs = []
        for t in biggest:  # three towns: one ranking each
            pairs += _best_pairs(b, [t], _abroad(b, str(tr.loc[t, "country"])), k=1)
        if pairs:
            steps.append(
                (
                    lang("step.abroad.heading"),
                    lang("step.abroad.text", pairs=_pairs_words(b, pairs)),
                )
            )
    if len(steps) < _STEPS - 1:
        steps += _widen_step(b, linked, home=None)
    if len(steps) < _STEPS - 1:
        steps += _leads_step(b, linked, home=None)
    steps.append(_call_step(b))
    paragraphs = [
        (lang("first.connected"), connected),
        (lang("first.whom"), whom),
        (lang("first.missing"), " ".join(missing)),
    ]
    return paragraphs, steps
