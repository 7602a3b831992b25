"""Inviting a partner's contact to the portal: the one-time link, its expiry,
its single use, the password the invitee chooses, and who may invite."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from channelhub.lib.ratelimit import RateLimited
from channelhub.lib.roles import PARTNER_MANAGER, PARTNER_USER, VIEWER
from partners.access import services
from partners.access.models import PortalAccount, PortalInvitation
from partners.directory.models import Partner
from tests.auth import password_login, signed_in_client
from tests.factories import ContactFactory, PartnerFactory, UserFactory
from tests.test_authorization_audit import database_state

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Blue-lantern-1987"
User = get_user_model()


@pytest.fixture
def paul():
    return UserFactory(username="paul", first_name="Paul", role=PARTNER_MANAGER)


@pytest.fixture
def contact(paul):
    partner = PartnerFactory(name="Acme Resellers", slug="acme", manager=paul)
    return ContactFactory(partner=partner, name="Alice Example", email="Alice@Acme.example")


def _invite(contact, paul, capture):
    with capture(execute=True):
        invitation, link = services.invitation_send(
            contact=contact, invited_by=paul, base_url="https://hub.example/"
        )
    return invitation, link


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def _accept(link: str, password: str = NEW_PASSWORD, second: str | None = None):
    return Client().post(
        link.replace("https://hub.example", ""),
        {"password1": password, "password2": second or password},
    )


def test_the_invitation_emails_a_one_time_link_and_stores_only_its_hash(
    contact, paul, django_capture_on_commit_callbacks
):
    invitation, link = _invite(contact, paul, django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [["Alice@Acme.example"]]
    assert link in mail.outbox[0].body
    assert "alice@acme.example" in mail.outbox[0].body  # the username to come
    token = _token(link)
    assert len(token) >= 40
    assert invitation.token_hash != token and token not in invitation.token_hash
    assert invitation.token_hash == services.hash_invitation_token(token)
    assert invitation.expires_at > timezone.now() + timedelta(days=6)


def test_accepting_creates_a_partner_user_of_the_contacts_partner(
    contact, paul, django_capture_on_commit_callbacks
):
    invitation, link = _invite(contact, paul, django_capture_on_commit_callbacks)

    page = Client().get(link.replace("https://hub.example", ""))
    assert page.status_code == 200 and "Acme Resellers" in page.text
    response = _accept(link)

    assert response.status_code == 302 and response["Location"] == reverse("login")
    user = User.objects.get(username="alice@acme.example")
    assert list(user.groups.values_list("name", flat=True)) == [PARTNER_USER]
    assert not user.is_staff and not user.is_superuser
    account = PortalAccount.objects.get(user=user)
    assert account.contact == contact and account.partner == contact.partner
    assert account.invited_by == paul
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    # The password chosen signs in, and lands in the portal.
    client = Client()
    assert password_login(client, "alice@acme.example", NEW_PASSWORD)
    assert client.get("/")["Location"] == reverse("portal:home")


def test_a_used_invitation_does_not_work_again(contact, paul, django_capture_on_commit_callbacks):
    _invitation, link = _invite(contact, paul, django_capture_on_commit_callbacks)
    assert _accept(link).status_code == 302
    before = database_state()

    again = _accept(link, password="Another-password-42")

    assert again.status_code == 404
    assert "already been used" in again.text
    assert database_state() == before


def test_an_expired_invitation_does_not_work(contact, paul, django_capture_on_commit_callbacks):
    invitation, link = _invite(contact, paul, django_capture_on_commit_callbacks)
    PortalInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    before = database_state()

    response = _accept(link)

    assert response.status_code == 404 and "has expired" in response.text
    assert database_state() == before
    assert not User.objects.filter(username="alice@acme.example").exists()


def test_a_made_up_link_does_not_work():
    response = Client().post(
        reverse("portal:accept", kwargs={"token": "x" * 43}),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 404 and "not valid" in response.text
    assert not PortalAccount.objects.exists()


def test_a_new_invitation_replaces_the_earlier_link(
    contact, paul, django_capture_on_commit_callbacks
):
    _first, old_link = _invite(contact, paul, django_capture_on_commit_callbacks)
    _second, new_link = _invite(contact, paul, django_capture_on_commit_callbacks)

    assert _accept(old_link).status_code == 404
    assert _accept(new_link).status_code == 302


def test_a_weak_password_is_refused_next_to_the_field(
    contact, paul, django_capture_on_commit_callbacks
):
    _invitation, link = _invite(contact, paul, django_capture_on_commit_callbacks)

    weak = _accept(link, password="123")
    differ = _accept(link, password=NEW_PASSWORD, second=NEW_PASSWORD + "x")

    assert weak.status_code == 200 and weak.context["form"].errors["password1"]
    assert differ.status_code == 200 and differ.context["form"].errors["password2"]
    assert not PortalAccount.objects.exists()
    assert _accept(link).status_code == 302  # the link still works


def test_a_link_stops_working_when_the_contact_leaves(
    contact, paul, django_capture_on_commit_callbacks
):
    _invitation, link = _invite(contact, paul, django_capture_on_commit_callbacks)
    contact.is_active = False
    contact.save()

    assert _accept(link).status_code == 404
    assert not PortalAccount.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": ""}, "no email address"),
        ({"is_active": False}, "no longer works"),
    ],
)
def test_who_cannot_be_invited(contact, paul, change, message):
    for field, value in change.items():
        setattr(contact, field, value)
    contact.save()

    with pytest.raises(ValidationError, match=message):
        services.invitation_send(contact=contact, invited_by=paul, base_url="https://hub.example/")
    assert not PortalInvitation.objects.exists()


def test_an_offboarded_partners_contacts_cannot_be_invited(contact, paul):
    Partner.objects.filter(pk=contact.partner_id).update(status=Partner.Status.OFFBOARDED)
    contact.refresh_from_db()

    with pytest.raises(ValidationError, match="offboarded"):
        services.invitation_send(contact=contact, invited_by=paul, base_url="https://hub.example/")


@override_settings(RATE_LIMITS={"invitation": "2/hour", "invitation_accept": "20/hour"})
def test_invitations_are_rate_limited_per_inviter(paul):
    from django.core.cache import cache

    cache.clear()
    contacts = [ContactFactory(partner=PartnerFactory(manager=paul)) for _ in range(3)]
    for contact in contacts[:2]:
        services.invitation_send(contact=contact, invited_by=paul, base_url="https://hub.example/")

    with pytest.raises(RateLimited):
        services.invitation_send(
            contact=contacts[2], invited_by=paul, base_url="https://hub.example/"
        )
    assert PortalInvitation.objects.count() == 2


# --- the invite button on the partner page -----------------------------------------------


def test_the_partners_manager_invites_from_the_partner_page(
    contact, paul, django_capture_on_commit_callbacks
):
    client = signed_in_client(paul)
    page = client.get(contact.partner.get_absolute_url())
    assert "Invite to portal" in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partners:contact-invite", args=[contact.pk]), follow=True)

    assert "Invitation sent to Alice@Acme.example" in response.text
    assert PortalInvitation.objects.get().contact == contact
    assert len(mail.outbox) == 1
    assert "invited, link not used yet" in response.text


@pytest.mark.parametrize("who", ["another partner manager", "viewer"])
def test_only_who_may_change_the_partner_invites(contact, who):
    user = (
        UserFactory(username="petra", role=PARTNER_MANAGER)
        if who == "another partner manager"
        else UserFactory(username="vera", role=VIEWER)
    )
    before = database_state()

    response = signed_in_client(user).post(reverse("partners:contact-invite", args=[contact.pk]))

    assert response.status_code == 403
    assert database_state() == before
    assert mail.outbox == []


def test_a_partner_user_cannot_invite_anyone(contact):
    from tests.factories import make_partner_user

    alice = make_partner_user(contact.partner, "alice-user")
    other = ContactFactory(partner=contact.partner)
    before = database_state()

    response = signed_in_client(alice).post(reverse("partners:contact-invite", args=[other.pk]))

    assert response.status_code == 403
    assert database_state() == before


def test_accept_link_tokens_never_reach_the_request_log(contact, paul, caplog):
    _invitation, link = services.invitation_send(
        contact=contact, invited_by=paul, base_url="https://hub.example/"
    )
    token = _token(link)
    with caplog.at_level("INFO", logger="channelhub.request"):
        Client().get(link.replace("https://hub.example", ""))

    paths = [r.path for r in caplog.records if hasattr(r, "path")]
    assert any(p.startswith("/portal/invitation/") for p in paths), paths
    assert not any(token in p for p in paths)


def test_an_address_that_already_signs_in_for_another_partner_is_not_invited(
    contact, paul, django_capture_on_commit_callbacks
):
    """The report: Axel's address, added as a contact of a competing partner and
    invited, became a second portal account, for the other partner."""
    _, link = _invite(contact, paul, django_capture_on_commit_callbacks)
    assert _accept(link).status_code == 302
    rival = PartnerFactory(name="Globex", slug="globex", manager=paul)
    same = ContactFactory(partner=rival, name="Alice Again", email="ALICE@acme.example")
    with pytest.raises(ValidationError, match="already signs in to the partner portal for Acme"):
        services.invitation_send(contact=same, invited_by=paul, base_url="https://hub.example/")
    # Nor the address of one of our own accounts.
    inside = ContactFactory(partner=rival, name="Paul Inside", email=paul.email.upper())
    with pytest.raises(ValidationError, match="one of our own accounts"):
        services.invitation_send(contact=inside, invited_by=paul, base_url="https://hub.example/")
    assert PortalInvitation.objects.filter(contact__partner=rival).count() == 0


def test_a_portal_user_signs_in_with_their_address_in_any_capitals(
    contact, paul, django_capture_on_commit_callbacks
):
    _, link = _invite(contact, paul, django_capture_on_commit_callbacks)
    assert _accept(link).status_code == 302
    client = Client()
    response = client.post(
        reverse("login"), {"username": "Alice@ACME.example", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200
    other = Client()
    wrong = other.post(reverse("login"), {"username": "Alice@ACME.example", "password": "x"})
    assert wrong.status_code == 200 and "_auth_user_id" not in other.session
