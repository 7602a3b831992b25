# mypy: disable-error-code="index,operator"
"""The modeled ROI over the API: runs, results, curves, lift tests, plans."""

from __future__ import annotations

import pytest

from channelhub.lib.roles import MARKETING_MANAGER
from kpis.modeling import services
from kpis.modeling.forms import next_month
from kpis.models import BudgetPlan, LiftTest, ModelRun
from tests.api import *  # noqa: F403
from tests.api import token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fitted():
    run, _ = services.model_fit_request(trigger="command")
    return services.model_fit_execute(run.pk)


def test_marketing_managers_start_a_fit_and_everyone_follows_it(
    business, marketing_api, partner_api, viewer_api
):
    assert partner_api.post("/api/v1/model-runs/").status_code == 403
    assert viewer_api.post("/api/v1/model-runs/").status_code == 403
    response = marketing_api.post("/api/v1/model-runs/")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    again = marketing_api.post("/api/v1/model-runs/")
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    assert ModelRun.objects.count() == 1
    listed = viewer_api.get("/api/v1/model-runs/").json()
    assert listed["results"][0]["trigger"] == "api"
    detail = viewer_api.get(f"/api/v1/model-runs/{response.json()['id']}/").json()
    assert detail["outcome"] == "Waiting for a worker."


def test_results_and_curves_of_the_live_model(business, fake_fit, viewer_api):
    assert viewer_api.get("/api/v1/model/results/").json() == {
        "run": None, "stale": False, "channels": [],
    }  # fmt: skip
    run = fitted()
    body = viewer_api.get("/api/v1/model/results/").json()
    assert body["run"]["id"] == run.pk
    search = next(c for c in body["channels"] if c["channel"] == "paid-search")
    assert search["attributed_roas"] == pytest.approx(3.0)
    assert search["roas_low"] < search["incremental_roas"] < search["roas_high"]
    curves = viewer_api.get("/api/v1/model/curves/").json()
    assert {c["channel"] for c in curves} == {"events", "paid-search", "social"}
    assert "samples" not in curves[0]
    assert curves[0]["months_seen"] is None  # this fit did not record its months
    with_samples = viewer_api.get("/api/v1/model/curves/?samples=1").json()
    assert len(with_samples[0]["samples"]) == 60


LIFT = {
    "channel": "paid-search",
    "start": "2025-03-01",
    "end": "2025-03-28",
    "cost": "3000.00",
    "delta_cost": "-3000.00",
    "delta_revenue": "-4200.00",
    "sigma": "600.00",
}


def test_lift_tests_crud_by_their_author(business, marketing_api, viewer_api):
    assert viewer_api.post("/api/v1/lift-tests/", LIFT, format="json").status_code == 403
    created = marketing_api.post("/api/v1/lift-tests/", LIFT, format="json")
    assert created.status_code == 201, created.json()
    test_id = created.json()["id"]
    assert created.json()["created_by"] == "maria"
    tom = token_client(UserFactory(username="tom", role=MARKETING_MANAGER))
    url = f"/api/v1/lift-tests/{test_id}/"
    assert tom.patch(url, {"sigma": "10"}, format="json").status_code == 403
    assert tom.delete(url).status_code == 403
    assert LiftTest.objects.get().sigma == 600
    changed = marketing_api.patch(url, {"sigma": "500"}, format="json")
    assert changed.status_code == 200 and changed.json()["sigma"] == "500.00"
    assert marketing_api.delete(url).status_code == 204
    assert not LiftTest.objects.exists()


def test_an_impossible_lift_test_is_refused_like_on_the_page(business, marketing_api):
    bad = marketing_api.post("/api/v1/lift-tests/", {**LIFT, "sigma": "0"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"]["sigma"] == ["The standard error must be above zero."]
    assert not LiftTest.objects.exists()


def test_a_lift_test_amount_too_large_to_read_back_is_refused(business, marketing_api):
    """An 18-digit amount was stored, then every read of it failed on SQLite
    (the lift tests' pages and API, and every fit)."""
    bad = marketing_api.post(
        "/api/v1/lift-tests/", {**LIFT, "cost": "9999999999999999.99"}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["errors"]["cost"] == ["Amounts go up to 99,999,999,999,999.99."]
    assert not LiftTest.objects.exists()


def test_plans_are_made_on_the_live_model_and_deleted_by_their_author(
    business, fake_fit, marketing_api, viewer_api
):
    question = {
        "name": "Next month",
        "start": next_month().isoformat(),
        "total_budget": "9000",
        "bounds": {"social": {"min": "2000"}, "events": {"locked": True}},
    }
    none_yet = marketing_api.post("/api/v1/budget-plans/", question, format="json")
    assert none_yet.status_code == 400
    fitted()
    assert viewer_api.post("/api/v1/budget-plans/", question, format="json").status_code == 403
    unknown = marketing_api.post(
        "/api/v1/budget-plans/", {**question, "bounds": {"nope": {"min": "1"}}}, format="json"
    )
    assert unknown.status_code == 400 and "nope" in unknown.json()["detail"]
    # A bound's errors come back under the bound, as it was sent.
    wrong = marketing_api.post(
        "/api/v1/budget-plans/",
        {**question, "bounds": {"social": {"min": "20", "max": "10"}, "events": {"min": "-1"}}},
        format="json",
    )
    assert wrong.status_code == 400
    assert set(wrong.json()["errors"]["bounds"]) == {"social", "events"}
    assert wrong.json()["errors"]["bounds"]["social"] == {
        "max": ["The maximum is below the minimum."]
    }
    mistyped = marketing_api.post(
        "/api/v1/budget-plans/", {**question, "bounds": {"social": {"minimum": "5"}}}, format="json"
    )
    assert mistyped.status_code == 400
    assert mistyped.json()["errors"]["bounds"]["social"] == {
        "minimum": ["Not a bound: give min, max or locked."]
    }
    response = marketing_api.post("/api/v1/budget-plans/", question, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    amounts = {c["slug"]: c["amount"] for c in body["result"]["channels"]}
    assert amounts["social"] >= 2000 - 0.01
    assert body["bounds"]["events"]["locked"] is True
    assert body["reach"] == "near"  # channels without bounds stay near today's spend
    # A form body cannot carry the nested bounds: refused, not saved without them.
    form = marketing_api.post(
        "/api/v1/budget-plans/",
        {"name": "Form", "start": question["start"], "total_budget": "9000",
         "bounds[social][min]": "2000"},
        format="multipart",
    )  # fmt: skip
    assert form.status_code == 415
    taken = marketing_api.post(
        "/api/v1/budget-plans/", {**question, "name": "NEXT month"}, format="json"
    )
    assert taken.status_code == 400 and "already named" in taken.json()["errors"]["name"][0]
    assert BudgetPlan.objects.count() == 1
    tom = token_client(UserFactory(username="tom", role=MARKETING_MANAGER))
    assert tom.delete(f"/api/v1/budget-plans/{body['id']}/").status_code == 403
    assert viewer_api.get(f"/api/v1/budget-plans/{body['id']}/").status_code == 200
    assert marketing_api.delete(f"/api/v1/budget-plans/{body['id']}/").status_code == 204
    assert not BudgetPlan.objects.exists()
