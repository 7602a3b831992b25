"""What a signed contract document may be: checked by its bytes, not its name.

A file called ``contract.pdf`` that holds HTML would otherwise be stored and
later handed to a browser; so the extension must be one we accept *and* the
first bytes must be what that extension promises.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError

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


def _looks_like(kind: DocumentType, head: bytes, file: IO[bytes]) -> bool:
    if kind is PDF:
        return head.startswith(b"%PDF-")
    if kind is PNG:
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind is JPEG:
        return head.startswith(b"\xff\xd8\xff")
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
    finally:
        upload.seek(0)
    return kind
