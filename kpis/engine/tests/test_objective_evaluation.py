"""Objectives of channels_app evaluated by the KPI engine: when one is saved
(through the channels_app extension point) and as the API shows it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from channels_app.channels import services
from channels_app.channels.models import Channel
from kpis.models import ObjectiveStatus
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

OBJECTIVES = "/api/v1/objectives/"


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop", status=Channel.Status.ACTIVE)


def test_objectives_list_with_their_stored_evaluation(viewer_api, shop):
    objective = ObjectiveFactory(channel=shop, metric="revenue", target=Decimal("1000"))
    ObjectiveStatus.objects.create(
        objective=objective,
        status="on_track",
        actual=Decimal("600"),
        projected=Decimal("1200"),
        progress=Decimal("0.6"),
        as_of=date(2025, 6, 30),
    )
    ObjectiveFactory(channel=ChannelFactory(slug="other"))
    body = viewer_api.get(OBJECTIVES, {"channel": "web-shop"}).json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["channel"] == "web-shop" and item["metric"] == "revenue"
    assert item["evaluation"]["status"] == "on_track"
    assert item["evaluation"]["status_label"] == "On track"
    assert Decimal(item["evaluation"]["progress"]) == Decimal("0.6")
    detail = viewer_api.get(f"{OBJECTIVES}{objective.pk}/").json()
    assert detail["target"] == "1000.0000"


def test_objective_create_defaults_the_direction_and_stores_an_evaluation():
    channel = ChannelFactory()
    objective = services.objective_create(
        channel=channel,
        metric="cac",
        target=Decimal("40"),
        start_date=date(2025, 1, 1),
        end_date=date(2025, 3, 31),
    )
    assert objective.direction == "at_most"
    evaluation = ObjectiveStatus.objects.get(objective=objective)
    assert evaluation.status == "no_data"
    assert evaluation.actual is None
