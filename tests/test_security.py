"""The security baseline: deploy checks, headers, sign-in lockout, passwords."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from channelhub.lib.plotly_css import render_maps_css, render_plotly_css
from channelhub.lib.security import client_ip
from tests.api import token_client
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def _production_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="channelhub.example.com",
        CSRF_TRUSTED_ORIGINS="https://channelhub.example.com",
        DJANGO_SETTINGS_MODULE="channelhub.settings",
    )
    env.pop("SECURE_SSL_REDIRECT", None)
    env.pop("SECURE_HSTS_SECONDS", None)
    return env


def test_the_deploy_checks_pass_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_checks_catch_a_debug_deployment():
    """The test above can fail: the same command with DEBUG on does."""
    env = _production_env() | {"DJANGO_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on


def test_production_refuses_to_start_without_a_secret_key():
    env = _production_env()
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_pages_carry_a_strict_content_security_policy_and_deny_framing(marketing_client):
    response = marketing_client.get(reverse("home"))
    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_holds_inline_script_style_or_event_handler():
    """A strict CSP would block them: scripts and styles are static files."""
    import re

    offenders = []
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    # A review pack is a standalone file that must open offline: its CSS and
    # scripts are inlined on purpose. The app serves it only in a sandbox with
    # a policy of its own (kpis/packs/views.py, PACK_CSP), never as a page.
    standalone = {ROOT / "templates" / "kpis" / "pack" / "pack.html"}
    for path in (ROOT / "templates").rglob("*.html"):
        if path in standalone:
            continue
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"))  # comments
        text = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", text, flags=re.S)
        if inline_script.search(text):
            offenders.append(f"{path.name}: inline <script>")
        if re.search(r"<style[\s>]", text, re.I):
            offenders.append(f"{path.name}: <style>")
        if re.search(r"\sstyle=", text, re.I):
            offenders.append(f"{path.name}: style attribute")
        if re.search(r"\son[a-z]+=", text, re.I) or "javascript:" in text:
            offenders.append(f"{path.name}: inline event handler")
        if re.search(r"\shx-on", text, re.I):
            offenders.append(f"{path.name}: hx-on (evaluated script)")
    assert offenders == []


def test_the_static_plotly_css_matches_the_installed_plotly():
    """Regenerate with `python -m channelhub.lib.plotly_css`."""
    committed = (ROOT / "static" / "css" / "plotly.css").read_text(encoding="utf-8")
    assert committed == render_plotly_css()
    assert ".js-plotly-plot .plotly .modebar{" in committed
    maps = (ROOT / "static" / "css" / "plotly-maps.css").read_text(encoding="utf-8")
    assert maps == render_maps_css()
    assert ".maplibregl-map{" in maps


# --- sign-in lockout -------------------------------------------------------------


def _sign_in(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_failed_sign_ins_lock_the_account_out_with_a_clear_page(settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="maria")
    client = Client()
    for _ in range(2):
        response = _sign_in(client, "maria", "wrong-guess")
        assert response.status_code == 200  # the form again, with its error
    locked = _sign_in(client, "maria", "wrong-guess")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert 'href="/static/css/app.css"' in locked.text  # styled like the app
    assert "15 minutes" in locked.text
    # Locked means locked: the right password does not get in either.
    again = _sign_in(client, "maria", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_for_that_username_only(settings):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="maria")
    UserFactory(username="tom")
    client = Client()
    for _ in range(2):
        _sign_in(client, "maria", "wrong-guess")
    response = _sign_in(client, "tom", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_success_before_the_limit_starts_the_count_again(settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="maria")
    client = Client()
    for _ in range(2):
        _sign_in(client, "maria", "wrong-guess")
    assert _sign_in(client, "maria", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        _sign_in(client, "maria", "wrong-guess")
    assert _sign_in(client, "maria", PASSWORD).status_code == 302


def test_administrators_see_and_lift_lockouts_in_the_admin(settings, admin_client_):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="maria")
    client = Client()
    for _ in range(2):
        _sign_in(client, "maria", "wrong-guess")
    attempt = AccessAttempt.objects.get(username="maria")
    assert attempt.failures_since_start == 2
    listing = admin_client_.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert "maria" in listing.text
    admin_client_.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert not AccessAttempt.objects.filter(username="maria").exists()
    assert _sign_in(client, "maria", PASSWORD).status_code == 302


def test_api_tokens_keep_working_for_a_locked_out_account(settings, marketing_user):
    """The lockout guards passwords; a token is a separate credential."""
    settings.AXES_FAILURE_LIMIT = 2
    api = token_client(marketing_user)
    for _ in range(2):
        _sign_in(Client(), marketing_user.username, "wrong-guess")
    assert _sign_in(Client(), marketing_user.username, PASSWORD).status_code == 429
    assert api.get("/api/v1/channels/").status_code == 200


def test_a_failed_sign_in_never_logs_the_password(settings, caplog):
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="maria")
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            _sign_in(Client(), "maria", "hunter2-secret-guess")
    assert "hunter2-secret-guess" not in caplog.text


def test_the_lockout_address_ignores_a_forged_forwarded_header(settings):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1  # our proxy appended 203.0.113.9; 6.6.6.6 is forged
    assert client_ip(request) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: not trusted
    assert client_ip(request) == "10.0.0.2"


# --- passwords -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("83749201746", "entirely numeric"),
        ("maria-example", "too similar"),
    ],
)
def test_weak_passwords_are_refused(marketing_client, password, reason):
    response = marketing_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert reason in response.text
