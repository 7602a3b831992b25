# mypy: disable-error-code="index,operator,func-returns-value"
"""Model runs: the data a fit reads, one run at a time, publish in one
transaction, refusals and failures keep the previous model live, staleness,
the sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpis.modeling import contract, fitting, selectors, services
from kpis.models import ChannelModelResult, ModelChannelSetting, ModelEvent, ModelRun
from kpis.tests.helpers import import_rows

from .conftest import START, business_rows
from .fakefit import make_fit

pytestmark = pytest.mark.django_db


def fit_now(**kwargs):
    run, created = services.model_fit_request(trigger=ModelRun.Trigger.COMMAND, **kwargs)
    assert created
    return services.model_fit_execute(run.pk)


def test_the_data_is_daily_totals_and_each_paid_channels_cost(business):
    ModelEvent.objects.create(name="Spring sale", start=START, end=START + timedelta(days=3))
    with CaptureQueriesContext(connection) as queries:
        data = selectors.model_data()
    group_bys = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    assert len(group_bys) == 1 and "kpis_dailyfact" in group_bys[0]
    assert len(data.days) == 120 and data.days[0].date() == START
    # web-shop has no cost: not a paid channel, but its revenue is in the target.
    assert list(data.media.columns) == ["events", "paid-search", "social"]
    assert data.media["paid-search"].iloc[1] == 110
    assert data.revenue[0] == pytest.approx(300 + 75 + 320 + 300)
    assert data.gross_profit[0] == pytest.approx(995 - 100 - 25 - 0 - 120)
    assert data.channel_names["social"] == "Alpha Social"
    assert data.attributed_revenue["events"] == pytest.approx(400 * 3 * 4 * 0.8)
    assert data.gross_margin["paid-search"] == pytest.approx(2 / 3)
    assert [e.name for e in data.events] == ["Spring sale"]
    assert data.missing_days == ()


def test_a_day_without_any_facts_is_reported_missing(business):
    rows = business_rows(days=3, start=START + timedelta(days=121))
    import_rows(["date", "channel", "spend", "revenue", "cogs"], rows)
    data = selectors.model_data()
    assert data.missing_days == (START + timedelta(days=120),)


def test_incentive_cost_counts_unless_the_channel_is_set_to_spend_only(business):
    from kpis.models import IncentiveAccrual
    from tests.factories import IncentiveProgramFactory, PartnerFactory

    social = business["social"]
    partner = PartnerFactory(channel=social)
    program = IncentiveProgramFactory(channel=social)
    IncentiveAccrual.objects.create(
        program=program, partner=partner, channel=social, accrued_on=START,
        period_start=START, period_end=START, amount=40,
    )  # fmt: skip
    assert selectors.model_data().media["social"].iloc[0] == 50 + 40
    services.cost_basis_set(channel=social, cost_basis=ModelChannelSetting.CostBasis.SPEND)
    assert selectors.model_data().media["social"].iloc[0] == 50


def test_a_channel_set_as_not_advertising_is_in_the_target_but_not_the_media(business):
    before = selectors.model_data()
    social = business["social"]
    services.cost_basis_set(channel=social, cost_basis=ModelChannelSetting.CostBasis.NONE)
    data = selectors.model_data()
    assert list(data.media.columns) == ["events", "paid-search"]
    assert "social" not in data.channel_names and "social" not in data.attributed_revenue
    # Its sales stay in the business's total: the model counts them in the base.
    assert data.revenue == pytest.approx(before.revenue)
    assert data.not_media == ("Alpha Social",)
    assert before.not_media == ()


def test_a_fit_records_the_channels_it_left_out_as_not_advertising(business, fake_fit):
    services.cost_basis_set(
        channel=business["social"], cost_basis=ModelChannelSetting.CostBasis.NONE
    )
    run = fit_now()
    assert run.diagnostics["not_media"] == ["Alpha Social"]
    assert set(ChannelModelResult.objects.filter(run=run).values_list("slug", flat=True)) == {
        "events",
        "paid-search",
    }


def test_a_fit_publishes_every_channel_in_one_run(business, fake_fit, django_user_model):
    run = fit_now()
    assert run.status == "succeeded" and run.published_at
    assert run.data_start == START and run.data_cut is not None
    assert run.diagnostics["r2"] == 0.91
    results = {r.slug: r for r in ChannelModelResult.objects.filter(run=run)}
    assert set(results) == {"events", "paid-search", "social"}
    search = results["paid-search"]
    assert search.channel == business["paid-search"]
    assert search.incremental_roas == pytest.approx(make_fit_roas("paid-search"), rel=0.05)
    assert search.roas_low < search.incremental_roas < search.roas_high
    assert search.attributed_revenue == 3 * search.spend
    assert len(search.curve["spend"]) == 13 and len(search.curve_samples) == 60
    assert search.moved is None  # no previous model
    assert selectors.live_run() == run


def make_fit_roas(slug):
    from .fakefit import roas_of

    return roas_of(slug)


def test_estimates_moved_since_the_previous_model(business, monkeypatch):
    monkeypatch.setattr(fitting, "fit", make_fit({"paid-search": 1.0}))
    first = fit_now()
    monkeypatch.setattr(fitting, "fit", make_fit({"paid-search": 1.2}))
    second = fit_now()
    moved = ChannelModelResult.objects.get(run=second, slug="paid-search").moved
    assert moved == pytest.approx(0.2, abs=0.01)
    assert selectors.live_run() == second != first


def test_a_refused_fit_keeps_the_previous_model_live(business, fake_fit, monkeypatch):
    live = fit_now()

    def refuse(data, settings):
        raise contract.FitRefused("There are fewer than 26 weeks of daily figures.")

    monkeypatch.setattr(fitting, "fit", refuse)
    refused = fit_now()
    assert refused.status == "refused"
    assert refused.reason == "There are fewer than 26 weeks of daily figures."
    assert not refused.results.exists()
    page = selectors.model_page()
    assert page.live == live and page.latest == refused and page.latest_failed


def test_a_failed_fit_is_recorded_and_keeps_the_previous_model(business, fake_fit, monkeypatch):
    live = fit_now()

    def crash(data, settings):
        raise RuntimeError("sampler exploded")

    monkeypatch.setattr(fitting, "fit", crash)
    run, _ = services.model_fit_request(trigger="manual")
    with pytest.raises(RuntimeError):
        services.model_fit_execute(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and run.error == "sampler exploded"
    assert selectors.live_run() == live
    assert ChannelModelResult.objects.filter(run=live).count() == 3


def test_no_data_is_a_refusal_not_an_error(db, fake_fit):
    run = fit_now()
    assert run.status == "refused"
    assert "no daily figures" in run.reason


def test_one_run_at_a_time_asking_twice_returns_the_waiting_run(business, fake_fit):
    first, created = services.model_fit_request(trigger="manual")
    again, created_again = services.model_fit_request(trigger="schedule")
    assert created and not created_again and again == first
    assert ModelRun.objects.count() == 1
    assert services.model_fit_execute(first.pk).status == "succeeded"
    # A finished run is not claimed again (a duplicate message).
    assert services.model_fit_execute(first.pk) is None


def test_a_run_whose_lease_expired_is_claimed_again_and_the_sweeper_resends_it(
    business, fake_fit, monkeypatch
):
    run, _ = services.model_fit_request(trigger="manual")
    ModelRun.objects.filter(pk=run.pk).update(
        status="running", lease_expires_at=timezone.now() - timedelta(minutes=1)
    )
    sent = []
    monkeypatch.setattr(services, "send_run", lambda run_id: sent.append(run_id) or True)
    assert services.resend_lost_runs() == 1 and sent == [run.pk]
    done = services.model_fit_execute(run.pk)
    assert done.status == "succeeded" and done.attempts == 1


def test_a_queued_run_whose_message_was_lost_is_sent_again(business, monkeypatch):
    run, _ = services.model_fit_request(trigger="manual")
    sent = []
    monkeypatch.setattr(services, "send_run", lambda run_id: sent.append(run_id) or True)
    assert services.resend_lost_runs() == 0
    ModelRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert services.resend_lost_runs() == 1 and sent == [run.pk]


def test_an_import_after_the_fit_makes_the_model_stale(business, fake_fit):
    run = fit_now()
    assert not selectors.model_page().stale
    import_rows(["date", "channel", "spend"], [[START.isoformat(), "social", "51"]])
    assert selectors.model_page().stale
    assert selectors.model_page().live == run


def test_the_weekly_task_queues_a_run(business, fake_fit, django_capture_on_commit_callbacks):
    from kpis.modeling.tasks import model_fit_scheduled_task

    with django_capture_on_commit_callbacks(execute=True):
        model_fit_scheduled_task()
    run = ModelRun.objects.get()
    assert run.trigger == "schedule" and run.status == "succeeded"


def test_the_schedule_is_a_beat_row_admins_can_edit(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="kpis.model_fit_scheduled")
    assert task.crontab.day_of_week == "1" and task.enabled
