"""Every write a partner user makes in the portal lands in the audit trail (a
history row with the partner user as its author) and on their partner's log
inside (an interaction of kind "Portal activity"), where the partner manager
reads it; never on another partner's log."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from channelhub.lib.roles import PARTNER_MANAGER
from partners.models import ContractAcknowledgement as Acknowledgement
from partners.models import (
    DealRegistration,
    Interaction,
    MdfClaim,
    ReviewActionItem,
    TrainingCompletion,
)
from tests.auth import signed_in_client
from tests.documents import pdf_bytes
from tests.factories import (
    ActionItemFactory,
    ContractFactory,
    EnrollmentFactory,
    IncentiveProgramFactory,
    PartnerFactory,
    ReviewFactory,
    TrainingModuleFactory,
    UserFactory,
    make_partner_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    paul = UserFactory(username="paul", role=PARTNER_MANAGER)
    acme = PartnerFactory(name="Acme Resellers", slug="acme", manager=paul)
    globex = PartnerFactory(name="Globex Trading", slug="globex", channel=acme.channel)
    fund = IncentiveProgramFactory(
        name="Co-marketing fund", channel=acme.channel, mdf_allocation=Decimal("1000")
    )
    EnrollmentFactory(program=fund, partner=acme)
    review = ReviewFactory(partner=acme, author=paul)
    return {
        "paul": paul,
        "acme": acme,
        "globex": globex,
        "fund": fund,
        "action": ActionItemFactory(review=review, description="Send the Q3 forecast"),
        "module": TrainingModuleFactory(name="Selling our desks"),
        "contract": ContractFactory(partner=acme),
        "alice": make_partner_user(acme, "alice", name="Alice Acme"),
    }


def _do_every_portal_write(client, world):
    today = timezone.localdate()
    client.post(
        reverse("portal:deal-create"),
        {
            "customer_name": "Initech AG",
            "country": "DE",
            "estimated_value": "40000",
            "expected_close_on": (today + timedelta(days=30)).isoformat(),
        },
    )
    action = world["action"].pk
    client.post(reverse("portal:action-done", args=[action]), {f"{action}-note": "Sent"})
    client.post(
        reverse("portal:claim-create", args=[world["fund"].pk]),
        {
            "activity_date": (today - timedelta(days=3)).isoformat(),
            "amount": "250",
            "description": "Trade fair booth",
            "proof": SimpleUploadedFile("invoice.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    client.post(
        reverse("portal:training"),
        {"module": world["module"].pk, "completed_on": today.isoformat()},
    )
    client.post(
        reverse("portal:contract-acknowledge", args=[world["contract"].pk]),
        {"terms_as_of": world["contract"].updated_at.isoformat()},
    )
    client.post(reverse("portal:messages"), {"body": "Hello Paul"})


def test_every_portal_write_is_in_the_audit_trail_with_the_partner_user_as_author(world):
    alice = world["alice"]

    _do_every_portal_write(signed_in_client(alice), world)

    deal = DealRegistration.objects.get(customer_name="Initech AG")
    claim = MdfClaim.objects.get()
    completion = TrainingCompletion.objects.get()
    acknowledgement = Acknowledgement.objects.get()
    item = ReviewActionItem.objects.get(pk=world["action"].pk)
    for obj, kind in [
        (deal, "+"),
        (claim, "+"),
        (completion, "+"),
        (acknowledgement, "+"),
        (item, "~"),
        (world["acme"].portal_messages.get(), "+"),
    ]:
        records = list(obj.history.order_by("history_date", "history_id"))
        name = type(obj).__name__
        assert records, f"{name} has no history"
        assert records[-1].history_user == alice, name
        assert any(r.history_type == kind and r.history_user == alice for r in records), name
    assert item.history.latest().done_note == "Sent"


def test_the_partner_manager_reads_the_portal_activity_on_the_partners_log(world):
    _do_every_portal_write(signed_in_client(world["alice"]), world)

    logged = world["acme"].interactions.filter(kind=Interaction.Kind.IN_PORTAL)
    summaries = " ".join(logged.values_list("summary", flat=True))
    assert logged.count() == 5
    for words in (
        "registered a deal in the portal: Initech AG",
        "marked an action item",
        "Send the Q3 forecast",
        "filed a fund claim in the portal: 250.00 from Co-marketing fund",
        "completed “Selling our desks”",
        "acknowledged the terms",
    ):
        assert words in summaries
    assert all(i.logged_by == world["alice"] for i in logged)
    assert not world["globex"].interactions.exists()

    paul = signed_in_client(world["paul"])
    page = paul.get(reverse("partners:interactions", args=["acme"]) + "?kind=portal")
    assert page.status_code == 200
    assert "Initech AG" in page.text and "Hello Paul" in page.text
    assert page.text.count("Portal activity") >= 5


def test_portal_activity_on_the_log_cannot_be_edited_inside(world):
    _do_every_portal_write(signed_in_client(world["alice"]), world)
    entry = world["acme"].interactions.filter(kind=Interaction.Kind.IN_PORTAL).first()
    before = entry.summary

    response = signed_in_client(world["paul"]).post(
        reverse("partners:interaction-edit", args=[entry.pk]),
        {"kind": "call", "occurred_on": entry.occurred_on.isoformat(), "summary": "Rewritten"},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("partners:interactions", args=["acme"]), 302)]
    assert "cannot be edited" in response.text
    entry.refresh_from_db()
    assert entry.summary == before and entry.kind == Interaction.Kind.IN_PORTAL
