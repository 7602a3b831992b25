"""Email alerts: subscriptions to a digest of new attention items, and the
digests themselves.

A digest holds the attention items (kpis.dashboards.attention, the page's
rules and thresholds) of the subscription's channels that were never sent to
it. Each item is claimed by inserting its key into AlertSent with ON
CONFLICT DO NOTHING: the insert returns only the keys this run claimed, so
two workers running the same digest at once never send an item twice. The
claim and the email succeed or fail together (one transaction): if the mail
server refuses, nothing is claimed and the next run sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from channelhub.lib import locks
from channels_app.channels.models import Channel
from kpis.dashboards.attention import AttentionItem, Thresholds, attention_items
from kpis.models import AlertSent, AlertSubscription

log = logging.getLogger(__name__)

ALERTS_SEND_TASK = "kpis.alerts_send"
UNSUBSCRIBE_SALT = "kpis.alerts.unsubscribe"


# --- Subscriptions -------------------------------------------------------------------


def _check(subscription: AlertSubscription, channels: Iterable[Channel]) -> None:
    chosen = list(channels)
    if subscription.scope == AlertSubscription.Scope.CHOSEN and not chosen:
        raise ValidationError({"channels": "Choose at least one channel."})
    owned = subscription.scope == AlertSubscription.Scope.OWNED
    if owned and not Channel.objects.filter(owner=subscription.user).exists():
        raise ValidationError(
            {"scope": "You own no channel yet: choose the channels to follow instead."}
        )


@transaction.atomic
def subscription_save(
    *, subscription: AlertSubscription, channels: Iterable[Channel]
) -> AlertSubscription:
    """Create or change a subscription (its user is set by the caller)."""
    chosen = list(channels) if subscription.scope == AlertSubscription.Scope.CHOSEN else []
    _check(subscription, chosen)
    subscription.full_clean()
    subscription.save()
    subscription.channels.set(chosen)
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: AlertSubscription) -> None:
    subscription.delete()


def unsubscribe_token(subscription: AlertSubscription) -> str:
    """A signed token naming the subscription: the email's unsubscribe link
    works without signing in, and cannot be guessed for another one."""
    return signing.dumps({"s": subscription.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def subscription_for_token(token: str) -> AlertSubscription | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    pk = data.get("s") if isinstance(data, dict) else None
    if not isinstance(pk, int):
        return None
    return AlertSubscription.objects.select_related("user").filter(pk=pk).first()


@transaction.atomic
def unsubscribe(*, subscription: AlertSubscription) -> None:
    """Stop the emails (the subscription stays, switched off, to turn back on)."""
    AlertSubscription.objects.filter(pk=subscription.pk).update(is_active=False)


# --- Digests -------------------------------------------------------------------------


def subscription_channel_ids(subscription: AlertSubscription) -> list[int]:
    if subscription.scope == AlertSubscription.Scope.OWNED:
        return list(Channel.objects.filter(owner=subscription.user).values_list("pk", flat=True))
    return list(subscription.channels.values_list("pk", flat=True))


# pg_advisory_xact_lock(ALERT_USER_LOCK + user id): one digest of a person at
# a time, so an item is emailed once whichever of their subscriptions sends it.
ALERT_USER_LOCK = 7_306_000_000_000


def _claim(subscription: AlertSubscription, items: list[AttentionItem], now: datetime) -> set[str]:
    """Insert each item's key; return the keys this call inserted (the others
    were sent before, or are being sent by another worker right now)."""
    if not items:
        return set()
    rows = []
    params: list[Any] = []
    for item in items:
        rows.append("(%s, %s, %s, %s)")
        params += [subscription.pk, item.key, item.title[:300], now]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kpis_alertsent (subscription_id, item_key, title, sent_at) VALUES "
            + ", ".join(rows)
            + " ON CONFLICT (subscription_id, item_key) DO NOTHING RETURNING item_key",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


def digest_send(subscription_id: int, *, now: datetime | None = None) -> int:
    """Email one subscription the attention items it has not had yet;
    returns how many it sent (0: nothing new, off, or taken by another worker)."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = (
            AlertSubscription.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=subscription_id, is_active=True, user__is_active=True)
            .first()
        )
        if subscription is None or not subscription.user.email:
            return 0
        # Someone whose manager role was taken away keeps the subscription
        # (it comes back with the role) but is sent nothing meanwhile.
        if not subscription.user.has_perm("kpis.view_alertsubscription"):
            return 0
        channel_ids = subscription_channel_ids(subscription)
        if not channel_ids:
            return 0
        found = attention_items(user=subscription.user, channel_ids=channel_ids)
        unique = list({item.key: item for item in found}.values())
        # An item already emailed to this person by another of their
        # subscriptions (a daily and a weekly one) is not sent again.
        locks.advisory_xact_lock(ALERT_USER_LOCK + subscription.user_id)
        already = set(
            AlertSent.objects.filter(
                subscription__user_id=subscription.user_id, item_key__in=[i.key for i in unique]
            )
            .exclude(subscription=subscription)
            .values_list("item_key", flat=True)
        )
        unique = [item for item in unique if item.key not in already]
        claimed = _claim(subscription, unique, now)
        items = [item for item in unique if item.key in claimed]
        if not items:
            return 0
        site = settings.SITE_URL
        context = {
            "subscription": subscription,
            "user": subscription.user,
            "items": [(item, site + item.url) for item in items],
            "count": len(items),
            "thresholds": Thresholds.current(),
            "manage_url": site + reverse("kpis:alerts"),
            "unsubscribe_url": site
            + reverse("kpis:alert-unsubscribe", args=[unsubscribe_token(subscription)]),
        }
        email = EmailMessage(
            subject=f"ChannelHub: {len(items)} new "
            + ("item needs" if len(items) == 1 else "items need")
            + " attention",
            body=render_to_string("kpis/alerts/digest_email.txt", context),
            to=[subscription.user.email],
            headers={"List-Unsubscribe": f"<{context['unsubscribe_url']}>"},
        )
        email.send()  # raises: the claim rolls back, the next run retries
        AlertSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=now)
    return len(items)


def digests_send(*, frequency: str, now: datetime | None = None) -> int:
    """Send every active subscription of `frequency` its digest; returns the
    number of items sent. One subscription that fails is logged and the
    others still go (it is retried on the next run)."""
    ids = list(
        AlertSubscription.objects.filter(frequency=frequency, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in ids:
        try:
            sent += digest_send(pk, now=now)
        except Exception:  # one bad subscription (mail server, data) never stops the rest
            log.exception("alert digest of subscription %s not sent", pk)
    return sent
