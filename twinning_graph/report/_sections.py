"""The descriptive sections of a report: headline figures, current partners and maps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from twinning_graph.plot import plot_map
from twinning_graph.report._blocks import Facts, Section, fmt, is_missing
from twinning_graph.report._context import Builder, candidates, country_reach, town_reach
from twinning_graph.report._coverage import data_note
from twinning_graph.report._figures import image, town_map
from twinning_graph.stats import summary

# headline figures of summary(), in the order shown (the CSV has all of them)
_SUMMARY_FACTS = (
    "towns",
    "links",
    "countries",
    "transnational_share",
    "eu_towns",
    "mean_degree",
    "max_degree",
    "components",
    "largest_component",
)


def _summary_frame(s: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        {"figure": list(s), "value": [None if is_missing(v) else v for v in s.values()]}
    ).astype(object)


def _fact(
    b: Builder, key: str, value: str, *, count: float | None = None, **hint: Any
) -> tuple[str, str, str]:
    """(label, value, hint) of a fact card; ``count``: the hint agrees with this number
    (``fact.<key>.hint.one`` / ``.other``)."""
    lang = b.lang
    h = f"fact.{key}.hint"
    if count is not None and lang.has(f"{h}.one"):
        return (lang(f"fact.{key}"), value, lang.plural(h, count, **hint))
    return (lang(f"fact.{key}"), value, lang(h, **hint) if lang.has(h) else "")


def section_overview(b: Builder) -> list[Section]:
    """Headline figures (and, for a town, its current partners)."""
    b.step("headline figures")
    s, lang = b.scope, b.lang
    sec = Section("overview", lang("sec.overview"), data_note=data_note(b.data, lang))
    if s.kind in ("europe", "country"):
        sub = b.data if s.kind == "europe" else b.data.filter(countries=s.key, touching=True)
        fig: dict[str, Any] = summary(sub).to_dict()
        items = [
            _fact(b, k, fmt(fig[k], lang, "share" if k.endswith("share") else k))
            for k in _SUMMARY_FACTS
            if k in fig
        ]
        if s.kind == "europe":
            sec.intro = lang("overview.europe")
        else:
            code = str(s.key)
            row = country_reach(b).loc[code]
            tr = town_reach(b)
            own = tr[tr["country"] == code]
            sec.intro = lang("overview.country", country=lang.country(code))
            items = [
                _fact(b, "country_towns", fmt(row["towns"], lang)),
                _fact(b, "twinned_towns", fmt(row["twinned_towns"], lang)),
                _fact(b, "countries_reached", fmt(row["countries_reached"], lang)),
                _fact(b, "eu_states_reached", fmt(row["eu_states_reached"], lang)),
                _fact(b, "domestic_links", fmt(row["domestic_links"], lang)),
                _fact(b, "transnational_links", fmt(row["transnational_links"], lang)),
                _fact(b, "mean_degree", lang.number(float(own["partners"].mean()), 2)),
                _fact(b, "max_degree", lang.number(int(own["partners"].max()))),
            ]
            fig = {**fig, **{f"country_{k}": v for k, v in row.items()}}
        sec.blocks.append(Facts(items))
        b.table(_summary_frame(fig), "summary", lang("table.summary"))
        return [sec]
    tid = str(s.key)
    t = b.data.towns.loc[tid]
    r = town_reach(b).loc[tid]
    k2 = next((c for c in r.index if c.startswith("countries_within_")), None)
    km = lang("unit.km", value=fmt(r["mean_partner_km"], lang))
    items = [
        _fact(b, "country", lang.country(t["country"])),
        _fact(b, "population", fmt(t.get("population"), lang)),
        _fact(b, "partners", fmt(r["partners"], lang), count=int(r["partners"])),
        _fact(b, "foreign_partners", fmt(r["foreign_partners"], lang)),
        _fact(b, "countries_reached", fmt(r["countries_reached"], lang)),
        _fact(b, "eu_states_reached", fmt(r["eu_states_reached"], lang)),
    ]
    if k2:
        items.append(_fact(b, "countries_within_2", fmt(r[k2], lang)))
    items.append(_fact(b, "mean_partner_km", km if not is_missing(r["mean_partner_km"]) else "–"))
    sec.intro = lang("overview.town", town=b.town_name(tid))
    sec.blocks.append(Facts(items))
    fig = {
        "town_id": tid,
        "name": t["name"],
        "country": t["country"],
        **{k: v for k, v in r.items() if k not in ("name", "country")},
    }
    b.table(_summary_frame(fig), "summary", lang("table.summary"))
    return [sec, _section_partners(b, tid)]


def _section_partners(b: Builder, tid: str) -> Section:
    lang = b.lang
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
        .sort_values(["distance_km", "name"], kind="stable")
        .set_index("town_id")
    )
    sec = Section(
        "partners",
        lang("sec.partners"),
        intro=lang.plural("partners.intro", len(frame), town=b.scope_label()),
        data_note=data_note(b.data, lang),
    )
    sec.blocks.append(
        b.table(
            frame,
            "partners",
            lang("table.partners"),
            rows=200,
            columns=["name", "country", "kinds", "since", "distance_km"],
            values={"country": lang.country, "kinds": lambda k: kinds_words(lang, k)},
        )
    )
    return sec


def kinds_words(lang: Any, kinds: Any) -> str:
    """``"twinning;project"`` as words of the report's language."""
    words = []
    for k in str(kinds).split(";"):
        key = f"value.kind.{k.strip()}"
        words.append(lang(key) if lang.has(key) else k.strip())
    return ", ".join(words)


def section_maps(b: Builder) -> Section:
    """The map of Europe, of a country's links, or of the town with its partners and the
    candidates (``candidates`` may be None)."""
    b.step("maps")
    s, lang = b.scope, b.lang
    sec = Section("maps", lang("sec.maps"), data_note=data_note(b.data, lang))
    if s.kind == "europe":
        ax = plot_map(b.data, title=lang("maps.europe.alt"), texts=lang.map_texts())
        sec.intro = lang("maps.europe")
        sec.blocks.append(image(ax, lang("maps.europe.alt"), lang("maps.europe.caption")))
    elif s.kind == "country":
        name = lang.country(s.key)
        ax = plot_map(
            b.data,
            countries=s.key,
            touching=True,
            title=lang("maps.country.alt", country=name),
            texts=lang.map_texts(),
        )
        sec.intro = lang("maps.country", country=name)
        sec.blocks.append(
            image(
                ax,
                lang("maps.country.alt", country=name),
                lang("maps.country.caption", country=name),
            )
        )
        ax = plot_map(
            b.data,
            countries=s.key,
            touching=True,
            extent=s.key,
            title=lang("maps.country_towns.alt", country=name),
            texts=lang.map_texts(),
        )
        sec.blocks.append(
            image(
                ax,
                lang("maps.country_towns.alt", country=name),
                lang("maps.country_towns.caption", country=name),
            )
        )
    else:
        ranked = candidates(b)
        has = ranked is not None and len(ranked) > 0
        sec.intro = lang("maps.town", town=b.scope_label())
        ax = town_map(
            b.data,
            str(s.key),
            ranked if has else None,
            title=lang("maps.town.alt", town=b.scope_label()),
            texts=lang.map_texts(),
        )
        caption = lang("maps.town.caption_candidates" if has else "maps.town.caption")
        sec.blocks.append(image(ax, lang("maps.town.alt", town=b.scope_label()), caption))
    return sec
