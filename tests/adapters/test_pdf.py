"""The shared PDF renderer: a real WeasyPrint document, drawn back to an image by pdfium."""
from __future__ import annotations

import io

import pytest

from setu.adapters import pdf
from setu.kit.errors import ValidationFailed

DOC = """<!doctype html><html><head><meta charset="utf-8"><title>Dispatch advice</title></head><body>
<h1>Dispatch advice DA-2026-0042</h1>
<div class="parties"><div><b>Supplier</b><br>OEM Rosoboronexport</div><div><b>Buyer</b><br>Central depot</div></div>
<table><tr><th>Part</th><th class="num">Quantity</th><th class="num">Amount (INR)</th></tr>
<tr><td>Transmitter module</td><td class="num">3</td><td class="num">12,34,567.00</td></tr></table>
<p>Rupees twelve lakh thirty-four thousand five hundred sixty-seven only</p></body></html>"""


def test_a_document_renders_to_a_pdf_whose_page_shows_its_text():
    data = pdf.render_pdf(DOC)
    assert data.startswith(b"%PDF-")
    assert pdf.page_count(data) == 1
    text = pdf.page_text(data)
    assert "Dispatch advice DA-2026-0042" in text and "12,34,567.00" in text and "Page 1 of 1" in text


def test_the_page_drawn_as_an_image_has_ink_where_the_text_is():
    from PIL import Image

    png = pdf.page_png(pdf.render_pdf(DOC), scale=1.0)
    image = Image.open(io.BytesIO(png)).convert("L")
    # A4 at 72 dpi: 595 x 842 points
    assert abs(image.width - 595) <= 1 and abs(image.height - 842) <= 1
    top = image.crop((0, 0, image.width, image.height // 4))
    bottom_half = image.crop((0, image.height // 2, image.width, image.height - 80))
    dark = lambda img: sum(img.histogram()[:128])  # noqa: E731  (pixels darker than mid-grey)
    assert dark(top) > 500          # the title, the parties and the table are drawn
    assert dark(bottom_half) == 0   # nothing below the content but the footer


def test_a_document_may_not_fetch_from_the_network_or_read_other_files(tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    for href in ("http://127.0.0.1:9/x.css", secret.as_uri()):
        html = f'<html><head><link rel="stylesheet" href="{href}"></head><body>x</body></html>'
        # WeasyPrint reports a refused resource and goes on without it: the document still renders,
        # and the fetcher itself refuses
        assert pdf.render_pdf(html).startswith(b"%PDF-")
        with pytest.raises(ValidationFailed, match="may not load"):
            pdf._fetcher().fetch(href)
