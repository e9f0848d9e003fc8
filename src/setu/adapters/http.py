"""The HTTP toolkit every capability's ``api.py`` and ``web.py`` uses; it knows no domain.

- the actor and units of work as FastAPI dependencies (:func:`current_actor`, :func:`read_uow`,
  :func:`write_uow`);
- :func:`needs`: the permission a route declares, checked with the one permission engine
  (:mod:`setu.kit.access`) and recorded on the route for the architecture and authorisation tests;
- errors as RFC 9457 problem+json with field details (:func:`install`, :func:`problem`);
- a hook for recording denied attempts (:data:`security_recorder`), which the composition root
  points at the identity capability's security-event log.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from http import HTTPStatus

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from setu.kit.access import Actor, require
from setu.kit.errors import FieldError, SetuError, Unauthenticated
from setu.kit.inputs import document_no_nul
from setu.kit.uow import UnitOfWork

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

#: The ``Idempotency-Key`` header as the OpenAPI description states it on every write.
IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Send a unique key (e.g. a UUID) to make a retry safe: the same key and body answer the "
                   "stored response with one effect (Idempotency-Replayed: true); another body under the same "
                   "key is 422; a retry while the first is in flight is 409. Keys are kept per user for 24 h.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
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
                for param in op.get("parameters", []):  # query_without_nul
                    if param.get("in") == "query" and "schema" in param:
                        document_no_nul(param["schema"])
                if "requestBody" in op:  # a body that is not JSON at all (FastAPI answers 400)
                    op["responses"].setdefault("400", problem_responses(400)[400])
                    op["responses"].setdefault("413", problem_responses(413)[413])  # setu.adapters.headers
                    op["responses"].setdefault("503", problem_responses(503)[503])  # write lock busy
                if "409" in op.get("responses", {}) and "requestBody" in op and op.get("operationId", "").startswith(
                        ("update_", "set_stock", "record_demand")):  # setu.kit.concurrency
                    op["responses"].setdefault("428", problem_responses(428)[428])
        # every state-changing call accepts Idempotency-Key (setu.kit.idempotency_asgi)
        for ops in spec.get("paths", {}).values():
            for method, op in ops.items():
                if method in ("post", "put", "patch", "delete") and isinstance(op, dict):
                    op.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                    for status in (409, 422):
                        op.setdefault("responses", {}).setdefault(str(status), problem_responses(status)[status])
        # every operation but the health check needs a personal API token (setu.adapters.auth)
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


#: ``recorder(engine, **event)`` queues one security event (kind, actor, permission, object_type,
#: object_id, client, detail) for the background writer. The composition root sets it to the
#: identity capability's recorder; unset (e.g. a bare test app), denials are only logged.
security_recorder: Callable[..., None] | None = None


def record_security_event_safely(engine, **event) -> None:
    """Queue a security event for the background writer (setu.kit.security_events): the request
    never waits for the database's write lock. Never lets a logging failure hide the answer."""
    try:
        if security_recorder is None:
            import logging

            logging.getLogger("setu.security").warning("security event (no recorder): %s", event.get("kind"))
            return
        security_recorder(engine, **event)
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


# -- the actor and units of work -------------------------------------------------------------

def current_actor(request: Request) -> Actor:
    """The signed-in user behind this request (set by :mod:`setu.adapters.auth` from the API token
    or the web session). There is no anonymous actor: without one the request is refused."""
    actor = getattr(request.state, "actor", None)
    if actor is None:
        raise Unauthenticated("sign in first")
    return actor


def read_uow(request: Request) -> Iterator[UnitOfWork]:
    with UnitOfWork(current_actor(request), write=False, engine=request.app.state.engine) as uow:
        yield uow


def _write_uow(request: Request) -> Iterator[UnitOfWork]:
    """The request's write unit of work: committed when the route returns normally, *before* the
    answer is sent (a failed commit is the answer), rolled back when it raises or when the route
    answered with an error page (:func:`setu.adapters.pages.render` with a status >= 400 discards
    it). Routes never commit themselves."""
    with UnitOfWork(current_actor(request), write=True, engine=request.app.state.engine) as uow:
        request.state.uow = uow
        yield uow
        if not uow.committed and not uow.discarded:
            uow.commit()


#: ``uow: UnitOfWork = write_uow`` in a route's signature: the transactional dependency (its exit
#: runs before the response is sent: FastAPI's function scope).
write_uow = Depends(_write_uow, scope="function")


def query_without_nul(request: Request) -> None:
    """Refuse query parameters holding NUL characters (PostgreSQL cannot compare text with them)."""
    from setu.kit.errors import ValidationFailed

    bad = sorted({k for k, v in request.query_params.multi_items() if "\x00" in k or "\x00" in v})
    if bad:
        raise ValidationFailed("query parameters must not contain NUL characters",
                               [FieldError(k.replace("\x00", "\\0"), "must not contain NUL characters") for k in bad])


# -- route permission declarations -----------------------------------------------------------
# ``Depends(needs("catalog.part.read"))`` both checks the actor with the one permission engine
# (setu.kit.access) and records the declaration on the route, where the architecture tests find it.

PERMISSION_ATTR = "setu_permission"


def needs(permission: str) -> Callable[..., Actor]:
    def dependency(request: Request, actor: Actor = Depends(current_actor)) -> Actor:
        request.state.permission = permission
        return require(actor, permission)

    setattr(dependency, PERMISSION_ATTR, permission)
    dependency.__name__ = f"needs_{permission.replace('.', '_')}"
    return dependency


def route_permission(route) -> str | None:
    """The permission a route declares (None when it declares none, or is public)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    stack = list(dependant.dependencies)
    while stack:
        d = stack.pop()
        perm = getattr(d.call, PERMISSION_ATTR, None)
        if perm:
            return perm
        stack.extend(d.dependencies)
    return None


def iter_routes(app) -> list[tuple[str, set[str], object]]:
    """Every HTTP route of the app as (full path, methods, route-like object with ``dependant``).

    Works with routers included into routers (FastAPI wraps them; their effective contexts
    carry the full path)."""
    from fastapi.routing import APIRoute

    out: list[tuple[str, set[str], object]] = []
    for r in app.routes:
        if isinstance(r, APIRoute):
            out.append((r.path, set(r.methods or ()), r))
        elif hasattr(r, "effective_route_contexts"):
            for c in r.effective_route_contexts():
                out.append((c.path, set(c.methods or ()), c))
    return out
