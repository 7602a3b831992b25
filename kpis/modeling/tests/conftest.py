"""Fixtures of the modeled-ROI tests: a business with daily facts, and the fit
replaced by the deterministic fake (tests/fakefit.py) until the real fit lands."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kpis.modeling import fitting
from kpis.tests.helpers import import_rows
from tests.factories import ChannelFactory

from .fakefit import make_fit

START = date(2025, 1, 1)


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
