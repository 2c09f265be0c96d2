import csv
from pathlib import Path

from analysis.sentiment import score_sentiment, sentiment_class

CHECK_SET = Path(__file__).resolve().parents[1] / "data" / "sentiment_opinions.csv"


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


def _classes(texts: list[str]) -> list[str]:
    return [sentiment_class(score) for score in score_sentiment(texts)]


def test_a_complaint_ending_in_thanks_stays_negative() -> None:
    assert _classes(
        [
            "小区门口的路灯坏了两个月，打电话反映了三次都没人来修，谢谢",
            "出口退税到账太慢，资金压力非常大，希望尽快解决，谢谢",
            "辛苦你们了，不过路面塌陷的问题已经报了半个月，还是没人来",
            "谢谢答复，但是这个答复和我们的问题没有关系",
            "夜间施工噪音太大，孩子晚上根本睡不着，辛苦了",
        ]
    ) == ["negative"] * 5


def test_a_courtesy_alone_is_neutral_and_adds_to_praise() -> None:
    assert _classes(["谢谢", "辛苦了", "感谢你们的工作", "无意见，谢谢"]) == ["neutral"] * 4
    thanked, plain = score_sentiment(["问题解决得很彻底，谢谢", "问题解决得很彻底"])
    assert thanked > plain > 0


def test_praise_of_speed_and_attitude_is_positive() -> None:
    assert _classes(
        [
            "办营业执照当天就拿到了，效率很高！",
            "五个工作日就拿到了许可证",
            "一个电话，问题就解决了",
            "不用再跑社区了，刷脸就行",
            "窗口工作人员很耐心，一次就办好了",
        ]
    ) == ["positive"] * 5


def test_negation_of_a_complaint_is_praise_and_of_praise_a_complaint() -> None:
    assert _classes(["一点也不麻烦", "没有让我白跑", "不动产证办得很快", "没有遇到任何刁难"]) == [
        "positive"
    ] * 4
    assert _classes(["问题根本没有解决", "承诺的事情没有兑现", "这件事没有得到重视", "难以满意"]) == [
        "negative"
    ] * 4


def test_contrast_decides_in_both_directions() -> None:
    assert _classes(
        ["虽然排了一会儿队，但是工作人员很耐心", "虽然工作人员态度还可以，但是问题拖了三个月都没解决"]
    ) == ["positive", "negative"]


def test_requests_and_questions_are_not_judgements() -> None:
    assert _classes(
        ["希望出台更多支持科技企业研发的政策", "请问新办企业可以享受哪些税收优惠？", "建议增加周末办理窗口"]
    ) == ["neutral"] * 3


def test_strong_negation_and_efficiency_with_degree_between() -> None:
    assert _classes(
        ["以前担心手续繁琐，实际办下来一点也不难", "效率很高", "审批速度非常快", "一天都没拖"]
    ) == ["positive"] * 4
    assert _classes(["效率不高", "进度太慢", "一点都不方便", "办事效率实在太低"]) == ["negative"] * 4


def test_saying_one_cannot_judge_is_neutral() -> None:
    assert _classes(
        ["不清楚，家里人去办的", "没有办过相关业务，不好评价", "去了一趟社区", "对这方面不太了解"]
    ) == ["neutral"] * 4
    assert _classes(["电话咨询总是说不清楚", "跑了三趟还没办好"]) == ["negative"] * 2


def test_a_request_and_its_purpose_are_not_praise_but_a_word_with_qing_is_no_request() -> None:
    assert _classes(["建议把办事指南放到公众号上，方便查看", "希望增加窗口，方便群众"]) == [
        "neutral"
    ] * 2
    assert _classes(["残疾人补贴申请很顺利", "建议增加窗口。现在的服务很方便"]) == ["positive"] * 2
    assert _classes(["建议增加窗口，现在排队太久了"]) == ["negative"]


def test_no_longer_having_to_and_handing_in_again_and_not_having_used() -> None:
    assert _classes(["再也不用到处开证明了", "不用再来回跑"]) == ["positive"] * 2
    assert _classes(["前后补了五次材料", "承诺三天，实际用了二十天"]) == ["negative"] * 2
    assert _classes(["还没有办理过什么业务", "说不上好也说不上差"]) == ["neutral"] * 2
    assert _classes(["还没有结果"]) == ["negative"]


def test_a_reported_problem_solved_the_same_day_is_praise() -> None:
    assert _classes(["反映了噪音扰民的问题，城管当天晚上就来处理了"]) == ["positive"]


def test_check_set_accuracy_and_wrong_sign_do_not_regress() -> None:
    """The 882 hand-labelled opinions: the whole set, its holdout split (never tuned on), and
    its politeness and negation cases."""
    with CHECK_SET.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    predicted = _classes([row["text"] for row in rows])
    pairs = [(row["label"], label, row["text"]) for row, label in zip(rows, predicted, strict=True)]

    def accuracy(chosen: list[tuple[str, str, str]]) -> float:
        return sum(gold == got for gold, got, _ in chosen) / len(chosen)

    wrong_sign = sum({gold, got} == {"positive", "negative"} for gold, got, _ in pairs)
    polite = [p for p in pairs if any(word in p[2] for word in ("谢谢", "感谢", "辛苦"))]
    negated = [p for p in pairs if any(word in p[2] for word in ("不", "没", "无", "未"))]
    holdout = [p for p, row in zip(pairs, rows, strict=True) if row["split"] == "holdout"]
    assert len(pairs) >= 882 and len(holdout) >= 280
    assert len(polite) >= 60 and len(negated) >= 300
    assert accuracy(pairs) >= 0.94
    assert accuracy(holdout) >= 0.85
    assert wrong_sign / len(pairs) <= 0.01
    assert accuracy(polite) >= 0.9
    assert accuracy(negated) >= 0.92
