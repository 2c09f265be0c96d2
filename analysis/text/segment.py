"""Word segmentation of (normalised) opinions with jieba plus the shipped domain dictionary.

rjieba (a binding of jieba-rs) is used when installed: with the same dictionary entries added
through ``add_word`` it gives jieba's tokens for Chinese text (the two differ only on some
ASCII runs such as "1-4" or "1.5G") at ten times the speed, in one thread (threads do not
help: the token filtering holds the GIL). Without it, jieba is used, in worker processes for
large inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Literal, Protocol

from analysis.text.normalize import PLACEHOLDERS
from analysis.text.resources import domain_terms, stop_words

Engine = Literal["auto", "rjieba", "jieba"]

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_ASCII_WORD = re.compile(r"[a-z][a-z0-9+#.\-]*")
_PLACEHOLDER_RE = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
# Places masked by a letter code (A市, A1区, XX省, K8县) and pseudonymous provinces (西地省):
# every message to a city government names some, and clustering would group messages by
# place rather than by subject. They are cut out before segmentation (which would otherwise
# glue their pieces to the next word: A3区西地省 → 区西 / 地省).
_MASKED_PLACE_CODE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{1,2}[0-9]{0,3}(?:省|市|县|区|镇|乡|街道)|"
    r"(?<![A-Za-z0-9])[A-Za-z][0-9]{1,3}(?![A-Za-z0-9])"
)
_MAY_HOLD_PLACE_CODE = re.compile(r"[A-Za-z]")
_PROVINCE_TOKEN = re.compile(r"^.{1,3}省$")
_NOT_PROVINCES = frozenset(["节省", "反省", "自省", "省省"])
_CHUNK_SIZE = 2000
_PARALLEL_THRESHOLD = 20000
_MAX_VERDICTS = 500_000


class _Cutter(Protocol):
    def cut(self, text: str) -> list[str]: ...


class _JiebaCutter:
    """jieba's own Tokenizer with the domain dictionary added (precise mode, HMM on)."""

    def __init__(self, words: Sequence[tuple[str, int | None]]) -> None:
        import jieba

        jieba.setLogLevel(60)  # its "Building prefix dict" chatter is not for users
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        for word, freq in words:
            self._tokenizer.add_word(word, freq)

    def cut(self, text: str) -> list[str]:
        return self._tokenizer.lcut(text)


class _RjiebaCutter:
    def __init__(self, words: Sequence[tuple[str, int | None]]) -> None:
        import rjieba

        self._jieba = rjieba.Jieba()
        for word, freq in words:
            self._jieba.add_word(word, freq, None)

    def cut(self, text: str) -> list[str]:
        return self._jieba.cut(text)


def _rjieba_available() -> bool:
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return False
    return True


class Segmenter:
    """Cuts opinions into content tokens: domain terms kept whole, stop words, punctuation,
    bare numbers and placeholders such as 【手机号】 removed, ASCII lower-cased."""

    def __init__(
        self,
        *,
        extra_words: Iterable[str] = (),
        extra_stop_words: Iterable[str] = (),
        engine: Engine = "auto",
        workers: int = 2,
    ) -> None:
        self._words = (*domain_terms(), *((word, None) for word in extra_words))
        self._dictionary_words = frozenset(word.lower() for word, _ in self._words)
        self._stop_words = stop_words() | frozenset(extra_stop_words)
        if engine == "auto":
            engine = "rjieba" if _rjieba_available() else "jieba"
        self.engine: Literal["rjieba", "jieba"] = engine
        self._workers = max(1, workers)
        self._cutter: _Cutter | None = None
        # token as cut → its content form (lower-cased), or "" when it is dropped
        self._verdicts: dict[str, str] = {}

    def warm_up(self) -> None:
        """Load the dictionary now (0.5–1 s) rather than on the first opinion."""
        if self._cutter is None:
            factory = _RjiebaCutter if self.engine == "rjieba" else _JiebaCutter
            self._cutter = factory(self._words)

    def segment(self, texts: Sequence[str]) -> list[list[str]]:
        """Content tokens of each text, in order."""
        self.warm_up()
        if self.engine == "rjieba" or len(texts) < _PARALLEL_THRESHOLD or self._workers == 1:
            return self._segment_chunk(texts)
        chunks = [texts[i : i + _CHUNK_SIZE] for i in range(0, len(texts), _CHUNK_SIZE)]
        with ProcessPoolExecutor(
            self._workers, initializer=_init_worker, initargs=(self,)
        ) as pool:
            parts = list(pool.map(_segment_in_worker, chunks))
        return [tokens for part in parts for tokens in part]

    def _segment_chunk(self, texts: Sequence[str]) -> list[list[str]]:
        assert self._cutter is not None
        cut = self._cutter.cut
        # The verdict on each distinct token is memoised: a corpus has a few ten thousand
        # distinct tokens but millions of occurrences, and the checks (stop list, regexes,
        # lower-casing) cost more than the cut itself.
        verdicts = self._verdicts
        if len(verdicts) > _MAX_VERDICTS:
            verdicts.clear()
        result: list[list[str]] = []
        for text in texts:
            if "【" in text:
                text = _PLACEHOLDER_RE.sub(" ", text)
            if _MAY_HOLD_PLACE_CODE.search(text):
                text = _MASKED_PLACE_CODE.sub(" ", text)
            kept = []
            for token in cut(text):
                verdict = verdicts.get(token)
                if verdict is None:
                    lowered = token.lower()
                    verdict = lowered if self._is_content_token(lowered) else ""
                    verdicts[token] = verdict
                if verdict:
                    kept.append(verdict)
            result.append(kept)
        return result

    def _is_content_token(self, token: str) -> bool:
        if token in self._stop_words:
            return False
        if (
            _PROVINCE_TOKEN.match(token)
            and token not in _NOT_PROVINCES
            and token not in self._dictionary_words
        ):
            return False
        if token in self._dictionary_words or _CJK_CHAR.search(token):
            return True
        # ASCII words such as "app" or "wifi" carry meaning; bare numbers and symbols do not.
        return len(token) > 1 and _ASCII_WORD.fullmatch(token) is not None

    def __getstate__(self) -> dict[str, object]:
        # Worker processes rebuild the cutter themselves; a loaded dictionary is not picklable.
        state = self.__dict__.copy()
        state["_cutter"] = None
        state["_verdicts"] = {}
        return state


_worker_segmenter: Segmenter | None = None


def _init_worker(segmenter: Segmenter) -> None:
    global _worker_segmenter
    segmenter.warm_up()
    _worker_segmenter = segmenter


def _segment_in_worker(texts: Sequence[str]) -> list[list[str]]:
    assert _worker_segmenter is not None
    return _worker_segmenter._segment_chunk(texts)


@lru_cache(maxsize=1)
def default_segmenter() -> Segmenter:
    """The shared segmenter with the shipped dictionary and stop words."""
    return Segmenter()


def warm_up() -> None:
    """Load the default segmenter's dictionary once, e.g. at application start-up."""
    default_segmenter().warm_up()
