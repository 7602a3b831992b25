"""Fixtures of the modeled-ROI tests: a business with daily facts, the fit
replaced by the deterministic fake (fakefit.py) where a test is about the
application around the fit, and a simulated business written as the daily
facts a user imports (the real fit's tests: test_end_to_end.py and the
browser walk in tests/test_browser_modeling.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kpis.modeling import fitting
from kpis.modeling.contract import ModelData
from kpis.modeling.simulate import Truth
from kpis.tests.helpers import import_rows
from tests.factories import ChannelFactory

from .fakefit import make_fit

START = date(2025, 1, 1)
SIMULATED_HEADER = ["date", "channel", "spend", "revenue"]


def simulated_rows(data: ModelData, truth: Truth) -> list[list[str]]:
    """A simulated business's days as import rows. Each paid channel reports a
    third of what it really brought (attribution is biased); the rest of the
    day's revenue is organic's, so the business's total daily revenue is the
    simulated one, to the cent."""
    reported = truth.contributions * 0.3
    rows = []
    for day, when in enumerate(data.days):
        paid = 0.0
        for slug in data.media.columns:
            revenue = round(float(reported[slug].iloc[day]), 2) if slug in reported else 0.0
            paid += revenue
            rows.append(
                [
                    when.date().isoformat(),
                    slug,
                    f"{data.media[slug].iloc[day]:.2f}",
                    f"{revenue:.2f}",
                ]
            )
        organic = round(float(data.revenue[day]) - paid, 2)
        assert organic >= 0
        rows.append([when.date().isoformat(), "organic", "0", f"{organic:.2f}"])
    return rows


@pytest.fixture
def fake_fit(monkeypatch):
    fit = make_fit()
    monkeypatch.setattr(fitting, "fit", fit)
    return fit


def business_rows(days: int = 120, start: date = START) -> list[list[str]]:
    """Daily facts of three paid channels and an organic one: spend varies by
    weekday (Paid Search always on, Events bursty), revenue follows."""
    rows = []
    for i in range(days):
        day = (start + timedelta(days=i)).isoformat()
        search = 100 + 10 * (i % 7)
        social = 50 + 5 * ((i * 3) % 11)
        events = 400 if i % 30 < 3 else 0
        rows.append([day, "paid-search", str(search), str(search * 3), str(search)])
        rows.append([day, "social", str(social), str(social * 1.5), str(social / 2)])
        rows.append([day, "events", str(events), str(events * 0.8), "0"])
        rows.append([day, "web-shop", "0", str(300 + i % 5), "120"])
    return rows


@pytest.fixture
def business(db):
    # Names that sort differently from their slugs.
    channels = {
        "paid-search": ChannelFactory(name="Zeta Search", slug="paid-search", kind="paid_search"),
        "social": ChannelFactory(name="Alpha Social", slug="social", kind="social_media"),
        "events": ChannelFactory(name="Mid Events", slug="events", kind="events"),
        "web-shop": ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce"),
    }
    import_rows(["date", "channel", "spend", "revenue", "cogs"], business_rows())
    return channels
