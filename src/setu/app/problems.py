"""Errors as RFC 9457 problem+json, with field details."""
from __future__ import annotations

import re
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from setu.kit.errors import FieldError, SetuError
from setu.kit.inputs import document_no_nul

PROBLEM_JSON = "application/problem+json"


class ProblemFieldError(BaseModel):
    """One field's error in a problem (``row`` for errors of an imported row)."""

    field: str = Field(..., description="the field (dotted for nested fields), or 'body'")
    message: str
    row: int | None = Field(None, description="row number of an imported file")


class ProblemDetails(BaseModel):
    """An error as RFC 9457 problem details, with the fields at fault."""

    type: str = "about:blank"
    title: str
    status: int = Field(..., ge=400, le=599)
    detail: str
    errors: list[ProblemFieldError] | None = Field(None, description="present when fields are at fault")


_DESCRIPTIONS = {
    400: "Bad request: the body could not be read as JSON",
    401: "Sign in required",
    403: "Forbidden: the actor lacks the permission, or the record is maintained by the other party",
    404: "Not found (or not visible to the actor)",
    409: "Conflict: already exists, stale version, or a constraint of the stored data",
    422: "Validation failed; `errors` names each field at fault",
    413: "Content too large: the request body is over the configured limit",
    428: "Precondition required: send the `version` you read (or an If-Match header) to update a record",
    503: "Busy: the database's write lock could not be had in time; retry after `Retry-After` seconds",
}


def problem_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI ``responses`` for error statuses a route answers with problem+json.

    Use on routers and routes: ``responses=problem_responses(404, 409)``.
    """
    return {
        s: {"description": _DESCRIPTIONS.get(s, HTTPStatus(s).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}}
        for s in statuses
    }

_FIELD_PREFIX = re.compile(r"^(?:Value error, )?([a-z_]+): (.*)$", re.S)


def pydantic_field_errors(errors: list[dict]) -> list[FieldError]:
    """Turn pydantic error dicts into FieldErrors; a model-level message 'field: text' goes to that field."""
    out = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path")]
        msg = str(e.get("msg", "invalid"))
        msg = msg.removeprefix("Value error, ")
        field = ".".join(loc)
        m = _FIELD_PREFIX.match(msg)
        if m and (not field or field == "__root__"):
            field, msg = m.group(1), m.group(2)
        out.append(FieldError(field or "body", msg))
    return out


def problem(status: int, title: str, detail: str, errors: list[FieldError] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message, **({"row": e.row} if e.row else {})} for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _allowed_methods(request: Request) -> set[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    from starlette.routing import compile_path

    from setu.app.permissions import iter_routes

    path = request.url.path
    methods: set[str] = set()
    for template, route_methods, _ in iter_routes(request.app):
        if compile_path(template)[0].match(path):
            methods |= route_methods
    return methods


def _problem_openapi(app: FastAPI) -> None:
    """Describe errors as they are served: ProblemDetails components, 422 as problem+json everywhere."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        spec = generate()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        found = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(found.pop("$defs", {}))
        schemas["ProblemDetails"] = found
        for ops in spec.get("paths", {}).values():
            for op in ops.values():
                if not isinstance(op, dict):
                    continue
                if "422" in op.get("responses", {}):
                    op["responses"]["422"] = problem_responses(422)[422]
                for param in op.get("parameters", []):  # setu.app.deps.query_without_nul
                    if param.get("in") == "query" and "schema" in param:
                        document_no_nul(param["schema"])
                if "requestBody" in op:  # a body that is not JSON at all (FastAPI answers 400)
                    op["responses"].setdefault("400", problem_responses(400)[400])
                    op["responses"].setdefault("413", problem_responses(413)[413])  # setu.kit.headers
                    op["responses"].setdefault("503", problem_responses(503)[503])  # write lock busy
                if "409" in op.get("responses", {}) and "requestBody" in op and op.get("operationId", "").startswith(
                        ("update_", "set_stock", "record_demand")):  # setu.kit.concurrency
                    op["responses"].setdefault("428", problem_responses(428)[428])
        # every operation but the health check needs a personal API token (setu.app.auth)
        spec["components"]["securitySchemes"] = {"bearerToken": {
            "type": "http", "scheme": "bearer",
            "description": "A personal API token (`setu_...`): your account page or `setu user token create`."}}
        spec["security"] = [{"bearerToken": []}]
        for path, ops in spec.get("paths", {}).items():
            for op in ops.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                if path == "/health":
                    op["security"] = []
                else:
                    op["responses"].setdefault("401", problem_responses(401)[401])
        if "/HTTPValidationError'" not in str(spec.get("paths")):  # FastAPI's 422 body, no longer served
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def record_security_event_safely(engine, **event) -> None:
    """Queue a security event for the background writer (setu.kit.security_events): the request
    never waits for the database's write lock. Never lets a logging failure hide the answer."""
    try:
        from setu.identity.auth import queue_security_event

        queue_security_event(engine, **event)
    except Exception:  # pragma: no cover - the denial itself must still be answered
        import logging

        logging.getLogger("setu.security").exception("could not record a security event")


def record_denial(request: Request, exc: SetuError) -> None:
    """Write a denied attempt (401/403) as a security event."""
    from setu.kit.errors import PermissionDenied, Unauthenticated

    if not isinstance(exc, (PermissionDenied, Unauthenticated)):
        return
    record_security_event_safely(
        request.app.state.engine,
        kind="authz_denied" if isinstance(exc, PermissionDenied) else "authn_required",
        actor=getattr(request.state, "actor", None),
        permission=getattr(exc, "permission", None) or getattr(request.state, "permission", None),
        object_type=request.method, object_id=request.url.path[:64],
        client=request.client.host if request.client else None, detail=exc.detail[:500])


def install(app: FastAPI) -> None:
    _problem_openapi(app)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Routing errors (no such path, method not allowed) as problem+json, keeping their headers."""
        try:
            title = HTTPStatus(exc.status_code).phrase
        except ValueError:
            title = "Error"
        response = problem(exc.status_code, title, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["allow"] = ", ".join(sorted(_allowed_methods(request)))
        return response

    @app.exception_handler(SetuError)
    async def _setu(request: Request, exc: SetuError) -> JSONResponse:
        record_denial(request, exc)
        response = problem(exc.status, exc.title, exc.detail, exc.errors)
        if getattr(exc, "retry_after_s", None):  # 503 Busy (setu.kit.uow)
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = pydantic_field_errors(list(exc.errors()))
        return problem(422, "Validation failed", "; ".join(f"{e.field}: {e.message}" for e in errs), errs)

    @app.exception_handler(ValidationError)
    async def _model(_: Request, exc: ValidationError) -> JSONResponse:
        errs = pydantic_field_errors(list(exc.errors()))
        return problem(422, "Validation failed", "; ".join(f"{e.field}: {e.message}" for e in errs), errs)
