"""Email alerts: a manager's subscription to a digest of new attention items,
and the items already sent (each item goes to a subscription once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class AlertSubscription(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily", "Every morning"
        WEEKLY = "weekly", "Every Monday morning"

    class Scope(models.TextChoices):
        OWNED = "owned", "The channels I own"
        CHOSEN = "chosen", "Channels I choose"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscriptions"
    )
    frequency = models.CharField(
        "How often", max_length=10, choices=Frequency.choices, default=Frequency.DAILY
    )
    scope = models.CharField(
        "Which channels", max_length=10, choices=Scope.choices, default=Scope.OWNED
    )
    channels = models.ManyToManyField(
        "channels_app.Channel", blank=True, related_name="+", verbose_name="Channels"
    )
    is_active = models.BooleanField("Send the emails", default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["frequency", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "frequency"],
                name="one_alert_subscription_per_frequency",
                violation_error_message="You already get this email: change that one instead.",
            ),
            models.CheckConstraint(
                condition=models.Q(frequency__in=["daily", "weekly"]),
                name="alert_subscription_frequency_known",
            ),
            models.CheckConstraint(
                condition=models.Q(scope__in=["owned", "chosen"]),
                name="alert_subscription_scope_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} alerts for {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("kpis:alert-edit", args=[self.pk])


class AlertSent(models.Model):
    """An attention item already emailed to a subscription: claimed with
    INSERT ... ON CONFLICT DO NOTHING, so two workers never send it twice."""

    subscription = models.ForeignKey(
        AlertSubscription, on_delete=models.CASCADE, related_name="sent_items"
    )
    item_key = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "item_key"], name="alert_item_sent_once"
            )
        ]

    def __str__(self) -> str:
        return self.title
