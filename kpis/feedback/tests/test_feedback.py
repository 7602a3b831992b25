"""Customer feedback: NPS and rating arithmetic, entry, import and permissions."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis.feedback.services import feedback_create
from kpis.ingest.services import import_undo
from kpis.models import CustomerFeedback, ImportRun
from kpis.tests.helpers import csv_bytes, import_bytes, import_rows, kpi, recompute
from tests.factories import ChannelFactory, PartnerFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "partner", "score", "rating", "comment", "source"]


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


def feedback_file(rows):
    return import_bytes(csv_bytes(HEADER, rows), kind=ImportRun.Kind.FEEDBACK)


def test_nps_counts_promoters_and_detractors_per_hundred_responses(shop):
    run = feedback_file([
        ["2025-03-03", "web-shop", "", "10", "5", "Love it", "survey"],
        ["2025-03-04", "web-shop", "", "9", "", "", "survey"],
        ["2025-03-05", "web-shop", "", "8", "4", "", "survey"],   # passive
        ["2025-03-06", "web-shop", "", "6", "2", "Slow", "survey"],  # detractor
        ["2025-03-07", "web-shop", "", "", "3", "", "review"],    # rating only
    ])  # fmt: skip
    assert run.status == "succeeded", run.errors
    recompute()
    # 2 promoters, 1 detractor, 4 responses: (2 - 1) / 4 x 100 = 25
    assert kpi(shop.pk, "month", date(2025, 3, 1), "nps") == D("25")
    # ratings 5, 4, 2, 3: mean 3.5
    assert kpi(shop.pk, "month", date(2025, 3, 1), "avg_rating") == D("3.5")
    # A period with facts but no feedback: NPS and rating are empty, not 0.
    import_rows(["date", "channel", "revenue"], [["2025-04-02", "web-shop", "100"]])
    recompute()
    assert kpi(shop.pk, "month", date(2025, 4, 1), "nps") is None
    assert kpi(shop.pk, "month", date(2025, 4, 1), "avg_rating") is None


def test_feedback_alone_makes_a_snapshot_row_but_not_a_last_fact_day(shop):
    feedback_file([["2025-03-03", "web-shop", "", "10", "", "", ""]])
    recompute()
    month = kpi(shop.pk, "month", date(2025, 3, 1), "nps")
    assert month == D("100")
    from kpis.models import ChannelDataState

    assert ChannelDataState.objects.get(channel=shop).last_fact_day is None


def test_a_partners_feedback_counts_for_the_partner_and_its_channel(shop):
    partner = PartnerFactory(channel=shop, slug="reseller")
    feedback_file(
        [
            ["2025-03-03", "web-shop", "reseller", "3", "1", "", ""],
            ["2025-03-03", "web-shop", "", "10", "5", "", ""],
        ]
    )
    recompute()
    assert kpi(shop.pk, "month", date(2025, 3, 1), "nps") == D("0")
    assert kpi(shop.pk, "month", date(2025, 3, 1), "nps", partner_key=partner.pk) == D("-100")


def test_a_bad_feedback_file_is_rejected_whole_with_line_numbers(shop):
    run = feedback_file([
        ["2025-03-03", "web-shop", "", "10", "", "", ""],
        ["2025-03-04", "web-shop", "", "11", "0", "", ""],
        ["2025-03-05", "nowhere", "", "5", "", "", ""],
        ["2025-03-06", "web-shop", "", "", "", "no score at all", ""],
    ])  # fmt: skip
    assert run.status == "rejected"
    assert [(e["line"], e["column"], e["reason"]) for e in run.errors] == [
        (3, "score", "a whole number from 0 to 10"),
        (3, "rating", "a whole number from 1 to 5"),
        (4, "channel", "unknown channel (use its slug or exact name)"),
        (5, "score", "give a score (0-10), a rating (1-5) or both"),
    ]
    assert not CustomerFeedback.objects.exists()


def test_importing_the_same_feedback_twice_records_it_once(shop):
    rows = [["2025-03-03", "web-shop", "", "10", "5", "Great", "survey"]]
    first = feedback_file(rows)
    second = feedback_file(rows)
    assert (first.rows_added, second.rows_added, second.rows_unchanged) == (1, 0, 1)
    assert CustomerFeedback.objects.count() == 1
    import_undo(run=first, user=None)
    assert not CustomerFeedback.objects.exists()


def test_a_marketing_manager_records_feedback_with_the_form(marketing_client, shop):
    response = marketing_client.post(reverse("kpis:feedback-create"), {
        "channel": shop.pk, "day": "2025-03-03", "score": "9", "rating": "", "comment": "Smooth", "source": "call",
    })  # fmt: skip
    assert response.status_code == 302
    entry = CustomerFeedback.objects.get()
    assert (entry.score, entry.rating, entry.comment) == (9, None, "Smooth")
    page = marketing_client.get(reverse("channels:detail", args=["web-shop"]))
    assert "Smooth" in page.text and "9/10" in page.text


def test_the_form_asks_for_a_score_or_a_rating_and_a_partner_of_the_channel(marketing_client, shop):
    other = PartnerFactory(name="Elsewhere")
    response = marketing_client.post(
        reverse("kpis:feedback-create"),
        {"channel": shop.pk, "day": "2025-03-03", "partner": other.pk},
    )
    errors = response.context["form"].errors
    assert "Give a recommend score, a rating, or both." in errors["score"]
    assert "belongs to another channel" in errors["partner"][0]
    assert not CustomerFeedback.objects.exists()


def test_a_partner_manager_records_feedback_only_for_their_partners(
    partner_client, partner_user, other_partner_user, shop
):
    mine = PartnerFactory(channel=shop, manager=partner_user)
    theirs = PartnerFactory(channel=shop, manager=other_partner_user)
    url = reverse("kpis:feedback-create")
    refused = partner_client.post(
        url, {"channel": shop.pk, "partner": theirs.pk, "day": "2025-03-03", "score": "5"}
    )
    assert (
        refused.status_code == 200 and "partner" in refused.context["form"].errors
    )  # not even offered
    channel_wide = partner_client.post(url, {"channel": shop.pk, "day": "2025-03-03", "score": "5"})
    assert channel_wide.status_code == 403
    ok = partner_client.post(
        url, {"channel": shop.pk, "partner": mine.pk, "day": "2025-03-03", "score": "5"}
    )
    assert ok.status_code == 302
    assert list(CustomerFeedback.objects.values_list("partner_id", flat=True)) == [mine.pk]


def test_viewers_read_feedback_but_change_nothing(viewer_client, shop):
    feedback_create(channel=shop, day=date(2025, 3, 3), score=10, comment="Excellent")
    page = viewer_client.get(reverse("kpis:feedback"))
    assert page.status_code == 200 and "Excellent" in page.text
    assert page.context["summary"]["nps"] == D("100")
    assert (
        viewer_client.post(
            reverse("kpis:feedback-create"), {"channel": shop.pk, "day": "2025-03-03", "score": "1"}
        ).status_code
        == 403
    )
    assert viewer_client.get(reverse("kpis:feedback-import")).status_code == 403
    assert CustomerFeedback.objects.count() == 1


def test_feedback_import_through_the_page(
    marketing_client, shop, django_capture_on_commit_callbacks
):
    data = csv_bytes(HEADER, [["2025-03-03", "Web Shop", "", "7", "4", "ok", ""]])
    with django_capture_on_commit_callbacks(execute=True):
        response = marketing_client.post(
            reverse("kpis:feedback-import"), {"file": SimpleUploadedFile("survey.csv", data)}
        )
    run = ImportRun.objects.get()
    assert response["Location"] == run.get_absolute_url()
    assert (run.kind, run.status, run.rows_added) == ("feedback", "succeeded", 1)
    assert "1 feedback entry added" in marketing_client.get(run.get_absolute_url()).text


@pytest.mark.parametrize("day", ["9999-12-31", "1999-12-31"])
def test_feedback_dated_outside_the_facts_window_is_refused(marketing_client, shop, day):
    response = marketing_client.post(
        reverse("kpis:feedback-create"), {"channel": shop.pk, "day": day, "score": "9"}
    )
    assert response.status_code == 200
    assert (
        "out of range: dates must be between 2000-01-01"
        in response.context["form"].errors["day"][0]
    )
    assert f'value="{day}"' in response.text  # what was typed is kept
    run = feedback_file([[day, "web-shop", "", "9", "", "", ""]])
    assert run.status == ImportRun.Status.REJECTED
    assert "out of range" in run.errors[0]["reason"]
    assert not CustomerFeedback.objects.exists()
