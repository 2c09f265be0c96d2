"""Static files served from memory: read once, gzip-compressed once, fingerprinted.

Templates link `static_url("css/app.css")` -> `/static/css/app.3f2a9c1b0d.css`; a fingerprinted
URL never changes content, so it is cached by browsers for a year (`immutable`). The plain name
still works, with a short lifetime, for anything that links it directly.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from survey_app.web.guards import PUBLIC

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"
NO_COMPRESSION = "no_compression"  # opt key: CompressionMiddleware leaves these responses alone


@dataclass(frozen=True)
class Asset:
    raw: bytes
    gzipped: bytes
    media_type: str
    fingerprinted: bool

    @property
    def cache_control(self) -> str:
        return LONG_CACHE if self.fingerprinted else SHORT_CACHE


def _media_type(path: Path) -> str:
    """As Litestar's Response takes it: it adds `; charset=utf-8` to text/* itself."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.endswith("javascript") and not kind.startswith("text/") else kind


def _content_type(media_type: str) -> bytes:
    """The Content-Type header Litestar sends for `media_type`."""
    return (f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type).encode()


def _load(directory: Path) -> tuple[dict[str, Asset], dict[str, str]]:
    assets: dict[str, Asset] = {}
    urls: dict[str, str] = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        name = path.relative_to(directory).as_posix()
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()[:10]
        stem, dot, suffix = name.rpartition(".")
        printed = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
        squeezed = gzip.compress(raw, compresslevel=9, mtime=0)
        media_type = _media_type(path)
        assets[name] = Asset(raw, squeezed, media_type, fingerprinted=False)
        assets[printed] = Asset(raw, squeezed, media_type, fingerprinted=True)
        urls[name] = f"/static/{printed}"
    return assets, urls


_ASSETS, _URLS = _load(STATIC_DIR)


def static_url(name: str) -> str:
    """Jinja global: the fingerprinted URL of a file under survey_app/static."""
    return _URLS.get(name, f"/static/{name}")


def find_asset(name: str, gzipped: bool) -> tuple[bytes, bytes, bytes, bool] | None:
    """(body, media type, cache-control, gzip-encoded) for web/fast_path.py; None if unknown."""
    found = _ENCODED.get((name, gzipped))
    if found is None:
        asset = _ASSETS.get(name)
        if asset is None:
            return None
        found = _ENCODED[(name, gzipped)] = (
            asset.gzipped if gzipped else asset.raw, _content_type(asset.media_type),
            asset.cache_control.encode(), gzipped)
    return found


_ENCODED: dict[tuple[str, bool], tuple[bytes, bytes, bytes, bool]] = {}


# GET only, and no form: no CSRF cookie on static files, so they stay cacheable (as from the
# fast path, web/fast_path.py).
@get("/static/{name:path}", opt={**PUBLIC, NO_COMPRESSION: True, "exclude_from_csrf": True},
     include_in_schema=False)
async def static_file(request: Request, name: FromPath[str]) -> Response[bytes]:
    asset = _ASSETS.get(name.lstrip("/"))
    if asset is None:
        raise NotFoundException("文件不存在")
    headers = {"cache-control": LONG_CACHE if asset.fingerprinted else SHORT_CACHE,
               "vary": "accept-encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.raw, media_type=asset.media_type, headers=headers)


ROUTES = [static_file]
