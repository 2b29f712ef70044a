"""Features of a few candidates (the fit's path) equal the same columns of the features of
every candidate (the ranking's path): an independent computation of the same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

import twinning_graph as tg
from twinning_graph.recommend import PartnerModel
from twinning_graph.recommend._features import TERMS, features, network_queries
from twinning_graph.recommend._pool import gazetteer_pool, network_pool


def test_candidate_columns_equal_the_full_product(line):
    # a hub: t3 linked to every other town, so paths and shared partners pass through it
    links = pd.concat(
        [
            line.edges[["town_a", "town_b"]],
            pd.DataFrame({"town_a": ["t3", "t1"], "town_b": ["t5", "t4"]}),
        ]
    )
    data = tg.load(towns=line.towns.reset_index(), partnerships=links)
    m = PartnerModel(data)
    net, lk = m.network, m.links
    terms = [t for t in TERMS if t not in ("language", "gap")]
    q = network_queries(net, lk, np.arange(net.n))
    places = pd.DataFrame(
        {"name": ["Newplace"], "country": ["FR"], "lat": [52.5], "lon": [10.0]},
        index=pd.Index([900], name="geonames_id"),
    )
    for pool in (network_pool(net, lk), gazetteer_pool(net, lk, places)):
        cols = np.array([pool.n - 1, 0, 2])
        full = features(lk, q, pool, terms)
        part = features(lk, q, pool, terms, cols=cols)
        for t in terms:
            np.testing.assert_allclose(part[t], full[t][:, cols], atol=1e-12, err_msg=t)
