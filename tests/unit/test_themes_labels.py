"""Label quality on messages written like citizens' letters to a city government (greetings,
masked places, question words, closings), the representative clause, and the rule that
keeps themes under 1 % of the opinions only when they are a real topic."""

import random

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.text import default_segmenter
from analysis.themes import ThemeRun, discover_themes, is_readable_keyword
from analysis.themes.clustering import cohesive_clusters, dissolve_small_clusters
from analysis.themes.describe import LABEL_SEPARATOR, representative_clause
from analysis.themes.dmm import count_clusters

TOPICS = [
    ["小区停车位严重不足，晚上回家找不到车位", "路边违章停车占道，行人没法走",
     "停车场收费太高，车位还难找", "老小区没有停车位，乱停车现象严重"],
    ["老楼加装电梯审批太慢，老人上下楼困难", "加装电梯的补贴什么时候能发放",
     "电梯经常故障困人，物业维修不及时", "加装电梯手续复杂，业主意见难统一"],
    ["孩子入学难，学位太紧张", "幼儿园学位不够，孩子没法入园",
     "学区划分不合理，孩子上学路太远", "学校课后服务时间太短，家长接不了孩子"],
]
OPENINGS = ["尊敬的领导您好！我是A市A{n}区的居民，", "您好，西地省A市K{n}县网友反映：", "请问",
            "领导好，XX省A市A{n}区", ""]
CLOSINGS = ["希望相关部门尽快解决，谢谢！", "请问什么时候能解决？", "恳请领导重视。", ""]
FUNCTION_WORDS = {"请问", "您好", "你好", "谢谢", "领导", "尊敬", "希望", "相关", "部门", "网友"}
MASKED_PLACES = {"市", "区", "县", "省", "a市", "a1区", "西地省", "xx省", "a1", "k3"}


def government_messages(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    messages = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        body = "，".join(rng.sample(topic, 2))
        opening = rng.choice(OPENINGS).format(n=rng.randint(1, 9))
        messages.append(opening + body + "。" + rng.choice(CLOSINGS))
    return messages


@pytest.fixture(scope="module", params=[3, None], ids=["k given", "automatic k"])
def run(request: pytest.FixtureRequest) -> ThemeRun:
    return discover_themes(government_messages(90), k=request.param, seed=0)


def test_keywords_are_words_never_places_function_words_or_single_characters(
    run: ThemeRun,
) -> None:
    assert run.themes
    for theme in run.themes:
        for word, _ in theme.keywords:
            assert len(word) >= 2, word
            assert word not in FUNCTION_WORDS and word not in MASKED_PLACES, word
            assert is_readable_keyword(word), word


def test_labels_are_a_few_keywords_or_a_clause_of_a_real_opinion(run: ThemeRun) -> None:
    for theme in run.themes:
        members = [run.texts[i] for i, a in enumerate(run.assignments) if a == theme.id]
        words = theme.label.split(LABEL_SEPARATOR)
        if len(words) >= 2:
            assert len(words) <= 4
            keywords = {word for word, _ in theme.keywords}
            assert all(len(word) >= 2 and word in keywords for word in words), theme.label
        else:
            assert any(theme.label in text for text in members), theme.label
        for masked in ("A市", "A1区", "西地省", "XX省"):
            assert masked not in theme.label


def test_the_phrase_is_a_clause_of_an_opinion_of_the_theme(run: ThemeRun) -> None:
    phrases = [theme.phrase for theme in run.themes if theme.phrase]
    assert phrases
    for theme in run.themes:
        if not theme.phrase:
            continue
        members = [run.texts[i] for i, a in enumerate(run.assignments) if a == theme.id]
        assert any(theme.phrase in text for text in members), theme.phrase
        assert not theme.phrase.startswith(("请问", "您好", "尊敬的", "领导"))
        assert 5 <= len(theme.phrase) <= 24


def test_segmentation_drops_masked_places_and_question_words() -> None:
    (tokens,) = default_segmenter().segment(["请问A市A3区西地省K8县的学校食堂，XX省也有"])
    assert "学校食堂" in tokens
    for token in tokens:
        assert token not in MASKED_PLACES and token != "请问", tokens
    assert not {"区西", "地省"} & set(tokens)


def test_representative_clause_covers_keywords_and_drops_openings() -> None:
    opinions = ["您好，请问小区停车位什么时候能增加？谢谢", "A市A1区停车位紧张，停车难",
                "停车位太少了"]
    keywords = [("停车位", 0.5), ("增加", 0.3), ("紧张", 0.2)]
    clause = representative_clause(opinions, keywords)
    assert clause == "小区停车位什么时候能增加"
    assert any(clause in opinion for opinion in opinions)
    # A clause with a masked place, or with one keyword where two are needed, does not do.
    assert representative_clause(["A市A1区停车位紧张"], keywords) == ""
    assert representative_clause(["停车位太少了"], keywords) == ""
    assert representative_clause(["停车位太少了"], [("停车位", 0.5)]) == "停车位太少了"
    assert representative_clause(["但小区停车位太少", "而是停车位不够"], [("停车位", 0.5)]) in (
        "小区停车位太少", "停车位不够")


def _rows(words_per_row: list[list[int]], n_words: int) -> sp.csr_matrix:
    data = [(r, w) for r, words in enumerate(words_per_row) for w in words]
    rows, cols = zip(*data, strict=True)
    return sp.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(words_per_row), n_words)
    )


def test_small_themes_are_dissolved_unless_they_are_a_real_topic() -> None:
    rng = np.random.default_rng(0)
    rows: list[list[int]] = []
    labels: list[int] = []
    for cluster, words in ((0, range(0, 5)), (1, range(5, 10))):
        for _ in range(300):
            rows.append(sorted(rng.choice(list(words), 3, replace=False).tolist()))
            labels.append(cluster)
    # A real topic: word 10 in every one of them and nowhere else, their other words varied.
    for others in ([0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 9], [1, 4, 7]):
        rows.append([*others, 10])
        labels.append(2)
    for extra in (11, 11, 12, 13):  # debris: cluster 0's words and a rare word of two
        rows.append([0, 1, extra])
        labels.append(3)
    for _ in range(6):  # copies of one text, word 13 and all: one voice, not a topic
        rows.append([2, 6, 13])
        labels.append(4)
    x = _rows(rows, 14)
    label_array = np.asarray(labels)
    counts = count_clusters(x, label_array, 5)
    assert cohesive_clusters(counts, x.shape[0]).tolist() == [False, False, True, False, False]
    new_labels, new_counts = dissolve_small_clusters(x, label_array, counts, 0.01, None)
    assert new_counts.n_clusters == 3
    assert (new_labels[605:609] == new_labels[0]).all()  # debris joined cluster 0
    assert len(set(new_labels[600:605].tolist())) == 1
    assert new_labels[600] not in (new_labels[0], new_labels[300])  # the real topic stays
