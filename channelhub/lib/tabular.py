"""Reading tabular upload files (CSV and XLSX) in bounded memory.

A reader checks the header against a `FileSpec` (the columns a kind of file
must and may have) and yields the rows as batches of string columns with their
line numbers: the facts import, the feedback import and the price import each
validate those batches their own way. Memory stays bounded whatever the size
of the file.

What reading a file may cost is capped by settings.UPLOAD_LIMITS and checked
as it is read, never after: an .xlsx workbook's declared unpacked size before
anything is unpacked (`xlsx_cost_problem`), then rows, cells and seconds batch
by batch (`ReadBudget`). Going past a cap stops the read with a `FileProblem`
that says which cap and how to get under it.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
from django.conf import settings

XLSX_BATCH_ROWS = 20_000
# CSV is read in chunks of this size, cut at line ends.
CSV_CHUNK_BYTES = 4 << 20


class FileProblem(Exception):
    """The file as a whole cannot be read: no row-level report is possible."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or [{"line": 1, "column": "", "value": "", "reason": message}]


# --- what a read may cost ------------------------------------------------------------

_END_OF_DIRECTORY = b"PK\x05\x06"
_END_RECORD = struct.Struct("<4s4H2LH")  # the zip's last record: entries, directory size
# The central directory lists each part in ~46 bytes plus its name.
_DIRECTORY_BYTES_PER_PART = 1024
_MB = 1024 * 1024


def _mb(size: int) -> str:
    return f"{size / _MB:,.0f} MB"


def xlsx_cost_problem(file: IO[bytes]) -> str | None:
    """Why unpacking this .xlsx workbook would cost more than UPLOAD_LIMITS allow, or None.

    Reads only the zip's directory: the parts' unpacked sizes as the file declares
    them. Python's zip reader never unpacks a part past its declared size (and a
    part that lies fails its checksum), so these sizes bound what any reader of the
    workbook will unpack. Leaves the file at its start.
    """
    limits = settings.UPLOAD_LIMITS
    try:
        file.seek(0, io.SEEK_END)
        size = file.tell()
        tail_size = min(size, _END_RECORD.size + 0xFFFF)
        file.seek(size - tail_size)
        tail = file.read(tail_size)
        at = tail.rfind(_END_OF_DIRECTORY)
        if at < 0 or len(tail) - at < _END_RECORD.size:
            return None  # not a zip: the reader says so in its own words
        record = _END_RECORD.unpack_from(tail, at)
        parts, directory_bytes = record[4], record[5]
        if parts > limits["xlsx_parts"] or parts == 0xFFFF:
            return (
                f"This workbook has more than {limits['xlsx_parts']:,} parts inside; "
                "a spreadsheet has a few dozen. Save it again from your spreadsheet program."
            )
        if directory_bytes > parts * _DIRECTORY_BYTES_PER_PART:
            return "This file is not a real .xlsx workbook, whatever its name says."
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
    except (OSError, zipfile.BadZipFile, struct.error):
        return None  # the reader reports an unreadable workbook
    finally:
        file.seek(0)
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits["xlsx_unpacked_bytes"]:
        return (
            f"This workbook unpacks to {_mb(unpacked)}, more than the "
            f"{_mb(limits['xlsx_unpacked_bytes'])} limit. Split it into smaller files "
            "or save it as CSV."
        )
    strings = sum(
        info.file_size for info in infos if info.filename.lower().endswith("sharedstrings.xml")
    )
    if strings > limits["xlsx_shared_strings_bytes"]:
        return (
            f"This workbook's text cells unpack to {_mb(strings)}, more than the "
            f"{_mb(limits['xlsx_shared_strings_bytes'])} limit. Save it as CSV instead."
        )
    return None


class ReadBudget:
    """Rows, cells and seconds one read of a file has spent, against UPLOAD_LIMITS."""

    def __init__(self) -> None:
        self.limits = settings.UPLOAD_LIMITS
        self.started = time.monotonic()
        self.rows = 0
        self.cells = 0

    def spend(self, *, rows: int, cells: int) -> None:
        self.rows += rows
        self.cells += cells
        limit = self.limits["rows"]
        if self.rows > limit:
            raise FileProblem(
                f"The file has more than {limit:,} rows, the most one import may have. "
                "Split it into smaller files."
            )
        limit = self.limits["cells"]
        if self.cells > limit:
            raise FileProblem(
                f"The file has more than {limit:,} cells (rows × columns, empty ones "
                "included), the most one import may have. Remove unused columns or split it."
            )
        limit = self.limits["seconds"]
        if time.monotonic() - self.started > limit:
            raise FileProblem(
                f"Reading the file took longer than {limit:,} seconds, the most one import "
                "may take. Split it into smaller files."
            )


@dataclass
class Header:
    columns: list[str]  # the known columns the file has
    ignored: list[str]


@dataclass(frozen=True)
class FileSpec:
    """The columns a kind of file has: those it must have, and those it may."""

    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def known(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


def normalise_header(names: list[str], spec: FileSpec) -> Header:
    cleaned = [str(n or "").strip().lower() for n in names]
    while cleaned and cleaned[-1] == "":
        cleaned.pop()
    if not cleaned:
        raise FileProblem("The file is empty: the first line must be a header row.")
    seen: set[str] = set()
    for name in cleaned:
        if name in seen and name:
            raise FileProblem(f"The header names the column “{name}” twice.")
        seen.add(name)
    missing = [c for c in spec.required if c not in seen]
    if missing:
        raise FileProblem(
            "Required column(s) missing: " + ", ".join(missing),
            [
                {"line": 1, "column": c, "value": "", "reason": "required column is missing"}
                for c in missing
            ],
        )
    return Header(
        columns=[c for c in cleaned if c in spec.known],
        ignored=[c for c in cleaned if c and c not in spec.known],
    )


# --- Readers: (line numbers, batch of string columns) ------------------------


class CsvReader:
    def __init__(self, path: Path, spec: FileSpec) -> None:
        self.path = path
        with open(path, "rb") as handle:
            first = handle.readline()
        if not first.strip():
            raise FileProblem("The file is empty: the first line must be a header row.")
        try:
            text = first.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileProblem("The file is not UTF-8 text (save it as CSV UTF-8).") from None
        self.raw_names = next(csv.reader([text]))
        self.header = normalise_header(self.raw_names, spec)
        self.invalid: list[dict[str, Any]] = []

    def batches(self) -> Iterator[tuple[np.ndarray, pa.RecordBatch]]:
        """The rows in batches with their line numbers, reading the file in
        chunks cut at line ends: memory stays bounded whatever the file size
        (Arrow's own streaming reader reads far ahead of what it yields)."""
        names = [str(n).strip().lower() or f"_unnamed_{i}" for i, n in enumerate(self.raw_names)]
        convert = pcsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            include_columns=self.header.columns,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        first_line = 2  # line 1 is the header
        budget = ReadBudget()
        with open(self.path, "rb") as handle:
            handle.readline()
            carry = b""
            while True:
                block = handle.read(CSV_CHUNK_BYTES)
                data = carry + block
                if not data:
                    break
                if block:
                    cut = data.rfind(b"\n") + 1
                    if cut == 0:  # one line longer than a chunk: read on
                        carry = data
                        continue
                    chunk, carry = data[:cut], data[cut:]
                else:
                    chunk, carry = data, b""
                lines_in_chunk = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
                budget.spend(rows=lines_in_chunk, cells=lines_in_chunk * len(names))
                yield from self._parse_chunk(chunk, names, convert, first_line)
                first_line += lines_in_chunk

    def _parse_chunk(
        self, chunk: bytes, names: list[str], convert: pcsv.ConvertOptions, first_line: int
    ) -> Iterator[tuple[np.ndarray, pa.RecordBatch]]:
        skipped: list[int] = []

        def on_invalid_row(row: Any) -> str:
            # Rows with a wrong number of fields never reach a batch: report them.
            line = first_line + row.number - 1
            skipped.append(line)
            if row.text.strip():
                self.invalid.append(
                    {
                        "line": line,
                        "column": "",
                        "value": row.text[:200],
                        "reason": (
                            f"expected {row.expected_columns} fields, found {row.actual_columns}"
                        ),
                    }
                )
            return "skip"

        try:
            table = pcsv.read_csv(
                io.BytesIO(chunk),
                # One block per chunk: one batch to validate (fewer fixed costs).
                read_options=pcsv.ReadOptions(
                    column_names=names, use_threads=False, block_size=len(chunk) + 1
                ),
                parse_options=pcsv.ParseOptions(
                    invalid_row_handler=on_invalid_row, ignore_empty_lines=False
                ),
                convert_options=convert,
            )
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "UTF8" in message or "utf8" in message.lower():
                raise FileProblem("The file is not UTF-8 text (save it as CSV UTF-8).") from None
            raise FileProblem(f"The file cannot be read as CSV: {message}") from None
        # Row k of the chunk is on line first_line + k, plus one for every
        # skipped (invalid) line before it.
        lines = np.arange(table.num_rows, dtype=np.int64) + first_line
        if skipped:
            marks = np.sort(np.array(skipped, dtype=np.int64))
            lines = lines + np.searchsorted(marks - np.arange(len(marks)), lines, side="right")
        done = 0
        for batch in table.to_batches():
            yield lines[done : done + batch.num_rows], batch
            done += batch.num_rows


def _xlsx_text(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold (money through its decimal text)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        # A whole-number float is an integer cell; otherwise its shortest
        # decimal repr (2.675, not 2.67499999...) is what the user typed.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


# A cell with a formula and no saved result: `<f>...</f>` or a shared
# formula's `<f .../>`, then no value (or an empty one) before the cell ends.
_UNSAVED_FORMULA = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
_SCAN_CHUNK = 1 << 20


def _has_unsaved_formulas(path: Path) -> bool:
    """Whether any sheet holds a formula whose result was never saved (a
    workbook written by a program that does not calculate, such as a script):
    such a cell reads as empty, which a figure's column takes for 0."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                with archive.open(name) as sheet:
                    tail = b""
                    while chunk := sheet.read(_SCAN_CHUNK):
                        if _UNSAVED_FORMULA.search(tail + chunk):
                            return True
                        tail = chunk[-256:]
    except (OSError, zipfile.BadZipFile, KeyError):
        return False  # openpyxl says what is wrong with the file
    return False


def xlsx_value_rows(
    path: Path, values: Any, title: str, **bounds: Any
) -> Iterator[tuple[Any, ...]]:
    """The rows of sheet `title` of `values` (the workbook at `path`, opened
    read-only with data_only: the results Excel saved), as iter_rows(values_only)
    gives them with `bounds`; except that a formula whose result was never
    saved gives its formula text ("=SUM(B2:B9)"), which no date or number
    check accepts, where it would read as an empty cell, and so as 0."""
    rows = values[title].iter_rows(values_only=True, **bounds)
    if not _has_unsaved_formulas(path):
        yield from rows
        return
    from openpyxl import load_workbook

    formulas = load_workbook(path, read_only=True, data_only=False)
    try:
        # The same sheet read twice: its rows pair up one to one.
        written_rows = formulas[title].iter_rows(values_only=True, **bounds)
        for row, written in zip(rows, written_rows, strict=True):
            if any(v is None for v in row):
                row = (
                    tuple(
                        w if v is None and isinstance(w, str) and w.startswith("=") else v
                        for v, w in zip(row, written, strict=False)
                    )
                    + row[len(written) :]
                )
            yield row
    finally:
        formulas.close()


class XlsxReader:
    def __init__(self, path: Path, spec: FileSpec) -> None:
        from openpyxl import load_workbook

        with open(path, "rb") as handle:
            problem = xlsx_cost_problem(handle)
        if problem:
            raise FileProblem(problem)
        try:
            self.workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception:
            raise FileProblem("The file is not a readable .xlsx workbook.") from None
        self.rows = xlsx_value_rows(path, self.workbook, self.workbook.worksheets[0].title)
        try:
            first = next(self.rows)
        except StopIteration:
            raise FileProblem("The file is empty: the first line must be a header row.") from None
        self.raw_names = [_xlsx_text(v) for v in first]
        self.header = normalise_header(self.raw_names, spec)
        self.positions = {
            name: i for i, name in enumerate(n.strip().lower() for n in self.raw_names)
        }
        self.invalid: list[dict[str, Any]] = []

    def batches(self) -> Iterator[tuple[np.ndarray, pa.RecordBatch]]:
        columns = self.header.columns
        buffer: dict[str, list[str]] = {c: [] for c in columns}
        lines: list[int] = []
        line = 1
        budget = ReadBudget()
        for row in self.rows:
            line += 1
            budget.spend(rows=1, cells=len(row))
            if not any(v not in (None, "") for v in row):
                continue
            for column in columns:
                index = self.positions[column]
                buffer[column].append(_xlsx_text(row[index]) if index < len(row) else "")
            lines.append(line)
            if len(lines) >= XLSX_BATCH_ROWS:
                yield self._flush(buffer, lines)
                buffer, lines = {c: [] for c in columns}, []
        if lines:
            yield self._flush(buffer, lines)
        self.workbook.close()

    def _flush(
        self, buffer: dict[str, list[str]], lines: list[int]
    ) -> tuple[np.ndarray, pa.RecordBatch]:
        batch = pa.RecordBatch.from_arrays(
            [pa.array(buffer[c], pa.string()) for c in buffer], names=list(buffer)
        )
        return np.array(lines, dtype=np.int64), batch


def open_reader(path: Path, name: str, spec: FileSpec) -> CsvReader | XlsxReader:
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        return XlsxReader(path, spec)
    if suffix in (".csv", ".txt", ""):
        return CsvReader(path, spec)
    raise FileProblem(f"“{suffix}” files are not accepted: upload a .csv or .xlsx file.")


# Spreadsheets run a text cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Defuse spreadsheet formulas in a text cell of an export (OWASP CSV
    injection): every CSV the product writes passes its text through here."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value
