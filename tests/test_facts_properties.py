"""Property tests of the facts import (issue 19 item 9): for any file Hypothesis
makes (a mix of valid and invalid cells, UTF-8 with or without a byte-order
mark, either line ending, quoted or not, sometimes the wrong separator):

- the whole-file rule: one bad row and nothing is written;
- the KPIs the export answers after the recompute equal a plain pandas
  computation of docs/metrics.md (section 3) over what the file holds.

Only the stable entry points: POST /api/v1/facts/ and GET /api/v1/kpis/export/.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels_app.models import Channel
from kpis.models import DailyFact, ImportRun
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

FIRST_DAY = date(2025, 1, 1)
DAYS = [FIRST_DAY + timedelta(days=i) for i in range(59)]  # January and February
# Cells naming a channel: its slug, its name in other letter case, an unknown one.
CHANNEL_CELLS = {"web-shop": "web-shop", "ads": "ads", "CAFÉ ADS": "ads", "Café Ads": "ads"}
AMOUNTS = ("spend", "revenue", "cogs")
COUNTS = ("orders", "leads", "new_customers")
AMOUNT_RE = re.compile(r"^\+?\d{1,10}(\.\d+)?$")
COUNT_RE = re.compile(r"^\+?\d{1,12}$")
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


@dataclass
class FactsFile:
    columns: list[str]
    rows: list[dict[str, str]]
    encoding: str
    delimiter: str
    line_end: str
    quote_all: bool
    content: bytes = field(default=b"", repr=False)

    def build(self) -> FactsFile:
        out = io.StringIO()
        writer = csv.writer(
            out,
            delimiter=self.delimiter,
            lineterminator=self.line_end,
            quoting=csv.QUOTE_ALL if self.quote_all else csv.QUOTE_MINIMAL,
        )
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([row[c] for c in self.columns])
        self.content = out.getvalue().encode(self.encoding)
        return self


VALID_AMOUNTS = st.one_of(
    st.decimals(min_value=0, max_value=99_999, places=2).map(str),
    st.decimals(min_value=0, max_value=999, places=3).map(lambda d: f"+{d}"),
    st.just(""),
)
VALID_COUNTS = st.one_of(st.integers(0, 50_000).map(str), st.just(""))
BAD_CELLS = {
    "amount": ["-5", "1,020", "$5", "abc", "1e3", "12345678901"],
    "count": ["1.5", "-1", "x", "1234567890123"],
    "date": ["2025-02-30", "31/01/2025", ""],
    "channel": ["nowhere", ""],
}
# A semicolon-separated file is no fault: it is read as such (kpis/ingest/tests/test_real_files.py).
FAULTS = ["amount or count", "date", "channel", "repeated key"]


@st.composite
def facts_files(draw) -> FactsFile:
    """A file that is clean or has one or more faults of FAULTS, in any encoding."""
    values = draw(st.lists(st.sampled_from(AMOUNTS + COUNTS), min_size=1, unique=True))
    columns = ["date", "channel", *values]
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(DAYS), st.sampled_from(["web-shop", "ads"])),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    rows = []
    for day, channel in keys:
        names = [cell for cell, slug in CHANNEL_CELLS.items() if slug == channel]
        row = {"date": day.isoformat(), "channel": draw(st.sampled_from(names))}
        for column in values:
            row[column] = draw(VALID_AMOUNTS if column in AMOUNTS else VALID_COUNTS)
        rows.append(row)
    delimiter = ","
    for fault in draw(st.lists(st.sampled_from(FAULTS), max_size=2, unique=True)):
        row = draw(st.sampled_from(rows))
        if fault == "amount or count":
            column = draw(st.sampled_from(values))
            row[column] = draw(
                st.sampled_from(BAD_CELLS["amount" if column in AMOUNTS else "count"])
            )
        elif fault in ("date", "channel"):
            row[fault] = draw(st.sampled_from(BAD_CELLS[fault]))
        elif fault == "repeated key":
            rows.insert(draw(st.integers(0, len(rows))), dict(row))
        else:
            delimiter = ";"
    return FactsFile(
        columns=columns,
        rows=rows,
        encoding=draw(st.sampled_from(["utf-8", "utf-8-sig"])),
        delimiter=delimiter,
        line_end=draw(st.sampled_from(["\n", "\r\n"])),
        quote_all=draw(st.booleans()),
    ).build()


# --- the oracle: docs/metrics.md, by hand -----------------------------------------------


def _valid_date(cell: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell)) and bool(date.fromisoformat(cell))
    except ValueError:
        return False


def _row_valid(row: dict[str, str]) -> bool:
    if not _valid_date(row["date"]) or row["channel"] not in CHANNEL_CELLS:
        return False
    for column, cell in row.items():
        if column in AMOUNTS and cell and not AMOUNT_RE.match(cell):
            return False
        if column in COUNTS and cell and not COUNT_RE.match(cell):
            return False
    return True


def accepted(file: FactsFile) -> bool:
    """Whether docs/metrics.md s1.3 accepts the whole file."""
    if file.delimiter != ",":
        return False  # one column named "date;channel;...": required columns missing
    if not all(_row_valid(row) for row in file.rows):
        return False
    keys = [(row["date"], CHANNEL_CELLS[row["channel"]]) for row in file.rows]
    return len(keys) == len(set(keys))


def _ratio(numerator: Decimal, denominator: Decimal) -> str:
    if denominator == 0:
        return ""
    return str((numerator / denominator).quantize(RATIO, rounding=ROUND_HALF_UP))


def expected_kpis(file: FactsFile) -> dict[tuple[str, str], dict[str, str]]:
    """Monthly KPIs per channel, computed with pandas from the accepted rows."""
    frame = pd.DataFrame(file.rows)
    frame["channel"] = frame["channel"].map(CHANNEL_CELLS)
    frame["month"] = frame["date"].str[:7] + "-01"
    for column in AMOUNTS:
        cells = frame[column] if column in frame else pd.Series([""] * len(frame))
        frame[column] = pd.Series(
            [Decimal(c or "0").quantize(CENT, rounding=ROUND_HALF_UP) for c in cells],
            index=frame.index,
            dtype=object,
        )
    for column in COUNTS:
        cells = frame[column] if column in frame else pd.Series([""] * len(frame))
        frame[column] = [int(c or "0") for c in cells]
    sums = frame.groupby(["channel", "month"])[[*AMOUNTS, *COUNTS]].sum()
    result: dict[tuple[str, str], dict[str, str]] = {}
    for key, s in sums.iterrows():
        channel, month = (str(part) for part in cast(tuple, key))
        spend, revenue, cogs = (Decimal(s[c]) for c in AMOUNTS)
        orders, leads, new_customers = (int(s[c]) for c in COUNTS)
        gross_profit = revenue - cogs
        result[(channel, month)] = {
            "spend": str(spend.quantize(CENT)),
            "revenue": str(revenue.quantize(CENT)),
            "cogs": str(cogs.quantize(CENT)),
            "total_cost": str(spend.quantize(CENT)),
            "gross_profit": str(gross_profit.quantize(CENT)),
            "orders": str(orders),
            "leads": str(leads),
            "new_customers": str(new_customers),
            "roi": _ratio(gross_profit - spend, spend),
            "roas": _ratio(revenue, spend),
            "cac": _ratio(spend, Decimal(new_customers)),
            "cpl": _ratio(spend, Decimal(leads)),
            "conversion_rate": _ratio(Decimal(orders), Decimal(leads)),
            "aov": _ratio(revenue, Decimal(orders)),
            "gross_margin_pct": _ratio(gross_profit, revenue),
        }
    return result


# --- the property ------------------------------------------------------------------------


@pytest.fixture
def channels():
    ChannelFactory(name="Web Shop", slug="web-shop")
    ChannelFactory(name="Café Ads", slug="ads", kind=Channel.Kind.OTHER)


def _exported(api) -> dict[tuple[str, str], dict[str, str]]:
    response = api.get(
        "/api/v1/kpis/export/",
        {"period": "month", "start": "2025-01-01", "end": "2025-02-28"},
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return {(r["channel"], r["period_start"]): r for r in csv.DictReader(io.StringIO(text))}


def test_a_facts_file_is_imported_whole_or_not_at_all_and_its_kpis_are_metrics_md(
    marketing_api, channels, django_capture_on_commit_callbacks
):
    outcomes = {"accepted": 0, "rejected": 0}

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(file=facts_files())
    def check(file: FactsFile) -> None:
        with transaction.atomic():
            with django_capture_on_commit_callbacks(execute=True):
                response = marketing_api.post(
                    "/api/v1/facts/",
                    {"file": SimpleUploadedFile("facts.csv", file.content)},
                    format="multipart",
                )
            outcomes["accepted" if accepted(file) else "rejected"] += 1
            if not accepted(file):
                assert response.status_code == 400, (response.status_code, response.json())
                assert not DailyFact.objects.exists()
                assert not ImportRun.objects.filter(status=ImportRun.Status.SUCCEEDED).exists()
            else:
                assert response.status_code == 201, response.json()
                assert DailyFact.objects.count() == len(file.rows)
                exported = _exported(marketing_api)
                expected = expected_kpis(file)
                assert set(exported) == set(expected)
                for key, kpis in expected.items():
                    got = {name: exported[key][name] for name in kpis}
                    assert got == kpis, key
            transaction.set_rollback(True)

    check()
    # Both sides of the rule were exercised.
    assert outcomes["accepted"] >= 3 and outcomes["rejected"] >= 3, outcomes
