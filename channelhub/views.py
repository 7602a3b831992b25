"""Pages that belong to no single app: home, the user's own profile (with API
tokens), the rate-limited password reset, and the health check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from channelhub.lib.ratelimit import rate_limited
from channelhub.lib.security import client_ip
from channelhub.lib.views import AuthedRequest, check_perm, role_required
from kpis.dashboards.views import portfolio_page
from partners.attention import selectors as attention_selectors
from partners.deals import selectors as deals_selectors

from . import history, selectors, services
from .forms import ApiTokenForm
from .health import CHECKS, health_report


def _reset_email(request: HttpRequest) -> str | None:
    email = request.POST.get("email", "").strip().lower()
    return f"email:{email}" if email else None


def _client_address(request: HttpRequest) -> str:
    return f"ip:{client_ip(request)}"


# Django's reset page, counted per account asked for and per address asking:
# each email lands in someone's inbox (RATE_LIMITS in settings).
password_reset = rate_limited("password_reset", key=_reset_email)(
    rate_limited("password_reset_ip", key=_client_address)(auth_views.PasswordResetView.as_view())
)


@role_required
def home(request: AuthedRequest) -> HttpResponse:
    """The portfolio dashboard, with what needs the user today on top."""
    user = request.user
    extra = {
        "partner_today": attention_selectors.today_for_user(user=user, today=timezone.localdate()),
        "conflicts_today": deals_selectors.conflicts_for_user(user=user),
    }
    return portfolio_page(request, extra=extra)


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    """The user's profile, with their personal API tokens.

    A new token is shown in the response to the POST that created it and
    never again: only its hash is stored (not even in the session).
    """
    user = request.user
    form = ApiTokenForm()
    new_token = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke-token":
            token_id = request.POST.get("token", "")
            if not token_id.isdigit():
                raise Http404("No such token.")
            token = get_object_or_404(selectors.api_token_list(user=user), pk=int(token_id))
            check_perm(request, "channelhub.delete_apitoken", token)
            services.api_token_revoke(token=token)
            messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
            return redirect("profile")
        check_perm(request, "channelhub.add_apitoken")
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            token, new_token = services.api_token_create(user=user, name=form.cleaned_data["name"])
            form = ApiTokenForm()
    return render(
        request,
        "registration/profile.html",
        {
            "token_form": form,
            "tokens": selectors.api_token_list(user=user),
            "new_token": new_token,
            "can_create_tokens": user.has_perm("channelhub.add_apitoken"),
        },
    )


@never_cache
@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """No sign-in: 200 when every check passes, 503 otherwise, JSON either way.

    `?check=database&check=broker` runs only those checks (the web container's
    own health check does not depend on the worker or beat being up).
    """
    wanted = request.GET.getlist("check") or list(CHECKS)
    unknown = sorted(set(wanted) - set(CHECKS))
    if unknown:
        return JsonResponse(
            {"ok": False, "error": f"unknown check: {', '.join(unknown)}"}, status=400
        )
    report = health_report(wanted)
    return JsonResponse(report, status=200 if report["ok"] else 503)


@role_required
def object_history(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    """The audit trail of one object, for whoever may view the object."""
    spec = history.KINDS.get(kind)
    if spec is None:
        raise Http404("No history of that kind.")
    obj = get_object_or_404(spec.model._default_manager, pk=pk)
    check_perm(request, spec.view_perm, obj)
    page, entries = history.object_history(obj=obj, page_number=request.GET.get("page"))
    return render(
        request,
        "history/object_history.html",
        {
            "object": obj,
            "kind": spec,
            "back_url": history.object_page_url(obj),
            "page_obj": page,
            "entries": entries,
        },
    )
