"""Errors that adapters turn into problem+json (API), form messages (web) or exit code 2 (CLI)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    message: str
    row: int | None = None

    def __str__(self) -> str:
        if self.row is not None:
            return f"row {self.row}, column {self.field}: {self.message}"
        return f"{self.field}: {self.message}"


class SetuError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class ValidationFailed(SetuError):
    status = 422
    title = "Validation failed"


class NotFound(SetuError):
    status = 404
    title = "Not found"


class Conflict(SetuError):
    status = 409
    title = "Conflict"


class PreconditionRequired(SetuError):
    """An update of an existing record that does not say which version it read (RFC 6585)."""

    status = 428
    title = "Precondition required"


class Busy(SetuError):
    """The database's write lock could not be had in time; the client may retry (503 + Retry-After)."""

    status = 503
    title = "Busy"
    retry_after_s = 2


class PermissionDenied(SetuError):
    status = 403
    title = "Forbidden"

    def __init__(self, detail: str, errors: list[FieldError] | None = None, *, permission: str | None = None):
        super().__init__(detail, errors)
        self.permission = permission


class Unauthenticated(SetuError):
    status = 401
    title = "Sign in required"


@dataclass
class ErrorList:
    """Collects every error of a batch (an import, a form) before failing once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, message: str, row: int | None = None) -> None:
        self.errors.append(FieldError(field_name, message, row))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self, detail: str = "The input has errors") -> None:
        if self.errors:
            raise ValidationFailed(f"{detail}: {len(self.errors)} error(s)", list(self.errors))
