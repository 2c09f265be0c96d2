"""The one error type of the scoring package; its message is Chinese and shown to users."""


class ScoringError(ValueError):
    """Bad input to a scoring function (unknown answer level, inconsistent weights …)."""
