"""The ledger's documents: the yearly settlement statement as PDF (setu.adapters.pdf), rendered
from the Jinja template ``ledger/statement_pdf.html``. (The Excel form is
:func:`setu.ledger.service.statement_xlsx`.)"""
from __future__ import annotations

from pathlib import Path
from typing import Any


def statement_pdf(doc: dict[str, Any]) -> bytes:
    """The signed statement as PDF (setu.adapters.pdf): totals, every line, both parties' signatures
    (a party that has not signed yet is named as such)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from setu.adapters.pdf import render_pdf

    st = doc.get("statement", doc)
    sigs = {s["party"]: s for s in doc.get("signatures", [])}
    parties = sorted({ln["provider"] for ln in st["lines"]} | {ln["receiver"] for ln in st["lines"]} | set(sigs))
    env = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")), autoescape=select_autoescape(["html"]))
    html = env.get_template("ledger/statement_pdf.html").render(st=st, sigs=sigs, parties=parties)
    return render_pdf(html)
