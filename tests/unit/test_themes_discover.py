import json

import pytest

from analysis.themes import (
    UNASSIGNED,
    ThemeInputError,
    ThemeModel,
    ThemeModelError,
    ThemeRun,
    assign_to_themes,
    discover_themes,
)

PARKING = [
    "小区停车难，车位太少",
    "晚上回家找不到停车位",
    "停车费太贵，车位不够",
    "小区车位紧张，乱停车严重",
    "停车难的问题一直没解决",
    "路边违章停车占道严重",
    "希望增加停车位，停车太难",
    "停车场收费太高，车位难找",
    "车位被占，停车难",
    "老小区没有停车位，乱停车",
    "停车位太少，晚上停车难",
    "希望规划停车场，解决停车难",
]
ELEVATOR = [
    "老楼加装电梯审批太慢",
    "加装电梯补贴什么时候发",
    "电梯经常故障，维修不及时",
    "希望尽快加装电梯，老人上楼难",
    "加装电梯的业主意见不统一",
    "电梯维修保养没人管",
    "加装电梯手续太复杂",
    "电梯故障困人，物业不管",
    "支持老旧小区加装电梯",
    "电梯噪音大，维修慢",
    "加装电梯施工进度太慢",
    "电梯坏了一个月没修",
]
SCHOOL = [
    "孩子入学难，学位紧张",
    "幼儿园学位太少，孩子入园难",
    "学区划分不合理，孩子上学太远",
    "学校课后服务时间太短，孩子没人接",
    "希望增加公办幼儿园学位",
    "孩子入学报名材料太多",
    "学校门口接送孩子拥堵",
    "学校课后服务收费不透明",
    "幼儿园学位不够，孩子入园难",
    "孩子上学路上不安全，学校要管",
    "学区房太贵，孩子入学难",
    "学校食堂饭菜质量差，孩子吃不饱",
]
CORPUS = PARKING + ELEVATOR + SCHOOL
TOPIC_OF = [0] * len(PARKING) + [1] * len(ELEVATOR) + [2] * len(SCHOOL)


@pytest.fixture(scope="module")
def run() -> ThemeRun:
    return discover_themes(CORPUS, k=3, seed=0)


def _purity(assignments: list[int]) -> float:
    """Share of opinions whose theme's majority topic is their own topic."""
    correct = 0
    for theme in set(assignments):
        members = [TOPIC_OF[i] for i, a in enumerate(assignments) if a == theme]
        correct += max(members.count(t) for t in set(members))
    return correct / len(assignments)


def test_clearly_different_topics_are_separated(run: ThemeRun) -> None:
    assert len(run.themes) == 3
    assert _purity(run.assignments) >= 0.9


def test_automatic_k_finds_several_themes_and_no_giant_one() -> None:
    auto = discover_themes(CORPUS, seed=0)
    assert 2 <= len(auto.themes) <= 6
    assert max(theme.size for theme in auto.themes) <= 0.7 * len(CORPUS)


def test_labels_and_keywords_carry_the_topic_words(run: ThemeRun) -> None:
    by_topic = {}
    for theme in run.themes:
        members = [TOPIC_OF[i] for i, a in enumerate(run.assignments) if a == theme.id]
        by_topic[max(set(members), key=members.count)] = theme
    assert any(w in by_topic[0].label for w in ("停车", "车位"))
    assert "电梯" in by_topic[1].label
    assert any(w in by_topic[2].label for w in ("入学", "学位", "幼儿园", "学校"))
    words = [word for word, _ in by_topic[1].keywords]
    weights = [weight for _, weight in by_topic[1].keywords]
    assert "加装电梯" in words
    assert weights == sorted(weights, reverse=True)


def test_themes_report_size_representatives_and_sentiment(run: ThemeRun) -> None:
    assigned = sum(1 for a in run.assignments if a != UNASSIGNED)
    assert assigned >= len(CORPUS) - 2
    assert sum(theme.size for theme in run.themes) == assigned
    assert [t.size for t in run.themes] == sorted((t.size for t in run.themes), reverse=True)
    for theme in run.themes:
        assert 3 <= len(theme.representatives) <= 5
        assert all(run.assignments[i] == theme.id for i in theme.representatives)
        assert -1.0 <= theme.mean_sentiment <= 0.0  # complaints, on the whole


def test_same_seed_gives_the_same_run(run: ThemeRun) -> None:
    again = discover_themes(CORPUS, k=3, seed=0)
    assert again.assignments == run.assignments
    assert [t.label for t in again.themes] == [t.label for t in run.themes]


def test_new_opinions_go_to_their_theme_and_unrelated_ones_to_unassigned(run: ThemeRun) -> None:
    parking = run.assignments[0]
    elevator = run.assignments[len(PARKING)]
    new = ["小区车位太少，停车难", "加装电梯审批什么时候能批", "今天天气不错", ""]
    assert assign_to_themes(run.model, new) == [parking, elevator, UNASSIGNED, UNASSIGNED]


def test_an_opinion_mostly_of_unknown_words_is_held_as_new(run: ThemeRun) -> None:
    # One known word (小区) among many the model has never seen: a new topic, not parking.
    mostly_new = "小区旁边酒吧噪音扰民，深夜广场舞喧闹吵得失眠"
    known_enough = "小区车位太少，停车难"
    parking = run.assignments[0]
    assert assign_to_themes(run.model, [mostly_new, known_enough]) == [UNASSIGNED, parking]


def test_model_survives_a_json_round_trip(run: ThemeRun) -> None:
    data = json.loads(json.dumps(run.model.to_dict(), ensure_ascii=False))
    restored = ThemeModel.from_dict(data)
    assert restored.theme_ids == run.model.theme_ids
    assert restored.vocabulary == run.model.vocabulary
    assert (restored.counts.word_counts == run.model.counts.word_counts).all()
    assert assign_to_themes(restored, CORPUS) == assign_to_themes(run.model, CORPUS)


def test_broken_model_data_is_refused_in_chinese() -> None:
    with pytest.raises(ThemeModelError, match="主题模型"):
        ThemeModel.from_dict({"format": "dmm-themes", "version": 1, "themes": []})
    with pytest.raises(ThemeModelError, match="不受支持"):
        ThemeModel.from_dict({"format": "other"})


def test_personal_information_never_reaches_the_run() -> None:
    texts = [*CORPUS, "停车难，车位太少，请回电13812345678"]
    result = discover_themes(texts, k=3, seed=0)
    assert result.texts[-1] == "停车难，车位太少，请回电【手机号】"


def test_opinions_without_content_words_are_unassigned() -> None:
    result = discover_themes([*CORPUS, "非常希望", "？？"], k=3, seed=0)
    assert result.assignments[-2:] == [UNASSIGNED, UNASSIGNED]


def test_bad_k_is_refused() -> None:
    with pytest.raises(ThemeInputError, match="正整数"):
        discover_themes(CORPUS, k=0)


def test_rerun_with_previous_model_keeps_theme_ids_and_custom_labels(run: ThemeRun) -> None:
    elevator = run.assignments[len(PARKING)]
    renamed = run.model.with_custom_label(elevator, "电梯问题")
    rerun = discover_themes(list(reversed(CORPUS)), k=3, seed=5, previous=renamed)
    assert rerun.assignments[::-1][len(PARKING)] == elevator
    assert rerun.theme(elevator).label == "电梯问题"
    assert {t.id for t in rerun.themes} == {t.id for t in run.themes}
