"""Respondent pages rendered once per process and filled in per request.

A published questionnaire version never changes, so the HTML of a step depends only on the
version, the step, a few flags (first/last step, intro shown, draft restored) and, per
respondent, on the answers already given and on the CSRF token, submission id and start time.
`compile_page` renders the template ONCE with `SlotView` and slot markers in place of all
per-respondent values and cuts the HTML into literal text and numbered slots. `CompiledPage.fill`
then builds the page from a copy of the blank page's parts, setting only the slots of fields that
have an answer: no template, no macro call, no Markup per request.

The gzip body is spliced rather than compressed per request (`CompiledPage.gzip`): the stretches
of the page between per-request values ("runs") are compressed once; each request sends its
values (and the short text between them) as stored deflate blocks between the cached runs and
appends the gzip trailer. A run holding an answer slot that this respondent has filled in is
compressed per request (a small, fast compressor); the others, the whole page of a respondent
who has not answered this step yet (a first visit, or walking forward through a draft), cost
no compression at all.
"""

from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape

from survey_app.web.answer_view import SLOT_CLOSE, SLOT_OPEN, SlotView, answer_strings, is_chosen

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no mtime, unknown OS
_FINAL_BLOCK = b"\x03\x00"  # an empty final fixed-Huffman block (the stream is byte-aligned)
MAX_PAGES = 2000  # compiled pages kept per process (each ~2-3x a page's size)
# Text between two per-request values shorter than this goes out stored with them (it is not
# worth a run of its own: a run costs its sync flush, and loses the text before it).
SHORT_TEXT = 512
# Per-request values up to this size go out stored (random tokens do not compress); larger ones
# (a long draft's data-answers) are compressed with the small compressor.
STORED_MAX = 1024


@dataclass
class _Run:
    """Parts [start, end) with no per-request value, as the page with no answers has them."""

    start: int
    end: int
    text: bytes
    deflated: bytes  # raw deflate, sync-flushed: byte-aligned, not final
    crc: int  # zlib.crc32(text)


@dataclass
class CompiledPage:
    """A page as literal text with slots; `blank` holds each slot's value for no answers."""

    parts: list[str]  # literal, slot, literal, slot, ..., literal (slot i at 2*i + 1)
    field_slots: dict[str, list[tuple[int, str, str]]]  # field -> (part index, kind, option)
    named: dict[str, list[int]]  # request values ("csrf", "submission_id", ...) -> part indices
    answer_keys: tuple[str, ...] = ()  # the answers that may fill a slot of this page
    # The page in order: runs (compressed once) and, between them, (start, end) ranges of parts
    # holding the per-request values, sent as they are.
    pieces: list[_Run | tuple[int, int]] = field(default_factory=list)

    def fills(self, answers: Mapping[str, Any]) -> dict[int, str]:
        """Part index -> text, for the slots these answers fill (only this page's fields)."""
        filled: dict[int, str] = {}
        for key in self.answer_keys:
            if answers.get(key) is None:
                continue
            for name, shown in answer_strings({key: answers[key]}).items():
                for index, kind, option in self.field_slots.get(name, ()):
                    if kind == "value":
                        if isinstance(shown, str) and shown:
                            filled[index] = str(escape(shown))
                    elif is_chosen(shown, option):
                        filled[index] = " checked" if kind == "checked" else " selected"
        return filled

    def _parts(self, filled: Mapping[int, str], values: Mapping[str, str]) -> list[str]:
        parts = list(self.parts)
        for index, text in filled.items():
            parts[index] = text
        for name, value in values.items():
            escaped = str(escape(value))
            for index in self.named[name]:
                parts[index] = escaped
        return parts

    def fill(self, answers: Mapping[str, Any], values: Mapping[str, str]) -> str:
        return "".join(self._parts(self.fills(answers), values))

    def gzip(self, answers: Mapping[str, Any], values: Mapping[str, str]) -> bytes:
        """The gzip body of the page: the cached runs, this request's values as stored blocks
        between them, a run with a filled-in answer compressed now, the trailer."""
        filled = self.fills(answers)
        parts = self._parts(filled, values)
        out = [_GZIP_HEADER]
        crc = size = 0
        for piece in self.pieces:
            if isinstance(piece, _Run):
                if any(piece.start <= index < piece.end for index in filled):
                    data = "".join(parts[piece.start:piece.end]).encode()
                    out.append(_deflate_now(data))
                    crc = zlib.crc32(data, crc)
                else:
                    data = piece.text
                    out.append(piece.deflated)
                    crc = piece.crc if size == 0 else zlib.crc32(data, crc)
            else:
                data = "".join(parts[piece[0]:piece[1]]).encode()
                out.append(_stored_blocks(data) if len(data) <= STORED_MAX else _deflate_now(data))
                crc = zlib.crc32(data, crc)
            size += len(data)
        out.append(_FINAL_BLOCK + struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(out)


def _deflate_now(data: bytes) -> bytes:
    """Per-request text, compressed fast: level 1 and a 2 KB window (setting up zlib's default
    32 KB window and hash tables costs more than compressing a page's few KB)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -11, 3)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _stored_blocks(data: bytes) -> bytes:
    """`data` as non-final stored deflate blocks: no compression work per request (the
    request values are random, a few hundred bytes). The stream is byte-aligned before them
    (sync flush) and after them (stored blocks end aligned)."""
    blocks = []
    for start in range(0, len(data), 0xFFFF):
        chunk = data[start:start + 0xFFFF]
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


def _run(parts: list[str], start: int, end: int) -> _Run:
    text = "".join(parts[start:end]).encode()
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH) if text else b""
    return _Run(start, end, text, deflated, zlib.crc32(text))


def _pieces(parts: list[str], named: list[int]) -> list[_Run | tuple[int, int]]:
    """Runs between the per-request values (part indices `named`, sorted); short text between
    two values stays with them in one stored range."""
    pieces: list[_Run | tuple[int, int]] = []
    start = 0  # the first part not placed yet
    i = 0
    while i < len(named):
        first = last = named[i]
        i += 1
        while i < len(named) and sum(map(len, parts[last + 1:named[i]])) < SHORT_TEXT:
            last = named[i]
            i += 1
        if first > start:
            pieces.append(_run(parts, start, first))
        pieces.append((first, last + 1))
        start = last + 1
    if start < len(parts):
        pieces.append(_run(parts, start, len(parts)))
    return pieces


def _answer_keys(fields: list[str]) -> tuple[str, ...]:
    """The answer names whose value may fill these fields: the field itself, or a matrix
    question before a row (answer_strings names a row "question__row")."""
    keys = set(fields)
    for name in fields:
        keys.update(name[:at.start()] for at in re.finditer("__", name))
    return tuple(sorted(keys))


def compile_page(
    render: Callable[[dict[str, Any]], str],
    context: dict[str, Any],
    named: tuple[str, ...],
    preset: Mapping[str, str] | None = None,
) -> CompiledPage | None:
    """Render once with slots. `named` context values are per-request strings (markers here);
    those in `preset` are filled in now (the same for every request using this page).
    None if the page cannot be cut safely (a slot not shown where the template asked for it)."""
    view = SlotView()
    markers = {name: view.mark("named", name) for name in named}
    html = render({**context, **markers, "view": view})
    pieces = re.split(f"{SLOT_OPEN}{view.nonce}:(\\d+){SLOT_CLOSE}", html)
    if {int(number) for number in pieces[1::2]} != set(range(len(view.slots))):
        return None  # a value may be shown twice (position, total), but each must be shown
    parts: list[str] = []
    field_slots: dict[str, list[tuple[int, str, str]]] = {}
    named_index: dict[str, list[int]] = {}
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            parts.append(piece)
            continue
        kind, name, option = view.slots[int(piece)]
        index = len(parts)
        parts.append("")
        if kind == "named":
            named_index.setdefault(name, []).append(index)
        else:
            field_slots.setdefault(name, []).append((index, kind, option))
    if set(named_index) != set(named):
        return None
    for name, value in (preset or {}).items():
        for index in named_index.pop(name):
            parts[index] = str(escape(value))
    slots = sorted(index for indices in named_index.values() for index in indices)
    return CompiledPage(parts, field_slots, named_index, _answer_keys(list(field_slots)),
                        _pieces(parts, slots))


class PageCache:
    """Compiled pages by key, per process. Keys must identify immutable content only."""

    def __init__(self, limit: int = MAX_PAGES) -> None:
        self._pages: dict[tuple[Any, ...], CompiledPage | None] = {}
        self._limit = limit
        self.compiled = 0
        self.compile_seconds = 0.0

    def get(
        self, key: tuple[Any, ...], build: Callable[[], CompiledPage | None]
    ) -> CompiledPage | None:
        try:
            return self._pages[key]
        except KeyError:
            pass
        began = time.perf_counter()
        page = build()
        self.compile_seconds += time.perf_counter() - began
        self.compiled += 1
        if len(self._pages) >= self._limit:
            self._pages.pop(next(iter(self._pages)))
        self._pages[key] = page
        return page

    def clear(self) -> None:
        self._pages.clear()

