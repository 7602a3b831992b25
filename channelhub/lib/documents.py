"""What an uploaded document may be (a signed contract, a claim's proof, a
training certificate, a brand library file): checked by its content, not its name.

A file called ``contract.pdf`` that holds HTML would otherwise be stored and
later handed to a browser; so the extension must be one we accept, the first
bytes must be what that extension promises, *and* the file must parse as that
format (pypdf for PDFs, Pillow for images, zipfile for Word). A polyglot (a
PDF head over an executable, HTML with a script, a PDF that runs JavaScript)
is refused: a contract document never needs to be anything but a document.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse

# Overridable in settings; the web server in front should refuse bigger bodies too.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_document_bytes() -> int:
    return int(getattr(settings, "CONTRACT_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class DocumentType:
    label: str
    content_type: str


PDF = DocumentType("PDF", "application/pdf")


PNG = DocumentType("PNG image", "image/png")


JPEG = DocumentType("JPEG image", "image/jpeg")


DOCX = DocumentType(
    "Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)


TYPES_BY_EXTENSION = {".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG, ".docx": DOCX}


ACCEPTED = ", ".join(sorted(TYPES_BY_EXTENSION))


# What no contract document holds in the clear: HTML that a browser would run,
# the signatures of Windows and Linux executables, PDF JavaScript or launch
# actions. Compressed streams are not searched (their bytes are not content a
# browser or an OS would run without decompressing them first).
FORBIDDEN_CONTENT = re.compile(
    rb"<\s*(?:script|html|iframe|svg|object|embed)\b|<!doctype\s+html"
    rb"|This program cannot be run in DOS mode|\x7fELF[\x01\x02]|PE\x00\x00[\x4c\x64]"
    rb"|/(?:JavaScript|JS|Launch|EmbeddedFile)\b",
    re.IGNORECASE,
)


def _parses_as_pdf(file: IO[bytes]) -> bool:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    file.seek(0)
    try:
        reader = PdfReader(file, strict=True)
        return len(reader.pages) > 0
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return False


def _parses_as_image(file: IO[bytes], format_name: str) -> bool:
    from PIL import Image, UnidentifiedImageError

    file.seek(0)
    try:
        with Image.open(file) as image:
            if image.format != format_name:
                return False
            image.verify()  # walks the whole file: a truncated or doctored one fails
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False


def _looks_like(kind: DocumentType, head: bytes, file: IO[bytes]) -> bool:
    if kind is PDF:
        return head.startswith(b"%PDF-") and _parses_as_pdf(file)
    if kind is PNG:
        return head.startswith(b"\x89PNG\r\n\x1a\n") and _parses_as_image(file, "PNG")
    if kind is JPEG:
        return head.startswith(b"\xff\xd8\xff") and _parses_as_image(file, "JPEG")
    if kind is DOCX:
        if not head.startswith(b"PK\x03\x04"):
            return False
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                return "word/document.xml" in archive.namelist()
        except zipfile.BadZipFile:
            return False
    return False


def check_document(upload: Any) -> DocumentType:
    """The type of an uploaded contract document, or a ValidationError saying why not."""
    size = upload.size or 0
    limit = max_document_bytes()
    if size > limit:
        raise ValidationError(
            f"The file is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB.",
            code="too_large",
        )
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    extension = PurePath(upload.name or "").suffix.lower()
    kind = TYPES_BY_EXTENSION.get(extension)
    if kind is None:
        raise ValidationError(
            f"“{extension or 'no extension'}” files are not accepted: use {ACCEPTED}.",
            code="bad_extension",
        )
    upload.seek(0)
    head = upload.read(16)
    try:
        if not _looks_like(kind, head, upload):
            raise ValidationError(
                f"This file is not a real {kind.label}, whatever its name says.",
                code="bad_content",
            )
        if kind is not DOCX and _holds_forbidden_content(upload):
            raise ValidationError(
                f"This {kind.label} also holds a program, a web page or a script; "
                "save the signed document again as a plain file and upload that.",
                code="polyglot",
            )
    finally:
        upload.seek(0)
    return kind


def _holds_forbidden_content(file: IO[bytes]) -> bool:
    """Whether the raw bytes hold what a document never needs (FORBIDDEN_CONTENT).

    Read in chunks that overlap by more than the longest pattern, so a marker
    split across two chunks is still found; the file is at most the size limit.
    """
    file.seek(0)
    overlap = 64
    tail = b""
    while chunk := file.read(1 << 20):
        if FORBIDDEN_CONTENT.search(tail + chunk):
            return True
        tail = chunk[-overlap:]
    return False


def download_response(file: Any, *, name: str, kind: str) -> HttpResponse:
    """A stored upload as a download that no browser runs (uploads live under
    MEDIA_ROOT, which no URL serves: every download is a permission-checked view)."""
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=kind or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response  # type: ignore[return-value]
