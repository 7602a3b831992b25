"""Review rules: the computed overall score, the 7-day edit window, the next
review from the tier's cadence, overdue detection, and the edit history."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from partners.activity import selectors as activity_selectors
from partners.activity import services as activity_services
from partners.activity.models import PartnerReview
from partners.directory import services as directory_services
from partners.directory.models import Partner, Tier
from partners.profile import selectors as profile_selectors
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def _submit(partner, author, **overrides):
    data = {
        "partner": partner,
        "author": author,
        "period_start": date(2025, 1, 1),
        "period_end": date(2025, 3, 31),
        "reviewed_on": date(2025, 4, 10),
        "score_sales": 4,
        "score_enablement": 3,
        "score_brand": 5,
        "score_satisfaction": 4,
        "score_collaboration": 2,
        **overrides,
    }
    return activity_services.review_submit(**data)


def test_the_overall_score_is_the_mean_of_the_five(pauls_partner, partner_user):
    review = _submit(pauls_partner, partner_user)
    assert review.overall == Decimal("3.60")
    review = _submit(
        pauls_partner,
        partner_user,
        score_collaboration=3,
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        reviewed_on=date(2025, 7, 9),
    )
    assert review.overall == Decimal("3.80")


def test_a_second_review_of_a_period_already_reviewed_is_refused(pauls_partner, partner_user):
    from django.core.exceptions import ValidationError

    first = _submit(pauls_partner, partner_user)
    for start, end in [
        (date(2025, 1, 1), date(2025, 3, 31)),  # the same quarter again
        (date(2025, 3, 1), date(2025, 5, 31)),  # reaching into it
        (date(2024, 10, 1), date(2025, 1, 1)),  # its first day
    ]:
        with pytest.raises(ValidationError) as exc:
            _submit(pauls_partner, partner_user, period_start=start, period_end=end)
        message = exc.value.message_dict["period_start"][0]
        assert "already has a review of 2025-01-01 to 2025-03-31 (held on 2025-04-10)" in message
    assert PartnerReview.objects.filter(partner=pauls_partner).count() == 1
    # The quarters before and after are free; the review itself can be edited.
    _submit(
        pauls_partner, partner_user, period_start=date(2025, 4, 1), period_end=date(2025, 6, 30)
    )
    _submit(
        pauls_partner, partner_user, period_start=date(2024, 10, 1), period_end=date(2024, 12, 31)
    )
    activity_services.review_update(
        review=first,
        editor=partner_user,
        data={"strengths": "Fast quotes", "period_end": date(2025, 3, 30)},
    )
    # ...but not stretched over the next one.
    with pytest.raises(ValidationError) as exc:
        activity_services.review_update(
            review=first, editor=partner_user, data={"period_end": date(2025, 4, 15)}
        )
    assert (
        "already has a review of 2025-04-01 to 2025-06-30"
        in exc.value.message_dict["period_start"][0]
    )
    first.refresh_from_db()
    assert first.period_end == date(2025, 3, 30)
    # Two reviews that overlapped before the rule keep their text editable.
    PartnerReview.objects.filter(pk=first.pk).update(period_end=date(2025, 4, 15))
    first.refresh_from_db()
    activity_services.review_update(review=first, editor=partner_user, data={"strengths": "Kept"})
    assert PartnerReview.objects.get(pk=first.pk).strengths == "Kept"


def test_another_partners_review_of_the_same_period_is_no_obstacle(pauls_partner, partner_user):
    _submit(pauls_partner, partner_user)
    other = PartnerFactory(channel=pauls_partner.channel)
    _submit(other, partner_user)
    assert PartnerReview.objects.count() == 2


def test_a_review_cannot_be_held_before_the_period_it_reviews(
    pauls_partner, partner_user, partner_client
):
    with pytest.raises(ValidationError) as refused:
        _submit(pauls_partner, partner_user, reviewed_on=date(2024, 12, 31))
    assert "before the period starts" in str(refused.value.message_dict["reviewed_on"])
    response = partner_client.post(
        reverse("partners:review-create", args=[pauls_partner.slug]),
        {
            "period_start": "2026-10-01",
            "period_end": "2026-11-30",
            "reviewed_on": "2026-01-01",
            **{f"score_{c}": "4" for c in ("sales", "enablement", "brand", "satisfaction")},
            "score_collaboration": "4",
            "actions-TOTAL_FORMS": "0",
            "actions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "before the period starts" in str(response.context["form"].errors["reviewed_on"])
    # Held while the period still runs (a mid-quarter review): accepted.
    _submit(pauls_partner, partner_user, reviewed_on=date(2025, 3, 15))
    assert PartnerReview.objects.count() == 1


def test_the_overall_score_is_rounded_to_two_places(pauls_partner, partner_user):
    review = _submit(
        pauls_partner,
        partner_user,
        score_sales=5,
        score_enablement=5,
        score_brand=4,
        score_satisfaction=4,
        score_collaboration=4,
    )
    assert review.overall == Decimal("4.40")


def test_a_score_outside_1_to_5_is_refused(pauls_partner, partner_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        _submit(pauls_partner, partner_user, score_sales=6)
    assert "score_sales" in exc.value.message_dict
    assert not PartnerReview.objects.exists()


def test_the_next_review_defaults_from_the_tier_cadence(pauls_partner, partner_user, gold):
    assert gold.review_cadence_days == 90
    review = _submit(pauls_partner, partner_user, next_review_on=None)
    assert review.next_review_on == date(2025, 4, 10) + timedelta(days=90)
    platinum = Tier.objects.get(code="platinum")
    pauls_partner.tier = platinum
    pauls_partner.save()
    review = _submit(
        pauls_partner,
        partner_user,
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        reviewed_on=date(2025, 7, 1),
    )
    assert review.next_review_on == date(2025, 8, 30)  # 60 days


def test_the_partner_is_due_when_the_last_review_said(pauls_partner, partner_user):
    _submit(pauls_partner, partner_user, next_review_on=date(2025, 6, 1))
    pauls_partner.refresh_from_db()
    assert pauls_partner.next_review_on == date(2025, 6, 1)


def test_a_new_active_partner_is_due_one_cadence_after_activation(
    indirect_channel, partner_user, gold
):
    partner = directory_services.partner_create(
        channel=indirect_channel,
        name="Alpine Supply",
        tier=gold,
        manager=partner_user,
        status=Partner.Status.ONBOARDING,
        created_on=date(2025, 1, 2),
    )
    assert partner.next_review_on is None  # onboarding partners are not reviewed yet
    directory_services.partner_set_status(
        partner=partner, status=Partner.Status.ACTIVE, changed_on=date(2025, 2, 1)
    )
    partner.refresh_from_db()
    assert partner.next_review_on == date(2025, 5, 2)  # 1 Feb + 90 days


def test_overdue_detection_on_a_fixed_date(pauls_partner, partner_user, indirect_channel):
    _submit(pauls_partner, partner_user, next_review_on=date(2025, 7, 10))
    partners = Partner.objects.all()
    assert (
        list(activity_selectors.reviews_overdue(partners=partners, today=date(2025, 7, 10))) == []
    )
    assert list(activity_selectors.reviews_overdue(partners=partners, today=date(2025, 7, 11))) == [
        pauls_partner
    ]
    # Due soon (within 14 days) is listed as due, not overdue.
    due = activity_selectors.reviews_due(partners=partners, today=date(2025, 6, 30))
    assert list(due) == [pauls_partner]
    assert list(activity_selectors.reviews_due(partners=partners, today=date(2025, 6, 1))) == []
    # A suspended partner is not due for review.
    directory_services.partner_set_status(partner=pauls_partner, status=Partner.Status.SUSPENDED)
    assert list(activity_selectors.reviews_overdue(partners=partners, today=date(2025, 8, 1))) == []


def test_the_author_edits_within_seven_days_then_only_an_admin(
    pauls_partner, partner_user, partner_client, admin_client_, marketing_client
):
    review = _submit(pauls_partner, partner_user)
    edit = reverse("partners:review-edit", args=[review.pk])
    assert partner_client.get(edit).status_code == 200
    # The marketing manager may edit the partner but is not the author.
    assert marketing_client.get(edit).status_code == 403

    PartnerReview.objects.filter(pk=review.pk).update(
        created_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    assert partner_client.get(edit).status_code == 403
    assert admin_client_.get(edit).status_code == 200


def test_an_edit_recomputes_the_score_and_keeps_the_history(
    pauls_partner, partner_user, partner_client
):
    review = _submit(pauls_partner, partner_user, strengths="Good pipeline")
    response = partner_client.post(
        reverse("partners:review-edit", args=[review.pk]),
        {
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "reviewed_on": "2025-04-10",
            "score_sales": "5",
            "score_enablement": "5",
            "score_brand": "5",
            "score_satisfaction": "5",
            "score_collaboration": "5",
            "strengths": "Great pipeline",
            "improvements": "",
            "next_review_on": "",
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "0",
            "actions-0-description": "Plan Q3 campaign",
            "actions-0-owner": "Clara",
            "actions-0-due_on": "2025-05-01",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.overall == Decimal("5.00") and review.strengths == "Great pipeline"
    revisions = list(review.revisions.order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[0].data["strengths"] == "Good pipeline"
    assert revisions[0].data["overall"] == "3.60"
    assert revisions[1].data["action_items"][0]["description"] == "Plan Q3 campaign"
    page = partner_client.get(review.get_absolute_url())
    assert "Edit history" in page.text and "Good pipeline" not in page.text
    assert "Plan Q3 campaign" in page.text


def test_logging_a_review_with_action_items_through_the_page(pauls_partner, partner_client):
    response = partner_client.post(
        reverse("partners:review-create", args=[pauls_partner.slug]),
        {
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "reviewed_on": "2025-04-10",
            "score_sales": "3",
            "score_enablement": "4",
            "score_brand": "4",
            "score_satisfaction": "5",
            "score_collaboration": "4",
            "strengths": "Loyal customers",
            "improvements": "Slow quotes",
            "next_review_on": "",
            "actions-TOTAL_FORMS": "3",
            "actions-INITIAL_FORMS": "0",
            "actions-0-description": "Speed up quotes",
            "actions-0-owner": "Partner sales lead",
            "actions-0-due_on": "2025-05-15",
            "actions-1-description": "",
            "actions-2-description": "",
        },
    )
    assert response.status_code == 302
    review = PartnerReview.objects.get()
    assert review.overall == Decimal("4.00")
    assert review.next_review_on == date(2025, 7, 9)  # gold: 90 days
    assert [(a.description, a.owner) for a in review.action_items.all()] == [
        ("Speed up quotes", "Partner sales lead")
    ]


def test_bad_review_input_is_shown_next_to_the_fields(pauls_partner, partner_client):
    response = partner_client.post(
        reverse("partners:review-create", args=[pauls_partner.slug]),
        {
            "period_start": "2025-03-31",
            "period_end": "2025-01-01",
            "reviewed_on": "2025-04-10",
            "score_sales": "9",
            "score_enablement": "4",
            "score_brand": "4",
            "score_satisfaction": "5",
            "score_collaboration": "4",
            "strengths": "Kept text",
            "next_review_on": "2025-04-01",
            "actions-TOTAL_FORMS": "1",
            "actions-INITIAL_FORMS": "0",
            "actions-0-description": "Half-filled action",
        },
    )
    assert response.status_code == 200
    form, formset = response.context["form"], response.context["formset"]
    assert "score_sales" in form.errors
    assert form.errors["period_end"] == ["The period must end on or after it starts."]
    assert form.errors["next_review_on"] == ["The next review must be after this one."]
    assert formset.forms[0].errors["owner"] == ["Needed for an action item."]
    assert "Kept text" in response.text and "Half-filled action" in response.text
    assert not PartnerReview.objects.exists()


def test_the_page_says_which_review_already_covers_the_period_and_keeps_the_text(
    pauls_partner, partner_user, partner_client
):
    existing = _submit(pauls_partner, partner_user)
    response = partner_client.post(
        reverse("partners:review-create", args=[pauls_partner.slug]),
        {
            "period_start": "2025-02-01",
            "period_end": "2025-04-30",
            "reviewed_on": "2025-05-10",
            "score_sales": "3",
            "score_enablement": "4",
            "score_brand": "4",
            "score_satisfaction": "5",
            "score_collaboration": "4",
            "strengths": "Typed before the refusal",
            "actions-TOTAL_FORMS": "0",
            "actions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["period_start"] == [
        "Nordlicht Handel already has a review of 2025-01-01 to 2025-03-31 (held on "
        "2025-04-10), which overlaps this period: edit that review, or review a period it "
        "does not cover."
    ]
    assert "Typed before the refusal" in response.text
    assert list(PartnerReview.objects.all()) == [existing]


def test_the_date_a_review_agreed_is_shown_while_the_partner_onboards(
    pauls_partner, partner_user, partner_client
):
    Partner.objects.filter(pk=pauls_partner.pk).update(status=Partner.Status.ONBOARDING)
    pauls_partner.refresh_from_db()
    today = timezone.localdate()
    agreed = today + timedelta(days=30)
    _submit(
        pauls_partner,
        partner_user,
        period_start=today - timedelta(days=40),
        period_end=today - timedelta(days=10),
        reviewed_on=today - timedelta(days=5),
        next_review_on=agreed,
    )
    pauls_partner.refresh_from_db()
    assert pauls_partner.next_review_on == agreed
    scorecard = partner_client.get(pauls_partner.get_absolute_url()).text
    assert f'<div class="value value-sm">{agreed:%Y-%m-%d}</div>' in scorecard
    # Not a review due on the work lists until the partner is active.
    partners = Partner.objects.all()
    assert list(activity_selectors.reviews_due(partners=partners, today=agreed)) == []
    # Once past, an onboarding partner's date is not flagged as overdue.
    assert not profile_selectors.partner_scorecard(
        partner=pauls_partner, today=agreed + timedelta(days=1)
    )["review_overdue"]


def test_the_review_form_suggests_the_next_review_by_the_tier_cadence(
    pauls_partner, partner_client, gold
):
    response = partner_client.get(reverse("partners:review-create", args=[pauls_partner.slug]))
    suggested = timezone.localdate() + timedelta(days=gold.review_cadence_days)
    assert response.context["form"]["next_review_on"].value() == suggested
    assert f'name="next_review_on" value="{suggested:%Y-%m-%d}"' in response.text
