"""Ranking candidate partner towns for one town.

The score of a candidate is a weighted sum (a log-linear model) of explainable parts:

``plausibility`` — what the network itself says about the pair:
    Adamic–Adar and common partners (through twinnings and project memberships: both are
    links of ``data.edges``), and three naive-Bayes log-likelihood ratios learnt from the
    links of the data: how often links span this *distance* compared with random town
    pairs, how often the two *countries* are twinned compared with what their numbers of
    towns would give, and how often towns of these two *sizes* are twinned.
``strategy`` — what the town would gain:
    a country its partners do not reach yet, an EU Member State pair that the gap model
    (:func:`twinning_graph.gaps.country_pair_gaps`) finds under-linked.
``capacity`` — towns that already hold many partnerships are less likely to take another:
    ``-log(1 + partners)``.
``eligibility`` — a filter: only towns of countries eligible for the chosen call.

The defaults of :class:`RankWeights` were tuned with the backtest of
:mod:`twinning_graph.evaluate` (see ``docs/ranking.md``).

Layout: ``_weights`` (:class:`RankWeights`), ``_model`` (the fitted model: kernels,
likelihood ratios, distance bins), ``_candidates`` (network and gazetteer candidates,
the gap table, the per-data cache), ``_score`` (scoring, top n, reasons) and ``_api``
(the public functions and their argument checks). The private names are re-exported
here for :mod:`twinning_graph.plan`, :mod:`twinning_graph.evaluate` and the tests.
"""

from __future__ import annotations

from twinning_graph.recommend._api import (  # noqa: F401 (re-exported)
    _CALLS,
    _check_basic,
    _check_town,
    _eu_now,
    _no_candidate_message,
    _number,
    _options,
    _query_ids,
    _resolve_call,
    rank_partners,
    rank_partners_many,
)
from twinning_graph.recommend._candidates import (  # noqa: F401 (re-exported)
    _UNSET,
    SOURCES,
    _Candidates,
    _Context,
    _context,
    _gap_table,
    _gazetteer_candidates,
    _network_candidates,
    _Pool,
    logger,
)
from twinning_graph.recommend._model import (  # noqa: F401 (re-exported)
    _CELL_KM,
    _DIST_EDGES,
    _N_RANDOM_PAIRS,
    _POP_EDGES,
    _distance_bin,
    _distance_cells,
    _haversine_one,
    _haversine_rows,
    _Model,
    _pop_bin,
)
from twinning_graph.recommend._score import (  # noqa: F401 (re-exported)
    _BLOCK_ELEMENTS,
    _COLUMNS,
    _SCORED,
    _Block,
    _frame,
    _Options,
    _rank_block,
    _reasons,
    _score_rows,
    _strategy_tables,
)
from twinning_graph.recommend._weights import (  # noqa: F401 (re-exported)
    RankWeights,
)

__all__ = ["RankWeights", "rank_partners", "rank_partners_many", "SOURCES"]
