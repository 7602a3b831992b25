"""Writes that belong to no single app: inviting users, personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .lib import ratelimit
from .models import ApiToken, Heartbeat, ScheduledTaskState


def user_invite(*, user: User, base_url: str, invited_by: User) -> None:
    """Email `user` a one-time link to choose a password and sign in.

    The link is Django's password-reset link: it expires with
    PASSWORD_RESET_TIMEOUT and stops working once the password is set.
    """
    email = getattr(user, "email", "")
    if not email:
        raise ValueError(f"{user} has no email address to invite.")
    ratelimit.hit("invitation", invited_by.pk)  # RateLimited when over the rate
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    context = {
        "user": user,
        "invited_by": invited_by,
        "link": base_url.rstrip("/") + path,
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    send_mail(
        subject="You are invited to ChannelHub",
        message=render_to_string("registration/invitation_email.txt", context),
        from_email=None,
        recipient_list=[email],
    )


# --- personal API tokens --------------------------------------------------------------

TOKEN_PREFIX = "chub_"
# Characters kept in clear (the marker plus the secret's first ones), so a user
# can match a token in a script to the row on their profile page.
TOKEN_VISIBLE_CHARS = len(TOKEN_PREFIX) + 6
# last_used_at is refreshed at most this often: a script making many calls a
# minute must not turn every read into a write.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


def hash_api_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`. Returns the row and the token itself, which is
    not stored anywhere: the caller shows it once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=raw[:TOKEN_VISIBLE_CHARS],
        key_hash=hash_api_token(raw),
    )
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token with this value (and its user), or None. Notes when it was used."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_api_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- liveness and scheduled jobs -------------------------------------------------------


def heartbeat_record(*, name: str, detail: str = "") -> None:
    """Note that the process `name` is alive now (an upsert: one row per name)."""
    Heartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now(), "detail": detail[:200]}
    )


def scheduled_task_started(*, name: str, task: str) -> None:
    """A worker started the periodic task `name` (beat's PeriodicTask name)."""
    state, _ = ScheduledTaskState.objects.get_or_create(name=name, defaults={"task": task})
    state.task = task
    state.last_started_at = timezone.now()
    state.last_finished_at = None
    state.last_outcome = ScheduledTaskState.Outcome.RUNNING
    state.last_duration_ms = None
    state.last_error = ""
    state.runs += 1
    state.save()


def scheduled_task_finished(
    *, name: str, task: str, outcome: str, duration_ms: int | None, error: str = ""
) -> None:
    """The periodic task `name` ended with `outcome` (a ScheduledTaskState.Outcome)."""
    state, _ = ScheduledTaskState.objects.get_or_create(name=name, defaults={"task": task})
    state.task = task
    state.last_finished_at = timezone.now()
    state.last_outcome = outcome
    state.last_duration_ms = duration_ms
    # Errors are the exception's message only, never the task's arguments.
    state.last_error = error[:4000]
    if outcome == ScheduledTaskState.Outcome.FAILED:
        state.failures += 1
    state.save()
