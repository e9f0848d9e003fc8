"""Composition root: builds the FastAPI app (JSON API under /api/v1, web pages, static files)."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.engine import Engine

import setu
from setu.app import auth, problems
from setu.app.deps import query_without_nul
from setu.kit.db import get_engine

STATIC_DIR = Path(__file__).resolve().parent / "static"


OPTIONAL_API = ("setu.demand.forecast_api", "setu.readiness.api")


def _optional_routers() -> list[APIRouter]:
    """API routers of capabilities that live in their own modules (present in this build)."""
    import importlib

    out = []
    for name in OPTIONAL_API:
        try:
            out.append(importlib.import_module(name).router)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return out


def create_app(engine: Engine | None = None) -> FastAPI:
    from setu.catalog.api import router as catalog_api
    from setu.demand.api import router as demand_api
    from setu.fleet.api import router as fleet_api
    from setu.identity.api import router as identity_api

    app = FastAPI(
        title="Setu API",
        version=setu.__version__,
        description="Catalog & fleet, forecasting and readiness for two partner countries.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.engine = engine or get_engine()
    problems.install(app)
    auth.install(app)

    from setu.kit.concurrency import read_if_match

    api = APIRouter(prefix="/api/v1", dependencies=[Depends(query_without_nul), Depends(read_if_match)])
    for r in (identity_api, catalog_api, fleet_api, demand_api, *_optional_routers()):
        api.include_router(r)
    app.include_router(api)

    @app.get("/health", tags=["meta"], include_in_schema=True)
    def health() -> dict:
        with app.state.engine.connect() as c:
            c.execute(text("select 1"))
        from setu.kit import security_events  # what could not be recorded is counted, not hidden

        return {"status": "ok", "version": setu.__version__, "security_events": security_events.stats(app.state.engine)}

    try:
        from setu.app.web import install as install_web
    except ImportError:  # web pages not installed in this build
        install_web = None
    if install_web is not None:
        install_web(app)
    STATIC_DIR.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    from setu.kit import headers, settings  # outermost: security headers and the body limit (docs/security.md)
    headers.install(app, max_body_bytes=settings.get_settings().max_body_bytes, max_upload_bytes=settings.get_settings().max_upload_bytes)
    return app
