"""Reads for the partner portal, every one limited to one partner: the portal's
views pass the signed-in partner user's partner and nothing else, so another
partner's object is simply not in the queryset (404)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet

from channels_app.models import LibraryItem
from partners.activity.models import PartnerReview, ReviewActionItem
from partners.contracts.models import Contract
from partners.contracts.selectors import attestations_expired
from partners.deals.models import DealRegistration
from partners.directory.models import Partner, PartnerContact, Tier
from partners.enablement.models import Certification, TrainingCompletion, TrainingModule
from partners.enablement.selectors import CERTIFICATION_EXPIRING_DAYS
from partners.incentives.models import IncentiveProgram, MdfClaim
from partners.incentives.selectors import (
    mdf_funds_left,
    mdf_period_label,
    partner_incentives,
)

from .models import ContractAcknowledgement, PortalAccount, PortalInvitation, PortalMessage


def portal_account_for(*, user: Any) -> PortalAccount | None:
    """The user's portal account with its partner and contact (one query)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        PortalAccount.objects.select_related("user", "partner", "partner__tier", "contact")
        .filter(user_id=user.pk)
        .first()
    )


def portal_deals(*, partner: Partner) -> QuerySet[DealRegistration]:
    return DealRegistration.objects.filter(partner=partner).order_by("-submitted_on", "-pk")


def portal_open_action_items(*, partner: Partner) -> QuerySet[ReviewActionItem]:
    return (
        ReviewActionItem.objects.filter(review__partner=partner, done_on__isnull=True)
        .select_related("review")
        .order_by("due_on", "pk")
    )


def portal_messages(*, partner: Partner) -> QuerySet[PortalMessage]:
    return (
        PortalMessage.objects.filter(partner=partner)
        .select_related("sender")
        .order_by("created_at", "pk")
    )


def next_tier(*, partner: Partner) -> Tier | None:
    """The tier above the partner's (the lowest one when it has none)."""
    tiers = Tier.objects.order_by("rank", "name")
    if partner.tier is None:
        return tiers.first()
    return tiers.filter(rank__gt=partner.tier.rank).first()


def portal_home(*, partner: Partner, today: date) -> dict[str, Any]:
    """What the portal's home page shows: a fixed number of queries."""
    last_review = (
        PartnerReview.objects.filter(partner=partner).order_by("-reviewed_on", "-pk").first()
    )
    return {
        "next_tier": next_tier(partner=partner),
        "last_review": last_review,
        "action_items": list(portal_open_action_items(partner=partner)),
        "certifications": list(
            Certification.objects.filter(contact__partner=partner)
            .select_related("contact")
            .order_by("expires_on", "name")
        ),
        "contracts": list(
            Contract.objects.filter(partner=partner).order_by("end_on", "start_on", "pk")
        ),
        "open_deals": portal_deals(partner=partner)
        .filter(status__in=DealRegistration.ACTIVE_STATUSES, expires_on__gte=today)
        .count(),
    }


def portal_accounts(*, partner: Partner) -> QuerySet[PortalAccount]:
    """The partner's portal accounts, for the partner page inside (who signed in when)."""
    return PortalAccount.objects.filter(partner=partner).select_related(
        "user", "contact", "partner"
    )


def pending_invitations(*, partner: Partner, now: Any) -> QuerySet[PortalInvitation]:
    return PortalInvitation.objects.filter(
        contact__partner=partner, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).select_related("contact")


def portal_funds(*, partner: Partner) -> QuerySet[IncentiveProgram]:
    """The market development funds the partner is enrolled in."""
    return (
        IncentiveProgram.objects.filter(
            kind=IncentiveProgram.Kind.MDF, enrollments__partner=partner
        )
        .distinct()
        .order_by("name", "pk")
    )


def portal_fund_rows(*, partner: Partner, today: date) -> list[dict[str, Any]]:
    """Each fund with what is left for the partner in today's period (one
    query per fund: a partner is enrolled in a handful)."""
    return [
        {
            "program": program,
            "period": mdf_period_label(program, today),
            "left": mdf_funds_left(program=program, day=today, partner_ids=[partner.pk]).get(
                partner.pk
            ),
        }
        for program in portal_funds(partner=partner)
    ]


def portal_claims(*, partner: Partner) -> QuerySet[MdfClaim]:
    return MdfClaim.objects.filter(partner=partner).select_related("program")


def portal_training(*, contact: PartnerContact, today: date) -> dict[str, list[dict[str, Any]]]:
    """The programme's active training modules for one person: what is due
    (never completed, or its certification expired or expiring within
    CERTIFICATION_EXPIRING_DAYS) and what is done. Three queries."""
    completions: dict[int, TrainingCompletion] = {}
    for each in portal_completions(contact=contact):
        completions.setdefault(each.module_id, each)  # the latest first
    certifications = {
        c.module_id: c for c in Certification.objects.filter(contact=contact, module__isnull=False)
    }
    soon = today + timedelta(days=CERTIFICATION_EXPIRING_DAYS)
    due: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    for module in TrainingModule.objects.filter(is_active=True).order_by("name", "pk"):
        completion = completions.get(module.pk)
        certification = certifications.get(module.pk)
        row: dict[str, Any] = {
            "module": module,
            "completion": completion,
            "certification": certification,
        }
        if completion is None:
            row["why"] = "Not completed yet"
            due.append(row)
        elif module.certification_valid_days and (
            certification is None
            or (certification.expires_on is not None and certification.expires_on <= soon)
        ):
            expired = certification is None or (
                certification.expires_on is not None and certification.expires_on < today
            )
            row["why"] = "Certification expired" if expired else "Certification expiring soon"
            due.append(row)
        else:
            done.append(row)
    return {"due": due, "done": done}


def portal_completions(*, contact: PartnerContact) -> QuerySet[TrainingCompletion]:
    """One person's training completions, the latest first."""
    return (
        TrainingCompletion.objects.filter(contact=contact)
        .select_related("module")
        .order_by("-completed_on", "-pk")
    )


def portal_partner_completions(*, partner: Partner) -> QuerySet[TrainingCompletion]:
    """The completions of the partner's people (the certificate download checks it)."""
    return TrainingCompletion.objects.filter(contact__partner=partner)


def portal_contracts(*, partner: Partner) -> QuerySet[Contract]:
    """The partner's contracts with what their pages show (a fixed number of queries)."""
    return (
        Contract.objects.filter(partner=partner)
        .prefetch_related("exclusive_territories", "attestations", "acknowledgements")
        .order_by("-start_on", "-pk")
    )


def current_acknowledgement(contract: Contract) -> ContractAcknowledgement | None:
    """The acknowledgement of the contract's terms as they stand now, if any
    (from the prefetched acknowledgements when there are)."""
    for acknowledgement in contract.acknowledgements.all():
        if acknowledgement.terms_as_of == contract.updated_at:
            return acknowledgement
    return None


def contract_rows(*, contracts: list[Contract], today: date) -> list[dict[str, Any]]:
    """Each contract with its state today, its current acknowledgement and its
    compliance attestations past their expiry (one query for all)."""
    expired = set(
        attestations_expired(
            partners=Partner.objects.filter(pk__in={c.partner_id for c in contracts}), today=today
        ).values_list("pk", flat=True)
    )
    rows = []
    for contract in contracts:
        if contract.end_on is not None and contract.end_on < today:
            state = "ended"
        elif contract.start_on > today:
            state = "upcoming"
        else:
            state = "in force"
        rows.append(
            {
                "contract": contract,
                "state": state,
                "acknowledgement": current_acknowledgement(contract),
                "expired_attestation_ids": expired,
                "earlier": [
                    a
                    for a in contract.acknowledgements.all()
                    if a.terms_as_of != contract.updated_at
                ][:1],
            }
        )
    return rows


def portal_library(*, partner: Partner) -> QuerySet[LibraryItem]:
    """The brand library of the channel the partner sells through: items still
    offered (not withdrawn), each with its current version."""
    return (
        LibraryItem.objects.filter(
            channel_id=partner.channel_id, withdrawn_at__isnull=True, current__isnull=False
        )
        .select_related("current")
        .order_by("kind", "title", "pk")
    )


def portal_programs(*, partner: Partner) -> list[dict[str, Any]]:
    """The programmes the partner is enrolled in, with accrued and paid totals
    (the partner page's own read: partners.incentives.selectors)."""
    return partner_incentives(partner=partner)
