"""API authentication by personal token: `Authorization: Bearer <token>`
(or `Token <token>`).

Kept in a module of its own that imports nothing from rest_framework.views:
DRF reads DEFAULT_AUTHENTICATION_CLASSES while rest_framework.views is being
imported, so a class living next to API views would be a circular import.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .lib.roles import is_partner_user

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not ours: the session (or nothing) may still authenticate
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: send 'Bearer <token>'."
            )
        try:
            raw = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None

        from .services import api_token_authenticate

        token = api_token_authenticate(raw=raw)
        if token is None:
            # One message for unknown, revoked and inactive-user tokens alike:
            # the answer must not tell which tokens exist.
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if is_partner_user(token.user):
            # Partner users work in the portal only; their sessions are kept
            # out of the API by PortalGateMiddleware, their tokens here.
            raise exceptions.PermissionDenied("The API is not open to partner-portal accounts.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return f'{self.keyword} realm="api"'
