"""Channel and objective pages. Views parse input, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, paginate, role_required
from channels_app.channels import services
from channels_app.extensions import channel_page

from . import selectors
from .filters import ChannelFilter, ObjectiveFilter
from .forms import ChannelForm, ObjectiveForm
from .models import Channel, ChannelObjective


@role_required
def channel_list(request: AuthedRequest) -> HttpResponse:
    filterset = ChannelFilter(request.GET, queryset=selectors.channel_list(user=request.user))
    page = paginate(request, filterset.qs)
    context = {"filter": filterset, "page": page, "channels": page.object_list}
    template = (
        "channels_app/_channel_table.html" if request.htmx else "channels_app/channel_list.html"
    )
    return render(request, template, context)


@role_required
def channel_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    channel = get_for_user(
        request, selectors.channel_list(user=request.user), "channels_app.view_channel", slug=slug
    )
    objectives = selectors.objective_list(user=request.user, channel=channel)
    return render(
        request,
        "channels_app/channel_detail.html",
        {
            "channel": channel,
            "objectives": objectives,
            "transitions": services.STATUS_TRANSITIONS[channel.status],
            # The KPI table and recent feedback, from the KPI engine.
            **channel_page.context(request=request, channel=channel),
        },
    )


@role_required
def channel_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "channels_app.add_channel")
    form = ChannelForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.channel_create(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Channel “{channel.name}” created.")
            return redirect(channel)
    return render(request, "channels_app/channel_form.html", {"form": form})


@role_required
def channel_edit(request: AuthedRequest, slug: str) -> HttpResponse:
    channel = get_for_user(
        request, selectors.channel_list(user=request.user), "channels_app.change_channel", slug=slug
    )
    form = ChannelForm(request.POST or None, instance=Channel.objects.get(pk=channel.pk))
    if request.method == "POST" and form.is_valid():
        old_slug = channel.slug
        try:
            channel = services.channel_update(channel=channel, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Channel “{channel.name}” saved.")
            if channel.slug != old_slug:
                # Files to import name channels by slug or name: one naming
                # the old slug now fails, as do links to the old address.
                messages.warning(
                    request,
                    f"Its slug is now “{channel.slug}”: files to import must name it "
                    f"“{channel.slug}” or “{channel.name}” (“{old_slug}” is no longer "
                    "known), and links to its old address no longer work.",
                )
            return redirect(channel)
    return render(request, "channels_app/channel_form.html", {"form": form, "channel": channel})


@require_POST
@role_required
def channel_set_status(request: AuthedRequest, slug: str) -> HttpResponse:
    channel = get_for_user(
        request, selectors.channel_list(user=request.user), "channels_app.change_channel", slug=slug
    )
    status = request.POST.get("status", "")
    if status not in Channel.Status.values:
        messages.error(request, "Unknown status.")
        return redirect(channel)
    if (
        status == Channel.Status.RETIRED
        and channel.status != status
        and request.POST.get("confirm") != "yes"
    ):
        # Retiring takes the channel off the dashboards and packs: asked once more.
        return render(request, "channels_app/channel_retire.html", {"channel": channel})
    try:
        channel = services.channel_set_status(channel=channel, status=status)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"“{channel.name}” is now {channel.get_status_display().lower()}."
        )
    return redirect(channel)


@role_required
def objective_list(request: AuthedRequest) -> HttpResponse:
    filterset = ObjectiveFilter(request.GET, queryset=selectors.objective_list(user=request.user))
    page = paginate(request, filterset.qs)
    return render(
        request,
        "channels_app/objective_list.html",
        {"filter": filterset, "page": page, "objectives": page.object_list},
    )


@role_required
def objective_create(request: AuthedRequest, slug: str) -> HttpResponse:
    channel = get_for_user(
        request, selectors.channel_list(user=request.user), "channels_app.change_channel", slug=slug
    )
    check_perm(request, "channels_app.add_channelobjective", channel)
    form = ObjectiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_create(channel=channel, created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Objective added.")
            return redirect(channel)
    return render(request, "channels_app/objective_form.html", {"form": form, "channel": channel})


@role_required
def objective_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    objective = get_for_user(
        request,
        selectors.objective_list(user=request.user),
        "channels_app.change_channelobjective",
        pk=pk,
    )
    form = ObjectiveForm(request.POST or None, instance=ChannelObjective.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_update(objective=objective, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Objective saved.")
            return redirect(objective.channel)
    return render(
        request,
        "channels_app/objective_form.html",
        {"form": form, "channel": objective.channel, "objective": objective},
    )


@role_required
def objective_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    objective = get_for_user(
        request,
        selectors.objective_list(user=request.user),
        "channels_app.delete_channelobjective",
        pk=pk,
    )
    if request.method == "POST":
        services.objective_delete(objective=objective)
        messages.success(request, "Objective deleted.")
        return redirect(objective.channel)
    return render(request, "channels_app/objective_confirm_delete.html", {"objective": objective})
