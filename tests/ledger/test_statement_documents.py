"""The yearly settlement statement as PDF (setu.adapters.pdf) and Excel shows both parties'
signatures; the signatures verify with each party's public key alone."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from setu.adapters.pdf import page_count, page_text
from setu.ledger import service
from setu.ledger.documents import statement_pdf
from tests.ledger.world import act, make_world
from tests.support.auth import client_for


def _confirmed(w) -> None:
    tid = act(w, w.ind, service.request_support, provider="RUS", activity="exercise", category="food",
              description="rations", requested_on=date(2025, 5, 1)).id
    act(w, w.rus, service.step, transaction_id=tid, action="accept")
    act(w, w.rus, service.step, transaction_id=tid, action="claim", quantity="2", unit="t", unit_price="1000",
        delivered_on=date(2025, 5, 2))
    act(w, w.ind, service.step, transaction_id=tid, action="confirm")


def test_statement_pdf_and_excel_carry_both_signatures(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    _confirmed(w)
    service.public_key_pem("IND"), service.public_key_pem("RUS")  # both keys held by this test installation
    ind = client_for(engine, w.ind)
    r = ind.get("/ledger/statement/2025.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert page_count(r.content) >= 1
    text = " ".join(page_text(r.content, i) for i in range(page_count(r.content)))
    assert "Yearly settlement statement 2025" in text and "2000.00" in text and "RUB" in text
    for code in ("IND", "RUS"):
        assert f"not yet signed by {code}" not in text
    x = ind.get("/ledger/statement/2025.xlsx")
    ws = load_workbook(io.BytesIO(x.content)).active
    rows = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    signed = {r[0] for r in rows[rows.index(["Signed by", "Key id", "Ed25519 signature (base64)"]) + 1:] if r}
    assert signed == {"IND", "RUS"}
    page = ind.get("/ledger")
    assert 'href="/ledger/statement/2025.pdf"' in page.text or "statement/" in page.text


def test_statement_pdf_names_a_party_that_has_not_signed(engine, monkeypatch, tmp_path):
    w = make_world(engine, monkeypatch, tmp_path)
    _confirmed(w)
    from setu.kit.access import system_actor
    from setu.kit.uow import UnitOfWork

    with UnitOfWork(system_actor("t"), engine=engine) as uow:
        doc = service.sign_statement(service.statement(uow, year=2025), "IND")
    pdf = statement_pdf(doc)
    text = page_text(pdf, page_count(pdf) - 1)
    assert "not yet signed by RUS" in text and "not yet signed by IND" not in text
    ok, who = service.verify_statement(doc, service.public_key_pem("IND"))
    assert ok and "IND" in who
