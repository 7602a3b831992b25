"""Email alert pages: a manager's own subscriptions, and the unsubscribe
link of the emails (it works without signing in)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, role_required
from channels_app.channels import selectors as channels_selectors
from kpis.dashboards.attention import Thresholds
from kpis.models import AlertSubscription

from . import selectors, services
from .forms import AlertSubscriptionForm


@role_required
def alert_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_alertsubscription")
    subscriptions = list(selectors.subscription_list(user=request.user))
    context = {
        "subscriptions": subscriptions,
        "thresholds": Thresholds.current(),
        "may_add": len(subscriptions) < len(AlertSubscription.Frequency.choices),
    }
    return render(request, "kpis/alerts/list.html", context)


def _form_page(request: AuthedRequest, subscription: AlertSubscription | None) -> HttpResponse:
    channels = channels_selectors.channel_list(user=request.user)
    instance = subscription or AlertSubscription(user=request.user)
    form = AlertSubscriptionForm(request.POST or None, instance=instance, channels=channels)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_save(
                subscription=form.save(commit=False), channels=form.cleaned_data["channels"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Alert emails saved.")
            return redirect("kpis:alerts")
    if not request.user.email:
        messages.warning(request, "Your account has no email address: ask an administrator.")
    return render(request, "kpis/alerts/form.html", {"form": form, "subscription": subscription})


@role_required
def alert_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.add_alertsubscription")
    return _form_page(request, None)


@role_required
def alert_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    check_perm(request, "kpis.view_alertsubscription")  # viewers: 403, whoever's it is
    subscription = get_for_user(
        request,
        selectors.subscription_list(user=request.user),
        "kpis.change_alertsubscription",
        pk=pk,
    )
    return _form_page(request, subscription)


@require_POST
@role_required
def alert_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    check_perm(request, "kpis.view_alertsubscription")
    subscription = get_for_user(
        request,
        selectors.subscription_list(user=request.user),
        "kpis.delete_alertsubscription",
        pk=pk,
    )
    services.subscription_delete(subscription=subscription)
    messages.success(request, "Alert emails deleted.")
    return redirect("kpis:alerts")


def alert_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The email's link: a page with one button (a GET never changes
    anything: mail scanners open links), then the emails stop."""
    subscription = services.subscription_for_token(token)
    if subscription is None:
        return render(request, "kpis/alerts/unsubscribe.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        services.unsubscribe(subscription=subscription)
        done = True
    context = {"subscription": subscription, "done": done or not subscription.is_active}
    return render(request, "kpis/alerts/unsubscribe.html", context)
