"""Documents as PDF: one renderer for every capability (orders, statements, the programme review).

A capability renders its document as HTML with its own Jinja template (``adapters.pages.templates``)
and hands it here. WeasyPrint lays it out with Debian's Pango and fonts (``scripts/ensure_pdf_libs.sh``
installs them); nothing is fetched from the network: a ``url_fetcher`` refuses every URL that is not
a ``data:`` URI or a file under the package's static directory, so a document cannot leak a request
or read a file it should not.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from setu.kit.errors import ValidationFailed

STATIC = Path(__file__).parent / "static"

#: the page box every document shares; a template may add its own rules after it
BASE_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #555; }
        @bottom-left { content: "Setu"; font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 9.5pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4mm 0; } h2 { font-size: 11.5pt; margin: 5mm 0 2mm 0; }
table { border-collapse: collapse; width: 100%; } th, td { border: 0.4pt solid #999; padding: 1.2mm 1.6mm; }
th { background: #eef1f5; text-align: left; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.parties { display: flex; gap: 8mm; } .parties > div { flex: 1; border: 0.4pt solid #999; padding: 2mm; }
.muted { color: #555; }
"""


def _allowed(url: str) -> bool:
    if url.startswith("data:"):
        return True
    if url.startswith("file://"):
        path = Path(url[len("file://"):].split("?")[0]).resolve()
        return path.is_relative_to(STATIC.resolve()) and path.is_file()
    return False


def _fetcher() -> Any:
    """WeasyPrint's fetcher, limited to embedded data and the package's static files."""
    from weasyprint.urls import URLFetcher

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not _allowed(url):
                raise ValidationFailed(
                    f"a document may not load {url!r}: only embedded data and Setu's own static files")
            return super().fetch(url, headers)

    return StaticOnly(allowed_protocols=("data", "file"), allow_redirects=False)


def render_pdf(html: str, *, base_url: str | None = None, stylesheets: list[str] | None = None) -> bytes:
    """The PDF of ``html`` (a whole document) with :data:`BASE_CSS` and any extra ``stylesheets``."""
    from weasyprint import CSS, HTML

    sheets = [CSS(string=BASE_CSS)] + [CSS(string=s, url_fetcher=_fetcher()) for s in (stylesheets or [])]
    doc = HTML(string=html, base_url=base_url or STATIC.as_uri() + "/", url_fetcher=_fetcher())
    out = io.BytesIO()
    doc.write_pdf(out, stylesheets=sheets)
    return out.getvalue()


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has (checks in tests; pypdfium2 comes with the test extra)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def page_png(pdf: bytes, page: int = 0, *, scale: float = 1.5) -> bytes:
    """Page ``page`` of a PDF drawn as PNG (pdfium), to look at a document or check it in a test."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[page].render(scale=scale).to_pil()
    finally:
        doc.close()
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def page_text(pdf: bytes, page: int = 0) -> str:
    """The text on page ``page`` of a PDF (to check what a document says)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        tp = doc[page].get_textpage()
        try:
            return tp.get_text_range()
        finally:
            tp.close()
    finally:
        doc.close()
