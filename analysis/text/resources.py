"""Loading of the plain-text resources shipped in ``analysis/text/resources/``.

The files are meant to be extended by analysts, so the format is deliberately trivial:
one entry per line, ``#`` starts a comment line, blank lines are ignored.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

RESOURCE_DIR = Path(__file__).with_name("resources")
DOMAIN_DICT_PATH = RESOURCE_DIR / "domain_dict.txt"
STOP_WORDS_PATH = RESOURCE_DIR / "stop_words.txt"
T2S_TABLE_PATH = RESOURCE_DIR / "t2s_chars.txt"


def read_entry_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a resource file, stripped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@lru_cache(maxsize=1)
def domain_terms() -> tuple[tuple[str, int | None], ...]:
    """(word, frequency or None) pairs of the shipped domain dictionary."""
    terms: list[tuple[str, int | None]] = []
    for line in read_entry_lines(DOMAIN_DICT_PATH):
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        terms.append((parts[0], freq))
    return tuple(terms)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return frozenset(read_entry_lines(STOP_WORDS_PATH))


@lru_cache(maxsize=1)
def traditional_to_simplified_table() -> dict[int, str]:
    """A ``str.translate`` table built from the shipped character table."""
    table: dict[int, str] = {}
    for line in read_entry_lines(T2S_TABLE_PATH):
        traditional, simplified = line.split("\t")
        table[ord(traditional)] = simplified
    return table
