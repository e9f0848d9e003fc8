"""Web pages: the Jinja2 environment, page helpers, forms, charts, exports and error pages.

``install(app, ...)`` (called by the composition root, :func:`setu.app.main.create_app`) includes
every capability's web router (``setu.<cap>.web.router``, found by the registry), so each page
lives next to its capability; this module knows no domain. Pages are rendered on
the server with Jinja2 + Bootstrap 5; htmx does the small interactions (search as you type, chart
refresh); Plotly draws charts from a JSON figure embedded in the page. Every vendor file is served
from ``/static/vendor`` (filled by ``scripts/install_assets.py``), never from a CDN.

Forms are POST-redirect-GET. They all open with the ``form_open`` macro of
``_macros.html``, which emits :func:`csrf_field` (the session's CSRF token), and every POST route
reads its form through :func:`form_data`, which checks that token: the one place of each.
"""
from __future__ import annotations

import logging

import hmac
import json
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

import setu
from setu.adapters.http import current_actor, needs, pydantic_field_errors
from setu.kit.errors import FieldError, NotFound, PermissionDenied, SetuError
from setu.kit.uow import UnitOfWork

ADAPTERS_DIR = Path(__file__).resolve().parent
STATIC_DIR = ADAPTERS_DIR / "static"

@dataclass(frozen=True)
class NavEntry:
    """One entry of the navigation: label, address, section key, and the permission its page needs
    (a signed-in user sees only the entries they may open). Each capability's ``web.py`` declares
    its entries as ``NAV``; the registry orders them."""

    label: str
    href: str
    section: str
    permission: str
    #: position in the navigation bar (lower first); ties keep the registry's order
    order: int = 100
    #: the menu it sits in ("" for an entry of its own on the bar); see :data:`NAV_GROUPS`
    group: str = ""

    def __iter__(self):  # templates unpack (label, href, section, permission)
        return iter((self.label, self.href, self.section, self.permission))


#: The navigation, set by :func:`install` from the capabilities' ``NAV`` entries.
NAV: list[NavEntry] = []

#: The menus of the bar, in the order they appear after the entries of their own that come first
#: (a group sits where its first entry's ``order`` puts it). Nine capabilities' pages do not fit on
#: one bar at 1440 px: each menu holds one area of work.
NAV_GROUPS = ("Catalog & fleet", "Planning", "Programme", "Service", "Administration")


def nav_groups(actor: Any) -> list[tuple[str, list[NavEntry]]]:
    """The bar for ``actor``: ``[(group, entries)]`` in bar order, only what ``actor`` may open,
    groups left empty dropped; ``group`` is "" for an entry standing on its own."""
    out: list[tuple[str, list[NavEntry]]] = []
    index: dict[str, int] = {}
    for e in NAV:
        if not actor.can(e.permission):
            continue
        if not e.group:
            out.append(("", [e]))
        elif e.group in index:
            out[index[e.group]][1].append(e)
        else:
            index[e.group] = len(out)
            out.append((e.group, [e]))
    return out

#: Labels and colours of status values for :func:`status_badge`; capabilities add theirs with
#: :func:`register_status_labels`.
STATUS_LABELS: dict[str, tuple[str, str]] = {}


def register_status_labels(labels: dict[str, tuple[str, str]]) -> None:
    """Add ``{status: (label, Bootstrap colour)}`` for the ``status_badge`` filter."""
    STATUS_LABELS.update(labels)


# -- Jinja2 environment ----------------------------------------------------------------------

def _static_version() -> str:
    """A cache-busting token for local static files (changes when the files do)."""
    stamp = 0.0
    for sub in ("css", "js", "vendor"):
        d = STATIC_DIR / sub
        if d.is_dir():
            for p in d.rglob("*"):
                if p.is_file():
                    stamp = max(stamp, p.stat().st_mtime)
    return f"{setu.__version__}-{int(stamp)}"


_rendering: ContextVar[Request | None] = ContextVar("setu_rendering", default=None)
CSRF_FIELD = "csrf_token"


def csrf_field() -> Markup:
    """Hidden CSRF field of every form: the token of the web session being served."""
    request = _rendering.get()
    token = getattr(request.state, "csrf_token", None) if request is not None else None
    if not token:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def humanize(value: Any) -> str:
    if value is None:
        return "—"
    return str(value).replace("_", " ").capitalize()


def fmt_num(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):,.{digits}f}" if digits else f"{round(float(value)):,}"
    except (TypeError, ValueError):
        return str(value)


def fmt_money(value: Decimal | float | None, currency: str = "") -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f} {currency}".strip()


def indian_grouping() -> bool:
    """Does the request being rendered ask for the Indian grouping of amounts (``?grouping=indian``,
    or the ``setu_grouping=indian`` cookie the pages set when the user chooses it)?"""
    request = _rendering.get()
    if request is None:
        return False
    return (request.query_params.get("grouping") or request.cookies.get("setu_grouping") or "") == "indian"


def fmt_amount(value: Decimal | None, currency: str = "", digits: int = 2, show: bool = True) -> str:
    """An exact amount with its currency. INR is grouped in lakh and crore (12,34,56,789.00, Babel's
    en_IN pattern) when the user asks for the Indian grouping; otherwise thousands (1,234,567.00)."""
    if value is None:
        return "—"
    d = Decimal(value).quantize(Decimal(1).scaleb(-digits))
    if currency == "INR" and indian_grouping():
        from babel.numbers import format_decimal

        text = format_decimal(d, format="#,##,##0." + "0" * digits if digits else "#,##,##0", locale="en_IN",
                              decimal_quantization=False)
    else:
        text = f"{d:,.{digits}f}"
    return f"{text} {currency}".strip() if show else text


def status_badge(status: str) -> Markup:
    label, colour = STATUS_LABELS.get(status, (humanize(status), "secondary"))
    return Markup('<span class="badge text-bg-{}">{}</span>').format(colour, label)


def url_with(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters replaced (None removes one)."""
    params = dict(request.query_params)
    for k, v in changes.items():
        if v is None or v == "":
            params.pop(k, None)
        else:
            params[k] = v
    q = urlencode(params)
    return f"{request.url.path}?{q}" if q else request.url.path


def export_url(resource: str, fmt: str, **filters: Any) -> str:
    """Link to the CSV / Excel export of a list with the filters on screen (blank ones dropped)."""
    params = {k: v for k, v in filters.items() if v not in (None, "")}
    return f"/export/{resource}?" + urlencode({"format": fmt, **params})


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">``: every ``<``, ``>`` and ``&`` (and the
    JavaScript line separators) is written as a ``\\uXXXX`` escape, so no text in the data (``</script>``,
    ``<!--<script>``) can end or re-open the element; ``JSON.parse`` gives back the same value."""
    return (json.dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def plotly_chart(figure: dict, *, chart_id: str, height: int = 360, label: str = "chart") -> Markup:
    """A ``<div>`` that setu.js turns into a Plotly chart (plotly.min.js served locally)."""
    fig = {"data": figure.get("data", []), "layout": {"height": height, **figure.get("layout", {})}}
    payload = script_json(fig)
    return Markup(
        '<div class="setu-chart" id="{}" role="img" aria-label="{}" style="min-height:{}px">'
        '<script type="application/json" class="setu-figure">{}</script></div>'
    ).format(chart_id, label, height, Markup(payload))


def _make_env() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(ADAPTERS_DIR / "templates"))]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        app_name="Setu", version=setu.__version__, nav=NAV, nav_groups=nav_groups, csrf_field=lambda: csrf_field(), url_with=url_with,
        static_version=_static_version(), status_labels=STATUS_LABELS, plotly_chart=plotly_chart,
        export_url=export_url, exports_enabled=False,
    )
    env.filters.update(humanize=humanize, num=fmt_num, money=fmt_money, amount=fmt_amount, status_badge=status_badge)
    env.globals.update(indian_grouping=indian_grouping)
    return env


env = _make_env()


def add_template_dirs(dirs: Iterable[Path]) -> None:
    """Let the environment find the capabilities' templates (``<cap>/templates/<cap>/...``)."""
    known = {str(d) for loader in env.loader.loaders for d in getattr(loader, "searchpath", [])}
    for d in dirs:
        if d.is_dir() and str(d) not in known:
            env.loader.loaders.append(FileSystemLoader(str(d)))


def render(request: Request, template: str, context: dict | None = None, *, status_code: int = 200,
           section: str | None = None) -> HTMLResponse:
    actor = getattr(request.state, "actor", None)
    uow = getattr(request.state, "uow", None)
    if status_code >= 400 and uow is not None:
        uow.discard()  # an error page keeps nothing of what the failed step flushed
    ctx = {"request": request, "section": section, "saved": request.query_params.get("saved"), "me": actor,
           **_header(request, actor), **(context or {})}
    token = _rendering.set(request)
    try:
        return HTMLResponse(env.get_template(template).render(ctx), status_code=status_code)
    finally:
        _rendering.reset(token)


def _header(request: Request, actor: Any) -> dict:
    """What later capabilities add to every page's header (slot ``page.header``: the notification
    bell's unread count); a contributor that fails leaves the header without it."""
    try:
        return contributions("page.header", request=request, actor=actor)
    except Exception:  # the page itself must still render
        logging.getLogger("setu.adapters.pages").exception("page header contribution failed")
        return {}


def redirect(url: str) -> RedirectResponse:
    """The R of POST-redirect-GET."""
    return RedirectResponse(url, status_code=303)


def parse_id(value: str, what: str) -> uuid.UUID:
    """A path id, or 404 (a malformed id is as unknown as a missing one)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"{what} {value} not found") from None


def optional_id(value: str | None) -> uuid.UUID | None:
    """A filter id from the query string; blank or malformed means no filter."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# -- forms -----------------------------------------------------------------------------------

@dataclass
class FormField:
    """One field of a form, as the generic form template renders it."""

    name: str
    label: str
    kind: str = "text"  # text | number | select | textarea
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    help: str = ""
    step: str | None = None
    placeholder: str = ""
    nullable: bool = False  # on edit, a blank value clears the field (None)
    readonly: bool = False
    cast: Callable[[str], Any] | None = None  # e.g. int for a Literal[1, 2] the schema will not coerce


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as a plain dict of strings (dependency of every POST route of the web).

    Checks the CSRF token of a cookie session (a request that carries an API token has no ambient
    credential a foreign page could ride on, and needs none)."""
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    sent = data.pop(CSRF_FIELD, "")
    if getattr(request.state, "auth_via", None) == "session":
        expected = getattr(request.state, "csrf_token", None) or ""
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise PermissionDenied("the form's security token is missing or out of date: reload the page and "
                                   "submit it again", permission="csrf")
    return data


def _friendly(message: str) -> str:
    m = message.removeprefix("Value error, ")
    if m == "Field required" or m == "String should have at least 1 character":
        return "This field is required."
    if m.startswith("Input should be a valid number"):
        return "Enter a number."
    if m.startswith("Input should be a valid integer"):
        return "Enter a whole number."
    if m.startswith("Input should be a valid UUID"):
        return "Choose a value from the list."
    return m[:1].upper() + m[1:]


@dataclass
class FormErrors:
    """Errors of a submitted form: one message per field, and messages about the whole form."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, errors: Iterable[FieldError], known: Iterable[str], detail: str = "") -> None:
        known = set(known)
        for e in errors:
            name = e.field.split(".")[0]
            if name in known:
                self.fields.setdefault(name, _friendly(e.message))
            else:
                self.general.append(_friendly(f"{e.field}: {e.message}" if e.field not in ("body", "") else e.message))
        if not self.fields and not self.general and detail:
            self.general.append(detail)

    @classmethod
    def from_exception(cls, exc: Exception, known: Iterable[str]) -> "FormErrors":
        out = cls()
        if isinstance(exc, ValidationError):
            out.add(pydantic_field_errors(list(exc.errors())), known)
        elif isinstance(exc, SetuError):
            out.add(exc.errors, known, exc.detail)
            if exc.errors and not out.fields and exc.detail not in out.general:
                out.general.insert(0, exc.detail)
        else:  # pragma: no cover - programming error
            raise exc
        return out


def clean_form(data: dict[str, str], fields: Iterable[FormField], *, partial: bool,
               extra: Iterable[str] = ()) -> dict[str, Any]:
    """Form strings to the keyword arguments of a pydantic schema.

    Only the form's own fields are taken. On create (``partial=False``) a blank field is left out
    so the schema's default (or its "required" message) applies; on edit a blank nullable field
    becomes None (clears it) and a blank required one stays blank so the schema reports it.
    """
    out: dict[str, Any] = {}
    for f in fields:
        if f.readonly:
            continue
        raw = data.get(f.name, "")
        raw = raw.strip() if isinstance(raw, str) else raw
        if raw == "":
            if not partial:
                continue
            out[f.name] = None if f.nullable else ""
        else:
            if f.cast is not None:
                try:
                    raw = f.cast(raw)
                except (TypeError, ValueError):
                    pass  # the schema reports the bad value
            out[f.name] = raw
    for name in extra:
        if data.get(name, "").strip():
            out[name] = data[name].strip()
    return out


def run_form(schema: type[BaseModel], values: dict[str, Any], action: Callable[[BaseModel], Any],
             known: Iterable[str]) -> tuple[Any, FormErrors]:
    """Validate ``values`` with ``schema`` and call ``action``; collect every error for the form."""
    try:
        data = schema(**values)
        return action(data), FormErrors()
    except (ValidationError, SetuError) as exc:
        if isinstance(exc, SetuError) and exc.status in (403, 404) and not exc.errors:
            raise
        return None, FormErrors.from_exception(exc, known)


def render_form(request: Request, *, title: str, action: str, fields: list[FormField], values: dict[str, Any],
                errors: FormErrors | None = None, cancel_url: str, section: str | None = None,
                submit: str = "Save", hidden: dict[str, Any] | None = None, intro: str = "") -> HTMLResponse:
    return render(request, "form_page.html", {
        "title": title, "action": action, "fields": fields, "values": values, "errors": errors or FormErrors(),
        "cancel_url": cancel_url, "submit": submit, "hidden": hidden or {}, "intro": intro,
    }, status_code=422 if errors else 200, section=section)


def save_edit_form(request: Request, uow: UnitOfWork, *, schema: type[BaseModel], data: dict[str, Any],
                   fields: Callable[[], list[FormField]], call: Callable[[BaseModel], Any], title: str,
                   base_url: str, section: str) -> Response:
    """The POST half of an edit page: validate and save, commit and redirect to ``base_url``; or show
    the form again with every error next to its field and the user's input kept."""
    current = fields()
    _, errors = run_form(schema, clean_form(data, current, partial=True, extra=["version"]), call,
                         [f.name for f in current])
    if errors:
        return render_form(request, title=title, action=f"{base_url}/edit", fields=fields(), values=data,
                           errors=errors, hidden={"version": data.get("version", "")}, cancel_url=base_url,
                           section=section)
    return redirect(f"{base_url}?saved=1")  # the request's unit of work commits before the answer


def model_values(obj: Any, fields: Iterable[FormField]) -> dict[str, Any]:
    """An object's current values as the strings a form shows."""
    out = {}
    for f in fields:
        v = getattr(obj, f.name, None)
        if v is None:
            out[f.name] = ""
        elif isinstance(v, float) and v.is_integer():
            out[f.name] = str(int(v)) if f.name != "condemnation_rate" else str(v)
        else:
            out[f.name] = str(v)
    return out


# -- contributions: what a later capability adds to an earlier one's page ----------------------

#: slot -> functions ``fn(**facts) -> dict`` whose results join a page's template context. An
#: earlier capability's page (catalog's part page) shows what a later one knows (fleet's stock at
#: each site) without importing it: the later capability's web module registers with
#: :func:`contribute` (the registry imports every web module before serving), the page asks
#: :func:`contributions`. Without the later capability, the page renders its own defaults.
_CONTRIBUTIONS: dict[str, dict[str, Callable[..., dict]]] = {}


def contribute(slot: str) -> Callable[[Callable[..., dict]], Callable[..., dict]]:
    """``@contribute("catalog.part")`` on ``def fn(*, uow, part) -> dict`` (context for the page)."""
    def mark(fn: Callable[..., dict]) -> Callable[..., dict]:
        _CONTRIBUTIONS.setdefault(slot, {})[f"{fn.__module__}.{fn.__qualname__}"] = fn
        return fn

    return mark


def contributions(slot: str, **facts: Any) -> dict:
    """The context every contributor to ``slot`` adds, given the page's ``facts``."""
    out: dict = {}
    for fn in _CONTRIBUTIONS.get(slot, {}).values():
        out.update(fn(**facts))
    return out


# -- exports (CSV / Excel of every list) ------------------------------------------------------

def export_router(exporter: Any) -> APIRouter:
    """``GET /export/<resource>?format=csv|xlsx&<filters>``: one route per exportable list, each
    declaring the permission of what it exports. ``exporter`` offers ``EXPORTS`` (resource ->
    spec with ``permission`` and ``filters``), ``export_rows``, ``export_bytes`` and
    ``export_filename`` (the capabilities' tables, gathered by the registry)."""
    from fastapi.responses import StreamingResponse

    from setu.kit import tabular
    from setu.kit.errors import ValidationFailed

    router = APIRouter(include_in_schema=False)

    def add(resource: str, spec: Any) -> None:
        @router.get(f"/export/{resource}", name=f"export_{resource}",
                    dependencies=[Depends(needs(spec.permission))])
        def export(request: Request, format: str = "csv"):
            if format not in tabular.FORMATS:
                raise ValidationFailed("unknown format", [FieldError("format", f"use one of {', '.join(tabular.FORMATS)}")])
            filters = {k: v for k, v in request.query_params.items() if k in spec.filters and v}
            actor, engine = current_actor(request), request.app.state.engine
            headers = {"Content-Disposition": f'attachment; filename="{exporter.export_filename(resource, format)}"'}
            with UnitOfWork(actor, engine=engine) as uow:
                if format == "xlsx":
                    body = b"".join(exporter.export_bytes(uow, resource, filters, fmt=format))
                    return Response(body, media_type=tabular.MEDIA_TYPES[format], headers=headers)
                exporter.export_rows(uow, resource, filters)  # bad filters fail here, as a page

            def stream():
                with UnitOfWork(actor, engine=engine) as uow:
                    yield from exporter.export_bytes(uow, resource, filters, fmt=format)

            return StreamingResponse(stream(), media_type=tabular.MEDIA_TYPES[format], headers=headers)

    for resource, spec in exporter.EXPORTS.items():
        add(resource, spec)
    return router


# -- error pages -----------------------------------------------------------------------------

def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/static/", "/health")):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "*/*" in accept or not accept


def _error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "title": title, "detail": detail},
                  status_code=status)


def install(app: FastAPI, *, routers: Iterable[APIRouter], nav: Iterable[NavEntry], template_dirs: Iterable[Path],
            exporter: Any | None = None) -> None:
    """Add the web pages to the app: the capabilities' routers (in the registry's order), their
    navigation and templates, the export routes, and HTML error pages."""
    NAV[:] = sorted(nav, key=lambda e: e.order)
    unknown = sorted({e.group for e in NAV if e.group and e.group not in NAV_GROUPS})
    if unknown:
        raise ValueError(f"navigation groups {unknown} are not among {NAV_GROUPS}")
    env.globals["nav"] = NAV
    add_template_dirs(template_dirs)
    env.globals["exports_enabled"] = exporter is not None
    if exporter is not None:
        app.include_router(export_router(exporter))
    for router in routers:
        app.include_router(router)

    api_setu = app.exception_handlers.get(SetuError)
    api_request = app.exception_handlers.get(RequestValidationError)
    api_http = app.exception_handlers.get(StarletteHTTPException)

    @app.exception_handler(SetuError)
    async def _setu(request: Request, exc: SetuError) -> Response:
        if not _wants_html(request) and api_setu is not None:
            return await api_setu(request, exc)
        from setu.adapters.http import record_denial

        record_denial(request, exc)
        detail = exc.detail if exc.status != 404 else "There is nothing here, or you may not see it."
        page = _error_page(request, exc.status, exc.title, detail)
        if getattr(exc, "retry_after_s", None):  # 503 Busy: the write lock could not be had in time
            page.headers["Retry-After"] = str(exc.retry_after_s)
        return page

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> Response:
        if not _wants_html(request) and api_request is not None:
            return await api_request(request, exc)
        errs = pydantic_field_errors(list(exc.errors()))
        return _error_page(request, 400, "Bad request", "; ".join(f"{e.field}: {e.message}" for e in errs))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _wants_html(request):
            if api_http is not None:  # problem+json (setu.adapters.http)
                return await api_http(request, exc)
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        titles = {404: "Not found", 405: "Method not allowed"}
        detail = "There is nothing at this address." if exc.status_code == 404 else str(exc.detail)
        return _error_page(request, exc.status_code, titles.get(exc.status_code, "Error"), detail)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        # Starlette still logs and re-raises the exception; this only chooses what the user sees.
        if not _wants_html(request):
            from fastapi.responses import PlainTextResponse

            return PlainTextResponse("Internal Server Error", status_code=500)
        return _error_page(request, 500, "Something went wrong",
                           "The page could not be shown. Nothing was changed; please try again.")
