"""Personal API tokens: created on the profile page, shown once, stored hashed,
used as `Bearer` (or `Token`), revoked, and refused once revoked."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from channelhub.models import ApiToken
from channelhub.services import api_token_create, hash_api_token
from tests.api import *  # noqa: F403

pytestmark = pytest.mark.django_db

CHANNELS = "/api/v1/channels/"
TOKENS = "/api/v1/tokens/"


def _bearer(raw: str, keyword: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {raw}")
    return client


def _create_on_profile(client, name="shop sync") -> str:
    page = client.post(reverse("profile"), {"action": "create-token", "name": name})
    assert page.status_code == 200
    match = re.search(r'<code id="new-token">([^<]+)</code>', page.text)
    assert match, "the new token is shown on the page"
    return match.group(1)


def test_a_token_created_on_the_profile_page_is_shown_once_and_stored_hashed(marketing_client):
    raw = _create_on_profile(marketing_client)
    token = ApiToken.objects.get()
    assert token.name == "shop sync" and token.user.username == "maria"
    assert token.key_hash == hash_api_token(raw) and raw not in token.key_hash
    assert raw.startswith(token.prefix) and len(token.prefix) < len(raw) // 3
    later = marketing_client.get(reverse("profile"))
    assert raw not in later.text and f"{token.prefix}…" in later.text


def test_a_token_authenticates_api_calls_and_records_its_use(marketing_client):
    raw = _create_on_profile(marketing_client)
    assert ApiToken.objects.get().last_used_at is None
    assert _bearer(raw).get(CHANNELS).status_code == 200
    assert _bearer(raw, keyword="Token").get(CHANNELS).status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_is_refused(marketing_client):
    raw = _create_on_profile(marketing_client)
    token = ApiToken.objects.get()
    response = marketing_client.post(
        reverse("profile"), {"action": "revoke-token", "token": token.pk}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = _bearer(raw).get(CHANNELS)
    assert refused.status_code == 401
    assert refused.json() == {
        "detail": "Invalid or revoked token.",
        "code": "authentication_failed",
    }
    assert "Revoked" in marketing_client.get(reverse("profile")).text


def test_an_unknown_or_malformed_token_is_refused(marketing_user):
    assert _bearer("chub_not-a-real-token").get(CHANNELS).status_code == 401
    assert _bearer("something-else").get(CHANNELS).status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert client.get(CHANNELS).status_code == 401


def test_the_token_of_a_deactivated_user_is_refused(marketing_user):
    _token, raw = api_token_create(user=marketing_user, name="x")
    marketing_user.is_active = False
    marketing_user.save()
    assert _bearer(raw).get(CHANNELS).status_code == 401


def test_tokens_are_listed_and_revoked_over_the_api(marketing_user):
    _token, raw = api_token_create(user=marketing_user, name="first")
    other, _ = api_token_create(user=marketing_user, name="second")
    client = _bearer(raw)
    listed = client.get(TOKENS).json()
    assert {t["name"] for t in listed["results"]} == {"first", "second"}
    assert all("token" not in t and "key_hash" not in t for t in listed["results"])
    assert client.delete(f"{TOKENS}{other.pk}/").status_code == 204
    other.refresh_from_db()
    assert other.revoked_at is not None
    assert client.get(f"{TOKENS}{other.pk}/").json()["active"] is False


def test_a_session_creates_a_token_over_the_api_but_a_token_cannot(marketing_user):
    session = APIClient()
    session.force_login(marketing_user)
    created = session.post(TOKENS, {"name": "ci"}, format="json")
    assert created.status_code == 201
    raw = created.json()["token"]
    assert _bearer(raw).get(CHANNELS).status_code == 200
    minted = _bearer(raw).post(TOKENS, {"name": "more"}, format="json")
    assert minted.status_code == 403
    assert ApiToken.objects.count() == 1


def test_nobody_sees_or_revokes_someone_elses_token(marketing_user, viewer_user, viewer_client):
    token, _raw = api_token_create(user=marketing_user, name="maria's")
    _mine, raw = api_token_create(user=viewer_user, name="vera's")
    assert _bearer(raw).get(f"{TOKENS}{token.pk}/").status_code == 404
    assert _bearer(raw).delete(f"{TOKENS}{token.pk}/").status_code == 404
    response = viewer_client.post(reverse("profile"), {"action": "revoke-token", "token": token.pk})
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_account_without_a_role_gets_no_token(norole_client):
    page = norole_client.get(reverse("profile"))
    assert "needs a role" in page.text
    refused = norole_client.post(reverse("profile"), {"action": "create-token", "name": "x"})
    assert refused.status_code == 403
    assert not ApiToken.objects.exists()


def test_an_anonymous_caller_cannot_list_tokens(anon_api):
    assert anon_api.get(TOKENS).status_code == 401
