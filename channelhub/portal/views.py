"""The partner portal's pages. Every view takes the signed-in partner user's
account (set by PortalGateMiddleware, checked open on this very request) and
reads only through its partner: an object of another partner is not in the
queryset, so it answers 404 and its existence is not revealed.

Writes go through the same services as inside (deal registration with its
overlap rules and conflict cases, action items, messages).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from channelhub.lib.ratelimit import rate_limited
from channelhub.lib.security import client_ip
from channelhub.lib.views import paginate
from channelhub.metrics.display import money
from partners.access import selectors, services
from partners.access.forms import (
    AcceptInvitationForm,
    ActionItemDoneForm,
    ContractAcknowledgeForm,
    MessageForm,
    PortalClaimForm,
    PortalTrainingForm,
)
from partners.access.models import PortalAccount
from partners.access.views import claim_proof_response, upload_response
from partners.deals.forms import DealForm
from partners.deals.selectors import registered_first
from partners.deals.services import open_cases_of
from partners.tiering.selectors import next_tier_progress

from .kpi import partner_figures, rebate_progress

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


class PortalRequest(HttpRequest):
    portal_account: PortalAccount


def portal_required(view: V) -> V:
    """Signed in as a partner user whose account is open; anyone else: 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "portal_account", None) is None:
            raise PermissionDenied(
                "The partner portal is for our partners' people. Your account works inside."
            )
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _home(request: PortalRequest, *, bound: tuple[int, ActionItemDoneForm] | None = None):
    account = request.portal_account
    partner = account.partner
    today = timezone.localdate()
    data = selectors.portal_home(partner=partner, today=today)
    items = [
        (
            item,
            bound[1] if bound and bound[0] == item.pk else ActionItemDoneForm(prefix=str(item.pk)),
        )
        for item in data.pop("action_items")
    ]
    return render(
        request,
        "portal/home.html",
        {
            "account": account,
            "partner": partner,
            "today": today,
            "figures": partner_figures(partner=partner),
            "tier_progress": next_tier_progress(partner=partner, today=today),
            "action_items": items,
            **data,
        },
    )


@portal_required
def home(request: PortalRequest) -> HttpResponse:
    """The partner's scorecard: tier, sales and ROI, last review, what is open."""
    return _home(request)


@require_POST
@portal_required
def action_item_done(request: PortalRequest, pk: int) -> HttpResponse:
    partner = request.portal_account.partner
    item = get_object_or_404(selectors.portal_open_action_items(partner=partner), pk=pk)
    form = ActionItemDoneForm(request.POST, prefix=str(item.pk))
    if not form.is_valid():
        return _home(request, bound=(item.pk, form))
    try:
        services.action_item_done_by_partner(
            item=item, account=request.portal_account, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _home(request, bound=(item.pk, form))
    messages.success(request, f"Marked done: {item.description}.")
    return redirect("portal:home")


@portal_required
def deal_list(request: PortalRequest) -> HttpResponse:
    partner = request.portal_account.partner
    page = paginate(request, selectors.portal_deals(partner=partner))
    today = timezone.localdate()
    rows = [
        {"deal": deal, "protected_until": deal.expected_protection_end(today)}
        for deal in page.object_list
    ]
    return render(
        request,
        "portal/deal_list.html",
        {"partner": partner, "page": page, "rows": rows},
    )


@portal_required
@rate_limited("deal_registration")
def deal_create(request: PortalRequest) -> HttpResponse:
    """Register a deal for the partner, with the same rules as inside."""
    account = request.portal_account
    form = DealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_register_by_partner(account=account, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if open_cases_of(deal).exists():
                # Never who holds it: another partner's name is not ours to show.
                messages.warning(
                    request,
                    f"Registered, but “{deal.customer_name}” is already protected by another "
                    "registration. Yours waits while the programme team decides.",
                )
            else:
                messages.success(
                    request,
                    f"Deal for “{deal.customer_name}” registered; it waits for approval.",
                )
            return redirect("portal:deal-detail", pk=deal.pk)
    return render(request, "portal/deal_form.html", {"partner": account.partner, "form": form})


@portal_required
def deal_detail(request: PortalRequest, pk: int) -> HttpResponse:
    partner = request.portal_account.partner
    deal = get_object_or_404(selectors.portal_deals(partner=partner), pk=pk)
    conflicts = list(deal.conflicts.values_list("status", flat=True))
    return render(
        request,
        "portal/deal_detail.html",
        {
            "partner": partner,
            "deal": deal,
            "today": timezone.localdate(),
            "protected_until": deal.expected_protection_end(timezone.localdate()),
            "in_conflict": bool(conflicts),
            # This partner holds the customer: the page must not say another one does.
            "held_first": registered_first(deal),
            # A decision taken in a conflict case names the partner that keeps
            # the customer: shown only for decisions outside any case.
            "show_note": not conflicts and bool(deal.decision_note),
        },
    )


@portal_required
def message_thread(request: PortalRequest) -> HttpResponse:
    """The thread with the partner manager; each message also lands on the
    partner's log inside, and the other side gets an email."""
    account = request.portal_account
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_send(
                partner=account.partner,
                sender=account.user,
                body=form.cleaned_data["body"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Message sent.")
            return redirect("portal:messages")
    return render(
        request,
        "portal/messages.html",
        {
            "partner": account.partner,
            "thread": list(selectors.portal_messages(partner=account.partner)),
            "form": form,
        },
    )


@portal_required
def fund_list(request: PortalRequest) -> HttpResponse:
    """The partner's incentives: its programmes, rebate progress against the
    brackets, its market development funds with what is left, and its claims."""
    partner = request.portal_account.partner
    page = paginate(request, selectors.portal_claims(partner=partner))
    return render(
        request,
        "portal/funds.html",
        {
            "partner": partner,
            "rebates": rebate_progress(partner=partner, today=timezone.localdate()),
            "programs": selectors.portal_programs(partner=partner),
            "funds": selectors.portal_fund_rows(partner=partner, today=timezone.localdate()),
            "page": page,
            "claims": page.object_list,
        },
    )


@portal_required
def claim_create(request: PortalRequest, pk: int) -> HttpResponse:
    """Claim from one of the partner's funds, with proof of the activity."""
    account = request.portal_account
    program = get_object_or_404(selectors.portal_funds(partner=account.partner), pk=pk)
    form = PortalClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_submit_by_partner(
                account=account, program=program, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"Claim of {money(claim.amount)} sent: it waits for a decision."
            )
            return redirect("portal:funds")
    elif request.method == "POST" and set(form.errors) == {"proof"}:
        # Only the proof is missing or refused: say now what the fund's rules
        # say of the rest too, not after the proof is fixed.
        fields = {k: form.cleaned_data[k] for k in ("activity_date", "amount", "description")}
        try:
            services.claim_check_by_partner(account=account, program=program, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
    left = selectors.portal_fund_rows(partner=account.partner, today=timezone.localdate())
    return render(
        request,
        "portal/claim_form.html",
        {
            "partner": account.partner,
            "program": program,
            "form": form,
            "fund": next((row for row in left if row["program"].pk == program.pk), None),
        },
    )


@portal_required
def claim_proof(request: PortalRequest, pk: int) -> HttpResponse:
    """The proof of one of the partner's claims (uploads live where no URL serves them)."""
    claim = get_object_or_404(
        selectors.portal_claims(partner=request.portal_account.partner), pk=pk
    )
    return claim_proof_response(claim)


@portal_required
def training(request: PortalRequest) -> HttpResponse:
    """The programme's training for the signed-in person: what is due, what is
    done; they record a module they completed, with its certificate."""
    account = request.portal_account
    form = PortalTrainingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            completion = services.training_completed_by_partner(
                account=account, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Recorded: you completed “{completion.module.name}”.")
            return redirect("portal:training")
    today = timezone.localdate()
    return render(
        request,
        "portal/training.html",
        {
            "partner": account.partner,
            "contact": account.contact,
            "today": today,
            "form": form,
            "completions": list(selectors.portal_completions(contact=account.contact)[:50]),
            **selectors.portal_training(contact=account.contact, today=today),
        },
    )


@portal_required
def training_certificate(request: PortalRequest, pk: int) -> HttpResponse:
    """The certificate uploaded with a completion of one of the partner's people."""
    completion = get_object_or_404(
        selectors.portal_partner_completions(partner=request.portal_account.partner), pk=pk
    )
    if not completion.certificate:
        raise Http404("This completion has no certificate.")
    return upload_response(
        completion.certificate,
        name=completion.certificate_name or "certificate",
        kind=completion.certificate_type,
    )


@portal_required
def contract_list(request: PortalRequest) -> HttpResponse:
    """The partner's contracts: terms, documents, compliance attestations, and
    whether the current terms are acknowledged."""
    partner = request.portal_account.partner
    today = timezone.localdate()
    rows = selectors.contract_rows(
        contracts=list(selectors.portal_contracts(partner=partner)), today=today
    )
    for row in rows:
        row["form"] = ContractAcknowledgeForm(
            initial={"terms_as_of": row["contract"].updated_at.isoformat()}
        )
    return render(
        request, "portal/contracts.html", {"partner": partner, "rows": rows, "today": today}
    )


@portal_required
def contract_document(request: PortalRequest, pk: int) -> HttpResponse:
    """A contract's signed document (uploads live where no URL serves them)."""
    contract = get_object_or_404(
        selectors.portal_contracts(partner=request.portal_account.partner), pk=pk
    )
    if not contract.document:
        raise Http404("This contract has no document.")
    return upload_response(
        contract.document, name=contract.document_name or "contract", kind=contract.document_type
    )


@require_POST
@portal_required
def contract_acknowledge(request: PortalRequest, pk: int) -> HttpResponse:
    """Acknowledge the contract's terms as the page showed them."""
    account = request.portal_account
    contract = get_object_or_404(selectors.portal_contracts(partner=account.partner), pk=pk)
    form = ContractAcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not acknowledged: reload the page and try again.")
        return redirect("portal:contracts")
    try:
        services.contract_acknowledge(
            account=account, contract=contract, terms_as_of=form.cleaned_data["terms_as_of"]
        )
    except ValidationError as exc:
        messages.error(request, "Not acknowledged: " + " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"You acknowledged the terms of the {contract.get_kind_display()}; "
            "your partner manager sees it.",
        )
    return redirect(f"{reverse('portal:contracts')}#contract-{contract.pk}")


@portal_required
def library(request: PortalRequest) -> HttpResponse:
    """Brand assets and sales collateral of the partner's channel, current versions."""
    partner = request.portal_account.partner
    page = paginate(request, selectors.portal_library(partner=partner))
    return render(
        request,
        "portal/library.html",
        {"partner": partner, "page": page, "items": page.object_list},
    )


@portal_required
def library_download(request: PortalRequest, pk: int) -> HttpResponse:
    """The current version of a library item of the partner's channel."""
    item = get_object_or_404(
        selectors.portal_library(partner=request.portal_account.partner), pk=pk
    )
    version = item.current
    if version is None:  # excluded by the selector; kept for the type checker
        raise Http404("This item has no file.")
    return upload_response(version.file, name=version.file_name, kind=version.file_type)


def _client_address(request: HttpRequest) -> str:
    return f"ip:{client_ip(request)}"


@rate_limited("invitation_accept", key=_client_address)
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation email: choose a password, then sign in.
    Public (the invitee has no account yet); the token is the only key."""
    invitation = services.invitation_for_token(token)
    problem = services.invitation_problem(invitation)
    if problem or invitation is None:
        return render(request, "portal/accept.html", {"problem": problem}, status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                raw_token=token, password=form.cleaned_data["password1"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Your password is set. Sign in as {user.get_username()} with the password "
                "you chose.",
            )
            return redirect("login")
    return render(
        request,
        "portal/accept.html",
        {"invitation": invitation, "partner": invitation.contact.partner, "form": form},
    )
