"""The weights of the score components (:class:`RankWeights`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from twinning_graph._errors import ValidationError


@dataclass(frozen=True)
class RankWeights:
    """Weights of the score components (all may be 0; negative values invert a term).

    Plausibility = ``adamic_adar * AA + common_partners * log(1 + CN) + distance * LLR_d +
    country_pair * LLR_c + size * LLR_s``; strategy = ``new_country * [new country] +
    gap * underlink``; capacity = ``-capacity * log(1 + partners)``.
    Defaults are tuned on backtest seed 0 and reported on seed 1 (``docs/ranking.md``).
    """

    adamic_adar: float = 2.0
    common_partners: float = 1.5
    distance: float = 0.6
    country_pair: float = 0.6
    size: float = 0.25
    new_country: float = 0.5
    gap: float = 0.3
    capacity: float = 0.4

    @classmethod
    def coerce(cls, value: RankWeights | Mapping[str, float] | None) -> RankWeights:
        """A :class:`RankWeights` from None (defaults), a mapping of overrides or itself."""
        if value is None:
            return cls()
        if isinstance(value, RankWeights):
            return value
        if not isinstance(value, Mapping):
            raise ValidationError(
                f"weights must be a RankWeights or a dict, got {type(value).__name__}"
            )
        names = {f.name for f in fields(cls)}
        bad = sorted(set(value) - names)
        if bad:
            raise ValidationError(
                f"unknown weight{'s' if len(bad) > 1 else ''} {bad}; allowed: {sorted(names)}"
            )
        try:
            vals = {k: float(v) for k, v in value.items()}
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"weights must be numbers, got {dict(value)!r}") from exc
        if not all(np.isfinite(v) for v in vals.values()):
            raise ValidationError(f"weights must be finite numbers, got {vals}")
        return replace(cls(), **vals)

    def without_strategy(self) -> RankWeights:
        """The same weights with the strategy terms switched off (what the backtest scores)."""
        return replace(self, new_country=0.0, gap=0.0)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)
