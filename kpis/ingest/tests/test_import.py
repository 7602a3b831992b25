"""Importing daily facts (docs/metrics.md section 1): every kind of bad input,
upserts, re-imports, partial columns, XLSX, undo (and what an undo does to the KPIs)."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from openpyxl import Workbook

from channels_app.channels.models import Channel
from kpis.engine.recompute import recompute_execute
from kpis.ingest.services import ImportRefused, import_undo
from kpis.models import (
    ChannelDataState,
    DailyFact,
    FactBackup,
    ImportRun,
    KpiSnapshot,
    RecomputeRun,
)
from kpis.tests.helpers import csv_bytes, import_bytes, import_rows, kpi, recompute, table_indexes
from tests.factories import ChannelFactory, PartnerFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "partner", "spend", "revenue", "orders", "inventory_value"]


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


@pytest.fixture
def market():
    return ChannelFactory(name="Marketplace", slug="market", route="indirect")


def facts() -> list[tuple]:
    return list(
        DailyFact.objects.order_by("channel_id", "day", "partner_key").values_list(
            "channel_id", "day", "partner_key", "spend", "revenue", "orders", "inventory_value"
        )
    )


def errors_of(run: ImportRun) -> list[tuple]:
    return [(e["line"], e["column"], e["value"], e["reason"]) for e in run.errors]


# --- good files --------------------------------------------------------------------------


def test_a_good_file_is_imported_and_queues_a_recompute(shop, market):
    run = import_rows(HEADER, [
        ["2025-01-01", "web-shop", "", "100.50", "900", "9", ""],
        ["2025-01-02", "Marketplace", "", "10", "20", "1", "5000"],
    ])  # fmt: skip
    assert run.status == "succeeded", run.errors
    assert (run.rows_added, run.rows_replaced, run.rows_unchanged) == (2, 0, 0)
    assert facts() == [
        (shop.pk, date(2025, 1, 1), 0, D("100.50"), D("900.00"), 9, None),
        (market.pk, date(2025, 1, 2), 0, D("10.00"), D("20.00"), 1, D("5000.00")),
    ]
    assert run.recompute_run.channel_ids == sorted([shop.pk, market.pk])
    assert (run.recompute_run.start_date, run.recompute_run.end_date) == (
        date(2025, 1, 1),
        date(2025, 1, 2),
    )
    assert run.first_day == date(2025, 1, 1) and run.last_day == date(2025, 1, 2)
    assert all(f.import_run_id == run.pk for f in DailyFact.objects.all())


def test_importing_the_same_file_twice_changes_nothing(shop):
    data = csv_bytes(HEADER, [["2025-01-01", "web-shop", "", "100", "900", "9", ""]])
    first = import_bytes(data)
    before = facts()
    second = import_bytes(data)
    assert second.status == "succeeded"
    assert (second.rows_added, second.rows_replaced, second.rows_unchanged) == (0, 0, 1)
    assert facts() == before
    assert second.recompute_run is None  # nothing changed: nothing to recompute
    assert DailyFact.objects.get().import_run_id == first.pk
    assert not FactBackup.objects.exists()


def test_an_existing_key_is_replaced(shop):
    import_rows(HEADER, [["2025-01-01", "web-shop", "", "100", "900", "9", ""]])
    run = import_rows(HEADER, [["2025-01-01", "web-shop", "", "150", "900", "9", "70"]])
    assert (run.rows_added, run.rows_replaced) == (0, 1)
    assert facts() == [(shop.pk, date(2025, 1, 1), 0, D("150.00"), D("900.00"), 9, D("70.00"))]


def test_a_missing_column_keeps_the_stored_values(shop):
    import_rows(HEADER, [["2025-01-01", "web-shop", "", "100", "900", "9", "50"]])
    run = import_rows(
        ["date", "channel", "spend"],
        [["2025-01-01", "web-shop", "120"], ["2025-01-02", "web-shop", "80"]],
    )
    assert (run.rows_added, run.rows_replaced) == (1, 1)
    assert facts() == [
        (shop.pk, date(2025, 1, 1), 0, D("120.00"), D("900.00"), 9, D("50.00")),
        (shop.pk, date(2025, 1, 2), 0, D("80.00"), D("0.00"), 0, None),
    ]


def test_blank_cells_are_zero_but_blank_inventory_is_not_reported(shop):
    import_rows(HEADER, [["2025-01-01", "web-shop", "", "", "", "", ""]])
    assert facts() == [(shop.pk, date(2025, 1, 1), 0, D("0.00"), D("0.00"), 0, None)]


def test_bom_header_case_spaces_and_column_order_are_accepted(shop):
    data = csv_bytes(
        [" Revenue ", "CHANNEL", "Date"], [["12.5", "web-shop", "2025-03-01"]], bom=True
    )
    run = import_bytes(data)
    assert run.status == "succeeded", run.errors
    assert facts()[0][4] == D("12.50")


def test_extra_columns_are_ignored_and_reported(shop):
    run = import_rows(
        ["date", "channel", "spend", "notes"], [["2025-01-01", "web-shop", "1", "hello"]]
    )
    assert run.status == "succeeded" and run.ignored_columns == ["notes"]


def test_money_is_rounded_half_up_to_cents_and_counted(shop):
    run = import_rows(["date", "channel", "spend", "revenue"], [
        ["2025-01-01", "web-shop", "1.005", "2.675"],
        ["2025-01-02", "web-shop", "0.994999", "3.10"],
        ["2025-01-03", "web-shop", "7.000", ".5"],
    ])  # fmt: skip
    assert run.status == "succeeded", run.errors
    assert [(f[3], f[4]) for f in facts()] == [
        (D("1.01"), D("2.68")),
        (D("0.99"), D("3.10")),
        (D("7.00"), D("0.50")),
    ]
    assert run.values_rounded == 3  # 7.000 lost nothing


def test_channels_and_partners_are_found_by_slug_or_unique_name(shop, market):
    partner = PartnerFactory(channel=market, name="Nordic Supply", slug="nordic")
    run = import_rows(HEADER, [
        ["2025-01-01", "WEB SHOP", "", "1", "1", "1", ""],
        ["2025-01-01", "market", "nordic supply", "1", "1", "1", ""],
        ["2025-01-02", "market", "NORDIC", "1", "1", "1", ""],
    ])  # fmt: skip
    assert run.status == "succeeded", run.errors
    assert sorted(f[2] for f in facts()) == [0, partner.pk, partner.pk]


def test_create_channels_makes_unknown_channels(shop):
    run = import_rows(["date", "channel", "revenue"], [
        ["2025-01-01", "TikTok Shop", "10"],
        ["2025-01-02", "tiktok shop", "20"],
        ["2025-01-02", "web-shop", "5"],
    ], create_channels=True)  # fmt: skip
    assert run.status == "succeeded", run.errors
    created = Channel.objects.get(slug="tiktok-shop")
    assert (created.name, created.kind) == ("TikTok Shop", "other")
    assert run.channels_created == ["tiktok-shop"]
    assert DailyFact.objects.filter(channel=created).count() == 2


def test_a_channel_name_with_other_spaces_is_the_same_channel(shop):
    """A no-break space pasted into a sheet made "Müller Shop" twice, two
    channels that look the same in every list."""
    run = import_rows(["date", "channel", "revenue"], [
        ["2025-01-01", f"{shop.name.replace(' ', chr(0xA0))}", "10"],
        ["2025-01-02", "Müller\u00a0Shop", "20"],
        ["2025-01-03", "Müller  Shop", "30"],
        ["2025-01-04", "müller shop", "40"],
    ], create_channels=True)  # fmt: skip
    assert run.status == "succeeded", run.errors
    created = Channel.objects.get(slug="muller-shop")
    assert created.name == "Müller Shop"
    assert Channel.objects.count() == 2
    assert DailyFact.objects.filter(channel=created).count() == 3
    assert DailyFact.objects.filter(channel=shop).count() == 1


def test_a_new_channel_name_too_long_is_the_rows_error_not_the_imports_failure(shop):
    """It failed the whole import with "{'name': ['Ensure this value has at
    most 120 characters ...']}" and named no row."""
    long_name = "Shop " + "x" * 145
    run = import_rows(["date", "channel", "revenue"], [
        ["2025-01-01", "TikTok Shop", "10"],
        ["2025-01-02", long_name, "20"],
    ], create_channels=True)  # fmt: skip
    assert run.status == "rejected"
    assert [(e["line"], e["column"], e["reason"]) for e in run.errors] == [
        (3, "channel", "too long for a new channel's name (at most 120 characters)")
    ]
    assert not Channel.objects.filter(slug="tiktok-shop").exists()
    assert not DailyFact.objects.exists()


# --- bad files: rejected whole, nothing written ---------------------------------------------


def test_every_kind_of_bad_row_is_reported_with_its_line_and_nothing_is_written(shop, market):
    other = ChannelFactory(slug="other-channel")
    PartnerFactory(channel=other, slug="not-theirs", name="Not Theirs")
    run = import_rows(["date", "channel", "partner", "spend", "orders", "inventory_value"], [
        ["2025-01-01", "web-shop", "", "10", "1", ""],  # line 2: fine
        ["2025-02-30", "web-shop", "", "10", "1", ""],  # 3: no such day
        ["01/02/2025", "web-shop", "", "10", "1", ""],  # 4: wrong format
        ["2025-01-05", "nope", "", "10", "1", ""],  # 5: unknown channel
        ["2025-01-06", "web-shop", "ghost", "10", "1", ""],  # 6: unknown partner
        ["2025-01-07", "market", "not-theirs", "10", "1", ""],  # 7: partner of another channel
        ["2025-01-08", "web-shop", "", "-3", "1", ""],  # 8: negative money
        ["2025-01-09", "web-shop", "", "1.200.00", "1", ""],  # 9: not a number
        ["2025-01-10", "web-shop", "", "10", "1.5", ""],  # 10: non-integer count
        ["2025-01-11", "web-shop", "", "10", "-1", "abc"],  # 11: negative count, bad inventory
        ["", "", "", "10", "1", ""],  # 12: missing date and channel
    ])  # fmt: skip
    assert run.status == "rejected"
    assert errors_of(run) == [
        (3, "date", "2025-02-30", "not a date (expected YYYY-MM-DD)"),
        (4, "date", "01/02/2025", "not a date (expected YYYY-MM-DD)"),
        (5, "channel", "nope", "unknown channel (use its slug or exact name)"),
        (6, "partner", "ghost", "unknown partner (use its slug or exact name)"),
        (
            7,
            "partner",
            "not-theirs",
            "partner belongs to channel “other-channel”, not this row's channel",
        ),
        (8, "spend", "-3", "must be 0 or more"),
        (
            9,
            "spend",
            "1.200.00",
            "not a number (use digits and a dot for decimals, such as 1234.56 or 1,234.56)",
        ),
        (10, "orders", "1.5", "not a whole number"),
        (11, "orders", "-1", "must be 0 or more"),
        (
            11,
            "inventory_value",
            "abc",
            "not a number (use digits and a dot for decimals, such as 1234.56 or 1,234.56)",
        ),
        (12, "date", "", "missing date"),
        (12, "channel", "", "missing channel"),
    ]
    assert run.bad_rows == 10
    assert "nothing was imported" in run.message
    assert not DailyFact.objects.exists()
    assert not RecomputeRun.objects.exists()


def test_a_duplicate_key_inside_the_file_is_an_error(shop):
    run = import_rows(HEADER, [
        ["2025-01-01", "web-shop", "", "1", "1", "1", ""],
        ["2025-01-02", "web-shop", "", "1", "1", "1", ""],
        ["2025-01-01", "Web Shop", "", "2", "2", "2", ""],
    ])  # fmt: skip
    assert run.status == "rejected"
    assert errors_of(run) == [(4, "date", "2025-01-01", "same date, channel and partner as line 2")]
    assert not DailyFact.objects.exists()


def test_a_missing_required_column_rejects_the_file(shop):
    run = import_rows(["date", "spend"], [["2025-01-01", "1"]])
    assert run.status == "rejected"
    assert errors_of(run) == [
        (
            1,
            "channel",
            "",
            "We found no column for the channel; the columns are: “date”, “spend”. Choose the "
            "channel column, or one channel for the whole file, in the mapping step.",
        )
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"date,channel\n", "no data rows"),
        (b"\xff\xfe\x00d\x00a", "no header row"),
    ],
)
def test_empty_or_unreadable_files_are_rejected(shop, data, reason):
    if not data:
        from kpis.ingest.checks import FileProblem

        with pytest.raises(FileProblem, match="empty"):
            import_bytes(data)
        return
    run = import_bytes(data)
    assert run.status == "rejected"
    assert reason in run.message


def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(shop, settings):
    from kpis.ingest.checks import FileProblem

    settings.MAX_UPLOAD_BYTES = 10
    with pytest.raises(FileProblem, match="larger than"):
        import_bytes(csv_bytes(HEADER, [["2025-01-01", "web-shop", "", "1", "1", "1", ""]]))
    assert not ImportRun.objects.exists()


def test_a_row_with_too_many_fields_is_reported_with_its_line(shop):
    run = import_bytes(
        b"date,channel,spend\n2025-01-01,web-shop,1\n2025-01-02,web-shop,1,9\n2025-01-03,nope,1\n"
    )
    assert run.status == "rejected"
    assert [(e["line"], e["reason"]) for e in run.errors] == [
        (3, "expected 3 fields, found 4"),
        (4, "unknown channel (use its slug or exact name)"),
    ]


def test_blank_lines_are_skipped_and_do_not_shift_line_numbers(shop):
    run = import_bytes(b"date,channel,spend\n2025-01-01,web-shop,1\n\n2025-01-02,nope,1\n")
    assert errors_of(run) == [
        (4, "channel", "nope", "unknown channel (use its slug or exact name)")
    ]


def test_the_report_lists_at_least_the_first_thousand_bad_rows(shop):
    rows = [[f"2025-01-{(i % 28) + 1:02d}", "nope", "", "1", "1", "1", ""] for i in range(1500)]
    run = import_rows(HEADER, rows)
    assert run.bad_rows == 1500
    assert len({e["line"] for e in run.errors}) == 1000
    assert run.errors[0]["line"] == 2 and run.errors[-1]["line"] == 1001


def test_an_unknown_file_type_is_refused(shop):
    from kpis.ingest.checks import FileProblem

    with pytest.raises(FileProblem, match=r"\.csv or \.xlsx"):
        import_bytes(b"date,channel\n", name="facts.pdf")


# --- XLSX -------------------------------------------------------------------------------------


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_file_with_date_cells_and_numeric_cells_is_accepted(shop):
    data = xlsx_bytes([
        ["Date", "Channel", "Spend", "Orders", "Revenue"],
        [datetime(2025, 1, 1), "web-shop", 2.675, 3.0, 1000],
        [date(2025, 1, 2), "web-shop", 0.1, 4, "12.50"],
        [],
        ["2025-01-03", "web-shop", 1e2, 0, None],
    ])  # fmt: skip
    run = import_bytes(data, name="facts.xlsx")
    assert run.status == "succeeded", run.errors
    assert [(f[1], f[3], f[4], f[5]) for f in facts()] == [
        (date(2025, 1, 1), D("2.68"), D("1000.00"), 3),  # 2.675 through its decimal text
        (date(2025, 1, 2), D("0.10"), D("12.50"), 4),
        (date(2025, 1, 3), D("100.00"), D("0.00"), 0),
    ]


def test_xlsx_errors_carry_the_sheet_row_number(shop):
    data = xlsx_bytes(
        [
            ["date", "channel", "orders"],
            [date(2025, 1, 1), "web-shop", 1.5],
            [date(2025, 1, 2), "nope", 1],
        ]
    )
    run = import_bytes(data, name="facts.xlsx")
    assert errors_of(run) == [
        (2, "orders", "1.5", "not a whole number"),
        (3, "channel", "nope", "unknown channel (use its slug or exact name)"),
    ]


def test_a_broken_xlsx_is_rejected(shop):
    # Looks like a zip at first sight (so the upload check lets it through),
    # but the worker cannot read a workbook from it.
    run = import_bytes(b"PK\x03\x04 then garbage", name="facts.xlsx")
    assert run.status == "rejected" and "not a readable .xlsx" in run.message


def test_a_file_that_is_not_a_workbook_at_all_is_refused_before_it_is_stored(shop):
    from kpis.ingest.checks import FileProblem

    with pytest.raises(FileProblem, match=r"not a real \.xlsx workbook"):
        import_bytes(b"not a zip file", name="facts.xlsx")
    assert not ImportRun.objects.exists()


# --- the load path, versions, undo ---------------------------------------------------------------


def test_postgresql_loads_through_copy(shop):
    first = import_rows(HEADER, [["2025-01-01", "web-shop", "", "1", "1", "1", ""]])
    again = import_rows(
        HEADER,
        [
            ["2025-01-01", "web-shop", "", "2", "1", "1", ""],
            ["2025-01-02", "web-shop", "", "1", "1", "1", ""],
        ],
    )
    if connection.vendor == "postgresql":
        # New keys go straight into the facts; a file touching existing keys
        # is staged by COPY and merged.
        assert (first.stats["load"], again.stats["load"]) == ("copy-direct", "copy")
    else:
        assert (first.stats["load"], again.stats["load"]) == ("batched-insert", "batched-insert")
    assert (again.rows_added, again.rows_replaced) == (1, 1)


def test_a_file_over_stored_days_is_merged_without_a_copy_into_the_facts(shop, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the direct COPY into the facts is PostgreSQL's")
    from kpis.ingest import staging

    copied: list[str] = []
    put = staging.CopyPipe.put

    def record(pipe: staging.CopyPipe, data: bytes) -> None:
        copied.append(pipe._sql.split()[1])  # the table each batch is copied into
        put(pipe, data)

    monkeypatch.setattr(staging.CopyPipe, "put", record)
    import_rows(HEADER, [["2025-01-01", "web-shop", "", "1", "1", "1", ""]])
    # A new day only: straight into the facts, stored days elsewhere or not.
    next_day = import_rows(HEADER, [["2025-01-02", "web-shop", "", "1", "1", "1", ""]])
    assert next_day.stats["load"] == "copy-direct"
    # The same days again with one more: staged and merged, never attempted and
    # rolled back at the first existing key.
    again = import_rows(
        HEADER,
        [
            ["2025-01-01", "web-shop", "", "1", "1", "1", ""],
            ["2025-01-02", "web-shop", "", "5", "1", "1", ""],
            ["2025-01-03", "web-shop", "", "1", "1", "1", ""],
        ],
    )
    assert again.stats["load"] == "copy"
    assert (again.rows_added, again.rows_replaced, again.rows_unchanged) == (1, 1, 1)
    # Staged in the import's own unlogged table (read in parallel), dropped after.
    assert copied == ["kpis_dailyfact", "kpis_dailyfact", f"kpis_import_stage_{again.pk}"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"kpis_import_stage_{again.pk}"])
        assert cursor.fetchone() == (None,)


def test_a_file_over_stored_days_is_read_once(shop, monkeypatch):
    from kpis.ingest import pipeline

    opened: list[int] = []
    open_reader = pipeline.open_run_reader

    def counting(run: ImportRun):
        opened.append(run.pk)
        return open_reader(run)

    monkeypatch.setattr(pipeline, "open_run_reader", counting)
    import_rows(HEADER, [["2025-01-01", "web-shop", "", "1", "1", "1", ""]])
    again = import_rows(
        HEADER,
        [
            ["2025-01-01", "web-shop", "", "2", "1", "1", ""],
            ["2025-01-02", "web-shop", "", "1", "1", "1", ""],
        ],
    )
    assert (again.rows_added, again.rows_replaced) == (1, 1)
    # The batch that showed the stored days went on to the stage: one reading.
    assert opened.count(again.pk) == 1


def test_an_import_waits_for_the_import_lock_without_reading_the_facts(shop, monkeypatch):
    """Two first loads started together deadlocked: one waited for the import
    lock while holding the read lock of its look-up in the facts, the other
    held the import lock and waited for the facts to itself (to set their
    indexes aside). The look-up's lock is let go before the import lock."""
    if connection.vendor != "postgresql":
        pytest.skip("the direct COPY into the facts is PostgreSQL's")
    from kpis.ingest import pipeline

    held: list[int] = []
    take = pipeline.locks.advisory_xact_lock

    def looking(key, *args, **kwargs):
        if key == pipeline.IMPORT_WRITE_LOCK:
            with connection.cursor() as cursor:
                # (The test's own transaction keeps the first import's write lock.)
                cursor.execute(
                    "SELECT COUNT(*) FROM pg_locks WHERE pid = pg_backend_pid() "
                    "AND relation = 'kpis_dailyfact'::regclass AND mode = 'AccessShareLock'"
                )
                held.append(cursor.fetchone()[0])
        return take(key, *args, **kwargs)

    monkeypatch.setattr(pipeline.locks, "advisory_xact_lock", looking)
    first = import_rows(HEADER, [["2025-01-01", "web-shop", "", "1", "1", "1", ""]])
    again = import_rows(HEADER, [["2025-01-01", "web-shop", "", "2", "1", "1", ""]])
    assert (first.stats["load"], again.stats["load"]) == ("copy-direct", "copy")
    assert held == [0, 0]  # the first load's COPY, the second file's merge


def test_a_stored_key_after_the_first_batch_sends_the_load_to_the_merge(shop, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the direct COPY into the facts is PostgreSQL's")
    from channelhub.lib import tabular

    import_rows(HEADER, [["2025-01-20", "web-shop", "", "1", "1", "1", ""]])
    monkeypatch.setattr(tabular, "CSV_CHUNK_BYTES", 64)  # a few lines per batch
    rows = [[f"2025-01-{d:02d}", "web-shop", "", "3", "1", "1", ""] for d in range(1, 25)]
    run = import_rows(HEADER, rows)
    # The first batch's days were new: copied straight in until the stored
    # day failed the COPY; rolled back, then staged and merged whole.
    assert run.status == "succeeded", run.message
    assert (run.rows_added, run.rows_replaced, run.stats["load"]) == (23, 1, "copy")
    assert DailyFact.objects.filter(spend=D("3")).count() == 24


def test_each_import_that_changes_facts_bumps_the_channels_version(shop, market):
    import_rows(HEADER, [["2025-01-01", "web-shop", "", "1", "1", "1", ""]])
    import_rows(HEADER, [["2025-01-01", "web-shop", "", "2", "1", "1", ""]])
    import_rows(HEADER, [["2025-01-01", "web-shop", "", "2", "1", "1", ""]])  # no change
    assert ChannelDataState.objects.get(channel=shop).facts_version == 2
    assert not ChannelDataState.objects.filter(channel=market).exists()


def test_undo_restores_replaced_values_and_removes_added_rows(shop):
    first = import_rows(HEADER, [["2025-01-01", "web-shop", "", "100", "900", "9", ""]])
    second = import_rows(HEADER, [
        ["2025-01-01", "web-shop", "", "150", "900", "9", ""],
        ["2025-01-02", "web-shop", "", "5", "5", "5", ""],
    ])  # fmt: skip
    undone = import_undo(run=second, user=None)
    assert undone.status == "undone"
    assert facts() == [(shop.pk, date(2025, 1, 1), 0, D("100.00"), D("900.00"), 9, None)]
    assert DailyFact.objects.get().import_run_id == first.pk
    assert RecomputeRun.objects.filter(trigger="undo").count() == 1
    assert not FactBackup.objects.exists()


def test_undo_is_refused_once_a_later_import_replaced_its_rows(shop):
    first = import_rows(HEADER, [["2025-01-01", "web-shop", "", "100", "900", "9", ""]])
    later = import_rows(HEADER, [["2025-01-01", "web-shop", "", "150", "900", "9", ""]])
    with pytest.raises(ImportRefused, match=rf"Import #{later.pk} \(facts.csv\) replaced 1"):
        import_undo(run=first, user=None)
    assert facts()[0][3] == D("150.00")


def test_undoing_an_import_removes_periods_left_without_data(shop):
    import_rows(HEADER[:5], [["2025-01-02", "web-shop", "", "10", "100"]])
    later = import_rows(HEADER[:5], [["2025-06-02", "web-shop", "", "10", "100"]])
    recompute()
    assert KpiSnapshot.objects.filter(channel=shop, period_start=date(2025, 6, 1)).exists()
    import_undo(run=later, user=None)
    recompute_execute(RecomputeRun.objects.get(trigger="undo").pk, inline=True)
    assert not KpiSnapshot.objects.filter(channel=shop, period_start__gte=date(2025, 4, 1)).exists()
    assert kpi(shop.pk, "year", date(2025, 1, 1), "revenue") == D("100")
    assert ChannelDataState.objects.get(channel=shop).last_fact_day == date(2025, 1, 2)


def test_a_rejected_import_cannot_be_undone(shop):
    bad = import_rows(HEADER, [["2025-01-01", "nope", "", "1", "1", "1", ""]])
    with pytest.raises(ImportRefused):
        import_undo(run=bad, user=None)


def test_line_numbers_stay_right_across_read_chunks(shop, monkeypatch):
    from channelhub.lib import tabular

    monkeypatch.setattr(tabular, "CSV_CHUNK_BYTES", 40)  # a handful of lines per chunk
    lines = ["date,channel,spend"] + [f"2025-01-{d:02d},web-shop,1" for d in range(1, 20)]
    lines[7] = "2025-01-07,web-shop,1,extra"  # line 8: a field too many
    lines[12] = ""  # line 13: blank
    lines[15] = "2025-01-15,nope,1"  # line 16
    run = import_bytes(("\n".join(lines) + "\n").encode())
    assert [(e["line"], e["reason"]) for e in run.errors] == [
        (8, "expected 3 fields, found 4"),
        (16, "unknown channel (use its slug or exact name)"),
    ]
    monkeypatch.setattr(tabular, "CSV_CHUNK_BYTES", 40)
    good = "\n".join(line for i, line in enumerate(lines) if i not in (7, 15)) + "\n"
    ok = import_bytes(good.encode())
    assert ok.status == "succeeded" and ok.rows_added == 16


def test_a_bad_row_late_in_a_big_file_leaves_nothing_written(shop, monkeypatch):
    from channelhub.lib import tabular

    monkeypatch.setattr(tabular, "CSV_CHUNK_BYTES", 64)  # many batches, some written already
    rows = [[f"2025-01-{d:02d}", "web-shop", "", "1", "1", "1", ""] for d in range(1, 29)]
    rows.append(["2025-02-01", "web-shop", "", "oops", "1", "1", ""])
    run = import_rows(HEADER, rows)
    assert run.status == "rejected" and run.errors[0]["line"] == 30
    assert not DailyFact.objects.exists()


# --- a first load into empty facts (PostgreSQL: indexes built after the COPY) ---------------


@pytest.fixture
def postgres_only(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's first-load path")
    from kpis.ingest import pipeline

    monkeypatch.setattr(pipeline, "BULK_FIRST_LOAD_BYTES", 0)  # (a big file's path)


def test_a_first_load_builds_the_facts_indexes_after_with_the_same_definitions(shop, postgres_only):
    before = table_indexes("kpis_dailyfact")
    assert [name for name, _ in before] == ["dailyfact_partner_rows", "kpis_dailyfact_pkey"]
    first = import_rows(HEADER, [
        ["2025-01-02", "web-shop", "", "1", "2", "3", ""],
        ["2025-01-01", "web-shop", "", "4", "5", "6", "7"],
    ])  # fmt: skip
    assert first.status == "succeeded", first.message
    assert first.stats["load"] == "copy-direct"
    assert first.stats["indexes_built_after_load"] is True
    assert table_indexes("kpis_dailyfact") == before
    assert facts() == [
        (shop.pk, date(2025, 1, 1), 0, D("4.00"), D("5.00"), 6, D("7.00")),
        (shop.pk, date(2025, 1, 2), 0, D("1.00"), D("2.00"), 3, None),
    ]
    # The key is enforced again: the same day once more is merged, not duplicated.
    again = import_rows(HEADER, [["2025-01-01", "web-shop", "", "9", "5", "6", "7"]])
    assert (again.rows_added, again.rows_replaced) == (0, 1)
    assert "indexes_built_after_load" not in again.stats
    assert len(facts()) == 2


def test_a_first_load_with_a_repeated_key_or_a_bad_row_leaves_the_indexes_in_place(
    shop, postgres_only
):
    before = table_indexes("kpis_dailyfact")
    repeated = import_rows(HEADER, [
        ["2025-01-01", "web-shop", "", "1", "1", "1", ""],
        ["2025-01-01", "web-shop", "", "2", "2", "2", ""],
    ])  # fmt: skip
    assert errors_of(repeated) == [
        (3, "date", "2025-01-01", "same date, channel and partner as line 2")
    ]
    bad = import_rows(HEADER, [["2025-01-01", "web-shop", "", "-1", "1", "1", ""]])
    assert bad.status == "rejected"
    assert table_indexes("kpis_dailyfact") == before
    assert not DailyFact.objects.exists()


def test_a_small_first_load_keeps_the_facts_indexes(shop, postgres_only, monkeypatch):
    from kpis.ingest import pipeline

    monkeypatch.setattr(pipeline, "BULK_FIRST_LOAD_BYTES", 1024)
    run = import_rows(HEADER, [["2025-01-01", "web-shop", "", "1", "1", "1", ""]])
    assert run.status == "succeeded", run.message
    assert "indexes_built_after_load" not in run.stats


def test_a_first_load_while_the_facts_are_being_read_keeps_their_indexes(shop, postgres_only):
    from django.db import connections

    # Another session reading the facts (a recompute's scan) holds a lock
    # that the import does not wait for: it loads with the indexes in place.
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM kpis_dailyfact")
        run = import_rows(HEADER, [["2025-01-01", "web-shop", "", "1", "1", "1", ""]])
    finally:
        other.rollback()
        other.close()
    assert run.status == "succeeded", run.message
    assert "indexes_built_after_load" not in run.stats
    assert run.stats["load"] == "copy-direct"


def _with_saved_result(data: bytes, cell: str, value: str) -> bytes:
    """The workbook with the result of `cell`'s formula saved, as Excel writes it
    (openpyxl writes formulas without results)."""
    import re
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(
                    rf'(<c r="{cell}"[^>]*>)<f>([^<]*)</f>(<v\s*/>|<v></v>)?</c>'.encode(),
                    rb"\1<f>\2</f><v>" + value.encode() + rb"</v></c>",
                    body,
                )
            target.writestr(item, body)
    return out.getvalue()


def test_a_formula_without_its_saved_result_is_refused_not_read_as_0(shop):
    import_rows(["date", "channel", "spend", "orders"], [["2025-01-01", "web-shop", "100", "4"]])
    before = facts()
    data = xlsx_bytes([
        ["date", "channel", "spend", "orders"],
        [date(2025, 1, 1), "web-shop", "=50*2", "=SUM(1,2)"],
        [date(2025, 1, 2), "web-shop", "=10*2", 3],
    ])  # fmt: skip
    run = import_bytes(data, name="facts.xlsx")
    assert run.status == "rejected"
    reason = "a formula whose result the file does not hold"
    assert [(line, column, value) for line, column, value, why in errors_of(run)] == [
        (2, "spend", "=50*2"),
        (2, "orders", "=SUM(1,2)"),
        (3, "spend", "=10*2"),
    ]
    assert all(why.startswith(reason) for *_, why in errors_of(run))
    assert facts() == before  # nothing written
    # Saved by a spreadsheet program, the formulas' results are what is read.
    data = _with_saved_result(_with_saved_result(data, "C2", "100"), "D2", "3")
    data = _with_saved_result(data, "C3", "20")
    run = import_bytes(data, name="facts.xlsx")
    assert run.status == "succeeded", run.errors
    assert [(f[1], f[3], f[5]) for f in facts()] == [
        (date(2025, 1, 1), D("100.00"), 3),  # was 100 and 4
        (date(2025, 1, 2), D("20.00"), 3),
    ]
