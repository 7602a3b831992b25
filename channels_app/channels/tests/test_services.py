import pytest
from django.core.exceptions import ValidationError

from channels_app.channels import services
from channels_app.channels.models import Channel
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def test_channel_create_makes_a_unique_slug_from_the_name():
    first = services.channel_create(name="Web Shop")
    second = services.channel_create(name="Web-Shop")
    assert (first.slug, second.slug) == ("web-shop", "web-shop-2")


def test_a_name_another_channel_has_in_any_capitals_is_refused_under_its_field():
    first = services.channel_create(name="Web Shop")
    for name in ("Web Shop", "web shop", " WEB SHOP "):
        with pytest.raises(ValidationError) as exc:
            services.channel_create(name=name)
        assert exc.value.message_dict["name"] == [
            "The channel “Web Shop” (slug web-shop) already has this name: import files name "
            "channels by name, so each name is used once."
        ]
    other = services.channel_create(name="Web Shop EU")
    with pytest.raises(ValidationError):
        services.channel_update(channel=other, data={"name": "web shop"})
    # A channel keeps its own name through an edit, in other capitals too.
    services.channel_update(channel=first, data={"name": "Web shop"})
    assert Channel.objects.count() == 2


def test_the_database_refuses_a_repeated_name_that_slips_past_the_check():
    from django.db import IntegrityError, transaction

    ChannelFactory(name="Field Sales")
    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.create(name="field sales", slug="field-sales-2")


def test_a_channel_is_paused_resumed_and_retired():
    channel = ChannelFactory(status=Channel.Status.ACTIVE)
    assert services.channel_set_status(channel=channel, status="paused").status == "paused"
    assert services.channel_set_status(channel=channel, status="active").status == "active"
    assert services.channel_set_status(channel=channel, status="retired").status == "retired"


def test_a_retired_channel_cannot_be_paused():
    channel = ChannelFactory(status=Channel.Status.RETIRED)
    with pytest.raises(ValidationError) as exc:
        services.channel_set_status(channel=channel, status="paused")
    assert "can only become: planned" in exc.value.messages[0]
    channel.refresh_from_db()
    assert channel.status == "retired"
