"""All parameters of the satisfaction index in one frozen object, with research defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.scoring.flags import FlagThresholds
from analysis.scoring.mapping import NBS_MAPPING, ScoreMapping


@dataclass(frozen=True)
class ScoringSettings:
    mapping: ScoreMapping = NBS_MAPPING
    confidence: float = 0.95  # for t-based CIs of indices and Wilson CIs of 满意率
    thresholds: FlagThresholds = field(default_factory=FlagThresholds)

    def describe(self) -> str:
        return "\n".join(
            [
                self.mapping.describe(),
                f"置信水平 {self.confidence:.0%}；误差范围按分层线性化方差与 t 分布计算。",
                self.thresholds.describe(),
            ]
        )
