"""The tier rules' writes: the daily evaluation that proposes promotions and
demotions, and the partner manager's decision on a proposal.

The evaluation is idempotent and safe twice at once: it runs under one
advisory lock (a second run waits, then finds the proposals already as they
should be), keeps at most one open proposal per partner (a unique
constraint), refreshes an open one in place and closes one that no longer
applies. A partner whose figures cannot be read is logged and skipped; the
others are still evaluated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from channelhub.lib.locks import advisory_xact_lock
from partners.directory.models import Partner, Tier
from partners.directory.selectors import ACTIVE_STATUSES
from partners.directory.services import partner_update

from .models import TierProposal
from .selectors import Standing, meets, requirements, standings

log = logging.getLogger(__name__)

# The advisory lock of the evaluation (any constant unique in the project).
TIER_RULES_LOCK = 0x7431_4552
# A dismissed proposal is not made again for this long (the same move).
DISMISSED_QUIET_DAYS = 30


@dataclass
class TierRunResult:
    proposed: int = 0
    refreshed: int = 0
    lapsed: int = 0
    failed: int = 0


def _target(partner: Partner, tiers: list[Tier], standing: Standing) -> tuple[str, Tier] | None:
    """The move the rules propose for the partner, or None."""
    qualified = [t for t in tiers if meets(tier=t, standing=standing)]
    best = max(qualified, key=lambda t: t.rank) if qualified else None
    current = partner.tier
    if best is not None and (current is None or best.rank > current.rank):
        return TierProposal.Kind.PROMOTION, best
    if (
        current is not None
        and current.has_requirements
        and not meets(tier=current, standing=standing)
    ):
        lower = [t for t in tiers if t.rank < current.rank]
        to = best or (lower[-1] if lower else None)
        if to is not None and to.rank < current.rank:
            return TierProposal.Kind.DEMOTION, to
    return None


def _reasons(tier: Tier, standing: Standing) -> str:
    lines = [
        f"{r.label}: {r.has} (needed {r.needed}){'' if r.met else ' — not met'}"
        for r in requirements(tier=tier, standing=standing)
    ]
    return "\n".join(lines) or f"{tier.name} sets no requirement."


def _reasons_for(kind: str, partner: Partner, to: Tier, standing: Standing) -> str:
    if kind == TierProposal.Kind.PROMOTION:
        return f"Meets every requirement of {to.name}:\n" + _reasons(to, standing)
    current = partner.tier
    assert current is not None
    return f"No longer meets {current.name}:\n" + _reasons(current, standing)


@transaction.atomic
def tier_proposals_refresh(*, today: date) -> TierRunResult:
    """Evaluate every active partner against the tier requirements."""
    advisory_xact_lock(TIER_RULES_LOCK)
    result = TierRunResult()
    tiers = list(Tier.objects.order_by("rank", "name"))
    if not any(t.has_requirements for t in tiers):
        lapsed = TierProposal.objects.filter(status=TierProposal.Status.OPEN).update(
            status=TierProposal.Status.LAPSED
        )
        result.lapsed = lapsed
        return result
    partners = list(Partner.objects.filter(status__in=ACTIVE_STATUSES).select_related("tier"))
    figures = standings(partners=partners, tiers=tiers, today=today)
    open_ones = {
        p.partner_id: p
        for p in TierProposal.objects.select_for_update().filter(status=TierProposal.Status.OPEN)
    }
    quiet_since = timezone.now() - timedelta(days=DISMISSED_QUIET_DAYS)
    dismissed = set(
        TierProposal.objects.filter(
            status=TierProposal.Status.DISMISSED, decided_at__gte=quiet_since
        ).values_list("partner_id", "to_tier_id")
    )
    seen = set()
    for partner in partners:
        seen.add(partner.pk)
        try:
            with transaction.atomic():
                move = _target(partner, tiers, figures[partner.pk])
                current = open_ones.get(partner.pk)
                if move is None or (partner.pk, move[1].pk) in dismissed:
                    if current is not None:
                        current.status = TierProposal.Status.LAPSED
                        current.save(update_fields=["status"])
                        result.lapsed += 1
                    continue
                kind, to = move
                reasons = _reasons_for(kind, partner, to, figures[partner.pk])
                if current is not None and current.to_tier_id == to.pk:
                    current.reasons, current.evaluated_on = reasons, today
                    current.save(update_fields=["reasons", "evaluated_on"])
                    result.refreshed += 1
                    continue
                if current is not None:
                    current.status = TierProposal.Status.LAPSED
                    current.save(update_fields=["status"])
                    result.lapsed += 1
                proposal = TierProposal(
                    partner=partner,
                    kind=kind,
                    from_tier=partner.tier,
                    to_tier=to,
                    reasons=reasons,
                    evaluated_on=today,
                )
                proposal.full_clean()
                proposal.save()
                result.proposed += 1
        except Exception:  # one bad partner never stops the others
            log.exception("tier rules: partner %s could not be evaluated", partner.pk)
            result.failed += 1
    # Partners no longer active keep no open proposal.
    for partner_id, proposal in open_ones.items():
        if partner_id not in seen:
            proposal.status = TierProposal.Status.LAPSED
            proposal.save(update_fields=["status"])
            result.lapsed += 1
    return result


@transaction.atomic
def tier_proposal_decide(
    *, proposal: TierProposal, confirm: bool, by: User, note: str = ""
) -> TierProposal:
    """Confirm (the partner moves to the proposed tier) or dismiss a proposal."""
    locked = TierProposal.objects.select_for_update().select_related("partner").get(pk=proposal.pk)
    if locked.status != TierProposal.Status.OPEN:
        raise ValidationError("This proposal is already decided or no longer applies.")
    if confirm:
        partner = Partner.objects.get(pk=locked.partner_id)
        if partner.tier_id != locked.from_tier_id:
            raise ValidationError(
                "The partner's tier changed since this proposal was made: it no longer applies."
            )
        partner_update(partner=partner, data={"tier": locked.to_tier}, changed_by=by)
    locked.status = TierProposal.Status.CONFIRMED if confirm else TierProposal.Status.DISMISSED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_note = note.strip()[:300]
    locked.full_clean()
    locked.save()
    return locked
