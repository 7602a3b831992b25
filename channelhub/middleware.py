"""One structured log line per request (channelhub.lib.logs formats it as JSON), and
no control characters in an address."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from .lib.logs import REDACTED
from .lib.text import text_problem

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


class RefuseControlCharactersMiddleware:
    """Answers 400 to a query string holding a control character (`?q=a%00b`).

    A NUL in a search or filter reached the database, which refused it with a
    500 (PostgreSQL cannot store or compare it). Form fields and API bodies are
    checked by the forms and parsers (channelhub/lib/forms.py, parsers.py); the
    address is checked here, once for pages and API alike.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            problem = text_problem(name, name=False) or next(
                (p for p in (text_problem(v, name=False) for v in values) if p), None
            )
            if problem:
                return _bad_query(request, name, problem)
        return self.get_response(request)


def _bad_query(request: HttpRequest, name: str, problem: str) -> HttpResponse:
    shown = name.encode("unicode_escape").decode("ascii")[:60]
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": f"{shown}: {problem}", "code": "invalid", "errors": {shown: [problem]}},
            status=400,
        )
    return HttpResponseBadRequest(
        f"The address is not valid: “{shown}”: {problem}", content_type="text/plain; charset=utf-8"
    )
