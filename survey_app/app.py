"""create_app(settings) -> Litestar. Nothing connects at import time; the lifespan does."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from piccolo.engine.base import Engine

from survey_app.config import Settings, load_settings
from survey_app.db.connection import install_engine
from survey_app.db.engine import build_engine, start_engine, stop_engine
from survey_app.errors import ServiceError
from survey_app.jobs import handlers  # noqa: F401  (registers the job kinds)
from survey_app.jobs.retention import daily_purge
from survey_app.jobs.runner import default_worker_name, worker_loop
from survey_app.web import routes
from survey_app.web.access_log import install_log_escaping, log_response
from survey_app.web.errors import (
    http_exception_handler,
    internal_error_handler,
    password_change_handler,
    second_factor_handler,
    service_error_handler,
    step_up_handler,
)
from survey_app.web.fast_path import FastPath
from survey_app.web.fast_post import FastPost
from survey_app.web.guards import (
    PasswordChangeRequired,
    SecondFactorRequired,
    StepUpRequired,
    access_guard,
)
from survey_app.web.middleware import security_headers_hook, session_user_middleware
from survey_app.web.static_assets import NO_COMPRESSION
from survey_app.web.templating import configure_environment

GC_YOUNG_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)


def templates_dir() -> Path:
    """The templates ship as the package survey_app.templates (setup.py maps templates/ to it)."""
    return Path(str(resources.files("survey_app.templates")))


def _is_api(handler: Any) -> bool:
    return all(path.startswith("/api/") for path in handler.paths)


def _document(route_handlers: list[Any], *, pages: bool) -> list[Any]:
    """/schema describes the API's own routes only (issue 17): the staff pages are not an API
    and their list maps the application for an attacker. `pages=True` (the fuzzing test)
    documents every route that does not opt out itself."""
    for handler in route_handlers:
        own = handler.opt.setdefault("documented", handler.include_in_schema)
        handler.include_in_schema = bool(own) and (pages or _is_api(handler))
    return route_handlers


class SurveyApp(Litestar):
    """Litestar, with the respondents' GET requests served by web/fast_path.py first."""

    fast_path: FastPath | None = None
    fast_post: FastPost | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if scope["method"] == "POST" and self.fast_post is not None:
                receive = await self.fast_post(scope, receive, send)
                if receive is None:
                    return
            elif self.fast_path is not None and await self.fast_path(scope, send):
                return
        await super().__call__(scope, receive, send)


def settle_startup_objects() -> None:
    """What importing and building the app made (~175,000 objects) lives as long as the process:
    freeze it out of the cyclic GC, whose full collections otherwise traverse it all (~20-100 ms
    with every request waiting: the respondents' p99), and let young collections run less often
    (a submission allocates a few thousand short-lived containers)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def create_app(
    settings: Settings, engine: Engine[Any] | None = None, *, document_pages: bool = False
) -> Litestar:
    """Build the app. Pass `engine` to share one already started (tests, benchmarks).
    `/schema` documents the API; `document_pages` adds the HTML pages (for the fuzz test)."""
    owns_engine = engine is None
    if engine is None:
        engine = build_engine(settings)
    install_engine(engine)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if owns_engine:
            await start_engine(engine)
        settle_startup_objects()
        stop = asyncio.Event()
        worker = None
        if settings.in_process_worker:
            worker = asyncio.create_task(
                worker_loop(stop, default_worker_name() + ":web", periodic=[daily_purge(settings)])
            )
        try:
            yield
        finally:
            stop.set()
            if worker:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            if owns_engine:
                await stop_engine(engine)

    logging.basicConfig(level=settings.log_level)
    install_log_escaping()
    app = SurveyApp(
        route_handlers=_document(routes.all_routes(), pages=document_pages),
        guards=[access_guard],
        middleware=[DefineMiddleware(session_user_middleware(settings))],
        before_send=[security_headers_hook(settings), log_response],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
            # API clients authenticate with bearer tokens, never cookies, so CSRF cannot apply.
            exclude=["/api/v1/"],
        ),
        template_config=TemplateConfig(
            directory=templates_dir(),
            engine=JinjaTemplateEngine,
            engine_callback=configure_environment,
        ),
        openapi_config=OpenAPIConfig(
            title="满意度调查与绩效评估平台 API", version="1.0.0", path="/schema",
            # JSON and YAML only: the HTML renderers load scripts and fonts from CDNs.
            render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer",
                        description="API 令牌（sat_ 开头），由系统管理员或考核办创建，按权限范围授权",
                    )
                }
            ),
            security=[{"BearerToken": []}],
        ),
        exception_handlers={
            HTTPException: http_exception_handler,
            ServiceError: service_error_handler,
            PasswordChangeRequired: password_change_handler,
            SecondFactorRequired: second_factor_handler,
            StepUpRequired: step_up_handler,
            Exception: internal_error_handler,
        },
        # Phones on weak networks: pages, CSS and JS shrink about 5x with gzip.
        # Respondent pages and static files come precompressed (see page_cache, static_assets).
        compression_config=CompressionConfig(backend="gzip", minimum_size=800,
                                             exclude_opt_key=NO_COMPRESSION),
        request_max_body_size=settings.max_upload_mb * 1024 * 1024,
        lifespan=[lifespan],
        debug=settings.debug,
    )
    app.state.settings = settings
    # Litestar's logging config sets the root logger to INFO; SURVEY_LOG_LEVEL decides.
    logging.getLogger().setLevel(settings.log_level)
    app.fast_path = FastPath(settings, app.template_engine.engine)  # type: ignore[union-attr]
    app.fast_post = FastPost(settings, app.template_engine.engine)  # type: ignore[union-attr]
    return app


def create_app_from_env() -> Litestar:
    """Factory for `uvicorn --factory` and the `serve` command."""
    return create_app(load_settings())
