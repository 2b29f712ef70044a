"""The terms of the partner score and their weights (:class:`RankWeights`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from twinning_graph._errors import ValidationError

#: The terms of the model of why towns twin, in the order of the ranking's columns. Each
#: is a feature of a (town, candidate) pair; the score is their weighted sum.
MODEL_TERMS = (
    "shared_partners",
    "partner_paths",
    "nearby_10km",
    "nearby_50km",
    "nearby_150km",
    "distance",
    "distance_in_country",
    "country_pair",
    "size",
    "centrality",
    "same_name",
    "new_country",
    "candidate_ties",
    "language",
)
#: A preference of the town, not a prediction: off (weight 0) unless asked for.
STRATEGY_TERMS = ("gap",)
TERMS = MODEL_TERMS + STRATEGY_TERMS
#: Model terms whose weight is fitted by default (the backtest shows each of them helps;
#: ``language`` did not, see docs/ranking.md, and is fitted only when asked for).
DEFAULT_FITTED = MODEL_TERMS[:-1]


@dataclass(frozen=True)
class RankWeights:
    """Weights of the score terms; the score is ``sum(weight * feature)``.

    The defaults are the weights fitted on all links of the bundled network (seed 0):
    :class:`~twinning_graph.recommend.PartnerModel` refits them on every data object and
    uses these as they are when a data object has too few links to fit. ``language`` (0:
    the backtest shows no gain over ``country_pair``) and ``gap`` (a preference, not a
    prediction) are off.

    Features (see ``docs/ranking.md``): ``shared_partners``
    ``log(1 + 1000 * sum_z w(z) / deg(z) / sqrt(deg(town) deg(candidate)))`` over shared
    partners z, w = 1 in Europe and 0.1 outside; ``partner_paths``
    ``log(1 + 3 * sum 1/deg(a) 1/deg(b))`` over paths town–a–b–candidate; ``nearby_10km``,
    ``nearby_50km``, ``nearby_150km`` ``log(1 + sum K(town, a) K(candidate, b))`` over links a–b (not through the town or
    the candidate themselves), K a Gaussian kernel of 10, 50 or 150 km; ``distance``,
    ``country_pair``, ``size`` log-likelihood ratios fitted on the links;
    ``distance_in_country`` the distance term less its mean (in ``exp``) over the towns
    of the candidate's country; ``centrality`` ``log10`` of the candidate's population
    over the largest other place within 15 km (+-2); ``same_name``, ``language`` 0/1;
    ``new_country`` 1 when the town has no partner in the candidate's country yet;
    ``candidate_ties`` ``log(1 + the candidate's partners in the town's country)``, for a
    candidate without partners the mean of that over the towns (with partners) of its
    country; ``gap`` the under-linking of the two countries (0–2).
    """

    shared_partners: float = 1.02
    partner_paths: float = 12.95
    nearby_10km: float = 2.77
    nearby_50km: float = 0.73
    nearby_150km: float = 0.76
    distance: float = 0.33
    distance_in_country: float = 0.45
    country_pair: float = 0.45
    size: float = 1.28
    centrality: float = 0.19
    same_name: float = 5.90
    new_country: float = 0.95
    candidate_ties: float = -0.20
    language: float = 0.0
    gap: float = 0.0

    @classmethod
    def coerce(
        cls, value: RankWeights | Mapping[str, float] | None, *, base: RankWeights | None = None
    ) -> RankWeights:
        """A :class:`RankWeights` from None (``base``), a mapping of overrides of ``base``
        (default: the class defaults) or itself."""
        base = cls() if base is None else base
        if value is None:
            return base
        if isinstance(value, RankWeights):
            return value
        if not isinstance(value, Mapping):
            raise ValidationError(
                f"weights must be a RankWeights or a dict, got {type(value).__name__}"
            )
        names = {f.name for f in fields(cls)}
        bad = sorted(map(str, set(value) - names))
        if bad:
            raise ValidationError(
                f"unknown weight{'s' if len(bad) > 1 else ''} {bad}; allowed: {list(TERMS)}"
            )
        try:
            vals = {str(k): float(v) for k, v in value.items()}
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"weights must be numbers, got {dict(value)!r}") from exc
        if not all(np.isfinite(v) for v in vals.values()):
            raise ValidationError(f"weights must be finite numbers, got {vals}")
        return replace(base, **vals)

    def to_dict(self) -> dict[str, float]:
        """The weights by term name."""
        return asdict(self)

    def vector(self, terms: tuple[str, ...] = TERMS) -> np.ndarray:
        """The weights of ``terms`` as an array."""
        return np.array([getattr(self, t) for t in terms], dtype=float)


#: The centre of the ridge penalty of the fit (``recommend._fit``): round values that rank
#: sensibly on their own. The fit moves away from them as far as the links support; on a
#: network with few links the weights stay near them. Kept apart from the defaults of
#: :class:`RankWeights` (the fit on the bundled links) so that refitting the bundled data
#: gives those defaults back.
FIT_PRIOR = RankWeights(
    shared_partners=1.0,
    partner_paths=10.0,
    nearby_10km=2.5,
    nearby_50km=1.0,
    nearby_150km=1.0,
    distance=0.5,
    distance_in_country=0.5,
    country_pair=0.5,
    size=1.0,
    centrality=0.2,
    same_name=5.0,
    new_country=1.0,
    candidate_ties=0.0,
    language=0.0,
    gap=0.0,
)
