"""Partner pages. Views parse input, call one service or selector, render.

Every object is fetched through a `_get_<object>_for_user` helper that asks
rules.py; a partner manager may read every partner but change only their own.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, check_perm, paginate, role_required

from . import selectors, services
from .charts import build_review_score_figure
from .extensions import partner_page
from .filters import PartnerFilter
from .forms import (
    ActionItemFormSet,
    AttestationForm,
    CertificationForm,
    ContactForm,
    ContractForm,
    InteractionForm,
    OnboardingStepForm,
    PartnerForm,
    ReviewForm,
    StatusForm,
    TrainingCompletionForm,
    action_items_of,
)
from .models import (
    Certification,
    Contract,
    Interaction,
    OnboardingStep,
    Partner,
    PartnerContact,
    PartnerReview,
    ReviewActionItem,
)


def _get_partner_for_user(request: AuthedRequest, slug: str, perm: str) -> Partner:
    """The partner, if the user may `perm` it; 404 if it does not exist, 403 if refused."""
    partner = get_object_or_404(selectors.partner_detail_queryset(user=request.user), slug=slug)
    check_perm(request, perm, partner)
    return partner


def _get_contact_for_user(request: AuthedRequest, pk: int, perm: str) -> PartnerContact:
    contact = get_object_or_404(
        PartnerContact.objects.select_related("partner").filter(
            partner__in=selectors.visible_partners(user=request.user)
        ),
        pk=pk,
    )
    check_perm(request, perm, contact)
    return contact


def _get_contract_for_user(request: AuthedRequest, pk: int, perm: str) -> Contract:
    contract = get_object_or_404(
        Contract.objects.select_related("partner").filter(
            partner__in=selectors.visible_partners(user=request.user)
        ),
        pk=pk,
    )
    check_perm(request, perm, contract)
    return contract


def _get_interaction_for_user(request: AuthedRequest, pk: int, perm: str) -> Interaction:
    interaction = get_object_or_404(
        Interaction.objects.select_related("partner").filter(
            partner__in=selectors.visible_partners(user=request.user)
        ),
        pk=pk,
    )
    check_perm(request, perm, interaction)
    return interaction


def _get_review_for_user(request: AuthedRequest, pk: int, perm: str) -> PartnerReview:
    review = get_object_or_404(
        PartnerReview.objects.select_related("partner", "partner__tier", "author").filter(
            partner__in=selectors.visible_partners(user=request.user)
        ),
        pk=pk,
    )
    check_perm(request, perm, review)
    return review


def _form_page(request: AuthedRequest, partner: Partner, **context: Any) -> HttpResponse:
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


# --- directory ---------------------------------------------------------------------


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
def partner_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = _get_partner_for_user(request, slug, "partners.view_partner")
    today = timezone.localdate()
    only = Partner.objects.filter(pk=partner.pk)
    reviews = list(selectors.review_list(partner=partner))
    figure = build_review_score_figure(
        selectors.review_score_frame(partner=partner), title="Review score trend"
    )
    contacts = list(
        partner.contacts.prefetch_related(
            "certifications", "training_completions__module"
        ).order_by("-is_primary", "name")
    )
    context = {
        "partner": partner,
        "today": today,
        "can_edit": request.user.has_perm("partners.change_partner", partner),
        "scorecard": selectors.partner_scorecard(partner=partner, today=today),
        "incentives": selectors.partner_incentives(partner=partner),
        "flags": list(partner.flags.order_by("due_on", "kind")),
        "territories": list(partner.territories.all()),
        "status_history": list(partner.status_changes.select_related("changed_by")),
        "status_form": StatusForm(allowed=services.STATUS_TRANSITIONS[partner.status]),
        "contacts": contacts,
        "onboarding_steps": list(partner.onboarding_steps.select_related("done_by")),
        "onboarding_percent": selectors.onboarding_percent(partner),
        "step_form": OnboardingStepForm(),
        "contracts": list(
            partner.contracts.prefetch_related("attestations", "exclusive_territories")
        ),
        "interactions": list(
            partner.interactions.select_related("logged_by").prefetch_related("contacts")[:8]
        ),
        "interaction_count": partner.interactions.count(),
        "ending_contract_ids": set(
            selectors.contracts_ending(partners=only, today=today).values_list("pk", flat=True)
        ),
        "expiring_cert_ids": set(
            selectors.certifications_expiring(partners=only, today=today).values_list(
                "pk", flat=True
            )
        ),
        "reviews": reviews,
        "figure": json.loads(figure.to_json()) if reviews else None,
        # The partner's sales, from the KPI engine.
        **partner_page.context(partner=partner),
    }
    return render(request, "partners/partner_detail.html", context)


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
    partner = _get_partner_for_user(request, slug, "partners.change_partner")
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
    partner = _get_partner_for_user(request, slug, "partners.change_partner")
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


# --- contacts ----------------------------------------------------------------------


@role_required
def contact_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = _get_partner_for_user(request, slug, "partners.add_partnercontact")
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_create(partner=partner, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Contact added.")
            return redirect(f"{partner.get_absolute_url()}#contacts")
    return _form_page(request, partner, form=form, title="New contact", submit="Add contact")


@role_required
def contact_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = _get_contact_for_user(request, pk, "partners.change_partnercontact")
    form = ContactForm(request.POST or None, instance=PartnerContact.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Contact saved.")
            return redirect(f"{contact.partner.get_absolute_url()}#contacts")
    return _form_page(
        request, contact.partner, form=form, title=f"Edit {contact.name}", submit="Save"
    )


@role_required
def contact_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = _get_contact_for_user(request, pk, "partners.delete_partnercontact")
    partner = contact.partner
    if request.method == "POST":
        services.contact_delete(contact=contact)
        messages.success(request, f"{contact.name} removed.")
        return redirect(f"{partner.get_absolute_url()}#contacts")
    return render(
        request, "partners/contact_confirm_delete.html", {"contact": contact, "partner": partner}
    )


# --- onboarding and training -------------------------------------------------------


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
    partner = _get_partner_for_user(request, slug, "partners.add_onboardingstep")
    form = OnboardingStepForm(request.POST)
    if form.is_valid():
        services.onboarding_step_add(partner=partner, title=form.cleaned_data["title"])
        messages.success(request, "Step added to the checklist.")
    else:
        messages.error(request, "Give the step a title.")
    return redirect(f"{partner.get_absolute_url()}#onboarding")


@role_required
def training_completion_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = _get_partner_for_user(request, slug, "partners.add_trainingcompletion")
    form = TrainingCompletionForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_completion_record(recorded_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Training completion recorded.")
            return redirect(f"{partner.get_absolute_url()}#training")
    return _form_page(
        request, partner, form=form, title="Record a training completion", submit="Record"
    )


@role_required
def certification_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = _get_partner_for_user(request, slug, "partners.add_certification")
    form = CertificationForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.certification_create(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Certification added.")
            return redirect(f"{partner.get_absolute_url()}#training")
    return _form_page(
        request, partner, form=form, title="Add a certification", submit="Add certification"
    )


@require_POST
@role_required
def certification_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    certification = get_object_or_404(
        Certification.objects.select_related("contact__partner").filter(
            contact__partner__in=selectors.visible_partners(user=request.user)
        ),
        pk=pk,
    )
    partner = certification.contact.partner
    check_perm(request, "partners.delete_certification", partner)
    services.certification_delete(certification=certification)
    messages.success(request, "Certification removed.")
    return redirect(f"{partner.get_absolute_url()}#training")


# --- contracts ---------------------------------------------------------------------


@role_required
def contract_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = _get_partner_for_user(request, slug, "partners.add_contract")
    form = ContractForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(
                partner=partner, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{contract.get_kind_display()} added.")
            return redirect(f"{partner.get_absolute_url()}#contracts")
    return _form_page(
        request, partner, form=form, title="New contract", submit="Add contract", multipart=True
    )


@role_required
def contract_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = _get_contract_for_user(request, pk, "partners.change_contract")
    form = ContractForm(request.POST or None, request.FILES or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(contract=contract, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Contract saved.")
            return redirect(f"{contract.partner.get_absolute_url()}#contracts")
    return _form_page(
        request,
        contract.partner,
        form=form,
        title=f"Edit {contract.get_kind_display()}",
        submit="Save",
        multipart=True,
        contract=contract,
    )


@role_required
def contract_document(request: AuthedRequest, pk: int) -> HttpResponse:
    """The signed document, only through this permission-checked view: uploads
    live under MEDIA_ROOT, which no URL serves."""
    contract = _get_contract_for_user(request, pk, "partners.view_contract_document")
    if not contract.document:
        raise Http404("This contract has no document.")
    try:
        handle = contract.document.open("rb")
    except FileNotFoundError:
        raise Http404("The document file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=contract.document_name or "contract",
        content_type=contract.document_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # A streaming response; role_required is typed for plain HttpResponses.
    return cast(HttpResponse, response)


@role_required
def attestation_create(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = _get_contract_for_user(request, pk, "partners.add_complianceattestation")
    form = AttestationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attestation_create(contract=contract, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Attestation recorded.")
            return redirect(f"{contract.partner.get_absolute_url()}#contracts")
    return _form_page(
        request,
        contract.partner,
        form=form,
        title=f"Compliance attestation for the {contract.get_kind_display()}",
        submit="Record attestation",
    )


# --- interactions ------------------------------------------------------------------


@role_required
def interaction_list(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = _get_partner_for_user(request, slug, "partners.view_interaction")
    interactions = partner.interactions.select_related("logged_by").prefetch_related("contacts")
    page = paginate(request, interactions)
    return render(
        request,
        "partners/interaction_list.html",
        {
            "partner": partner,
            "page": page,
            "interactions": page.object_list,
            "can_edit": request.user.has_perm("partners.add_interaction", partner),
        },
    )


@role_required
def interaction_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = _get_partner_for_user(request, slug, "partners.add_interaction")
    form = InteractionForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_create(
                partner=partner, logged_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Interaction logged.")
            return redirect(f"{partner.get_absolute_url()}#interactions")
    return _form_page(request, partner, form=form, title="Log an interaction", submit="Log it")


@role_required
def interaction_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    interaction = _get_interaction_for_user(request, pk, "partners.change_interaction")
    form = InteractionForm(
        request.POST or None,
        instance=Interaction.objects.get(pk=pk),
        partner=interaction.partner,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_update(interaction=interaction, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Interaction saved.")
            return redirect(f"{interaction.partner.get_absolute_url()}#interactions")
    return _form_page(
        request, interaction.partner, form=form, title="Edit interaction", submit="Save"
    )


@require_POST
@role_required
def follow_up_done(request: AuthedRequest, pk: int) -> HttpResponse:
    interaction = _get_interaction_for_user(request, pk, "partners.change_interaction")
    done = request.POST.get("done", "1") == "1"
    try:
        services.follow_up_set_done(interaction=interaction, done=done)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Follow-up done." if done else "Follow-up reopened.")
    return redirect(request.POST.get("next") or interaction.partner.get_absolute_url())


# --- reviews -----------------------------------------------------------------------


@role_required
def review_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = _get_partner_for_user(request, slug, "partners.add_partnerreview")
    cadence = services.review_cadence_days(partner)
    form = ReviewForm(request.POST or None, default_cadence_days=cadence)
    formset = ActionItemFormSet(request.POST or None, prefix="actions")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            review = services.review_submit(
                partner=partner,
                author=request.user,
                action_items=action_items_of(formset),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Review logged: overall {review.overall}.")
            return redirect(f"{partner.get_absolute_url()}#reviews")
    return render(
        request,
        "partners/review_form.html",
        {"partner": partner, "form": form, "formset": formset},
    )


@role_required
def review_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    review = _get_review_for_user(request, pk, "partners.view_partnerreview")
    return render(
        request,
        "partners/review_detail.html",
        {
            "review": review,
            "partner": review.partner,
            "action_items": list(review.action_items.all()),
            "revisions": list(review.revisions.select_related("edited_by")),
            "can_edit": request.user.has_perm("partners.change_partnerreview", review),
            "can_tick": request.user.has_perm("partners.change_reviewactionitem", review.partner),
        },
    )


@role_required
def review_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    review = _get_review_for_user(request, pk, "partners.change_partnerreview")
    partner = review.partner
    items = [
        {"description": i.description, "owner": i.owner, "due_on": i.due_on, "done_on": i.done_on}
        for i in review.action_items.all()
    ]
    form = ReviewForm(
        request.POST or None,
        instance=PartnerReview.objects.get(pk=pk),
        default_cadence_days=services.review_cadence_days(partner),
    )
    formset = ActionItemFormSet(request.POST or None, prefix="actions", initial=items)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.review_update(
                review=review,
                editor=request.user,
                data=form.cleaned_data,
                action_items=action_items_of(formset),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Review saved; the earlier version is kept in its history.")
            return redirect(review)
    return render(
        request,
        "partners/review_form.html",
        {"partner": partner, "form": form, "formset": formset, "review": review},
    )


@require_POST
@role_required
def action_item_toggle(request: AuthedRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        ReviewActionItem.objects.select_related("review__partner").filter(
            review__partner__in=selectors.visible_partners(user=request.user)
        ),
        pk=pk,
    )
    check_perm(request, "partners.change_reviewactionitem", item.review.partner)
    services.action_item_set_done(item=item, done=item.done_on is None)
    return redirect(request.POST.get("next") or item.review.get_absolute_url())


# --- work lists --------------------------------------------------------------------


def _work_list_context(request: AuthedRequest) -> dict[str, Any]:
    manager, selected = _manager_scope(request)
    partners = selectors.managed_by(selectors.visible_partners(user=request.user), manager)
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
    due = list(selectors.reviews_due(partners=context["partners_scope"], today=context["today"]))
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
    overdue = selectors.follow_ups_overdue(
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
            "contracts": list(selectors.contracts_ending(partners=scope, today=today)),
            "uncovered": list(
                selectors.partners_without_valid_contract(partners=scope, today=today)
            ),
            "certifications": list(selectors.certifications_expiring(partners=scope, today=today)),
            "contract_days": selectors.CONTRACT_ENDING_DAYS,
            "certification_days": selectors.CERTIFICATION_EXPIRING_DAYS,
        },
    )
