"""The partner list as a CSV: the list's filters and order, every page of it,
text cells formula-safe, for anyone who may read the directory."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.directory.models import Partner
from tests.factories import ChannelFactory, PartnerFactory, make_partner_user

pytestmark = pytest.mark.django_db


def _rows(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="channelhub-partners-')
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def directory(partner_user):
    channel = ChannelFactory(name="Value-Added Resellers", route="indirect")
    hostile = PartnerFactory(
        channel=channel, name='=HYPERLINK("http://evil.example","Click")', manager=partner_user,
        status=Partner.Status.ACTIVE, next_review_on=date(2026, 3, 1),
    )  # fmt: skip
    calm = PartnerFactory(channel=channel, name="Nordlicht Handel", status=Partner.Status.PROSPECT)
    return hostile, calm


def test_the_export_holds_the_filtered_partners_formula_safe(directory, partner_client):
    rows = _rows(partner_client.get(reverse("partners:export")))
    assert rows[0][:6] == ["partner", "slug", "channel", "kind", "tier", "status"]
    names = [r[0] for r in rows[1:]]
    assert names == ['\'=HYPERLINK("http://evil.example","Click")', "Nordlicht Handel"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["status"] == "Active" and first["next_review"] == "2026-03-01"
    assert first["manager"] and first["channel"] == "Value-Added Resellers"
    # The list's filters apply, whatever page the list was on.
    active = _rows(partner_client.get(reverse("partners:export"), {"status": "active", "page": 3}))
    assert [r[0] for r in active[1:]] == [names[0]]


def test_the_list_links_the_export_with_its_filters(directory, partner_client):
    page = partner_client.get(reverse("partners:list"), {"status": "prospect"}).text
    assert f'href="{reverse("partners:export")}?status=prospect"' in page
    assert "Download this partner (CSV)" in page


def test_the_export_costs_the_same_queries_for_many_partners(directory, viewer_client):
    with CaptureQueriesContext(connection) as few:
        _rows(viewer_client.get(reverse("partners:export")))
    channel = ChannelFactory(route="indirect")
    PartnerFactory.create_batch(12, channel=channel)
    with CaptureQueriesContext(connection) as many:
        rows = _rows(viewer_client.get(reverse("partners:export")))
    assert len(rows) == 1 + 14
    assert len(many) == len(few)


def test_who_may_not_read_the_directory_gets_no_export(directory, client, norole_client):
    assert norole_client.get(reverse("partners:export")).status_code == 403
    nina = make_partner_user(directory[1], "nina")
    client.force_login(nina)
    assert client.get(reverse("partners:export")).status_code in (302, 403)
    assert client.get(reverse("partners:export"), follow=False).get("Content-Type") != (
        "text/csv; charset=utf-8"
    )
