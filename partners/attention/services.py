"""The daily job's work: flag what needs a manager, then remind each manager.

Flags are recomputed from the data as a whole set (selectors hold the rules),
then reconciled with the stored rows: a flag that still holds is left as it
is, a new one is inserted, one that no longer holds is deleted. So a second
run on the same day changes nothing, and a worker killed half way leaves
either the old set or the new one (one transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from channelhub.lib.roles import runs_channels_or_partners
from partners.activity import selectors as activity_selectors
from partners.contracts import selectors as contracts_selectors
from partners.directory.models import Partner
from partners.enablement import selectors as enablement_selectors

from .models import PartnerFlag, ReminderLog

K = PartnerFlag.Kind


FlagKey = tuple[str, int, int]  # kind, partner id, object id


@dataclass(frozen=True)
class FlagsResult:
    raised: int
    cleared: int
    kept: int

    @property
    def total(self) -> int:
        return self.raised + self.kept


def flags_compute(*, partners: QuerySet[Partner], today: date) -> dict[FlagKey, dict[str, Any]]:
    """Every flag that holds on `today` for these partners: key -> message, due date."""
    flags: dict[FlagKey, dict[str, Any]] = {}
    for partner in activity_selectors.reviews_overdue(partners=partners, today=today):
        assert partner.next_review_on is not None
        days = (today - partner.next_review_on).days
        flags[(K.REVIEW_OVERDUE, partner.pk, 0)] = {
            "message": f"Review overdue by {days} day{'s' if days != 1 else ''}",
            "due_on": partner.next_review_on,
        }
    for contract in contracts_selectors.contracts_ending(partners=partners, today=today):
        assert contract.end_on is not None
        renew = " (renews automatically)" if contract.auto_renew else ""
        flags[(K.CONTRACT_EXPIRING, contract.partner_id, contract.pk)] = {
            "message": f"{contract.get_kind_display()} ends on {contract.end_on:%Y-%m-%d}{renew}",
            "due_on": contract.end_on,
        }
    for partner in contracts_selectors.partners_without_valid_contract(
        partners=partners, today=today
    ):
        flags[(K.NO_VALID_CONTRACT, partner.pk, 0)] = {
            "message": "Active without a valid contract",
            "due_on": None,
        }
    for cert in enablement_selectors.certifications_expiring(partners=partners, today=today):
        flags[(K.CERTIFICATION_EXPIRING, cert.contact.partner_id, cert.pk)] = {
            "message": f"{cert.contact.name}: {cert.name} expires on {cert.expires_on:%Y-%m-%d}",
            "due_on": cert.expires_on,
        }
    for attestation in contracts_selectors.attestations_expired(partners=partners, today=today):
        contract = attestation.contract
        flags[(K.ATTESTATION_EXPIRED, contract.partner_id, attestation.pk)] = {
            "message": (
                f"{attestation.get_kind_display()} attestation for the "
                f"{contract.get_kind_display()} expired on {attestation.expires_on:%Y-%m-%d}"
            )[:300],
            "due_on": attestation.expires_on,
        }
    for interaction in activity_selectors.follow_ups_overdue(partners=partners, today=today):
        flags[(K.FOLLOW_UP_OVERDUE, interaction.partner_id, interaction.pk)] = {
            "message": (
                f"Follow-up due {interaction.follow_up_on:%Y-%m-%d}: {interaction.next_step}"
            )[:300],
            "due_on": interaction.follow_up_on,
        }
    return flags


@transaction.atomic
def partner_flags_refresh(*, today: date, partner: Partner | None = None) -> FlagsResult:
    """Reconcile stored flags with what holds today (for one partner, or all)."""
    partners = Partner.objects.all() if partner is None else Partner.objects.filter(pk=partner.pk)
    wanted = flags_compute(partners=partners, today=today)
    stored = PartnerFlag.objects.select_for_update()
    if partner is not None:
        stored = stored.filter(partner=partner)
    existing = {(f.kind, f.partner_id, f.object_id): f for f in stored}
    stale = [f.pk for key, f in existing.items() if key not in wanted]
    PartnerFlag.objects.filter(pk__in=stale).delete()
    kept = 0
    changed = []
    for key, values in wanted.items():
        flag = existing.get(key)
        if flag is None:
            continue
        kept += 1
        if flag.message != values["message"] or flag.due_on != values["due_on"]:
            flag.message, flag.due_on = values["message"], values["due_on"]
            changed.append(flag)
    PartnerFlag.objects.bulk_update(changed, ["message", "due_on"])
    new = [
        PartnerFlag(
            kind=kind, partner_id=partner_id, object_id=object_id, raised_on=today, **values
        )
        for (kind, partner_id, object_id), values in wanted.items()
        if (kind, partner_id, object_id) not in existing
    ]
    PartnerFlag.objects.bulk_create(new)
    return FlagsResult(raised=len(new), cleared=len(stale), kept=kept)


def refresh_partner_flags_soon(partner: Partner) -> None:
    """After a write that may raise or clear a flag, refresh that partner's
    flags once the write commits (the page then shows the truth at once).

    A transaction that writes one partner many times (a review with its
    scores, the demo) refreshes it once: a refresh that started after a write
    on this connection has seen that write, so the later callbacks skip. The
    clock lives on the connection (one per thread), never shared between
    connections: another connection's refresh may predate our commit.
    """
    clock = transaction.get_connection().__dict__.setdefault(
        "_partner_flags_clock", {"now": 0, "refreshed": {}}
    )
    clock["now"] += 1
    written = clock["now"]

    def refresh() -> None:
        if clock["refreshed"].get(partner.pk, 0) > written:
            return
        clock["now"] += 1
        clock["refreshed"][partner.pk] = clock["now"]
        partner_flags_refresh(today=timezone.localdate(), partner=partner)

    transaction.on_commit(refresh)


def reminders_send(*, today: date) -> int:
    """Email every manager with flagged partners one digest a day; returns emails sent.

    The day's row in ReminderLog is claimed before sending, so a job that runs
    twice (or two workers at once) sends each manager at most one email.
    """
    User = get_user_model()
    flags = (
        PartnerFlag.objects.filter(partner__manager__isnull=False, partner__manager__is_active=True)
        .exclude(partner__status=Partner.Status.OFFBOARDED)
        .select_related("partner")
        .order_by("partner__manager_id", "due_on", "kind", "pk")
    )
    by_manager: dict[int, list[PartnerFlag]] = {}
    for flag in flags:
        assert flag.partner.manager_id is not None
        by_manager.setdefault(flag.partner.manager_id, []).append(flag)
    sent = 0
    # Only people who still manage partners (a role taken away stops them).
    managers = User.objects.filter(runs_channels_or_partners(), pk__in=by_manager, email__gt="")
    for manager in managers.distinct().order_by("pk"):
        items = by_manager[manager.pk]
        # No request in a job: SITE_URL (no trailing slash) makes links absolute.
        context = {
            "manager": manager,
            "items": [(flag, settings.SITE_URL + flag.get_absolute_url()) for flag in items],
            "count": len(items),
            "home_url": settings.SITE_URL + reverse("home"),
            "today": today,
        }
        try:
            # The claim and the email succeed or fail together: if the mail
            # server refuses, the claim rolls back and the next run retries.
            with transaction.atomic():
                ReminderLog.objects.create(recipient=manager, sent_on=today, item_count=len(items))
                send_mail(
                    subject=f"ChannelHub: {len(items)} partner "
                    f"item{'s' if len(items) != 1 else ''} need you",
                    message=render_to_string("partners/reminder_email.txt", context),
                    from_email=None,
                    recipient_list=[manager.email],
                )
        except IntegrityError:
            continue  # already reminded today
        sent += 1
    return sent


def partner_daily_run(*, today: date) -> tuple[FlagsResult, int]:
    """The daily job: refresh every flag, then send the day's reminders."""
    result = partner_flags_refresh(today=today)
    return result, reminders_send(today=today)


def _on_partner_attention_changed(sender: Any, *, partner: Partner, **kwargs: Any) -> None:
    refresh_partner_flags_soon(partner)
