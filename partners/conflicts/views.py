"""Conflict case, conflict dashboard and price list pages.

Views parse input, call one service or selector, render. Cases are fetched
through `_get_case_for_user`, which asks rules.py: a partner manager works on
cases they own or that involve a partner they manage (but only the owner, or a
marketing manager, closes a case or hands it over); marketing managers and
administrators on every case; viewers read.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from channelhub.lib.ratelimit import rate_limited
from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, paginate, role_required
from channels_app.channels.models import Channel
from partners.directory import selectors as directory_selectors
from partners.directory.models import Partner
from partners.directory.selectors import visible_partners

from . import pricing, selectors, services
from .charts import build_open_conflicts_figure, build_time_to_resolve_figure
from .filters import ConflictFilter, ObservationFilter
from .forms import (
    ConflictCloseForm,
    ConflictForm,
    ConflictStatusForm,
    NoteForm,
    ObservationForm,
    PriceImportForm,
    ProductForm,
)
from .models import ConflictCase, Product
from .price_import import COLUMNS, template_csv
from .selectors import conflict_detail_queryset

C = ConflictCase


def _form_page(request: AuthedRequest, **context: Any) -> HttpResponse:
    return render(request, "partners/conflict_form.html", context)


@role_required
def conflict_list(request: AuthedRequest) -> HttpResponse:
    data = request.GET.copy()
    # Work lists start with what is still open; "state=" shows everything.
    data.setdefault("state", "open")
    filterset = ConflictFilter(data, queryset=selectors.conflict_list(user=request.user))
    page = paginate(request, filterset.qs)
    now = timezone.now()
    cases = list(page.object_list)
    for case in cases:
        case.age = case.age_days(now)
    context = {
        "filter": filterset,
        "page": page,
        "cases": cases,
        "now": now,
        "filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
    }
    template = "partners/_conflict_table.html" if request.htmx else "partners/conflict_list.html"
    return render(request, template, context)


@role_required
def conflict_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "partners.add_conflictcase")
    initial: dict[str, Any] = {"owner": request.user.pk, "kind": C.Kind.OTHER}
    # Prefilled from links elsewhere: a partner's page, a cannibalisation hint.
    if request.GET.get("partner"):
        initial["partners"] = Partner.objects.filter(slug=request.GET["partner"])
    if request.GET.getlist("channel"):
        initial["channels"] = Channel.objects.filter(slug__in=request.GET.getlist("channel"))
    if request.GET.get("kind") in C.Kind.values:
        initial["kind"] = request.GET["kind"]
    if request.GET.get("title"):
        initial["title"] = request.GET["title"][:200]
    # Whoever opens a case names its owner (themselves by default).
    form = ConflictForm(
        request.POST or None, user=request.user, initial=initial, may_assign_owner=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.conflict_open(opened_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Conflict case #{case.pk} opened.")
            return redirect(case)
    return _form_page(
        request,
        form=form,
        title="Open a conflict case",
        submit="Open case",
        back=("Conflicts", "partners:conflict-list"),
    )


@role_required
def conflict_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    case = get_for_user(
        request, conflict_detail_queryset(user=request.user), "partners.view_conflictcase", pk=pk
    )
    can_edit = request.user.has_perm("partners.change_conflictcase", case)
    can_close = request.user.has_perm("partners.close_conflictcase", case)
    return render(
        request,
        "partners/conflict_detail.html",
        {
            "case": case,
            "now": timezone.now(),
            "notes": list(selectors.timeline(case)),
            "can_edit": can_edit,
            "can_close": can_close,
            "note_form": NoteForm(),
            "status_form": ConflictStatusForm(case=case),
            "close_form": ConflictCloseForm(),
        },
    )


@role_required
def conflict_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    case = get_for_user(
        request, conflict_detail_queryset(user=request.user), "partners.change_conflictcase", pk=pk
    )
    form = ConflictForm(
        request.POST or None,
        instance=ConflictCase.objects.get(pk=pk),
        user=request.user,
        may_assign_owner=request.user.has_perm("partners.assign_conflictcase_owner", case),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.conflict_update(case=case, data=form.cleaned_data, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Case saved.")
            return redirect(case)
    return _form_page(
        request,
        form=form,
        title=f"Edit case #{case.pk}",
        submit="Save",
        case=case,
        back=("Conflicts", "partners:conflict-list"),
    )


@require_POST
@role_required
def conflict_note(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add a note; htmx gets the refreshed timeline, a plain post a redirect."""
    case = get_for_user(
        request, conflict_detail_queryset(user=request.user), "partners.change_conflictcase", pk=pk
    )
    form = NoteForm(request.POST)
    if form.is_valid():
        services.conflict_add_note(case=case, body=form.cleaned_data["body"], author=request.user)
        form = NoteForm()
    elif not request.htmx:
        messages.error(request, "Write something to add a note.")
    if request.htmx:
        return render(
            request,
            "partners/_conflict_timeline.html",
            {
                "case": case,
                "notes": list(selectors.timeline(case)),
                "can_edit": True,
                "note_form": form,
            },
        )
    return redirect(f"{case.get_absolute_url()}#timeline")


@require_POST
@role_required
def conflict_status(request: AuthedRequest, pk: int) -> HttpResponse:
    case = get_for_user(
        request, conflict_detail_queryset(user=request.user), "partners.change_conflictcase", pk=pk
    )
    form = ConflictStatusForm(request.POST, case=case)
    if not form.is_valid():
        messages.error(request, "Choose one of the statuses offered.")
        return redirect(case)
    try:
        case = services.conflict_set_status(
            case=case,
            status=form.cleaned_data["status"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Case #{case.pk} is now {case.get_status_display().lower()}.")
    return redirect(case)


@role_required
def conflict_close(request: AuthedRequest, pk: int) -> HttpResponse:
    # The owner's or a marketing manager's decision, not any party's.
    case = get_for_user(
        request, conflict_detail_queryset(user=request.user), "partners.close_conflictcase", pk=pk
    )
    if request.method == "GET" and case.kind == case.Kind.DEAL_OVERLAP:
        # Its registrations are decided in the same step, on the deals' page
        # (deals build on conflicts; this page only knows its name).
        return redirect("partners:conflict-close-overlap", pk=case.pk)
    form = ConflictCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.conflict_close(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Case #{case.pk} {case.get_status_display().lower()}.")
            return redirect(case)
    return _form_page(
        request,
        form=form,
        title=f"Close case #{case.pk}: {case.title}",
        submit="Close case",
        case=case,
        back=("Conflicts", "partners:conflict-list"),
    )


@role_required
def conflict_dashboard(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "partners.view_conflictcase")
    now = timezone.now()
    open_frame = selectors.open_conflicts_frame(now=now)
    resolve_frame = selectors.resolve_times_frame(now=now)
    open_figure = build_open_conflicts_figure(open_frame, title="Open cases by kind and age")
    resolve_figure = build_time_to_resolve_figure(
        resolve_frame, title="Days to close (last 12 months)"
    )
    return render(
        request,
        "partners/conflict_dashboard.html",
        {
            "stats": selectors.conflict_stats(now=now),
            "buckets": selectors.AGE_BUCKET_SHORT,
            "open_rows": _open_rows(open_frame),
            "resolve_rows": selectors.resolve_time_summary(resolve_frame),
            "open_figure": json.loads(open_figure.to_json()) if open_frame["count"].sum() else None,
            "resolve_figure": json.loads(resolve_figure.to_json())
            if not resolve_frame.empty
            else None,
        },
    )


def _open_rows(frame: Any) -> list[dict[str, Any]]:
    rows = []
    for (kind, label), part in frame.groupby(["kind", "kind_label"], sort=False):
        counts = [int(n) for n in part["count"]]
        rows.append({"kind": kind, "label": label, "counts": counts, "total": sum(counts)})
    return rows


@role_required
def price_list(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    filterset = ObservationFilter(
        request.GET, queryset=selectors.observation_list(user=request.user)
    )
    page = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "observations": page.object_list,
        "products": list(selectors.product_list(user=request.user, today=today)),
        "today": today,
        "can_record": bool(directory_selectors.partners_for_deals(user=request.user).exists()),
    }
    template = "partners/_observation_table.html" if request.htmx else "partners/price_list.html"
    return render(request, template, context)


@role_required
def product_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "partners.add_product")
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = pricing.product_create(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{product.sku} added to the price list.")
            return redirect("partners:price-list")
    return _form_page(
        request,
        form=form,
        title="Add a product to the price list",
        submit="Add product",
        back=("Price list", "partners:price-list"),
    )


@role_required
def product_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    product = get_for_user(request, Product.objects.all(), "partners.change_product", pk=pk)
    form = ProductForm(request.POST or None, instance=Product.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            pricing.product_update(product=product, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{product.sku} saved.")
            return redirect("partners:price-list")
    return _form_page(
        request,
        form=form,
        title=f"Edit {product.sku}",
        submit="Save",
        back=("Price list", "partners:price-list"),
    )


@role_required
def observation_create(request: AuthedRequest, slug: str = "") -> HttpResponse:
    """Record a price seen: for the partner in the URL, or one picked in the form."""
    partner = None
    if slug:
        partner = get_object_or_404(visible_partners(user=request.user), slug=slug)
        check_perm(request, "partners.add_priceobservation", partner)
    choices = None if partner else directory_selectors.partners_for_deals(user=request.user)
    if choices is not None and not choices.exists():
        check_perm(request, "partners.add_priceobservation", None)  # refuses: manages nobody
    form = ObservationForm(request.POST or None, partners=choices)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        target = partner or data.pop("partner")
        check_perm(request, "partners.add_priceobservation", target)
        try:
            observation = pricing.observation_create(
                partner=target, recorded_by=request.user, **data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if observation.conflict_case_id:
                messages.warning(
                    request,
                    f"Recorded. The price is below the MAP: conflict case "
                    f"#{observation.conflict_case_id} holds it.",
                )
            else:
                messages.success(request, "Price recorded.")
            return redirect("partners:price-list")
    return _form_page(
        request,
        form=form,
        title=f"Record a price seen{f' for {partner.name}' if partner else ''}",
        submit="Record price",
        back=("Price list", "partners:price-list"),
    )


@role_required
@rate_limited("import")
def price_import(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "partners.import_priceobservation")
    form = PriceImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        allowed = selectors.price_partner_scope(user=request.user)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "prices.csv"
            with open(path, "wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            checked, created = pricing.observations_import(
                path=path, recorded_by=request.user, allowed_partners=allowed
            )
        if checked.ok:
            skipped = f"; {checked.unchanged} already recorded" if checked.unchanged else ""
            messages.success(request, f"{created} price(s) imported{skipped}.")
            return redirect("partners:price-list")
        report = {"name": upload.name, "errors": checked.errors, "bad_rows": checked.bad_rows}
    return render(
        request,
        "partners/price_import.html",
        {"form": form, "report": report, "columns": COLUMNS},
    )


@role_required
def price_template(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="price-observations-template.csv"'
    return response
