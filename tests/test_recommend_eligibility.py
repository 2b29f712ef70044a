"""The query town's own eligibility is stated: not eligible, or unconfirmed (UA for the 2026
Networks of Towns call: docs/calls.md lists UA 2026 as unconfirmed, GB as not eligible)."""

from __future__ import annotations

import pytest

import twinning_graph as tg

NT26 = "CERV-2026-CITIZENS-TOWN-NT"


@pytest.mark.parametrize(
    "country, words",
    [("UA", "itself is of unconfirmed eligibility for"), ("GB", "itself is not eligible for")],
)
def test_query_town_status_warned(line, country, words):
    towns = line.towns.reset_index()
    towns.loc[4, "country"] = country  # t5
    data = tg.load(towns=towns, partnerships=line.edges[["town_a", "town_b"]])
    with pytest.warns(tg.DataWarning, match=rf"Five \({country}\) {words} {NT26}"):
        tg.rank_partners(data, "t5", call=NT26, population_band=None)


def test_no_warning_for_an_eligible_town(line, recwarn):
    tg.rank_partners(line, "t1", call=NT26, population_band=None)
    assert not [w for w in recwarn if "itself is" in str(w.message)]
