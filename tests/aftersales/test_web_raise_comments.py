"""The raise form (priority derived from the unit's status and the part's essentiality), comments
with stored attachments (size limit, content-type check), and links to the spares orders a ticket
waits on; the other side is notified."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from setu.aftersales.models import Ticket, TicketAttachment, TicketComment, TicketOrderLink
from setu.kit.access import system_actor
from setu.kit.settings import get_settings
from setu.kit.uow import UnitOfWork
from setu.notifications.models import Notification
from tests.aftersales.test_api import OEM, OFFICER
from tests.support.world import build_world

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _count(engine, model) -> int:
    with UnitOfWork(system_actor("test"), engine=engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_raise_comment_attach_and_link_orders(client, engine, tmp_path, monkeypatch):
    monkeypatch.setenv("SETU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SETU_ATTACHMENT_MAX_BYTES", "2000")
    get_settings.cache_clear()
    try:
        w = build_world(engine)
        client.sign_in_as("rus.oem", **OEM)             # the OEM's user exists: it is notified
        client.sign_in_as("ind.officer", **OFFICER)
        form = client.get("/tickets/new").text
        assert "SN-0" in form and "OEM-1" in form and "DEP-ORG" not in form.split('id="f-supplier"')[1].split("</select>")[0]
        r = client.post("/tickets/new", data={"equipment_unit_id": str(w.unit_ids[0]), "supplier_org_id": str(w.oem_org_id),
                                              "type": "spares", "title": "", "essentiality": "1"}, follow_redirects=False)
        assert r.status_code == 422 and "title: must not be empty" in r.text and _count(engine, Ticket) == 0
        r = client.post("/tickets/new", data={"equipment_unit_id": str(w.unit_ids[0]), "supplier_org_id": str(w.oem_org_id),
                                              "type": "spares", "title": "Fuel pump", "essentiality": "1"},
                        follow_redirects=False)
        assert r.status_code == 303
        tid = r.headers["location"].rsplit("/", 1)[1]
        page = client.get(f"/tickets/{tid}").text
        assert "priority critical" in page                # down for parts + a no-go part
        with UnitOfWork(system_actor("test"), engine=engine) as uow:
            assert uow.session.scalar(select(func.count()).select_from(Notification)
                                      .where(Notification.kind == "assignment")) == 1
        # attachments: the wrong type, a forged PDF and a file too large are refused, nothing stored
        bad = [("x.exe", b"MZ\x90\x00", "application/x-msdownload", "is not accepted"),
               ("x.pdf", b"not a pdf", "application/pdf", "content is not application/pdf"),
               ("big.pdf", b"%PDF-" + b"0" * 3000, "application/pdf", "more than the 2000 bytes")]
        for name, data, ctype, message in bad:
            r = client.post(f"/tickets/{tid}/comments", data={"body": "see file"}, files={"file": (name, data, ctype)})
            assert r.status_code == 422 and message in r.text, (name, r.text[-500:])
        assert _count(engine, TicketComment) == 0 and _count(engine, TicketAttachment) == 0
        r = client.post(f"/tickets/{tid}/comments", data={"body": "Photo of the pump data plate"},
                        files={"file": ("plate.pdf", PDF, "application/pdf")}, follow_redirects=False)
        assert r.status_code == 303
        page = client.get(f"/tickets/{tid}").text
        assert "Photo of the pump data plate" in page and "plate.pdf" in page
        with UnitOfWork(system_actor("test"), engine=engine) as uow:
            a = uow.session.scalar(select(TicketAttachment))
            aid, sha = a.id, a.sha256
        assert (Path(tmp_path / "data" / "attachments" / sha)).read_bytes() == PDF
        got = client.get(f"/tickets/{tid}/attachment", params={"id": str(aid)})
        assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
        assert client.get(f"/tickets/{tid}/attachment", params={"id": "nope"}).status_code == 404
        # the order the ticket waits on
        r = client.post(f"/tickets/{tid}/orders", data={"order_ref": "bad ref!"})
        assert r.status_code == 422 and "order_ref" in r.text and _count(engine, TicketOrderLink) == 0
        r = client.post(f"/tickets/{tid}/orders", data={"order_ref": "PO-2026-0042", "part_number": "FP-17"},
                        follow_redirects=False)
        assert r.status_code == 303 and "PO-2026-0042" in client.get(f"/tickets/{tid}").text
        # the supplier answers with a comment; the officer is told
        client.sign_in_as("rus.oem", **OEM)
        assert client.post(f"/tickets/{tid}/comments", data={"body": "Pump dispatched"},
                           follow_redirects=False).status_code == 303
        client.sign_in_as("ind.officer", **OFFICER)
        page = client.get("/notifications").text
        assert "Comment on ticket &#39;Fuel pump&#39; by rus.oem: Pump dispatched" in page
    finally:
        get_settings.cache_clear()
