"""Notification pages: the bell in every page's header (unread count, via the ``page.header``
contribution), the list of one's notifications with "mark read", and the e-mail preferences."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from setu.adapters.http import needs, read_uow, write_uow
from setu.adapters.pages import contribute, form_data, redirect, render
from setu.kit.uow import UnitOfWork
from setu.notifications import rules, service

router = APIRouter(include_in_schema=False)
NAV: list = []


@contribute("page.header")
def _bell(*, request: Request, actor) -> dict:
    """The unread count for the header's bell (a short read of the signed-in user's own rows)."""
    if actor is None or actor.user_id is None or not actor.can(service.READ):
        return {}
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        return {}
    with UnitOfWork(actor, engine=engine) as uow:
        return {"notifications_unread": service.unread_count(uow)}


@router.get("/notifications", response_class=HTMLResponse, dependencies=[Depends(needs(service.READ))])
def notifications_page(request: Request, uow: UnitOfWork = Depends(read_uow)):
    return render(request, "notifications/list.html", {
        "items": service.my_notifications(uow), "prefs": service.my_preferences(uow), "kinds": rules.KINDS},
        section="notifications")


@router.post("/notifications/read", response_class=HTMLResponse, dependencies=[Depends(needs(service.UPDATE))])
def mark_read(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    """Form field ``id``: one notification; absent: all of them. Follows the link when ``open`` is set."""
    nid = (data.get("id") or "").strip()
    service.mark_read(uow, ids=[nid] if nid else None)
    target = data.get("open") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/notifications")


@router.post("/notifications/preferences", response_class=HTMLResponse,
             dependencies=[Depends(needs(service.UPDATE))])
def preferences(request: Request, data: dict = Depends(form_data), uow: UnitOfWork = write_uow):
    """Checkboxes ``email_<kind>``: the kinds that also come by e-mail."""
    service.set_preferences(uow, email_kinds=[k.removeprefix("email_") for k, v in data.items()
                                              if k.startswith("email_") and v])
    return redirect("/notifications?saved=1")
