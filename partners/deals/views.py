"""Deal registration pages. Views parse input, call one service or selector, render.

Registrations are fetched through `_get_deal_for_user`, which asks rules.py: a
partner manager registers and corrects deals of the partners they manage;
marketing managers and administrators decide them.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from channelhub.lib.ratelimit import rate_limited
from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, paginate, role_required
from partners.conflicts.selectors import conflict_detail_queryset
from partners.directory import selectors as directory_selectors
from partners.directory.selectors import visible_partners

from . import selectors, services
from .filters import DealFilter
from .forms import DealDecisionForm, DealForm, OverlapCloseForm
from .models import DealRegistration
from .selectors import deal_detail_queryset
from .services import open_cases_of


@role_required
def deal_list(request: AuthedRequest) -> HttpResponse:
    filterset = DealFilter(request.GET, queryset=selectors.deal_list(user=request.user))
    page = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "deals": page.object_list,
        "today": timezone.localdate(),
        "awaiting": selectors.deals_awaiting_decision(user=request.user).count(),
    }
    template = "partners/_deal_table.html" if request.htmx else "partners/deal_list.html"
    return render(request, template, context)


@role_required
@rate_limited("deal_registration")
def deal_create(request: AuthedRequest, slug: str = "") -> HttpResponse:
    """Register a deal: for the partner in the URL, or one picked in the form."""
    partner = (
        get_for_user(
            request, visible_partners(user=request.user), "partners.add_dealregistration", slug=slug
        )
        if slug
        else None
    )
    check_perm(request, "partners.register_deals")
    choices = None if partner else directory_selectors.partners_for_deals(user=request.user)
    form = DealForm(
        request.POST or None,
        partners=choices,
        initial={"partner": request.GET.get("partner")} if choices is not None else None,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        target = partner or data.pop("partner")
        check_perm(request, "partners.add_dealregistration", target)
        try:
            deal = services.deal_register(partner=target, registered_by=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            cases = list(open_cases_of(deal))
            if cases:
                messages.warning(
                    request,
                    f"Registered, but another partner already holds this customer: conflict "
                    f"case #{cases[0].pk} is open. The registration waits for its resolution.",
                )
            else:
                messages.success(
                    request,
                    f"Deal for “{deal.customer_name}” registered; it waits for approval.",
                )
            return redirect(deal)
    return render(
        request,
        "partners/deal_form.html",
        {"form": form, "partner": partner, "title": "Register a deal", "submit": "Register deal"},
    )


@role_required
def deal_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = get_for_user(
        request, deal_detail_queryset(user=request.user), "partners.view_dealregistration", pk=pk
    )
    today = timezone.localdate()
    cases = list(deal.conflicts.select_related("owner").order_by("-opened_at"))
    open_cases = [c for c in cases if c.is_open]
    return render(
        request,
        "partners/deal_detail.html",
        {
            "deal": deal,
            "today": today,
            "cases": cases,
            "open_cases": open_cases,
            "can_edit": deal.status == DealRegistration.Status.SUBMITTED
            and request.user.has_perm("partners.change_dealregistration", deal),
            "can_decide": deal.status == DealRegistration.Status.SUBMITTED
            and request.user.has_perm("partners.decide_dealregistration", deal),
            "decision_form": DealDecisionForm(),
        },
    )


@role_required
def deal_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = get_for_user(
        request, deal_detail_queryset(user=request.user), "partners.change_dealregistration", pk=pk
    )
    form = DealForm(request.POST or None, instance=DealRegistration.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(deal=deal, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Registration saved.")
            return redirect(deal)
    return render(
        request,
        "partners/deal_form.html",
        {
            "form": form,
            "partner": deal.partner,
            "deal": deal,
            "title": f"Edit the registration for {deal.customer_name}",
            "submit": "Save",
        },
    )


@require_POST
@role_required
def deal_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    deal = get_for_user(
        request, deal_detail_queryset(user=request.user), "partners.decide_dealregistration", pk=pk
    )
    form = DealDecisionForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"Not decided: {errors}")
        return redirect(deal)
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            deal = services.deal_approve(
                deal=deal, by=request.user, expires_on=data["expires_on"], note=data["note"]
            )
            messages.success(request, f"Approved: protected until {deal.expires_on:%Y-%m-%d}.")
        else:
            services.deal_reject(deal=deal, by=request.user, note=data["note"])
            messages.success(request, "Registration rejected.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(deal)


@role_required
def overlap_case_close(request: AuthedRequest, pk: int) -> HttpResponse:
    """Close a deal-overlap case and decide its registrations in one step
    (the case's owner or a marketing manager, as for any case)."""
    case = get_for_user(
        request,
        conflict_detail_queryset(user=request.user),
        "partners.close_conflictcase",
        pk=pk,
    )
    pending = list(
        case.deals.filter(status=DealRegistration.Status.SUBMITTED)
        .select_related("partner")
        .order_by("submitted_on", "pk")
    )
    form = OverlapCloseForm(request.POST or None, deals=pending)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case, decided = services.overlap_case_close(case=case, by=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            approved = [d.partner.name for d in decided if d.status == d.Status.APPROVED]
            rejected = len(decided) - len(approved)
            said = f"Case #{case.pk} {case.get_status_display().lower()}."
            if approved:
                said += f" {approved[0]}'s registration approved"
                said += f", {rejected} rejected." if rejected else "."
            elif rejected:
                said += f" {rejected} registration{'s' if rejected != 1 else ''} rejected."
            messages.success(request, said)
            return redirect(case)
    return render(
        request,
        "partners/conflict_form.html",
        {
            "form": form,
            "title": f"Close case #{case.pk}: {case.title}",
            "submit": "Close case and decide",
            "case": case,
            "back": ("Conflicts", "partners:conflict-list"),
        },
    )
