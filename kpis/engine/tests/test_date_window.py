"""One row dated 9999-12-31 must never stop a recompute, and a recompute scope
outside the facts window is refused (issue 19 item 2)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from kpis.engine.recompute import recompute_execute, recompute_request
from kpis.models import KpiSnapshot, RecomputeRun
from kpis.tests.helpers import import_rows, kpi
from partners.incentives import services as incentives
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory, PartnerFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"
HEADER = ["date", "channel", "spend", "revenue"]


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


@pytest.fixture
def market():
    return ChannelFactory(name="Marketplace", slug="market")


def insert_behind_the_orms_back(channel_id: int, day: date, partner_key: int = 0) -> None:
    """A fact the import would refuse, written as a restore or a hand edit might.

    The database check is lifted for this statement only: SQLite ignores
    checks while the pragma is on; PostgreSQL drops the constraint inside the
    test's transaction, which the test's rollback restores.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:
            cursor.execute("ALTER TABLE kpis_dailyfact DROP CONSTRAINT dailyfact_day_in_range")
        cursor.execute(
            "INSERT INTO kpis_dailyfact (channel_id, day, partner_key, spend, revenue, cogs, "
            "orders, units, leads, new_customers, impressions, clicks) "
            "VALUES (%s, %s, %s, 5, 7, 0, 0, 0, 0, 0, 0, 0)",
            [channel_id, day, partner_key],
        )
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_a_full_recompute_skips_a_row_out_of_range_and_says_so(shop, market):
    import_rows(
        HEADER,
        [["2025-01-02", "web-shop", "10", "40"], ["2025-01-03", "market", "1", "3"]],
    )
    insert_behind_the_orms_back(shop.pk, date(9999, 12, 31))
    run = recompute_request(trigger=RecomputeRun.Trigger.SCHEDULE)
    done = recompute_execute(run.pk, inline=True)

    assert done is not None and done.status == RecomputeRun.Status.SUCCEEDED, done.error
    assert kpi(shop.pk, "month", date(2025, 1, 1), "revenue") == 40
    assert kpi(market.pk, "month", date(2025, 1, 1), "revenue") == 3
    assert not KpiSnapshot.objects.filter(period_start__year__gt=2100).exists()
    assert done.stats["skipped"]["rows"] == 1
    assert done.warning == (
        "1 fact row dated outside 2000-01-01 to 2099-12-31 was skipped (9999-12-31, "
        "channel “Web Shop”): undo the import that wrote it or correct the row. "
        "Every other row was computed."
    )


def test_the_jobs_page_the_api_and_health_show_the_skipped_row(
    marketing_client, marketing_api, client, shop
):
    import_rows(HEADER, [["2025-01-02", "web-shop", "10", "40"]])
    insert_behind_the_orms_back(shop.pk, date(1970, 1, 1))
    run = recompute_request(trigger=RecomputeRun.Trigger.SCHEDULE)
    recompute_execute(run.pk, inline=True)

    jobs = marketing_client.get(reverse("kpis:runs")).text
    assert "1 fact row dated outside 2000-01-01 to 2099-12-31 was skipped" in jobs
    detail = marketing_client.get(reverse("kpis:run-detail", args=[run.pk])).text
    assert "1970-01-01, channel “Web Shop”" in detail
    polled = marketing_api.get(f"{API}/recompute-runs/{run.pk}/").json()
    assert polled["warning"].startswith("1 fact row dated outside 2000-01-01 to 2099-12-31")
    body = client.get(reverse("health")).json()
    latest = body["recompute"]["latest_full"]
    assert latest["id"] == run.pk and latest["status"] == "succeeded"
    assert latest["warning"].startswith("1 fact row dated outside")


def test_a_scoped_recompute_within_the_window_does_not_look_for_such_rows(shop):
    import_rows(HEADER, [["2025-01-02", "web-shop", "10", "40"]])
    insert_behind_the_orms_back(shop.pk, date(9999, 12, 31))
    run = recompute_request(
        trigger=RecomputeRun.Trigger.MANUAL, start=date(2025, 1, 1), end=date(2025, 1, 31)
    )
    done = recompute_execute(run.pk, inline=True)
    assert done is not None and done.status == "succeeded" and done.warning == ""


@pytest.mark.parametrize(
    ("start", "end"), [("0717-01-01", "2025-01-31"), ("2025-01-01", "9999-12-31")]
)
def test_the_api_refuses_a_scope_outside_the_window(marketing_api, shop, start, end):
    response = marketing_api.post(f"{API}/recompute-runs/", {"start": start, "end": end})
    assert response.status_code == 400
    field = "start" if start.startswith("0717") else "end"
    assert "out of range" in response.json()["errors"][field][0]
    assert not RecomputeRun.objects.exists()


def test_the_command_refuses_a_scope_outside_the_window(shop):
    with pytest.raises(CommandError, match="--end 9999-12-31 is out of range"):
        call_command(
            "recompute_kpis", "--start", "2025-01-01", "--end", "9999-12-31", stdout=io.StringIO()
        )
    assert not RecomputeRun.objects.exists()


def test_a_partner_row_out_of_range_does_not_break_its_rebate(shop):
    channel = ChannelFactory(slug="market", route="indirect")
    nordic = PartnerFactory(channel=channel, slug="nordic")
    rebate = incentives.program_create(
        data={
            "name": "Rebate",
            "kind": "rebate",
            "channel": channel,
            "start_date": date(2025, 1, 1),
            "accrual_period": "quarter",
            "rebate_rate": Decimal("0.10"),
        }
    )
    incentives.enrollment_add(program=rebate, partner=nordic)
    import_rows(
        ["date", "channel", "partner", "revenue"], [["2025-01-15", "market", "nordic", "300"]]
    )
    insert_behind_the_orms_back(channel.pk, date(9999, 12, 31), partner_key=nordic.pk)
    run = recompute_request(trigger=RecomputeRun.Trigger.SCHEDULE)
    done = recompute_execute(run.pk, inline=True)
    assert done is not None and done.status == "succeeded", done.error
    assert done.stats["skipped"]["rows"] == 1
    assert kpi(channel.pk, "quarter", date(2025, 1, 1), "incentive_cost") == 30
