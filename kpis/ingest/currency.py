"""Amounts in another currency than the reporting one (settings.REPORTING_CURRENCY):
converted row by row with the rate of the row's day (kpis.models.ExchangeRate,
imported from a rates file or entered by hand). A day without a rate refuses
the whole file, naming the days; the report says which rates were used."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from channelhub.lib.tabular import FileProblem
from kpis.models import ExchangeRate

CENT = Decimal("0.01")
_PLAIN = re.compile(r"^[0-9]*\.?[0-9]*$")


class Rates:
    """The daily rates of one currency, and which of them a file used."""

    def __init__(self, currency: str) -> None:
        self.currency = currency.upper()
        self.by_day = {
            day.isoformat(): rate
            for day, rate in ExchangeRate.objects.filter(currency=self.currency).values_list(
                "day", "rate"
            )
        }
        self.used: dict[str, Decimal] = {}

    def convert(self, days: pa.Array, amounts: pa.Array) -> pa.Array:
        """Amounts (plain decimal text) in the reporting currency, to the cent.
        What is not a plain number or a real day is left for the checks to report."""
        out: list[str] = []
        missing: set[str] = set()
        for day, text in zip(days.to_pylist(), amounts.to_pylist(), strict=True):
            if not text or not _PLAIN.match(text) or not re.match(r"^\d{4}-\d{2}-\d{2}$", day):
                out.append(text)
                continue
            rate = self.by_day.get(day)
            if rate is None:
                missing.add(day)
                out.append(text)
                continue
            self.used[day] = rate
            value = (Decimal(text) * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            out.append(str(value))
        if missing:
            days_text = ", ".join(sorted(missing)[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise FileProblem(
                f"The amounts are in {self.currency}, and there is no {self.currency} rate for "
                f"{days_text}{more}. Add the rates (Import → Exchange rates) and import the "
                "file again; nothing was imported."
            )
        return pa.array(out, pa.string())

    def note(self) -> str:
        if not self.used:
            return ""
        days = sorted(self.used)
        rates = sorted(set(self.used.values()))
        span = days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"
        values = (
            f"{rates[0].normalize()}"
            if len(rates) == 1
            else f"{rates[0].normalize()} to {rates[-1].normalize()}"
        )
        return (
            f"Amounts in {self.currency} converted to {settings.REPORTING_CURRENCY} with the "
            f"daily rates of {span} ({len(days)} day(s); 1 {self.currency} = {values} "
            f"{settings.REPORTING_CURRENCY})."
        )


# --- rates: a file or one by hand -------------------------------------------------------


def reporting_currency_problem(code: str) -> str | None:
    """The reporting currency takes no exchange rate (its amounts are taken as they are)."""
    code = code.strip().upper()
    if code == settings.REPORTING_CURRENCY:
        return f"{code} is the reporting currency: its amounts are taken as they are."
    return None


def has_rates(code: str) -> bool:
    """Whether any exchange rate of `code` is stored (a source may convert with it)."""
    return ExchangeRate.objects.filter(currency=code.strip().upper()).exists()


def _rate_problem(currency: str, day_text: str, rate_text: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"[A-Za-z]{3}", currency.strip()):
        return "currency", "not a currency code (three letters, such as EUR)"
    reporting = reporting_currency_problem(currency)
    if reporting:
        return "currency", reporting
    try:
        date.fromisoformat(day_text.strip())
    except ValueError:
        return "date", "not a date (expected YYYY-MM-DD)"
    try:
        rate = Decimal(rate_text.strip().replace(",", "."))
    except InvalidOperation:
        return "rate", "not a number"
    if rate <= 0 or rate >= Decimal("1e10"):
        return "rate", "must be more than 0"
    return None


def rates_import(*, content: bytes, user: User | None) -> int:
    """A rates file (date, currency, rate: one unit of the currency in the reporting
    currency). Whole file or nothing: raises FileProblem listing every bad line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("date", "currency", "rate") if c not in header]
    if missing:
        raise FileProblem(
            "A rates file has the columns date, currency and rate; this one has: "
            + (", ".join(header) or "nothing")
            + "."
        )
    at = {name: header.index(name) for name in ("date", "currency", "rate")}
    rows: dict[tuple[str, date], Decimal] = {}
    errors: list[dict[str, Any]] = []
    for line, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        cells = {k: (row[i] if i < len(row) else "") for k, i in at.items()}
        problem = _rate_problem(cells["currency"], cells["date"], cells["rate"])
        if problem:
            errors.append(
                {
                    "line": line,
                    "column": problem[0],
                    "value": cells[problem[0]],
                    "reason": problem[1],
                }
            )
            continue
        key = (cells["currency"].strip().upper(), date.fromisoformat(cells["date"].strip()))
        rows[key] = Decimal(cells["rate"].strip().replace(",", "."))
    if errors:
        raise FileProblem(f"{len(errors)} line(s) have problems; no rate was saved.", errors)
    if not rows:
        raise FileProblem("The file has a header but no rates.")
    with transaction.atomic():
        for (currency, day), rate in rows.items():
            ExchangeRate.objects.update_or_create(
                currency=currency, day=day, defaults={"rate": rate, "created_by": user}
            )
    return len(rows)


def rate_set(*, currency: str, day: date, rate: Decimal, user: User | None) -> ExchangeRate:
    obj, _ = ExchangeRate.objects.update_or_create(
        currency=currency.upper(), day=day, defaults={"rate": rate, "created_by": user}
    )
    return obj
