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
    "distance",
    "country_pair",
    "size",
    "same_name",
    "new_country",
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

    The defaults are the weights fitted on all links of the bundled network
    (:class:`~twinning_graph.recommend.PartnerModel` refits them on every data object;
    these values are its prior and are used as they are when a data object has too few
    links to fit). ``language`` (0: the backtest shows no gain over ``country_pair``) and
    ``gap`` (a preference, not a prediction) are off.

    Features (see ``docs/ranking.md``): ``shared_partners`` Adamic–Adar over shared
    partners, a partner outside Europe counting 0.1; ``partner_paths``
    ``log(1 + 10 * sum 1/deg(a) 1/deg(b))`` over paths town–a–b–candidate;
    ``nearby_10km``, ``nearby_50km`` ``log(1 + sum K(town, a) K(candidate, b))`` over
    links a–b, K a Gaussian kernel of 10 or 50 km; ``distance``, ``country_pair``,
    ``size`` log-likelihood ratios fitted on the links; ``same_name``, ``language`` 0/1;
    ``new_country`` 1 when the town has no partner in the candidate's country yet; ``gap``
    the under-linking of the two countries (0–2).
    """

    shared_partners: float = 4.78
    partner_paths: float = 6.63
    nearby_10km: float = 3.24
    nearby_50km: float = 1.41
    distance: float = 0.59
    country_pair: float = 0.66
    size: float = 1.34
    same_name: float = 6.22
    new_country: float = 0.98
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
