"""Dashboard benchmark: server time and payload of the dashboard pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/dashboard.py

Loads 200 channels x 3 years of daily facts into a scratch PostgreSQL database
(through the real import and recompute, so weekly, monthly, quarterly and
yearly snapshots exist), then requests the pages in-process with production
settings (DEBUG off) and prints medians, the payload and the query count,
next to a trivial page measured in the same run. The last line is
machine-readable.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
from common import drop_database, machine, median_ms, setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    database = f"channelhub_dashbench_{os.getpid()}"
    print(
        f"Dashboard benchmark: {args.channels} channels x {args.days} days, {machine()}", flush=True
    )
    setup_django(database)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from kpi_engine import write_facts

    from channelhub.lib.roles import VIEWER
    from channels_app.channels.models import Channel
    from kpis.engine.recompute import recompute_execute
    from kpis.ingest.pipeline import import_execute
    from kpis.ingest.services import import_create
    from kpis.models import KpiSnapshot

    results: dict[str, float] = {}
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
        kinds = [k for k, _ in Channel.Kind.choices]
        Channel.objects.bulk_create(
            Channel(
                name=f"Channel {i:03d}",
                slug=f"ch-{i:04d}",
                status="active",
                kind=kinds[i % len(kinds)],
            )
            for i in range(args.channels)
        )
        facts = Path(os.environ["CHANNELHUB_VAR_DIR"]) / "facts.csv"
        rows = write_facts(facts, args.channels * args.days, args.channels)
        with timed(results, f"import {rows:,} facts"), open(facts, "rb") as handle:
            run = import_create(file=handle, name=facts.name, user=None)
            imported = import_execute(run.pk)
        assert imported is not None and imported.recompute_run_id
        with timed(results, "recompute every period kind"):
            recompute_execute(imported.recompute_run_id, inline=True)
        from kpis.dashboards.renders import render_defaults

        with timed(results, "render the default dashboard views (worker)"):
            stored = render_defaults()
        print(f"  {stored} default views rendered and stored")
        print(f"  {KpiSnapshot.objects.filter(partner_key=0).count():,} channel snapshots")

        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        viewer = get_user_model().objects.create_user("bench-viewer", password="x" * 20)
        viewer.groups.add(Group.objects.get(name=VIEWER))
        client = Client()
        client.force_login(viewer)

        def get(path: str) -> bytes:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response.content

        pages = {
            "trivial page (sign-in form)": "/accounts/login/",
            "portfolio (default: 12 months, stored render)": "/kpis/dashboard/",
            # The same channels and months through a filter: computed per request.
            "portfolio (same view computed)": "/kpis/dashboard/?status=active",
            "portfolio, 52 weeks (computed)": "/kpis/dashboard/?period=week&start="
            + _weeks_back(52),
            "channel dashboard (stored render)": "/kpis/dashboard/channels/ch-0001/",
            "channel dashboard (computed)": "/kpis/dashboard/channels/ch-0001/?period=month"
            "&start=" + _weeks_back(52),
        }
        timings = {}
        for label, path in pages.items():
            for _ in range(3):
                get(path)  # warm caches and connections
            timings[label] = median_ms(lambda path=path: get(path), args.repeat)
        payload_kb = len(get("/kpis/dashboard/")) / 1024
        with CaptureQueriesContext(connection) as queries:
            get("/kpis/dashboard/")
        trivial = timings["trivial page (sign-in form)"]
        print()
        print("| page | median ms | vs trivial page |")
        print("|---|---:|---:|")
        for label, value in timings.items():
            print(f"| {label} | {value:.1f} | {value / trivial:.1f}x |")
        print(f"| portfolio payload | {payload_kb:.0f} KB | |")
        print(f"| portfolio SQL queries | {len(queries.captured_queries)} | |")
        print()
        print(
            f"portfolio_median_ms={timings['portfolio (default: 12 months, stored render)']:.1f} "
            f"portfolio_computed_ms={timings['portfolio (same view computed)']:.1f} "
            f"channel_median_ms={timings['channel dashboard (stored render)']:.1f} "
            f"portfolio_payload_kb={payload_kb:.0f} portfolio_queries={len(queries.captured_queries)} "
            f"channels={args.channels}"
        )
    finally:
        if not args.keep:
            drop_database(database)


def _weeks_back(weeks: int) -> str:
    from datetime import timedelta

    from kpis.dashboards.content import latest_fact_day

    latest = latest_fact_day()
    assert latest is not None
    return (latest - timedelta(weeks=weeks)).isoformat()


if __name__ == "__main__":
    main()
