"""Rate limits on what a person can make the system do: one place, one rule.

Each limit is a scope with a rate ("5/hour"), configured in
`settings.RATE_LIMITS` (environment variables override each, see
docs/operations.md). A hit counts in the shared cache in a fixed window
(`cache.add` then `cache.incr`, both atomic in Redis); over the rate, the
caller gets `RateLimited` with the seconds until the window ends.

Where they apply:
- pages: `@rate_limited("scope", key=...)` on a view answers 429 with the
  "Too many requests" page (templates/429.html) and a Retry-After header;
- the API: `ScopedActionThrottle` reads a view's `rate_limits`
  ({"create": "deal_registration"}) and answers DRF's 429;
- services without a request (an invitation): call `hit()` directly.

Sign-in keeps its own lockout (django-axes, AXES_* settings).
With Redis down the cache falls back to memory (channelhub/lib/cache.py), so
limits still hold, per process.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

from .security import client_ip

F = TypeVar("F", bound=Callable[..., HttpResponseBase])

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """'5/hour' -> Rate(5, 3600); '100/15minute' -> Rate(100, 900)."""
        try:
            count, _, period = text.strip().partition("/")
            digits = "".join(c for c in period if c.isdigit())
            unit = period[len(digits) :].strip().lower().rstrip("s")
            return cls(int(count), int(digits or 1) * PERIODS[unit])
        except (KeyError, ValueError) as exc:
            raise ValueError(f"not a rate: {text!r} (use e.g. '5/hour')") from exc


class RateLimited(Exception):
    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"Too many requests ({scope}); try again in {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after


def rate_for(scope: str) -> Rate:
    try:
        return Rate.parse(settings.RATE_LIMITS[scope])
    except KeyError:
        raise ImproperlyConfigured(f"RATE_LIMITS has no rate for {scope!r}") from None


def hit(scope: str, ident: str | int) -> None:
    """Count one use of `scope` by `ident`; RateLimited when over its rate."""
    rate = rate_for(scope)
    now = int(time.time())
    window = now // rate.seconds
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}:{window}"
    # add() only sets when absent: the first hit of a window starts it at 0.
    cache.add(key, 0, timeout=rate.seconds + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=rate.seconds + 5)
        used = 1
    if used > rate.count:
        raise RateLimited(scope, retry_after=max(1, (window + 1) * rate.seconds - now))


# What the "Too many requests" page says was done too often, per scope.
ACTIONS = {
    "password_reset": "ask for a password reset",
    "password_reset_ip": "ask for a password reset",
    "invitation": "send an invitation",
    "invitation_accept": "try an invitation link",
    "deal_registration": "register a deal",
    "two_factor": "type a two-factor code",
    "import": "upload a file to import (checked or rejected files count too)",
    "recompute": "queue a recompute by hand",
    "model_fit": "start a model fit",
    "pack_render": "render a review pack now",
}
PER = {1: "a second", 60: "a minute", 3600: "an hour", 86400: "a day"}


def limit_in_words(scope: str) -> str:
    """'upload a file to import ... 30 times an hour', or '' for a scope without words."""
    action = ACTIONS.get(scope)
    if action is None:
        return ""
    rate = rate_for(scope)
    per = PER.get(rate.seconds, f"every {rate.seconds // 60} minutes")
    times = "once" if rate.count == 1 else f"{rate.count} times"
    return f"{action} {times} {per}"


def too_many_requests(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    minutes = max(1, round(exc.retry_after / 60))
    response = render(
        request,
        "429.html",
        {
            "retry_after": exc.retry_after,
            "retry_minutes": minutes,
            "limit": limit_in_words(exc.scope),
        },
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def user_key(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def rate_limited(
    scope: str,
    *,
    key: Callable[[HttpRequest], str | None] = user_key,
    methods: tuple[str, ...] = ("POST",),
) -> Callable[[F], F]:
    """Count each `methods` request of a page view; over the rate, 429.

    `key` returns who is counted (None: not counted, e.g. an empty form).
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in methods:
                ident = key(request)
                if ident is not None:
                    try:
                        hit(scope, ident)
                    except RateLimited as exc:
                        return too_many_requests(request, exc)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


class ScopedActionThrottle(BaseThrottle):
    """DRF throttle for the scopes of `view.rate_limits` ({action: scope}).

    Listed in DEFAULT_THROTTLE_CLASSES: views without `rate_limits` pass.
    """

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        limits: dict[str, str] = getattr(view, "rate_limits", {}) or {}
        action = getattr(view, "action", None) or request.method.lower()
        scope = limits.get(action)
        if scope is None:
            return True
        try:
            hit(scope, user_key(request))
        except RateLimited as exc:
            self._wait = exc.retry_after
            return False
        return True

    def wait(self) -> float | None:
        return self._wait
