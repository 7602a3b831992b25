"""Daily facts over the API: pushing them through the import page's machinery,
and the import runs."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from channelhub.lib.text import text_problem
from kpis.models import DailyFact, ImportRun, KpiSnapshot, RecomputeRun
from kpis.tests.helpers import csv_bytes, import_rows
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
FACTS = f"{API}/facts/"


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


# --- pushing facts -----------------------------------------------------------------

BATCH = [
    {"date": "2025-03-01", "channel": "web-shop", "spend": 120.5, "revenue": "480", "orders": 4},
    {"date": "2025-03-02", "channel": "web-shop", "spend": 80, "revenue": None, "orders": 2},
]


def test_a_good_batch_is_written_and_a_recompute_queued(
    marketing_api, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = marketing_api.post(FACTS, BATCH)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["added"], body["replaced"], body["unchanged"]) == (2, 0, 0)
    assert body["first_day"] == "2025-03-01" and body["last_day"] == "2025-03-02"
    fact = DailyFact.objects.get(day=date(2025, 3, 1))
    assert fact.spend == Decimal("120.50") and fact.revenue == Decimal("480.00")
    assert DailyFact.objects.get(day=date(2025, 3, 2)).revenue == Decimal("0")  # null = blank
    run = ImportRun.objects.get(pk=body["import_run"])
    assert run.source == ImportRun.Source.API and run.created_by.username == "maria"
    recompute_run = RecomputeRun.objects.get(pk=body["recompute_run"])
    assert recompute_run.status == "succeeded"
    assert KpiSnapshot.objects.filter(channel=shop, period_kind="month").exists()


def test_pushing_the_same_batch_again_changes_nothing(marketing_api, shop):
    assert marketing_api.post(FACTS, BATCH).status_code == 201
    before = list(DailyFact.objects.values_list("day", "spend", "revenue", "orders"))
    again = marketing_api.post(FACTS, BATCH)
    assert again.status_code == 201
    body = again.json()
    assert (body["added"], body["replaced"], body["unchanged"]) == (0, 0, 2)
    assert body["recompute_run"] is None
    assert list(DailyFact.objects.values_list("day", "spend", "revenue", "orders")) == before


def test_a_spend_only_batch_leaves_the_stored_revenue_alone(marketing_api, shop):
    marketing_api.post(FACTS, BATCH)
    response = marketing_api.post(
        FACTS, [{"date": "2025-03-01", "channel": "web-shop", "spend": "99"}]
    )
    assert response.json()["replaced"] == 1
    fact = DailyFact.objects.get(day=date(2025, 3, 1))
    assert fact.spend == Decimal("99.00") and fact.revenue == Decimal("480.00")


def test_a_bad_batch_is_rejected_whole_with_errors_per_row(marketing_api, shop):
    response = marketing_api.post(
        FACTS,
        [
            {"date": "2025-03-01", "channel": "web-shop", "spend": "10"},
            {"date": "2025-03-02", "channel": "web-shop", "spend": "-5"},
            {"date": "2025-03-03", "channel": "nowhere", "spend": "1"},
            {"date": "2025-02-30", "channel": "web-shop", "spend": "1"},
        ],
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "facts_rejected" and body["bad_rows"] == 3
    by_row = {e["row"]: e for e in body["row_errors"]}
    assert set(by_row) == {1, 2, 3}
    assert by_row[1]["column"] == "spend" and by_row[1]["value"] == "-5"
    assert by_row[2]["column"] == "channel" and by_row[2]["line"] == 4
    assert by_row[3]["column"] == "date"
    assert not DailyFact.objects.exists()
    assert ImportRun.objects.get(pk=body["import_run"]).status == ImportRun.Status.REJECTED


def test_a_key_repeated_in_a_batch_names_the_first_row(marketing_api, shop):
    row = {"date": "2025-03-01", "channel": "web-shop", "spend": "1"}
    body = marketing_api.post(FACTS, [row, dict(row)]).json()
    assert [(e["row"], e["reason"]) for e in body["row_errors"]] == [
        (1, "same date, channel and partner as row 0")
    ]


def test_rows_must_share_their_keys_and_hold_plain_values(marketing_api, shop):
    response = marketing_api.post(
        FACTS,
        [
            {"date": "2025-03-01", "channel": "web-shop", "spend": "1", "revenue": "2"},
            {"date": "2025-03-02", "channel": "web-shop", "spend": {"eur": 1}},
            "not a row",
        ],
    )
    assert response.status_code == 400
    problems = {(e["row"], e["column"]) for e in response.json()["row_errors"]}
    assert problems == {(2, ""), (1, "spend"), (1, "revenue")}
    assert not ImportRun.objects.exists() and not DailyFact.objects.exists()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("web\x00shop", "U+0000"),
        ("web\x1bshop", "U+001B"),
        ("web\x85shop", "U+0085"),
        ("web\tshop", "U+0009"),
        ("web\u202eshop", "U+202E"),
        ("web\u2066shop", "U+2066"),
    ],
)
def test_control_and_direction_characters_are_row_errors_as_in_forms(
    marketing_api, shop, text, code
):
    """The rules of every form's one-line field (channelhub.lib.text), per row and column."""
    rows = [
        {"date": "2025-03-01", "channel": "web-shop", "partner": None, "spend": "1"},
        {"date": "2025-03-02", "channel": text, "partner": None, "spend": "1"},
        {"date": "2025-03-03", "channel": "web-shop", "partner": text, "spend": "1"},
    ]
    response = marketing_api.post(FACTS, rows)
    assert response.status_code == 400, response.content
    errors = [(e["row"], e["column"], e["reason"]) for e in response.json()["row_errors"]]
    assert errors == [
        (1, "channel", text_problem(text)),
        (2, "partner", text_problem(text)),
    ]
    assert code in errors[0][2]
    assert not ImportRun.objects.exists() and not DailyFact.objects.exists()

    named = marketing_api.post(FACTS, [{"date": "2025-03-01", "channel": "web-shop", text: "1"}])
    assert named.status_code == 400
    assert [(e["row"], e["reason"]) for e in named.json()["row_errors"]] == [
        (None, text_problem(text))
    ]
    assert not DailyFact.objects.exists()


def test_a_batch_over_10000_rows_is_refused_with_413(marketing_api, shop):
    rows = [{"date": "2025-03-01", "channel": "web-shop"}] * 10_001
    response = marketing_api.post(FACTS, rows)
    assert response.status_code == 413
    assert "10,000 rows" in response.json()["detail"]
    assert response.json()["code"] == "too_large"
    assert not ImportRun.objects.exists()


def test_a_full_batch_of_every_column_is_read_not_refused_as_too_big(marketing_api, shop):
    """10,000 rows of every column are about 3 MB: over Django's 2.5 MB cap,
    they were refused with an HTML page (RequestDataTooBig)."""
    from datetime import timedelta

    first = date(2001, 1, 1)
    row = {
        "spend": "1234567.89", "revenue": "2345678.90", "cogs": "1234567.80",
        "orders": 12345, "units": 23456, "leads": 3456, "new_customers": 456,
        "impressions": 123456789, "clicks": 1234567, "inventory_value": "3456789.01",
        "partner": "",
    }  # fmt: skip
    rows = [
        {"date": (first + timedelta(days=i)).isoformat(), "channel": "web-shop", **row}
        for i in range(10_000)
    ]
    body = json.dumps(rows)  # as a script writes it: ", " and ": " between items
    assert 2.6e6 < len(body) < 16 * 1024 * 1024
    response = marketing_api.post(FACTS, body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    assert DailyFact.objects.count() == 10_000


def test_a_body_that_is_not_an_array_is_refused(marketing_api, shop):
    response = marketing_api.post(FACTS, {"date": "2025-03-01", "channel": "web-shop"})
    assert response.status_code == 400 and "non_field_errors" in response.json()["errors"]
    assert marketing_api.post(FACTS, []).status_code == 400


def test_a_csv_file_is_pushed_like_an_import_page_upload(marketing_api, shop):
    data = csv_bytes(["date", "channel", "revenue"], [["2025-03-05", "web-shop", "12.345"]])
    response = marketing_api.post(
        FACTS, {"file": SimpleUploadedFile("facts.csv", data)}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["values_rounded"] == 1
    assert DailyFact.objects.get().revenue == Decimal("12.35")  # half-up to cents


def test_a_bad_csv_file_reports_file_line_numbers(marketing_api, shop):
    data = csv_bytes(["date", "channel", "orders"], [["2025-03-05", "web-shop", "1.5"]])
    response = marketing_api.post(
        FACTS, {"file": SimpleUploadedFile("facts.csv", data)}, format="multipart"
    )
    assert response.status_code == 400
    error = response.json()["row_errors"][0]
    assert error["line"] == 2 and error["column"] == "orders" and "row" not in error


@pytest.mark.parametrize("value", [1e12, 1e30, 1e39, 1e100, 1e308])
def test_an_amount_far_too_large_is_refused_never_stored_as_0(marketing_api, shop, value):
    response = marketing_api.post(
        FACTS, [{"date": "2025-01-01", "channel": "web-shop", "spend": value}], format="json"
    )
    assert response.status_code == 400, response.json()
    assert [e["reason"] for e in response.json()["row_errors"]] == [
        "amount too large (at most 9,999,999,999.99)"
    ]
    assert not DailyFact.objects.exists()


def test_an_xlsx_file_is_pushed_too(marketing_api, shop):
    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Channel", "Spend"])
    sheet.append([date(2025, 3, 6), "web-shop", 10.25])
    buffer = io.BytesIO()
    book.save(buffer)
    response = marketing_api.post(
        FACTS, {"file": SimpleUploadedFile("facts.xlsx", buffer.getvalue())}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert DailyFact.objects.get().spend == Decimal("10.25")


def test_a_file_over_10000_rows_is_refused_with_413(marketing_api, shop):
    data = csv_bytes(["date", "channel"], [["2025-03-01", "web-shop"]] * 10_001)
    response = marketing_api.post(
        FACTS, {"file": SimpleUploadedFile("facts.csv", data)}, format="multipart"
    )
    assert response.status_code == 413 and not ImportRun.objects.exists()


def test_a_file_of_the_wrong_kind_is_refused_under_file(marketing_api, shop):
    response = marketing_api.post(
        FACTS, {"file": SimpleUploadedFile("facts.pdf", b"%PDF")}, format="multipart"
    )
    assert response.status_code == 400 and "file" in response.json()["errors"]


@pytest.mark.parametrize(
    ("who", "code"),
    [("viewer_api", 403), ("partner_api", 403), ("norole_api", 403), ("anon_api", 401)],
)
def test_only_marketing_managers_push_facts(who, code, request, shop):
    response = request.getfixturevalue(who).post(FACTS, BATCH)
    assert response.status_code == code
    assert not DailyFact.objects.exists() and not ImportRun.objects.exists()


# --- import and recompute runs -----------------------------------------------------


def test_import_runs_are_listed_with_their_errors_in_detail(marketing_api, shop):
    import_rows(["date", "channel", "spend"], [["2025-01-02", "web-shop", "x"]])
    import_rows(["date", "channel", "spend"], [["2025-01-02", "web-shop", "1"]])
    listed = marketing_api.get(f"{API}/import-runs/", {"status": "rejected"}).json()
    assert listed["count"] == 1 and "errors" not in listed["results"][0]
    detail = marketing_api.get(f"{API}/import-runs/{listed['results'][0]['id']}/").json()
    assert detail["errors"][0]["column"] == "spend" and detail["errors"][0]["line"] == 2


def test_the_import_run_list_costs_the_same_queries_for_1_or_5(marketing_api, shop):
    import_rows(["date", "channel", "spend"], [["2025-01-02", "web-shop", "1"]])
    marketing_api.get(f"{API}/import-runs/")
    with CaptureQueriesContext(connection) as one:
        marketing_api.get(f"{API}/import-runs/")
    for n in range(4):
        import_rows(["date", "channel", "spend"], [[f"2025-01-0{n + 3}", "web-shop", "1"]])
    with CaptureQueriesContext(connection) as five:
        assert marketing_api.get(f"{API}/import-runs/").json()["count"] == 5
    assert len(five) == len(one)


def test_a_file_is_pushed_with_a_preset_and_an_inline_mapping(marketing_api, shop):
    data = (
        b"Day,Sales channel,Orders,Gross sales,Discounts,Returns,Net sales,Shipping,Taxes,"
        b"Total sales\n2025-03-05,Online Store,2,100.00,0.00,0.00,100.00,5.00,8.00,113.00\n"
    )
    response = marketing_api.post(
        FACTS,
        {
            "file": SimpleUploadedFile("sales.csv", data),
            "source": "shopify",
            "mapping": '{"channel_values": {"Online Store": "web-shop"}}',
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    fact = DailyFact.objects.get()
    assert (fact.revenue, fact.orders) == (Decimal("113.00"), 2)


def test_an_unknown_source_or_a_bad_mapping_is_refused(marketing_api, shop):
    data = csv_bytes(["date", "channel", "revenue"], [["2025-03-05", "web-shop", "1"]])
    for extra, field in (({"source": "nope"}, "source"), ({"mapping": "[1]"}, "mapping")):
        response = marketing_api.post(
            FACTS, {"file": SimpleUploadedFile("f.csv", data), **extra}, format="multipart"
        )
        assert response.status_code == 400 and field in response.json()["errors"]
    assert not DailyFact.objects.exists()


def test_a_one_row_push_with_a_null_date_names_the_missing_date(marketing_api, shop):
    """The report: it was refused as a file with "no header row"."""
    response = marketing_api.post(FACTS, [{"date": None, "channel": "web-shop"}])
    assert response.status_code == 400, response.json()
    body = response.json()
    assert "no header row" not in str(body)
    (error,) = body["row_errors"]
    assert error["column"] == "date" and error["line"] == 2
    assert not DailyFact.objects.exists()
