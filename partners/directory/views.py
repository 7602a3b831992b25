"""Partner directory pages: the list, create, edit, status, contacts and the
onboarding checklist. Views parse input, call one service or selector, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, paginate, role_required

from . import selectors, services
from .exports import partners_csv
from .filters import PartnerFilter
from .forms import ContactForm, ContactPageForm, OnboardingStepForm, PartnerForm, StatusForm
from .models import OnboardingStep, Partner, PartnerContact
from .selectors import contact_queryset, partner_detail_queryset


def partner_form_page(request: AuthedRequest, partner: Partner, **context: Any) -> HttpResponse:
    return render(request, "partners/object_form.html", {"partner": partner, **context})


def _manager_scope(request: AuthedRequest) -> tuple[Any, Any]:
    """The manager a work list is about: ?manager=ID, "all", or by default the
    user themself when they manage partners."""
    raw = request.GET.get("manager", "")
    if raw == "all":
        return None, "all"
    if raw.isdigit():
        manager = get_user_model().objects.filter(pk=int(raw)).first()
        return manager, raw
    if request.user.managed_partners.exists():
        return request.user, str(request.user.pk)
    return None, "all"


def _managers() -> Any:
    return (
        get_user_model()
        .objects.filter(managed_partners__isnull=False)
        .distinct()
        .order_by("username")
    )


@role_required
def partner_list(request: AuthedRequest) -> HttpResponse:
    filterset = PartnerFilter(request.GET, queryset=selectors.partner_list(user=request.user))
    page = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "partners": page.object_list,
        "today": timezone.localdate(),
    }
    template = "partners/_partner_table.html" if request.htmx else "partners/partner_list.html"
    return render(request, template, context)


@role_required
def partner_export(request: AuthedRequest) -> HttpResponse:
    """The partners the list shows with the same filters and order, as CSV
    (every page of them; text cells formula-safe like every export)."""
    filterset = PartnerFilter(request.GET, queryset=selectors.partner_list(user=request.user))
    response = HttpResponse(partners_csv(filterset.qs), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="channelhub-partners-{stamp}.csv"'
    return response


@role_required
def partner_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "partners.add_partner")
    can_assign = request.user.has_perm("partners.assign_partner_manager")
    form = PartnerForm(
        request.POST or None,
        initial={"manager": request.user.pk, "status": Partner.Status.PROSPECT},
        can_assign_manager=can_assign,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not can_assign:
            data["manager"] = request.user
        try:
            partner = services.partner_create(created_by=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Partner “{partner.name}” created.")
            return redirect(partner)
    return render(request, "partners/partner_form.html", {"form": form})


@role_required
def partner_edit(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request, partner_detail_queryset(user=request.user), "partners.change_partner", slug=slug
    )
    can_assign = request.user.has_perm("partners.assign_partner_manager")
    form = PartnerForm(
        request.POST or None,
        instance=Partner.objects.get(pk=partner.pk),
        can_assign_manager=can_assign,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not can_assign:
            data.pop("manager", None)
        try:
            partner = services.partner_update(partner=partner, data=data, changed_by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Partner “{partner.name}” saved.")
            return redirect(partner)
    return render(request, "partners/partner_form.html", {"form": form, "partner": partner})


@require_POST
@role_required
def partner_set_status(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request, partner_detail_queryset(user=request.user), "partners.change_partner", slug=slug
    )
    form = StatusForm(request.POST, allowed=services.STATUS_TRANSITIONS[partner.status])
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"Status not changed: {errors}")
        return redirect(partner)
    try:
        partner = services.partner_set_status(
            partner=partner,
            status=form.cleaned_data["status"],
            changed_by=request.user,
            changed_on=form.cleaned_data["changed_on"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{partner.name}” is now {partner.get_status_display()}.")
    return redirect(partner)


@role_required
def contact_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request,
        partner_detail_queryset(user=request.user),
        "partners.add_partnercontact",
        slug=slug,
    )
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_create(partner=partner, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Contact added.")
            return redirect(f"{partner.get_absolute_url()}#contacts")
    return partner_form_page(request, partner, form=form, title="New contact", submit="Add contact")


@role_required
def contact_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = get_for_user(
        request, contact_queryset(user=request.user), "partners.change_partnercontact", pk=pk
    )
    form = ContactPageForm(request.POST or None, instance=PartnerContact.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Contact saved.")
            return redirect(f"{contact.partner.get_absolute_url()}#contacts")
    return partner_form_page(
        request, contact.partner, form=form, title=f"Edit {contact.name}", submit="Save"
    )


@role_required
def contact_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = get_for_user(
        request, contact_queryset(user=request.user), "partners.delete_partnercontact", pk=pk
    )
    partner = contact.partner
    if request.method == "POST":
        services.contact_delete(contact=contact)
        messages.success(request, f"{contact.name} removed.")
        return redirect(f"{partner.get_absolute_url()}#contacts")
    return render(
        request, "partners/contact_confirm_delete.html", {"contact": contact, "partner": partner}
    )


@require_POST
@role_required
def onboarding_step_toggle(request: AuthedRequest, pk: int) -> HttpResponse:
    step = get_object_or_404(
        OnboardingStep.objects.select_related("partner").filter(
            partner__in=selectors.visible_partners(user=request.user)
        ),
        pk=pk,
    )
    check_perm(request, "partners.change_onboardingstep", step)
    services.onboarding_step_set_done(step=step, done=step.done_on is None, by=request.user)
    return redirect(f"{step.partner.get_absolute_url()}#onboarding")


@require_POST
@role_required
def onboarding_step_add(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request,
        partner_detail_queryset(user=request.user),
        "partners.add_onboardingstep",
        slug=slug,
    )
    form = OnboardingStepForm(request.POST)
    if form.is_valid():
        services.onboarding_step_add(partner=partner, title=form.cleaned_data["title"])
        messages.success(request, "Step added to the checklist.")
    else:
        messages.error(request, "Give the step a title.")
    return redirect(f"{partner.get_absolute_url()}#onboarding")
