"""Sign-in by password: Django's ModelBackend, with a portal user's email
address read in any capitals (a portal username is the invited address in
lower case; people type theirs as it appears in their mail client)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class EmailCaseBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username and "@" in username and username != username.lower():
            user = super().authenticate(
                request, username=username.strip().lower(), password=password, **kwargs
            )
        return user
