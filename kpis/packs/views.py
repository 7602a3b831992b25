"""Review pack pages: definitions, their archive, Render now, the files."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from channelhub.lib.ratelimit import rate_limited
from channelhub.lib.views import AuthedRequest, check_perm, paginate, role_required
from kpis.models import PackRender, ReviewPack

from . import selectors, services
from .forms import ReviewPackForm

# An archived pack runs its own inline scripts (Plotly, the chart drawer): it
# opens in a sandbox (an opaque origin, no access to the app's cookies) with a
# policy that allows nothing else.
PACK_CSP = (
    "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox allow-downloads; "
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:"
)


@role_required
def pack_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_reviewpack")
    page = paginate(request, selectors.pack_list())
    for pack in page.object_list:
        pack.next_at = services.next_slot_at(pack) if pack.is_active else None
    return render(request, "kpis/pack/list.html", {"page": page, "packs": page.object_list})


def _form_page(request: AuthedRequest, pack: ReviewPack | None) -> HttpResponse:
    initial = {} if pack else {"subscribers": [request.user] if request.user.email else []}
    form = ReviewPackForm(request.POST or None, instance=pack, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.pack_save(
                pack=form.save(commit=False),
                channels=form.cleaned_data["channels"],
                subscribers=form.cleaned_data["subscribers"],
                user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Review pack “{saved.name}” saved.")
            return redirect(saved)
    return render(request, "kpis/pack/form.html", {"form": form, "pack": pack})


@role_required
def pack_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.add_reviewpack")
    return _form_page(request, None)


@role_required
def pack_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    pack = get_object_or_404(ReviewPack, pk=pk)
    check_perm(request, "kpis.change_reviewpack", pack)
    return _form_page(request, pack)


@role_required
def pack_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    pack = get_object_or_404(ReviewPack, pk=pk)
    check_perm(request, "kpis.delete_reviewpack", pack)
    if request.method == "POST":
        services.pack_delete(pack=pack)
        messages.success(request, f"Review pack “{pack.name}” and its archive deleted.")
        return redirect("kpis:packs")
    return render(request, "kpis/pack/confirm_delete.html", {"pack": pack})


@role_required
def pack_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    check_perm(request, "kpis.view_reviewpack")
    pack = get_object_or_404(ReviewPack.objects.prefetch_related("channels", "subscribers"), pk=pk)
    page = paginate(request, pack.renders.select_related("requested_by"))
    context = {
        "pack": pack,
        "page": page,
        "renders": page.object_list,
        "next_at": services.next_slot_at(pack) if pack.is_active else None,
        "recipients": services.recipients(pack),
    }
    return render(request, "kpis/pack/detail.html", context)


@require_POST
@role_required
@rate_limited("pack_render")
def pack_render_now(request: AuthedRequest, pk: int) -> HttpResponse:
    pack = get_object_or_404(ReviewPack, pk=pk)
    check_perm(request, "kpis.render_reviewpack", pack)
    preview = services.pack_render_request(pack=pack, user=request.user)
    messages.info(request, "Rendering a preview of the pack; it is sent to nobody.")
    return redirect(preview)


def _render_for(request: AuthedRequest, pk: int) -> PackRender:
    check_perm(request, "kpis.view_reviewpack")
    return get_object_or_404(PackRender.objects.select_related("pack", "requested_by"), pk=pk)


@role_required
def render_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _render_for(request, pk)
    template = "kpis/pack/_render_status.html" if request.htmx else "kpis/pack/render.html"
    return render(
        request,
        template,
        {"item": item, "pack": item.pack, "retention_days": settings.PACK_RETENTION_DAYS},
    )


def _missing_file(item: PackRender) -> str:
    if item.files_removed_at:
        return (
            f"This pack's files were removed after {settings.PACK_RETENTION_DAYS} days (retention)."
        )
    return "This pack has no file (it did not render)."


@role_required
def render_file(request: AuthedRequest, pk: int) -> FileResponse:
    """The archived pack exactly as rendered: opened in the browser (sandboxed)
    or, with ?download=1, saved as a file that works offline."""
    item = _render_for(request, pk)
    if not item.html_file:
        raise Http404(_missing_file(item))
    download = request.GET.get("download") == "1"
    response = FileResponse(
        item.html_file.open("rb"),
        content_type="text/html; charset=utf-8",
        as_attachment=download,
        filename=(item.html_file.name or "pack.html").rsplit("/", 1)[-1],
    )
    if not download:
        response["Content-Security-Policy"] = PACK_CSP
    return response


@role_required
def render_csv(request: AuthedRequest, pk: int) -> FileResponse:
    item = _render_for(request, pk)
    if not item.csv_file:
        raise Http404(_missing_file(item))
    return FileResponse(
        item.csv_file.open("rb"),
        content_type="text/csv; charset=utf-8",
        as_attachment=True,
        filename=(item.csv_file.name or "kpis.csv").rsplit("/", 1)[-1],
    )
