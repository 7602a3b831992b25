"""The one gate between partner users and everything inside.

On every request by a partner user (role "partner user"): the account must
still be open (the user, its contact and its partner active; checked here on
each request, not only at sign-in, so deactivating a contact or offboarding a
partner shuts a signed-in session at its next click), and the path must be
one of the portal's or the few account pages (sign in and out, password).
Anything else (internal pages, the admin, the API) answers 403. Internal users
pass untouched; the portal's own views refuse them (channelhub/portal/views.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from channelhub.lib.roles import is_partner_user
from partners.access.selectors import portal_account_for

# Account pages a partner user may use (besides /portal/ and static files).
ACCOUNT_URL_NAMES = (
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
    "two_factor_verify",
    "two_factor_setup",
)
API_PREFIX = "/api/"
# Password-reset links carry their own path arguments: allowed by prefix.
ACCOUNT_PATH_PREFIXES = ("/accounts/reset/",)


def _allowed(path: str) -> bool:
    if path.startswith((reverse("portal:home"), settings.STATIC_URL, *ACCOUNT_PATH_PREFIXES)):
        return True
    return path in {reverse(name) for name in ACCOUNT_URL_NAMES}


class PortalGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.portal_account = None  # type: ignore[attr-defined]
        user = request.user
        # The group names are read once per request and cached on the user
        # (rules does it), so the role checks further on cost nothing more.
        if user.is_authenticated and is_partner_user(user):
            account = portal_account_for(user=user)
            if account is None or not account.is_open:
                logout(request)
                return render(request, "portal/closed.html", status=403)
            request.portal_account = account  # type: ignore[attr-defined]
            if not _allowed(request.path):
                if request.path == reverse("home"):
                    return HttpResponseRedirect(reverse("portal:home"))
                if request.path.startswith(API_PREFIX):
                    # The API's own error body (docs/api.md: detail and code).
                    return JsonResponse(
                        {
                            "detail": "Partner accounts use the partner portal, not the API.",
                            "code": "permission_denied",
                        },
                        status=403,
                    )
                return render(request, "portal/not_here.html", status=403)
        return self.get_response(request)
