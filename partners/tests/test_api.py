"""Partners, contacts, contracts, interactions and reviews over the API.

A partner manager changes only their own partners (Paul owns `world`'s
partner; Petra is the other partner manager), a viewer reads only, a user
without a role gets nothing: the same rules.py as the pages.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.activity.models import Interaction, PartnerReview
from partners.contracts.models import Contract
from partners.directory.models import Partner, PartnerContact, PartnerStatusChange
from tests.api import *  # noqa: F403
from tests.documents import pdf_bytes
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ContractFactory,
    InteractionFactory,
    PartnerFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
PDF = pdf_bytes()
REFUSED = ["other_partner_api", "viewer_api", "norole_api", "anon_api"]


def _status(who: str) -> int:
    return 401 if who == "anon_api" else 403


# --- partners ----------------------------------------------------------------------


def test_a_viewer_lists_partners_with_filters(viewer_api, world, other_partner_user):
    PartnerFactory(name="Alpine Supply", slug="alpine", manager=other_partner_user)
    body = viewer_api.get(f"{API}/partners/", {"manager": "paul"}).json()
    assert [p["slug"] for p in body["results"]] == ["nordlicht"]
    item = body["results"][0]
    assert item["channel"] == "eu-distributors" and item["tier"] == "gold"
    assert item["manager"] == "paul" and item["onboarding_percent"] == 0
    everyone = viewer_api.get(f"{API}/partners/", {"sort": "-name"}).json()
    assert [p["slug"] for p in everyone["results"]] == ["nordlicht", "alpine"]


def test_the_partner_list_costs_the_same_queries_for_1_or_10_partners(viewer_api, world):
    viewer_api.get(f"{API}/partners/")  # the token's first use writes its last_used_at
    with CaptureQueriesContext(connection) as one:
        viewer_api.get(f"{API}/partners/")
    for _ in range(9):
        PartnerFactory(channel=world["partner"].channel)
    with CaptureQueriesContext(connection) as ten:
        assert viewer_api.get(f"{API}/partners/").json()["count"] == 10
    assert len(ten) == len(one)


def test_the_partner_detail_has_its_contacts(viewer_api, world):
    body = viewer_api.get(f"{API}/partners/nordlicht/").json()
    assert body["name"] == "Nordlicht Handel"
    assert [c["name"] for c in body["contacts"]] == ["Clara Dubois"]


def test_a_partner_manager_registers_a_partner_they_manage(partner_api, indirect_channel):
    response = partner_api.post(
        f"{API}/partners/",
        {"name": "Alpine Supply", "channel": "eu-distributors", "territories": ["ch", "at"]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "alpine-supply" and body["manager"] == "paul"
    assert body["territories"] == ["AT", "CH"] and body["status"] == "prospect"
    partner = Partner.objects.get(slug="alpine-supply")
    assert partner.status_changes.count() == 1


def test_a_partner_manager_cannot_hand_a_new_partner_to_someone_else(
    partner_api, indirect_channel, other_partner_user
):
    response = partner_api.post(
        f"{API}/partners/",
        {"name": "Alpine Supply", "channel": "eu-distributors", "manager": "petra"},
    )
    assert response.status_code == 400 and "manager" in response.json()["errors"]
    assert "Only a marketing manager hands a partner" in response.json()["errors"]["manager"][0]
    assert not Partner.objects.filter(name="Alpine Supply").exists()


def test_partners_belong_to_indirect_channels(marketing_api):
    ChannelFactory(slug="web-shop", route="direct")
    response = marketing_api.post(f"{API}/partners/", {"name": "X", "channel": "web-shop"})
    assert response.status_code == 400 and "channel" in response.json()["errors"]


def test_the_owner_updates_their_partner(partner_api, world):
    response = partner_api.patch(
        f"{API}/partners/nordlicht/", {"website": "nordlicht.example/de", "territories": ["de"]}
    )
    assert response.status_code == 200, response.json()
    partner = Partner.objects.get(slug="nordlicht")
    assert partner.website == "https://nordlicht.example/de"
    assert [t.code for t in partner.territories.all()] == ["DE"]
    assert partner.manager.username == "paul" and partner.tier.code == "gold"


def test_a_status_change_goes_through_its_own_endpoint(partner_api, world):
    refused = partner_api.patch(f"{API}/partners/nordlicht/", {"status": "suspended"})
    assert refused.status_code == 400 and "status" in refused.json()["errors"]
    response = partner_api.post(
        f"{API}/partners/nordlicht/status/", {"status": "at_risk", "note": "Sales dropped"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "at_risk"
    assert PartnerStatusChange.objects.filter(to_status="at_risk", note="Sales dropped").exists()
    bad = partner_api.post(f"{API}/partners/nordlicht/status/", {"status": "prospect"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]
    # Offboarding closes the partner's portal: it needs a reason.
    silent = partner_api.post(f"{API}/partners/nordlicht/status/", {"status": "offboarded"})
    assert silent.status_code == 400, silent.json()
    assert "Say why the partner is offboarded" in str(silent.json()["errors"]["note"])
    assert Partner.objects.get(slug="nordlicht").status == "at_risk"


@pytest.mark.parametrize("who", REFUSED)
def test_only_the_owner_or_a_programme_lead_changes_a_partner(who, request, world):
    api = request.getfixturevalue(who)
    before = list(Partner.objects.values_list("name", "status", "website"))
    assert api.patch(f"{API}/partners/nordlicht/", {"name": "Hijacked"}).status_code == (
        _status(who)
    )
    status = api.post(f"{API}/partners/nordlicht/status/", {"status": "suspended"})
    assert status.status_code == _status(who)
    assert list(Partner.objects.values_list("name", "status", "website")) == before


def test_a_viewer_cannot_register_partners(viewer_api, indirect_channel):
    response = viewer_api.post(f"{API}/partners/", {"name": "X", "channel": "eu-distributors"})
    assert response.status_code == 403 and not Partner.objects.exists()


def test_a_marketing_manager_edits_any_partner_and_assigns_its_manager(
    marketing_api, world, other_partner_user
):
    response = marketing_api.patch(f"{API}/partners/nordlicht/", {"manager": "petra"})
    assert response.status_code == 200, response.json()
    assert Partner.objects.get(slug="nordlicht").manager == other_partner_user


# --- contacts ----------------------------------------------------------------------


def test_contacts_are_listed_per_partner(viewer_api, world):
    ContactFactory(name="Someone Else")
    body = viewer_api.get(f"{API}/contacts/", {"partner": "nordlicht"}).json()
    assert [c["name"] for c in body["results"]] == ["Clara Dubois"]
    assert body["results"][0]["partner"] == "nordlicht"


def test_the_owner_adds_edits_and_removes_a_contact(partner_api, world):
    created = partner_api.post(
        f"{API}/contacts/",
        {"partner": "nordlicht", "name": "Jonas Berg", "email": "jonas@nordlicht.example"},
    )
    assert created.status_code == 201, created.json()
    contact_id = created.json()["id"]
    edited = partner_api.patch(f"{API}/contacts/{contact_id}/", {"role": "Owner"})
    assert edited.status_code == 200 and edited.json()["email"] == "jonas@nordlicht.example"
    assert PartnerContact.objects.get(pk=contact_id).role == "Owner"
    assert partner_api.delete(f"{API}/contacts/{contact_id}/").status_code == 204
    assert not PartnerContact.objects.filter(pk=contact_id).exists()


def test_a_bad_email_is_reported_under_email(partner_api, world):
    response = partner_api.post(
        f"{API}/contacts/", {"partner": "nordlicht", "name": "X", "email": "not-an-email"}
    )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["email"]


def test_a_contact_needs_a_partner_the_user_can_see(partner_api, world):
    missing = partner_api.post(f"{API}/contacts/", {"name": "X"})
    assert missing.status_code == 400 and "partner" in missing.json()["errors"]
    unknown = partner_api.post(f"{API}/contacts/", {"partner": "nope", "name": "X"})
    assert unknown.status_code == 400 and "partner" in unknown.json()["errors"]


@pytest.mark.parametrize("who", REFUSED)
def test_contacts_of_someone_elses_partner_are_refused(who, request, world):
    api = request.getfixturevalue(who)
    contact = world["contact"]
    expected = _status(who)
    assert api.post(f"{API}/contacts/", {"partner": "nordlicht", "name": "X"}).status_code in (
        expected,
        400 if who == "norole_api" else expected,
    )
    assert api.patch(f"{API}/contacts/{contact.pk}/", {"name": "Y"}).status_code == expected
    assert api.delete(f"{API}/contacts/{contact.pk}/").status_code == expected
    assert list(PartnerContact.objects.values_list("name", flat=True)) == ["Clara Dubois"]


# --- contracts ---------------------------------------------------------------------


def test_the_owner_records_a_contract_and_uploads_its_document(partner_api, viewer_api, world):
    created = partner_api.post(
        f"{API}/contracts/",
        {
            "partner": "nordlicht",
            "kind": "distribution",
            "start_on": "2025-01-01",
            "end_on": "2026-12-31",
            "discount_pct": "12.5",
            "exclusive_territories": ["de"],
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["exclusive_territories"] == ["DE"] and body["document"] is None
    url = f"{API}/contracts/{body['id']}/document/"
    upload = partner_api.put(
        url, {"document": SimpleUploadedFile("signed.pdf", PDF)}, format="multipart"
    )
    assert upload.status_code == 200, upload.json()
    assert upload.json()["document"]["name"] == "signed.pdf"
    contract = Contract.objects.get(pk=body["id"])
    assert contract.document_type == "application/pdf" and contract.discount_pct == Decimal("12.5")
    download = viewer_api.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith('attachment; filename="signed.pdf"')


def test_a_document_that_is_not_what_its_name_says_is_refused(partner_api, world):
    url = f"{API}/contracts/{world['contract'].pk}/document/"
    response = partner_api.put(
        url, {"document": SimpleUploadedFile("signed.pdf", b"<html>hi</html>")}, format="multipart"
    )
    assert response.status_code == 400
    assert "not a real PDF" in response.json()["errors"]["document"][0]
    assert not Contract.objects.get(pk=world["contract"].pk).document


def test_a_contract_ending_before_it_starts_is_refused_under_end_on(partner_api, world):
    response = partner_api.patch(
        f"{API}/contracts/{world['contract'].pk}/", {"end_on": "2023-01-01"}
    )
    assert response.status_code == 400 and "end_on" in response.json()["errors"]


def test_a_contract_signed_on_a_day_to_come_is_refused_under_signed_on(partner_api, world):
    later = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = partner_api.patch(f"{API}/contracts/{world['contract'].pk}/", {"signed_on": later})
    assert response.status_code == 400
    assert "this day is to come" in str(response.json()["errors"]["signed_on"])
    today = timezone.localdate().isoformat()
    assert (
        partner_api.patch(
            f"{API}/contracts/{world['contract'].pk}/", {"signed_on": today}
        ).status_code
        == 200
    )


def test_contracts_are_listed_with_filters(viewer_api, world):
    body = viewer_api.get(f"{API}/contracts/", {"partner": "nordlicht", "kind": "reseller"}).json()
    assert [c["id"] for c in body["results"]] == [world["contract"].pk]
    assert viewer_api.get(f"{API}/contracts/", {"kind": "nda"}).json()["count"] == 0


@pytest.mark.parametrize("who", REFUSED)
def test_contracts_of_someone_elses_partner_are_refused(who, request, world):
    api = request.getfixturevalue(who)
    contract = world["contract"]
    expected = _status(who)
    assert api.patch(f"{API}/contracts/{contract.pk}/", {"notes": "x"}).status_code == expected
    upload = api.put(
        f"{API}/contracts/{contract.pk}/document/",
        {"document": SimpleUploadedFile("signed.pdf", PDF)},
        format="multipart",
    )
    assert upload.status_code == expected
    created = api.post(
        f"{API}/contracts/", {"partner": "nordlicht", "kind": "nda", "start_on": "2025-01-01"}
    )
    assert created.status_code in (expected, 400)
    assert Contract.objects.count() == 1 and not Contract.objects.get().document


# --- interactions ------------------------------------------------------------------


def test_the_owner_logs_an_interaction_with_the_partners_people(partner_api, world):
    response = partner_api.post(
        f"{API}/interactions/",
        {
            "partner": "nordlicht",
            "kind": "meeting",
            "occurred_on": "2025-05-02",
            "contacts": [world["contact"].pk],
            "summary": "Quarterly planning",
            "next_step": "Send the plan",
            "follow_up_on": "2025-05-09",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contacts"] == [world["contact"].pk] and body["logged_by"] == "paul"
    done = partner_api.post(f"{API}/interactions/{body['id']}/follow-up-done/", {})
    assert done.status_code == 200 and done.json()["follow_up_done_on"]


def test_an_interaction_with_another_partners_contact_is_refused(partner_api, world):
    stranger = ContactFactory(name="Stranger")
    response = partner_api.post(
        f"{API}/interactions/",
        {
            "partner": "nordlicht",
            "kind": "call",
            "occurred_on": "2025-05-02",
            "contacts": [stranger.pk],
            "summary": "Call",
        },
    )
    assert response.status_code == 400 and "contacts" in response.json()["errors"]


def test_an_interaction_in_the_future_is_refused_as_on_the_page(partner_api, world):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = partner_api.post(
        f"{API}/interactions/",
        {"partner": "nordlicht", "kind": "call", "occurred_on": str(tomorrow), "summary": "x"},
    )
    assert response.status_code == 400 and "occurred_on" in response.json()["errors"]
    assert Interaction.objects.count() == 1


def test_interactions_are_listed_by_date_range(viewer_api, world):
    body = viewer_api.get(
        f"{API}/interactions/", {"occurred_after": "2025-02-01", "occurred_before": "2025-03-31"}
    ).json()
    assert [i["id"] for i in body["results"]] == [world["interaction"].pk]
    assert (
        viewer_api.get(f"{API}/interactions/", {"occurred_after": "2025-04-01"}).json()["count"]
        == 0
    )


@pytest.mark.parametrize("who", REFUSED)
def test_interactions_of_someone_elses_partner_are_refused(who, request, world):
    api = request.getfixturevalue(who)
    interaction = world["interaction"]
    expected = _status(who)
    assert api.patch(f"{API}/interactions/{interaction.pk}/", {"summary": "x"}).status_code == (
        expected
    )
    done = api.post(f"{API}/interactions/{interaction.pk}/follow-up-done/", {})
    assert done.status_code == expected
    interaction.refresh_from_db()
    assert interaction.summary == "Pipeline call" and interaction.follow_up_done_on is None


# --- reviews -----------------------------------------------------------------------


REVIEW = {
    "partner": "nordlicht",
    "period_start": "2025-04-01",
    "period_end": "2025-06-30",
    "reviewed_on": "2025-07-05",
    "score_sales": 5,
    "score_enablement": 4,
    "score_brand": 4,
    "score_satisfaction": 3,
    "score_collaboration": 4,
    "strengths": "Strong pipeline",
    "action_items": [
        {"description": "Joint webinar", "owner": "Paul", "due_on": "2025-08-01"},
    ],
}


def test_the_owner_logs_a_review_with_action_items(partner_api, world):
    response = partner_api.post(f"{API}/reviews/", REVIEW)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["overall"] == "4.00" and body["author"] == "paul"
    assert body["action_items"][0]["description"] == "Joint webinar"
    # The next review defaults to the gold tier's cadence after this one.
    review = PartnerReview.objects.get(pk=body["id"])
    assert review.next_review_on > review.reviewed_on


def test_a_review_is_sent_as_json_which_alone_carries_its_action_items(partner_api, world):
    """A form encoding dropped the action items without a word: refused (415)."""
    fields = {k: v for k, v in REVIEW.items() if k != "action_items"}
    fields["action_items"] = '[{"description": "Joint webinar"}]'
    before = PartnerReview.objects.count()
    for fmt in ("multipart", None):
        kwargs = {"format": fmt} if fmt else {"content_type": "application/x-www-form-urlencoded"}
        data = fields if fmt else "&".join(f"{k}={v}" for k, v in fields.items())
        response = partner_api.post(f"{API}/reviews/", data, **kwargs)
        assert response.status_code == 415, response.content
    assert PartnerReview.objects.count() == before


def test_a_score_outside_1_to_5_is_refused_under_its_field(partner_api, world):
    response = partner_api.post(f"{API}/reviews/", {**REVIEW, "score_sales": 6})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["score_sales"]


def test_a_second_review_of_the_same_quarter_is_refused_under_its_period(partner_api, world):
    assert partner_api.post(f"{API}/reviews/", REVIEW).status_code == 201
    response = partner_api.post(f"{API}/reviews/", {**REVIEW, "reviewed_on": "2025-07-06"})
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert list(errors) == ["period_start"]
    assert "already has a review of 2025-04-01 to 2025-06-30" in str(errors["period_start"])
    assert PartnerReview.objects.filter(period_start="2025-04-01").count() == 1


def test_the_author_edits_a_review_within_seven_days(partner_api, world):
    review = world["review"]  # written by Paul just now
    response = partner_api.patch(
        f"{API}/reviews/{review.pk}/", {"strengths": "Great quarter", "score_sales": 5}
    )
    assert response.status_code == 200, response.json()
    review.refresh_from_db()
    assert review.strengths == "Great quarter" and review.overall == Decimal("4.20")
    # Action items not sent are kept.
    assert review.action_items.count() == 1


def test_after_seven_days_only_an_administrator_edits_a_review(partner_api, admin_api, world):
    review = world["review"]
    PartnerReview.objects.filter(pk=review.pk).update(created_at=timezone.now() - timedelta(days=8))
    refused = partner_api.patch(f"{API}/reviews/{review.pk}/", {"strengths": "Rewritten"})
    assert refused.status_code == 403
    allowed = admin_api.patch(f"{API}/reviews/{review.pk}/", {"strengths": "Corrected"})
    assert allowed.status_code == 200
    review.refresh_from_db()
    assert review.strengths == "Corrected"


def test_someone_elses_review_is_not_theirs_to_edit(marketing_api, world):
    response = marketing_api.patch(f"{API}/reviews/{world['review'].pk}/", {"strengths": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("who", REFUSED)
def test_reviews_of_someone_elses_partner_are_refused(who, request, world):
    api = request.getfixturevalue(who)
    expected = _status(who)
    assert api.post(f"{API}/reviews/", REVIEW).status_code in (expected, 400)
    assert api.patch(f"{API}/reviews/{world['review'].pk}/", {"strengths": "x"}).status_code == (
        expected
    )
    assert PartnerReview.objects.count() == 1


def test_the_review_list_costs_the_same_queries_for_1_or_10(viewer_api, world):
    viewer_api.get(f"{API}/reviews/")
    with CaptureQueriesContext(connection) as one:
        viewer_api.get(f"{API}/reviews/")
    for _ in range(9):
        ReviewFactory(partner=world["partner"])
    with CaptureQueriesContext(connection) as ten:
        assert viewer_api.get(f"{API}/reviews/").json()["count"] == 10
    assert len(ten) == len(one)


@pytest.mark.parametrize(
    ("path", "key"),
    [("contacts", "contact"), ("contracts", "contract"), ("interactions", "interaction")],
)
def test_a_viewer_reads_each_kept_object_by_id(viewer_api, world, path, key):
    obj = world[key]
    body = viewer_api.get(f"{API}/{path}/{obj.pk}/").json()
    assert body["id"] == obj.pk and body["partner"] == "nordlicht"
    assert viewer_api.get(f"{API}/{path}/999999/").status_code == 404


def test_a_viewer_reads_a_review_with_its_edit_window(viewer_api, world):
    review = world["review"]
    body = viewer_api.get(f"{API}/reviews/{review.pk}/").json()
    assert body["overall"] == "4.00" and body["author"] == "paul"
    assert body["action_items"] == [
        {
            "description": "Send the co-marketing plan",
            "owner": "Paul",
            "due_on": "2025-05-01",
            "done_on": None,
        }
    ]
    assert body["editable_until"] > body["created_at"]


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("contacts", lambda partner: ContactFactory(partner=partner)),
        ("contracts", lambda partner: ContractFactory(partner=partner)),
        ("interactions", lambda partner: InteractionFactory(partner=partner)),
    ],
)
def test_kept_object_lists_cost_the_same_queries_for_few_or_many(viewer_api, world, path, make):
    viewer_api.get(f"{API}/{path}/")
    with CaptureQueriesContext(connection) as few:
        count = viewer_api.get(f"{API}/{path}/").json()["count"]
    for _ in range(8):
        make(PartnerFactory(channel=world["partner"].channel))
    with CaptureQueriesContext(connection) as many:
        assert viewer_api.get(f"{API}/{path}/").json()["count"] == count + 8
    assert len(many) == len(few)


def test_flags_name_each_kind_once_with_their_details(viewer_api, world):
    from partners.attention.models import PartnerFlag

    partner = world["partner"]
    for object_id, day in ((1, "2025-03-10"), (2, "2025-02-01")):
        PartnerFlag.objects.create(
            partner=partner, kind="follow_up_overdue", object_id=object_id,
            message=f"Follow-up {object_id} overdue", due_on=day, raised_on="2025-03-11",
        )  # fmt: skip
    body = viewer_api.get(f"{API}/partners/{partner.slug}/").json()
    assert body["flags"] == ["follow_up_overdue"]
    assert [(f["message"], f["due_on"]) for f in body["flag_details"]] == [
        ("Follow-up 2 overdue", "2025-02-01"),
        ("Follow-up 1 overdue", "2025-03-10"),
    ]
