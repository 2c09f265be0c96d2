"""A minimal HTTP/1.1 keep-alive client on asyncio streams for the phones of
bench/submit_load.py: one connection and one cookie jar per phone, like a browser tab.

httpx in one process topped out near 440 requests/s, below what the server can answer, so the
bench measured its own client. This client does only what the phones need: a request line and
headers, the status, headers and a Content-Length or chunked body (no gzip asked for, no
redirects followed by itself, no TLS). A kept-alive connection the server has closed in the
meantime is reopened and the request sent once more, as browsers do; any other failure is an
`HttpError` for the phone to retry.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

HEADER_LIMIT = 64 * 1024


class HttpError(Exception):
    """The connection failed (refused, reset, closed mid-response, timed out, unreadable)."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Connection:
    """One keep-alive connection to host:port with its cookies; reopened when needed."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._host_header = f"Host: {host}:{port}\r\n".encode()

    async def request(self, method: str, target: str, body: bytes = b"",
                      content_type: str = "application/x-www-form-urlencoded") -> Reply:
        head = [f"{method} {target} HTTP/1.1\r\n".encode(), self._host_header,
                b"User-Agent: survey-bench-phone\r\nAccept: text/html\r\n"]
        if self.cookies:
            jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            head.append(f"Cookie: {jar}\r\n".encode())
        if method != "GET":
            head.append(f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n".encode())
        message = b"".join(head) + b"\r\n" + body
        try:
            async with asyncio.timeout(self.timeout):
                reused = self._writer is not None and not self._stale()
                if not reused:
                    await self._open()
                try:
                    return await self._exchange(message, method)
                except (OSError, asyncio.IncompleteReadError) as error:
                    # The server closed the idle connection as we sent: send again, once, on
                    # a new one (only when nothing of an answer came back).
                    partial = getattr(error, "partial", b"")
                    if not reused or partial:
                        raise
                    await self._open()
                    return await self._exchange(message, method)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                ValueError) as error:
            self.close()
            raise HttpError(f"{method} {target}: {type(error).__name__} {error}") from error

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    def _stale(self) -> bool:
        assert self._reader is not None and self._writer is not None
        return self._reader.at_eof() or self._writer.is_closing()

    async def _open(self) -> None:
        self.close()
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, limit=HEADER_LIMIT)

    async def _exchange(self, message: bytes, method: str) -> Reply:
        reader, writer = self._reader, self._writer
        assert reader is not None and writer is not None
        writer.write(message)
        await writer.drain()
        block = await reader.readuntil(b"\r\n\r\n")
        lines = block[:-4].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = value
            if name == "set-cookie":
                self._keep_cookie(value)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _chunked(reader)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:  # the body ends with the connection
            body = await reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Reply(status, headers, body)

    def _keep_cookie(self, header: str) -> None:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        expired = "max-age=0" in attributes.lower().replace(" ", "")
        if not value or expired:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, then the blank line
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


@contextlib.asynccontextmanager
async def connection(host: str, port: int, timeout: float = 30.0) -> AsyncIterator[Connection]:
    """A Connection closed on the way out."""
    opened = Connection(host, port, timeout)
    try:
        yield opened
    finally:
        opened.close()
