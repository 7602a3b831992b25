"""Import, job history and export pages. Views parse input, call one service or
selector, and render; one partial template serves both the first load and the
htmx refresh of a running job."""

from __future__ import annotations

import csv
import logging
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, check_perm, paginate, role_required
from channelhub.metrics.periods import KINDS
from channels_app.channels import selectors as channels_selectors

from . import dashboards, renders, selectors, services
from .exports import HEADER, export_rows, portfolio_table_rows, write_csv
from .forms import DashboardFilterForm, FeedbackForm, ImportForm
from .importing import template_csv
from .models import ImportRun, RecomputeRun
from .progress import get_progress

log = logging.getLogger(__name__)


@role_required
def import_page(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.add_importrun")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = services.import_create(
            file=upload,
            name=upload.name,
            user=request.user,
            create_channels=form.cleaned_data["create_channels"],
        )
        _start_import(request, run)
        return redirect(run)
    recent = selectors.import_list(user=request.user)[:5]
    return render(request, "kpis/import.html", {"form": form, "recent": recent})


def _start_import(request: AuthedRequest, run: ImportRun) -> None:
    """Hand the import to a worker and tell the user what happened, broker down or not."""
    name = run.original_name
    try:
        how = services.import_start(run)
    except Exception:
        # import_execute marked the run failed with its reason (import page).
        log.exception("import %s failed in the request", run.pk)
        messages.error(request, f"“{name}” could not be imported; the reason is below.")
        return
    if how == services.ImportStart.QUEUED:
        messages.info(request, f"“{name}” is being checked and imported.")
    elif how == services.ImportStart.IMPORTED:
        messages.warning(
            request,
            f"The job queue is unavailable right now, so “{name}” was checked and imported "
            "directly. Its KPIs will be recomputed automatically once the queue is back.",
        )
    else:
        messages.warning(
            request,
            f"The job queue is unavailable right now. “{name}” is stored and will be "
            "imported automatically as soon as it is back; nothing is lost.",
        )


def _get_import_for_user(request: AuthedRequest, pk: int) -> ImportRun:
    check_perm(request, "kpis.view_importrun")
    return get_object_or_404(selectors.import_list(user=request.user), pk=pk)


@role_required
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    run = _get_import_for_user(request, pk)
    processed, total = (get_progress(run.pk) if run.is_active else None) or (
        run.rows_processed,
        run.rows_total,
    )
    context = {
        "run": run,
        "errors": run.errors,
        "processed": processed,
        "total": total,
        "percent": min(100, processed * 100 // total) if total else 0,
    }
    if request.htmx:
        return render(request, "kpis/_import_status.html", context)
    return render(request, "kpis/import_detail.html", context)


@require_POST
@role_required
def import_undo(request: AuthedRequest, pk: int) -> HttpResponse:
    run = _get_import_for_user(request, pk)
    check_perm(request, "kpis.undo_importrun", run)
    try:
        services.import_undo(run=run, user=request.user)
    except services.ImportRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Import undone; the affected KPIs are being recomputed.")
    return redirect(run)


@role_required
def import_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_importrun")
    runs = selectors.import_list(user=request.user)
    status = request.GET.get("status", "")
    if status in ImportRun.Status.values:
        runs = runs.filter(status=status)
    page = paginate(request, runs)
    return render(
        request,
        "kpis/import_list.html",
        {
            "page": page,
            "runs": page.object_list,
            "statuses": ImportRun.Status.choices,
            "status": status,
        },
    )


@role_required
def import_template(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="channelhub-daily-facts-template.csv"'
    return response


@role_required
def run_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_recomputerun")
    page = paginate(request, selectors.recompute_run_list(user=request.user))
    return render(request, "kpis/run_list.html", {"page": page, "runs": page.object_list})


@require_POST
@role_required
def run_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.add_recomputerun")
    channel = None
    if request.POST.get("channel"):
        channel = get_object_or_404(
            channels_selectors.channel_list(user=request.user), slug=request.POST["channel"]
        )
    run = services.recompute_request(
        trigger=RecomputeRun.Trigger.MANUAL,
        channel_ids=[channel.pk] if channel else None,
        requested_by=request.user,
    )
    scope = f"“{channel.name}”" if channel else "every channel"
    messages.success(request, f"Recompute #{run.pk} of {scope} queued.")
    return redirect(run)


@role_required
def run_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    check_perm(request, "kpis.view_recomputerun")
    run = get_object_or_404(selectors.recompute_run_list(user=request.user), pk=pk)
    if request.htmx:
        return render(request, "kpis/_run_status.html", {"run": run})
    return render(request, "kpis/run_detail.html", {"run": run})


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class _Echo:
    def write(self, value: str) -> str:
        return value


@role_required
def export_csv(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    """The export of METRICS.md s6 as a download (same rows as `export_kpis`)."""
    check_perm(request, "kpis.view_kpisnapshot")
    kind = request.GET.get("period", "month")
    if kind not in KINDS:
        return HttpResponse(f"Unknown period “{kind}”.", status=400, content_type="text/plain")
    channels = None
    slugs = request.GET.getlist("channel")
    if slugs:
        channels = list(channels_selectors.channel_list(user=request.user).filter(slug__in=slugs))
    rows = export_rows(
        kind=kind,
        channels=channels,
        start=_parse_date(request.GET.get("start")),
        end=_parse_date(request.GET.get("end")),
    )
    writer = csv.writer(_Echo(), lineterminator="\n")
    stream = (writer.writerow(row) for row in [HEADER, *rows])
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    name = slugify("-".join(slugs)) or "all-channels"
    response["Content-Disposition"] = f'attachment; filename="kpis-{name}-{kind}.csv"'
    return response


# --- Dashboards ---------------------------------------------------------------------------


def _filter_form(request: AuthedRequest) -> DashboardFilterForm:
    data = request.GET.copy()
    data.setdefault("period", "month")
    return DashboardFilterForm(data)


def _dashboard_filters(request: AuthedRequest) -> tuple[DashboardFilterForm, dashboards.Filters]:
    form = _filter_form(request)
    filters = form.filters().snapped(dashboards.latest_fact_day())
    return form, filters


def portfolio_page(request: AuthedRequest, extra: dict | None = None) -> HttpResponse:
    """The portfolio dashboard: the home page of managers and viewers. The
    default view is read from the store (kpis.renders); a filtered one is
    computed."""
    check_perm(request, "kpis.view_kpisnapshot")
    form = _filter_form(request)
    view = renders.portfolio_view(user=request.user, filters=form.filters())
    context = {
        "form": form,
        "filters": view.filters,
        "parts": view.parts,
        "has_data": view.has_data,
        "attention": renders.attention_preview(user=request.user),
        **(extra or {}),
    }
    if request.htmx:
        return render(request, "kpis/_portfolio_body.html", context)
    return render(request, "kpis/portfolio.html", context)


@role_required
def portfolio_view(request: AuthedRequest) -> HttpResponse:
    return portfolio_page(request)


@role_required
def portfolio_table_csv(request: AuthedRequest) -> HttpResponse:
    """The dashboard's channel table as CSV: the same numbers, one row per channel."""
    check_perm(request, "kpis.view_kpisnapshot")
    _, filters = _dashboard_filters(request)
    data = dashboards.portfolio(user=request.user, filters=filters)
    out = HttpResponse(content_type="text/csv; charset=utf-8")
    write_csv(out, portfolio_table_rows(data.table, filters))
    out["Content-Disposition"] = (
        f'attachment; filename="portfolio-{filters.kind}-{filters.start}-{filters.end}.csv"'
    )
    return out


@role_required
def channel_dashboard_view(request: AuthedRequest, slug: str) -> HttpResponse:
    check_perm(request, "kpis.view_kpisnapshot")
    channel = get_object_or_404(channels_selectors.channel_list(user=request.user), slug=slug)
    form = _filter_form(request)
    state = selectors.channel_data_state(channel)
    view = renders.channel_view(
        user=request.user, channel=channel, filters=form.filters(), state=state
    )
    context = {
        "form": form,
        "channel": channel,
        "state": state,
        "filters": view.filters,
        "parts": view.parts,
    }
    if request.htmx:
        return render(request, "kpis/_channel_dashboard_body.html", context)
    return render(request, "kpis/channel_dashboard.html", context)


@role_required
def attention_view(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_kpisnapshot")
    items = dashboards.attention_items(user=request.user)
    return render(request, "kpis/attention.html", {"items": items})


# --- Customer feedback ------------------------------------------------------------------


@role_required
def feedback_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_customerfeedback")
    entries = selectors.feedback_list(user=request.user)
    channel = request.GET.get("channel", "")
    if channel:
        entries = entries.filter(channel__slug=channel)
    page = paginate(request, entries)
    return render(
        request,
        "kpis/feedback_list.html",
        {
            "page": page,
            "entries": page.object_list,
            "channels": channels_selectors.channel_list(user=request.user),
            "channel": channel,
            "summary": selectors.feedback_summary(entries),
        },
    )


@role_required
def feedback_create(request: AuthedRequest) -> HttpResponse:
    from partners.directory.selectors import partner_list

    partners = partner_list(user=request.user)
    if not request.user.has_perm("kpis.import_customerfeedback"):
        # Partner managers record feedback about the partners they manage only.
        partners = partners.filter(manager=request.user)
        if not partners.exists():
            check_perm(request, "kpis.add_customerfeedback")
    initial = {"day": date.today(), "channel": request.GET.get("channel")}
    form = FeedbackForm(request.POST or None, initial=initial, partners=partners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        check_perm(request, "kpis.add_customerfeedback", data["partner"])
        try:
            services.feedback_create(created_by=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, "Feedback recorded; the channel's NPS and rating are being recomputed."
            )
            return redirect("kpis:feedback")
    return render(request, "kpis/feedback_form.html", {"form": form})


@role_required
def feedback_import(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.import_customerfeedback")
    form = ImportForm(request.POST or None, request.FILES or None)
    form.fields.pop("create_channels")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = services.import_create(
            file=upload, name=upload.name, user=request.user, kind=ImportRun.Kind.FEEDBACK
        )
        _start_import(request, run)
        return redirect(run)
    return render(request, "kpis/feedback_import.html", {"form": form})


@role_required
def feedback_template(request: AuthedRequest) -> HttpResponse:
    from .services.feedback import template_csv as feedback_template_csv

    response = HttpResponse(feedback_template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="channelhub-feedback-template.csv"'
    return response
