"""Browser benchmark: how long the dashboards take to draw in Chromium.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/browser.py
    python bench/browser.py --url http://127.0.0.1:8000   # a running ChannelHub with the demo data

Without --url it loads the demo business (`seed_demo`) into a scratch
PostgreSQL database, stores the default dashboard renders, collects the
static files and starts gunicorn with production settings (DEBUG off,
whitenoise serving hashed static files with a long cache). Then, signed in as
a marketing manager, it loads each page in Debian's chromium and prints, per
page, the median of:

- "drawn": navigation start to every chart in view drawn (static/js/charts.js
  sets window.chartsDrawnAt; charts further down draw when scrolled to);
  for the page without charts, the load event (the baseline);
- "load": navigation start to the load event;
- a first visit with an empty browser cache (cold), once per page;

and the time of a filter change (the period select: htmx swaps the body,
charts.js redraws) from the change to its charts drawn. The last line is
machine-readable. The machine should be quiet: the figures are wall-clock.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
from common import ROOT, drop_database, machine, setup_django

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USER, PASSWORD = "maria", "channelhub-demo"
BASELINE = "channel list (no charts)"
PAGES = {
    BASELINE: "/channels/",
    "portfolio": "/kpis/dashboard/",
    "channel dashboard": "/kpis/dashboard/channels/web-shop/",
    "partner (one chart)": "/partners/brandwave-agency/",
}
# Page, the filter's select and the value it changes to.
FILTER_CHANGES = {
    "portfolio": ("/kpis/dashboard/", "#id_period", "quarter"),
    "channel dashboard": ("/kpis/dashboard/channels/web-shop/", "#id_period", "week"),
}
WAIT_DRAWN = "() => window.chartsDrawnAt !== undefined || !document.querySelector('[data-figure]')"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "channelhub.wsgi", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start")


def _timings(page, path: str, base: str) -> tuple[float, float]:
    """(drawn, load) in ms since navigation start."""
    page.goto(base + path, wait_until="load")
    page.wait_for_function(WAIT_DRAWN)
    drawn = page.evaluate(
        "window.chartsDrawnAt || performance.getEntriesByType('navigation')[0].loadEventEnd"
    )
    load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    return float(drawn), float(load)


def _filter_change(page, base: str, path: str, select: str, value: str) -> float:
    page.goto(base + path, wait_until="load")
    page.wait_for_function(WAIT_DRAWN)
    start = page.evaluate("performance.now()")
    page.select_option(select, value)
    page.wait_for_function(f"() => (window.chartsDrawnAt || 0) > {start}")
    return float(page.evaluate("window.chartsDrawnAt")) - float(start)


def measure(base: str, repeat: int) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        sys.exit("Debian's chromium is needed (apt-get install -y chromium)")
    results: dict[str, dict[str, float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.goto(base + "/accounts/login/")
        page.fill("#id_username", USER)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Sign out", state="attached")
        signed_in = context.storage_state()
        for label, path in PAGES.items():
            cold = browser.new_context(viewport={"width": 1366, "height": 900},
                                       storage_state=signed_in)  # fmt: skip
            first, _ = _timings(cold.new_page(), path, base)
            cold.close()
            _timings(page, path, base)  # warm the cache
            samples = [_timings(page, path, base) for _ in range(repeat)]
            results[label] = {
                "drawn": statistics.median(s[0] for s in samples),
                "load": statistics.median(s[1] for s in samples),
                "cold": first,
            }
        for label, (path, select, value) in FILTER_CHANGES.items():
            changes = [_filter_change(page, base, path, select, value) for _ in range(repeat)]
            results[label]["filter"] = statistics.median(changes)
        context.close()
        browser.close()
    return results


def report(results: dict[str, dict[str, float]], note: str) -> None:
    baseline = results[BASELINE]["drawn"]
    print()
    print(f"Browser benchmark ({note})")
    print("| page | charts drawn, median ms | load event, median ms | first visit (cold cache) ms "
          "| filter change, median ms | drawn vs baseline |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for label, r in results.items():
        change = f"{r['filter']:.0f}" if "filter" in r else ""
        print(f"| {label} | {r['drawn']:.0f} | {r['load']:.0f} | {r['cold']:.0f} | {change} "
              f"| {r['drawn'] / baseline:.1f}x |")  # fmt: skip
    print()
    print(
        f"baseline_ms={baseline:.0f} "
        f"portfolio_drawn_ms={results['portfolio']['drawn']:.0f} "
        f"channel_drawn_ms={results['channel dashboard']['drawn']:.0f} "
        f"portfolio_filter_ms={results['portfolio']['filter']:.0f} "
        f"channel_filter_ms={results['channel dashboard']['filter']:.0f} "
        f"portfolio_cold_ms={results['portfolio']['cold']:.0f} "
        f"load1={os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running ChannelHub with the demo data")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    print(f"Browser benchmark: {machine()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.url:
        report(measure(args.url.rstrip("/"), args.repeat), f"against {args.url}")
        return
    database = f"channelhub_browserbench_{os.getpid()}"
    setup_django(database)
    server = None
    try:
        from django.core.management import call_command

        from kpis.dashboards.renders import render_defaults

        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # its logins and demo emails
            call_command("seed_demo", verbosity=0)
        render_defaults()
        call_command("collectstatic", interactive=False, verbosity=0)
        print(f"  demo data and static files ready in {time.perf_counter() - started:.0f} s")
        server, url = _serve(os.environ["DATABASE_URL"])
        report(measure(url, args.repeat), "demo data, gunicorn, DEBUG off")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
        if not args.keep:
            drop_database(database)


if __name__ == "__main__":
    main()
