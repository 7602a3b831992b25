"""Stages 1 and 2 of the import (kpis.ingest.pipeline): read a daily-facts file
and check every row (the format is in docs/metrics.md, section 1).

Files are streamed in batches (bounded memory whatever the file size) and every
check is vectorised with Arrow compute, the columnar engine under pandas: no
Python loop runs per row. A batch comes out as typed columns ready for the
staging table (money in integer cents), plus the errors it held. Other imports
(customer feedback) reuse the row checks (`RowErrors`, `parse_date`,
`resolve_channel_and_partner`, ...). One module (a little over 500 lines):
the checks of one file format, each next to the column limits it enforces.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from channelhub.lib.dates import date_window
from channelhub.lib.tabular import (
    CsvReader,
    FileProblem,
    FileSpec,
    Header,
    XlsxReader,
    open_reader,
)
from channels_app.channels.models import Channel
from kpis.models import COUNT_COLUMNS, MONEY_COLUMNS
from partners.models import Partner

__all__ = ["CsvReader", "FileProblem", "FileSpec", "Header", "XlsxReader", "open_facts_reader"]

REQUIRED_COLUMNS = ("date", "channel")
OPTIONAL_COLUMNS = ("partner", *MONEY_COLUMNS, *COUNT_COLUMNS, "inventory_value")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
MONEY_VALUE_COLUMNS = (*MONEY_COLUMNS, "inventory_value")
# Every column the staging table has, in order.
STAGE_COLUMNS = (
    "line_no",
    "channel_id",
    "day",
    "partner_key",
    *MONEY_COLUMNS,
    *COUNT_COLUMNS,
    "inventory_value",
)
# Per-row limits keep sums of millions of rows inside a 64-bit integer
# (SQLite's sum() overflows rather than switching to numeric).
MAX_MONEY_INTEGER_DIGITS = 10
MAX_COUNT_DIGITS = 12
MAX_DETAILED_BAD_ROWS = 1000
# Bytes of CSV parsed at a time: bounds the import's memory (~10x this).

_MONEY_RE = r"^\+?(?P<i>[0-9]*)(?:\.(?P<f>[0-9]*))?$"
_COUNT_RE = r"^\+?[0-9]+$"
_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass
class Lookups:
    """Channel and partner names/slugs as Arrow arrays for vectorised mapping."""

    channel_keys: pa.Array
    channel_ids: pa.Array  # -1 marks a name several channels share
    channel_labels: dict[int, str]
    partner_keys: pa.Array
    partner_ids: pa.Array  # -1 marks a shared name
    partner_channel: dict[int, int]

    @classmethod
    def load(cls) -> Lookups:
        channel_keys, channel_ids = _keyed(Channel.objects.values_list("pk", "slug", "name"))
        partner_rows = list(Partner.objects.values_list("pk", "slug", "name", "channel_id"))
        partner_keys, partner_ids = _keyed((pk, slug, name) for pk, slug, name, _ in partner_rows)
        return cls(
            channel_keys=channel_keys,
            channel_ids=channel_ids,
            channel_labels=dict(Channel.objects.values_list("pk", "slug")),
            partner_keys=partner_keys,
            partner_ids=partner_ids,
            partner_channel={pk: channel_id for pk, _, _, channel_id in partner_rows},
        )


def _keyed(rows: Any) -> tuple[pa.Array, pa.Array]:
    """Keys = slugs, then case-folded names (a name several rows share maps to -1)."""
    by_slug: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for pk, slug, name in rows:
        by_slug[slug.lower()] = pk
        key = " ".join(name.split()).lower()
        by_name[key] = -1 if key in by_name and by_name[key] != pk else pk
    merged = {**by_name, **by_slug}  # a slug wins over a name
    return pa.array(list(merged), pa.string()), pa.array(list(merged.values()), pa.int64())


@dataclass
class NewChannels:
    """Channels to create for `--create-channels`: provisional ids -2, -3, ...
    (-1 already means "a name several channels share")."""

    names: dict[str, tuple[int, str]] = field(default_factory=dict)

    def ids_for(self, keys: list[str], originals: list[str]) -> dict[str, int]:
        for key, original in zip(keys, originals, strict=True):
            if key not in self.names:
                self.names[key] = (-(len(self.names) + 2), " ".join(original.split()))
        return {key: self.names[key][0] for key in keys}


@dataclass
class BatchResult:
    table: pa.Table | None  # staging rows (None when the batch had errors)
    rows: int
    errors: list[dict[str, Any]]
    bad_rows: int
    rounded: int
    first_day: date | None
    last_day: date | None
    channel_ids: set[int]


FACTS = FileSpec(REQUIRED_COLUMNS, OPTIONAL_COLUMNS)


def open_facts_reader(path: Path, name: str) -> CsvReader | XlsxReader:
    return open_reader(path, name, FACTS)


# --- Validation -------------------------------------------------------------


class RowErrors:
    """Errors of one batch: masks per column, turned into report rows at the end."""

    def __init__(self, n: int, order: tuple[str, ...] = FACTS.known) -> None:
        self.n = n
        self.order = order
        self.items: list[tuple[str, np.ndarray, pa.Array, Any]] = []
        self.any_bad = np.zeros(n, dtype=bool)

    def add(self, column: str, bad: Any, values: pa.Array, reason: Any) -> None:
        mask = np.asarray(pc.fill_null(bad, False).to_numpy(zero_copy_only=False), dtype=bool)
        if mask.any():
            self.items.append((column, mask, values, reason))
            self.any_bad |= mask

    def report(self, lines: np.ndarray, budget: int) -> list[dict[str, Any]]:
        """Errors of the first `budget` bad rows, in line order."""
        bad_positions = np.flatnonzero(self.any_bad)[:budget]
        keep = np.zeros(self.n, dtype=bool)
        keep[bad_positions] = True
        rows: list[dict[str, Any]] = []
        for column, mask, values, reason in self.items:
            positions = np.flatnonzero(mask & keep)
            if not len(positions):
                continue
            taken = values.take(pa.array(positions)).to_pylist()
            reasons = (
                reason.take(pa.array(positions)).to_pylist()
                if isinstance(reason, pa.Array)
                else [reason] * len(positions)
            )
            for pos, value, why in zip(positions, taken, reasons, strict=True):
                rows.append(
                    {"line": int(lines[pos]), "column": column, "value": value, "reason": why}
                )
        order = {c: i for i, c in enumerate(self.order)}
        rows.sort(key=lambda e: (e["line"], order.get(e["column"], 99)))
        return rows


def strip_cells(values: pa.Array, *, trimmed: bool = False) -> pa.Array:
    """Cells without surrounding white space (`trimmed`: the reader trimmed them already,
    as kpis.ingest.reading does: each column is then not copied again)."""
    return values if trimmed else trim_cells(values)


# A batch's schema metadata naming the columns whose every cell its reader
# (kpis.ingest.reading) found to be a plain number (PLAIN_NUMBER), trimmed:
# the checks do not look at them again.
PLAIN_COLUMNS = b"channelhub.plain_numbers"


def plain_columns(batch: pa.RecordBatch) -> set[str]:
    """The columns `batch`'s reader vouched for (PLAIN_COLUMNS)."""
    named = (batch.schema.metadata or {}).get(PLAIN_COLUMNS, b"")
    return set(named.decode().split(",")) - {""}


def trim_cells(values: pa.Array) -> pa.Array:
    """The cells without the white space around them (Unicode's, as Arrow's
    utf8_trim_whitespace knows it). A column whose every cell starts and ends
    with a visible ASCII character, as an export's are, has none to remove:
    it is handed back as it is, told from its first and last bytes alone (a
    tenth of a second less per million rows of 13 columns)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = _text_buffers(values)
    if text is None or not len(values):
        return pc.utf8_trim_whitespace(values)
    offsets, data = text
    filled = offsets[1:] > offsets[:-1]
    first, last = data[offsets[:-1][filled]], data[offsets[1:][filled] - 1]
    # Visible ASCII is 0x21-0x7E; below it (white space, control characters)
    # wraps past 0x5D, and every byte of a longer UTF-8 character is above it.
    if ((first - 0x21) <= 0x5D).all() and ((last - 0x21) <= 0x5D).all():
        return values
    return pc.utf8_trim_whitespace(values)


_MAX_CENTS = 10 ** (MAX_MONEY_INTEGER_DIGITS + 2) - 1
_MAX_COUNT = 10**MAX_COUNT_DIGITS - 1
PLAIN_NUMBER = r"^[0-9]*\.?[0-9]*$"  # digits with at most one dot ("1234.5", ".5", "")
_DOT, _ZERO = ord("."), ord("0")


def _text_buffers(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray] | None:
    """A column of text cells as Arrow stores it: each cell's start in the
    bytes (and the end of the last), and the bytes (UTF-8); None for a column
    with missing cells or not stored as plain text."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.type != pa.string() or values.null_count:
        return None
    n = len(values)
    if not n:
        return np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(
        values.buffers()[1], dtype=np.int32, count=n + 1, offset=values.offset * 4
    )
    data = values.buffers()[2]
    return offsets, (
        np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    )


def cell_bytes(values: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """The characters of a column of text cells, one after the other, as bytes
    (UTF-8); None for a column with missing cells (never read from a file) or
    not stored as plain text: the callers then ask Arrow's string functions.
    Questions about every character of a column ("any dot?", "only digits?")
    are then one pass over memory instead of a regular expression per cell."""
    text = _text_buffers(values)
    if text is None:
        return None
    offsets, data = text
    return data[int(offsets[0]) : int(offsets[-1])]


def every_cell_starts_with_a_digit(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether no cell is empty and each one's first character is a digit (a column
    of dates written with digits: no totals row among them). False when unsure."""
    text = _text_buffers(values)
    if text is None or len(text[0]) < 2:
        return False
    offsets, data = text
    if bool((offsets[1:] == offsets[:-1]).any()):
        return False
    return bool((data[offsets[:-1]] - _ZERO <= 9).all())


def has_character(values: pa.Array | pa.ChunkedArray, character: str) -> bool:
    """Whether any cell holds `character` (one ASCII character)."""
    body = cell_bytes(values)
    if body is None:
        return bool(pc.any(pc.match_substring(values, character)).as_py())
    return bool((body == ord(character)).any())


def all_plain_numbers(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether every cell matches PLAIN_NUMBER: only digits and dots, and no
    cell with two dots (from the bytes at once; the regular expression cell by
    cell was the import's largest cost)."""
    body = cell_bytes(values)
    if body is None:
        return bool(pc.all(pc.match_substring_regex(values, PLAIN_NUMBER)).as_py())
    dots = body == _DOT
    if not ((body - _ZERO <= 9) | dots).all():  # uint8: bytes below "0" wrap past 9
        return False
    return not dots.any() or (pc.max(pc.count_substring(values, ".")).as_py() or 0) <= 1


# The longest plain amount the decimal cast below is asked to read: the most
# whole digits an amount may have, a dot and 2 decimals. Longer cells are too
# large anyway (the careful path says so); the cast read a string of over 38
# digits as 0.00 without a word, and 18 digits overflowed the cents' int64.
_DECIMAL_CAST_CHARS = MAX_MONEY_INTEGER_DIGITS + 3


def _fast_money(
    text: pa.Array, empty: pa.Array, *, nullable: bool, plain: bool = False
) -> pa.Array | None:
    """The common case in one cast: every value plain, at most 2 decimals, in
    range. None when any value needs the careful path (errors, rounding).
    `plain`: the reader found every cell plain already (PLAIN_COLUMNS)."""
    if not plain and not all_plain_numbers(text):  # an empty cell is plain, and "0" below
        return None
    filled = pc.if_else(empty, "0", text)
    cents = _short_amount_cents(text, filled)
    if cents is None:
        if len(text) and (pc.max(pc.binary_length(text)).as_py() or 0) > _DECIMAL_CAST_CHARS:
            return None
        try:
            amounts = pc.cast(filled, pa.decimal128(20, 2))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        cents = pc.cast(pc.multiply(amounts, pa.scalar(100, pa.decimal128(5, 0))), pa.int64())
        if len(cents) and (pc.max(cents).as_py() or 0) > _MAX_CENTS:
            return None
    return pc.if_else(empty, pa.scalar(None, pa.int64()), cents) if nullable else cents


def _short_amount_cents(text: pa.Array, filled: pa.Array) -> pa.Array | None:
    """Cents of plain amounts (PLAIN_NUMBER) of at most 10 whole digits and 2
    decimals, through a 64-bit float: exact at this size (a correctly rounded
    parse and one multiplication err by less than a thousandth of a cent, and
    the result is rounded to the cent), and half the cost of a decimal cast.
    None when a cell is longer: the decimal cast answers."""
    if not len(text):
        return None
    length = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False), dtype=np.int64)
    dot = np.asarray(pc.find_substring(text, ".").to_numpy(zero_copy_only=False), dtype=np.int64)
    whole = np.where(dot >= 0, dot, length)
    decimals = np.where(dot >= 0, length - dot - 1, 0)
    if whole.max() > MAX_MONEY_INTEGER_DIGITS or decimals.max() > 2:
        return None
    try:
        amounts = pc.cast(filled, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # "." alone
        return None
    values = np.asarray(amounts.to_numpy(zero_copy_only=False), dtype=np.float64)
    return pa.array(np.rint(values * 100).astype(np.int64))


NUMBER_HINT = "use digits and a dot for decimals, no thousands separators"


def _parse_money(
    values: pa.Array,
    errors: RowErrors,
    column: str,
    *,
    nullable: bool,
    hint: str = NUMBER_HINT,
    trimmed: bool = False,
    plain: bool = False,
) -> tuple[pa.Array, int]:
    """Decimal text -> integer cents, rounded half-up; returns (cents, values rounded)."""
    text = strip_cells(values, trimmed=trimmed)
    fast = _fast_money(text, pc.equal(text, ""), nullable=nullable, plain=plain and trimmed)
    if fast is not None:
        return fast, 0
    empty = pc.equal(text, "")
    parts = pc.extract_regex(text, _MONEY_RE)
    whole = pc.struct_field(parts, "i")
    frac = pc.struct_field(parts, "f")
    matched = pc.is_valid(parts)
    has_digits = pc.greater(
        pc.add(pc.utf8_length(pc.fill_null(whole, "")), pc.utf8_length(pc.fill_null(frac, ""))), 0
    )
    ok = pc.and_(matched, has_digits)
    too_big = pc.and_(
        ok, pc.greater(pc.utf8_length(pc.fill_null(whole, "")), MAX_MONEY_INTEGER_DIGITS)
    )
    negative = pc.starts_with(text, "-")
    bad = pc.and_(pc.invert(empty), pc.or_(pc.invert(ok), too_big))
    reason = pc.if_else(
        negative,
        "must be 0 or more",
        pc.if_else(
            too_big,
            "amount too large (at most 9,999,999,999.99)",
            pc.if_else(pc.starts_with(text, "="), FORMULA_REASON, f"not a number ({hint})"),
        ),
    )
    errors.add(column, bad, values, reason)
    usable = pc.and_(ok, pc.invert(too_big))
    whole_digits = pc.if_else(pc.equal(pc.fill_null(whole, ""), ""), "0", pc.fill_null(whole, "0"))
    frac_text = pc.fill_null(frac, "")
    padded = pc.binary_join_element_wise(frac_text, "000", "")
    cents_part = pc.utf8_slice_codeunits(padded, 0, 2)
    third = pc.utf8_slice_codeunits(padded, 2, 3)
    safe_whole = pc.if_else(usable, whole_digits, "0")
    safe_cents = pc.if_else(usable, cents_part, "00")
    cents = pc.add(
        pc.multiply(pc.cast(safe_whole, pa.int64()), 100), pc.cast(safe_cents, pa.int64())
    )
    round_up = pc.and_(usable, pc.greater_equal(third, "5"))
    cents = pc.add(cents, pc.cast(round_up, pa.int64()))
    rest = pc.utf8_slice_codeunits(frac_text, 2, 1000)
    rounded = pc.and_(usable, pc.match_substring_regex(rest, "[1-9]"))
    rounded_count = int(pc.sum(pc.cast(rounded, pa.int64())).as_py() or 0)
    if nullable:
        cents = pc.if_else(empty, pa.scalar(None, pa.int64()), cents)
    return cents, rounded_count


# A workbook written by a program that does not calculate (a script's
# export) stores formulas without their results: the reader gives their text.
FORMULA_REASON = (
    "a formula whose result the file does not hold: open the file in Excel or "
    "LibreOffice and save it, or type the value"
)


def _parse_count(
    values: pa.Array, errors: RowErrors, column: str, *, trimmed: bool = False
) -> pa.Array:
    text = strip_cells(values, trimmed=trimmed)
    empty = pc.equal(text, "")
    try:  # the common case in one cast; anything odd takes the careful path
        counts = pc.cast(pc.if_else(empty, "0", text), pa.int64())
        bounds = pc.min_max(counts)
        if not len(counts) or (bounds["min"].as_py() >= 0 and bounds["max"].as_py() <= _MAX_COUNT):
            return counts
    except pa.ArrowInvalid:
        pass
    ok = pc.and_(
        pc.match_substring_regex(text, _COUNT_RE),
        pc.less_equal(pc.utf8_length(text), MAX_COUNT_DIGITS + 1),
    )
    bad = pc.and_(pc.invert(empty), pc.invert(ok))
    reason = pc.if_else(
        pc.starts_with(text, "-"),
        "must be 0 or more",
        pc.if_else(
            pc.match_substring_regex(text, r"^\+?[0-9]*\.[0-9]+$"),
            "not a whole number",
            pc.if_else(
                pc.match_substring_regex(text, r"^\+?[0-9]+$"),
                "number too large",
                pc.if_else(pc.starts_with(text, "="), FORMULA_REASON, "not a number"),
            ),
        ),
    )
    errors.add(column, bad, values, reason)
    clean = pc.if_else(ok, pc.utf8_ltrim(text, "+"), "0")
    return pc.cast(clean, pa.int64())


def parse_date(
    values: pa.Array, errors: RowErrors, expected: str = "YYYY-MM-DD", *, trimmed: bool = False
) -> pa.Array:
    """Dates as date32; a cell that is not a real YYYY-MM-DD day, or a day
    outside the facts window (channelhub.lib.dates), is a row error."""
    text = strip_cells(values, trimmed=trimmed)
    try:  # strict ISO dates in one cast (2025-02-30 and 2025-1-5 fail it)
        days = pc.cast(text, pa.date32())
        real = pa.array(np.ones(len(text), dtype=bool))
    except pa.ArrowInvalid:
        shaped = pc.match_substring_regex(text, _DATE_RE)
        parsed = pc.strptime(
            pc.if_else(shaped, text, "1970-01-01"), format="%Y-%m-%d", unit="s", error_is_null=True
        )
        # strptime rolls 2025-02-30 over to March: a real date prints back unchanged.
        real = pc.and_(
            shaped, pc.equal(pc.fill_null(pc.strftime(parsed, format="%Y-%m-%d"), ""), text)
        )
        reason = pc.if_else(pc.equal(text, ""), "missing date", f"not a date (expected {expected})")
        errors.add("date", pc.invert(real), values, reason)
        days = pc.cast(pc.if_else(real, parsed, pa.scalar(0, pa.timestamp("s"))), pa.date32())
    window = date_window("facts")
    outside = pc.and_(
        real,
        pc.or_(
            pc.less(days, pa.scalar(window.first, pa.date32())),
            pc.greater(days, pa.scalar(window.last, pa.date32())),
        ),
    )
    if pc.any(outside).as_py():
        errors.add("date", outside, values, f"out of range: dates {window.message}")
    return days


def _lookup(keys: pa.Array, ids: pa.Array, values: pa.Array) -> pa.Array:
    index = pc.index_in(values, value_set=keys)
    return pc.take(ids, index)


def blank_rows(cols: dict[str, pa.Array], n: int, *, trimmed: bool = False) -> np.ndarray:
    blank = np.ones(n, dtype=bool)
    for values in cols.values():
        blank &= np.asarray(
            pc.equal(strip_cells(values, trimmed=trimmed), "").to_numpy(zero_copy_only=False),
            dtype=bool,
        )
    return blank


# White space of every kind, runs of it too (RE2's \\s is ASCII only).
ANY_SPACES = r"[\s\x{00A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+"


def _channel_name_max() -> int:
    return Channel._meta.get_field("name").max_length or 0


def resolve_channel_and_partner(
    cols: dict[str, pa.Array],
    errors: RowErrors,
    lookups: Lookups,
    new_channels: NewChannels | None = None,
    *,
    trimmed: bool = False,
) -> tuple[pa.Array, pa.Array]:
    """Channel ids from the `channel` column (slug, else unique name) and
    partner ids from `partner` (0 when blank), with a reported error for an
    unknown one or a partner of another channel. Bad values come back as 0."""
    n = len(cols["channel"])
    channel_text = strip_cells(cols["channel"], trimmed=trimmed)
    channel_key = pc.utf8_lower(channel_text)
    channel_id = _lookup(lookups.channel_keys, lookups.channel_ids, channel_key)
    unknown = pc.and_(pc.is_null(channel_id), pc.not_equal(channel_key, ""))
    if pc.any(unknown).as_py():
        # Spaces of every kind as one plain space, as channel names are kept (a
        # no-break space pasted into a sheet): looked up again, only when some
        # value was not found (the common file pays nothing for it).
        spaced = pc.replace_substring_regex(channel_key, ANY_SPACES, " ")
        channel_key = pc.if_else(unknown, spaced, channel_key)
        channel_id = _lookup(lookups.channel_keys, lookups.channel_ids, channel_key)
        unknown = pc.and_(pc.is_null(channel_id), pc.not_equal(channel_key, ""))
    too_long: pa.Array | None = None
    if new_channels is not None and pc.any(unknown).as_py():
        unknown_keys = pc.unique(pc.filter(channel_key, unknown)).to_pylist()
        originals = [
            pc.filter(channel_text, pc.equal(channel_key, k))[0].as_py() for k in unknown_keys
        ]
        # A name a channel cannot have is the row's error, not the import's
        # failure (creating the channel raised, naming no row).
        most = _channel_name_max()
        long_keys = [k for k, o in zip(unknown_keys, originals, strict=True) if len(o) > most]
        if long_keys:
            too_long = pc.is_in(channel_key, value_set=pa.array(long_keys, pa.string()))
            kept = [(k, o) for k, o in zip(unknown_keys, originals, strict=True) if len(o) <= most]
            unknown_keys, originals = [k for k, _ in kept], [o for _, o in kept]
        created = new_channels.ids_for(unknown_keys, originals)
        channel_id = pc.coalesce(
            channel_id,
            _lookup(
                pa.array(list(created), pa.string()),
                pa.array(list(created.values()), pa.int64()),
                channel_key,
            ),
        )
    channel_bad = pc.or_(pc.is_null(channel_id), pc.equal(pc.fill_null(channel_id, 0), -1))
    if pc.any(channel_bad).as_py():  # the reasons (a string per row) only when needed
        channel_reason = pc.if_else(
            pc.equal(channel_key, ""),
            "missing channel",
            pc.if_else(
                pc.equal(pc.fill_null(channel_id, 0), -1),
                "several channels have this name: use the channel's slug",
                "unknown channel (use its slug or exact name)",
            ),
        )
        if too_long is not None:
            channel_reason = pc.if_else(
                pc.fill_null(too_long, False),
                f"too long for a new channel's name (at most {_channel_name_max()} characters)",
                channel_reason,
            )
        errors.add("channel", channel_bad, cols["channel"], channel_reason)
    channel_ok = pc.fill_null(pc.invert(channel_bad), False)
    channel_id = pc.if_else(channel_ok, channel_id, 0)

    partner_key_text = (
        pc.utf8_lower(strip_cells(cols["partner"], trimmed=trimmed)) if "partner" in cols else None
    )
    if partner_key_text is not None and not pc.all(pc.equal(partner_key_text, "")).as_py():
        partner_blank = pc.equal(partner_key_text, "")
        partner_id = _lookup(lookups.partner_keys, lookups.partner_ids, partner_key_text)
        partner_unknown = pc.and_(
            pc.invert(partner_blank),
            pc.or_(pc.is_null(partner_id), pc.equal(pc.fill_null(partner_id, 0), -1)),
        )
        partner_id = pc.if_else(partner_blank, 0, pc.fill_null(partner_id, 0))
        owner_keys = pa.array(list(lookups.partner_channel), pa.int64())
        owner_values = pa.array(list(lookups.partner_channel.values()), pa.int64())
        owner = _lookup(owner_keys, owner_values, partner_id)
        wrong_channel = pc.and_(
            pc.and_(pc.invert(partner_blank), pc.invert(partner_unknown)),
            pc.and_(channel_ok, pc.not_equal(pc.fill_null(owner, 0), channel_id)),
        )
        partner_bad = pc.or_(partner_unknown, wrong_channel)
        if pc.any(partner_bad).as_py():  # the reasons only when needed
            owner_slugs = pc.cast(owner, pa.string())  # replaced by names below for messages
            labels = lookups.channel_labels
            if pc.any(wrong_channel).as_py():
                owner_slugs = pa.array(
                    [labels.get(o) if o is not None else None for o in owner.to_pylist()],
                    pa.string(),
                )
            reason = pc.if_else(
                partner_unknown,
                pc.if_else(
                    pc.equal(
                        pc.fill_null(
                            _lookup(lookups.partner_keys, lookups.partner_ids, partner_key_text),
                            0,
                        ),
                        -1,
                    ),
                    "several partners have this name: use the partner's slug",
                    "unknown partner (use its slug or exact name)",
                ),
                pc.binary_join_element_wise(
                    "partner belongs to channel “",
                    pc.fill_null(owner_slugs, "?"),
                    "”, not this row's channel",
                    "",
                ),
            )
            errors.add("partner", partner_bad, cols["partner"], reason)
        partner_id = pc.if_else(partner_bad, 0, partner_id)
    else:  # no partner column, or every cell blank: channel-level rows
        partner_id = pa.array(np.zeros(n, dtype=np.int64))
    return pc.cast(channel_id, pa.int64()), pc.cast(partner_id, pa.int64())


def validate_batch(
    batch: pa.RecordBatch,
    lines: np.ndarray,
    *,
    header: Header,
    lookups: Lookups,
    new_channels: NewChannels | None,
    error_budget: int,
) -> BatchResult:
    n = batch.num_rows
    errors = RowErrors(n)
    cols = {name: batch.column(name) for name in header.columns}
    # A mapped file's reader (kpis.ingest.reading) hands over trimmed cells.
    trimmed = bool(getattr(header, "cells_trimmed", False))
    blank_row = blank_rows(cols, n, trimmed=trimmed)
    # A mapped file (kpis.ingest.reading) says how it writes dates and numbers.
    day = parse_date(
        cols["date"], errors, getattr(header, "date_label", "YYYY-MM-DD"), trimmed=trimmed
    )
    channel_id, partner_id = resolve_channel_and_partner(
        cols, errors, lookups, new_channels, trimmed=trimmed
    )

    staged: dict[str, pa.Array] = {
        "line_no": pa.array(lines, pa.int64()),
        "channel_id": channel_id,
        "day": day,
        "partner_key": partner_id,
    }
    rounded_total = 0
    plain = plain_columns(batch)
    for column in MONEY_VALUE_COLUMNS:
        nullable = column == "inventory_value"
        if column in cols:
            cents, rounded = _parse_money(
                cols[column],
                errors,
                column,
                nullable=nullable,
                hint=getattr(header, "number_hint", NUMBER_HINT),
                trimmed=trimmed,
                plain=column in plain,
            )
            staged[column] = cents
            rounded_total += rounded
        else:
            staged[column] = (
                pa.nulls(n, pa.int64()) if nullable else pa.array(np.zeros(n, dtype=np.int64))
            )
    for column in COUNT_COLUMNS:
        staged[column] = (
            _parse_count(cols[column], errors, column, trimmed=trimmed)
            if column in cols
            else pa.array(np.zeros(n, dtype=np.int64))
        )

    # A completely blank line is not a row: drop it rather than report it.
    if blank_row.any():
        errors.any_bad &= ~blank_row
        errors.items = [(c, m & ~blank_row, v, r) for c, m, v, r in errors.items]
    keep = ~blank_row
    bad_rows = int(errors.any_bad.sum())
    report = errors.report(lines, error_budget) if bad_rows else []
    table = None
    first = last = None
    channel_ids: set[int] = set()
    if not bad_rows:
        table = pa.table({name: staged[name] for name in STAGE_COLUMNS})
        if not keep.all():
            table = table.filter(pa.array(keep))
        if table.num_rows:
            bounds = pc.min_max(table.column("day"))
            first, last = bounds["min"].as_py(), bounds["max"].as_py()
            channel_ids = set(pc.unique(table.column("channel_id")).to_pylist())
    return BatchResult(
        table=table,
        rows=int(keep.sum()),
        errors=report,
        bad_rows=bad_rows,
        rounded=rounded_total,
        first_day=first,
        last_day=last,
        channel_ids=channel_ids,
    )


def template_csv() -> str:
    """The downloadable template: every column, two example rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KNOWN_COLUMNS)
    writer.writerow(
        [
            "2025-01-15",
            "web-shop",
            "",
            "1250.00",
            "8400.50",
            "3900.20",
            "61",
            "75",
            "140",
            "22",
            "48000",
            "1900",
            "",
        ]
    )
    writer.writerow(
        [
            "2025-01-15",
            "eu-distributors",
            "nordlicht-handel",
            "0",
            "12500",
            "7400",
            "12",
            "480",
            "0",
            "1",
            "0",
            "0",
            "35000",
        ]
    )
    return out.getvalue()


def template_xlsx() -> bytes:
    """The template as a workbook: the same header and rows, dates as date cells."""
    from datetime import date as day

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Daily facts"
    rows = list(csv.reader(io.StringIO(template_csv())))
    sheet.append(rows[0])
    for row in rows[1:]:
        cells: list[Any] = [day.fromisoformat(row[0]), *row[1:3]]
        cells += [float(v) if v else None for v in row[3:]]
        sheet.append(cells)
    for cell in sheet["A"][1:]:
        cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
