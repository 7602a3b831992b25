"""Issue 19, item 2: a party to a conflict cannot close it alone.

Only the case's owner or a marketing manager resolves, dismisses or hands a
case over; the managers of the partners in it still work on it (notes,
status, what it is about). Dismissing emails every party, and a detected case
is never owned by one of the parties' managers.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from channelhub.lib.roles import MARKETING_MANAGER
from partners.conflicts.models import ConflictCase
from partners.conflicts.services import default_conflict_owner
from tests.auth import signed_in_client
from tests.factories import ChannelFactory, ConflictCaseFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel_owner(db):
    return UserFactory(username="olga", role=MARKETING_MANAGER)


@pytest.fixture
def case(partner_user, other_partner_user, channel_owner):
    """A deal overlap between Paul's partner and Petra's, owned by Paul."""
    channel = ChannelFactory(slug="resellers", route="indirect", owner=channel_owner)
    pauls = PartnerFactory(channel=channel, manager=partner_user, name="Acme")
    petras = PartnerFactory(channel=channel, manager=other_partner_user, name="Globex")
    return ConflictCaseFactory(
        kind=ConflictCase.Kind.DEAL_OVERLAP,
        partners=[pauls, petras],
        owner=partner_user,
        title="Deal overlap: Initech",
    )


def _detected_owner(*partners: Any) -> Any:
    return default_conflict_owner(partners)


DISMISS = {"status": "dismissed", "resolution": "Not a conflict"}


def _state(case: ConflictCase) -> tuple:
    return ConflictCase.objects.filter(pk=case.pk).values_list(
        "status", "owner_id", "closed_at", "resolution"
    )[0]


def test_a_party_who_does_not_own_the_case_cannot_dismiss_it(case, other_partner_user):
    """The report: Petra dismissed the overlap between her partner and Paul's."""
    petra = signed_in_client(other_partner_user)
    url = reverse("partners:conflict-close", args=[case.pk])
    before = _state(case)
    assert petra.get(url).status_code == 403
    assert petra.post(url, DISMISS).status_code == 403
    assert petra.post(url, {**DISMISS, "status": "resolved"}).status_code == 403
    assert _state(case) == before
    # She still works on it: a note is not a decision.
    note = reverse("partners:conflict-note", args=[case.pk])
    assert petra.post(note, {"body": "We met them first"}).status_code == 302
    page = petra.get(case.get_absolute_url())
    assert url not in page.text  # no "Resolve or dismiss" button she cannot use


def test_a_party_who_does_not_own_the_case_cannot_hand_it_over(case, other_partner_user):
    petra = signed_in_client(other_partner_user)
    url = reverse("partners:conflict-edit", args=[case.pk])
    data = {
        "kind": "deal_overlap",
        "title": "Deal overlap: Initech",
        "severity": "low",
        "owner": other_partner_user.pk,
        "partners": list(case.partners.values_list("pk", flat=True)),
    }
    response = petra.post(url, data)
    assert response.status_code in (200, 302)
    case.refresh_from_db()
    assert case.owner.username == "paul"
    assert case.severity == "low"  # what the case is about, she may still edit


def test_the_owner_and_a_marketing_manager_close_and_hand_over(
    case, partner_client, marketing_client, marketing_user
):
    close = reverse("partners:conflict-close", args=[case.pk])
    assert partner_client.post(close, {**DISMISS, "status": "resolved"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved"
    case.status, case.closed_at = "open", None
    case.save()
    edit = reverse("partners:conflict-edit", args=[case.pk])
    data = {
        "kind": "deal_overlap",
        "title": case.title,
        "severity": "medium",
        "owner": marketing_user.pk,
        "partners": list(case.partners.values_list("pk", flat=True)),
    }
    assert partner_client.post(edit, data).status_code == 302  # the owner hands it over
    case.refresh_from_db()
    assert case.owner == marketing_user
    assert marketing_client.post(close, DISMISS).status_code == 302
    case.refresh_from_db()
    assert case.status == "dismissed"


def test_dismissing_a_case_emails_every_party(
    case, marketing_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = marketing_client.post(
            reverse("partners:conflict-close", args=[case.pk]), DISMISS
        )
    assert response.status_code == 302
    recipients = sorted(address for message in mail.outbox for address in message.to)
    # Both partners' managers (Paul also owns it), the channel's owner; not
    # Maria, who dismissed it.
    assert recipients == ["olga@example.com", "paul@example.com", "petra@example.com"]
    petras = next(m for m in mail.outbox if m.to == ["petra@example.com"])
    assert "dismissed" in petras.subject and "Not a conflict" in petras.body
    assert f"/partners/conflicts/{case.pk}/" in petras.body


def test_a_detected_case_is_never_owned_by_a_party_s_manager(
    partner_user, other_partner_user, marketing_user
):
    channel = ChannelFactory(slug="no-owner", route="indirect", owner=None)
    pauls = PartnerFactory(channel=channel, manager=partner_user)
    petras = PartnerFactory(channel=channel, manager=other_partner_user)
    # No channel owner: a marketing manager decides, not Paul or Petra.
    assert _detected_owner(pauls, petras) == marketing_user


def test_a_detected_case_without_any_neutral_owner_stays_unowned(partner_user, other_partner_user):
    channel = ChannelFactory(slug="no-owner", route="indirect", owner=None)
    pauls = PartnerFactory(channel=channel, manager=partner_user)
    petras = PartnerFactory(channel=channel, manager=other_partner_user)
    assert _detected_owner(pauls, petras) is None  # only marketing managers close it


def test_a_channel_owner_who_manages_a_party_does_not_own_its_case(
    partner_user, other_partner_user, marketing_user
):
    channel = ChannelFactory(slug="pauls-channel", route="indirect", owner=partner_user)
    pauls = PartnerFactory(channel=channel, manager=partner_user)
    petras = PartnerFactory(channel=channel, manager=other_partner_user)
    assert _detected_owner(pauls, petras) == marketing_user


def _edit_data(case: ConflictCase, partners: list[int]) -> dict[str, Any]:
    return {
        "kind": "deal_overlap",
        "title": case.title,
        "severity": "low",
        "owner": case.owner_id,
        "partners": partners,
    }


def test_a_party_cannot_take_another_managers_partner_off_the_case(case, other_partner_user):
    """The report: Paul dropped Petra's partner from a case he did not own,
    which locked her out of it; the timeline said only "Severity"."""
    case.owner = UserFactory(username="owen", role=MARKETING_MANAGER)
    case.save()
    paul = signed_in_client(case.partners.get(name="Acme").manager)
    acme = case.partners.get(name="Acme")
    response = paul.post(
        reverse("partners:conflict-edit", args=[case.pk]), _edit_data(case, [acme.pk])
    )
    assert response.status_code == 200
    (error,) = response.context["form"].errors["partners"]
    name = other_partner_user.get_full_name()
    assert f"take another manager's partner off the case: Globex ({name}'s partner)." in error
    assert set(case.partners.values_list("name", flat=True)) == {"Acme", "Globex"}
    case.refresh_from_db()
    assert case.severity != "low"  # nothing of the edit was saved


def test_the_owner_takes_a_partner_off_and_the_timeline_says_so(case, partner_client):
    globex = case.partners.get(name="Globex")
    other = PartnerFactory(channel=globex.channel, manager=globex.manager, name="Initrode")
    response = partner_client.post(
        reverse("partners:conflict-edit", args=[case.pk]),
        _edit_data(case, [case.partners.get(name="Acme").pk, other.pk]),
    )
    assert response.status_code == 302  # Paul owns the case: he decides who is in it
    assert set(case.partners.values_list("name", flat=True)) == {"Acme", "Initrode"}
    bodies = " ".join(case.notes.values_list("body", flat=True))
    assert "Partners: added Initrode; taken off Globex." in bodies
