"""Respondent pages rendered once per process and filled in per request.

A published questionnaire version never changes, so the HTML of a step depends only on the
version, the step, a few flags (first/last step, intro shown, draft restored) and, per
respondent, on the answers already given and on the CSRF token, submission id and start time.
`compile_page` renders the template ONCE with `SlotView` and slot markers in place of all
per-respondent values and cuts the HTML into literal text and numbered slots. `CompiledPage.fill`
then builds the page from a copy of the blank page's parts, setting only the slots of fields that
have an answer: no template, no macro call, no Markup per request.

Pages of a respondent who has answered nothing yet (the first open of a link: the burst after a
district posts links) cost even less: the text before the per-request values and the text after
them are compressed once; each request puts its values (and the few bytes between them) in
between as a stored deflate block and appends the gzip trailer (CRC-32 continued over the
cached parts). See `CompiledPage.blank_gzip`.
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
MAX_PAGES = 2000  # compiled pages kept per process (each ~2-3x a page's size)


@dataclass
class CompiledPage:
    """A page as literal text with slots; `blank` holds each slot's value for no answers."""

    parts: list[str]  # literal, slot, literal, slot, ..., literal (slot i at 2*i + 1)
    field_slots: dict[str, list[tuple[int, str, str]]]  # field -> (part index, kind, option)
    named: dict[str, list[int]]  # request values ("csrf", "submission_id", ...) -> part indices
    tail_start: int  # first part index after which only request values and static text remain
    blank_head: bytes = b""  # gzip header + deflated text before the first request value
    blank_crc: int = 0
    blank_length: int = 0
    blank_middle: list[str] = field(default_factory=list)  # parts from the first to the last
    blank_end: bytes = b""  # deflated text after the last request value, final block
    blank_end_text: bytes = b""

    def fill(self, answers: Mapping[str, Any], values: Mapping[str, str]) -> str:
        parts = list(self.parts)
        for name, shown in answer_strings(answers).items():
            for index, kind, option in self.field_slots.get(name, ()):
                if kind == "value":
                    parts[index] = str(escape(shown)) if isinstance(shown, str) else ""
                elif is_chosen(shown, option):
                    parts[index] = " checked" if kind == "checked" else " selected"
        for name, value in values.items():
            escaped = str(escape(value))
            for index in self.named[name]:
                parts[index] = escaped
        return "".join(parts)

    def blank_gzip(self, values: Mapping[str, str]) -> bytes:
        """The gzip body of the page with no answers: the cached head, this request's values
        (and the short text between them) as a stored deflate block, the cached end."""
        if not self.blank_head:
            return gzip_text(self.fill({}, values))
        middle = list(self.blank_middle)
        for name, value in values.items():
            escaped = str(escape(value))
            for index in self.named[name]:
                middle[index - self.tail_start] = escaped
        data = "".join(middle).encode()
        crc = zlib.crc32(self.blank_end_text, zlib.crc32(data, self.blank_crc))
        size = self.blank_length + len(data) + len(self.blank_end_text)
        return b"".join((self.blank_head, _stored_blocks(data), self.blank_end,
                         struct.pack("<II", crc, size & 0xFFFFFFFF)))


def _stored_blocks(data: bytes) -> bytes:
    """`data` as non-final stored deflate blocks: no compression work per request (the
    request values are random, a few hundred bytes). The stream is byte-aligned before them
    (sync flush) and after them (stored blocks end aligned)."""
    blocks = []
    for start in range(0, len(data), 0xFFFF):
        chunk = data[start:start + 0xFFFF]
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


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
    tail_start = min(index for indices in named_index.values() for index in indices)
    page = CompiledPage(parts, field_slots, named_index, tail_start)
    if any(index > tail_start for slots in field_slots.values() for index, _, _ in slots):
        return page  # answers after a request value: no cached head (blank_gzip compresses all)
    head = "".join(parts[:tail_start]).encode()
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    page.blank_head = _GZIP_HEADER + compressor.compress(head) + compressor.flush(zlib.Z_SYNC_FLUSH)
    page.blank_crc = zlib.crc32(head)
    page.blank_length = len(head)
    tail_end = max(index for indices in named_index.values() for index in indices) + 1
    page.blank_middle = parts[tail_start:tail_end]
    page.blank_end_text = "".join(parts[tail_end:]).encode()
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    page.blank_end = compressor.compress(page.blank_end_text) + compressor.flush()
    return page


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


def gzip_text(text: str) -> bytes:
    """A whole page compressed per request (pages with answers filled in): fast level."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(text.encode()) + compressor.flush()
