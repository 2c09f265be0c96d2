import pytest

from analysis.text import Segmenter, default_segmenter

SENTENCES = [
    "希望一网通办再快一点，加装电梯和老旧小区改造也要抓紧",
    "小区停车难，营商环境还需优化，12345热线回复很及时",
    "不动产登记的办事效率比去年高多了",
]


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return default_segmenter()


def test_domain_terms_stay_whole(segmenter: Segmenter) -> None:
    tokens = [t for doc in segmenter.segment(SENTENCES) for t in doc]
    for term in ("一网通办", "加装电梯", "老旧小区改造", "营商环境", "不动产登记", "办事效率"):
        assert term in tokens


def test_stop_words_punctuation_and_numbers_are_removed(segmenter: Segmenter) -> None:
    (tokens,) = segmenter.segment(["我希望，非常希望 2023 年能修好路灯！"])
    assert tokens == ["修好", "路灯"]


def test_placeholders_never_become_tokens(segmenter: Segmenter) -> None:
    (tokens,) = segmenter.segment(["请打【手机号】联系我，车牌【车牌号】被拖走"])
    assert "手机号" not in tokens and "车牌号" not in tokens
    assert "拖走" in tokens


def test_extra_words_and_stop_words_can_be_added() -> None:
    custom = Segmenter(extra_words=["幸福里社区"], extra_stop_words=["路灯"])
    (tokens,) = custom.segment(["幸福里社区的路灯坏了"])
    assert "幸福里社区" in tokens
    assert "路灯" not in tokens


def test_jieba_and_rjieba_agree_on_chinese_opinions(segmenter: Segmenter) -> None:
    reference = Segmenter(engine="jieba", workers=1)
    assert segmenter.segment(SENTENCES) == reference.segment(SENTENCES)
