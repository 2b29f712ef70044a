"""Partner search: which foreign towns a town is most likely to twin with next, and why.

:class:`PartnerModel` is a model of why towns twin, fitted on the links of a network. The
score of a candidate is a weighted sum of explainable terms (``docs/ranking.md``):

``shared_partners``
    partners in common, each counting 1 / its number of partners (a hub counts little, a
    partner outside Europe a tenth of that), relative to the geometric mean of the two
    towns' numbers of partners;
``partner_paths``
    the town's partners are twinned with the candidate's partners;
``nearby_10km``, ``nearby_50km``, ``nearby_150km``
    towns near the town are twinned with towns near the candidate (regional habits,
    cross-border regions, partnerships of districts, first-timers' neighbours);
``distance``, ``country_pair``, ``size``
    how often transnational links span this distance, join these two countries, join towns
    of these relative sizes (likelihood ratios fitted on the links);
``distance_in_country``
    the candidate is nearer (or farther) than most towns of its country;
``centrality``
    the candidate is the main town of its area, not a suburb of a larger one;
``same_name``
    the two towns share a name;
``new_country``
    the town has no partner in the candidate's country yet (towns spread their partners);
``candidate_ties``
    the candidate's partners in the town's country (fitted weight negative: a candidate
    already twinned there is a little less likely); a candidate without any partner counts
    as an average town of its country;
``language`` (off by default: no gain over ``country_pair``), ``gap`` (a preference for
    under-linked pairs of Member States, off by default).

The weights are fitted on the network itself (links hidden and predicted back); the
backtest of :mod:`twinning_graph.evaluate` checks every default term.

Layout: ``_weights`` (terms, :class:`RankWeights`), ``_places`` (towns as arrays,
kernels), ``_links`` (adjacency, likelihood tables), ``_pool`` (candidates), ``_query``
(who is asking), ``_features`` (the features and the score, written once), ``_fit``
(fitting the weights), ``_eligibility`` (the ``call`` keyword), ``_explain`` (reasons),
``_model`` (:class:`PartnerModel`), ``_api`` (the public functions), ``_language`` (the
language table).
"""

from __future__ import annotations

from twinning_graph.recommend._api import OPTIONS, partner_model, rank_partners, rank_partners_many
from twinning_graph.recommend._eligibility import country_eligibility, resolve_call
from twinning_graph.recommend._fit import FitInfo
from twinning_graph.recommend._language import language_table
from twinning_graph.recommend._model import POPULATION_BAND, PartnerModel
from twinning_graph.recommend._pool import SOURCES
from twinning_graph.recommend._weights import (
    DEFAULT_FITTED,
    MODEL_TERMS,
    STRATEGY_TERMS,
    TERMS,
    RankWeights,
)

__all__ = [
    "DEFAULT_FITTED",
    "FitInfo",
    "MODEL_TERMS",
    "OPTIONS",
    "POPULATION_BAND",
    "PartnerModel",
    "RankWeights",
    "SOURCES",
    "STRATEGY_TERMS",
    "TERMS",
    "country_eligibility",
    "language_table",
    "partner_model",
    "rank_partners",
    "rank_partners_many",
    "resolve_call",
]
