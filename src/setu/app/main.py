"""Composition root: builds the FastAPI app (JSON API under /api/v1, web pages, static files)
from the capabilities of :mod:`setu.app.registry`."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import text
from sqlalchemy.engine import Engine

import setu
from setu.adapters import auth, http, pages, static_files
from setu.adapters import jobs as job_pages
from setu.app import registry
from setu.kit import jobs
from setu.kit.db import get_engine
from setu.kit.idempotency_asgi import IdempotencyMiddleware


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """Run the background-job consumer of this server (``SETU_JOBS_WORKERS`` threads; 0: jobs are
    run by a standalone consumer, ``python -m setu.kit.jobs``). One consumer per process: a second
    app in the same process (tests) uses the running one."""
    try:
        started = jobs.start_consumer(app.state.engine, workers=app.state.jobs_workers) is not None
    except RuntimeError:  # already running in this process
        started = False
    try:
        yield
    finally:
        if started:
            jobs.stop_consumer()


def create_app(engine: Engine | None = None, *, capabilities: tuple[str, ...] = registry.CAPABILITIES,
               jobs_workers: int | None = None) -> FastAPI:
    """The app of ``capabilities`` (the registry's list by default). ``jobs_workers``: threads of
    the job consumer its lifespan starts (default ``SETU_JOBS_WORKERS``; 0: none, jobs stay queued
    for a standalone consumer)."""
    from setu.identity import auth as identity_auth

    registry.load_policies(capabilities)
    app = FastAPI(
        title="Setu API",
        version=setu.__version__,
        description=("Setu: catalog & fleet, forecasting, readiness, localisation, orders, after-sales service "
                     "and the support ledger of two partner countries."),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from the project's own Swagger UI files (offline)
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.engine = engine or get_engine()
    app.state.jobs_workers = jobs_workers
    http.install(app)
    http.security_recorder = identity_auth.queue_security_event
    # Idempotency-Key on every state-changing API call; added before authentication, so it runs
    # inside it and knows the caller (Starlette: the middleware added last is the outermost)
    app.add_middleware(IdempotencyMiddleware, engine=app.state.engine)
    auth.install(app, identity_auth.resolve_caller)

    from setu.kit.concurrency import read_if_match

    api = APIRouter(prefix="/api/v1", dependencies=[Depends(http.query_without_nul), Depends(read_if_match)])
    for r in (*registry.api_routers(capabilities), job_pages.api_router):
        api.include_router(r)
    app.include_router(api)

    @app.get("/health", tags=["meta"], include_in_schema=True)
    def health() -> dict:
        with app.state.engine.connect() as c:
            c.execute(text("select 1"))
        from setu.kit import security_events  # what could not be recorded is counted, not hidden

        return {"status": "ok", "version": setu.__version__, "security_events": security_events.stats(app.state.engine)}

    @app.get("/api/v1/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(pages.env.get_template("api_docs.html").render(openapi_url=app.openapi_url))

    web = registry.web_modules(capabilities)
    pages.install(app, routers=[*(m.router for m in web), job_pages.web_router], nav=[e for m in web for e in getattr(m, "NAV", ())],
                  template_dirs=registry.template_dirs(capabilities), exporter=registry.exporter())
    _check_permissions(app)
    pages.STATIC_DIR.mkdir(exist_ok=True)
    app.mount("/static", static_files.static_app(pages.STATIC_DIR), name="static")
    from setu.adapters import headers
    from setu.kit import settings  # outermost: security headers and the body limit (docs/security.md)

    headers.install(app, max_body_bytes=settings.get_settings().max_body_bytes,
                    max_upload_bytes=settings.get_settings().max_upload_bytes)
    return app


def _check_permissions(app: FastAPI) -> None:
    """Every permission a route or the navigation names is declared (a typo fails at start-up)."""
    from setu.kit.access import permission

    for _, _, route in http.iter_routes(app):
        name = http.route_permission(route)
        if name:
            permission(name)
    for entry in pages.NAV:
        permission(entry.permission)
