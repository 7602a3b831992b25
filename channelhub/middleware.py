"""One structured log line per request (channelhub.lib.logs formats it as JSON)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .lib.logs import REDACTED

log = logging.getLogger("channelhub.request")

# A request id from the proxy is kept if it looks like one; anything else
# (too long, odd characters: log injection) is replaced by our own.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# URL arguments that are secrets: password-reset tokens (uidb64 + token).
_SECRET_KWARGS = ("token", "uidb64")


def _path(request: HttpRequest) -> str:
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in _SECRET_KWARGS:
            value = match.kwargs.get(name)
            if value:
                path = path.replace(str(value), REDACTED)
    return path


class RequestLogMiddleware:
    """Logs method, path, status, duration, user id and request id of every request.

    The request id (X-Request-ID from the proxy, or a new one) is also sent back
    in the response, so a user's report can be matched with the log line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            user = getattr(request, "user", None)
            log.info(
                "request",
                extra={
                    "method": request.method,
                    "path": _path(request),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                    "request_id": request_id,
                },
            )
