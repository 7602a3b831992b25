"""Reading and checking a CSV of observed partner prices, the whole file at once.

The file is read with the KPI import's streaming reader (`kpis.importing`:
line numbers that count the header as line 1, rows with a wrong number of
fields reported, not dropped) and checked column by column with pandas (no
Python loop per row for the checks). Any bad row rejects the whole file: the
caller gets every problem with its line, column, value and reason, and
nothing is written.

Columns (header names are case-insensitive; extra columns are ignored):
    date        the day the price was seen, YYYY-MM-DD, not in the future
    partner     the partner's slug or exact name
    sku         a SKU of the price list
    price       the advertised price, e.g. 89.90 (no currency sign)
    where_seen  where: a web address, a store, a catalogue page, ...
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from channelhub.lib.tabular import CsvReader, FileProblem, FileSpec
from partners.directory.models import Partner

from .models import PriceObservation, Product

COLUMNS = ("date", "partner", "sku", "price", "where_seen")


# Every column is required; the same reader as the facts import, with this header.
PRICE_FILE = FileSpec(required=COLUMNS, optional=())


MAX_FILE_BYTES = 5 * 1024 * 1024


# A price file is a few thousand sightings; a bigger one is a mistake (or
# the facts file uploaded in the wrong place) and is refused before parsing.
MAX_ROWS = 50_000


MAX_REPORTED_ERRORS = 1000


MAX_PRICE_DIGITS = 10


_PRICE_RE = r"^\+?[0-9]+(?:\.[0-9]{1,2})?$"


@dataclass
class ParsedRow:
    line: int
    partner_id: int
    product_id: int
    observed_on: date
    price: Decimal
    where_seen: str


@dataclass
class PriceFile:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: int = 0
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _keys(rows: Any) -> dict[str, int]:
    """slug and case-folded name -> id; a name two partners share maps to -1."""
    by_name: dict[str, int] = {}
    by_slug: dict[str, int] = {}
    for pk, slug, name in rows:
        by_slug[slug.lower()] = pk
        key = name.strip().lower()
        by_name[key] = -1 if key in by_name and by_name[key] != pk else pk
    return {**by_name, **by_slug}


def read_frame(path: Path) -> tuple[pd.DataFrame, CsvReader]:
    reader = CsvReader(path, PRICE_FILE)
    frames = []
    total = 0
    for lines, batch in reader.batches():
        frame = batch.to_pandas()
        frame.insert(0, "line", lines)
        frames.append(frame)
        total += len(frame)
        if total > MAX_ROWS:
            raise FileProblem(f"The file has more than {MAX_ROWS:,} rows; split it.")
    columns = ["line", *COLUMNS]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    for column in COLUMNS:
        frame[column] = frame[column].fillna("").astype(str).str.strip()
    return frame, reader


class _Errors:
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.items: list[dict[str, Any]] = []
        self.bad = np.zeros(len(frame), dtype=bool)

    def add(self, column: str, mask: Any, reason: Any) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        reasons = reason[mask] if isinstance(reason, pd.Series) else [reason] * int(mask.sum())
        for line, value, why in zip(
            self.frame["line"][mask], self.frame[column][mask], reasons, strict=True
        ):
            self.items.append(
                {"line": int(line), "column": column, "value": str(value)[:200], "reason": why}
            )


def check_frame(
    frame: pd.DataFrame, *, today: date, allowed_partner_ids: set[int] | None
) -> PriceFile:
    """Every problem of every row; the parsed rows when there is none.

    `allowed_partner_ids`: the partners the importing user may record prices
    for (None: all of them).
    """
    errors = _Errors(frame)
    blank = (frame[list(COLUMNS)] == "").all(axis=1).to_numpy()

    text = frame["date"]
    days = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    shaped = text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
    errors.add(
        "date",
        ~blank & (days.isna() | ~shaped).to_numpy(),
        pd.Series(
            np.where(text == "", "missing date", "not a date (expected YYYY-MM-DD)"),
            index=frame.index,
        ),
    )
    errors.add("date", ~blank & (days > pd.Timestamp(today)).to_numpy(), "date is in the future")

    partners = _keys(Partner.objects.values_list("pk", "slug", "name"))
    partner_ids = frame["partner"].str.lower().map(partners)
    errors.add(
        "partner",
        ~blank & partner_ids.isna().to_numpy(),
        pd.Series(
            np.where(
                frame["partner"] == "",
                "missing partner",
                "unknown partner (use its slug or exact name)",
            ),
            index=frame.index,
        ),
    )
    errors.add(
        "partner",
        ~blank & (partner_ids == -1).to_numpy(),
        "several partners have this name: use the partner's slug",
    )
    if allowed_partner_ids is not None:
        known = partner_ids.notna() & (partner_ids != -1)
        foreign = known & ~partner_ids.isin(allowed_partner_ids)
        errors.add(
            "partner",
            ~blank & foreign.to_numpy(),
            "you do not manage this partner: only its manager records its prices",
        )

    products = {sku.lower(): pk for pk, sku in Product.objects.values_list("pk", "sku")}
    product_ids = frame["sku"].str.lower().map(products)
    errors.add(
        "sku",
        ~blank & product_ids.isna().to_numpy(),
        pd.Series(
            np.where(frame["sku"] == "", "missing SKU", "unknown SKU (not on the price list)"),
            index=frame.index,
        ),
    )

    price_text = frame["price"]
    shaped_price = price_text.str.fullmatch(_PRICE_RE)
    whole_digits = price_text.str.lstrip("+").str.split(".").str[0].str.len()
    reason = pd.Series(
        np.select(
            [
                (price_text == "").to_numpy(),
                price_text.str.startswith("-").to_numpy(),
                (shaped_price & (whole_digits > MAX_PRICE_DIGITS)).to_numpy(),
            ],
            ["missing price", "must be 0 or more", "price too large"],
            default="not a price (digits and a dot, at most 2 decimals, no currency sign)",
        ),
        index=frame.index,
    )
    errors.add(
        "price", ~blank & (~shaped_price | (whole_digits > MAX_PRICE_DIGITS)).to_numpy(), reason
    )

    where = frame["where_seen"]
    errors.add("where_seen", ~blank & (where == "").to_numpy(), "say where the price was seen")
    errors.add("where_seen", ~blank & (where.str.len() > 300).to_numpy(), "at most 300 characters")

    # The same sighting twice in one file: the later line is the mistake.
    keys = pd.DataFrame(
        {
            "partner": partner_ids,
            "product": product_ids,
            "date": text,
            "where": where.str.lower(),
        }
    )
    duplicate = keys.duplicated(keep="first").to_numpy() & ~errors.bad & ~blank
    if duplicate.any():
        first_line = (
            frame["line"]
            .groupby([keys[column] for column in keys.columns], dropna=False)
            .transform("first")
        )
        errors.add(
            "where_seen",
            duplicate,
            "the same partner, SKU, date and place as line " + first_line.astype(str),
        )

    result = PriceFile()
    keep = ~blank & ~errors.bad
    if errors.bad.any() or not keep.any():
        result.bad_rows = int((errors.bad & ~blank).sum())
        result.errors = sorted(errors.items, key=lambda e: (e["line"], COLUMNS.index(e["column"])))
        return result
    good = frame[keep]
    result.rows = [
        ParsedRow(
            line=int(line),
            partner_id=int(partner),
            product_id=int(product),
            observed_on=day.date(),
            price=Decimal(price.lstrip("+")),
            where_seen=place,
        )
        for line, partner, product, day, price, place in zip(
            good["line"],
            partner_ids[keep],
            product_ids[keep],
            days[keep],
            good["price"],
            good["where_seen"],
            strict=True,
        )
    ]
    _check_against_stored(result)
    return result


def _check_against_stored(result: PriceFile) -> None:
    """A sighting already stored at the same price is skipped (a file imported
    again); at another price it is an error: which one is right is for a person."""
    partner_ids = {r.partner_id for r in result.rows}
    days = [r.observed_on for r in result.rows]
    stored = {
        (p, pr, d, w.lower()): price
        for p, pr, d, w, price in PriceObservation.objects.filter(
            partner_id__in=partner_ids, observed_on__gte=min(days), observed_on__lte=max(days)
        ).values_list("partner_id", "product_id", "observed_on", "where_seen", "price")
    }
    fresh = []
    for row in result.rows:
        price = stored.get(
            (row.partner_id, row.product_id, row.observed_on, row.where_seen.lower())
        )
        if price is None:
            fresh.append(row)
        elif price == row.price:
            result.unchanged += 1
        else:
            result.errors.append(
                {
                    "line": row.line,
                    "column": "price",
                    "value": str(row.price),
                    "reason": f"this sighting is already recorded at {price}",
                }
            )
    if result.errors:
        result.bad_rows = len({e["line"] for e in result.errors})
        result.rows = []
    else:
        result.rows = fresh


def check_file(path: Path, *, today: date, allowed_partner_ids: set[int] | None) -> PriceFile:
    try:
        frame, reader = read_frame(path)
    except FileProblem as problem:
        return PriceFile(errors=problem.errors, bad_rows=1)
    result = check_frame(frame, today=today, allowed_partner_ids=allowed_partner_ids)
    result.ignored_columns = reader.header.ignored
    if reader.invalid:
        result.errors = sorted([*result.errors, *reader.invalid], key=lambda e: e["line"])
        result.bad_rows += len(reader.invalid)
        result.rows = []
    if not result.errors and not result.rows and not result.unchanged:
        result.errors = [
            {
                "line": 2,
                "column": "",
                "value": "",
                "reason": "the file has no rows under its header",
            }
        ]
    result.errors = result.errors[:MAX_REPORTED_ERRORS]
    return result


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        ["2025-05-02", "nordlicht-handel", "DSK-200", "449.00", "https://shop.example/dsk"]
    )
    writer.writerow(["2025-05-03", "Alpine Supply", "CHR-310", "189.90", "Zurich store window"])
    return out.getvalue()
