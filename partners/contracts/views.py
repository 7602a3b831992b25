"""Contract and attestation pages, and the signed document download."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect

from channelhub.lib.views import AuthedRequest, get_for_user, role_required
from partners.directory.selectors import partner_detail_queryset
from partners.directory.views import partner_form_page

from . import services
from .forms import AttestationForm, ContractForm
from .selectors import contract_queryset


@role_required
def contract_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request, partner_detail_queryset(user=request.user), "partners.add_contract", slug=slug
    )
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
    return partner_form_page(
        request, partner, form=form, title="New contract", submit="Add contract", multipart=True
    )


@role_required
def contract_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = get_for_user(
        request, contract_queryset(user=request.user), "partners.change_contract", pk=pk
    )
    form = ContractForm(request.POST or None, request.FILES or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(contract=contract, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Contract saved.")
            return redirect(f"{contract.partner.get_absolute_url()}#contracts")
    return partner_form_page(
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
    contract = get_for_user(
        request, contract_queryset(user=request.user), "partners.view_contract_document", pk=pk
    )
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
    contract = get_for_user(
        request, contract_queryset(user=request.user), "partners.add_complianceattestation", pk=pk
    )
    form = AttestationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attestation_create(contract=contract, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Attestation recorded.")
            return redirect(f"{contract.partner.get_absolute_url()}#contracts")
    return partner_form_page(
        request,
        contract.partner,
        form=form,
        title=f"Compliance attestation for the {contract.get_kind_display()}",
        submit="Record attestation",
    )
