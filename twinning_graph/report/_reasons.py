"""Why a candidate partner is proposed, in the report's language and naming the towns behind
each reason; and the mark of candidates whose eligibility for the report's call is
unconfirmed.

The ranking's own ``reason`` column names the towns in English only; its score terms
(``shared_partners``, ``partner_paths``, ``nearby_*``, ...) carry no names. The towns
behind a term are found here from the links of the data, with the same definitions as the
terms: a shared partner is a partner of both towns; a partner path is a partner of the
report's town twinned with a partner of the candidate; a nearby pair is a link between a
town near the report's town and a town near the candidate, the closest such pair on the
scale (10, 50 or 150 km) of the strongest ``nearby_*`` term.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from twinning_graph._geo import haversine_km
from twinning_graph.recommend import country_eligibility
from twinning_graph.report._context import Builder, european

#: A score term counts as a reason in the report when it adds at least this much.
REASON_MIN = 0.9
#: Shared partners named in a reason (the others are counted).
NAMED = 2


# --------------------------------------------------------------------------- eligibility


def unconfirmed_countries(b: Builder, countries: Iterable[str]) -> list[str]:
    """Those of ``countries`` whose towns' eligibility for the report's call is unconfirmed
    (none without a call), sorted."""
    if b.call is None:
        return []
    codes = sorted({str(c) for c in countries})
    if not codes:
        return []
    e = country_eligibility(b.call.call, codes)
    return sorted(e.index[e["eligible"] == "unconfirmed"].astype(str))


def listed_name(b: Builder, town_id: str, *, home: str | None = None) -> str:
    """``'Name (Country)'`` of a town proposed as a partner, marked when its eligibility for
    the report's call is unconfirmed; the country is kept for :func:`marked_countries`."""
    name = b.town_name(town_id, home=home)
    country = str(b.data.towns.loc[town_id, "country"])
    if unconfirmed_countries(b, [country]):
        marked_countries(b).add(country)
        return b.lang("eligible.marked", name=name)
    return name


def marked_countries(b: Builder) -> set[str]:
    """Countries of the towns :func:`listed_name` marked so far (for one explanation)."""
    seen: set[str] = b.cached("marked_countries", set)
    return seen


def unconfirmed_note(b: Builder, countries: Iterable[str]) -> str:
    """One sentence explaining the mark for the unconfirmed ones of ``countries`` ("" if
    none is)."""
    shaky = unconfirmed_countries(b, countries)
    if not shaky or b.call is None:
        return ""
    lang = b.lang
    return lang(
        "eligible.note",
        countries=lang.join(lang.place(c) for c in shaky),
        call=b.call.id,
    )


# --------------------------------------------------------------------------- reasons


def candidate_reasons(b: Builder, ranked: pd.DataFrame) -> list[str]:
    """Why each candidate of a ranking is proposed, in words, naming the towns behind the
    shared-partner, partner-path and nearby terms."""
    lang = b.lang
    tid = str(b.scope.key)
    towns = b.data.towns
    own = str(towns.loc[tid, "country"])
    town = str(towns.loc[tid, "name"])
    links = _links(b)
    out = []
    # one row per shown candidate (a few dozen): a loop reads best
    for cid, row in zip(ranked.index.astype(str), ranked.itertuples(), strict=True):
        cand = str(row.name)
        bits = []
        shared = links.shared(tid, cid) if row.common_partners > 0 else []
        if shared:
            bits.append(_shared_words(b, shared))
        if row.partner_paths >= REASON_MIN:
            path = links.path(tid, cid)
            if path is not None:
                a, z, n = path
                text = lang(
                    "reason.paths", a=b.town_name(a), b=b.town_name(z), town=town, cand=cand
                )
                if n > 1:
                    text += lang.plural("reason.paths_more", n - 1)
                bits.append(text)
        near = {t: float(getattr(row, t)) for t in ("nearby_10km", "nearby_50km", "nearby_150km")}
        if max(near.values()) >= REASON_MIN:
            term = max(near, key=lambda t: near[t])
            sigma = float(term.removeprefix("nearby_").removesuffix("km"))
            pair = links.nearby(tid, cid, float(row.lat), float(row.lon), sigma)
            if pair is not None:
                bits.append(_nearby_words(b, pair, town=town, cand=cand, tid=tid, cid=cid))
        bits.append(lang("unit.km", value=lang.number(row.distance_km)))
        if row.distance_in_country >= REASON_MIN / 2:
            bits.append(lang("reason.near_in_country", country=lang.place(row.country)))
        codes = {"a": lang.place(own), "b": lang.place(row.country)}
        if row.country_pair >= REASON_MIN / 2:
            bits.append(lang("reason.pair_common", **codes))
        elif row.country_pair <= -REASON_MIN / 2:
            bits.append(lang("reason.pair_rare", **codes))
        if getattr(row, "candidate_ties", 0.0) <= -REASON_MIN / 2 and row.partners > 0:
            bits.append(lang("reason.country_ties", country=lang.place(own)))
        if row.size >= REASON_MIN:
            bits.append(lang("reason.sizes"))
        if row.centrality >= REASON_MIN / 3:
            bits.append(lang("reason.central"))
        if row.same_name > 0:
            bits.append(lang("reason.same_name"))
        if row.new_country > 0:
            bits.append(lang("reason.new_country", country=lang.place(row.country)))
        if row.gap > 0:
            bits.append(lang("reason.under_linked", **codes))
        if not row.in_network:
            bits.append(lang("reason.no_partner"))
        elif row.partners >= 10:
            bits.append(lang("reason.many_partners", n=lang.number(row.partners)))
        out.append(lang("_format.list_sep").join(bits))
    return out


def shared_names(b: Builder, town_id: str, other: str) -> str:
    """The shared partners of two towns of the data as words ("" if none)."""
    shared = _links(b).shared(town_id, other)
    return _shared_words(b, shared) if shared else ""


def _shared_words(b: Builder, shared: list[str]) -> str:
    """ "shares 3 partners: A, B and 1 more" (the first NAMED by name)."""
    lang = b.lang
    names = [b.town_name(t) for t in shared[:NAMED]]
    if len(shared) > NAMED:
        names.append(lang.plural("reason.more", len(shared) - NAMED))
    return lang.plural("reason.shared", len(shared), names=lang.join(names))


def _nearby_words(
    b: Builder, pair: tuple[str, str, float, float], *, town: str, cand: str, tid: str, cid: str
) -> str:
    lang = b.lang
    a, z, da, dz = pair
    km = {
        "da": lang("unit.km", value=lang.number(da)),
        "db": lang("unit.km", value=lang.number(dz)),
    }
    if a == tid:
        return lang("reason.nearby_own", b=b.town_name(z), town=town, cand=cand, **km)
    if z == cid:
        return lang("reason.nearby_to", a=b.town_name(a), town=town, cand=cand, **km)
    return lang("reason.nearby", a=b.town_name(a), b=b.town_name(z), town=town, cand=cand, **km)


def _links(b: Builder) -> _Links:
    links: _Links = b.cached("reason_links", lambda: _Links(b))
    return links


class _Links:
    """The data's links as a sparse adjacency, with the lookups the reasons need."""

    def __init__(self, b: Builder) -> None:
        data = b.data
        self.ids = data.towns.index.astype(str)
        self.A = data.adjacency()
        self.deg = np.diff(self.A.indptr)
        self.lat = data.towns["lat"].to_numpy(dtype=float)
        self.lon = data.towns["lon"].to_numpy(dtype=float)
        # a partner outside Europe tells little (the ranking discounts it too): named last
        self.far = ~european(data.towns["country"]).to_numpy()

    def _row(self, town_id: str) -> int:
        at = self.ids.get_indexer([town_id])[0]
        return int(at)

    def _partners(self, i: int) -> np.ndarray:
        if i < 0:
            return np.zeros(0, dtype=np.intp)
        return self.A.indices[self.A.indptr[i] : self.A.indptr[i + 1]]

    def shared(self, town_id: str, other: str) -> list[str]:
        """Partners of both towns, those with fewest partners (and in Europe) first."""
        common = np.intersect1d(
            self._partners(self._row(town_id)), self._partners(self._row(other))
        )
        order = np.lexsort((self.ids[common], self.deg[common], self.far[common]))
        return [str(self.ids[j]) for j in common[order]]

    def path(self, town_id: str, other: str) -> tuple[str, str, int] | None:
        """A partner of ``town_id`` twinned with a partner of ``other`` (the pair whose
        towns have fewest partners) and the number of such pairs."""
        pu = self._partners(self._row(town_id))
        pv = self._partners(self._row(other))
        if not len(pu) or not len(pv):
            return None
        sub = self.A[pu][:, pv].tocoo()
        if sub.nnz == 0:
            return None
        a, z = pu[sub.row], pv[sub.col]
        best = np.lexsort((self.ids[z], self.ids[a], self.deg[a] * self.deg[z]))[0]
        return str(self.ids[a[best]]), str(self.ids[z[best]]), int(sub.nnz)

    def nearby(
        self, town_id: str, other: str, lat: float, lon: float, sigma: float
    ) -> tuple[str, str, float, float] | None:
        """The link ``a - z`` with ``a`` near ``town_id`` and ``z`` near the candidate
        ``other`` (at ``lat``, ``lon``) of greatest Gaussian weight on the scale ``sigma``
        (each side within ``3 sigma``), with both distances; not through the town itself
        on the far side nor the candidate on the near side. None if there is none."""
        i, v = self._row(town_id), self._row(other)
        d_town = haversine_km(self.lat[i], self.lon[i], self.lat, self.lon)
        d_cand = haversine_km(lat, lon, self.lat, self.lon)
        near = np.flatnonzero(d_town <= 3 * sigma)
        far = d_cand <= 3 * sigma
        if not len(near) or not far.any():
            return None
        sub = self.A[near].tocoo()
        a, z = near[sub.row], sub.col
        ok = far[z] & (z != i) & (a != v)
        a, z = a[ok], z[ok]
        if not len(a):
            return None
        w = -0.5 * ((d_town[a] / sigma) ** 2 + (d_cand[z] / sigma) ** 2)
        best = int(np.argmax(w))
        return (
            str(self.ids[a[best]]),
            str(self.ids[z[best]]),
            float(d_town[a[best]]),
            float(d_cand[z[best]]),
        )
