import numpy as np
import scipy.sparse as sp

from analysis.themes import discover_themes
from analysis.themes.describe import label_from_keywords, top_keywords
from analysis.themes.dmm import MixtureCounts, length_weights, log_posterior
from analysis.themes.wording import TextDictionary, is_readable_keyword


def test_masked_places_question_words_and_debris_are_not_keywords() -> None:
    for word in ["市", "西地省", "a1", "a市", "k8县", "请问", "多为", "别先", "办个", "一到",
                 "不了", "一记", "两记", "小", "http", "太紧张", "很方便"]:
        assert not is_readable_keyword(word), word
    for word in ["停车", "加装电梯", "城市", "超市", "小区", "社区", "一网通办", "不动产", "wifi"]:
        assert is_readable_keyword(word), word


def test_keywords_skip_unreadable_words_and_words_of_too_few_opinions() -> None:
    vocabulary = ("市", "请问", "停车", "车位", "罕见")
    weights = np.array([0.9, 0.8, 0.7, 0.6, 0.95])
    support = np.array([50.0, 40.0, 30.0, 20.0, 1.0])
    keywords = top_keywords(weights, vocabulary, support=support, min_support=2)
    assert [word for word, _ in keywords] == ["停车", "车位"]
    assert top_keywords(weights, vocabulary, stop_words={"停车"})[0][0] == "罕见"


def test_a_label_never_holds_a_single_character() -> None:
    assert label_from_keywords([("买", 0.9), ("快", 0.8)]) == "未命名主题"
    assert label_from_keywords([("买", 0.9), ("停车", 0.8), ("车位", 0.7)]) == "停车、车位"


def test_dictionary_maps_synonyms_drops_stop_words_and_keeps_words_whole() -> None:
    dictionary = TextDictionary(
        words=["一件事一次办"], synonyms={"车位": "停车位"}, stop_words=["小区"]
    )
    assert dictionary.apply([["小区", "车位", "紧张"]]) == [["停车位", "紧张"]]
    (tokens,) = dictionary.segmenter().segment(["希望推广一件事一次办"])
    assert "一件事一次办" in tokens


def test_dictionary_reaches_the_themes() -> None:
    texts = ["小区车位太少", "停车位不够用", "车位紧张停车难", "没有停车位"] * 3 + [
        "加装电梯审批慢", "电梯经常故障", "加装电梯补贴", "电梯维修不及时"
    ] * 3
    plain = discover_themes(texts, k=2, seed=0, sentiments=[0.0] * len(texts))
    edited = discover_themes(
        texts, k=2, seed=0, sentiments=[0.0] * len(texts),
        dictionary=TextDictionary(synonyms={"车位": "停车位"}, stop_words=["电梯"]),
    )
    plain_words = {w for theme in plain.themes for w, _ in theme.keywords}
    edited_words = {w for theme in edited.themes for w, _ in theme.keywords}
    assert "电梯" in plain_words and "车位" in plain_words
    assert "电梯" not in edited_words and "车位" not in edited_words
    assert "停车位" in edited_words


def test_length_cap_weighs_long_documents_like_capped_ones_and_leaves_short_alone() -> None:
    assert length_weights(np.array([5.0, 10.0]), 30) is None
    assert np.allclose(length_weights(np.array([10.0, 60.0]), 30.0), [1.0, 0.5])
    counts = MixtureCounts(np.array([5.0, 5.0]), np.array([[5.0] * 60 + [0.0] * 60,
                                                          [0.0] * 60 + [5.0] * 60]))
    long_doc = sp.csr_matrix(np.array([[1.0] * 40 + [0.0] * 20 + [1.0] * 20 + [0.0] * 40]))
    raw = log_posterior(long_doc, counts, alpha=0.1, beta=0.1)
    capped = log_posterior(long_doc, counts, alpha=0.1, beta=0.1, length_cap=30.0)
    # Same preferred theme, but a gap scaled by 30/60: the evidence of 30 words, not 60.
    assert raw.argmax() == capped.argmax() == 0
    assert np.isclose(capped[0, 0] - capped[0, 1], (raw[0, 0] - raw[0, 1]) * 0.5)
