"""Walk through the running app over HTTP like a newcomer: sign in as the demo
marketing manager, upload a small facts file on the Import page, and wait until
the worker has imported it and its recompute has landed in the KPIs.

Standard library only, so it needs nothing beyond what `make run` installed.
"""

from __future__ import annotations

import csv
import http.cookiejar
import io
import re
import sys
import time
import urllib.parse
import urllib.request
import uuid

BASE = sys.argv[1].rstrip("/")
TIMEOUT = float(sys.argv[2]) if len(sys.argv) > 2 else 180.0
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

# A month the demo data does not cover, so the recompute's effect is exact.
FACTS = (
    "date,channel,spend,revenue,cogs,orders,new_customers\n"
    "2019-01-14,web-shop,100.00,700.00,300.00,7,5\n"
    "2019-01-15,web-shop,50.50,534.56,200.00,4,2\n"
)
EXPECTED_REVENUE = "1234.56"


def say(message: str) -> None:
    print(f"[smoke] {message}", flush=True)


def get(path: str) -> tuple[str, str]:
    with opener.open(BASE + path, timeout=30) as response:
        return response.geturl(), response.read().decode()


def csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post(path: str, body: bytes, content_type: str) -> tuple[str, str]:
    request = urllib.request.Request(
        BASE + path,
        data=body,
        headers={"Referer": BASE + path, "Content-Type": content_type},
    )
    with opener.open(request, timeout=60) as response:
        return response.geturl(), response.read().decode()


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, content) in files.items():
        out.write(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def status_of(html: str) -> str:
    """The status badge of an import or recompute run page."""
    match = re.search(r'>Status</(?:div|dt)>.*?<span class="badge (\w+)">', html, re.S)
    assert match, "no status badge on the page"
    return match.group(1)


def wait_for(what: str, check) -> str:
    deadline = time.monotonic() + TIMEOUT
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SystemExit(f"[smoke] gave up after {TIMEOUT:.0f}s waiting for {what}")
        time.sleep(1)


def main() -> None:
    _, page = get("/accounts/login/")
    login = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf(page), "username": "maria", "password": "channelhub-demo"}
    ).encode()
    _, home = post("/accounts/login/", login, "application/x-www-form-urlencoded")
    assert "Sign out" in home, "signing in as the demo marketing manager failed"
    _, channels = get("/channels/")
    assert "Web Shop" in channels, "the demo channels are missing"
    say("signed in as maria and saw the demo channels")

    _, form = get("/kpis/import/")
    body, content_type = multipart(
        {"csrfmiddlewaretoken": csrf(form)}, {"file": ("smoke.csv", FACTS.encode())}
    )
    import_url, _ = post("/kpis/import/", body, content_type)
    import_path = urllib.parse.urlparse(import_url).path
    assert re.fullmatch(r"/kpis/imports/\d+/", import_path), f"no import page: {import_url}"
    say(f"uploaded a 2-row file: {import_path}")

    def import_done() -> str:
        _, html = get(import_path)
        status = status_of(html)
        if status in ("rejected", "failed"):
            raise SystemExit(f"[smoke] the import ended {status}")
        return html if status == "succeeded" else ""

    html = wait_for("the worker to import the file", import_done)
    match = re.search(r'<a href="(/kpis/runs/\d+/)">Recompute #\d+</a>', html)
    assert match, "the import did not queue a recompute"
    run_path = match.group(1)
    say(f"the worker imported the file; its recompute is {run_path}")

    def run_done() -> str:
        _, html = get(run_path)
        status = status_of(html)
        if status == "failed":
            raise SystemExit("[smoke] the recompute failed")
        return status if status == "succeeded" else ""

    wait_for("the worker to recompute the KPIs", run_done)
    query = urllib.parse.urlencode(
        {"period": "month", "channel": "web-shop", "start": "2019-01-01", "end": "2019-01-31"}
    )
    _, export = get(f"/kpis/export.csv?{query}")
    rows = list(csv.DictReader(io.StringIO(export)))
    assert len(rows) == 1, f"expected one month of KPIs, got {len(rows)}"
    assert rows[0]["revenue"] == EXPECTED_REVENUE, f"revenue is {rows[0]['revenue']}"
    say(f"the recompute landed: web-shop 2019-01 revenue {rows[0]['revenue']} in the export")


if __name__ == "__main__":
    main()
