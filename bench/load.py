"""Load test: 16 simulated users against gunicorn + PostgreSQL + Redis + a real worker,
while full recomputes run back to back. Loopback only, bounded in time and requests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/load.py [--duration 300] [--users 16] [--port 8071]

What it does:
1. (Re)creates the database `channelhub_load` next to DATABASE_URL's, migrates
   it, loads the demo business (users, partners, reviews) and 200 channels x 3
   years of daily facts (bench/kpi_engine.py's generator) through the real
   import and recompute.
2. Starts gunicorn (2 x cores + 1 sync workers, DEBUG off) and a Celery worker
   on a private queue, then keeps one full recompute running at all times
   (one at a time, as docs/operations.md asks).
3. Runs locust headless (this same file is the locustfile): viewers and
   marketing managers read the portfolio and channel dashboards (default and
   filtered) and change filters; partner managers read partner pages and
   submit reviews; one marketing manager imports one file.
4. Prints requests per second, median and p95 latency per page and errors as a
   table, next to a trivial page (sign-in form) measured in the same run, and
   whether the targets hold (0 errors, dashboard p95 < 300 ms).
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATABASE = "channelhub_load"
DEMO_PASSWORD = "channelhub-demo"

if "locust" in sys.modules or os.environ.get("LOAD_CONFIG"):
    # --- The locustfile ------------------------------------------------------------------
    from locust import HttpUser, between, task

    CONFIG = json.loads(os.environ.get("LOAD_CONFIG", "{}"))
    MAX_REQUESTS = int(CONFIG.get("max_requests", 100_000))
    _counter = {"requests": 0, "imported": False}
    _lock = threading.Lock()
    CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def send_secure_cookies_over_http(jar: Any) -> None:
        """Production settings mark cookies Secure (HTTPS behind a proxy); on
        loopback without TLS the simulated browsers keep them as plain ones."""
        keep = jar.set_cookie

        def set_cookie(cookie: http.cookiejar.Cookie, *args: Any, **kwargs: Any) -> Any:
            cookie.secure = False
            return keep(cookie, *args, **kwargs)

        jar.set_cookie = set_cookie

    class SignedIn(HttpUser):
        abstract = True
        wait_time = between(0.5, 2.0)
        username = ""

        def on_start(self) -> None:
            send_secure_cookies_over_http(self.client.cookies)
            page = self.client.get("/accounts/login/", name="sign-in form (trivial)")
            token = CSRF.search(page.text)
            with self.client.post(
                "/accounts/login/",
                {"username": self.username, "password": DEMO_PASSWORD,
                 "csrfmiddlewaretoken": token.group(1) if token else ""},
                headers={"Referer": f"{self.host}/accounts/login/"},
                name="sign in",
                allow_redirects=False,
                catch_response=True,
            ) as response:  # fmt: skip
                if response.status_code != 302:
                    response.failure(f"sign-in refused: HTTP {response.status_code}")

        def get(self, path: str, name: str) -> None:
            with _lock:
                _counter["requests"] += 1
                if _counter["requests"] > MAX_REQUESTS:
                    self.environment.runner.quit()  # the request bound
                    return
            with self.client.get(path, name=name, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
                elif "/accounts/login/" in response.url and "/accounts/login/" not in path:
                    response.failure("sent to the sign-in page")

        def dashboards(self) -> None:
            channel = random.choice(CONFIG["channels"])
            choice = random.random()
            if choice < 0.3:
                self.get("/kpis/dashboard/", "portfolio dashboard (default)")
            elif choice < 0.5:
                period = random.choice(["week", "month", "quarter"])
                kind = random.choice(CONFIG["kinds"])
                self.get(
                    f"/kpis/dashboard/?period={period}&kind={kind}&start={CONFIG['start']}",
                    "portfolio dashboard (filtered)",
                )
            elif choice < 0.8:
                self.get(f"/kpis/dashboard/channels/{channel}/", "channel dashboard (default)")
            else:
                period = random.choice(["week", "quarter", "year"])
                self.get(
                    f"/kpis/dashboard/channels/{channel}/?period={period}&start={CONFIG['start']}",
                    "channel dashboard (filtered)",
                )

    class Viewer(SignedIn):
        weight = 8
        username = "vera"

        @task(6)
        def read_dashboards(self) -> None:
            self.dashboards()

        @task(1)
        def change_filters(self) -> None:
            # A filter change is a new request of the filtered page.
            status = random.choice(["active", "paused", ""])
            self.get(f"/kpis/dashboard/?status={status}&period=month", "filter change")

        @task(1)
        def attention(self) -> None:
            self.get("/kpis/dashboard/attention/", "attention list")

        @task(1)
        def trivial(self) -> None:
            self.get("/accounts/login/", "sign-in form (trivial)")

    class Marketing(SignedIn):
        weight = 4
        username = "maria"

        def on_start(self) -> None:
            super().on_start()
            with _lock:
                first = not _counter["imported"]
                _counter["imported"] = True
            if first:
                self.import_once()

        def import_once(self) -> None:
            page = self.client.get("/kpis/import/", name="import page")
            token = CSRF.search(page.text)
            rows = "\n".join(
                f"{date(2024, 6, 1) + timedelta(days=d)},{CONFIG['channels'][0]},{100 + d},{400 + d}"
                for d in range(30)
            )
            with self.client.post(
                "/kpis/import/",
                data={"csrfmiddlewaretoken": token.group(1) if token else ""},
                files={"file": ("load.csv", f"date,channel,spend,revenue\n{rows}\n", "text/csv")},
                headers={"Referer": f"{self.host}/kpis/import/"},
                name="import a file",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                where = response.headers.get("Location", "")
                if response.status_code != 302 or "/kpis/imports/" not in where:
                    response.failure(f"import: HTTP {response.status_code} to {where}")

        @task(6)
        def read_dashboards(self) -> None:
            self.dashboards()

        @task(2)
        def change_filters(self) -> None:
            kind = random.choice(CONFIG["kinds"])
            self.get(f"/kpis/dashboard/?kind={kind}&period=quarter", "filter change")

        @task(1)
        def runs(self) -> None:
            self.get("/kpis/runs/", "jobs page")

    class PartnerManager(SignedIn):
        weight = 4
        username = "paul"

        @task(3)
        def partner_page(self) -> None:
            self.get(f"/partners/{random.choice(CONFIG['partners'])}/", "partner page")

        @task(2)
        def directory(self) -> None:
            self.get("/partners/", "partner directory")

        @task(1)
        def submit_review(self) -> None:
            slug = random.choice(CONFIG["own_partners"])
            form = self.client.get(f"/partners/{slug}/reviews/new/", name="review form")
            token = CSRF.search(form.text)
            start = date(2023, 1, 1) + timedelta(days=random.randint(0, 600))
            data = {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "period_start": start.isoformat(),
                "period_end": (start + timedelta(days=89)).isoformat(),
                "reviewed_on": date.today().isoformat(),
                "next_review_on": (date.today() + timedelta(days=90)).isoformat(),
                "strengths": "Good quarter.",
                "improvements": "More training.",
                "actions-TOTAL_FORMS": "0",
                "actions-INITIAL_FORMS": "0",
                "actions-MIN_NUM_FORMS": "0",
                "actions-MAX_NUM_FORMS": "1000",
            }
            data.update({name: str(random.randint(1, 5)) for name in CONFIG["criteria"]})
            with self.client.post(
                f"/partners/{slug}/reviews/new/",
                data=data,
                headers={"Referer": f"{self.host}/partners/{slug}/reviews/new/"},
                allow_redirects=False,
                name="submit a review",
                catch_response=True,
            ) as response:
                if response.status_code != 302:
                    response.failure(f"review refused: HTTP {response.status_code}")


# --- The orchestrator -------------------------------------------------------------------


def _prepare(channels: int, days: int) -> dict[str, object]:
    sys.path.insert(0, str(HERE))
    from common import setup_django

    setup_django(DATABASE)
    from django.core.management import call_command
    from kpi_engine import write_facts

    from channels_app.channels.models import Channel
    from kpis.engine.recompute import recompute_execute
    from kpis.ingest.pipeline import import_execute
    from kpis.ingest.services import import_create
    from partners.activity.models import REVIEW_CRITERIA
    from partners.models import Partner

    call_command("seed_demo", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    kinds = [k for k, _ in Channel.Kind.choices]
    Channel.objects.bulk_create(
        Channel(
            name=f"Load {i:03d}", slug=f"ch-{i:04d}", status="active", kind=kinds[i % len(kinds)]
        )
        for i in range(channels)
    )
    facts = Path(os.environ["CHANNELHUB_VAR_DIR"]) / "facts.csv"
    rows = write_facts(facts, channels * days, channels)
    started = time.perf_counter()
    with open(facts, "rb") as handle:
        run = import_create(file=handle, name=facts.name, user=None)
        imported = import_execute(run.pk)
    assert imported is not None and imported.recompute_run_id, "the facts import failed"
    recompute_execute(imported.recompute_run_id, inline=True)
    print(f"  loaded {rows:,} facts and recomputed in {time.perf_counter() - started:.0f} s")
    # Planner statistics as autovacuum keeps them on a live database (it would
    # get to the freshly loaded tables a minute or so into the run).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    slugs = list(Channel.objects.order_by("slug").values_list("slug", flat=True))
    partners = list(Partner.objects.values_list("slug", flat=True))
    own = list(Partner.objects.filter(manager__username="paul").values_list("slug", flat=True))
    assert partners and own, "the demo data has no partners for paul"
    return {
        "channels": [s for s in slugs if s.startswith("ch-")][:50] + slugs[:5],
        "kinds": sorted({c.kind for c in Channel.objects.all()}),
        "partners": partners,
        "own_partners": own,
        "criteria": [name for name, _ in REVIEW_CRITERIA],
        "start": (date.today() - timedelta(days=365 * 2)).isoformat(),
    }


def _keep_recomputing(stop: threading.Event) -> None:
    """One full recompute at a time, the next queued as soon as one finishes."""
    from django.db import close_old_connections

    from kpis.engine.recompute import recompute_request
    from kpis.models import RecomputeRun

    while not stop.is_set():
        close_old_connections()
        if not RecomputeRun.objects.filter(status__in=["queued", "running"]).exists():
            recompute_request(trigger=RecomputeRun.Trigger.MANUAL)
        stop.wait(1.0)


def _recompute_summary() -> str:
    from kpis.models import RecomputeRun

    runs = RecomputeRun.objects.filter(trigger="manual")
    times = sorted(r.duration_s or 0 for r in runs.filter(status="succeeded"))
    failed = runs.filter(status="failed").count()
    if not times:
        return f"full recomputes during the run: none finished ({failed} failed)"
    return (
        f"full recomputes during the run: {len(times)} succeeded, {failed} failed, "
        f"median {times[len(times) // 2]:.1f} s each (worker concurrency 1)"
    )


def _table(stats_csv: Path) -> tuple[str, bool, list[str]]:
    rows = list(csv.DictReader(stats_csv.open()))
    lines = [
        "| page | requests | req/s | median ms | p95 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    ok = True
    notes = []
    for r in rows:
        name = r["Name"]
        p95 = float(r["95%"] or 0)
        errors = int(r["Failure Count"])
        lines.append(
            f"| {name} | {r['Request Count']} | {float(r['Requests/s']):.1f} | "
            f"{float(r['50%'] or 0):.0f} | {p95:.0f} | {errors} |"
        )
        if errors:
            ok = False
            notes.append(f"{name}: {errors} errors")
        if "dashboard" in name and name != "Aggregated" and p95 >= 300:
            ok = False
            notes.append(f"{name}: p95 {p95:.0f} ms >= 300 ms")
    return "\n".join(lines), ok, notes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=300, help="seconds of load (300)")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--port", type=int, default=8071)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("The load test needs Redis: set REDIS_URL (and DATABASE_URL to PostgreSQL).")
    sys.path.insert(0, str(HERE))
    from common import drop_database, machine

    os.environ.update(
        DJANGO_DEBUG="0", SECRET_KEY="load-" + "k" * 60, SECURE_SSL_REDIRECT="0",
        CELERY_TASK_DEFAULT_QUEUE=f"load-{os.getpid()}", LOG_LEVEL="WARNING",
    )  # fmt: skip
    print(f"Load test: {args.users} users, {args.duration} s, {machine()}", flush=True)
    config = _prepare(args.channels, args.days)
    config["max_requests"] = args.max_requests
    env = {**os.environ, "LOAD_CONFIG": json.dumps(config), "LOG_LEVEL": "INFO"}
    out = Path(os.environ["CHANNELHUB_VAR_DIR"])
    workers = 2 * (os.cpu_count() or 1) + 1
    processes = []
    stop = threading.Event()
    try:
        web_log = open(out / "web.log", "w")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "channelhub.wsgi", "--bind",
             f"127.0.0.1:{args.port}", "--workers", str(workers), "--timeout", "120"],
            cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT,
        ))  # fmt: skip
        worker_log = open(out / "worker.log", "w")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "channelhub", "worker", "--concurrency", "1",
             "--queues", env["CELERY_TASK_DEFAULT_QUEUE"], "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
        ))  # fmt: skip
        _wait_for_web(args.port)
        recomputer = threading.Thread(target=_keep_recomputing, args=(stop,))
        recomputer.start()
        prefix = out / "locust"
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", __file__, "--headless", "--only-summary",
             "-u", str(args.users), "-r", str(max(1, args.users // 4)), "-t", f"{args.duration}s",
             "--host", f"http://127.0.0.1:{args.port}", "--csv", str(prefix), "--stop-timeout", "10",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=env, check=False, timeout=args.duration + 120,
        )  # fmt: skip
        stop.set()
        recomputer.join()
        table, ok, notes = _table(Path(f"{prefix}_stats.csv"))
        print()
        print(table)
        print()
        print(_recompute_summary())
        print("targets (0 errors, dashboard p95 < 300 ms):", "met" if ok else "MISSED")
        for note in notes:
            print("  -", note)
    finally:
        stop.set()
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            drop_database(DATABASE)


def _wait_for_web(port: int) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/?check=database", timeout=5)
            return
        except OSError:
            time.sleep(0.5)
    sys.exit("gunicorn did not start (see web.log)")


if __name__ == "__main__":
    main()
