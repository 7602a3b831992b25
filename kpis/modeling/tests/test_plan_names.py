"""Two saves of one plan name at the same moment: exactly one is saved (the
name is looked up and the plan saved under one lock), the other is refused."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from kpis.modeling import services
from kpis.modeling.forms import next_month, period_end
from kpis.modeling.planner import PlanError
from kpis.models import BudgetPlan, ModelRun


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_saves_of_one_name_at_once_save_one(business, fake_fit):
    run, _ = services.model_fit_request(trigger="command")
    services.model_fit_execute(run.pk)  # (or already fitted, by its message on commit)
    live = ModelRun.objects.get(pk=run.pk)
    assert live.status == "succeeded", (live.reason, live.error)
    start = next_month()
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def save(name: str) -> None:
        try:
            barrier.wait()
            plan = services.plan_create(
                run=live, name=name, mode="budget", goal="revenue", start=start,
                end=period_end("month", start), total_budget=9000, target=None,
                bounds={}, reach="near", user=None,
            )  # fmt: skip
            outcomes.append(plan)
        except PlanError as exc:
            outcomes.append(exc)
        except BaseException as exc:  # pragma: no cover - reported below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(n,)) for n in ("Q1 push", "q1  PUSH")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [o for o in outcomes if isinstance(o, PlanError)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    assert refused[0].field == "name" and "already named" in str(refused[0])
    assert BudgetPlan.objects.count() == 1
