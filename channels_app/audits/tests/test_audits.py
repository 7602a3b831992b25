"""Brand consistency audits: the checklist and its mean, who may record them,
the pages, the overdue list and the score trend chart."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channels_app.audits import services as audit_services
from channels_app.audits.charts import build_audit_score_figure
from channels_app.audits.models import BRAND_AUDIT_ITEM_KEYS, BRAND_AUDIT_ITEMS, BrandAudit
from channels_app.audits.selectors import audit_score_frame, channels_with_overdue_audits
from channels_app.channels.models import Channel
from tests.factories import ChannelFactory, make_audit

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.localdate()


def _items(*scores: int) -> dict[str, tuple[int, str]]:
    return {key: (score, "") for key, score in zip(BRAND_AUDIT_ITEM_KEYS, scores, strict=True)}


@pytest.fixture
def shop(marketing_user):
    return ChannelFactory(
        name="Web Shop",
        slug="web-shop",
        owner=marketing_user,
        start_date=date(2022, 1, 1),
    )


def _post_data(**overrides):
    data = {"audited_on": _today().isoformat(), "summary": "Banner colours off"}
    for key, score in zip(BRAND_AUDIT_ITEM_KEYS, (4, 3, 5, 4, 2), strict=True):
        data[f"score_{key}"] = str(score)
        data[f"notes_{key}"] = ""
    data["notes_visual_identity"] = "Old logo on the checkout page"
    data.update(overrides)
    return data


# --- the service -----------------------------------------------------------------------


def test_an_audit_scores_every_item_and_its_overall_is_the_mean(shop, marketing_user):
    audit = audit_services.audit_record(
        channel=shop,
        audited_on=date(2025, 3, 10),
        items={**_items(4, 3, 5, 4, 2), "visual_identity": (2, " Old logo ")},
        auditor=marketing_user,
    )
    assert audit.overall == Decimal("3.60")
    assert audit.next_audit_on == date(2025, 6, 8)  # the 90-day cadence
    assert [(i.item, i.score) for i in audit.items.all()] == list(
        zip(BRAND_AUDIT_ITEM_KEYS, (4, 3, 5, 4, 2), strict=True)
    )
    assert audit.items.get(item="visual_identity").notes == "Old logo"


def test_an_audit_must_cover_the_whole_checklist_with_scores_1_to_5(shop):
    partial = dict(list(_items(4, 4, 4, 4, 4).items())[:4])
    with pytest.raises(ValidationError, match="Score every item"):
        audit_services.audit_record(channel=shop, audited_on=date(2025, 3, 1), items=partial)
    with pytest.raises(ValidationError):
        audit_services.audit_record(
            channel=shop, audited_on=date(2025, 3, 1), items=_items(4, 4, 6, 4, 4)
        )
    with pytest.raises(ValidationError):
        audit_services.audit_record(
            channel=shop,
            audited_on=date(2025, 3, 1),
            items=_items(4, 4, 4, 4, 4),
            next_audit_on=date(2025, 2, 1),
        )
    assert not BrandAudit.objects.exists()


def test_editing_an_audit_recomputes_its_overall(shop):
    audit = make_audit(shop, date(2025, 3, 1), scores=(2, 2, 2, 2, 2))
    audit_services.audit_update(audit=audit, data={"summary": "Fixed"}, items=_items(5, 5, 5, 5, 4))
    audit.refresh_from_db()
    assert audit.overall == Decimal("4.80") and audit.items.count() == 5


# --- overdue channels ------------------------------------------------------------------


def test_channels_whose_last_audit_is_older_than_the_cadence_are_overdue(shop):
    today = date(2025, 6, 1)
    fresh = ChannelFactory(name="Fresh", start_date=date(2022, 1, 1))
    make_audit(fresh, today - timedelta(days=30))
    make_audit(shop, today - timedelta(days=200))
    make_audit(shop, today - timedelta(days=95))  # the latest counts: due 5 days ago
    never = ChannelFactory(name="Never audited", start_date=date(2022, 1, 1))
    ChannelFactory(name="Brand new", start_date=today - timedelta(days=20))
    ChannelFactory(name="Retired", status=Channel.Status.RETIRED, start_date=date(2020, 1, 1))
    ChannelFactory(name="Planned", status=Channel.Status.PLANNED, start_date=None)
    overdue = list(channels_with_overdue_audits(today=today))
    assert [c.name for c in overdue] == ["Never audited", "Web Shop"]
    assert overdue[0].last_audited_on is None and overdue[0].pk == never.pk
    assert overdue[1].last_audited_on == today - timedelta(days=95)
    assert overdue[1].next_audit_on == today - timedelta(days=5)
    # Audited today: no longer overdue.
    make_audit(shop, today)
    assert [c.name for c in channels_with_overdue_audits(today=today)] == ["Never audited"]


def test_an_audit_may_set_its_own_next_date(shop):
    today = date(2025, 6, 1)
    make_audit(shop, today - timedelta(days=95), next_audit_on=today + timedelta(days=10))
    assert list(channels_with_overdue_audits(today=today, channels=Channel.objects.all())) == []


# --- the chart ---------------------------------------------------------------------------


def test_the_trend_chart_has_the_overall_and_each_item(shop):
    make_audit(shop, date(2025, 1, 10), scores=(3, 3, 3, 3, 3))
    make_audit(shop, date(2025, 4, 10), scores=(5, 4, 4, 4, 3))
    figure = build_audit_score_figure(audit_score_frame(channel=shop))
    overall = figure.data[0]
    assert overall.name == "Overall"
    assert list(overall.x) == ["2025-01-10", "2025-04-10"]
    assert list(overall.y) == [3.0, 4.0]
    assert [t.name for t in figure.data[1:]] == [label for _k, label in BRAND_AUDIT_ITEMS]
    assert list(figure.data[1].y) == [3, 5]  # messaging
    assert all(t.visible == "legendonly" for t in figure.data[1:])
    assert list(figure.layout.yaxis.range) == [0.8, 5.2]
    go.Figure(figure.to_plotly_json())  # Plotly's own validators accept it


def test_an_empty_trend_chart_has_no_traces():
    assert build_audit_score_figure(pd.DataFrame()).data == ()


# --- permissions -----------------------------------------------------------------------


@pytest.fixture
def audit(shop):
    return make_audit(shop, date(2025, 3, 1))


def _write_urls(audit):
    return [
        reverse("channels:audit-create", args=[audit.channel.slug]),
        reverse("channels:audit-edit", args=[audit.pk]),
    ]


def test_a_partner_manager_and_a_viewer_cannot_record_audits(audit, partner_client, viewer_client):
    before = list(BrandAudit.objects.values_list("pk", "overall", "summary"))
    for client in (partner_client, viewer_client):
        for url in _write_urls(audit):
            assert client.get(url).status_code == 403
            assert client.post(url, _post_data()).status_code == 403
    assert list(BrandAudit.objects.values_list("pk", "overall", "summary")) == before


def test_an_anonymous_visitor_is_sent_to_sign_in(audit, client):
    for url in [*_write_urls(audit), reverse("channels:audit-list")]:
        response = client.post(url, _post_data())
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert BrandAudit.objects.count() == 1


def test_a_user_without_a_role_sees_no_audit(audit, norole_client):
    assert norole_client.get(reverse("channels:audit-list")).status_code == 403
    assert norole_client.get(audit.get_absolute_url()).status_code == 403


def test_a_marketing_manager_records_and_edits_audits(audit, marketing_client, marketing_user):
    response = marketing_client.post(
        reverse("channels:audit-create", args=[audit.channel.slug]), _post_data()
    )
    assert response.status_code == 302
    latest = BrandAudit.objects.order_by("-pk").first()
    assert latest.overall == Decimal("3.60") and latest.auditor == marketing_user
    assert latest.items.get(item="visual_identity").notes == "Old logo on the checkout page"
    response = marketing_client.post(
        reverse("channels:audit-edit", args=[latest.pk]),
        _post_data(score_visual_identity="5", summary="Logo fixed"),
    )
    assert response.status_code == 302
    latest.refresh_from_db()
    assert latest.overall == Decimal("4.20") and latest.summary == "Logo fixed"


# --- pages -------------------------------------------------------------------------------


def test_bad_audit_input_is_shown_next_to_the_fields(shop, marketing_client):
    response = marketing_client.post(
        reverse("channels:audit-create", args=[shop.slug]),
        _post_data(
            audited_on=(_today() + timedelta(days=1)).isoformat(),
            score_pricing="",
            score_messaging="9",
            next_audit_on="2000-01-01",
        ),
    )
    errors = response.context["form"].errors
    assert {"audited_on", "score_pricing", "score_messaging"} <= set(errors)
    assert "Banner colours off" in response.text
    assert not BrandAudit.objects.exists()
    response = marketing_client.post(
        reverse("channels:audit-create", args=[shop.slug]),
        _post_data(next_audit_on=(_today() - timedelta(days=1)).isoformat()),
    )
    assert response.context["form"].errors["next_audit_on"] == [
        "The next audit must be after this one."
    ]


def test_the_audit_pages_show_real_content_to_every_role(
    shop, partner_client, viewer_client, marketing_client
):
    make_audit(shop, _today() - timedelta(days=200), scores=(3, 3, 3, 3, 3))
    make_audit(shop, _today() - timedelta(days=100), scores=(4, 4, 4, 4, 3))
    ChannelFactory(name="Marketplace", start_date=date(2022, 1, 1))
    for client in (partner_client, viewer_client, marketing_client):
        listing = client.get(reverse("channels:audit-list"))
        assert listing.status_code == 200
        assert [c.name for c in listing.context["overdue"]] == ["Marketplace", "Web Shop"]
        assert "never audited" in listing.text and "3.80" in listing.text
        page = client.get(reverse("channels:audits", args=[shop.slug]))
        assert "audit-score-figure" in page.text and "vendor/plotly.min.js" in page.text
        assert "overdue" in page.text
        assert "<script>" not in page.text.replace('<script type="application/json"', "")
    assert (
        "+ Record audit" in marketing_client.get(reverse("channels:audits", args=[shop.slug])).text
    )
    assert (
        "+ Record audit" not in viewer_client.get(reverse("channels:audits", args=[shop.slug])).text
    )
    assert "Audit now" not in partner_client.get(reverse("channels:audit-list")).text


def test_the_audit_list_runs_the_same_queries_for_5_or_30_audits(marketing_client):
    url = reverse("channels:audit-list")

    def make(n):
        for i in range(n):
            make_audit(
                ChannelFactory(start_date=date(2022, 1, 1)), date(2025, 1, 1) + timedelta(days=i)
            )

    make(5)
    marketing_client.get(url)
    with CaptureQueriesContext(connection) as five:
        marketing_client.get(url)
    make(25)
    with CaptureQueriesContext(connection) as thirty:
        response = marketing_client.get(url)
    assert len(response.context["audits"]) == 25
    assert len(thirty) == len(five)


def test_the_channel_audit_page_runs_the_same_queries_for_2_or_12_audits(shop, marketing_client):
    url = reverse("channels:audits", args=[shop.slug])
    for i in range(2):
        make_audit(shop, date(2024, 1, 1) + timedelta(days=30 * i))
    marketing_client.get(url)
    with CaptureQueriesContext(connection) as few:
        marketing_client.get(url)
    for i in range(2, 12):
        make_audit(shop, date(2024, 1, 1) + timedelta(days=30 * i))
    with CaptureQueriesContext(connection) as many:
        marketing_client.get(url)
    assert len(many) == len(few)


def test_a_channel_slug_cannot_be_audits(marketing_client):
    response = marketing_client.post(
        reverse("channels:create"),
        {
            "name": "Audits",
            "slug": "audits",
            "kind": "other",
            "route": "direct",
            "reach": "online",
            "status": "planned",
        },
    )
    assert response.status_code == 200 and "reserved" in response.text


def test_an_item_edited_in_the_admin_keeps_the_overall_the_mean(admin_client_, shop):
    audit = make_audit(shop, date(2025, 1, 1))
    url = reverse("admin:channels_app_brandaudit_change", args=[audit.pk])
    assert admin_client_.get(reverse("admin:channels_app_brandaudit_changelist")).status_code == 200
    data = {
        "channel": shop.pk,
        "audited_on": "2025-01-01",
        "next_audit_on": "2025-04-01",
        "summary": "",
        "items-TOTAL_FORMS": 5,
        "items-INITIAL_FORMS": 5,
    }
    for i, item in enumerate(audit.items.all()):
        data.update(
            {
                f"items-{i}-id": item.pk,
                f"items-{i}-audit": audit.pk,
                f"items-{i}-item": item.item,
                f"items-{i}-score": 1 if item.item == "messaging" else item.score,
                f"items-{i}-notes": "",
            }
        )
    assert admin_client_.post(url, data).status_code == 302
    audit.refresh_from_db()
    assert audit.overall == Decimal("3.40")  # (1 + 4 + 4 + 4 + 4) / 5
