"""Interaction and review pages. Views parse input, call one service or
selector, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, paginate, role_required
from partners.directory import selectors as directory_selectors
from partners.directory.selectors import partner_detail_queryset
from partners.directory.views import partner_form_page

from . import services
from .forms import ActionItemFormSet, InteractionForm, ReviewForm, action_items_of
from .models import Interaction, PartnerReview, ReviewActionItem
from .selectors import interaction_queryset, review_queryset


@role_required
def interaction_list(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request, partner_detail_queryset(user=request.user), "partners.view_interaction", slug=slug
    )
    interactions = partner.interactions.select_related("logged_by").prefetch_related("contacts")
    # "Portal" narrows the log to what the partner's people did and wrote in
    # the partner portal.
    portal_only = request.GET.get("kind") == "portal"
    if portal_only:
        interactions = interactions.filter(kind__in=Interaction.PORTAL_KINDS)
    page = paginate(request, interactions)
    return render(
        request,
        "partners/interaction_list.html",
        {
            "partner": partner,
            "page": page,
            "interactions": page.object_list,
            "can_edit": request.user.has_perm("partners.add_interaction", partner),
            "portal_only": portal_only,
        },
    )


@role_required
def interaction_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request, partner_detail_queryset(user=request.user), "partners.add_interaction", slug=slug
    )
    form = InteractionForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_create(
                partner=partner, logged_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Interaction logged.")
            return redirect(f"{partner.get_absolute_url()}#interactions")
    return partner_form_page(
        request, partner, form=form, title="Log an interaction", submit="Log it"
    )


@role_required
def interaction_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    interaction = get_for_user(
        request, interaction_queryset(user=request.user), "partners.change_interaction", pk=pk
    )
    try:
        services.interaction_check_editable(interaction)
    except ValidationError as exc:
        # A portal message or portal activity: no form to fill in, back to the log.
        messages.error(request, " ".join(exc.messages))
        return redirect("partners:interactions", slug=interaction.partner.slug)
    form = InteractionForm(
        request.POST or None,
        instance=Interaction.objects.get(pk=pk),
        partner=interaction.partner,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_update(interaction=interaction, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Interaction saved.")
            return redirect(f"{interaction.partner.get_absolute_url()}#interactions")
    return partner_form_page(
        request, interaction.partner, form=form, title="Edit interaction", submit="Save"
    )


@require_POST
@role_required
def follow_up_done(request: AuthedRequest, pk: int) -> HttpResponse:
    interaction = get_for_user(
        request, interaction_queryset(user=request.user), "partners.change_interaction", pk=pk
    )
    done = request.POST.get("done", "1") == "1"
    try:
        services.follow_up_set_done(interaction=interaction, done=done)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Follow-up done." if done else "Follow-up reopened.")
    return redirect(request.POST.get("next") or interaction.partner.get_absolute_url())


@role_required
def review_create(request: AuthedRequest, slug: str) -> HttpResponse:
    partner = get_for_user(
        request, partner_detail_queryset(user=request.user), "partners.add_partnerreview", slug=slug
    )
    cadence = services.review_cadence_days(partner)
    form = ReviewForm(request.POST or None, default_cadence_days=cadence)
    formset = ActionItemFormSet(request.POST or None, prefix="actions")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            review = services.review_submit(
                partner=partner,
                author=request.user,
                action_items=action_items_of(formset),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Review logged: overall {review.overall}.")
            return redirect(f"{partner.get_absolute_url()}#reviews")
    return render(
        request,
        "partners/review_form.html",
        {"partner": partner, "form": form, "formset": formset},
    )


@role_required
def review_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    review = get_for_user(
        request, review_queryset(user=request.user), "partners.view_partnerreview", pk=pk
    )
    return render(
        request,
        "partners/review_detail.html",
        {
            "review": review,
            "partner": review.partner,
            "action_items": list(review.action_items.all()),
            "revisions": list(review.revisions.select_related("edited_by")),
            "can_edit": request.user.has_perm("partners.change_partnerreview", review),
            "can_tick": request.user.has_perm("partners.change_reviewactionitem", review.partner),
        },
    )


@role_required
def review_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    review = get_for_user(
        request, review_queryset(user=request.user), "partners.change_partnerreview", pk=pk
    )
    partner = review.partner
    items = [
        {"description": i.description, "owner": i.owner, "due_on": i.due_on, "done_on": i.done_on}
        for i in review.action_items.all()
    ]
    form = ReviewForm(
        request.POST or None,
        instance=PartnerReview.objects.get(pk=pk),
        default_cadence_days=services.review_cadence_days(partner),
    )
    formset = ActionItemFormSet(request.POST or None, prefix="actions", initial=items)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.review_update(
                review=review,
                editor=request.user,
                data=form.cleaned_data,
                action_items=action_items_of(formset),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Review saved; the earlier version is kept in its history.")
            return redirect(review)
    return render(
        request,
        "partners/review_form.html",
        {"partner": partner, "form": form, "formset": formset, "review": review},
    )


@require_POST
@role_required
def action_item_toggle(request: AuthedRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        ReviewActionItem.objects.select_related("review__partner").filter(
            review__partner__in=directory_selectors.visible_partners(user=request.user)
        ),
        pk=pk,
    )
    check_perm(request, "partners.change_reviewactionitem", item.review.partner)
    services.action_item_set_done(item=item, done=item.done_on is None)
    return redirect(request.POST.get("next") or item.review.get_absolute_url())
