"""The order, dispatch advice and invoice as Excel and PDF: both parties, the lines, the total in
figures and in words (the PDF drawn to PNG has ink); a document the order has not reached is 409."""
from __future__ import annotations

import io
from decimal import Decimal

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from setu.adapters.pdf import page_png, page_text
from setu.orders import service
from tests.orders.world import act, make_world, rfq, to_acknowledged
from tests.support.auth import ensure_user, token_for


def test_amount_in_words():
    assert service.amount_in_words(Decimal("1599.96"), "USD") == \
        "US dollars one thousand, five hundred and ninety-nine and 96/100"
    assert service.amount_in_words(Decimal("100000"), "INR") == "Indian rupees one hundred thousand and 00/100"


def test_documents_as_excel_and_pdf(client, engine):
    w = make_world(engine)
    oid = rfq(w, (4, 2))
    ids = to_acknowledged(w, oid, prices=("1250.50", "99.99"))
    ensure_user(engine, "ind.planner", org="DEP-ORG", kind="depot", role="approver")
    c = TestClient(client.app)
    c.headers["Authorization"] = f"Bearer {token_for(engine, 'ind.planner')}"
    assert c.get(f"/orders/{oid}/documents/invoice.pdf").status_code == 409
    act(w, w.oem, service.advance, order_id=oid, action="dispatch", quantities={ids[0]: 4})
    act(w, w.base, service.advance, order_id=oid, action="receive")
    act(w, w.oem, service.advance, order_id=oid, action="invoice", invoice_number="INV-2026-9")
    r = c.get(f"/orders/{oid}/documents/invoice.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert "Invoice INV-2026-9" in cells and "5002" in cells
    assert any("five thousand and two and 00/100" in x for x in cells)
    r = c.get(f"/orders/{oid}/documents/dispatch.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    text = page_text(r.content)
    assert "Dispatch advice" in text and "-D1" in text and "OEM (demo)" in text and "Depot org" in text
    r = c.get(f"/orders/{oid}/documents/order.pdf")
    text = page_text(r.content)
    assert "5,201.98" in text and "five thousand, two hundred and one and 98/100" in text, text
    png = page_png(r.content)
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("L")
    assert min(img.getdata()) < 100  # ink on the page
