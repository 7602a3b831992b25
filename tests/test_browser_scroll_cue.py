"""A table wider than its card fades at its right edge while columns lie out
of view there, and stops fading once scrolled to its end."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from channelhub.lib.roles import PARTNER_MANAGER
from tests.browser import screenshot, sign_in
from tests.factories import PASSWORD, ChannelFactory, PartnerFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MORE_RIGHT = re.compile(r"\bmore-right\b")


def test_a_table_with_columns_out_of_view_fades_on_the_right_until_scrolled(live_server, page):
    Group.objects.get_or_create(name=PARTNER_MANAGER)
    UserFactory(username="paul", role=PARTNER_MANAGER)
    channel = ChannelFactory(name="Value-Added Resellers", route="indirect")
    PartnerFactory(name="Nordlicht Handel", channel=channel)

    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "paul", PASSWORD)
    page.goto(f"{live_server.url}/partners/")
    wrap = page.locator(".table-wrap").first
    expect(wrap).not_to_have_class(MORE_RIGHT)  # it fits a laptop: no cue
    assert "none" in wrap.evaluate("w => getComputedStyle(w).maskImage")

    page.set_viewport_size({"width": 390, "height": 800})
    expect(wrap).to_have_class(MORE_RIGHT)
    assert "gradient" in wrap.evaluate("w => getComputedStyle(w).maskImage")
    screenshot(page, "table-scroll-cue-phone")

    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    expect(wrap).not_to_have_class(MORE_RIGHT)
    wrap.evaluate("w => { w.scrollLeft = 0; }")
    expect(wrap).to_have_class(MORE_RIGHT)
    assert page.console_errors == []
