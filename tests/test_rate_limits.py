"""Rate limits (issue 19 item 5) and a cache that degrades instead of failing
when Redis is away (item 8): configured in one place, answered with 429."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from channelhub.lib.cache import FallbackRedisCache
from channelhub.lib.ratelimit import Rate, RateLimited, hit
from channels_app.models import Channel
from partners.deals.models import DealRegistration
from tests.factories import ChannelFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "password_reset": "3/hour",
        "password_reset_ip": "5/hour",
        "invitation": "2/hour",
        "deal_registration": "2/hour",
    }
    return settings.RATE_LIMITS


@pytest.mark.parametrize(
    ("text", "rate"),
    [("5/hour", Rate(5, 3600)), ("60/minute", Rate(60, 60)), ("100/15minutes", Rate(100, 900))],
)
def test_rates_read_as_count_per_period(text, rate):
    assert Rate.parse(text) == rate


def test_a_rate_that_is_not_one_is_named():
    with pytest.raises(ValueError, match="not a rate: '5 per hour'"):
        Rate.parse("5 per hour")


def test_a_limit_counts_per_person(limits):
    for _ in range(2):
        hit("invitation", "alice")
    with pytest.raises(RateLimited) as refused:
        hit("invitation", "alice")
    assert 0 < refused.value.retry_after <= 3600
    hit("invitation", "bob")  # someone else is not held back


def test_password_reset_is_limited_per_account(client, limits, marketing_user):
    for _ in range(3):
        assert (
            client.post(reverse("password_reset"), {"email": marketing_user.email}).status_code
            == 302
        )
    response = client.post(reverse("password_reset"), {"email": marketing_user.email})
    assert response.status_code == 429
    assert "Too many requests" in response.text and "try again" in response.text
    assert "You can ask for a password reset 3 times an hour" in response.text
    assert int(response["Retry-After"]) > 0
    assert len(mail.outbox) == 3  # the fourth email was never sent


def test_password_reset_is_limited_per_address_asking(client, limits):
    answers = [
        client.post(reverse("password_reset"), {"email": f"nobody{n}@example.com"}).status_code
        for n in range(6)
    ]
    assert answers == [302] * 5 + [429]


def test_the_reset_page_itself_is_not_counted(client, limits):
    for _ in range(10):
        assert client.get(reverse("password_reset")).status_code == 200


def test_deal_registration_is_limited_per_user(partner_client, partner_user, limits):
    indirect = ChannelFactory(route=Channel.Route.INDIRECT)
    partner = PartnerFactory(channel=indirect, manager=partner_user)
    url = reverse("partners:partner-deal-create", args=[partner.slug])

    # Customers that are not the same one (a partner's second registration of
    # a customer it holds is refused, and "Customer 0" and "Customer 1" match).
    customers = ["Initech", "Globex", "Umbrella", "Hooli"]

    def register(n):
        return partner_client.post(
            url,
            {
                "customer_name": customers[n],
                "customer_domain": f"customer{n}.example",
                "country": "DE",
                "estimated_value": "1000",
                # In the future whenever the suite runs.
                "expected_close_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
            },
        )

    assert [register(n).status_code for n in range(2)] == [302, 302]
    refused = register(3)
    assert refused.status_code == 429
    assert DealRegistration.objects.count() == 2


def test_invitations_are_limited_per_inviter(admin_client_, limits):
    users = [UserFactory(username=f"new{n}", email=f"new{n}@example.com") for n in range(3)]
    response = admin_client_.post(
        reverse("admin:auth_user_changelist"),
        {"action": "send_invitation", "_selected_action": [u.pk for u in users]},
        follow=True,
    )
    assert "Sent 2 invitation" in response.text
    assert "Invitation limit reached" in response.text
    assert len(mail.outbox) == 2


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket closes


def test_the_cache_answers_from_memory_while_redis_is_unreachable(caplog):
    cache = FallbackRedisCache(f"redis://127.0.0.1:{_dead_port()}/0", {"TIMEOUT": 60})
    cache.set("k", 41)
    assert cache.get("k") == 41
    assert cache.add("n", 0) and cache.incr("n") == 1
    assert cache.degraded
    assert "Redis cache unreachable" in caplog.text


def test_the_api_and_the_rate_limits_answer_with_redis_down(settings, marketing_user, limits):
    """Before: DRF throttling read the Redis cache and every call answered 500."""
    from rest_framework.test import APIClient

    settings.CACHES = {
        "default": {
            "BACKEND": "channelhub.lib.cache.FallbackRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_dead_port()}/0",
        }
    }
    assert isinstance(caches["default"], FallbackRedisCache)
    api = APIClient()
    api.force_authenticate(marketing_user)
    assert api.get("/api/v1/channels/").status_code == 200
    for _ in range(2):
        hit("invitation", "carol")
    with pytest.raises(RateLimited):
        hit("invitation", "carol")


def test_price_list_imports_are_limited_per_user(marketing_client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "import": "1/hour"}
    url = reverse("partners:price-import")
    header = b"date,partner,sku,price,where_seen\n"
    first = marketing_client.post(url, {"file": SimpleUploadedFile("p.csv", header)})
    assert first.status_code != 429
    second = marketing_client.post(url, {"file": SimpleUploadedFile("p.csv", header)})
    assert second.status_code == 429


@pytest.mark.parametrize("url_name", ["kpis:import", "kpis:feedback-import"])
def test_facts_and_feedback_imports_on_the_pages_are_limited_per_user(
    marketing_client, settings, url_name
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kpis.models import ImportRun
    from tests.auth import signed_in_client

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "import": "1/hour"}
    url = reverse(url_name)
    ChannelFactory(slug="web-shop")
    data = b"date,channel,spend,revenue\n2025-01-02,web-shop,1,4\n"
    first = marketing_client.post(url, {"file": SimpleUploadedFile("f.csv", data)})
    assert first.status_code != 429
    runs = ImportRun.objects.count()
    second = marketing_client.post(url, {"file": SimpleUploadedFile("f.csv", data)})
    assert second.status_code == 429
    assert "Too many" in second.content.decode() or "too many" in second.content.decode()
    # The page names what was done too often and the limit.
    assert (
        "You can upload a file to import (checked or rejected files count too) once an hour, "
        "and you have reached that limit."
    ) in second.content.decode()
    assert ImportRun.objects.count() == runs  # refused before anything is written
    # Counted per user: a colleague still imports.
    colleague = signed_in_client(UserFactory(username="tom", role="marketing_manager"))
    third = colleague.post(url, {"file": SimpleUploadedFile("f.csv", data)})
    assert third.status_code != 429


def test_every_limit_has_words_for_its_page(settings):
    from channelhub.lib.ratelimit import ACTIONS, limit_in_words

    assert set(ACTIONS) == set(settings.RATE_LIMITS)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "recompute": "100/15minute"}
    assert limit_in_words("recompute") == "queue a recompute by hand 100 times every 15 minutes"
    assert limit_in_words("no-such-scope") == ""


def test_model_fits_started_by_hand_are_limited_per_user(marketing_client, settings):
    """Each fit takes minutes of the workers' cores; they had no limit."""
    from kpis.models import ModelRun
    from tests.api import token_client

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "model_fit": "2/hour"}
    url = reverse("kpis:model-fit")
    assert marketing_client.post(url).status_code == 302
    assert marketing_client.post(url).status_code == 302  # one waits: counted too
    refused = marketing_client.post(url)
    assert refused.status_code == 429
    assert "You can start a model fit 2 times an hour" in refused.content.decode()
    assert ModelRun.objects.count() == 1
    # The API counts for the same person, and answers 429 too.
    api = token_client(UserFactory(username="tom", role="marketing_manager"))
    assert api.post("/api/v1/model-runs/").status_code in (200, 202)
    assert api.post("/api/v1/model-runs/").status_code in (200, 202)
    assert api.post("/api/v1/model-runs/").status_code == 429
