"""How values are written in the files people have: encodings, separators,
decimal marks, date formats, totals rows. Shared by sniffing and reading a
file (kpis.ingest.reading) and by the column mapping (kpis.ingest.mapping)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from channelhub.lib.tabular import FileProblem

SNIFF_BYTES = 256 * 1024
SNIFF_ROWS = 2000
PREVIEW_ROWS = 8
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with a byte-order mark)",
    "utf-16": "UTF-16 (Excel “Unicode text”)",
    "utf-16-le": "UTF-16",
    "cp1252": "Windows-1252 (Western European)",
}
# Date formats tried on a date column, most specific first; ISO needs no conversion.
DATE_FORMATS = {
    "%Y-%m-%d": "YYYY-MM-DD",
    "%d.%m.%Y": "DD.MM.YYYY",
    "%d/%m/%Y": "DD/MM/YYYY",
    "%m/%d/%Y": "MM/DD/YYYY",
    "%Y/%m/%d": "YYYY/MM/DD",
    "%d-%m-%Y": "DD-MM-YYYY",
    "%Y%m%d": "YYYYMMDD",
    "%b %d, %Y": "Jan 5, 2025",
    "%d %b %Y": "5 Jan 2025",
    "%B %d, %Y": "January 5, 2025",
    "%d %B %Y": "5 January 2025",
    "%d.%m.%y": "DD.MM.YY",
    "%d/%m/%y": "DD/MM/YY",
    "%m/%d/%y": "MM/DD/YY",
}
TOTAL_WORDS = r"(?i)^\s*(total|totals|grand total|sum|summe|gesamt|gesamtsumme|totale|totaal|all)\b"
# A time of day after a date ("2025-01-05 00:00:00", "2025-01-05T00:00"): dropped.
_TIME_SUFFIX = r"[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?( ?[AaPp][Mm])?(Z|[+-][0-9:]+)?$"
_CURRENCY = r"[€$£¥₹]|\b[A-Z]{3}\b|\bkr\.?|\bCHF\b|\bzł|R\$"
_SPACES = "[\\s\u00a0\u202f']"


class NeedsChoice(FileProblem):
    """The file can be read once the user chooses something (the mapping step asks)."""


@dataclass
class Layout:
    """How a file is written, as sniffed (or as the user set it)."""

    kind: str  # "csv" or "xlsx"
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    header_line: int = 1  # 1-based line (or sheet row) of the header
    sniffed_header_line: int = 1  # where sniffing alone would put it
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # the header as read
    rows: list[list[str]] = field(default_factory=list)  # rows after the header, as text
    notes: list[str] = field(default_factory=list)

    def preview(self) -> list[list[str]]:
        return self.rows[:PREVIEW_ROWS]

    def column_values(self, index: int) -> list[str]:
        return [r[index].strip() for r in self.rows if index < len(r) and r[index].strip()]


_PLAIN_NUMBER = re.compile(r"[0-9]*\.?[0-9]*")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_number(text: str) -> bool:
    cleaned = re.sub(_SPACES, "", re.sub(_CURRENCY, "", text)).strip()
    return bool(re.fullmatch(r"[-+(]?[0-9][0-9.,]*\)?%?", cleaned))


def sniff_decimal(values: list[str], delimiter: str = ",") -> str:
    """ "," when the numbers are written with a decimal comma, "." otherwise.
    Raises NeedsChoice when the sample cannot tell (only values like 1,234)."""
    if delimiter == "," and all(_PLAIN_NUMBER.fullmatch(v) for v in values):
        # Digits with at most one dot: no value can show a decimal comma.
        return "."
    comma = dot = ambiguous = 0
    example = {"comma": "", "dot": ""}
    for raw in values:
        text = re.sub(_SPACES, "", re.sub(_CURRENCY, "", raw)).strip().lstrip("-+")
        if not re.fullmatch(r"[0-9][0-9.,]*", text):
            continue
        if re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+,[0-9]+|[0-9]+,([0-9]{1,2}|[0-9]{4,})", text) or (
            re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3}){2,}", text)
        ):
            comma += 1
            example["comma"] = example["comma"] or raw
        elif re.fullmatch(
            r"[0-9]{1,3}(,[0-9]{3})+\.[0-9]+|[0-9]+\.([0-9]{1,2}|[0-9]{4,})", text
        ) or (re.fullmatch(r"[0-9]{1,3}(,[0-9]{3}){2,}", text)):
            dot += 1
            example["dot"] = example["dot"] or raw
        elif re.fullmatch(r"[0-9]{1,3}[.,][0-9]{3}", text):
            ambiguous += 1
    if comma and dot:
        raise FileProblem(
            f"The numbers mix decimal commas and decimal dots (“{example['comma']}” and "
            f"“{example['dot']}”); write them one way."
        )
    if comma:
        return ","
    if dot or not ambiguous or delimiter == ",":
        # A comma-separated file writes decimal dots (a decimal comma would have to
        # be quoted, and then 1,5 or 1.234,56 would have shown it).
        return "."
    raise NeedsChoice(
        "The amounts (such as 1,234 or 1.234) could be read with a decimal comma or a decimal "
        "dot; choose the decimal mark in the mapping step."
    )


def sniff_date_format(values: list[str], *, cells: bool = False) -> str:
    """The format most sample dates are written in; NeedsChoice when several fit.
    `cells`: a workbook's date cells come as ISO dates, and its text dates (in one
    other format) are read besides them."""
    samples = [re.sub(_TIME_SUFFIX, "", v.strip()) for v in values if v.strip()][:SNIFF_ROWS]
    samples = [s for s in samples if not re.match(TOTAL_WORDS, s)]
    if cells:
        samples = [s for s in samples if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s)]
    if not samples:
        return "%Y-%m-%d"
    if all(_ISO_DATE.fullmatch(s) for s in samples):
        # Every sample is ISO-shaped: ISO fits them all, so it is the answer
        # (ties go to it), whatever the other formats would say.
        return "%Y-%m-%d"
    counts: dict[str, int] = {}
    for fmt in DATE_FORMATS:
        fits = 0
        for s in samples:
            try:
                datetime.strptime(s, fmt)
            except ValueError:
                # An ISO-shaped non-day (2025-02-30) is still an ISO file: the checks name it.
                fits += fmt == "%Y-%m-%d" and bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s))
            else:
                fits += 1
        counts[fmt] = fits
    best = max(counts.values())
    if not best:
        raise FileProblem(
            f"We cannot read the dates (such as “{samples[0]}”): write them as YYYY-MM-DD, "
            "or choose their format in the mapping step."
        )
    fitting = [fmt for fmt, fits in counts.items() if fits == best]
    if "%Y-%m-%d" in fitting:
        return "%Y-%m-%d"
    if len(fitting) > 1:
        names = " or ".join(DATE_FORMATS[f] for f in fitting[:3])
        raise NeedsChoice(
            f"The dates (such as “{samples[0]}”) could be {names}: choose the date format in "
            "the mapping step."
        )
    return fitting[0]
