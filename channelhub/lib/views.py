"""Small helpers every app's views share: role gate, permission checks, the one
permission-checked fetch of an object, paging."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django_htmx.middleware import HtmxDetails

from .roles import has_any_role

PAGE_SIZE = 25


class AuthedRequest(HttpRequest):
    """The request our views see: a signed-in user (role_required) and htmx details."""

    user: User
    htmx: HtmxDetails


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def role_required(view: ViewFunc) -> ViewFunc:
    """Signed in, and holding a role (or superuser): anything less sees nothing.

    An account an administrator created but gave no role yet is refused with
    a page that says so, rather than shown an empty app.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not has_any_role(request.user):
            raise PermissionDenied("Your account has no role yet. Ask an administrator.")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def check_perm(request: HttpRequest, perm: str, obj: Model | None = None) -> None:
    """Raise 403 unless the user holds `perm` (on `obj`, when given)."""
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied("You do not have permission to do this.")


M = TypeVar("M", bound=Model)


def get_for_user(request: HttpRequest, queryset: QuerySet[M], perm: str, **lookup: Any) -> M:
    """The one object of `queryset` matching `lookup`, if the user may `perm` it.

    `queryset` is what this user may see (a selector's), so an object outside it
    answers 404 (its existence is not revealed); one the user sees but may not
    `perm` answers 403. Every view fetches its object through here.
    """
    obj = get_object_or_404(queryset, **lookup)
    check_perm(request, perm, obj)
    return obj


def paginate(
    request: HttpRequest, items: QuerySet[Any] | list[Any], per_page: int = PAGE_SIZE
) -> Page:
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))
