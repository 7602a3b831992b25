"""Reads that belong to no single app."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ApiToken


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked ones too, marked as such)."""
    if not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-pk")
