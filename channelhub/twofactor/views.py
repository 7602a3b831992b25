"""The two-factor pages: type the code at sign-in; set up an authenticator app."""

from __future__ import annotations

import base64

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from channelhub.lib import ratelimit
from channelhub.lib.roles import is_partner_user

from .forms import TokenForm
from .middleware import ENROL, PENDING, required_for

DEVICE_NAME = "Authenticator app"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/portal/" if is_partner_user(request.user) else "/"


def _checked(request: HttpRequest, form: TokenForm, device: TOTPDevice) -> bool:
    """Whether the typed code is right; each try counts against the rate limit
    (RateLimited past it: a 429 page, the code is not even checked)."""
    ratelimit.hit("two_factor", str(request.user.pk))
    allowed, _why = device.verify_is_allowed()
    if not allowed:  # django-otp's own pause after wrong codes (doubling each time)
        form.add_error("token", "Too many wrong codes in a row: wait a minute, then try again.")
        return False
    if device.verify_token(form.cleaned_data["token"].strip()):
        return True
    form.add_error("token", "This code is not right (or has expired): type the current one.")
    return False


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the app. Held here until it is right."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        request.session.pop(PENDING, None)
        return redirect(_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ok = _checked(request, form, device)
        except ratelimit.RateLimited as exc:
            return ratelimit.too_many_requests(request, exc)
        if ok:
            otp_login(request, device)
            request.session.pop(PENDING, None)
            return redirect(_next(request))
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)}
    )


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, type one code to confirm.
    Setting it up again replaces the earlier app."""
    if request.session.get(PENDING):
        return redirect("two_factor_verify")
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ok = _checked(request, form, device)
        except ratelimit.RateLimited as exc:
            return ratelimit.too_many_requests(request, exc)
        if ok:
            TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            request.session.pop(ENROL, None)
            messages.success(
                request, "Two-factor sign-in is on: from now on you also type a code from the app."
            )
            return redirect(_next(request))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": mark_safe(qr),
            "secret": base64.b32encode(device.bin_key).decode(),
            "enrolled": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "required": required_for(user),
            "next": _next(request),
        },
    )
