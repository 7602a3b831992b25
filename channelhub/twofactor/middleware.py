"""Holds a signed-in session at the code page (enrolled, code not yet typed)
or at the set-up page (two-factor required and not set up yet)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp import user_has_device

from channelhub.lib.roles import is_partner_user

# Session keys: a code is still owed; an enrolment is still owed.
PENDING = "two_factor_pending"
ENROL = "two_factor_enrol"

# Where a held session may still go.
OPEN_URL_NAMES = ("two_factor_verify", "two_factor_setup", "logout")


def required_for(user: Any) -> bool:
    """Must this user set up two-factor sign-in (PORTAL_REQUIRE_TWO_FACTOR)?"""
    return bool(getattr(settings, "PORTAL_REQUIRE_TWO_FACTOR", False)) and is_partner_user(user)


@receiver(user_logged_in, dispatch_uid="channelhub.twofactor.on_login")
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    request.session.pop(PENDING, None)
    request.session.pop(ENROL, None)
    if user_has_device(user, confirmed=True):
        request.session[PENDING] = True
    elif required_for(user):
        request.session[ENROL] = True


def _open(path: str) -> bool:
    if path.startswith(settings.STATIC_URL):
        return True
    return path in {reverse(name) for name in OPEN_URL_NAMES}


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not _open(request.path):
            session = request.session
            target = None
            if session.get(PENDING):
                target = "two_factor_verify"
            elif session.get(ENROL):
                target = "two_factor_setup"
            if target is not None:
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse(target)}?{query}")
        return self.get_response(request)
