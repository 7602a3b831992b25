"""Brand consistency audit pages. Views parse input, call one service or
selector, render. Audits are fetched through `get_for_user`, which asks
rules.py: marketing managers and administrators record them, every role reads.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from channelhub.lib.views import AuthedRequest, get_for_user, paginate, role_required
from channels_app.audits import services as audit_services
from channels_app.channels import selectors as channels_selectors
from channels_app.channels.models import Channel

from . import selectors
from .charts import build_audit_score_figure
from .filters import BrandAuditFilter
from .forms import BrandAuditForm
from .models import BRAND_AUDIT_ITEMS, BrandAudit, brand_audit_cadence_days

# Column headers of the checklist in audit tables (the full label is the tooltip).
SHORT_LABELS = {
    "messaging": "Messaging",
    "pricing": "Pricing",
    "product_information": "Product info",
    "customer_service": "Service",
    "visual_identity": "Visual ID",
}


ITEM_COLUMNS = [(key, label, SHORT_LABELS[key]) for key, label in BRAND_AUDIT_ITEMS]


@role_required
def audit_list(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    filterset = BrandAuditFilter(request.GET, queryset=selectors.audit_list(user=request.user))
    page = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "audits": page.object_list,
        "items": ITEM_COLUMNS,
        "overdue": list(selectors.channels_with_overdue_audits(today=today)),
        "cadence_days": brand_audit_cadence_days(),
        "today": today,
    }
    template = "channels_app/_audit_table.html" if request.htmx else "channels_app/audit_list.html"
    return render(request, template, context)


@role_required
def channel_audits(request: AuthedRequest, slug: str) -> HttpResponse:
    channel = get_for_user(
        request,
        channels_selectors.channel_list(user=request.user),
        "channels_app.view_brandaudit",
        slug=slug,
    )
    audits = list(selectors.audit_list(user=request.user, channel=channel))
    figure = build_audit_score_figure(
        selectors.audit_score_frame(channel=channel), title="Brand audit score trend"
    )
    last = selectors.with_last_audit(Channel.objects.filter(pk=channel.pk)).get()
    return render(
        request,
        "channels_app/audit_channel.html",
        {
            "channel": channel,
            "audits": audits,
            "items": ITEM_COLUMNS,
            "last": last,
            "today": timezone.localdate(),
            "figure": json.loads(figure.to_json()) if audits else None,
        },
    )


@role_required
def audit_create(request: AuthedRequest, slug: str) -> HttpResponse:
    channel = get_for_user(
        request,
        channels_selectors.channel_list(user=request.user),
        "channels_app.add_brandaudit",
        slug=slug,
    )
    form = BrandAuditForm(request.POST or None, cadence_days=brand_audit_cadence_days())
    if request.method == "POST" and form.is_valid():
        try:
            audit = audit_services.audit_record(
                channel=channel, auditor=request.user, items=form.items(), **form.audit_data()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Brand audit recorded: overall {audit.overall} / 5.")
            return redirect("channels:audits", slug=channel.slug)
    return render(
        request,
        "channels_app/audit_form.html",
        {"form": form, "channel": channel, "title": "Record a brand audit"},
    )


@role_required
def audit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    audit = get_for_user(
        request, selectors.audit_list(user=request.user), "channels_app.view_brandaudit", pk=pk
    )
    return render(
        request,
        "channels_app/audit_detail.html",
        {
            "audit": audit,
            "channel": audit.channel,
            "can_edit": request.user.has_perm("channels_app.change_brandaudit", audit),
        },
    )


@role_required
def audit_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    audit = get_for_user(
        request, selectors.audit_list(user=request.user), "channels_app.change_brandaudit", pk=pk
    )
    form = BrandAuditForm(
        request.POST or None,
        instance=BrandAudit.objects.get(pk=pk),
        cadence_days=brand_audit_cadence_days(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            audit_services.audit_update(audit=audit, data=form.audit_data(), items=form.items())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Brand audit saved.")
            return redirect(audit)
    return render(
        request,
        "channels_app/audit_form.html",
        {
            "form": form,
            "channel": audit.channel,
            "audit": audit,
            "title": f"Edit the brand audit of {audit.audited_on:%Y-%m-%d}",
        },
    )
