"""The mapping step of an upload whose columns need questions, and the list of
saved sources. Views parse input, call one service, and render; an htmx
request re-renders the step as the user changes what it shows (the channel
column, the sheet, the header line)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from channelhub.lib.views import (
    AuthedRequest,
    check_perm,
    get_for_user,
    paginate,
    role_required,
)
from channels_app.channels.models import Channel
from kpis.models import ExchangeRate, ImportRun

from . import currency, selectors, sources
from .checks import FileProblem
from .formats import Layout
from .forms import MappingForm, RateForm, RatesUploadForm, value_field
from .mapping import IGNORE, resolve, suggest
from .presets import PRESETS, detect_preset, with_preset
from .reading import sniff
from .views import start_import

MAX_CHANNEL_VALUES = 60


def _channel_column(layout: Layout, data: Any, plan: dict[str, Any]) -> int | None:
    """The column the user (or the names) chose for the channel."""
    for i, name in enumerate(layout.names):
        if data is not None and f"col_{i}" in data:
            if data.get(f"col_{i}") == "channel":
                return i
            continue
        chosen = (plan.get("columns") or {}).get(name) or suggest(name)
        if chosen == "channel" or name.strip().lower() == "channel":
            return i
    return None


def _channel_values(layout: Layout, index: int | None) -> list[tuple[str, bool]]:
    """The file's channel values (in its first rows), each with whether a channel
    already has it as slug or name."""
    if index is None:
        return []
    known = set()
    for slug, name in Channel.objects.values_list("slug", "name"):
        known |= {slug.lower(), name.strip().lower()}
    values: list[str] = []
    for value in layout.column_values(index):
        if value not in values:
            values.append(value)
        if len(values) >= MAX_CHANNEL_VALUES:
            break
    return [(v, v.lower() in known) for v in values]


def _reading(layout: Layout, plan: dict[str, Any], post: Any) -> tuple[list[str], str]:
    """What the step can tell before the import, with the choices shown: how dates
    and amounts will be read, or the first question still open."""
    current = {**plan, "columns": dict(plan.get("columns") or {})}
    if post is not None:
        for i, name in enumerate(layout.names):
            if post.get(f"col_{i}"):
                current["columns"][name] = post[f"col_{i}"]
        for key in ("date_format", "decimal", "constant_channel"):
            if post.get(key):
                current[key] = post[key]
    try:
        mapping = resolve(layout, current)
    except FileProblem as problem:
        # The command line's way out is no help on this page.
        return [], re.sub(r"\s*\(on the command line: [^)]*\)", "", str(problem))
    said = ("Columns read as", "Every row is for")
    return [note for note in mapping.notes if not note.startswith(said)], ""


@role_required
def import_mapping(request: AuthedRequest, pk: int) -> HttpResponse:
    run = get_for_user(
        request, selectors.import_list(user=request.user), "kpis.map_importrun", pk=pk
    )
    if run.status != ImportRun.Status.MAPPING:
        return redirect(run)
    post = request.POST if request.method == "POST" else None
    refresh = bool(post and post.get("refresh"))
    reader: dict[str, Any] = {}
    if post:
        if post.get("sheet"):
            reader["sheet"] = post["sheet"]
        if (post.get("header_line") or "").isdigit():
            reader["header_line"] = int(post["header_line"])
    plan = dict(run.mapping or {})
    try:
        layout = sniff(Path(run.file.path), run.original_name, reader)
    except FileProblem as problem:
        return render(
            request,
            "kpis/import_mapping.html",
            {"run": run, "problem": str(problem), "form": None},
        )
    # A ready-made format: the one chosen, else the one the header looks like.
    preset = post.get("preset", "") if post is not None else detect_preset(layout.names)
    if preset in PRESETS and not plan.get("columns"):
        plan = with_preset(preset, plan)
    constant = post.get("constant_channel") if post is not None else plan.get("constant_channel")
    channels = list(Channel.objects.order_by("name").values_list("slug", "name"))
    form_kwargs: dict[str, Any] = {
        "refresh_url": reverse("kpis:import-mapping", kwargs={"pk": run.pk}),
        "layout": layout,
        "plan": plan,
        "channels": channels,
        # One channel for the whole file wins over a channel column: no values to map.
        "channel_values": []
        if constant
        else _channel_values(layout, _channel_column(layout, post, plan)),
        "may_create_channels": request.user.has_perm("channels_app.add_channel"),
    }
    if post and not refresh:
        form = MappingForm(post, **form_kwargs)
        if form.is_valid():
            new_plan, create = form.plan()
            try:
                run = sources.mapping_apply(
                    run=run,
                    user=request.user,
                    layout=layout,
                    plan=new_plan,
                    create_values=create,
                    save_as=form.cleaned_data.get("save_as") or "",
                )
            except (FileProblem, ValidationError) as problem:
                form.add_error(
                    None, problem.messages if isinstance(problem, ValidationError) else str(problem)
                )
            else:
                start_import(request, run)
                return redirect(run)
    else:
        initial = post.dict() if post else {"preset": plan.get("preset", "")}
        if post and post.get("apply_preset"):
            # The format chosen sets the columns (and how dates are written) again.
            initial = {
                k: v
                for k, v in initial.items()
                if not k.startswith("col_") and k not in ("date_format", "decimal")
            }
        form = MappingForm(initial=initial, **form_kwargs)
    rows = layout.preview()
    detected, question = _reading(layout, plan, post)
    chosen_values = {k.lower() for k in plan.get("channel_values") or {}}
    unknown = [
        value
        for value, known in form_kwargs["channel_values"]
        if not known
        and value.lower() not in chosen_values
        and not (post is not None and post.get(value_field(value)))
    ]
    if not question and unknown and not constant:
        question = (
            "No channel is called "
            + ", ".join(f"“{v}”" for v in unknown[:5])
            + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
            + ": under Channels, map each value to a channel, create a channel for it or "
            "drop its rows; or choose one channel for the whole file."
        )
    return render(
        request,
        # An htmx re-render swaps the step only (a whole page would bring inline styles).
        "kpis/_mapping_form.html" if request.htmx else "kpis/import_mapping.html",
        {
            "run": run,
            "form": form,
            "layout": layout,
            "columns": [
                (
                    name,
                    form[f"col_{i}"] if f"col_{i}" in form.fields else None,
                    [r[i] if i < len(r) else "" for r in rows],
                )
                for i, name in enumerate(layout.names)
            ],
            "ignore": IGNORE,
            "found": [*layout.notes, *detected],
            "question": question,
        },
    )


@role_required
def source_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_source")
    saved = list(sources.source_list(user=request.user))
    return render(
        request,
        "kpis/source_list.html",
        {
            "sources": saved,
            # Per source: its owner (or an administrator) deletes it (kpis/rules.py).
            "deletable": {s.pk for s in saved if request.user.has_perm("kpis.delete_source", s)},
            "presets": sources.PRESETS,
        },
    )


@require_POST
@role_required
def source_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    source = get_for_user(
        request, sources.source_list(user=request.user), "kpis.delete_source", pk=pk
    )
    name = source.name
    sources.source_delete(source=source)
    messages.success(request, f"The source “{name}” is deleted; its past imports are kept.")
    return redirect("kpis:sources")


@role_required
def rates_page(request: AuthedRequest) -> HttpResponse:
    """Exchange rates: a file of them, or one by hand; the latest listed."""
    check_perm(request, "kpis.view_exchangerate")
    upload_form = RatesUploadForm()
    rate_form = RateForm()
    if request.method == "POST":
        check_perm(request, "kpis.add_exchangerate")
        if "file" in request.FILES:
            upload_form = RatesUploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                try:
                    count = currency.rates_import(
                        content=upload_form.cleaned_data["file"].read(), user=request.user
                    )
                except FileProblem as problem:
                    upload_form.add_error("file", str(problem))
                    for error in problem.errors[:20]:
                        if error.get("column"):
                            upload_form.add_error(
                                "file",
                                f"Line {error['line']}, {error['column']} “{error['value']}”: "
                                f"{error['reason']}",
                            )
                else:
                    messages.success(request, f"{count:,} rate(s) saved.")
                    return redirect("kpis:rates")
        else:
            rate_form = RateForm(request.POST)
            if rate_form.is_valid():
                data = rate_form.cleaned_data
                currency.rate_set(
                    currency=data["currency"], day=data["day"], rate=data["rate"], user=request.user
                )
                messages.success(request, "Rate saved.")
                return redirect("kpis:rates")
    page = paginate(request, ExchangeRate.objects.all())
    return render(
        request,
        "kpis/rates.html",
        {
            "upload_form": upload_form,
            "rate_form": rate_form,
            "page": page,
            "rates": page.object_list,
            "reporting": settings.REPORTING_CURRENCY,
        },
    )
