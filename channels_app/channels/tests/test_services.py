import pytest
from django.core.exceptions import ValidationError

from channels_app.channels import services
from channels_app.channels.models import Channel
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def test_channel_create_makes_a_unique_slug_from_the_name():
    first = services.channel_create(name="Web Shop")
    second = services.channel_create(name="Web shop")
    assert (first.slug, second.slug) == ("web-shop", "web-shop-2")


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
