"""Customer feedback per channel (and maybe partner): recommend scores and ratings."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from channels_app.channels.models import Channel
from partners.models import Partner

from .facts import ImportRun


class CustomerFeedback(models.Model):
    """One customer's feedback about a channel (and maybe a partner): a 0-10
    likelihood-to-recommend score (NPS) and/or a 1-5 rating, with a comment."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="feedback")
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    day = models.DateField("date")
    score = models.PositiveSmallIntegerField(
        "recommend score", null=True, blank=True, help_text="0-10: how likely to recommend us"
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1-5 stars")
    comment = models.TextField(blank=True, max_length=4000)
    source = models.CharField(
        max_length=80, blank=True, help_text="Survey, review site, support, ..."
    )
    # The same entry twice (a file imported again) is recorded once.
    fingerprint = models.CharField(max_length=64, unique=True, editable=False)
    import_run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name_plural = "customer feedback"
        indexes = [models.Index(fields=["channel", "day"], name="feedback_channel_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=10),
                name="feedback_score_0_to_10",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=False) | Q(rating__isnull=False),
                name="feedback_has_score_or_rating",
                violation_error_message="Give a recommend score, a rating, or both.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day}: {self.score}/{self.rating}"

    def clean(self) -> None:
        if self.score is None and self.rating is None:
            raise ValidationError({"score": "Give a recommend score, a rating, or both."})
        if self.score is not None and not 0 <= self.score <= 10:
            raise ValidationError({"score": "The recommend score goes from 0 to 10."})
        if self.rating is not None and not 1 <= self.rating <= 5:
            raise ValidationError({"rating": "The rating goes from 1 to 5."})
        if (
            self.partner is not None
            and self.channel_id
            and self.partner.channel_id != self.channel_id
        ):
            raise ValidationError({"partner": "This partner belongs to another channel."})
