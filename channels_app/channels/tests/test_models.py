from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from channels_app.channels.models import Channel, ChannelObjective
from tests.factories import ChannelFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_the_slug_is_unique():
    ChannelFactory(slug="web-shop")
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.create(name="Another", slug="web-shop")


def test_the_database_refuses_an_objective_that_ends_before_it_starts():
    channel = ChannelFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelObjective.objects.create(
            channel=channel,
            metric="revenue",
            target=1,
            direction="at_least",
            start_date=date(2025, 2, 1),
            end_date=date(2025, 1, 31),
        )


def test_the_database_refuses_a_negative_revenue_target():
    channel = ChannelFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelObjective.objects.create(
            channel=channel,
            metric="revenue",
            target=-1,
            direction="at_least",
            start_date=date(2025, 1, 1),
            end_date=date(2025, 1, 31),
        )


@pytest.mark.parametrize("metric", ["roi", "nps"])
def test_roi_and_nps_targets_may_be_negative(metric):
    objective = ObjectiveFactory(metric=metric, target=Decimal("-0.1"))
    objective.full_clean()
    assert objective.pk


def test_full_clean_reports_date_and_target_errors_on_their_fields():
    objective = ObjectiveFactory.build(
        channel=ChannelFactory(),
        target=Decimal("-5"),
        start_date=date(2025, 3, 1),
        end_date=date(2025, 2, 1),
    )
    with pytest.raises(ValidationError) as exc:
        objective.full_clean()
    assert set(exc.value.message_dict) == {"end_date", "target"}
    assert "on or after" in exc.value.message_dict["end_date"][0]


def test_reserved_slugs_are_refused():
    channel = ChannelFactory.build(slug="new")
    with pytest.raises(ValidationError) as exc:
        channel.full_clean()
    assert "reserved" in exc.value.message_dict["slug"][0]
