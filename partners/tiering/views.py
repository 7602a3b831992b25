"""Tier proposals inside: the daily tier rules' promotions and demotions, for
the partner's manager to confirm or dismiss."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, get_for_user, paginate, role_required
from partners.directory.models import Tier

from . import selectors, services
from .models import TierProposal


@role_required
def proposal_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status") or TierProposal.Status.OPEN
    if status not in TierProposal.Status.values:
        status = TierProposal.Status.OPEN
    page = paginate(request, selectors.tier_proposals(user=request.user, status=status))
    proposals = list(page.object_list)
    return render(
        request,
        "partners/tier_proposals.html",
        {
            "page": page,
            "rows": [
                (p, request.user.has_perm("partners.change_tierproposal", p)) for p in proposals
            ],
            "status": status,
            "statuses": TierProposal.Status.choices,
            "tiers": list(Tier.objects.order_by("rank", "name")),
        },
    )


@require_POST
@role_required
def proposal_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    proposal = get_for_user(
        request,
        selectors.tier_proposals(user=request.user),
        "partners.change_tierproposal",
        pk=pk,
    )
    decision = request.POST.get("decision")
    if decision not in ("confirm", "dismiss"):
        messages.error(request, "Choose Confirm or Dismiss.")
        return redirect("partners:tier-proposals")
    try:
        services.tier_proposal_decide(
            proposal=proposal,
            confirm=decision == "confirm",
            by=request.user,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, "Not decided: " + " ".join(exc.messages))
    else:
        if decision == "confirm":
            messages.success(
                request, f"{proposal.partner.name} is now in the {proposal.to_tier.name} tier."
            )
        else:
            messages.success(request, f"Proposal for {proposal.partner.name} dismissed.")
    return redirect("partners:tier-proposals")
