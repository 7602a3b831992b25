"""Work lists across partners: reviews due, follow-ups, contracts and
certifications expiring.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from channelhub.lib.views import AuthedRequest, paginate, role_required
from partners.activity import selectors as activity_selectors
from partners.contracts import selectors as contracts_selectors
from partners.directory import selectors as directory_selectors
from partners.directory.views import _manager_scope, _managers
from partners.enablement import selectors as enablement_selectors


def _work_list_context(request: AuthedRequest) -> dict[str, Any]:
    manager, selected = _manager_scope(request)
    partners = directory_selectors.managed_by(
        directory_selectors.visible_partners(user=request.user), manager
    )
    return {
        "today": timezone.localdate(),
        "partners_scope": partners,
        "manager": manager,
        "selected_manager": selected,
        "managers": _managers(),
    }


@role_required
def reviews_due(request: AuthedRequest) -> HttpResponse:
    context = _work_list_context(request)
    due = list(
        activity_selectors.reviews_due(partners=context["partners_scope"], today=context["today"])
    )
    return render(
        request,
        "partners/reviews_due.html",
        {
            **context,
            "due": due,
            "overdue_count": sum(
                1 for p in due if p.next_review_on and p.next_review_on < context["today"]
            ),
        },
    )


@role_required
def follow_ups(request: AuthedRequest) -> HttpResponse:
    context = _work_list_context(request)
    overdue = activity_selectors.follow_ups_overdue(
        partners=context["partners_scope"], today=context["today"]
    )
    page = paginate(request, overdue)
    return render(
        request,
        "partners/follow_ups.html",
        {
            **context,
            "page": page,
            "interactions": page.object_list,
            "here": request.get_full_path(),
        },
    )


@role_required
def expiring(request: AuthedRequest) -> HttpResponse:
    context = _work_list_context(request)
    scope, today = context["partners_scope"], context["today"]
    return render(
        request,
        "partners/expiring.html",
        {
            **context,
            "contracts": list(contracts_selectors.contracts_ending(partners=scope, today=today)),
            "uncovered": list(
                contracts_selectors.partners_without_valid_contract(partners=scope, today=today)
            ),
            "attestations": list(
                contracts_selectors.attestations_expired(partners=scope, today=today)
            ),
            "certifications": list(
                enablement_selectors.certifications_expiring(partners=scope, today=today)
            ),
            "contract_days": contracts_selectors.CONTRACT_ENDING_DAYS,
            "certification_days": enablement_selectors.CERTIFICATION_EXPIRING_DAYS,
        },
    )
