"""The pure decision logic of issue 13: identical labels keep their theme id, content-free
answers are recognised, held opinions sharing a topic word are proposed as a new theme, and
a constrained run never moves an opinion a decision holds."""

from __future__ import annotations

from analysis.text import default_segmenter
from analysis.themes import discover_themes
from analysis.themes.constraints import Constraints, constrained_run, reuse_ids_by_label
from analysis.themes.novelty import fits_theme, is_content_free, propose_new_themes
from tests.db.test_themes_seed import APPROVAL, PARKING


def test_a_new_cluster_with_an_identical_label_keeps_the_old_id() -> None:
    reused = reuse_ids_by_label({40: "停车、车位", 41: "审批、窗口", 42: "退税"},
                                {7: "停车、车位", 9: "退税", 11: "路灯"})
    assert reused == {40: 7, 42: 9}
    # Each old id is given at most once.
    assert reuse_ids_by_label({40: "退税", 41: "退税"}, {9: "退税"}) == {40: 9}


def test_content_free_answers_are_recognised() -> None:
    for text in ("无", "没有。", "暂无", "无意见！", "没有什么建议", "  ", "。。。", "1", "无无无",
                 "N/A", "没有了"):
        assert is_content_free(text), text
    for text in ("停车难", "好", "无人管理路灯", "没有停车位", "暂无车位可停"):
        assert not is_content_free(text), text


def test_held_opinions_sharing_a_topic_word_are_proposed() -> None:
    tokens = [["施工", "噪音"], ["噪音", "扰民"], ["广场舞", "噪音"], ["噪音"], ["工厂", "噪音"],
              ["天气"], ["路灯"], ["停车位"]]
    issues = propose_new_themes(tokens)
    assert [(i.word, i.members) for i in issues] == [("噪音", [0, 1, 2, 3, 4])]
    assert propose_new_themes(tokens[:4]) == []  # four is not enough
    assert propose_new_themes(tokens, ignore={"噪音"}) == []


def test_joining_by_assignment_needs_a_shared_topic_word() -> None:
    assert fits_theme(["小区", "停车位"], ["停车", "车位"])  # 停车位 contains 停车
    assert not fits_theme(["施工", "噪音"], ["路灯", "照明"])


def test_a_constrained_run_keeps_held_opinions_and_sets_aside_the_empty() -> None:
    texts = [*PARKING, *APPROVAL, "无"]
    tokens = default_segmenter().segment(texts)
    first = discover_themes(texts, k=2, seed=0, tokens=tokens)
    parking = first.assignments[0]
    approval = first.assignments[20]
    assert parking >= 0 and approval >= 0 and parking != approval
    # The analyst moved three approval opinions into the parking theme and decided on it.
    held = [i for i in range(40) if first.assignments[i] == parking] + [20, 21, 22]
    keep = [parking if i in held else None for i in range(len(texts))]
    constraints = Constraints(
        keep=keep, set_aside=[t == "无" for t in texts], joinable=[False] * len(texts),
        protected={parking}, labels={t.id: t.label for t in first.themes},
        keywords={t.id: [w for w, _ in t.keywords] for t in first.themes}, next_id=100,
    )
    run = constrained_run(texts, tokens, constraints, previous=first.model, seed=3)
    assert [run.assignments[i] for i in held] == [parking] * len(held)
    assert run.assignments[40] == -1  # content-free: in no theme
    free = [i for i in range(40) if i not in held]
    assert free and parking not in {run.assignments[i] for i in free}
    assert run.theme(parking).label == first.theme(parking).label
