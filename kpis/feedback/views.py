"""Customer feedback pages: the list with NPS and rating, recording one entry,
importing a file of them (through the import pages' machinery), the template."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from channelhub.lib.ratelimit import rate_limited
from channelhub.lib.views import AuthedRequest, check_perm, paginate, role_required
from channels_app.channels import selectors as channels_selectors
from kpis.ingest.forms import ImportForm
from kpis.ingest.services import import_create
from kpis.ingest.views import start_import
from kpis.models import ImportRun
from partners.directory.selectors import partner_list

from . import selectors, services
from .forms import FeedbackForm


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
@rate_limited("import")
def feedback_import(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.import_customerfeedback")
    form = ImportForm(request.POST or None, request.FILES or None)
    form.fields.pop("create_channels")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = import_create(
            file=upload, name=upload.name, user=request.user, kind=ImportRun.Kind.FEEDBACK
        )
        start_import(request, run)
        return redirect(run)
    return render(request, "kpis/feedback_import.html", {"form": form})


@role_required
def feedback_template(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(services.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="channelhub-feedback-template.csv"'
    return response
