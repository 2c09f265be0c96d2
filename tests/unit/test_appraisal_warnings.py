"""Red/yellow card rules (§A3.5): thresholds, bottom-k, drops, streaks, suppression, precision."""

from analysis.appraisal.warnings import Card, CardRule, Observation, WarningRules, evaluate_warnings

PERIODS = ("Q1", "Q2", "Q3")
RULES = WarningRules(
    yellow=CardRule(below=85.0, bottom_k=1, drop=5.0),
    red=CardRule(below=75.0, consecutive_yellow=2, on_veto=True),
)


def _cards(
    observations: list[Observation], rules: WarningRules = RULES
) -> dict[tuple[str, str], Card | None]:
    return {(c.unit, c.period): c.card for c in evaluate_warnings(observations, PERIODS, rules)}


def test_threshold_rules() -> None:
    cards = _cards(
        [Observation("A", "Q1", 84.9), Observation("B", "Q1", 74.0), Observation("C", "Q1", 90.0)]
    )
    assert cards[("A", "Q1")] is Card.YELLOW
    assert cards[("B", "Q1")] is Card.RED
    assert cards[("C", "Q1")] is None


def test_bottom_k_only_the_lowest() -> None:
    rules = WarningRules(yellow=CardRule(bottom_k=1), red=CardRule())
    cards = _cards(
        [Observation("A", "Q1", 88.0), Observation("B", "Q1", 87.0), Observation("C", "Q1", 90.0)],
        rules,
    )
    assert cards == {("A", "Q1"): None, ("B", "Q1"): Card.YELLOW, ("C", "Q1"): None}


def test_drop_against_previous_period() -> None:
    rules = WarningRules(yellow=CardRule(drop=5.0), red=CardRule())
    cards = _cards(
        [
            Observation("A", "Q1", 95.0),
            Observation("A", "Q2", 89.9),
            Observation("B", "Q1", 95.0),
            Observation("B", "Q2", 90.0),
        ],
        rules,
    )
    assert cards[("A", "Q2")] is Card.YELLOW and cards[("B", "Q2")] is None


def test_two_consecutive_yellows_make_red_and_a_gap_resets() -> None:
    observations = [
        Observation("A", "Q1", 84.0),
        Observation("A", "Q2", 84.0),
        Observation("B", "Q1", 84.0),
        Observation("B", "Q3", 84.0),  # no Q2 row: not consecutive
        Observation("C", "Q1", 95.0),
        Observation("C", "Q2", 95.0),
        Observation("C", "Q3", 95.0),
    ]
    cards = evaluate_warnings(observations, PERIODS, RULES)
    by_key = {(c.unit, c.period): c for c in cards}
    assert (
        by_key[("A", "Q2")].card is Card.RED and "连续 2 期触发黄牌" in by_key[("A", "Q2")].reasons
    )
    assert by_key[("B", "Q3")].card is Card.YELLOW


def test_never_on_a_suppressed_score_but_veto_still_counts() -> None:
    cards = evaluate_warnings(
        [
            Observation("A", "Q1", 50.0, suppressed=True),
            Observation("B", "Q1", None, veto=True),
            Observation("C", "Q1", 90.0),
        ],
        PERIODS,
        RULES,
    )
    by_unit = {c.unit: c for c in cards}
    assert by_unit["A"].card is None and "不发布" in by_unit["A"].note
    assert by_unit["B"].card is Card.RED and by_unit["B"].reasons == ("本期发生一票否决事项",)


def test_low_precision_fires_only_when_the_whole_ci_is_beyond() -> None:
    rules = WarningRules(yellow=CardRule(below=85.0), red=CardRule())
    cards = _cards(
        [
            Observation("A", "Q1", 82.0, moe=2.0, low_precision=True),  # CI up to 84 < 85: fires
            Observation("B", "Q1", 82.0, moe=4.0, low_precision=True),  # CI up to 86: no card
            Observation("C", "Q1", 82.0, low_precision=True),  # no MOE: no card, note
        ],
        rules,
    )
    assert cards == {("A", "Q1"): Card.YELLOW, ("B", "Q1"): None, ("C", "Q1"): None}


def test_low_precision_drop_uses_both_ends() -> None:
    rules = WarningRules(yellow=CardRule(drop=5.0), red=CardRule())
    observations = [
        Observation("A", "Q1", 95.0, moe=1.0, low_precision=True),
        Observation("A", "Q2", 87.0, moe=1.0, low_precision=True),  # (95 − 1) − (87 + 1) = 6 > 5
        Observation("B", "Q1", 95.0, moe=2.0, low_precision=True),
        Observation("B", "Q2", 87.0, moe=2.0, low_precision=True),  # 93 − 89 = 4: no card
    ]
    cards = _cards(observations, rules)
    assert cards[("A", "Q2")] is Card.YELLOW and cards[("B", "Q2")] is None


def test_disabled_rules_and_description() -> None:
    assert (
        evaluate_warnings([Observation("A", "Q1", 10.0)], PERIODS, WarningRules(enabled=False))
        == ()
    )
    text = RULES.describe()
    assert "得分低于 85" in text and "连续 2 期黄牌" in text and "倒数 1 名" in text


def test_reasons_name_the_basis_score() -> None:
    """The rules use the period score before 加减分 (or a component); a reason never says a
    bare 得分 that a reader could take for the year's 考核得分."""
    rules = WarningRules(yellow=CardRule(below=85.0, bottom_k=1, drop=5.0), red=CardRule())
    cards = evaluate_warnings(
        [Observation("A", "Q1", 95.0), Observation("A", "Q2", 84.5), Observation("B", "Q2", 90.0)],
        PERIODS,
        rules,
    )
    a = next(c for c in cards if (c.unit, c.period) == ("A", "Q2"))
    assert a.reasons == (
        "期间得分（未计加减分） 84.50 低于黄牌线 85",
        "期间得分（未计加减分） 84.50 在本类别倒数 1 名内（共 2 个单位）",
        "期间得分（未计加减分）较上期（Q1 95.00）下降 10.50 分，超过 5 分",
    )
    by_component = WarningRules(
        basis="满意度", basis_label="满意度", yellow=CardRule(below=85.0), red=CardRule()
    )
    (b,) = evaluate_warnings([Observation("B", "Q1", 80.0)], PERIODS, by_component)
    assert b.reasons == ("满意度得分 80.00 低于黄牌线 85",)
    assert "依据期间得分（未计加减分）" in rules.describe()
