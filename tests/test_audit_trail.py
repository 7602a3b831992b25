"""The audit trail: who changed what and when, on each object's History page and
in the admin, for whoever may view the object."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from channelhub import history
from channels_app.channels.models import Channel
from channels_app.channels.services import channel_set_status
from tests.factories import (
    ChannelFactory,
    ConflictCaseFactory,
    ContractFactory,
    IncentiveProgramFactory,
    ObjectiveFactory,
    PartnerFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db


def _history_url(kind: str, obj) -> str:
    return reverse("history", args=[kind, obj.pk])


@pytest.fixture
def web_shop(marketing_user):
    return ChannelFactory(name="Web Shop", slug="web-shop", owner=marketing_user)


def test_an_edit_on_the_page_is_recorded_with_its_author_and_field_changes(
    marketing_client, marketing_user, viewer_client, web_shop
):
    response = marketing_client.post(
        reverse("channels:edit", args=["web-shop"]),
        {
            "name": "Web Shop EU",
            "slug": "web-shop",
            "kind": "marketplace",
            "route": "direct",
            "reach": "online",
            "status": "active",
            "owner": marketing_user.pk,
        },
    )
    assert response.status_code == 302
    record = web_shop.history.latest()
    assert record.history_user == marketing_user and record.history_type == "~"

    _page, entries = history.object_history(obj=web_shop, page_number=1)
    latest = entries[0]
    assert latest.who == marketing_user.get_full_name()
    changes = {(c.field, c.old, c.new) for c in latest.changes}
    assert ("Name", "Web Shop", "Web Shop EU") in changes
    assert ("Kind", "E-commerce", "Marketplace") in changes  # labels, not codes
    assert not any(c.field in ("Updated at", "Created at") for c in latest.changes)

    # A viewer reads it on the channel's History page.
    page = viewer_client.get(_history_url("channel", web_shop))
    assert page.status_code == 200
    assert "Web Shop EU" in page.text and "Marketplace" in page.text
    assert marketing_user.get_full_name() in page.text
    assert _history_url("channel", web_shop) in viewer_client.get(web_shop.get_absolute_url()).text


def test_a_change_made_by_a_job_shows_as_system(marketing_client, web_shop):
    channel_set_status(channel=web_shop, status=Channel.Status.PAUSED)  # no request: a job
    _page, entries = history.object_history(obj=web_shop, page_number=1)
    assert entries[0].who == "system"
    assert [(c.field, c.old, c.new) for c in entries[0].changes] == [("Status", "Active", "Paused")]
    assert "system" in marketing_client.get(_history_url("channel", web_shop)).text


def test_a_foreign_key_change_names_the_objects(partner_user, other_partner_user):
    partner = PartnerFactory(manager=partner_user)
    partner.manager = other_partner_user
    partner.save()
    _page, entries = history.object_history(obj=partner, page_number=1)
    assert [(c.field, c.old, c.new) for c in entries[0].changes] == [
        ("Manager", str(partner_user), str(other_partner_user))
    ]


def test_the_history_page_queries_do_not_grow_with_foreign_key_changes(
    partner_user, other_partner_user
):
    def queries(changes: int) -> int:
        partner = PartnerFactory(manager=partner_user)
        for n in range(changes):
            partner.manager = other_partner_user if n % 2 == 0 else partner_user
            partner.save()
        with CaptureQueriesContext(connection) as ctx:
            _page, entries = history.object_history(obj=partner, page_number=1)
        assert sum(len(e.changes) for e in entries) == changes
        return len(ctx.captured_queries)

    assert queries(2) == queries(12)


def test_the_history_is_paginated_newest_first(viewer_client, web_shop):
    for n in range(30):
        web_shop.notes = f"note {n}"
        web_shop.save()
    first, entries = history.object_history(obj=web_shop, page_number=1)
    assert first.paginator.count == 31  # created + 30 changes
    assert len(entries) == history.PAGE_SIZE
    assert entries[0].changes[0].new == "note 29"
    assert entries[0].changes[0].old == "note 28"
    _last, rest = history.object_history(obj=web_shop, page_number=2)
    assert len(rest) == 6
    assert rest[-1].action == "created"
    # The oldest change on page 2 is still diffed against the creation.
    assert (rest[-2].changes[0].old, rest[-2].changes[0].new) == ("—", "note 0")
    page2 = viewer_client.get(_history_url("channel", web_shop), {"page": 2})
    assert "Page 2 of 2" in page2.text


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("channel", lambda: ChannelFactory()),
        ("objective", lambda: ObjectiveFactory()),
        ("partner", lambda: PartnerFactory()),
        ("contract", lambda: ContractFactory()),
        ("review", lambda: ReviewFactory()),
        ("conflict", lambda: ConflictCaseFactory()),
    ],
)
def test_every_audited_kind_has_a_history_page_for_readers_only(
    kind, make, viewer_client, norole_client, client
):
    obj = make()
    url = _history_url(kind, obj)
    page = viewer_client.get(url)
    assert page.status_code == 200
    assert "created" in page.text
    assert norole_client.get(url).status_code == 403
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_an_incentive_program_has_a_history_page(viewer_client, marketing_user):
    program = IncentiveProgramFactory.create(
        name="Spring rebate", kind="rebate", created_by=marketing_user
    )
    program.name = "Spring rebate 2025"
    program.save()
    page = viewer_client.get(_history_url("program", program))
    assert page.status_code == 200 and "Spring rebate 2025" in page.text


def test_unknown_kinds_and_objects_are_404(viewer_client, web_shop):
    assert viewer_client.get(reverse("history", args=["nope", web_shop.pk])).status_code == 404
    assert viewer_client.get(reverse("history", args=["channel", 999999])).status_code == 404


def test_every_audited_model_has_history_in_the_admin(admin_client_):
    for kind in history.KINDS.values():
        model_admin = admin.site._registry[kind.model]
        assert isinstance(model_admin, SimpleHistoryAdmin), kind.model
    channel = Channel.objects.get(pk=ChannelFactory().pk)
    channel.name = "Renamed in the admin test"
    channel.save()
    url = reverse("admin:channels_app_channel_history", args=[channel.pk])
    response = admin_client_.get(url)
    assert response.status_code == 200
    assert "Renamed in the admin test" in response.text
