"""Stage 1 for the files people really have: find out how a file is written
(encoding, separator, decimal mark, header row below title rows, sheet), then
read it in batches of ChannelHub's own columns, which `checks.validate_batch`
checks as if the file had been written in ChannelHub's format.

`sniff` looks at the first rows only (the mapping step shows them); `FactsReader`
streams the whole file in bounded memory and, batch by batch and vectorised:
renames the columns (kpis.ingest.mapping), turns amounts written the file's
way ("1.234,56 €") into plain decimals, dates in the file's format into ISO
dates, maps channel values, drops the rows of channel values the user chose to
drop, and skips totals rows ("Total", "Summe", ...) with a note. A value it
cannot read becomes a row error naming the file's format: the whole-file rule
of the checks holds.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from django.conf import settings

from channelhub.lib import tabular
from channelhub.lib.tabular import (
    XLSX_BATCH_ROWS,
    FileProblem,
    Header,
    ReadBudget,
    _xlsx_text,
    xlsx_cost_problem,
    xlsx_value_rows,
)
from kpis.models import ImportRun

from .checks import (
    COUNT_COLUMNS,
    KNOWN_COLUMNS,
    MONEY_VALUE_COLUMNS,
    PLAIN_COLUMNS,
    all_plain_numbers,
    every_cell_starts_with_a_digit,
    has_character,
    trim_cells,
)
from .currency import Rates
from .formats import (
    _CURRENCY,
    _SPACES,
    _TIME_SUFFIX,
    DATE_FORMATS,
    DELIMITERS,
    ENCODING_NAMES,
    SNIFF_BYTES,
    SNIFF_ROWS,
    TOTAL_WORDS,
    Layout,
    NeedsChoice,
    _is_number,
)
from .mapping import DROP, Mapping, resolve

# --- sniffing ---------------------------------------------------------------------------


def _decode_head(raw: bytes) -> tuple[str, str]:
    """(encoding, text of the head) for a CSV file's first bytes."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", raw[3:].decode("utf-8", errors="ignore")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", raw.decode("utf-16", errors="ignore")
    if len(raw) >= 4 and raw[1::2].count(0) > len(raw) // 4:
        return "utf-16-le", raw.decode("utf-16-le", errors="ignore")
    cut = raw.rfind(b"\n") + 1 if len(raw) >= SNIFF_BYTES else len(raw)
    try:
        return "utf-8", raw[: cut or len(raw)].decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252", raw.decode("cp1252", errors="replace")


def _header_index(rows: list[list[str]]) -> int:
    """The first row that looks like a header: at least two cells, most of
    them filled with words (not numbers), and rows of as many cells below it."""
    if rows and len(rows[0]) >= 2 and all(c.strip().lower() in KNOWN_COLUMNS for c in rows[0]):
        # The import format's own header (the API push writes one): it is
        # the header whatever the rows below hold (a row of one filled cell).
        return 0
    widths = Counter(sum(1 for c in r if c.strip()) for r in rows if any(c.strip() for c in r))
    for i, row in enumerate(rows):
        filled = [c for c in row if c.strip()]
        trimmed = len(row)
        while trimmed and not row[trimmed - 1].strip():
            trimmed -= 1
        if len(filled) < 2 or len(filled) * 2 < trimmed:
            continue
        if any(_is_number(c) for c in filled):
            continue
        below = [r for r in rows[i + 1 : i + 6] if any(c.strip() for c in r)]
        if below and all(sum(1 for c in r if c.strip()) >= min(2, len(filled)) for r in below[:1]):
            return i
        if not below and widths:
            return i
    raise FileProblem(
        "We found no header row (a row naming the columns, such as date, channel, spend) "
        "in the first rows of the file."
    )


def _merge_group_row(names: list[str], above: list[str] | None) -> list[str]:
    """Header cells merged across columns or rows: a row of group labels above
    the header ("Conversions" over "Count | Value") names its columns, and a
    header cell left empty under a label (merged down) takes the label."""
    if not above:
        return names
    filled = [c.strip() for c in above]
    if sum(1 for c in filled if c) < 2 or any(_is_number(c) for c in filled if c):
        return names
    has_gap = any(not n.strip() for n in names) or any(
        not filled[i] and filled[i - 1] for i in range(1, min(len(filled), len(names)))
    )
    if not has_gap:
        return names
    out, group = [], ""
    for i, name in enumerate(names):
        label = filled[i] if i < len(filled) else ""
        if label:
            group = label
        own = name.strip()
        if not own:
            out.append(group if label or group else "")
        elif label or (group and i > 0 and not filled[i]):
            out.append(f"{group} {own}")
        else:
            out.append(own)
    return out


def _layout_from_rows(layout: Layout, rows: list[list[str]], header_line: int | None) -> Layout:
    try:
        found = _header_index(rows)
    except FileProblem:
        if not header_line:
            raise
        found = header_line - 1
    layout.sniffed_header_line = found + 1
    index = header_line - 1 if header_line else found
    if index >= len(rows):
        raise FileProblem(f"The file has no row {index + 1} to read the header from.")
    names = [c.strip() for c in rows[index]]
    names = _merge_group_row(names, rows[index - 1] if index else None)
    while names and not names[-1]:
        names.pop()
    if not names:
        raise FileProblem("The file is empty: the first line must be a header row.")
    layout.header_line = index + 1
    layout.names = names
    layout.rows = [r for r in rows[index + 1 :] if any(c.strip() for c in r)]
    if index:
        layout.notes.append(
            f"The header is on line {index + 1}; the {index} line(s) above it (a title) were "
            "not read."
        )
    return layout


def _sniff_delimiter(text: str) -> str:
    lines = text.splitlines()[:200]
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        widths = [len(r) for r in csv.reader(lines, delimiter=delimiter) if len(r) > 1]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        score = count * 1000 + width
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _sniff_csv(path: Path, settings: dict[str, Any]) -> Layout:
    with open(path, "rb") as handle:
        raw = handle.read(SNIFF_BYTES)
    if not raw.strip():
        raise FileProblem("The file is empty: the first line must be a header row.")
    encoding, text = _decode_head(raw)
    if settings.get("encoding"):
        encoding = settings["encoding"]
        text = raw.decode(encoding, errors="replace").lstrip("\ufeff")
    delimiter = settings.get("delimiter") or _sniff_delimiter(text)
    layout = Layout(kind="csv", encoding=encoding, delimiter=delimiter)
    if len(raw) >= SNIFF_BYTES:  # the last line may be cut
        text = text[: text.rfind("\n") + 1] or text
    rows = list(csv.reader(text.splitlines()[: SNIFF_ROWS + 50], delimiter=delimiter))
    _layout_from_rows(layout, rows, settings.get("header_line"))
    if encoding not in ("utf-8", "utf-8-sig"):
        layout.notes.append(f"The file is {ENCODING_NAMES.get(encoding, encoding)} text.")
    if delimiter != ",":
        layout.notes.append(
            f"This file looks {DELIMITERS[delimiter]}-separated; we read it as such."
        )
    return layout


def _sniff_xlsx(path: Path, settings: dict[str, Any]) -> Layout:
    from openpyxl import load_workbook

    with open(path, "rb") as handle:
        problem = xlsx_cost_problem(handle)
    if problem:
        raise FileProblem(problem)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise FileProblem("The file is not a readable .xlsx workbook.") from None
    try:
        sheets = [ws.title for ws in workbook.worksheets]
        wanted = settings.get("sheet") or ""
        if wanted and wanted not in sheets:
            raise NeedsChoice(
                f"The workbook has no sheet “{wanted}”; its sheets are: {', '.join(sheets)}."
            )
        candidates = [wanted] if wanted else sheets
        last_problem: FileProblem | None = None
        for title in candidates:
            budget = ReadBudget()  # a workbook of thousands of columns stops here, as in reading
            rows: list[list[str]] = []
            for row in xlsx_value_rows(path, workbook, title, max_row=SNIFF_ROWS):
                if rows:  # cells below the first row, as the read counts them
                    budget.spend(rows=0, cells=len(row))
                rows.append([_xlsx_text(v) for v in row])
            layout = Layout(kind="xlsx", sheet=title, sheets=sheets)
            try:
                _layout_from_rows(layout, rows, settings.get("header_line"))
            except FileProblem as no_header:
                last_problem = no_header
                continue
            if len(sheets) > 1:
                layout.notes.append(
                    f"The workbook has {len(sheets)} sheets ({', '.join(sheets)}); we read "
                    f"“{title}”."
                )
            return layout
        raise last_problem or FileProblem("The workbook has no sheet with a header row.")
    finally:
        workbook.close()


def sniff(path: Path, name: str, settings: dict[str, Any] | None = None) -> Layout:
    """How the file is written; `settings` are what the user (or the source) fixed."""
    settings = settings or {}
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        return _sniff_xlsx(path, settings)
    if suffix in (".csv", ".txt", ".tsv", ""):
        return _sniff_csv(path, settings)
    raise FileProblem(f"“{suffix}” files are not accepted: upload a .csv or .xlsx file.")


# --- reading ----------------------------------------------------------------------------


@dataclass
class ReadReport:
    """What the reader did besides reading: shown in the import's report."""

    notes: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # totals rows
    dropped: dict[str, int] = field(default_factory=dict)  # channel value -> rows dropped

    def as_json(self) -> dict[str, Any]:
        return {
            "notes": self.notes,
            "skipped": sorted(self.skipped, key=lambda s: s["line"])[:50],
            "skipped_count": len(self.skipped),
            "dropped": self.dropped,
            "dropped_count": sum(self.dropped.values()),
        }


@dataclass
class MappedHeader(Header):
    """The columns as the checks see them, and how the file writes values (for messages)."""

    date_label: str = "YYYY-MM-DD"
    number_hint: str = "use digits and a dot for decimals"
    # Every cell comes out trimmed (`FactsReader._map`): the checks do not trim again.
    cells_trimmed: bool = True


class FactsReader:
    """Reads a sniffed, mapped file as batches of ChannelHub's columns."""

    def __init__(self, path: Path, layout: Layout, mapping: Mapping) -> None:
        self.path = path
        self.layout = layout
        self.mapping = mapping
        columns = list(mapping.fields)
        if mapping.constant_channel and "channel" not in columns:
            columns.insert(1, "channel")
        self.header = MappedHeader(
            columns=columns,
            ignored=list(mapping.ignored),
            date_label=DATE_FORMATS.get(mapping.date_format, mapping.date_format),
            number_hint=(
                "write amounts as this file does, with a decimal comma: 1.234,56"
                if mapping.decimal == ","
                else "use digits and a dot for decimals, such as 1234.56 or 1,234.56"
            ),
        )
        self.invalid: list[dict[str, Any]] = []
        self.report = ReadReport(notes=[*layout.notes, *mapping.notes])
        currency = mapping.currency.strip().upper()
        self.rates = (
            Rates(currency) if currency and currency != settings.REPORTING_CURRENCY else None
        )

    # the raw batches: (line numbers, columns by their position in the header)

    def _raw_batches(self) -> Iterator[tuple[np.ndarray, list[pa.Array]]]:
        if self.layout.kind == "xlsx":
            yield from self._xlsx_batches()
        else:
            yield from self._csv_batches()

    def _csv_chunks(self) -> Iterator[bytes]:
        """The file after its header, as UTF-8 chunks cut at line ends."""
        encoding = self.layout.encoding
        if encoding in ("utf-8", "utf-8-sig"):
            handle: Any = open(self.path, "rb")  # noqa: SIM115 (closed below)
            read = handle.read
        else:
            raw = open(self.path, "rb")  # noqa: SIM115
            handle = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")

            def read(size: int) -> bytes:
                try:
                    return handle.read(size // 2).encode("utf-8")
                except UnicodeDecodeError:
                    raise FileProblem(
                        f"The file is not {ENCODING_NAMES.get(encoding, encoding)} text all "
                        "through; save it again as CSV UTF-8."
                    ) from None

        try:
            carry = b""
            skip = self.layout.header_line
            while True:
                block = read(tabular.CSV_CHUNK_BYTES)  # looked up here: tests make it small
                data = carry + block
                if not data:
                    return
                if block:
                    cut = data.rfind(b"\n") + 1
                    if cut == 0:
                        carry = data
                        continue
                    chunk, carry = data[:cut], data[cut:]
                else:
                    chunk, carry = data, b""
                while skip and chunk:
                    end = chunk.find(b"\n")
                    chunk = b"" if end < 0 else chunk[end + 1 :]
                    skip -= 1
                if chunk:
                    yield chunk
        finally:
            handle.close()

    def _csv_batches(self) -> Iterator[tuple[np.ndarray, list[pa.Array]]]:
        width = len(self.layout.names)
        names = [f"c{i}" for i in range(width)]
        wanted = sorted(set(self.mapping.positions.values()))
        convert = pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            include_columns=[names[i] for i in wanted],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        first_line = self.layout.header_line + 1
        budget = ReadBudget()
        delim = self.layout.delimiter
        for chunk in self._csv_chunks():
            if chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[3:]
            lines_in_chunk = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
            budget.spend(rows=lines_in_chunk, cells=lines_in_chunk * width)
            skipped: list[int] = []

            def on_invalid_row(row: Any, first_line: int = first_line, s: list = skipped) -> str:
                line = first_line + row.number - 1
                s.append(line)
                text = row.text.strip()
                cells = [c for c in next(csv.reader([row.text], delimiter=delim)) if c.strip()]
                # A line of one text cell (a copyright or a note under the data) or a
                # totals line is no row of figures: skipped, and said so.
                remark = len(cells) <= 1 and not re.match(r"\s*[0-9]", text.strip('"'))
                if text and not remark and not re.match(TOTAL_WORDS, text.strip('"')):
                    self.invalid.append(
                        {
                            "line": line,
                            "column": "",
                            "value": row.text[:200],
                            "reason": f"expected {row.expected_columns} fields, found "
                            f"{row.actual_columns}",
                        }
                    )
                elif text:
                    self.report.skipped.append({"line": line, "text": text[:120]})
                return "skip"

            try:
                table = pcsv.read_csv(
                    io.BytesIO(chunk),
                    read_options=pcsv.ReadOptions(
                        column_names=names, use_threads=False, block_size=len(chunk) + 1
                    ),
                    parse_options=pcsv.ParseOptions(
                        delimiter=self.layout.delimiter,
                        invalid_row_handler=on_invalid_row,
                        ignore_empty_lines=False,
                    ),
                    convert_options=convert,
                )
            except pa.ArrowInvalid as exc:
                message = str(exc)
                if "utf8" in message.lower():
                    raise FileProblem(
                        "The file is not UTF-8 text all through (save it as CSV UTF-8)."
                    ) from None
                raise FileProblem(f"The file cannot be read as CSV: {message}") from None
            lines = np.arange(table.num_rows, dtype=np.int64) + first_line
            if skipped:
                marks = np.sort(np.array(skipped, dtype=np.int64))
                lines = lines + np.searchsorted(marks - np.arange(len(marks)), lines, side="right")
            first_line += lines_in_chunk
            if table.num_rows:
                yield (
                    lines,
                    [
                        table.column(names[i]).combine_chunks() if i in wanted else None
                        for i in range(width)
                    ],
                )

    def _xlsx_batches(self) -> Iterator[tuple[np.ndarray, list[pa.Array]]]:
        from openpyxl import load_workbook

        workbook = load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet = workbook[self.layout.sheet]
            width = len(self.layout.names)
            wanted = sorted(set(self.mapping.positions.values()))
            buffer: dict[int, list[str]] = {i: [] for i in wanted}
            lines: list[int] = []
            budget = ReadBudget()
            line = self.layout.header_line
            for row in xlsx_value_rows(self.path, workbook, sheet.title, min_row=line + 1):
                line += 1
                budget.spend(rows=1, cells=len(row))
                if not any(v not in (None, "") for v in row):
                    continue
                for i in wanted:
                    buffer[i].append(_xlsx_text(row[i]) if i < len(row) else "")
                lines.append(line)
                if len(lines) >= XLSX_BATCH_ROWS:
                    yield self._flush(buffer, lines, width)
                    buffer, lines = {i: [] for i in wanted}, []
            if lines:
                yield self._flush(buffer, lines, width)
        finally:
            workbook.close()

    @staticmethod
    def _flush(
        buffer: dict[int, list[str]], lines: list[int], width: int
    ) -> tuple[np.ndarray, list[pa.Array]]:
        cols = [pa.array(buffer[i], pa.string()) if i in buffer else None for i in range(width)]
        return np.array(lines, dtype=np.int64), cols

    # mapping a raw batch onto ChannelHub's columns

    def batches(self) -> Iterator[tuple[np.ndarray, pa.RecordBatch]]:
        for lines, raw in self._raw_batches():
            mapped = self._map(lines, raw)
            if mapped is not None:
                yield mapped
        if self.rates is not None and self.rates.note():
            self.report.notes.append(self.rates.note())

    def _map(
        self, lines: np.ndarray, raw: list[pa.Array]
    ) -> tuple[np.ndarray, pa.RecordBatch] | None:
        n = len(lines)
        cols: dict[str, pa.Array] = {
            name: trim_cells(raw[pos]) for name, pos in self.mapping.positions.items()
        }
        keep = np.ones(n, dtype=bool)
        # Totals rows: no readable date, and a cell saying "Total" (or the date cell empty
        # and the row's first text cell saying so).
        date_col = cols.get("date")
        if date_col is not None and not every_cell_starts_with_a_digit(date_col):
            no_date = np.asarray(
                pc.invert(pc.match_substring_regex(date_col, r"[0-9]")).to_numpy(
                    zero_copy_only=False
                ),
                dtype=bool,
            )
            if no_date.any():
                total = np.zeros(n, dtype=bool)
                for values in cols.values():
                    total |= np.asarray(
                        pc.match_substring_regex(values, TOTAL_WORDS).to_numpy(
                            zero_copy_only=False
                        ),
                        dtype=bool,
                    )
                if self.mapping.unlabelled_totals and "channel" in cols:
                    # A totals row with its date and channel left empty (GA4).
                    total |= np.asarray(
                        pc.equal(cols["channel"], "").to_numpy(zero_copy_only=False), dtype=bool
                    )
                totals = no_date & total
                for pos in np.flatnonzero(totals):
                    text = " | ".join(
                        str(cols[c][pos].as_py()) for c in cols if cols[c][pos].as_py()
                    )
                    self.report.skipped.append({"line": int(lines[pos]), "text": text[:120]})
                keep &= ~totals
        # A value that cannot be read keeps its text: the checks report it, with the
        # file's way of writing dates and numbers (MappedHeader).
        if date_col is not None:
            cols["date"] = self._dates(date_col)
        plain: list[str] = []  # columns of plain numbers only (checks.PLAIN_COLUMNS)
        for column in (*MONEY_VALUE_COLUMNS, *COUNT_COLUMNS):
            if column in cols:
                cols[column], all_plain = self._numbers(cols[column])
                if all_plain and column in MONEY_VALUE_COLUMNS:
                    plain.append(column)
                if column in COUNT_COLUMNS and has_character(cols[column], "."):
                    # 12.00 conversions are 12 orders (a fraction stays an error).
                    cols[column] = pc.replace_substring_regex(
                        cols[column], r"^([0-9]+)\.0+$", r"\1"
                    )
        if self.rates is not None and date_col is not None:
            for column in MONEY_VALUE_COLUMNS:
                if column in cols:
                    cols[column] = self.rates.convert(cols["date"], cols[column])
            plain = []
        if "channel" in self.mapping.positions:
            cols["channel"], drop = self._channels(cols["channel"], keep)
            keep &= ~drop
        elif self.mapping.constant_channel:
            cols["channel"] = pa.array(
                np.full(n, self.mapping.constant_channel, dtype=object), pa.string()
            )
        if not keep.all():
            mask = pa.array(keep)
            cols = {k: pc.filter(v, mask) for k, v in cols.items()}
            lines = lines[keep]
        if not len(lines):
            return None
        batch = pa.RecordBatch.from_arrays(
            [cols[c] for c in self.header.columns], names=self.header.columns
        )
        if plain:
            batch = batch.replace_schema_metadata({PLAIN_COLUMNS: ",".join(plain).encode()})
        return lines, batch

    def _dates(self, values: pa.Array) -> pa.Array:
        fmt = self.mapping.date_format or "%Y-%m-%d"
        text = values
        # A time of day has a colon: a column without one skips the expression.
        if (
            has_character(text, ":")
            and pc.any(pc.match_substring_regex(text, _TIME_SUFFIX)).as_py()
        ):
            text = pc.replace_substring_regex(text, _TIME_SUFFIX, "")
            if fmt == "%Y-%m-%d":  # "2025-01-05  00:00" leaves a space behind
                return pc.utf8_trim_whitespace(text)
        if fmt == "%Y-%m-%d":
            return text
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        return pc.coalesce(pc.strftime(parsed, format="%Y-%m-%d"), values)

    def _numbers(self, values: pa.Array) -> tuple[pa.Array, bool]:
        """Amounts and counts as plain decimals ("1.234,56 €" -> "1234.56"), and
        whether every cell is then a plain number (PLAIN_NUMBER)."""
        if self.mapping.decimal == ".":
            if all_plain_numbers(values):
                return values, True
        elif not has_character(values, "."):
            # The usual decimal-comma column ("1234,56", "12"): one comma at most, no
            # thousands dots, symbols or spaces; a third of the cost of the general rules.
            swapped = pc.replace_substring(values, ",", ".", max_replacements=1)
            if all_plain_numbers(swapped):
                return swapped, True
        text = pc.replace_substring_regex(values, _CURRENCY, "")
        text = pc.replace_substring_regex(text, _SPACES, "")
        text = pc.utf8_trim_whitespace(text)
        if self.mapping.decimal == ",":
            shaped = r"^[-+]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]*)(,[0-9]*)?$"
            ok = pc.match_substring_regex(text, shaped)
            text = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
        else:
            shaped = r"^[-+]?([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]*)?$"
            ok = pc.match_substring_regex(text, shaped)
            text = pc.replace_substring(text, ",", "")
        return pc.if_else(ok, text, values), False

    def _channels(self, values: pa.Array, keep: np.ndarray) -> tuple[pa.Array, np.ndarray]:
        """File values -> channel slugs (values the mapping does not name pass as they
        are: a channel's slug or name); rows of values mapped to DROP are dropped."""
        drop = np.zeros(len(values), dtype=bool)
        mapping = self.mapping.channel_values
        if not mapping:
            return values, drop
        keys = pa.array(list(mapping), pa.string())
        targets = pa.array(list(mapping.values()), pa.string())  # stripped by `resolve`
        mapped = pc.take(targets, pc.index_in(pc.utf8_lower(values), value_set=keys))
        drop = np.asarray(
            pc.fill_null(pc.equal(mapped, DROP), False).to_numpy(zero_copy_only=False), dtype=bool
        )
        drop &= keep
        if drop.any():
            for value, count in Counter(pc.filter(values, pa.array(drop)).to_pylist()).items():
                self.report.dropped[value] = self.report.dropped.get(value, 0) + count
        return pc.coalesce(mapped, values), drop


def open_run_reader(run: ImportRun) -> FactsReader:
    """The reader of an import's file, with the plan it was given (its source's,
    the mapping step's or the command line's), completed from the file itself."""
    plan = dict(run.mapping or {})
    path = Path(run.file.path)
    layout = sniff(path, run.original_name, plan.get("reader"))
    return FactsReader(path, layout, resolve(layout, plan))
