"""Errors as RFC 9457 problem+json, with field details."""
from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from setu.kit.errors import FieldError, SetuError

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
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    @app.exception_handler(SetuError)
    async def _setu(_: Request, exc: SetuError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = pydantic_field_errors(list(exc.errors()))
        return problem(422, "Validation failed", "; ".join(f"{e.field}: {e.message}" for e in errs), errs)

    @app.exception_handler(ValidationError)
    async def _model(_: Request, exc: ValidationError) -> JSONResponse:
        errs = pydantic_field_errors(list(exc.errors()))
        return problem(422, "Validation failed", "; ".join(f"{e.field}: {e.message}" for e in errs), errs)
