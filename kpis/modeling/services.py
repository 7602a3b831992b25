"""Writes of the modeled ROI: model runs (request, claim, fit, publish, fail),
events, lift tests, each channel's cost basis, and saved budget plans.

A run is a row first (queued, in the requester's transaction); the Celery
message on the `modeling` queue only wakes a worker, which claims the row with
a conditional UPDATE under a session lock. One run at a time per scope: a
partial unique constraint allows one queued or running run, so asking twice
returns the run already waiting. The fit publishes every channel's results in
one transaction; until then, and after a failed or refused fit, the previous
model stays live.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from channelhub.lib import locks
from channelhub.lib.queue import send_task
from channels_app.channels.models import Channel
from kpis.models import (
    BudgetPlan,
    ChannelModelResult,
    LiftTest,
    ModelChannelSetting,
    ModelEvent,
    ModelRun,
)

from . import contract, fitting, planner, selectors

log = logging.getLogger(__name__)

MODEL_FIT_TASK = "kpis.model_fit"
# pg_try_advisory_lock(MODEL_LOCK, run id): held by the worker fitting a run
# (its own namespace: tests/test_lock_keys.py).
MODEL_LOCK = 7_305
QUEUED_RESEND_AFTER = timedelta(minutes=2)
# pg_advisory_xact_lock(PLAN_NAME_LOCK): a plan's name is looked up and saved under it.
PLAN_NAME_LOCK = 7_305_001


def lease() -> timedelta:
    """Above the fit task's hard time limit: a live worker never loses its run."""
    return timedelta(seconds=int(django_settings.MODEL_FIT_TIME_LIMIT) + 5 * 60)


def fit_settings(run: ModelRun) -> contract.FitSettings:
    known = set(contract.FitSettings.__dataclass_fields__)
    return contract.FitSettings(**{k: v for k, v in (run.settings or {}).items() if k in known})


# --- runs ------------------------------------------------------------------------------


def model_fit_request(
    *,
    trigger: str,
    requested_by: User | None = None,
    settings: dict[str, Any] | None = None,
    send: bool = True,
) -> tuple[ModelRun, bool]:
    """Queue a fit, or return the one already queued or running (False).
    `send=False` (the command, which fits in the foreground) wakes no worker."""
    active = selectors.active_run()
    if active is not None:
        return active, False
    try:
        with transaction.atomic():
            run = ModelRun.objects.create(
                trigger=trigger,
                requested_by=requested_by,
                settings=settings or asdict(contract.FitSettings()),
            )
    except IntegrityError:  # another request queued one at the same moment
        active = selectors.active_run()
        if active is None:
            raise
        return active, False
    if send:
        transaction.on_commit(lambda: send_run(run.pk))
    return run, True


def send_run(run_id: int) -> bool:
    """Wake a modeling worker; if the broker is down the sweeper sends it later."""
    return send_task(MODEL_FIT_TASK, run_id, what=f"model fit {run_id}")


def _claim(run_id: int) -> ModelRun | None:
    """Take the run if queued, or running with an expired lease (killed worker),
    or running while nobody holds its lock (PostgreSQL: the lock went with the
    dead worker's connection)."""
    now = timezone.now()
    claimable = Q(status=ModelRun.Status.QUEUED) | Q(
        status=ModelRun.Status.RUNNING, lease_expires_at__lt=now
    )
    if locks.is_postgres():
        claimable |= Q(status=ModelRun.Status.RUNNING)  # we hold its lock: its holder is gone
    claimed = ModelRun.objects.filter(claimable, pk=run_id).update(
        status=ModelRun.Status.RUNNING,
        started_at=now,
        lease_expires_at=now + lease(),
        attempts=F("attempts") + 1,
        error="",
        reason="",
    )
    return ModelRun.objects.get(pk=run_id) if claimed else None


def model_fit_execute(run_id: int) -> ModelRun | None:
    """Claim run `run_id`, fit, publish. None if another worker has it (or it
    is finished). A refusal is an outcome (status refused); any other error
    marks the run failed and is raised again."""
    if not locks.try_advisory_lock(MODEL_LOCK, run_id):
        return None
    try:
        run = _claim(run_id)
        if run is None:
            return None
        try:
            cut = timezone.now()
            data = selectors.model_data()
            ModelRun.objects.filter(pk=run.pk).update(
                data_cut=cut,
                data_start=data.days[0].date() if len(data.days) else None,
                data_end=data.days[-1].date() if len(data.days) else None,
            )
            if len(data.days) == 0:
                raise contract.FitRefused("There are no daily figures to fit a model on yet.")
            result = fitting.fit(data, fit_settings(run))
        except contract.FitRefused as refused:
            _finish_unpublished(run.pk, ModelRun.Status.REFUSED, reason=refused.reason)
        except BaseException as exc:
            model_fit_fail(run.pk, exc)
            raise
        else:
            _publish(run.pk, data, result)
        return ModelRun.objects.get(pk=run.pk)
    finally:
        try:
            locks.advisory_unlock(MODEL_LOCK, run_id)
        except Exception:  # the connection is gone, and the lock with it
            log.warning("model fit %s: lock already released with its connection", run_id)


def _finish_unpublished(run_id: int, status: str, *, reason: str = "", error: str = "") -> int:
    return (
        ModelRun.objects.filter(pk=run_id)
        .exclude(status=ModelRun.Status.SUCCEEDED)
        .update(
            status=status,
            finished_at=timezone.now(),
            lease_expires_at=None,
            reason=reason[:4000],
            error=error[:4000],
        )
    )


def model_fit_fail(run_id: int, exc: BaseException | str) -> None:
    """Mark a run failed; the live model does not change."""
    if isinstance(exc, BaseException) and exc.__class__.__name__ == "SoftTimeLimitExceeded":
        minutes = round(int(django_settings.MODEL_FIT_SOFT_TIME_LIMIT) / 60)
        message = (
            f"The fit took longer than its limit of {minutes} minutes and was stopped. "
            "A busy machine fits slowly: try again at a quieter time, or ask your "
            "administrator to raise MODEL_FIT_SOFT_TIME_LIMIT."
        )
    else:
        message = str(exc) or exc.__class__.__name__
    _finish_unpublished(run_id, ModelRun.Status.FAILED, error=message)


def _money(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(round(float(value), 2)))


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _floats(values: Any, digits: int = 2) -> list[float]:
    return [round(float(v), digits) for v in values]


def _moved(new: float | None, old: float | None) -> float | None:
    if new is None or old is None or old == 0:
        return None
    return round((new - old) / abs(old), 4)


def _result_row(
    run: ModelRun,
    estimate: contract.ChannelEstimate,
    data: contract.ModelData,
    channel_ids: dict[str, int],
    previous: dict[str, float | None],
    fit_end: date | None = None,
) -> ChannelModelResult:
    margin = data.gross_margin.get(estimate.slug)
    # Attributed revenue over the days the spend is summed on (the fitted
    # days; the held-out weeks after `fit_end` are in neither).
    attributed = data.attributed_until(estimate.slug, fit_end)
    roi = None
    if estimate.incremental_revenue is not None and estimate.spend > 0 and margin is not None:
        roi = (estimate.incremental_revenue * margin - estimate.spend) / estimate.spend
    curve = estimate.curve
    return ChannelModelResult(
        run=run,
        channel_id=channel_ids.get(estimate.slug),
        slug=estimate.slug,
        name=estimate.name[:120],
        status=estimate.status,
        reason=estimate.reason[:2000],
        spend=_money(estimate.spend) or Decimal(0),
        attributed_revenue=_money(attributed),
        gross_margin=_ratio(margin),
        incremental_revenue=_money(estimate.incremental_revenue),
        incremental_revenue_low=_money(estimate.incremental_revenue_low),
        incremental_revenue_high=_money(estimate.incremental_revenue_high),
        incremental_roas=_ratio(estimate.incremental_roas),
        roas_low=_ratio(estimate.roas_low),
        roas_high=_ratio(estimate.roas_high),
        incremental_roi=_ratio(roi),
        marginal_roas=_ratio(estimate.marginal_roas),
        marginal_roas_low=_ratio(estimate.marginal_roas_low),
        marginal_roas_high=_ratio(estimate.marginal_roas_high),
        half_life_days=_ratio(estimate.half_life_days),
        saturation_point=_ratio(estimate.saturation_point),
        curve=(
            {
                "spend": _floats(curve.spend),
                "mean": _floats(curve.mean),
                "low": _floats(curve.low),
                "high": _floats(curve.high),
                **({"months_seen": _floats(curve.months_seen)} if curve.months_seen else {}),
                **(
                    {"recent_daily": float(curve.recent_daily)}
                    if curve.recent_daily is not None
                    else {}
                ),
            }
            if curve is not None
            else None
        ),
        curve_samples=[_floats(row) for row in curve.samples] if curve is not None else None,
        moved=_moved(estimate.incremental_roas, previous.get(estimate.slug)),
    )


@transaction.atomic
def _publish(run_id: int, data: contract.ModelData, result: contract.FitResult) -> None:
    """Write every channel's results and make the run live, in one transaction."""
    run = ModelRun.objects.select_for_update().get(pk=run_id)
    if run.status != ModelRun.Status.RUNNING:
        return  # finished meanwhile (a duplicate that lost its lease): keep what is there
    live = selectors.live_run()
    previous: dict[str, float | None] = {}
    if live is not None:
        previous = dict(
            ChannelModelResult.objects.filter(run=live).values_list("slug", "incremental_roas")
        )
    channel_ids = dict(Channel.objects.values_list("slug", "pk"))
    ChannelModelResult.objects.filter(run=run).delete()
    ChannelModelResult.objects.bulk_create(
        _result_row(run, estimate, data, channel_ids, previous, result.end)
        for estimate in result.channels
    )
    d = result.diagnostics
    now = timezone.now()
    ModelRun.objects.filter(pk=run.pk).update(
        status=ModelRun.Status.SUCCEEDED,
        finished_at=now,
        published_at=now,
        lease_expires_at=None,
        fit_seconds=round(result.fit_seconds, 2),
        library=result.library[:200],
        diagnostics={
            "r2": d.r2,
            "mape_holdout": d.mape_holdout,
            "rhat_max": d.rhat_max,
            "ess_min": d.ess_min,
            "divergences": d.divergences,
            "baseline_share": d.baseline_share,
            "fit_start": result.start.isoformat(),
            "fit_end": result.end.isoformat(),
            # As set when the fit read its data (the setting can change after).
            "not_media": list(data.not_media),
        },
        warnings=list(result.warnings),
    )


def resend_lost_runs() -> int:
    """The sweeper's part: runs whose message was lost (queued too long) or
    whose worker died (lease expired, or its lock free on PostgreSQL)."""
    now = timezone.now()
    lost = list(
        ModelRun.objects.filter(
            Q(status=ModelRun.Status.QUEUED, created_at__lt=now - QUEUED_RESEND_AFTER)
            | Q(status=ModelRun.Status.RUNNING, lease_expires_at__lt=now)
        ).values_list("pk", flat=True)
    )
    if locks.is_postgres():
        for run_id in ModelRun.objects.filter(
            status=ModelRun.Status.RUNNING, lease_expires_at__gte=now
        ).values_list("pk", flat=True):
            if locks.try_advisory_lock(MODEL_LOCK, run_id):
                locks.advisory_unlock(MODEL_LOCK, run_id)
                lost.append(run_id)
    for run_id in lost:
        log.warning("model fit %s lost its message or worker: sending it again", run_id)
        send_run(run_id)
    return len(lost)


# --- what the fit reads besides facts --------------------------------------------------


def _save_recorded(obj: ModelEvent | LiftTest, user: User | None) -> None:
    """Validate and save an event or lift test; a new one is its author's."""
    if obj.pk is None:
        obj.created_by = user
    obj.full_clean()
    obj.save()


@transaction.atomic
def event_save(*, event: ModelEvent, user: User | None = None) -> ModelEvent:
    _save_recorded(event, user)
    return event


@transaction.atomic
def event_delete(*, event: ModelEvent) -> None:
    event.delete()


@transaction.atomic
def lift_test_save(*, test: LiftTest, user: User | None = None) -> LiftTest:
    _save_recorded(test, user)
    return test


@transaction.atomic
def lift_test_delete(*, test: LiftTest) -> None:
    test.delete()


@transaction.atomic
def cost_basis_set(*, channel: Channel, cost_basis: str) -> ModelChannelSetting:
    setting, _ = ModelChannelSetting.objects.get_or_create(channel=channel)
    setting.cost_basis = cost_basis
    setting.full_clean()
    setting.save()
    return setting


# --- budget plans ----------------------------------------------------------------------


@transaction.atomic
def plan_save(*, plan: BudgetPlan, user: User | None = None) -> BudgetPlan:
    if plan.pk is None:
        plan.created_by = user
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def plan_delete(*, plan: BudgetPlan) -> None:
    plan.delete()


# How far from today's spend a channel without a bound may move: NEAR keeps it
# between half and twice today's, or its quietest and busiest month where that
# is wider (planner.Planner._limits).
REACH_FACTORS: dict[str, float | None] = {
    BudgetPlan.Reach.NEAR: 2.0,
    BudgetPlan.Reach.FREE: None,
}


def plan_answer(
    *,
    run: ModelRun,
    mode: str,
    goal: str,
    start: date,
    end: date,
    total_budget: Decimal | None,
    target: Decimal | None,
    bounds: dict[str, dict[str, Any]],
    reach: str,
    curves: list[planner.ChannelCurve] | None = None,
) -> planner.PlanResult:
    """The planner's answer to a question, from the run's stored curve draws
    (`curves`, when the caller read them already). Raises PlanError (words for
    a manager) when it has none."""
    if curves is None:
        curves = selectors.planner_curves(run)
    plan = planner.Planner(curves, days=(end - start).days + 1, goal=goal)
    limits = {
        slug: planner.Bound(
            min=float(b["min"]) if b.get("min") not in (None, "") else None,
            max=float(b["max"]) if b.get("max") not in (None, "") else None,
            locked=bool(b.get("locked")),
        )
        for slug, b in bounds.items()
    }
    # A paused or retired channel given no bound gets nothing (a default,
    # not a bound the user gave: a plan saved so does not list it as one).
    idle = {
        slug: word
        for slug, word in selectors.idle_channels([c.slug for c in curves]).items()
        if slug not in limits
    }
    limits.update({slug: planner.Bound(max=0.0) for slug in idle})
    factor = REACH_FACTORS[reach]
    if mode == BudgetPlan.Mode.TARGET:
        if target is None:
            raise planner.PlanError("Give the target to reach.")
        answer = plan.smallest_budget(float(target), limits, reach=factor)
    else:
        if total_budget is None:
            raise planner.PlanError("Give the total budget to split.")
        answer = plan.optimise(float(total_budget), limits, reach=factor)
    if not idle:
        return answer
    names = {c.slug: c.name for c in curves}
    left_out = [f"{names[slug]} ({word})" for slug, word in sorted(idle.items())]
    it, verb = ("it", "it is") if len(idle) == 1 else ("them", "they are")
    return dataclasses.replace(
        answer,
        notes=[
            *answer.notes,
            f"Left out, as {verb} not running: {', '.join(left_out)}. "
            f"Give {it} a maximum to plan for {it} again.",
        ],
    )


@transaction.atomic
def plan_create(
    *,
    run: ModelRun,
    name: str,
    mode: str,
    goal: str,
    start: date,
    end: date,
    total_budget: Decimal | None,
    target: Decimal | None,
    bounds: dict[str, dict[str, Any]],
    reach: str,
    user: User | None,
) -> BudgetPlan:
    """Answer the question and save it as a named scenario. A name is the
    team's handle on a plan: a second plan of one name is refused (whatever
    its capitals and spaces)."""
    name = " ".join(name.split())
    answer = plan_answer(
        run=run,
        mode=mode,
        goal=goal,
        start=start,
        end=end,
        total_budget=total_budget,
        target=target,
        bounds=bounds,
        reach=reach,
    )
    plan = BudgetPlan(
        name=name,
        run=run,
        mode=mode,
        goal=goal,
        period_start=start,
        period_end=end,
        total_budget=total_budget if mode == BudgetPlan.Mode.BUDGET else _money(answer.total),
        target=target,
        bounds=bounds,
        reach=reach,
        result=answer.as_json(),
    )
    # One save at a time looks the name up, until it commits: two saves of one
    # name at once cannot both find it free.
    locks.advisory_xact_lock(PLAN_NAME_LOCK)
    taken = BudgetPlan.objects.filter(name__iexact=name).first()
    if taken is not None:
        raise planner.PlanError(
            f"A saved plan is already named “{taken.name}”: choose another name "
            "(or delete that plan first).",
            field="name",
        )
    return plan_save(plan=plan, user=user)
