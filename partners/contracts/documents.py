"""What a signed contract document may be: the shared document check
(channelhub.lib.documents), which the brand library's files pass too."""

from channelhub.lib.documents import (
    ACCEPTED,
    DEFAULT_MAX_BYTES,
    DOCX,
    FORBIDDEN_CONTENT,
    JPEG,
    PDF,
    PNG,
    TYPES_BY_EXTENSION,
    DocumentType,
    check_document,
    max_document_bytes,
)

__all__ = [
    "ACCEPTED",
    "DEFAULT_MAX_BYTES",
    "DOCX",
    "FORBIDDEN_CONTENT",
    "JPEG",
    "PDF",
    "PNG",
    "TYPES_BY_EXTENSION",
    "DocumentType",
    "check_document",
    "max_document_bytes",
]
