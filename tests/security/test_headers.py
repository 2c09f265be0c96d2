"""Security headers on every kind of response: page, redirect, 404, 405, CSRF refusal, API JSON,
OpenAPI JSON, static file, respondent page."""

from __future__ import annotations

import re

import pytest

from survey_app.web.middleware import CONTENT_SECURITY_POLICY
from tests.support.campaigns import open_campaign

EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _assert_security_headers(response, *, cached: bool = False) -> None:  # type: ignore[no-untyped-def]
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.url, name, response.headers)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    if cached:
        assert "no-store" not in response.headers.get("cache-control", "")
    else:
        assert response.headers.get("cache-control") == "no-store", response.url


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/login", 200),
    ("GET", "/", 302),  # redirect to the login page
    ("GET", "/no/such/page", 404),
    ("DELETE", "/login", 405),
    ("POST", "/login", 403),  # no CSRF token
    ("GET", "/healthz", 200),
    ("GET", "/api/v1/scores", 401),
    ("GET", "/api/v1/no-such-endpoint", 404),
    ("GET", "/schema/openapi.json", 200),
    ("GET", "/s/" + "x" * 32, 404),
])
async def test_every_kind_of_response_carries_the_headers(client, db, method, path, status) -> None:
    response = await client.request(method, path)
    assert response.status_code == status, (path, response.status_code)
    _assert_security_headers(response)


async def test_api_errors_are_json_with_the_headers(client, db) -> None:
    response = await client.get("/api/v1/scores")
    assert response.headers["content-type"].startswith("application/json")
    assert "error" in response.json()
    _assert_security_headers(response)


async def test_static_files_carry_the_headers_and_may_be_cached(client, db) -> None:
    for path in ("/static/css/app.css", "/static/js/survey.js"):
        response = await client.get(path)
        assert response.status_code == 200, path
        _assert_security_headers(response, cached=True)


async def test_respondent_page_and_its_post_carry_the_headers(client, db) -> None:
    campaign = await open_campaign(invitations=1)
    page = await client.get(f"/s/{campaign.tokens[0]}")
    assert page.status_code == 200
    _assert_security_headers(page)
    refused = await client.post(f"/s/{campaign.tokens[0]}", data={"_section": "basic"})
    assert refused.status_code == 403  # no CSRF token
    _assert_security_headers(refused)


async def test_pages_load_nothing_from_other_sites(client, db) -> None:
    """FAILS while /schema renders Swagger/ReDoc from a CDN (offline rule; our CSP blocks it)."""
    for path in ("/login", "/schema"):
        response = await client.get(path)
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', response.text)
        assert external == [], (path, external)
