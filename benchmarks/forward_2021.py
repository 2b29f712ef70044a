"""A forward check of partner search on real later links: fitted on the links of 2017, tested
on the links first recorded in 2021.

    python benchmarks/forward_2021.py

The bundled partnerships carry ``first_seen`` (``2017``: in the Wikidata snapshot of May
2017; ``2021``: only in the Wikidata result of November 2021, see ``data/README.md``). The
model is fitted on the 2017 links only (``data.replace(partnerships=...)``: its tables and
weights see nothing of 2021), and :func:`twinning_graph.evaluate_links` ranks every foreign
town for each end of each transnational 2021 link, as the backtest does.

Two sets of 2021 links are scored:

- **origin**: links with an end in one of the 25 countries whose towns' twinnings the 2017
  snapshot queried. A link absent in 2017 is then new, or newly recorded: the check that
  means something.
- **all**: every transnational 2021 link, including links between two towns outside those
  countries (Beijing–Buenos Aires, ...). The 2017 snapshot never asked for those, so they
  are not new partnerships but unobserved ones: no model fitted on 2017 can know them, and
  the common-partners baseline wins on them through the partners the big cities of the
  2021 result share. Printed for completeness.

The 2021 result covers about 1,900 larger cities (Wikidata items that are cities), so both
ends of every 2021 link are large towns: a check on large towns, not a second backtest.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import twinning_graph as tg

#: The countries whose towns' P190 statements the 2017 snapshot queried.
ORIGINS = set("AT BE BG CY CZ DE DK EE ES FI FR GB HR HU IE IT LT LV NL PL PT RO SE SI SK".split())
COLUMNS = ["hits@10", "hits@50", "mrr", "shared hits@10", "not shared hits@10"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.parse_args(argv)
    warnings.simplefilter("ignore")
    data = tg.load()
    p = data.partnerships
    old = data.replace(partnerships=p[p["first_seen"] == 2017], name="bundled, 2017 links")
    new = p.loc[p["first_seen"] == 2021, ["town_a", "town_b"]]
    country = data.towns["country"].astype(str)
    ca = country.reindex(new["town_a"]).to_numpy()
    cb = country.reindex(new["town_b"]).to_numpy()
    foreign = ca != cb
    origin = foreign & (np.isin(ca, sorted(ORIGINS)) | np.isin(cb, sorted(ORIGINS)))
    print(
        f"{len(old.edges):,} links of 2017 to fit on; {len(new):,} links first seen in 2021, "
        f"{int(foreign.sum()):,} transnational, {int(origin.sum()):,} with an end in the 25 "
        "origin countries"
    )
    t0 = time.perf_counter()
    model = tg.recommend.partner_model(old)
    print(f"fit on 2017 links: {time.perf_counter() - t0:.1f} s; {model!r}")
    for label, links in (("origin", new[origin]), ("all", new[foreign])):
        res = tg.evaluate_links(old, links)
        print(
            f"\n{label}: {len(links):,} links, {res.queries:,} queries, "
            f"{res.shared_queries:,} share a partner with the new partner"
        )
        print(res.table[COLUMNS].round(4).to_string())
        print({k: round(v, 2) for k, v in res.lift().items()})


if __name__ == "__main__":
    main()
