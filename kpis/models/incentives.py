"""Incentive accruals: what each programme costs per partner and period."""

from __future__ import annotations

from django.db import models

from channelhub.lib.fields import CentsField
from channels_app.channels.models import Channel
from partners.models import Partner


class IncentiveAccrual(models.Model):
    """What an incentive programme costs for one partner and accrual period
    (METRICS.md section 5), with the figures it came from. Written by the
    recompute job; it enters the channel's incentive_cost on `accrued_on`."""

    program = models.ForeignKey(
        "partners.IncentiveProgram", on_delete=models.CASCADE, related_name="accruals"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="accruals")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    accrued_on = models.DateField(help_text="The day the cost is dated on.")
    base_revenue = CentsField(null=True, blank=True)
    base_units = models.BigIntegerField(null=True, blank=True)
    # MDF: the approved claim (0 for rebates and bonuses, so the key has no NULL).
    claim_key = models.BigIntegerField(default=0)
    amount = CentsField()
    provisional = models.BooleanField(
        default=False, help_text="The accrual period is still open: the amount may still change."
    )
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "program", "partner"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "partner", "period_start", "claim_key"], name="accrual_unique"
            ),
        ]
        indexes = [models.Index(fields=["channel", "accrued_on"], name="accrual_channel_day")]

    def __str__(self) -> str:
        return f"{self.program_id}/{self.partner_id} {self.period_start}: {self.amount}"
