# mypy: disable-error-code="index,operator"
"""The Incremental ROI pages: what each role sees and may do, banners, query
counts, events, lift tests, costs per channel, the planner and saved plans."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from channelhub.lib.roles import MARKETING_MANAGER
from channelhub.metrics.display import money
from channels_app.channels.models import Channel
from kpis.modeling import contract, fitting, services
from kpis.modeling.forms import bound_field, next_month, period_end
from kpis.models import (
    BudgetPlan,
    ChannelModelResult,
    LiftTest,
    ModelChannelSetting,
    ModelEvent,
    ModelRun,
)
from kpis.tests.helpers import import_rows
from tests.api import *  # noqa: F403
from tests.auth import signed_in_client
from tests.factories import UserFactory

from .conftest import START

pytestmark = pytest.mark.django_db


def fitted():
    run, _ = services.model_fit_request(trigger="command")
    return services.model_fit_execute(run.pk)


def test_the_page_says_there_is_no_model_yet(viewer_client):
    page = viewer_client.get(reverse("kpis:model"))
    assert page.status_code == 200
    assert "No model yet" in page.text and "Fit now</button>" not in page.text


def test_the_page_shows_attributed_beside_modeled_roas_in_words(
    business, fake_fit, viewer_client, django_assert_max_num_queries
):
    fitted()
    with django_assert_max_num_queries(12):
        page = viewer_client.get(reverse("kpis:model"))
    text = page.text
    assert "For every $1 on Zeta Search, about $" in text
    assert "attribution says $3.00." in text
    # "Next $1 brings" with its 90% interval beneath.
    search = ChannelModelResult.objects.get(slug="paid-search")
    assert search.marginal_roas_low < search.marginal_roas < search.marginal_roas_high
    low, high = money(search.marginal_roas_low), money(search.marginal_roas_high)
    assert f'<small class="muted">{low} – {high}</small>' in text
    assert 'id="fig-model-roas"' in text and 'id="fig-paid-search-curve"' in text
    assert "Model health" in text and "Less than 52 weeks of data" in text
    assert "Fit now</button>" not in text  # viewers read only
    # The figures are over the fitted days; days held out to test the fit are said.
    run = ModelRun.objects.get()
    assert run.diagnostics["fit_end"] == run.data_end.isoformat()  # (none held out here)
    assert "kept out of the fit" not in text
    fit_end = run.data_end - timedelta(days=56)
    run.diagnostics = {**run.diagnostics, "fit_end": fit_end.isoformat()}
    run.save(update_fields=["diagnostics"])
    assert (
        f"its figures (cost, sales and ROAS) are over {run.data_start} to {fit_end}, "
        "the days after are kept out of the fit to test it"
    ) in viewer_client.get(reverse("kpis:model")).text


def test_query_count_does_not_grow_with_channels_or_runs(
    business, fake_fit, marketing_client, django_assert_max_num_queries
):
    fitted()
    with django_assert_max_num_queries(14) as small:
        marketing_client.get(reverse("kpis:model"))
    rows = [
        [(START + timedelta(days=i)).isoformat(), f"extra-{k}", str(10 + (i * k) % 7), "30"]
        for i in range(120)
        for k in range(4)
    ]
    import_rows(["date", "channel", "spend", "revenue"], rows, create_channels=True)
    fitted()
    fitted()
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = marketing_client.get(reverse("kpis:model"))
    assert page.text.count("For every $1 on") == 6
    # extra-0's spend never varies: no figure, and the reason.
    assert "extra-0: no modeled figure. extra-0&#x27;s spend never varies" in page.text


def test_a_marketing_manager_fits_now_and_others_may_not(
    business,
    fake_fit,
    marketing_client,
    partner_client,
    viewer_client,
    django_capture_on_commit_callbacks,
):
    assert partner_client.post(reverse("kpis:model-fit")).status_code == 403
    assert viewer_client.post(reverse("kpis:model-fit")).status_code == 403
    assert not ModelRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = marketing_client.post(reverse("kpis:model-fit"))
    assert response.status_code == 302
    run = ModelRun.objects.get()
    assert run.status == "succeeded" and run.requested_by.username == "maria"


def test_fit_now_twice_while_one_waits_queues_one(business, marketing_client):
    marketing_client.post(reverse("kpis:model-fit"))
    marketing_client.post(reverse("kpis:model-fit"))
    assert ModelRun.objects.count() == 1
    page = marketing_client.get(reverse("kpis:model")).text
    assert 'id="model-running"' in page and 'hx-trigger="every 5s"' in page
    assert "the previous model" not in page  # there is none: "No model yet" below


def test_the_banner_of_a_fit_under_way_updates_and_reloads_the_page_when_it_ends(
    business, fake_fit, viewer_client
):
    run, _ = services.model_fit_request(trigger="command")
    asked = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "model-running"}
    waiting = viewer_client.get(reverse("kpis:model"), **asked)
    assert waiting.text.lstrip().startswith('<div class="callout" role="status" id="model-running"')
    assert "A fit is waiting for a worker" in waiting.text and "<html" not in waiting.text
    services.model_fit_execute(run.pk)
    ended = viewer_client.get(reverse("kpis:model"), **asked)
    assert ended.status_code == 200 and ended.headers["HX-Refresh"] == "true"
    page = viewer_client.get(reverse("kpis:model")).text
    assert 'id="model-running"' not in page and "For every $1 on Zeta Search" in page


def test_a_refused_fit_keeps_the_previous_model_and_the_page_says_so(
    business, fake_fit, monkeypatch, viewer_client
):
    live = fitted()

    def refuse(data, settings):
        raise contract.FitRefused("Every channel's spend is zero.")

    monkeypatch.setattr(fitting, "fit", refuse)
    fitted()
    text = viewer_client.get(reverse("kpis:model")).text
    assert (
        'id="model-failed"' in text and "was refused: Every channel&#x27;s spend is zero." in text
    )
    assert f"fitted {timezone.localtime(live.published_at):%Y-%m-%d %H:%M}" in text
    assert "For every $1 on Zeta Search" in text


def test_the_stale_banner_follows_an_import(business, fake_fit, viewer_client):
    fitted()
    assert 'id="model-stale"' not in viewer_client.get(reverse("kpis:model")).text
    import_rows(["date", "channel", "spend"], [[START.isoformat(), "social", "51"]])
    assert 'id="model-stale"' in viewer_client.get(reverse("kpis:model")).text


def test_run_history_and_detail(business, fake_fit, partner_client):
    run = fitted()
    assert f"#{run.pk}" in partner_client.get(reverse("kpis:model-runs")).text
    detail = partner_client.get(run.get_absolute_url()).text
    assert "Fitted and published." in detail
    assert 'hx-trigger="every 5s"' not in detail  # a finished fit stops refreshing


def test_a_running_fit_says_how_long_so_far_and_how_long_fits_take(
    business, fake_fit, partner_client
):
    done = fitted()
    now = timezone.now()
    ModelRun.objects.filter(pk=done.pk).update(
        started_at=now - timedelta(minutes=10), finished_at=now - timedelta(minutes=7)
    )
    run, _ = services.model_fit_request(trigger="command")
    ModelRun.objects.filter(pk=run.pk).update(
        status=ModelRun.Status.RUNNING, started_at=now - timedelta(seconds=130)
    )
    page = partner_client.get(run.get_absolute_url())
    assert "Fitting for 2 minutes; the last fits took about 3 minutes." in page.text
    assert 'hx-trigger="every 5s"' in page.text
    # htmx asks for the card alone
    card = partner_client.get(run.get_absolute_url(), headers={"HX-Request": "true"}).text
    assert card.lstrip().startswith('<div class="card" id="model-run"')
    assert "<html" not in card


def test_the_model_csv_is_formula_safe(business, fake_fit, viewer_client):
    business["social"].slug = "=cmd"
    business["social"].save()
    fitted()
    text = viewer_client.get(reverse("kpis:model-csv")).content.decode()
    lines = text.splitlines()
    assert lines[0] == (
        "channel,spend,incremental_revenue,incremental_roas,roas_low,roas_high,marginal_roas,status"
    )
    assert any(line.startswith("'=cmd,") for line in lines)


# --- events, lift tests, costs -----------------------------------------------------


def test_events_are_recorded_by_marketing_managers_and_changed_by_their_author(
    marketing_client, viewer_client, marketing_user
):
    data = {"name": "Black Friday", "start": "2025-11-28", "end": "2025-11-30"}
    assert viewer_client.post(reverse("kpis:model-event-create"), data).status_code == 403
    response = marketing_client.post(reverse("kpis:model-event-create"), data)
    assert response.status_code == 302
    event = ModelEvent.objects.get()
    assert event.created_by == marketing_user
    tom = signed_in_client(UserFactory(username="tom", role=MARKETING_MANAGER))
    edit = reverse("kpis:model-event-edit", args=[event.pk])
    assert tom.post(edit, {**data, "name": "Changed"}).status_code == 403
    assert tom.post(reverse("kpis:model-event-delete", args=[event.pk])).status_code == 403
    event.refresh_from_db()
    assert event.name == "Black Friday"
    assert marketing_client.post(edit, {**data, "name": "Cyber week"}).status_code == 302
    event.refresh_from_db()
    assert event.name == "Cyber week"
    assert "Cyber week" in viewer_client.get(reverse("kpis:model-events")).text


def test_an_event_ending_before_it_starts_is_refused_and_shown_again(marketing_client):
    data = {"name": "Backwards", "start": "2025-11-28", "end": "2025-11-01"}
    page = marketing_client.post(reverse("kpis:model-event-create"), data)
    assert page.status_code == 200
    assert "The last day is before the first day." in page.text
    assert 'value="Backwards"' in page.text
    assert not ModelEvent.objects.exists()


def lift(channel, **overrides):
    data = {
        "channel": channel.pk,
        "name": "Search hold-out",
        "start": "2025-03-01",
        "end": "2025-03-28",
        "cost": "3000",
        "delta_cost": "-3000",
        "delta_revenue": "-4200",
        "sigma": "600",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"end": "2025-02-01"}, "end", "The last day is before the first day."),
        ({"sigma": "0"}, "sigma", "The standard error must be above zero."),
        ({"sigma": "-5"}, "sigma", "The standard error must be above zero."),
        ({"cost": "-1"}, "cost", "A cost cannot be negative."),
        ({"delta_cost": "0"}, "delta_cost", "it cannot be 0"),
        ({"delta_cost": "-5000"}, "delta_cost", "cannot drop by more than it was"),
        ({"start": "1900-01-01"}, "start", "out of range"),
        ({"end": "9999-12-31"}, "end", "out of range"),
        ({"sigma": "abc"}, "sigma", "Enter a number."),
        ({"delta_revenue": "4200"}, "delta_revenue", "must move the way the cost did"),
        ({"delta_revenue": "0"}, "delta_revenue", "A change of exactly 0 cannot calibrate"),
        # An amount a database without decimals (SQLite) could not read back.
        ({"cost": "9999999999999999.99"}, "cost", "Amounts go up to 99,999,999,999,999.99."),
        ({"sigma": "1e17"}, "sigma", "Amounts go up to 99,999,999,999,999.99."),
        (
            {"delta_cost": "10000", "delta_revenue": "-900000"},
            "delta_revenue",
            "must move the way the cost did",
        ),
    ],
)
def test_impossible_lift_tests_are_refused_at_the_form(
    business, marketing_client, overrides, field, message
):
    page = marketing_client.post(
        reverse("kpis:lift-test-create"), lift(business["paid-search"], **overrides)
    )
    assert page.status_code == 200
    assert message in page.context["form"].errors[field][0]
    assert not LiftTest.objects.exists()


def test_a_lift_test_in_the_future_is_refused(business, marketing_client):
    later = (timezone.localdate() + timedelta(days=10)).isoformat()
    page = marketing_client.post(
        reverse("kpis:lift-test-create"),
        lift(business["paid-search"], start=later, end=later),
    )
    assert "this day is ahead" in page.context["form"].errors["start"][0]


def test_a_lift_test_still_running_is_refused(business, marketing_client):
    later = (timezone.localdate() + timedelta(days=10)).isoformat()
    page = marketing_client.post(
        reverse("kpis:lift-test-create"), lift(business["paid-search"], end=later)
    )
    assert "its last day is still ahead" in page.context["form"].errors["end"][0]
    assert not LiftTest.objects.exists()


def test_a_lift_test_of_a_channel_set_as_not_advertising_is_refused(business, marketing_client):
    search = business["paid-search"]
    ModelChannelSetting.objects.create(channel=search, cost_basis="none")
    page = marketing_client.post(reverse("kpis:lift-test-create"), lift(search))
    assert page.status_code == 200
    assert page.context["form"].errors["channel"] == [
        "Zeta Search is set as not advertising, so the model does not estimate it and would "
        "leave this test out. Change that under Costs per channel first."
    ]
    assert not LiftTest.objects.exists()


def test_the_same_lift_test_twice_is_refused(business, marketing_client):
    url = reverse("kpis:lift-test-create")
    assert marketing_client.post(url, lift(business["paid-search"])).status_code == 302
    again = marketing_client.post(url, lift(business["paid-search"], name="Again"))
    assert again.status_code == 200
    assert "This test is already recorded" in again.context["form"].non_field_errors()[0]
    assert LiftTest.objects.count() == 1
    # Its own edit is not a duplicate of itself.
    test = LiftTest.objects.get()
    edit = marketing_client.post(
        reverse("kpis:lift-test-edit", args=[test.pk]),
        lift(business["paid-search"], sigma="700"),
    )
    assert edit.status_code == 302
    test.refresh_from_db()
    assert test.sigma == 700


def test_a_lift_test_is_recorded_and_the_next_fit_reads_it(business, marketing_client):
    response = marketing_client.post(
        reverse("kpis:lift-test-create"), lift(business["paid-search"])
    )
    assert response.status_code == 302
    from kpis.modeling.selectors import model_data

    (test,) = model_data().lift_tests
    assert test.channel == "paid-search" and test.delta_revenue == -4200 and test.sigma == 600
    assert "Search hold-out" in marketing_client.get(reverse("kpis:lift-tests")).text


def test_a_viewer_sees_the_costs_as_set_not_as_choices(business, viewer_client):
    page = viewer_client.get(reverse("kpis:model-costs"))
    assert page.status_code == 200
    form = page.context["form"]
    assert all(field.disabled for field in form.fields.values())
    assert 'id="costs-read-only"' in page.text and ">Save</button>" not in page.text


def test_costs_per_channel_are_chosen_by_marketing_managers(
    business, marketing_client, partner_client
):
    social = business["social"]
    field = f"cost_{social.pk}"
    data = {f"cost_{c.pk}": "total" for c in business.values()} | {field: "spend"}
    assert partner_client.post(reverse("kpis:model-costs"), data).status_code == 403
    assert not ModelChannelSetting.objects.exists()
    assert marketing_client.post(reverse("kpis:model-costs"), data).status_code == 302
    assert ModelChannelSetting.objects.get(channel=social).cost_basis == "spend"
    assert ModelChannelSetting.objects.filter(cost_basis="total").count() == 3


def test_a_channel_set_as_not_advertising_is_named_on_the_model_page(
    business, marketing_client, fake_fit
):
    social = business["social"]
    data = {f"cost_{c.pk}": "total" for c in business.values()} | {f"cost_{social.pk}": "none"}
    assert marketing_client.post(reverse("kpis:model-costs"), data).status_code == 302
    assert ModelChannelSetting.objects.get(channel=social).cost_basis == "none"
    page = marketing_client.get(reverse("kpis:model-costs")).text
    assert "Not advertising: its sales count in the base" in page
    assert 'value="none" selected' in page
    run, _ = services.model_fit_request(trigger="command")
    services.model_fit_execute(run.pk)
    page = marketing_client.get(reverse("kpis:model")).text
    assert 'id="model-not-media">Alpha Social ' in page
    # Its cost is no media of the model: it has no modeled row.
    assert 'data-slug="social"' not in page and 'data-slug="events"' in page


# --- planner and plans -------------------------------------------------------------


def plan_data(**overrides):
    start = next_month()
    data = {
        "name": "",
        "goal": "revenue",
        "mode": "budget",
        "period": "month",
        "start": start.isoformat(),
        "total_budget": "9000",
        "min__social": "2000",
        "max__paid-search": "4000",
        "reach": "near",
        "locked__events": "on",
    }
    return {**data, **overrides}


def test_the_planner_answers_and_keeps_bounds_on_their_channels(business, fake_fit, viewer_client):
    fitted()
    page = viewer_client.post(reverse("kpis:planner"), plan_data())
    assert page.status_code == 200, page.context["form"].errors
    answer = page.context["answer"]
    amounts = {c["slug"]: c["amount"] for c in answer["channels"]}
    assert sum(amounts.values()) == pytest.approx(9000, abs=0.05)
    assert amounts["social"] >= 2000 - 0.01
    assert amounts["paid-search"] <= 4000 + 0.01
    # Events is locked at today's daily cost (the model's window) over the month.
    run = ModelRun.objects.get()
    events = run.results.get(slug="events")
    days = (period_end("month", next_month()) - next_month()).days + 1
    assert amounts["events"] == pytest.approx(events.daily_spend * days, abs=0.01)
    # Today's split is the same total in today's proportions.
    assert sum(c["today"] for c in answer["channels"]) == pytest.approx(9000, abs=0.05)
    # Rows by channel name, whatever the slugs.
    assert [c["name"] for c in answer["channels"]] == ["Alpha Social", "Mid Events", "Zeta Search"]
    assert "Plan and save" not in page.text  # viewers do not save


def test_a_marketing_manager_saves_a_plan_and_exports_it(
    business, fake_fit, marketing_client, viewer_client
):
    fitted()
    response = marketing_client.post(reverse("kpis:planner"), plan_data(name="=Q3 push", save="1"))
    assert response.status_code == 302
    plan = BudgetPlan.objects.get()
    assert plan.bounds["social"] == {"min": "2000", "max": None, "locked": False}
    assert plan.result["total"] == pytest.approx(9000, abs=0.05)
    assert "=Q3 push" in viewer_client.get(reverse("kpis:plans")).text
    csv = viewer_client.get(reverse("kpis:plan-csv", args=[plan.pk])).content.decode()
    lines = csv.splitlines()
    assert lines[0].startswith("channel,channel_name,planned_cost,today_cost,expected_incremental")
    assert lines[0].endswith(",plan,period_start,period_end,goal")
    assert lines[1].startswith("events,Mid Events,")
    assert lines[1].endswith(f",'=Q3 push,{plan.period_start},{plan.period_end},revenue")
    detail = viewer_client.get(plan.get_absolute_url()).text
    assert "Bounds given" in detail and "Alpha Social" in detail and "$2,000" in detail
    assert "A newer model" not in detail
    newer = fitted()
    assert f'A newer model (fit <a href="{newer.get_absolute_url()}">#{newer.pk}</a>)' in (
        viewer_client.get(plan.get_absolute_url()).text
    )
    tom = signed_in_client(UserFactory(username="tom", role=MARKETING_MANAGER))
    assert tom.post(reverse("kpis:plan-delete", args=[plan.pk])).status_code == 403
    assert BudgetPlan.objects.exists()
    assert marketing_client.post(reverse("kpis:plan-delete", args=[plan.pk])).status_code == 302
    assert not BudgetPlan.objects.exists()


def test_the_smallest_budget_for_a_target(business, fake_fit, viewer_client):
    fitted()
    page = viewer_client.post(
        reverse("kpis:planner"),
        plan_data(mode="target", total_budget="", target="5000", **{"locked__events": ""}),
    )
    answer = page.context["answer"]
    assert answer["outcome"]["mean"] >= 5000
    # A target the channels' minimums already bring: the least, in words.
    low = viewer_client.post(
        reverse("kpis:planner"),
        plan_data(mode="target", total_budget="", target="1", **{"locked__events": ""}),
    )
    assert "already reaches the target" in low.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"total_budget": "1"}, "below the channels&#x27; minimums"),
        ({"start": date(2020, 1, 1).isoformat()}, "this one is past"),
        ({"max__social": "10", "min__social": "20"}, "The maximum is below the minimum."),
        # Named up top too: on a phone the bounds' table scrolls sideways.
        (
            {"max__social": "10", "min__social": "20"},
            "Bounds of Alpha Social: the maximum is below the minimum.",
        ),
        ({"min__paid-search": "-5"}, "Bounds of Zeta Search: ensure this value is greater"),
        ({"name": "", "save": "1"}, "Give the plan a name to save it."),
        ({"min__events": "5"}, "Keep today&#x27;s spend, or give a minimum or maximum: not both."),
        ({"total_budget": "-5"}, "greater than or equal to 0"),
        ({"start": date(2031, 1, 1).isoformat()}, "Plan at most 2 years ahead"),
        ({"total_budget": ""}, "Give the total budget to split."),
    ],
)
def test_impossible_plans_are_refused_in_words(
    business, fake_fit, marketing_client, overrides, message
):
    fitted()
    page = marketing_client.post(reverse("kpis:planner"), plan_data(**overrides))
    assert page.status_code == 200 and page.context["answer"] is None
    assert message in page.text
    assert "Give the total budget to split." not in page.text or not overrides.get("total_budget")
    assert not BudgetPlan.objects.exists()


def test_what_if_one_channel(business, fake_fit, viewer_client):
    fitted()
    page = viewer_client.get(reverse("kpis:planner"), {"channel": "social", "amount": "5000"})
    answer = page.context["what_if_answer"]
    assert answer["channel"] == "Alpha Social"
    assert {c["slug"]: c["amount"] for c in answer["channels"]}["social"] == 5000
    assert "Alpha Social at $5,000 over 30 days instead of today" in page.text
    assert not answer["beyond"] and "beyond any spend" not in page.text
    # Far past anything the model has seen: said so.
    far = viewer_client.get(reverse("kpis:planner"), {"channel": "social", "amount": "99999999"})
    assert far.context["what_if_answer"]["beyond"]
    assert "beyond any spend the model has seen on Alpha Social" in far.text


def test_the_planner_shows_todays_spend_and_proposes_next_month_at_todays_pace(
    business, fake_fit, viewer_client
):
    run = fitted()
    page = viewer_client.get(reverse("kpis:planner"))
    daily = {r.slug: r.daily_spend for r in run.results.all() if r.daily_spend}
    days = (period_end("month", next_month()) - next_month()).days + 1
    assert page.context["form"]["total_budget"].value() == round(sum(daily.values()) * days)
    # The help gives the quarter at today's pace too (the budget is not changed for it).
    quarter = (period_end("quarter", next_month()) - next_month()).days + 1
    assert f"${round(sum(daily.values()) * quarter):,} for the quarter" in page.text
    # Beside the bounds, totals over the period: today's spend over next month.
    rows = {row["slug"]: row for row in page.context["form"].channel_rows()}
    assert rows["social"]["today_period"] == pytest.approx(daily["social"] * days)
    assert f"Today's spend over the period (<span data-period-days>{days}</span> days)" in (
        page.text
    )
    assert f'data-per-day="{daily["social"]:.4f}"' in page.text
    # The proposal is marked as such (the page moves it with the period until typed over).
    assert f'data-pace-value="{round(sum(daily.values()) * days)}"' in page.text
    assert "left out unless you give it a maximum" not in page.text
    assert page.context["form"][bound_field("max", "social")].value() is None
    Channel.objects.filter(slug="social").update(status=Channel.Status.PAUSED)
    page = viewer_client.get(reverse("kpis:planner"))
    assert "(paused: left out unless you give it a maximum)" in page.text
    # Not a bound typed in for the user (a saved plan listed it as one they gave).
    assert page.context["form"][bound_field("max", "social")].value() is None


def test_a_paused_channel_gets_nothing_unless_given_a_bound_on_the_page_and_the_api(
    business, fake_fit, marketing_client, marketing_api
):
    """The page gave it a maximum of 0 as a typed value; the API gave it money."""
    fitted()
    Channel.objects.filter(slug="social").update(status=Channel.Status.PAUSED)
    note = (
        "Left out, as it is not running: Alpha Social (paused). Give it a maximum to plan "
        "for it again."
    )
    question = plan_data(**{"min__social": "", "max__paid-search": "", "locked__events": ""})
    answer = marketing_client.post(reverse("kpis:planner"), question).context["answer"]
    assert {c["slug"]: c["amount"] for c in answer["channels"]}["social"] == 0
    assert note in answer["notes"]
    saved = marketing_api.post(
        "/api/v1/budget-plans/",
        {"name": "Paused", "start": next_month().isoformat(), "total_budget": "9000"},
        format="json",
    )
    assert saved.status_code == 201, saved.json()
    plan = BudgetPlan.objects.get(name="Paused")
    assert plan.bounds == {}  # nothing the user gave
    assert {c["slug"]: c["amount"] for c in plan.result["channels"]}["social"] == 0
    assert note in plan.result["notes"]
    # A bound given plans it again.
    given = marketing_client.post(
        reverse("kpis:planner"), {**question, bound_field("max", "social"): "5000"}
    ).context["answer"]
    assert {c["slug"]: c["amount"] for c in given["channels"]}["social"] > 0
    assert note not in given.get("notes", [])


def test_todays_spend_in_the_planner_is_the_recent_pace_when_the_fit_stored_it(
    business, fake_fit, viewer_client
):
    run = fitted()
    social = run.results.get(slug="social")
    social.curve = {**social.curve, "recent_daily": 12.5}
    social.save(update_fields=["curve"])
    form = viewer_client.get(reverse("kpis:planner")).context["form"]
    assert form.today_daily["social"] == 12.5  # not the window's average
    assert form.today_daily["events"] == run.results.get(slug="events").daily_spend
    curves = viewer_client.get("/api/v1/model/curves/").json()
    assert {c["channel"]: c["recent_daily_spend"] for c in curves}["social"] == 12.5


def test_the_bounds_table_follows_the_period_asked_for(business, fake_fit, viewer_client):
    run = fitted()
    daily = run.results.get(slug="social").daily_spend
    start = next_month()
    quarter = (period_end("quarter", start) - start).days + 1
    page = viewer_client.post(reverse("kpis:planner"), plan_data(period="quarter"))
    rows = {row["slug"]: row for row in page.context["form"].channel_rows()}
    assert rows["social"]["today_period"] == pytest.approx(daily * quarter)
    assert f"<span data-period-days>{quarter}</span> days" in page.text
    # The budget proposed for that quarter stays marked as the proposal once
    # posted: the page goes on moving it with the period.
    total = round(sum(r.daily_spend for r in run.results.all() if r.daily_spend) * quarter)
    assert f'data-pace-value="{total}"' in page.text
    # A start typed wrong: the table reads the quarter from next month, the
    # field says what is wrong (a quarter from late 9999 ends past year 9999).
    for wrong, message in (("soon", "Enter a valid date"), ("9999-11-01", "is out of range")):
        page = viewer_client.post(reverse("kpis:planner"), plan_data(period="quarter", start=wrong))
        assert page.status_code == 200 and message in page.text
        assert page.context["form"].period_days() == quarter


def test_a_refused_bound_is_outlined_in_its_row(business, fake_fit, viewer_client):
    fitted()
    page = viewer_client.post(
        reverse("kpis:planner"), plan_data(**{"min__social": "20", "max__social": "10"})
    )
    row = page.text.split('data-slug="social"')[1].split("</tr>")[0]
    assert row.count('class="has-error"') == 1  # the maximum's cell
    assert (
        'class="has-error"' not in page.text.split('data-slug="paid-search"')[1].split("</tr>")[0]
    )


def test_a_plan_name_is_taken_once(business, fake_fit, marketing_client):
    fitted()
    first = marketing_client.post(reverse("kpis:planner"), plan_data(name=" Q3   push", save="1"))
    assert first.status_code == 302
    assert BudgetPlan.objects.get().name == "Q3 push"  # one space between words
    again = marketing_client.post(reverse("kpis:planner"), plan_data(name="q3  PUSH ", save="1"))
    assert again.status_code == 200
    assert again.context["form"].errors["name"] == [
        "A saved plan is already named “Q3 push”: choose another name (or delete that plan first)."
    ]
    assert again.context["form"]["name"].value() == "q3  PUSH "  # what was typed stays
    assert BudgetPlan.objects.count() == 1


def test_a_what_if_sent_by_htmx_answers_in_place(business, fake_fit, viewer_client):
    fitted()
    page = viewer_client.get(
        reverse("kpis:planner"), {"channel": "social", "amount": "5000"}, HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200
    assert page.text.lstrip().startswith('<section id="what-if-section"')
    assert "Alpha Social at $5,000 over 30 days" in page.text and "plan-form" not in page.text
    refused = viewer_client.get(
        reverse("kpis:planner"), {"channel": "social", "amount": "-1"}, HTTP_HX_REQUEST="true"
    )
    assert "greater than or equal to 0" in refused.text and "what-if-answer" not in refused.text
    # Without htmx the whole page comes back (the form works without scripts).
    assert (
        "plan-form"
        in viewer_client.get(reverse("kpis:planner"), {"channel": "social", "amount": "5000"}).text
    )


def test_the_planner_without_a_model(viewer_client):
    assert "fit a model first" in viewer_client.get(reverse("kpis:planner")).text


def test_portfolio_and_channel_pages_show_the_modeled_figure_once_a_model_exists(
    business, fake_fit, viewer_client, django_assert_max_num_queries
):
    search = business["paid-search"]
    pages = [
        reverse("kpis:portfolio"),
        reverse("channels:detail", args=[search.slug]),
        reverse("kpis:channel-dashboard", args=[search.slug]),
    ]
    for url in pages:
        text = viewer_client.get(url).text
        assert 'id="portfolio-modeled"' not in text and 'id="modeled-figure"' not in text
    fitted()
    portfolio = viewer_client.get(pages[0]).text
    assert 'id="portfolio-modeled"' in portfolio and "Alpha Social" in portfolio
    for url in pages[1:]:
        text = viewer_client.get(url).text
        assert 'id="modeled-figure"' in text and "attributed 3.00" in text


def test_the_modeled_figures_are_dated_by_the_days_the_model_was_fitted_on(
    business, fake_fit, viewer_client
):
    """The portfolio and channel pages said the data's last day, where the
    figures end with the fit's (the weeks after are held out)."""
    run = fitted()
    fit_end = run.data_end - timedelta(days=56)
    run.diagnostics = {**run.diagnostics, "fit_end": fit_end.isoformat()}
    run.save(update_fields=["diagnostics"])
    for url in (
        reverse("kpis:portfolio"),
        reverse("channels:detail", args=[business["paid-search"].slug]),
    ):
        text = viewer_client.get(url).text
        assert f"{run.data_start.isoformat()} to {fit_end.isoformat()}" in text
        assert f"to {run.data_end.isoformat()}" not in text


def test_the_planner_says_when_the_figures_changed_after_the_fit(business, fake_fit, viewer_client):
    fitted()
    assert 'id="planner-stale"' not in viewer_client.get(reverse("kpis:planner")).text
    import_rows(["date", "channel", "spend"], [[START.isoformat(), "social", "51"]])
    page = viewer_client.get(reverse("kpis:planner")).text
    assert 'id="planner-stale"' in page
    assert "The daily figures changed after the model these plans use was fitted" in page


def test_a_failed_first_fit_says_there_is_no_model_yet(business, marketing_client, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("sampler exploded")

    monkeypatch.setattr(fitting, "fit", crash)
    run, _ = services.model_fit_request(trigger="manual")
    with pytest.raises(RuntimeError):
        services.model_fit_execute(run.pk)
    text = marketing_client.get(reverse("kpis:model-run", args=[run.pk])).text
    assert "The fit stopped on an error it did not expect" in text
    assert "There is no model yet: the first fit that succeeds makes one." in text
    assert "stays in use" not in text


@pytest.mark.parametrize(
    "url_name", ["kpis:model-runs", "kpis:model-events", "kpis:lift-tests", "kpis:plans"]
)
def test_list_pages_read_a_constant_number_of_queries(
    business, marketing_user, viewer_client, django_assert_max_num_queries, url_name
):
    def add(count):
        for i in range(count):
            ModelRun.objects.create(status="failed", error="x", requested_by=marketing_user)
            ModelEvent.objects.create(
                name=f"Sale {i}", start=START, end=START, created_by=marketing_user
            )
            LiftTest.objects.create(
                channel=business["social"], start=START, end=START, cost=10, delta_cost=-10,
                delta_revenue=-5, sigma=2, created_by=marketing_user,
            )  # fmt: skip
            BudgetPlan.objects.create(
                name=f"Plan {i}", period_start=START, period_end=START, created_by=marketing_user
            )

    add(2)
    with django_assert_max_num_queries(30) as few:
        assert viewer_client.get(reverse(url_name)).status_code == 200
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert viewer_client.get(reverse(url_name)).status_code == 200


def test_model_health_says_each_diagnostic_once():
    """The fit's own warning about a diagnostic and the page's sentence about
    it are one warning, not two; a diagnostic the fit did not speak of is
    still put in words."""
    from kpis.modeling.content import health

    run = ModelRun(
        warnings=[
            "The sampler hit 6 divergent steps: treat the figures with care.",
            "Few independent draws (effective sample size 80): intervals are rough.",
        ],
        diagnostics={"divergences": 6, "ess_min": 80, "rhat_max": 1.2, "mape_holdout": 0.02},
    )
    said = health(run)
    assert sum("divergen" in w for w in said) == 1
    assert sum("effective sample size" in w for w in said) == 1
    assert sum("r-hat" in w for w in said) == 1  # the fit said nothing of it: the page does
    assert not any("misses the last" in w for w in said)  # 2% is within what the page accepts


def test_the_planner_keeps_channels_near_todays_spend_unless_told_otherwise(
    business, fake_fit, marketing_client
):
    fitted()
    page = marketing_client.get(reverse("kpis:planner"))
    assert page.context["form"]["reach"].value() == "near"
    assert "Within what the model has seen" in page.text
    assert "half to twice today's spend, or from its quietest to its busiest" in page.text
    daily = {r.slug: r.daily_spend for r in ModelRun.objects.get().results.all() if r.daily_spend}
    days = (period_end("month", next_month()) - next_month()).days + 1
    today = {slug: spend * days for slug, spend in daily.items()}
    question = plan_data(total_budget=str(round(sum(today.values()))))
    del question["min__social"], question["max__paid-search"], question["locked__events"]
    near = marketing_client.post(reverse("kpis:planner"), {**question, "name": "Near", "save": "1"})
    assert near.status_code == 302
    plan = BudgetPlan.objects.get(name="Near")
    assert plan.reach == "near"
    for row in plan.result["channels"]:
        assert today[row["slug"]] / 2 - 0.01 <= row["amount"] <= today[row["slug"]] * 2 + 0.01
    assert "channels without bounds: within what the model has seen" in (
        marketing_client.get(plan.get_absolute_url()).text
    )
    # Beyond the range: refused in words, what was typed shown again.
    beyond = str(round(sum(today.values()) * 2.5))  # the curves reach 3 times today
    huge = marketing_client.post(reverse("kpis:planner"), {**question, "total_budget": beyond})
    assert "each channel at most twice today" in huge.text
    assert huge.context["form"]["total_budget"].value() == beyond
    free = marketing_client.post(
        reverse("kpis:planner"), {**question, "reach": "free", "total_budget": beyond}
    )
    assert free.context["answer"]["total"] == pytest.approx(float(beyond), rel=1e-4)
    bad = marketing_client.post(reverse("kpis:planner"), {**question, "reach": "anywhere"})
    assert "reach" in bad.context["form"].errors
    # A question without the choice (a script written before it) stays near today.
    unsaid = {k: v for k, v in question.items() if k != "reach"}
    page = marketing_client.post(reverse("kpis:planner"), unsaid)
    assert page.context["form"].cleaned_data["reach"] == "near"
    assert page.context["answer"]["total"] == pytest.approx(float(question["total_budget"]))


def test_every_channel_kept_at_todays_spend_takes_the_proposed_budget(
    business, fake_fit, viewer_client
):
    fitted()
    form = viewer_client.get(reverse("kpis:planner")).context["form"]
    proposed = form["total_budget"].value()  # whole units; today's spend has cents
    locked = {f"locked__{slug}": "on" for slug in form.slugs}
    question = {k: v for k, v in plan_data(total_budget=str(proposed)).items() if "__" not in k}
    page = viewer_client.post(reverse("kpis:planner"), {**question, **locked})
    assert page.context["answer"] is not None, page.context["form"].errors
    assert page.context["answer"]["total"] == pytest.approx(proposed, abs=1)
    refused = viewer_client.post(
        reverse("kpis:planner"), {**question, **locked, "total_budget": str(proposed + 50)}
    )
    assert "unlock channels" in refused.text


def test_attributed_roas_and_daily_spend_are_over_the_fitted_days(business, fake_fit, monkeypatch):
    # A fit that holds the last 20 days out: its spend is summed on the days
    # before, and so are the attributed revenue and the daily average.
    def holding_out(data, settings=None):
        result = fake_fit(data, settings)
        end = data.days[-21].date()
        fitted_days = data.days <= pd.Timestamp(end)
        channels = tuple(
            dataclasses.replace(c, spend=float(data.media[c.slug][fitted_days].sum()))
            for c in result.channels
        )
        return dataclasses.replace(result, end=end, channels=channels)

    monkeypatch.setattr(fitting, "fit", holding_out)
    run = fitted()
    data_end = run.data_end
    fit_end = data_end - timedelta(days=20)
    assert run.diagnostics["fit_end"] == fit_end.isoformat()
    search = run.results.get(slug="paid-search")
    # business_rows: Paid Search spends 100 + 10 x (i % 7) and is credited 3 times that.
    assert search.attributed_roas == pytest.approx(3.0)
    days = (fit_end - run.data_start).days + 1
    assert search.daily_spend == pytest.approx(float(search.spend) / days)
