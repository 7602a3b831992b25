"""The partner portal seen from inside: a partner manager invites a contact
and answers the partner's messages. The portal itself (what partner users
see) is channelhub/portal, above the KPI engine."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channelhub.lib.documents import download_response
from channelhub.lib.ratelimit import RateLimited
from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, role_required
from partners.directory.selectors import (
    contact_queryset,
    partner_detail_queryset,
    visible_partners,
)
from partners.enablement.models import TrainingCompletion
from partners.incentives.models import MdfClaim

from . import selectors, services
from .forms import MessageForm


@require_POST
@role_required
def contact_invite(request: AuthedRequest, pk: int) -> HttpResponse:
    """Email a contact a one-time link to the partner portal."""
    contact = get_for_user(
        request, contact_queryset(user=request.user), "partners.invite_partnercontact", pk=pk
    )
    try:
        services.invitation_send(
            contact=contact, invited_by=request.user, base_url=request.build_absolute_uri("/")
        )
    except ValidationError as exc:
        messages.error(request, "Not invited: " + " ".join(exc.messages))
    except RateLimited as exc:
        minutes = max(1, round(exc.retry_after / 60))
        messages.error(
            request, f"Invitation limit reached. Try again in about {minutes} minute(s)."
        )
    else:
        messages.success(
            request,
            f"Invitation sent to {contact.email}: the link works once, for "
            f"{services.INVITATION_DAYS} days.",
        )
    return redirect(f"{contact.partner.get_absolute_url()}#contacts")


@role_required
def portal_messages(request: AuthedRequest, slug: str) -> HttpResponse:
    """The partner's portal thread; whoever may change the partner answers."""
    partner = get_for_user(
        request,
        partner_detail_queryset(user=request.user),
        "partners.view_portalmessage",
        slug=slug,
    )
    can_write = request.user.has_perm("partners.add_portalmessage", partner)
    form = MessageForm(request.POST or None)
    if request.method == "POST":
        check_perm(request, "partners.add_portalmessage", partner)
        if form.is_valid():
            try:
                services.message_send(
                    partner=partner,
                    sender=request.user,
                    body=form.cleaned_data["body"],
                    base_url=request.build_absolute_uri("/"),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Message sent to {partner.name}.")
                return redirect("partners:portal-messages", slug=partner.slug)
    return render(
        request,
        "partners/portal_messages.html",
        {
            "partner": partner,
            "thread": list(selectors.portal_messages(partner=partner)),
            "form": form,
            "can_write": can_write,
            "accounts": list(selectors.portal_accounts(partner=partner)),
        },
    )


def claim_proof_response(claim: MdfClaim) -> HttpResponse:
    """A claim's proof as a download that no browser runs (the portal uses it too)."""
    if not claim.proof:
        raise Http404("This claim has no proof attached.")
    return upload_response(claim.proof, name=claim.proof_name or "proof", kind=claim.proof_type)


def upload_response(file: Any, *, name: str, kind: str) -> HttpResponse:
    """An uploaded file as a download that no browser runs."""
    return download_response(file, name=name, kind=kind)


@role_required
def claim_proof(request: AuthedRequest, pk: int) -> HttpResponse:
    """The proof a partner attached to a fund claim, for whoever sees the partner.
    Uploads live under MEDIA_ROOT, which no URL serves."""
    claim = get_for_user(
        request,
        MdfClaim.objects.filter(partner__in=visible_partners(user=request.user)),
        "partners.view_mdfclaim_proof",
        pk=pk,
    )
    return claim_proof_response(claim)


@role_required
def training_certificate(request: AuthedRequest, pk: int) -> HttpResponse:
    """The certificate a partner user uploaded with a training completion in
    the portal, for whoever sees the partner."""
    completion = get_for_user(
        request,
        TrainingCompletion.objects.filter(contact__partner__in=visible_partners(user=request.user)),
        "partners.view_training_certificate",
        pk=pk,
    )
    if not completion.certificate:
        raise Http404("This completion has no certificate.")
    return upload_response(
        completion.certificate,
        name=completion.certificate_name or "certificate",
        kind=completion.certificate_type,
    )
