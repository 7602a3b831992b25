"""Helpers of the API tests: token-authenticated clients per role.

Import the fixtures into a test module (`from tests.api import *`); pytest
picks them up from its namespace.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from channelhub.services import api_token_create

__all__ = [
    "admin_api",
    "anon_api",
    "fresh_throttles",
    "marketing_api",
    "norole_api",
    "other_partner_api",
    "partner_api",
    "token_client",
    "viewer_api",
]


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache, which outlives a test: start each at zero."""
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    """A client that authenticates as `user` with a personal token, as a script would."""
    _token, raw = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def marketing_api(marketing_user):
    return token_client(marketing_user)


@pytest.fixture
def partner_api(partner_user):
    return token_client(partner_user)


@pytest.fixture
def other_partner_api(other_partner_user):
    return token_client(other_partner_user)


@pytest.fixture
def viewer_api(viewer_user):
    return token_client(viewer_user)


@pytest.fixture
def admin_api(admin_user):
    return token_client(admin_user)


@pytest.fixture
def norole_api(norole_user):
    return token_client(norole_user)


@pytest.fixture
def anon_api(db):
    return APIClient()
