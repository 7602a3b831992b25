"""What an uploaded spreadsheet must look like inside, whatever its name says.

The import forms accept files by extension; these checks make sure the first
bytes agree, so that a renamed PDF or executable is refused at once with a
clear form error instead of failing later in the worker (or being stored).
Contract documents have their own, stricter check (partners/documents.py).

Every spreadsheet upload path (the facts and feedback import pages, the facts
API, the price list) reads the head through `read_head` before it stores
anything, so that is where a workbook that would unpack past UPLOAD_LIMITS (a
zip bomb) is refused: from the zip's directory, in milliseconds, unpacking nothing.
"""

from __future__ import annotations

from typing import IO

from .tabular import FileProblem, xlsx_cost_problem

HEAD_BYTES = 8192

# First bytes of formats that are never a text file: zip (xlsx, docx), PDF,
# PNG, JPEG, GIF, legacy Office (xls), Windows and Linux executables.
BINARY_MAGIC = (
    b"PK\x03\x04",
    b"%PDF-",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\xd0\xcf\x11\xe0",
    b"MZ\x90\x00",
    b"\x7fELF",
)


def read_head(file: IO[bytes]) -> bytes:
    """The first bytes of an upload, leaving it at its start for the real reader.

    Raises FileProblem for an .xlsx workbook that would unpack past UPLOAD_LIMITS.
    """
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    head = head if isinstance(head, bytes) else head.encode()
    name = str(getattr(file, "name", "") or "")
    if head.startswith(b"PK\x03\x04") and name.lower().endswith(".xlsx"):
        problem = xlsx_cost_problem(file)
        if problem:
            raise FileProblem(problem)
    return head


def spreadsheet_content_problem(suffix: str, head: bytes) -> str | None:
    """Why `head` cannot be the start of a `suffix` file, or None when it can."""
    suffix = suffix.lower()
    if suffix == ".xlsx":
        if not head.startswith(b"PK\x03\x04"):
            return "This file is not a real .xlsx workbook, whatever its name says."
        return None
    if suffix in (".csv", ".txt"):
        # NUL bytes alone prove nothing: a UTF-16 CSV has them, and the
        # reader's "not UTF-8" report says more than a refusal would.
        if head.startswith(BINARY_MAGIC):
            return "This file is not a CSV text file, whatever its name says."
        return None
    return f"“{suffix or 'no extension'}” files are not accepted."
