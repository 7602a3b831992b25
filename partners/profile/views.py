"""The partner page: everything kept about one partner, from every sub-domain."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from channelhub.lib.views import AuthedRequest, get_for_user, role_required
from partners.access import selectors as access_selectors
from partners.activity import selectors as activity_selectors
from partners.activity import services as activity_services
from partners.activity.charts import build_review_score_figure
from partners.contracts import selectors as contracts_selectors
from partners.contracts.models import Contract
from partners.directory import selectors as directory_selectors
from partners.directory import services as directory_services
from partners.directory.forms import (
    OnboardingStepForm,
    StatusForm,
)
from partners.directory.models import Partner
from partners.directory.selectors import partner_detail_queryset
from partners.enablement import selectors as enablement_selectors
from partners.extensions import partner_page
from partners.incentives import selectors as incentives_selectors

from . import selectors


def _with_acknowledgements(contracts: Iterable[Contract]) -> list[Contract]:
    """The contracts, each with the partner's acknowledgement of its current
    terms in the portal (`portal_acknowledgement`, None when not acknowledged)."""
    rows = list(contracts)
    for contract in rows:
        contract.portal_acknowledgement = access_selectors.current_acknowledgement(contract)  # type: ignore[attr-defined]
    return rows


@role_required
def partner_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request, partner_detail_queryset(user=request.user), "partners.view_partner", slug=slug
    )
    today = timezone.localdate()
    only = Partner.objects.filter(pk=partner.pk)
    reviews = list(activity_selectors.review_list(partner=partner))
    figure = build_review_score_figure(
        activity_selectors.review_score_frame(partner=partner), title="Review score trend"
    )
    contacts = list(
        partner.contacts.prefetch_related(
            "certifications", "training_completions__module"
        ).order_by("-is_primary", "name")
    )
    percent = directory_selectors.onboarding_percent(partner)
    context = {
        "partner": partner,
        "today": today,
        "can_edit": request.user.has_perm("partners.change_partner", partner),
        "scorecard": selectors.partner_scorecard(partner=partner, today=today),
        "incentives": incentives_selectors.partner_incentives(partner=partner),
        "flags": list(partner.flags.order_by("due_on", "kind")),
        "territories": list(partner.territories.all()),
        "status_history": list(partner.status_changes.select_related("changed_by")),
        "status_form": StatusForm(allowed=directory_services.STATUS_TRANSITIONS[partner.status]),
        "contacts": contacts,
        "onboarding_steps": list(partner.onboarding_steps.select_related("done_by")),
        "onboarding_percent": percent,
        # Every step done: the page suggests activating the partner.
        "ready_to_activate": partner.status == Partner.Status.ONBOARDING
        and percent == 100
        and Partner.Status.ACTIVE in directory_services.STATUS_TRANSITIONS[partner.status],
        "review_cadence_days": activity_services.review_cadence_days(partner),
        "step_form": OnboardingStepForm(),
        "contracts": _with_acknowledgements(
            partner.contracts.prefetch_related(
                "attestations", "exclusive_territories", "acknowledgements"
            )
        ),
        "interactions": list(
            partner.interactions.select_related("logged_by").prefetch_related("contacts")[:8]
        ),
        "interaction_count": partner.interactions.count(),
        "ending_contract_ids": set(
            contracts_selectors.contracts_ending(partners=only, today=today).values_list(
                "pk", flat=True
            )
        ),
        # The latest attestation of each policy on a contract in force, past its expiry.
        "expired_attestation_ids": set(
            contracts_selectors.attestations_expired(partners=only, today=today).values_list(
                "pk", flat=True
            )
        ),
        "expiring_cert_ids": set(
            enablement_selectors.certifications_expiring(partners=only, today=today).values_list(
                "pk", flat=True
            )
        ),
        # Who of the partner's people uses the partner portal.
        "portal_accounts": {
            a.contact_id: a for a in access_selectors.portal_accounts(partner=partner)
        },
        "invited_contact_ids": set(
            access_selectors.pending_invitations(partner=partner, now=timezone.now()).values_list(
                "contact_id", flat=True
            )
        ),
        "reviews": reviews,
        "figure": json.loads(figure.to_json()) if reviews else None,
        # The partner's sales, from the KPI engine.
        **partner_page.context(partner=partner),
    }
    return render(request, "partners/partner_detail.html", context)
