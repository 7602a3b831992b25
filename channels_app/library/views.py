"""The brand library pages inside: the list of every channel's material,
publishing an item, its versions (replace the file, withdraw it), downloads.
Items are fetched through `get_for_user`, which asks rules.py who may publish."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channelhub.lib.documents import download_response
from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, paginate, role_required
from channels_app.channels import selectors as channels_selectors

from . import selectors, services
from .forms import LibraryItemForm, LibraryReplaceForm


@role_required
def library_list(request: AuthedRequest) -> HttpResponse:
    channels = list(channels_selectors.channel_list(user=request.user))
    chosen = next((c for c in channels if c.slug == request.GET.get("channel")), None)
    withdrawn = request.GET.get("show") == "withdrawn"
    page = paginate(
        request,
        selectors.library_items(
            user=request.user, channel_id=chosen.pk if chosen else None, withdrawn=withdrawn
        ),
    )
    return render(
        request,
        "channels_app/library_list.html",
        {
            "page": page,
            "items": page.object_list,
            "channels": channels,
            "chosen": chosen,
            "withdrawn": withdrawn,
            "can_publish": chosen is not None
            and request.user.has_perm("channels_app.add_libraryitem", chosen),
        },
    )


@role_required
def library_create(request: AuthedRequest, slug: str) -> HttpResponse:
    channel = get_for_user(
        request,
        channels_selectors.channel_list(user=request.user),
        "channels_app.add_libraryitem",
        slug=slug,
    )
    form = LibraryItemForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.library_item_publish(
                channel=channel,
                title=data["title"],
                kind=data["kind"],
                description=data["description"],
                file=data["file"],
                note=data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"“{item.title}” is published, version 1, to {channel.name}'s partners."
            )
            return redirect(item.get_absolute_url())
    return render(
        request,
        "channels_app/library_form.html",
        {"form": form, "channel": channel, "title": "Publish to the library"},
    )


@role_required
def library_item(request: AuthedRequest, pk: int) -> HttpResponse:
    """One item with its versions; who may publish in its channel replaces
    the file here (a new version)."""
    item = get_for_user(
        request,
        selectors.library_item_queryset(user=request.user),
        "channels_app.view_libraryitem",
        pk=pk,
    )
    can_change = request.user.has_perm("channels_app.change_libraryitem", item)
    form = LibraryReplaceForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        check_perm(request, "channels_app.change_libraryitem", item)
        if form.is_valid():
            try:
                version = services.library_item_replace(
                    item=item,
                    file=form.cleaned_data["file"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    f"Version {version.number} of “{item.title}” is now the one partners get.",
                )
                return redirect(item.get_absolute_url())
    return render(
        request,
        "channels_app/library_item.html",
        {
            "item": item,
            "channel": item.channel,
            "versions": list(selectors.library_versions(item=item)),
            "form": form,
            "can_change": can_change,
        },
    )


@require_POST
@role_required
def library_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    item = get_for_user(
        request,
        selectors.library_item_queryset(user=request.user),
        "channels_app.change_libraryitem",
        pk=pk,
    )
    try:
        services.library_item_withdraw(item=item, by=request.user)
    except ValidationError as exc:
        messages.error(request, "Not withdrawn: " + " ".join(exc.messages))
    else:
        messages.success(request, f"“{item.title}” is withdrawn: partners no longer see it.")
    return redirect(item.get_absolute_url())


@role_required
def library_download(request: AuthedRequest, pk: int) -> HttpResponse:
    """One version's file (uploads live where no URL serves them)."""
    version = get_for_user(
        request,
        selectors.library_version_queryset(user=request.user),
        "channels_app.view_libraryitem",
        pk=pk,
    )
    return download_response(version.file, name=version.file_name, kind=version.file_type)
