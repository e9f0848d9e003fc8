"""The yearly statement as Excel (openpyxl) and PDF (WeasyPrint, when installed)."""
from __future__ import annotations

import io
from typing import Any


def statement_xlsx(doc: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    st = doc.get("statement", doc)
    wb = Workbook()
    ws = wb.active
    ws.title = f"Statement {st['year']}"
    ws.append([f"Yearly settlement statement {st['year']}, agreement {st['agreement']}"])
    ws.append(["Reference", "Provider", "Receiver", "Category", "Delivered on", "Quantity", "Unit", "Amount",
               "Currency", "Settled", "Status"])
    for ln in st["lines"]:
        ws.append([ln["reference"], ln["provider"], ln["receiver"], ln["category"], ln["delivered_on"], ln["quantity"],
                   ln["unit"], ln["amount"], ln["currency"], ln["settled"], ln["status"]])
    ws.append([])
    ws.append(["Totals (provider, currency)", "Delivered", "Settled", "Open"])
    for k, v in st["totals"].items():
        ws.append([k, v["delivered"], v["settled"], v["open"]])
    ws.append([])
    ws.append(["Signed by", "Key id", "Ed25519 signature (base64)"])
    for s in doc.get("signatures", []):
        ws.append([s["party"], s["key_id"], s["signature"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
