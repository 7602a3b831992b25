"""Training and certification pages of a partner."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, role_required
from partners.directory import selectors as directory_selectors
from partners.directory.selectors import partner_detail_queryset
from partners.directory.views import partner_form_page

from . import services
from .forms import CertificationForm, TrainingCompletionForm
from .models import Certification


@role_required
def training_completion_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request,
        partner_detail_queryset(user=request.user),
        "partners.add_trainingcompletion",
        slug=slug,
    )
    form = TrainingCompletionForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_completion_record(recorded_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Training completion recorded.")
            return redirect(f"{partner.get_absolute_url()}#training")
    return partner_form_page(
        request, partner, form=form, title="Record a training completion", submit="Record"
    )


@role_required
def certification_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request, partner_detail_queryset(user=request.user), "partners.add_certification", slug=slug
    )
    form = CertificationForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            certification = services.certification_create(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if form.renews is not None and certification.expires_on:
                until = f"{certification.expires_on:%Y-%m-%d}"
                messages.success(request, f"Certification renewed until {until}.")
            elif form.renews is not None:
                messages.success(request, "Certification renewed; it no longer expires.")
            else:
                messages.success(request, "Certification added.")
            return redirect(f"{partner.get_absolute_url()}#training")
    return partner_form_page(
        request, partner, form=form, title="Add a certification", submit="Add certification"
    )


@require_POST
@role_required
def certification_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    certification = get_object_or_404(
        Certification.objects.select_related("contact__partner").filter(
            contact__partner__in=directory_selectors.visible_partners(user=request.user)
        ),
        pk=pk,
    )
    partner = certification.contact.partner
    check_perm(request, "partners.delete_certification", partner)
    services.certification_delete(certification=certification)
    messages.success(request, "Certification removed.")
    return redirect(f"{partner.get_absolute_url()}#training")
