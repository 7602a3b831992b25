"""The recompute job: exact KPIs from hand-made facts, incremental scopes,
atomicity, idempotency, concurrency and a constant number of queries."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channelhub.metrics.formulas import rounded
from kpis.engine import recompute as recompute_module
from kpis.engine.recompute import (
    ALL_KINDS,
    bump_versions,
    recompute_execute,
    recompute_request,
)
from kpis.models import (
    ChannelDataState,
    DailyFact,
    KpiSnapshot,
    KpiSnapshotStage,
    ObjectiveStatus,
    RecomputeBatch,
    RecomputeRun,
)
from kpis.tasks import kpis_sweeper_task
from kpis.tests.helpers import import_rows, kpi, recompute, row, snapshot_state, table_indexes
from tests.factories import ChannelFactory, ObjectiveFactory, PartnerFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "partner", "spend", "revenue", "cogs", "orders", "leads",
          "new_customers", "impressions", "clicks", "inventory_value"]  # fmt: skip


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


@pytest.fixture
def market():
    return ChannelFactory(name="Marketplace", slug="market", route="indirect")


def test_week_month_quarter_and_year_kpis_are_exact(shop):
    import_rows(HEADER, [
        ["2024-12-30", "web-shop", "", "100", "500", "200", "5", "50", "2", "10000", "200", ""],
        ["2025-01-01", "web-shop", "", "300", "700", "300", "7", "30", "2", "10000", "100", ""],
        ["2025-01-05", "web-shop", "", "0", "0", "0", "0", "0", "0", "0", "0", ""],
        ["2025-02-10", "web-shop", "", "50", "0", "0", "0", "0", "0", "0", "0", ""],
    ])  # fmt: skip
    recompute()
    # ISO week 2025-W01 runs from Monday 2024-12-30: it holds both years' days.
    week = row(shop.pk, "week", date(2024, 12, 30))
    assert (week.label, week.end) == ("2025-W01", date(2025, 1, 5))
    assert week.values["spend"] == D("400") and week.values["revenue"] == D("1200")
    assert week.values["roi"] == D("0.75")  # (1200 - 500 - 400) / 400
    assert week.values["cac"] == D("100") and week.values["cpl"] == D("5")
    assert week.values["conversion_rate"] == D("0.15") and week.values["ctr"] == D("0.015")
    assert week.values["aov"] == D("100") and week.values["inventory_turnover"] is None
    assert week.values["nps"] is None and week.values["avg_rating"] is None
    assert kpi(shop.pk, "month", date(2024, 12, 1), "revenue") == D("500")
    assert kpi(shop.pk, "month", date(2025, 1, 1), "revenue") == D("700")
    # February: spend without revenue: ROI -1, ROAS 0, AOV undefined.
    feb = row(shop.pk, "month", date(2025, 2, 1))
    assert (feb.values["roi"], feb.values["roas"], feb.values["aov"]) == (D("-1"), D("0"), None)
    q1 = row(shop.pk, "quarter", date(2025, 1, 1))
    assert (q1.label, q1.values["spend"], q1.values["revenue"]) == ("FY2025-Q1", D("350"), D("700"))
    # A year's ratio comes from summed components, not averaged monthly ratios.
    assert rounded("roi", kpi(shop.pk, "year", date(2025, 1, 1), "roi")) == D("0.1429")  # 50 / 350
    assert kpi(shop.pk, "year", date(2024, 1, 1), "roi") == D("2")


def test_a_period_is_complete_only_up_to_the_last_day_with_facts(shop):
    import_rows(
        HEADER[:5],
        [["2025-01-31", "web-shop", "", "1", "1"], ["2025-02-03", "web-shop", "", "1", "1"]],
    )
    recompute()
    assert row(shop.pk, "month", date(2025, 1, 1)).complete is True
    assert row(shop.pk, "month", date(2025, 2, 1)).complete is False
    assert ChannelDataState.objects.get(channel=shop).last_fact_day == date(2025, 2, 3)


def test_inventory_is_averaged_over_days_with_a_report(market):
    a = PartnerFactory(channel=market, slug="a")
    b = PartnerFactory(channel=market, slug="b")
    import_rows(["date", "channel", "partner", "cogs", "inventory_value"], [
        ["2025-03-03", "market", "", "100", "1000"],   # day 1: channel row reports
        ["2025-03-04", "market", "", "100", ""],       # day 2: nobody reports
        ["2025-03-05", "market", "", "100", ""],       # day 3: two partners report
        ["2025-03-05", "market", "a", "0", "300"],
        ["2025-03-05", "market", "b", "0", "500"],
    ])  # fmt: skip
    recompute()
    month = row(market.pk, "month", date(2025, 3, 1))
    # Day inventories 1000 and 800 (300 + 500): average 900 over 2 days, not 3.
    assert (month.components.inventory_days, month.components.inventory_sum) == (2, D("1800"))
    assert rounded("inventory_turnover", month.values["inventory_turnover"]) == D("0.3333")
    partner_a = row(market.pk, "month", date(2025, 3, 1), partner_key=a.pk)
    assert partner_a.components.inventory_days == 1 and partner_a.values["cogs"] == D("0")
    assert row(market.pk, "week", date(2025, 3, 3), partner_key=b.pk).components.inventory_sum == D(
        "500"
    )


def test_a_run_of_months_only_counts_stock_days_as_the_full_run_does(market):
    """Without weeks the one scan sums months directly (days of the month as
    the stock mask): the same months as a run of every kind, to the cent."""
    PartnerFactory(channel=market, slug="a")
    import_rows(["date", "channel", "partner", "cogs", "inventory_value"], [
        ["2025-03-30", "market", "", "100", "1000"],   # a week cut by the month's end
        ["2025-03-31", "market", "a", "5", "200"],
        ["2025-03-31", "market", "", "100", "700"],    # same day: counts once
        ["2025-04-01", "market", "a", "0", "300"],
        ["2025-04-02", "market", "", "100", ""],
    ])  # fmt: skip
    recompute()
    KpiSnapshot.objects.exclude(period_kind="month").delete()
    full = snapshot_state()
    KpiSnapshot.objects.all().delete()
    recompute(kinds=["month"])
    assert snapshot_state() == full
    march = row(market.pk, "month", date(2025, 3, 1))
    assert (march.components.inventory_days, march.components.inventory_sum) == (2, D("1900"))
    april = row(market.pk, "month", date(2025, 4, 1))
    assert (april.components.inventory_days, april.components.inventory_sum) == (1, D("300"))


def test_partner_rows_count_towards_the_channel_and_get_their_own_snapshots(market):
    partner = PartnerFactory(channel=market, slug="reseller")
    import_rows(
        HEADER[:5],
        [
            ["2025-01-02", "market", "", "100", "0"],
            ["2025-01-02", "market", "reseller", "0", "400"],
        ],
    )
    recompute()
    assert kpi(market.pk, "month", date(2025, 1, 1), "revenue") == D("400")
    assert kpi(market.pk, "month", date(2025, 1, 1), "roi") == D("3")
    assert kpi(market.pk, "month", date(2025, 1, 1), "revenue", partner_key=partner.pk) == D("400")


def test_an_incremental_recompute_refreshes_every_channels_revenue_share(shop, market):
    import_rows(
        HEADER[:5],
        [["2025-01-02", "web-shop", "", "0", "100"], ["2025-01-02", "market", "", "0", "100"]],
    )
    recompute()
    assert kpi(shop.pk, "month", date(2025, 1, 1), "revenue_share") == D("0.5")
    run = import_rows(HEADER[:5], [["2025-01-03", "market", "", "0", "200"]])
    assert run.recompute_run.channel_ids == [market.pk]  # only the channel that changed
    recompute_execute(run.recompute_run_id, inline=True)
    assert kpi(shop.pk, "month", date(2025, 1, 1), "revenue_share") == D("0.25")
    assert kpi(market.pk, "month", date(2025, 1, 1), "revenue_share") == D("0.75")


def test_an_incremental_run_touches_only_its_periods(shop):
    import_rows(
        HEADER[:5],
        [["2025-01-02", "web-shop", "", "10", "100"], ["2025-03-02", "web-shop", "", "10", "100"]],
    )
    recompute()
    january = KpiSnapshot.objects.get(
        channel=shop, period_kind="month", period_start=date(2025, 1, 1)
    )
    run = import_rows(HEADER[:5], [["2025-03-03", "web-shop", "", "10", "50"]])
    recompute_execute(run.recompute_run_id, inline=True)
    january.refresh_from_db()
    assert january.run_id != run.recompute_run_id  # untouched
    assert kpi(shop.pk, "month", date(2025, 3, 1), "revenue") == D("150")
    assert kpi(shop.pk, "quarter", date(2025, 1, 1), "revenue") == D("250")
    assert kpi(shop.pk, "year", date(2025, 1, 1), "revenue") == D("250")


def test_running_the_same_recompute_twice_gives_the_same_snapshots(shop, market):
    import_rows(
        HEADER[:5],
        [["2025-01-02", "web-shop", "", "10", "100"], ["2025-02-02", "market", "", "5", "7"]],
    )
    recompute()
    first = snapshot_state()
    recompute()
    assert snapshot_state() == first


def test_a_bulk_first_recompute_builds_the_indexes_after_and_gives_the_same_snapshots(
    shop, market, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's bulk path")
    PartnerFactory(channel=market, slug="reseller")
    import_rows(
        HEADER[:5],
        [
            ["2025-01-02", "web-shop", "", "10", "100"],
            ["2025-03-31", "web-shop", "", "1", "3"],
            ["2025-02-02", "market", "", "5", "7"],
            ["2025-02-03", "market", "reseller", "2", "9"],
        ],
    )
    recompute()
    expected = snapshot_state()
    indexes = table_indexes("kpis_kpisnapshot")
    assert [name for name, _ in indexes] == ["kpis_kpisnapshot_pkey", "snapshot_portfolio_own"]
    KpiSnapshot.objects.all().delete()
    built_after: list[bool] = []
    set_aside = recompute_module.sql.set_indexes_aside

    def recording(cursor, table):
        rebuild = set_aside(cursor, table)
        built_after.append(bool(rebuild))
        return rebuild

    monkeypatch.setattr(recompute_module, "BULK_FIRST_RECOMPUTE_PIECES", 1)
    monkeypatch.setattr(recompute_module.sql, "set_indexes_aside", recording)
    recompute()
    assert built_after == [True]
    assert snapshot_state() == expected
    assert table_indexes("kpis_kpisnapshot") == indexes
    # With rows stored, a run writes through the indexes (and finds nothing to change).
    recompute()
    assert built_after == [True]
    assert snapshot_state() == expected


@pytest.mark.parametrize("fiscal_start", [1, 4])
def test_a_first_recompute_writes_quarters_and_years_with_the_months_it_sums(
    shop, market, settings, fiscal_start
):
    settings.FISCAL_YEAR_START_MONTH = fiscal_start
    PartnerFactory(channel=market, slug="reseller")
    imported = import_rows(
        HEADER[:5],
        [
            ["2024-12-30", "web-shop", "", "10", "100"],
            ["2025-03-31", "web-shop", "", "1", "3"],
            ["2025-04-01", "web-shop", "", "4", "8"],
            ["2025-02-03", "market", "reseller", "2", "9"],
            ["2026-01-05", "market", "", "5", "7"],
        ],
    )
    # An import's run covers its dates: quarters and years are rolled up after.
    run = recompute_execute(imported.recompute_run_id, inline=True)
    assert run is not None and "quarter+year" in run.stats["timings"]
    KpiSnapshot.objects.all().delete()
    recompute()  # every date, nothing stored: one statement writes all four kinds
    first = RecomputeRun.objects.latest("pk").stats["timings"]
    assert "week+month+quarter+year" in first and "quarter+year" not in first
    folded = snapshot_state()
    assert set(KpiSnapshot.objects.values_list("period_kind", flat=True)) == set(ALL_KINDS)
    recompute()  # rows stored: quarters and years from the published months
    again = RecomputeRun.objects.latest("pk").stats["timings"]
    assert "quarter+year" in again and "week+month" in again
    assert snapshot_state() == folded
    fy_first = date(2025, fiscal_start, 1) if fiscal_start == 1 else date(2024, 4, 1)
    assert kpi(shop.pk, "year", fy_first, "revenue") == D("103" if fiscal_start == 4 else "11")
    assert kpi(market.pk, "quarter", date(2025, 1, 1), "revenue", partner_key=0) == D("9")


@pytest.mark.parametrize("fiscal_start", [1, 4])
def test_a_daily_imports_quarter_and_year_are_those_of_a_whole_recompute(
    shop, market, settings, fiscal_start
):
    settings.FISCAL_YEAR_START_MONTH = fiscal_start
    PartnerFactory(channel=market, slug="reseller")
    history = import_rows(HEADER[:5], [
        ["2024-12-30", "web-shop", "", "10", "100"],
        ["2025-02-03", "web-shop", "", "1", "3"],
        ["2025-03-31", "web-shop", "", "4", "8"],
        ["2025-04-01", "market", "reseller", "2", "9"],
        ["2025-06-02", "market", "", "5", "7"],
    ])  # fmt: skip
    recompute_execute(history.recompute_run_id, inline=True)
    daily = import_rows(HEADER[:5], [
        ["2025-06-30", "web-shop", "", "2", "5"],
        ["2025-06-30", "market", "reseller", "1", "4"],
    ])  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        recompute_execute(daily.recompute_run_id, inline=True)
    # The day's quarter is summed from its months, its year from its quarters.
    rollups = [q["sql"] for q in queries if "AS period_kind" in q["sql"]]
    assert any("'year' AS period_kind" in q and "period_kind = 'quarter'" in q for q in rollups)
    incremental = snapshot_state(versions=False)
    KpiSnapshot.objects.all().delete()
    recompute()
    assert snapshot_state(versions=False) == incremental
    fiscal_year = date(2025, 1, 1) if fiscal_start == 1 else date(2025, 4, 1)
    assert kpi(shop.pk, "year", fiscal_year, "revenue") == D("16" if fiscal_start == 1 else "5")
    assert kpi(market.pk, "year", fiscal_year, "revenue", partner_key=0) == D("20")


def test_a_redelivered_run_is_not_run_twice(shop):
    import_rows(HEADER[:5], [["2025-01-02", "web-shop", "", "10", "100"]])
    run = recompute_request(trigger="manual")
    assert recompute_execute(run.pk, inline=True).status == "succeeded"
    assert recompute_execute(run.pk, inline=True) is None  # the claim fails


def test_a_failed_run_leaves_the_previous_snapshots_intact(shop, monkeypatch):
    import_rows(HEADER[:5], [["2025-01-02", "web-shop", "", "10", "100"]])
    recompute()
    before = snapshot_state()
    import_rows(HEADER[:5], [["2025-01-03", "web-shop", "", "10", "900"]])

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(recompute_module, "objectives_evaluate", boom)
    run = recompute_request(trigger="manual")
    with pytest.raises(RuntimeError):
        recompute_execute(run.pk, inline=True)
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "disk full")
    assert snapshot_state() == before


def test_rows_computed_from_newer_facts_are_never_overwritten(shop):
    import_rows(HEADER[:5], [["2025-01-02", "web-shop", "", "10", "100"]])
    recompute()
    # A late run that read an older facts version than the published rows.
    KpiSnapshot.objects.filter(channel=shop).update(facts_version=99, revenue=D("12345"))
    recompute()
    assert kpi(shop.pk, "month", date(2025, 1, 1), "revenue") == D("12345")


def test_a_period_published_from_newer_facts_is_not_cleaned_up_by_an_older_run(shop):
    import_rows(HEADER[:5], [["2025-01-02", "web-shop", "", "10", "100"]])
    recompute()
    # Another run published a month from newer facts than the next run reads.
    newer = ChannelDataState.objects.get(channel=shop).facts_version + 5
    KpiSnapshot.objects.create(
        channel=shop, period_kind="month", period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31), revenue=D("7"), facts_version=newer,
        computed_at=timezone.now(),
    )  # fmt: skip
    ChannelDataState.objects.filter(channel=shop).update(published_version=newer)
    recompute()  # its facts have no March: it would delete the month
    assert kpi(shop.pk, "month", date(2025, 3, 1), "revenue") == D("7")
    assert kpi(shop.pk, "month", date(2025, 1, 1), "revenue") == D("100")


def test_a_split_run_gives_the_same_snapshots_as_one_transaction(
    monkeypatch, django_capture_on_commit_callbacks
):
    channels = [ChannelFactory(slug=f"c{i}") for i in range(5)]
    import_rows(
        HEADER[:5],
        [[f"2025-01-0{i + 1}", c.slug, "", str(i), str(10 * i)] for i, c in enumerate(channels)],
    )
    recompute()
    inline = snapshot_state()
    KpiSnapshot.objects.all().delete()
    monkeypatch.setattr(recompute_module, "BATCH_CHANNELS", 2)
    run = recompute_request(trigger="manual")
    with django_capture_on_commit_callbacks(execute=True):
        recompute_execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.batches_total) == ("succeeded", 3)
    assert run.batches.filter(status="done").count() == 3
    # Same components; only the tags (run) differ.
    assert snapshot_state() == inline


@pytest.fixture
def split_run(monkeypatch):
    """Four channels with January facts, recomputed; then a full run split in
    batches of two channels whose batch messages are held back: the test runs
    them (the last one publishes). Yields (run, channels)."""
    channels = [ChannelFactory(slug=f"c{i}") for i in range(4)]
    import_rows(
        HEADER[:5],
        [
            [f"2025-01-0{i + 1}", c.slug, "", str(i + 1), str(10 * i)]
            for i, c in enumerate(channels)
        ],
    )
    recompute()
    monkeypatch.setattr(recompute_module, "BATCH_CHANNELS", 2)
    monkeypatch.setattr(recompute_module, "send_task", lambda *args, **kw: True)
    run = recompute_request(trigger="manual")
    recompute_execute(run.pk)
    assert RecomputeRun.objects.get(pk=run.pk).batches_total == 2
    return run, channels


def test_a_split_run_of_unchanged_data_stages_nothing(split_run):
    run, _channels = split_run
    before = snapshot_state()
    recompute_module.batch_execute(run.pk, 0)
    # Every row the batch computed equals the published one: nothing to publish.
    assert not KpiSnapshotStage.objects.filter(run_id=run.pk).exists()
    assert RecomputeBatch.objects.get(run=run, index=0).rows > 0
    recompute_module.batch_execute(run.pk, 1)
    run.refresh_from_db()
    assert (run.status, run.stats["timings"]["publish"]) == ("succeeded", "differences")
    assert snapshot_state() == before


def test_a_split_run_overtaken_by_another_publish_drops_only_rows_of_older_facts(split_run):
    run, channels = split_run
    expected = snapshot_state()
    recompute_module.batch_execute(run.pk, 0)  # compares c0 and c1 with the snapshots
    # Meanwhile another run publishes on c0: a month of older facts (which this
    # run's facts have no data for) and a week of newer facts.
    version = ChannelDataState.objects.get(channel=channels[0]).facts_version
    for kind, start, facts_version in (
        ("month", date(2025, 3, 1), version - 1),
        ("week", date(2025, 3, 31), version + 5),
    ):
        KpiSnapshot.objects.create(
            channel=channels[0], period_kind=kind, period_start=start,
            period_end=start + timedelta(days=6), revenue=D("7"),
            facts_version=facts_version, computed_at=timezone.now(),
        )  # fmt: skip
    ChannelDataState.objects.filter(channel=channels[0]).update(published_at=timezone.now())
    recompute_module.batch_execute(run.pk, 1)  # the last batch: publishes
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.stats["timings"]["publish"] == "differences, older rows dropped"
    newer = KpiSnapshot.objects.filter(channel=channels[0], period_start=date(2025, 3, 31))
    assert newer.count() == 1  # rows of newer facts are left alone
    newer.delete()
    # The month of older facts is gone before quarters and years are summed.
    assert snapshot_state() == expected


def _facts_over_a_quarter(channels, revenue: int = 10) -> None:
    import_rows(
        HEADER[:5],
        [
            [day, c.slug, "", "1", str(revenue * (i + 1))]
            for i, c in enumerate(channels)
            for day in ("2025-01-02", "2025-02-03", "2025-04-01")
        ],
    )


def _whole_recompute_state() -> list:
    """The snapshots a recompute of everything from scratch gives (facts
    versions aside), leaving the table as it found it."""
    kept = snapshot_state()
    rows = list(KpiSnapshot.objects.values())
    KpiSnapshot.objects.all().delete()
    recompute()
    whole = snapshot_state(versions=False)
    KpiSnapshot.objects.all().delete()
    KpiSnapshot.objects.bulk_create(KpiSnapshot(**r) for r in rows)
    assert snapshot_state() == kept
    return whole


def test_a_split_run_of_every_date_sums_quarters_and_years_in_its_batches(split_run):
    run, channels = split_run
    run.delete()  # the fixture's run: this test splits one after an import
    _facts_over_a_quarter(channels, revenue=30)
    run = recompute_request(trigger="manual")
    recompute_execute(run.pk)
    recompute_module.batch_execute(run.pk, 0)
    staged = set(
        KpiSnapshotStage.objects.filter(run_id=run.pk).values_list("period_kind", flat=True)
    )
    assert staged == set(ALL_KINDS)  # the batch's quarters and years wait with its months
    recompute_module.batch_execute(run.pk, 1)  # the last batch: publishes
    run.refresh_from_db()
    assert run.status == "succeeded"
    timings = run.stats["timings"]
    # The publish wrote the quarters and years with the weeks and months and
    # rolled nothing up after.
    assert "week+month+quarter+year" in timings and "quarter+year" not in timings
    assert snapshot_state(versions=False) == _whole_recompute_state()
    assert kpi(channels[1].pk, "quarter", date(2025, 1, 1), "revenue") == D("120")
    assert kpi(channels[1].pk, "year", date(2025, 1, 1), "revenue") == D("180")


def test_a_split_run_overtaken_on_a_quarter_rolls_it_up_from_the_published_months(split_run):
    """The batch's quarter sums its own months; when another run publishes a
    newer month of it meanwhile, the quarter must be the published months'."""
    run, channels = split_run
    run.delete()
    c0 = channels[0]
    _facts_over_a_quarter(channels)
    recompute()
    # January changes; a split run of every date reads it and compares.
    import_rows(HEADER[:5], [["2025-01-02", "c0", "", "1", "500"]])
    run = recompute_request(trigger="manual")
    recompute_execute(run.pk)
    recompute_module.batch_execute(run.pk, 0)
    # Then February changes, and a run of February alone publishes it (and
    # the quarter, from the months published then: January still the old one).
    import_rows(HEADER[:5], [["2025-02-03", "c0", "", "1", "700"]])
    recompute(channel_ids=[c0.pk], start=date(2025, 2, 1), end=date(2025, 2, 28))
    recompute_module.batch_execute(run.pk, 1)  # publishes January and the rest
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert "quarter+year" in run.stats["timings"]  # rolled up from the published months
    assert kpi(c0.pk, "quarter", date(2025, 1, 1), "revenue") == D("1200")
    assert kpi(c0.pk, "year", date(2025, 1, 1), "revenue") == D("1210")
    assert snapshot_state(versions=False) == _whole_recompute_state()


def test_a_split_run_rolls_quarters_up_when_a_channel_was_published_from_newer_facts(
    split_run,
):
    run, channels = split_run
    recompute_module.batch_execute(run.pk, 0)
    # A run of newer facts published on c3 before its batch read its versions'
    # fingerprint (so nothing looks overtaken): the publish cannot take the
    # batches' quarters as the published months' sums.
    state = ChannelDataState.objects.get(channel=channels[3])
    ChannelDataState.objects.filter(pk=state.pk).update(published_version=state.facts_version + 1)
    expected = snapshot_state()
    recompute_module.batch_execute(run.pk, 1)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert "quarter+year" in run.stats["timings"]
    assert snapshot_state() == expected


def test_the_number_of_queries_does_not_grow_with_the_facts(shop, market):
    def queries_for(days: int) -> int:
        start = date(2024, 1, 1)
        rows = [
            [(start + timedelta(days=d)).isoformat(), slug, "", "1", "2"]
            for d in range(days)
            for slug in ("web-shop", "market")
        ]
        import_rows(HEADER[:5], rows)
        run = recompute_request(trigger="manual")
        with CaptureQueriesContext(connection) as ctx:
            recompute_execute(run.pk, inline=True)
        return len(ctx.captured_queries)

    # A first recompute (no snapshots yet) inserts without comparing: it takes
    # fewer statements; both runs measured here compare with stored snapshots.
    queries_for(5)
    assert queries_for(10) == queries_for(400)


def test_objective_status_uses_real_kpis_after_a_recompute(shop, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda: date(2025, 6, 1))
    objective = ObjectiveFactory(
        channel=shop,
        metric="revenue",
        target=D("1000"),
        start_date=date(2025, 1, 1),
        end_date=date(2025, 1, 10),
    )
    spend_cap = ObjectiveFactory(
        channel=shop,
        metric="spend",
        direction="at_most",
        target=D("100"),
        start_date=date(2025, 1, 1),
        end_date=date(2025, 1, 10),
    )
    import_rows(
        HEADER[:5],
        [["2025-01-01", "web-shop", "", "30", "150"], ["2025-01-04", "web-shop", "", "25", "210"]],
    )
    recompute()
    status = ObjectiveStatus.objects.get(objective=objective)
    # 360 in 4 of 10 days: projected 900, within 10% of 1000.
    assert (status.status, status.actual, status.projected) == ("at_risk", D("360"), D("900"))
    assert status.progress == D("0.36") and status.as_of == date(2025, 1, 4)
    cap = ObjectiveStatus.objects.get(objective=spend_cap)
    # 55 spent in 4 days: projected 137.5 against a cap of 100: off track.
    assert (cap.status, cap.projected) == ("off_track", D("137.5"))


def test_the_sweeper_resends_runs_whose_message_was_lost(shop):
    import_rows(HEADER[:5], [["2025-01-02", "web-shop", "", "10", "100"]])
    lost = RecomputeRun.objects.create(trigger="manual")
    RecomputeRun.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    dead = RecomputeRun.objects.create(
        trigger="manual", status="running", lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    kpis_sweeper_task()
    lost.refresh_from_db()
    dead.refresh_from_db()
    assert (lost.status, dead.status) == ("succeeded", "succeeded")
    assert dead.attempts == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_recomputes_of_one_scope_at_once_give_the_same_snapshots_as_one():
    shop = ChannelFactory(slug="web-shop")
    ChannelFactory(slug="market")
    import_rows(
        HEADER[:5],
        [
            [f"2025-0{m}-0{d}", s, "", str(m + d), str(10 * m)]
            for m in range(1, 4)
            for d in range(1, 6)
            for s in ("web-shop", "market")
        ],
    )
    recompute()
    expected = snapshot_state()
    KpiSnapshot.objects.filter(channel=shop).update(revenue=D("0"))
    runs = [RecomputeRun.objects.create(trigger="manual") for _ in range(2)]
    errors: list[BaseException] = []

    def work(run_id: int) -> None:
        try:
            recompute_execute(run_id, inline=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(r.pk,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert {r.status for r in RecomputeRun.objects.filter(pk__in=[r.pk for r in runs])} == {
        "succeeded"
    }
    assert snapshot_state() == expected


def test_after_an_import_the_scopes_rows_are_replaced_and_an_unchanged_rerun_compares(
    shop, market, marketing_client
):
    partner = PartnerFactory(channel=shop, slug="reseller")
    import_rows(HEADER[:5], [
        ["2025-01-02", "web-shop", "", "10", "100"],
        ["2025-03-02", "web-shop", "", "10", "100"],
        ["2025-03-04", "web-shop", "reseller", "1", "30"],
        ["2025-01-03", "market", "", "5", "7"],
    ])  # fmt: skip
    recompute()
    assert RecomputeRun.objects.latest("pk").stats["timings"]["write"] == "inserted"
    # An import on one channel: its scope's rows all come from older facts now.
    run = import_rows(HEADER[:5], [["2025-03-03", "web-shop", "", "10", "50"]])
    recompute_execute(run.recompute_run_id, inline=True)
    replaced = RecomputeRun.objects.get(pk=run.recompute_run_id)
    assert replaced.stats["timings"]["write"] == "replaced"
    assert kpi(shop.pk, "month", date(2025, 3, 1), "revenue") == D("180")
    assert kpi(shop.pk, "week", date(2025, 2, 24), "revenue") == D("100")  # 2025-03-02
    assert kpi(shop.pk, "week", date(2025, 3, 3), "revenue") == D("80")
    assert kpi(shop.pk, "week", date(2025, 3, 3), "revenue", partner_key=partner.pk) == D("30")
    assert kpi(shop.pk, "quarter", date(2025, 1, 1), "revenue") == D("280")
    assert kpi(market.pk, "month", date(2025, 1, 1), "revenue") == D("7")
    assert kpi(shop.pk, "month", date(2025, 1, 1), "revenue") == D("100")  # outside: kept
    # A run of the facts already published compares (rows of other runs'
    # versions in its scope, such as the week of 24 February, are rewritten).
    recompute(channel_ids=[shop.pk], start=date(2025, 3, 1), end=date(2025, 3, 31))
    assert RecomputeRun.objects.latest("pk").stats["timings"]["write"] == "compared"
    state = snapshot_state(versions=False)
    recompute()  # the whole history of both channels: the same figures
    assert snapshot_state(versions=False) == state
    # The run's page names how it wrote beside its timings.
    page = marketing_client.get(reverse("kpis:run-detail", args=[replaced.pk]))
    assert page.status_code == 200 and "write replaced" in page.text


def test_a_replacing_run_drops_the_periods_whose_facts_are_gone(shop):
    import_rows(HEADER[:5], [
        ["2025-03-02", "web-shop", "", "10", "100"],
        ["2025-03-20", "web-shop", "", "10", "100"],
    ])  # fmt: skip
    recompute()
    DailyFact.objects.filter(channel=shop, day=date(2025, 3, 20)).delete()
    bump_versions([shop.pk])
    recompute(channel_ids=[shop.pk], start=date(2025, 3, 1), end=date(2025, 3, 31))
    assert RecomputeRun.objects.latest("pk").stats["timings"]["write"] == "replaced"
    assert not KpiSnapshot.objects.filter(
        channel=shop, period_kind="week", period_start=date(2025, 3, 17)
    ).exists()
    assert kpi(shop.pk, "month", date(2025, 3, 1), "revenue") == D("100")
