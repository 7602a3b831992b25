"""Security helpers the settings point at (django-axes' client address)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address a sign-in attempt came from, for the lockout.

    Without proxies of our own it is REMOTE_ADDR. Behind TRUSTED_PROXY_COUNT
    proxies, each appends the address it saw to X-Forwarded-For, so the client
    is the entry that many places from the right; anything left of it was
    written by the client and is ignored (else a forged header would dodge
    the lockout).
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    return forwarded[-count]
