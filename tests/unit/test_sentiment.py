from analysis.sentiment import score_sentiment


def test_scores_have_the_right_sign() -> None:
    positive, negative, neutral = score_sentiment(
        ["窗口工作人员态度很好，办事效率高", "办事拖拉，推诿扯皮，很不满意", "建议增加公交线路"]
    )
    assert positive > 0.3
    assert negative < -0.3
    assert neutral == 0.0


def test_negation_flips_and_weak_negation_flips_less() -> None:
    plain, negated, weak = score_sentiment(["满意", "不满意", "不太满意"])
    assert plain > 0 > weak > negated


def test_degree_adverbs_strengthen_and_soften() -> None:
    very, plain, slightly = score_sentiment(["非常方便", "方便", "有点方便"])
    assert very > plain > slightly > 0


def test_what_follows_but_decides() -> None:
    (score,) = score_sentiment(["服务还行，但是效率太低"])
    assert score < 0


def test_words_inside_neutral_phrases_do_not_count() -> None:
    assert score_sentiment(["社保卡办理差不多一周"]) == [0.0]


def test_scores_stay_within_minus_one_and_one() -> None:
    scores = score_sentiment(["非常非常满意" * 20, "极其失望" * 20, ""])
    assert all(-1.0 <= s <= 1.0 for s in scores)
    assert scores[2] == 0.0
