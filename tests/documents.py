"""Real documents, built in the test: a one-page PDF, a PNG and a JPEG that their
parsers accept, and polyglots (a PDF head over an executable or HTML)."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


# A Windows executable's start: the MZ header and the DOS stub's words.
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."
)
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"

PDF_OVER_EXECUTABLE = b"%PDF-1.4\n" + EXECUTABLE
PDF_OVER_HTML = b"%PDF-1.4\n" + HTML
