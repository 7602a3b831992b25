"""Pages of the modeled ROI: the Incremental ROI dashboard, Fit now, run
history, each channel's cost basis, events, lift tests, the budget planner and
saved plans. Pages read stored results only (a constant number of queries)."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from channelhub.lib.ratelimit import rate_limited
from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, paginate, role_required
from kpis.models import LiftTest, ModelEvent, ModelRun

from . import charts, content, exports, selectors, services
from .forms import CostBasisForm, LiftTestForm, ModelEventForm, PlanForm, WhatIfForm
from .planner import PlanError, Planner

RECENT_RUNS = 5
WHAT_IF_DAYS = 30  # the what-if compares 30 days of spend


@role_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_modelrun")
    page = selectors.model_page()
    if request.htmx and request.htmx.target == "model-running":
        # The banner of a fit under way asks again; once the fit has ended,
        # the whole page is loaded again (its figures, or why it failed).
        if page.running:
            banner = {"page": page, "live": page.live}
            return render(request, "kpis/modeling/_model_running.html", banner)
        return HttpResponseClientRefresh()
    results = page.results
    context: dict[str, Any] = {
        "page": page,
        "live": page.live,
        "results": results,
        "sentences": [content.sentence(r) for r in results],
        "health": content.health(page.live) if page.live else [],
        "runs": list(selectors.run_list()[:RECENT_RUNS]),
        "roas_chart": charts.figure_json(charts.roas_figure(results)) if results else None,
        "curves": [
            (r, charts.figure_json(charts.curve_figure(r))) for r in results if r.curve is not None
        ],
    }
    return render(request, "kpis/modeling/dashboard.html", context)


@require_POST
@role_required
@rate_limited("model_fit")
def fit_now(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.add_modelrun")
    _run, created = services.model_fit_request(
        trigger=ModelRun.Trigger.MANUAL, requested_by=request.user
    )
    if created:
        messages.info(
            request,
            "Fit started: it takes a few minutes, and this page shows the new model once it "
            "is published.",
        )
    else:
        messages.info(request, "A fit is already waiting or running: this one follows it.")
    return redirect("kpis:model")


@role_required
def run_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_modelrun")
    page = paginate(request, selectors.run_list())
    return render(request, "kpis/modeling/run_list.html", {"page": page, "runs": page.object_list})


@role_required
def run_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    run = get_for_user(request, selectors.run_list(), "kpis.view_modelrun", pk=pk)
    context: dict[str, Any] = {
        "run": run,
        "health": content.health(run) if run.published_at else [],
        # A failed or refused run says whether an earlier model is still shown.
        "has_live": selectors.live_run() is not None,
        # While it waits or fits, the card refreshes itself and says how long fits take.
        "typical_s": selectors.typical_fit_seconds() if run.is_active else None,
    }
    template = "kpis/modeling/_run_card.html" if request.htmx else "kpis/modeling/run_detail.html"
    return render(request, template, context)


@role_required
def costs(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_modelrun")
    channels = selectors.cost_settings()
    form = CostBasisForm(request.POST or None, channels=channels)
    if not request.user.has_perm("kpis.change_modelchannelsetting"):
        # Shown as they are set, not as choices a viewer could make.
        for field in form.fields.values():
            field.disabled = True
            field.required = False
    if request.method == "POST":
        check_perm(request, "kpis.change_modelchannelsetting")
        if form.is_valid():
            for channel, basis in form.choices():
                services.cost_basis_set(channel=channel, cost_basis=basis)
            messages.success(request, "Saved: the next fit counts each channel's cost this way.")
            return redirect("kpis:model-costs")
    return render(request, "kpis/modeling/costs.html", {"form": form})


# --- events and lift tests ------------------------------------------------------------


@role_required
def event_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_modelevent")
    page = paginate(request, selectors.event_list())
    return render(
        request, "kpis/modeling/event_list.html", {"page": page, "events": page.object_list}
    )


def _event_form(request: AuthedRequest, event: ModelEvent | None) -> HttpResponse:
    form = ModelEventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.event_save(event=form.save(commit=False), user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Event “{saved.name}” saved; the next fit uses it.")
            return redirect("kpis:model-events")
    return render(request, "kpis/modeling/event_form.html", {"form": form, "event": event})


@role_required
def event_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.add_modelevent")
    return _event_form(request, None)


@role_required
def event_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    event = get_for_user(request, selectors.event_list(), "kpis.change_modelevent", pk=pk)
    return _event_form(request, event)


@role_required
def event_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    event = get_for_user(request, selectors.event_list(), "kpis.delete_modelevent", pk=pk)
    if request.method == "POST":
        services.event_delete(event=event)
        messages.success(request, f"Event “{event.name}” deleted.")
        return redirect("kpis:model-events")
    return render(request, "kpis/modeling/confirm_delete.html", {"object": event, "what": "event"})


@role_required
def lift_test_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_lifttest")
    page = paginate(request, selectors.lift_test_list())
    return render(
        request, "kpis/modeling/lift_test_list.html", {"page": page, "tests": page.object_list}
    )


def _lift_test_form(request: AuthedRequest, test: LiftTest | None) -> HttpResponse:
    form = LiftTestForm(request.POST or None, instance=test)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.lift_test_save(test=form.save(commit=False), user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"Lift test “{saved}” saved; the next fit calibrates with it."
            )
            return redirect("kpis:lift-tests")
    return render(request, "kpis/modeling/lift_test_form.html", {"form": form, "test": test})


@role_required
def lift_test_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.add_lifttest")
    return _lift_test_form(request, None)


@role_required
def lift_test_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    test = get_for_user(request, selectors.lift_test_list(), "kpis.change_lifttest", pk=pk)
    return _lift_test_form(request, test)


@role_required
def lift_test_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    test = get_for_user(request, selectors.lift_test_list(), "kpis.delete_lifttest", pk=pk)
    if request.method == "POST":
        services.lift_test_delete(test=test)
        messages.success(request, f"Lift test “{test}” deleted.")
        return redirect("kpis:lift-tests")
    return render(
        request, "kpis/modeling/confirm_delete.html", {"object": test, "what": "lift test"}
    )


# --- the planner and plans ------------------------------------------------------------


@role_required
def planner_page(request: AuthedRequest) -> HttpResponse:
    """GET: the question (and a what-if); POST: the answer, saved as a scenario
    when the user may and gave it a name."""
    check_perm(request, "kpis.view_budgetplan")
    live = selectors.live_run()
    if live is None:
        return render(request, "kpis/modeling/planner.html", {"live": None})
    curves = selectors.planner_curves(live)
    slugs = {c.slug: c.name for c in curves}
    data = request.POST if request.method == "POST" else None
    form = PlanForm(
        data,
        slugs=slugs,
        today_daily={c.slug: c.today_daily for c in curves},
        idle=selectors.idle_channels(list(slugs)),
    )
    if not request.user.has_perm("kpis.add_budgetplan"):
        del form.fields["name"]  # only to save a scenario, which this user may not
    what_if = WhatIfForm(request.GET if "amount" in request.GET else None, slugs=slugs)
    answer = what_if_answer = None
    if form.is_bound and "save" in request.POST:
        check_perm(request, "kpis.add_budgetplan")
        if not request.POST.get("name", "").strip():
            form.add_error("name", "Give the plan a name to save it.")
    if form.is_bound and form.is_valid():
        c = form.cleaned_data
        question = {
            "mode": c["mode"],
            "goal": c["goal"],
            "start": c["start"],
            "end": c["end"],
            "total_budget": c.get("total_budget"),
            "target": c.get("target"),
            "bounds": form.bounds(),
            "reach": c["reach"],
        }
        try:
            if c.get("name") and "save" in request.POST:
                plan = services.plan_create(run=live, name=c["name"], user=request.user, **question)
                messages.success(request, f"Plan “{plan.name}” saved.")
                return redirect(plan)
            answer = services.plan_answer(run=live, curves=curves, **question).as_json()
        except PlanError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
    if form.is_bound and form.errors:
        # The bounds' table scrolls sideways on a phone: their errors are named up top.
        for refused in form.channels_with_errors():
            form.add_error(None, f"Bounds of {refused}")
    if what_if.is_bound and what_if.is_valid():
        try:
            slug = what_if.cleaned_data["channel"]
            result = Planner(curves, days=WHAT_IF_DAYS).what_if(
                slug, float(what_if.cleaned_data["amount"])
            )
            what_if_answer = {
                **result.as_json(),
                "channel": slugs[slug],
                "amount": result.allocation[slug],
                "today_amount": result.today[slug],
                "beyond": slug in result.capped,
            }
        except PlanError as exc:
            what_if.add_error(None, str(exc))
    if request.htmx and request.method == "GET" and what_if.is_bound:
        # The what-if answered in place: a plan shown above it stays.
        context = {"what_if": what_if, "what_if_answer": what_if_answer}
        return render(request, "kpis/modeling/_what_if.html", context)
    return render(
        request,
        "kpis/modeling/planner.html",
        {
            "live": live,
            # Plans are made on the live model's curves: say when figures
            # imported since are not in them (as the model's page does).
            "stale": selectors.is_stale(live),
            "form": form,
            "answer": answer,
            "what_if": what_if,
            "what_if_answer": what_if_answer,
        },
    )


@role_required
def plan_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_budgetplan")
    page = paginate(request, selectors.plan_list())
    return render(
        request, "kpis/modeling/plan_list.html", {"page": page, "plans": page.object_list}
    )


@role_required
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_for_user(request, selectors.plan_list(), "kpis.view_budgetplan", pk=pk)
    live = selectors.live_run()
    newer = live if live is not None and live.pk != plan.run_id else None
    return render(
        request,
        "kpis/modeling/plan_detail.html",
        {
            "plan": plan,
            "result": plan.result,
            "bounds": selectors.plan_bound_rows(plan),
            "newer_model": newer,
        },
    )


@role_required
def plan_csv(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_for_user(request, selectors.plan_list(), "kpis.view_budgetplan", pk=pk)
    out = io.StringIO()
    exports.write(out, exports.PLAN_HEADER, exports.plan_rows(plan))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = slugify(plan.name) or f"plan-{plan.pk}"
    response["Content-Disposition"] = f'attachment; filename="budget-plan-{name}.csv"'
    return response


@role_required
def plan_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_for_user(request, selectors.plan_list(), "kpis.delete_budgetplan", pk=pk)
    if request.method == "POST":
        services.plan_delete(plan=plan)
        messages.success(request, f"Plan “{plan.name}” deleted.")
        return redirect("kpis:plans")
    return render(request, "kpis/modeling/confirm_delete.html", {"object": plan, "what": "plan"})


@role_required
def model_csv(request: AuthedRequest) -> HttpResponse:
    """The live model's results, as `manage.py export_model` writes them."""
    check_perm(request, "kpis.view_modelrun")
    live = selectors.live_run()
    out = io.StringIO()
    exports.write(
        out, exports.MODEL_HEADER, exports.model_rows(selectors.results(live) if live else [])
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modeled-roi.csv"'
    return response
