"""Signing a test client in with a password, past the sign-in lockout.

django-axes checks every password sign-in against the lockout and needs the
request to know where it came from; the test client's `login()` has none, so
we hand it a bare one (as the test client's own requests, it has no address).
Successful sign-ins never count towards a lockout, and each test's failures
are rolled back with its transaction, so the suite's many sign-ins cannot
lock anyone out.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.test import Client

from tests.factories import PASSWORD


def password_login(client: Client, username: str, password: str = PASSWORD) -> bool:
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    return client.login(request=request, username=username, password=password)


def signed_in_client(user) -> Client:
    """A test client signed in as `user` with their password."""
    client = Client()
    assert password_login(client, user.username)
    return client
