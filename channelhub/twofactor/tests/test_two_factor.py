"""Two-factor sign-in: enrol with a QR code drawn here, sign in with a code,
codes rate-limited, and required for partner users when the setting says so."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from channelhub.lib.roles import PARTNER_MANAGER
from tests.auth import password_login
from tests.factories import PartnerFactory, UserFactory, make_partner_user

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def _signed_in(user) -> Client:
    client = Client()
    assert password_login(client, user.username)
    return client


@pytest.fixture
def paul():
    return UserFactory(username="paul", role=PARTNER_MANAGER)


def test_a_user_enrols_and_then_needs_a_code_to_get_in(paul):
    client = _signed_in(paul)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200 and "<svg" in page.text and "cdn" not in page.text.lower()
    device = TOTPDevice.objects.get(user=paul, confirmed=False)

    wrong = client.post(reverse("two_factor_setup"), {"token": "000000"})
    assert "not right" in wrong.text
    assert not TOTPDevice.objects.filter(user=paul, confirmed=True).exists()
    # A wrong code pauses the device (django-otp's throttle): the next try at once is refused.
    paused = client.post(reverse("two_factor_setup"), {"token": _code(device)})
    assert "wait a minute" in paused.text
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    assert client.post(reverse("two_factor_setup"), {"token": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed

    # A new sign-in is held at the code page until the code is typed.
    again = _signed_in(paul)
    held = again.get(reverse("partners:list"))
    assert held.status_code == 302 and held["Location"].startswith(reverse("two_factor_verify"))
    device.refresh_from_db()
    response = again.post(
        reverse("two_factor_verify"), {"token": _code(device, drift=1), "next": "/partners/"}
    )
    assert response.status_code == 302 and response["Location"] == "/partners/"
    assert again.get(reverse("partners:list")).status_code == 200


def test_code_attempts_are_rate_limited(paul, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "two_factor": "3/hour"}
    device = TOTPDevice.objects.create(user=paul, name="app", confirmed=True)
    client = _signed_in(paul)

    answers = [
        client.post(reverse("two_factor_verify"), {"token": "123456"}).status_code for _ in range(4)
    ]

    assert answers == [200, 200, 200, 429]
    # Even the right code is refused while the limit holds.
    right = client.post(reverse("two_factor_verify"), {"token": _code(device)})
    assert right.status_code == 429
    assert client.get(reverse("partners:list")).status_code == 302


def test_partner_users_must_enrol_when_the_setting_requires_it(settings):
    settings.PORTAL_REQUIRE_TWO_FACTOR = True
    alice = make_partner_user(PartnerFactory(), "alice")
    client = _signed_in(alice)

    held = client.get(reverse("portal:home"))

    assert held.status_code == 302 and held["Location"].startswith(reverse("two_factor_setup"))
    assert client.get(held["Location"]).status_code == 200
    device = TOTPDevice.objects.get(user=alice)
    client.post(reverse("two_factor_setup"), {"token": _code(device)})
    assert client.get(reverse("portal:home")).status_code == 200


def test_internal_users_are_not_made_to_enrol(paul, settings):
    settings.PORTAL_REQUIRE_TWO_FACTOR = True

    assert _signed_in(paul).get(reverse("partners:list")).status_code == 200
