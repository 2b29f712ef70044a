"""Backtest hits@10 of the default model, split by whether the hidden partner kept a training link.

A check for the zero-degree artefact (docs/ranking.md): a gain that comes from hidden partners
left without any link in the training split learns the split, not twinning. Seeds 0, 1, 2, as
``twinning-graph evaluate``. Run it at two commits to compare two models.

    python benchmarks/backtest_by_partner_degree.py
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import twinning_graph as tg
from twinning_graph.evaluate import _records, _score_queries, split_links
from twinning_graph.network import TwinningData
from twinning_graph.recommend import PartnerModel


def main() -> None:
    warnings.simplefilter("ignore")
    data = tg.load()
    towns = data.towns
    parts = []
    for seed in (0, 1, 2):
        train, hidden = split_links(data, fraction=0.1, seed=seed)
        model = PartnerModel(TwinningData(towns, _records(train), edges=train), seed=seed)
        rec = _score_queries(model, hidden, {"model": model.weights}, [], seed=seed)
        net, links = model.network, model.links
        ia = net.index.get_indexer(hidden["town_a"])
        ib = net.index.get_indexer(hidden["town_b"])
        town, target = np.r_[ia, ib], np.r_[ib, ia]
        target = target[np.argsort(town, kind="stable")]  # the order of _score_queries
        r = rec[rec["method"] == "model"].reset_index(drop=True)
        parts.append(r.assign(partner_kept_a_link=links.deg[target] > 0))
    df = pd.concat(parts)
    by = df.groupby(["partner_kept_a_link", "shared"])["hits@10"].agg(["mean", "size"])
    print(by.round(4).to_string())
    print(df.groupby("partner_kept_a_link")["hits@10"].agg(["mean", "size"]).round(4).to_string())
    print(f"all: hits@10 {df['hits@10'].mean():.4f} over {len(df):,} queries")


if __name__ == "__main__":
    main()
