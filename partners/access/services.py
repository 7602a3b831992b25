"""Writes of partner users: invitations, accepting one, messages, action items.

An invitation is a random token mailed once; only its keyed hash is stored, it
expires after INVITATION_DAYS and works once. Accepting it creates a user with
the *partner user* role and the account that ties it to the contact and its
partner, in one transaction, with the invitation row locked so that two
clicks on the same link cannot make two accounts.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from channelhub.lib import ratelimit
from channelhub.lib.roles import PARTNER_USER
from partners.activity.models import Interaction, ReviewActionItem
from partners.activity.services import action_item_set_done, interaction_create
from partners.contracts.documents import check_document
from partners.contracts.models import Contract
from partners.deals.models import DealRegistration
from partners.deals.services import deal_register
from partners.directory.models import Partner, PartnerContact
from partners.enablement.models import TrainingCompletion, TrainingModule
from partners.enablement.services import training_completion_record
from partners.incentives.models import IncentiveProgram, MdfClaim
from partners.incentives.services import claim_check, claim_submit

from .models import (
    INVITATION_DAYS,
    PORTAL_CLOSED_STATUSES,
    ContractAcknowledgement,
    PortalAccount,
    PortalInvitation,
    PortalMessage,
)

_HASH_SALT = "channelhub.portal.invitation"


def hash_invitation_token(raw: str) -> str:
    return salted_hmac(_HASH_SALT, raw, algorithm="sha256").hexdigest()


def _check_can_be_invited(contact: PartnerContact) -> None:
    if not contact.email:
        raise ValidationError(f"{contact.name} has no email address: add one first.")
    if not contact.is_active:
        raise ValidationError(f"{contact.name} no longer works with the partner.")
    if contact.partner.status in PORTAL_CLOSED_STATUSES:
        raise ValidationError(f"{contact.partner.name} is offboarded: no portal access.")
    if PortalAccount.objects.filter(contact=contact).exists():
        raise ValidationError(f"{contact.name} already has a portal account.")
    # One person, one portal account: an address that already signs in for
    # another partner (or inside) would give its owner a second account.
    email = contact.email.strip()
    taken = (
        PortalAccount.objects.select_related("partner")
        .filter(Q(user__email__iexact=email) | Q(user__username__iexact=email))
        .first()
    )
    if taken is not None:
        raise ValidationError(
            f"{email} already signs in to the partner portal for {taken.partner.name}: "
            "a person has one portal account. Use another address for this contact."
        )
    if get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
        raise ValidationError(
            f"{email} is the address of one of our own accounts: it cannot sign in to "
            "the partner portal too. Use another address for this contact."
        )


@transaction.atomic
def invitation_send(
    *, contact: PartnerContact, invited_by: User, base_url: str
) -> tuple[PortalInvitation, str]:
    """Email `contact` a one-time link to the partner portal.

    Earlier unused links of the contact stop working. Returns the invitation
    and the link (shown to nobody: the email carries it). RateLimited when the
    inviting user is over RATE_LIMITS["invitation"].
    """
    _check_can_be_invited(contact)
    ratelimit.hit("invitation", invited_by.pk)
    now = timezone.now()
    PortalInvitation.objects.filter(
        contact=contact, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    raw = secrets.token_urlsafe(32)
    invitation = PortalInvitation(
        contact=contact,
        email=contact.email,
        token_hash=hash_invitation_token(raw),
        invited_by=invited_by,
    )
    invitation.full_clean()
    invitation.save()
    link = base_url.rstrip("/") + reverse("portal:accept", kwargs={"token": raw})
    message = render_to_string(
        "portal/email/invitation.txt",
        {
            "contact": contact,
            "partner": contact.partner,
            "invited_by": invited_by,
            "link": link,
            "days": INVITATION_DAYS,
        },
    )
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Your {contact.partner.name} partner portal invitation",
            message=message,
            from_email=None,
            recipient_list=[contact.email],
        )
    )
    return invitation, link


def invitation_for_token(raw: str) -> PortalInvitation | None:
    """The invitation a link carries (usable or not), or None for a made-up link."""
    if not raw or len(raw) > 100:
        return None
    return (
        PortalInvitation.objects.select_related("contact__partner")
        .filter(token_hash=hash_invitation_token(raw))
        .first()
    )


def invitation_problem(invitation: PortalInvitation | None) -> str | None:
    """Why a link cannot be used (in words for the invitee), or None."""
    if invitation is None:
        return "This invitation link is not valid. Ask your partner manager for a new one."
    if invitation.used_at is not None:
        return "This invitation link has already been used. Sign in, or ask for a new one."
    if invitation.revoked_at is not None:
        return "A newer invitation replaced this one: use the link in the latest email."
    if invitation.expires_at <= timezone.now():
        return "This invitation link has expired. Ask your partner manager for a new one."
    contact = invitation.contact
    if not contact.is_active or contact.partner.status in PORTAL_CLOSED_STATUSES:
        return "This invitation is no longer valid. Ask your partner manager."
    return None


@transaction.atomic
def invitation_accept(*, raw_token: str, password: str) -> User:
    """Create the partner user an invitation is for, with the password chosen.

    The username is the invited email address. ValidationError (with the
    field it is about) when the link cannot be used or the password is weak.
    """
    found = invitation_for_token(raw_token)
    # Locked: a double click or a replayed request waits here and then sees it used.
    invitation = (
        PortalInvitation.objects.select_for_update()
        .select_related("contact__partner")
        .filter(pk=found.pk)
        .first()
        if found
        else None
    )
    problem = invitation_problem(invitation)
    if problem or invitation is None:
        raise ValidationError(problem or "")
    contact = invitation.contact
    if PortalAccount.objects.filter(contact=contact).exists():
        raise ValidationError(f"{contact.name} already has a portal account. Sign in.")
    UserModel = get_user_model()
    username = invitation.email.strip().lower()
    if UserModel.objects.filter(Q(username__iexact=username) | Q(email__iexact=username)).exists():
        raise ValidationError(
            "An account already uses this email address. Ask your partner manager."
        )
    user = UserModel(
        username=username,
        email=invitation.email,
        first_name=contact.name.split(" ")[0][:150],
        last_name=" ".join(contact.name.split(" ")[1:])[:150],
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from None
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=PARTNER_USER)[0])
    account = PortalAccount(
        user=user, partner=contact.partner, contact=contact, invited_by=invitation.invited_by
    )
    account.full_clean()
    account.save()
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    portal_activity_log(
        account=account,
        summary=f"accepted the portal invitation and chose a password ({username}).",
    )
    return user


# --- the message thread -----------------------------------------------------------------


def _notify(*, subject: str, template: str, context: dict[str, object], to: list[str]) -> None:
    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    body = render_to_string(template, context)
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)
    )


def portal_activity_log(*, account: PortalAccount, summary: str) -> Interaction:
    """Put what a partner user did in the portal on their partner's log inside
    (kind "Portal activity", with the person and the day), so the partner
    manager sees it with the calls and meetings. The write itself is also in
    the audit trail: its model keeps a history with the partner user as author."""
    user = account.user
    who = account.contact.name or user.get_full_name() or user.get_username()
    return interaction_create(
        partner=account.partner,
        kind=Interaction.Kind.IN_PORTAL,
        occurred_on=timezone.localdate(),
        summary=f"{who} {summary}"[:5000],
        contacts=[account.contact],
        logged_by=user,
    )


@transaction.atomic
def deal_register_by_partner(*, account: PortalAccount, **fields: Any) -> DealRegistration:
    """A partner user registers a deal for their own partner: the same service
    (and overlap rules) as inside, then the log entry."""
    deal = deal_register(partner=account.partner, registered_by=account.user, **fields)
    portal_activity_log(
        account=account,
        summary=(
            f"registered a deal in the portal: {deal.customer_name} ({deal.country}), "
            f"estimated {deal.estimated_value:,.2f}, expected to close "
            f"{deal.expected_close_on:%Y-%m-%d}."
        ),
    )
    return deal


# The same message by the same person within this time is a resubmit.
RESUBMIT_WINDOW = timedelta(minutes=10)


@transaction.atomic
def message_send(
    *, partner: Partner, sender: User, body: str, base_url: str, today: date | None = None
) -> PortalMessage:
    """One message of the partner's thread, by a partner user of `partner` or by
    someone inside; also logged as an interaction, and the other side is emailed."""
    text = body.strip()
    if not text:
        raise ValidationError({"body": "Write a message first."})
    if len(text) > 4000:
        raise ValidationError({"body": "Keep a message under 4000 characters."})
    account = PortalAccount.objects.select_related("contact").filter(user=sender).first()
    if account is not None and account.partner_id != partner.pk:
        raise ValidationError("A partner user writes only in their own partner's thread.")
    # A resubmit (a slow network, a double post) of what the sender just sent
    # is the message already sent: one row, one email. The partner's row lock
    # makes two posts at once wait for each other.
    Partner.objects.select_for_update().filter(pk=partner.pk).first()
    same = (
        PortalMessage.objects.filter(
            partner=partner,
            sender=sender,
            body=text,
            created_at__gte=timezone.now() - RESUBMIT_WINDOW,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if same is not None:
        return same
    from_partner = account is not None
    who = sender.get_full_name() or sender.get_username()
    interaction = interaction_create(
        partner=partner,
        kind=Interaction.Kind.PORTAL,
        occurred_on=today or timezone.localdate(),
        summary=(
            f"Portal message from {who} ({partner.name}):\n{text}"
            if from_partner
            else f"Portal message from {who} to {partner.name}:\n{text}"
        ),
        contacts=[account.contact] if account else [],
        logged_by=sender,
    )
    message = PortalMessage(
        partner=partner,
        direction=(
            PortalMessage.Direction.FROM_PARTNER
            if from_partner
            else PortalMessage.Direction.TO_PARTNER
        ),
        sender=sender,
        body=text,
        interaction=interaction,
    )
    message.full_clean()
    message.save()
    root = base_url.rstrip("/")
    if from_partner:
        manager = partner.manager
        _notify(
            subject=f"New message from {partner.name} in the partner portal",
            template="portal/email/message_to_manager.txt",
            context={
                "message": message,
                "who": who,
                "partner": partner,
                "link": root + reverse("partners:portal-messages", kwargs={"slug": partner.slug}),
            },
            to=[manager.email] if manager and manager.is_active else [],
        )
    else:
        accounts = PortalAccount.objects.select_related("user", "contact", "partner").filter(
            partner=partner
        )
        _notify(
            subject=f"New message from {who}, your partner manager"
            if partner.manager_id == sender.pk
            else f"New message from {who}",
            template="portal/email/message_to_partner.txt",
            context={
                "message": message,
                "who": who,
                "partner": partner,
                "link": root + reverse("portal:messages"),
            },
            to=[a.user.email for a in accounts if a.is_open],
        )
    return message


@transaction.atomic
def action_item_done_by_partner(
    *, item: ReviewActionItem, account: PortalAccount, note: str
) -> ReviewActionItem:
    """A partner user ticks off one of their partner's open review action items."""
    if item.review.partner_id != account.partner_id:
        raise ValidationError("This action item belongs to another partner.")
    if item.done_on is not None:
        raise ValidationError("This action item is already done.")
    done = action_item_set_done(item=item, done=True, note=note, by=account.user)
    portal_activity_log(
        account=account,
        summary=f"marked an action item of the {item.review.reviewed_on:%Y-%m-%d} review done: "
        f"{item.description}" + (f"\nNote: {done.done_note}" if done.done_note else ""),
    )
    return done


def _on_deal_decided(sender: object, *, deal: DealRegistration, **kwargs: object) -> None:
    """Email the partner's portal users that a registration was approved or rejected.

    A decision taken in a conflict case carries the other partner's name in
    its note: then the note is left out, as on the portal's deal page.
    """
    accounts = PortalAccount.objects.select_related("user", "contact", "partner").filter(
        partner_id=deal.partner_id
    )
    recipients = [a.user.email for a in accounts if a.is_open]
    if not recipients:
        return
    _notify(
        subject=f"Your deal registration for {deal.customer_name}: {deal.get_status_display()}",
        template="portal/email/deal_decided.txt",
        context={
            "deal": deal,
            "note": "" if deal.conflicts.exists() else deal.decision_note,
            "link": settings.SITE_URL + reverse("portal:deal-detail", kwargs={"pk": deal.pk}),
        },
        to=recipients,
    )


def _on_claim_decided(sender: object, *, claim: MdfClaim, **kwargs: object) -> None:
    """Email who filed a fund claim in the portal that it was approved or rejected.

    A claim filed inside (by the partner manager), or by someone whose account
    is shut since, goes to the partner's other portal users. Only accounts
    open now are written to.
    """
    accounts = [
        a
        for a in PortalAccount.objects.select_related("user", "contact", "partner").filter(
            partner_id=claim.partner_id
        )
        if a.is_open
    ]
    filer = [a for a in accounts if a.user_id == claim.created_by_id]
    recipients = [a.user.email for a in (filer or accounts)]
    _notify(
        subject=(
            f"Your fund claim of {claim.amount:,.2f} from {claim.program.name}: "
            f"{claim.get_status_display()}"
        ),
        template="portal/email/claim_decided.txt",
        context={
            "claim": claim,
            "link": settings.SITE_URL + reverse("portal:funds") + "#claims",
        },
        to=recipients,
    )


@transaction.atomic
def claim_check_by_partner(
    *,
    account: PortalAccount,
    program: IncentiveProgram,
    activity_date: date,
    amount: Decimal,
    description: str,
) -> None:
    """The fund's rules for a partner user's claim, its proof aside: the form
    says what they break together with a missing proof, not one after the other."""
    claim_check(
        program=program,
        partner=account.partner,
        activity_date=activity_date,
        amount=amount,
        description=description,
    )


def claim_submit_by_partner(
    *,
    account: PortalAccount,
    program: IncentiveProgram,
    activity_date: date,
    amount: Decimal,
    description: str,
    proof: Any,
) -> MdfClaim:
    """A partner user claims from a fund their partner is enrolled in, with proof.

    The claim goes through the same service (and fund-left rules) as inside;
    the proof passes the same content checks as a signed contract.
    """
    if proof is None:
        raise ValidationError({"proof": "Attach the proof of the activity (invoice, photo)."})
    try:
        kind = check_document(proof)
    except ValidationError as exc:
        raise ValidationError({"proof": exc.messages}) from None
    claim = claim_submit(
        program=program,
        partner=account.partner,
        activity_date=activity_date,
        amount=amount,
        description=description,
        created_by=account.user,
    )
    claim.proof_name = PurePath(proof.name).name[:200]
    claim.proof_type = kind.content_type
    claim.proof.save(proof.name, proof, save=False)
    claim.save(update_fields=["proof", "proof_name", "proof_type"])
    portal_activity_log(
        account=account,
        summary=f"filed a fund claim in the portal: {claim.amount:,.2f} from {program.name} "
        f"for {claim.description} ({claim.activity_date:%Y-%m-%d}), with proof.",
    )
    return claim


@transaction.atomic
def training_completed_by_partner(
    *,
    account: PortalAccount,
    module: TrainingModule,
    completed_on: date,
    certificate: Any = None,
) -> TrainingCompletion:
    """A partner user records that they (their own contact) completed a module,
    with the course's certificate if they have one. Goes through the same
    service as inside: a certifying module grants or renews the person's one
    certification of its kind."""
    if not module.is_active:
        raise ValidationError({"module": "This training module is no longer offered."})
    kind = None
    if certificate is not None:
        try:
            kind = check_document(certificate)
        except ValidationError as exc:
            raise ValidationError({"certificate": exc.messages}) from None
    completion = training_completion_record(
        contact=account.contact,
        module=module,
        completed_on=completed_on,
        recorded_by=account.user,
    )
    if certificate is not None and kind is not None:
        completion.certificate_name = PurePath(certificate.name).name[:200]
        completion.certificate_type = kind.content_type
        completion.certificate.save(certificate.name, certificate, save=False)
        completion.save(update_fields=["certificate", "certificate_name", "certificate_type"])
    portal_activity_log(
        account=account,
        summary=f"recorded in the portal that they completed “{module.name}” on "
        f"{completed_on:%Y-%m-%d}" + (", with a certificate." if certificate is not None else "."),
    )
    return completion


@transaction.atomic
def contract_acknowledge(
    *, account: PortalAccount, contract: Contract, terms_as_of: Any
) -> ContractAcknowledgement:
    """A partner user acknowledges their partner's contract terms as they saw
    them (`terms_as_of`: the contract's last change shown on their page).

    Refused when the terms changed since the page was shown (they must read
    the new ones), when the contract has ended, or when these terms are
    already acknowledged (by anyone at the partner)."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.partner_id != account.partner_id:
        raise ValidationError("This contract belongs to another partner.")
    if locked.end_on is not None and locked.end_on < timezone.localdate():
        raise ValidationError("This contract has ended: there is nothing to acknowledge.")
    if terms_as_of != locked.updated_at:
        raise ValidationError(
            "The terms changed while you were reading them: read them again, then acknowledge."
        )
    held = ContractAcknowledgement.objects.filter(
        contract=locked, terms_as_of=locked.updated_at
    ).first()
    if held is not None:
        raise ValidationError(
            f"These terms were already acknowledged by {held.name} "
            f"on {timezone.localtime(held.acknowledged_at):%Y-%m-%d}."
        )
    user = account.user
    who = account.contact.name or user.get_full_name()
    acknowledgement = ContractAcknowledgement(
        contract=locked,
        user=user,
        name=f"{who} ({user.email or user.get_username()})"[:300],
        terms_as_of=locked.updated_at,
    )
    acknowledgement.full_clean()
    try:
        with transaction.atomic():
            acknowledgement.save()
    except IntegrityError:  # the same terms, acknowledged at the same moment
        raise ValidationError("These terms are already acknowledged.") from None
    portal_activity_log(
        account=account,
        summary=f"acknowledged the terms of the {locked.get_kind_display()} "
        f"(from {locked.start_on:%Y-%m-%d}) in the portal.",
    )
    return acknowledgement
