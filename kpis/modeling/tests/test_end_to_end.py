"""The real fit, end to end: a simulated business's daily facts imported as a
user would, `manage.py model_fit --quick`, and the published results read back
from the database and the Incremental ROI page.

The other modeled-ROI tests replace the fit by a deterministic fake
(fakefit.py); this one is the proof that the application and PyMC-Marketing
fit together: data built by the selector's GROUP BY, lift tests recorded as
rows, results stored in one transaction and read by the page.
"""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from kpis.modeling.simulate import lift_test, simulate
from kpis.models import ChannelModelResult, LiftTest, ModelRun
from kpis.tests.helpers import import_rows
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

DAYS = 546


def _import_business():
    data, truth = simulate("saas", seed=11, days=DAYS)
    channels = {
        slug: ChannelFactory(slug=slug, name=name) for slug, name in data.channel_names.items()
    }
    channels["organic"] = ChannelFactory(slug="organic", name="Organic")
    # Each paid channel reports a third of what it really brought (attribution
    # is biased); the rest of the day's revenue is organic, so the business's
    # total daily revenue is the simulated one, to the cent.
    reported = truth.contributions * 0.3
    rows = []
    for day, when in enumerate(data.days):
        paid = 0.0
        for slug in data.media.columns:
            revenue = round(float(reported[slug].iloc[day]), 2)
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
    run = import_rows(["date", "channel", "spend", "revenue"], rows)
    assert run.status == "succeeded", run.error
    # The switch-off tests the quick fit needs to place always-on channels.
    for number, slug in enumerate(["paid_search", "social", "partners"]):
        test = lift_test(
            truth, slug, data.days[150 + 60 * number].date(), 28, -1.0, rng_seed=number
        )
        LiftTest.objects.create(
            channel=channels[slug],
            name=f"Switch-off {slug}",
            start=test.start,
            end=test.end,
            cost=Decimal(f"{test.cost:.2f}"),
            delta_cost=Decimal(f"{test.delta_cost:.2f}"),
            delta_revenue=Decimal(f"{test.delta_revenue:.2f}"),
            sigma=Decimal(f"{test.sigma:.2f}"),
        )
    return data, truth


def test_a_quick_fit_of_imported_facts_publishes_what_the_page_shows(viewer_client):
    data, truth = _import_business()
    out = StringIO()
    call_command("model_fit", "--quick", stdout=out)

    run = ModelRun.objects.get()
    assert run.status == "succeeded", (run.reason, run.error)
    assert run.library.startswith("pymc-marketing 0.19")
    assert run.data_start == data.days[0].date()
    assert run.diagnostics["r2"] > 0.8

    results = {r.slug: r for r in ChannelModelResult.objects.filter(run=run)}
    assert set(data.media.columns) <= set(results)
    # Organic has no cost: it is the baseline, never a paid channel.
    assert "organic" not in results or results["organic"].status == "refused"
    true_roas = truth.incremental_roas(run.data_start, run.data_end)
    for slug, roas in true_roas.items():
        result = results[slug]
        assert result.status in ("ok", "flagged"), (slug, result.reason)
        # The quick fit is held to 35% (the bench measures the full fit).
        low, mid, high = result.roas_low, result.incremental_roas, result.roas_high
        assert low is not None and mid is not None and high is not None
        assert abs(mid / roas - 1) < 0.35, (slug, mid, roas)
        assert low <= mid <= high
        assert result.curve and len(result.curve["spend"]) == len(result.curve["mean"])
        assert np.all(np.diff(result.curve["mean"]) >= -1e-9)  # more spend never earns less
        # Attribution said a third of the truth; the stored attributed figure is that.
        assert float(result.attributed_revenue) < 0.5 * float(result.incremental_revenue)

    page = viewer_client.get("/kpis/modeled-roi/")
    assert page.status_code == 200
    text = page.content.decode()
    for name in data.channel_names.values():
        assert name in text
