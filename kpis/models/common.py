"""Constants shared by the KPI models: the no-partner key, the fact value columns, period kinds."""

from django.db import models

# A fact row without a partner (the channel's own activity) has partner_key 0,
# so the key has no NULLs and upserts work the same on PostgreSQL and SQLite.
NO_PARTNER = 0

MONEY_COLUMNS = ("spend", "revenue", "cogs")
COUNT_COLUMNS = ("orders", "units", "leads", "new_customers", "impressions", "clicks")
VALUE_COLUMNS = (*MONEY_COLUMNS, *COUNT_COLUMNS, "inventory_value")


class PeriodKind(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


STORED_PERIOD_KINDS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)
