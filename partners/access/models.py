"""Partner users: people at a partner who sign in to the partner portal.

A `PortalAccount` ties one user to one contact of one partner: the account
works only while the user, the contact and the partner are all active
(checked on every request by the portal's middleware). A `PortalInvitation`
is the one-time link a partner manager emails to a contact; only a keyed hash
of its token is stored. A `PortalMessage` is one message of the thread
between the partner and its partner manager; each is also an interaction on
the partner's log. A `ContractAcknowledgement` records that a partner user
acknowledged a contract's terms as they stood at that moment.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from partners.activity.models import Interaction
from partners.contracts.models import Contract
from partners.directory.models import Partner, PartnerContact

# An invitation link works this long, once.
INVITATION_DAYS = 7

# Partners in these statuses keep their portal: an offboarded partner's
# accounts are shut (and open again if the partner is reactivated).
PORTAL_CLOSED_STATUSES = (Partner.Status.OFFBOARDED,)


def default_invitation_expiry() -> object:
    return timezone.now() + timedelta(days=INVITATION_DAYS)


class PortalAccount(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="portal_accounts")
    contact = models.OneToOneField(
        PartnerContact, on_delete=models.CASCADE, related_name="portal_account"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "contact__name"]

    def __str__(self) -> str:
        return f"{self.contact.name} ({self.partner}) portal account"

    @property
    def is_open(self) -> bool:
        """May this account use the portal now? (user, contact and partner active)"""
        return (
            self.user.is_active
            and self.contact.is_active
            and self.contact.partner_id == self.partner_id
            and self.partner.status not in PORTAL_CLOSED_STATUSES
        )


class PortalInvitation(models.Model):
    contact = models.ForeignKey(
        PartnerContact, on_delete=models.CASCADE, related_name="portal_invitations"
    )
    email = models.EmailField()
    # HMAC-SHA256 of the token, keyed with SECRET_KEY: the link itself is
    # never stored, and a copy of the table alone cannot forge one.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(default=default_invitation_expiry)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Portal invitation for {self.email}"

    def is_usable(self, now: object | None = None) -> bool:
        moment = now or timezone.now()
        return self.used_at is None and self.revoked_at is None and self.expires_at > moment  # type: ignore[operator]


class PortalMessage(models.Model):
    class Direction(models.TextChoices):
        FROM_PARTNER = "from_partner", "From the partner"
        TO_PARTNER = "to_partner", "To the partner"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="portal_messages")
    direction = models.CharField(max_length=12, choices=Direction.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=4000)
    # The same message on the partner's log inside.
    interaction = models.OneToOneField(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="portal_message"
    )
    created_at = models.DateTimeField(default=timezone.now)

    # The audit trail (channelhub/history.py): written in the partner portal too.
    history = HistoricalRecords()

    class Meta:
        ordering = ["partner", "created_at", "pk"]
        indexes = [models.Index(fields=["partner", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=["from_partner", "to_partner"]),
                name="portal_message_direction_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.partner} on {self.created_at:%Y-%m-%d}"


class ContractAcknowledgement(models.Model):
    """A partner user acknowledged a contract's terms in the portal.

    `terms_as_of` is the contract's last change when it was acknowledged: a
    later change (new terms, a new document) needs a new acknowledgement, and
    each version is acknowledged once.
    """

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, kept when the user is gone: "Alice Example (alice@partner.example)".
    name = models.CharField(max_length=300)
    terms_as_of = models.DateTimeField()
    acknowledged_at = models.DateTimeField(default=timezone.now)

    # The audit trail (channelhub/history.py): written in the partner portal too.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-acknowledged_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "terms_as_of"],
                name="contract_terms_acknowledged_once",
                violation_error_message="These terms are already acknowledged.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract} acknowledged by {self.name} on {self.acknowledged_at:%Y-%m-%d}"
