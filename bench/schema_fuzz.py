"""A deeper Schemathesis run than the suite's: more examples per operation, every
check, the stateful run longer too. On demand, never in the suite.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/channelhub REDIS_URL=redis://127.0.0.1:6379/1 \\
        .venv/bin/python bench/schema_fuzz.py [--examples 15] [--stateful 40] [--seed random]
        [--operations 'POST /api/v1/(channels|partners)/']

It runs tests/test_api_schema.py (its test database, the demo business seeded,
an administrator's token) with SCHEMATHESIS_EXAMPLES examples per operation and
mode (valid requests and requests that break the schema), SCHEMATHESIS_STATEFUL
scenarios of the stateful run, and prints the failures Schemathesis found (0 is
the goal: fix the schema where it lies, the code where it errs), the wall and
CPU seconds and the load average. `--seed random` draws new examples each run
(the default is the suite's fixed draw, so a failure reproduces).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=15)
    parser.add_argument("--stateful", type=int, default=40)
    parser.add_argument("--seed", default="", help="'random' for a new draw each run")
    parser.add_argument("--operations", default="", help="a regex of operation labels")
    args = parser.parse_args()
    env = {
        **os.environ,
        "SCHEMATHESIS_EXAMPLES": str(args.examples),
        "SCHEMATHESIS_STATEFUL": str(args.stateful),
        "SCHEMATHESIS_SEED": args.seed,
        "SCHEMATHESIS_OPERATIONS": args.operations,
    }
    print(f"load average before: {os.getloadavg()}", flush=True)
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/test_api_schema.py",
            "-q",
            "-n",
            "0",
            "-p",
            "no:cacheprovider",
            "--reuse-db",
            "--durations=0",
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"examples {args.examples}/operation and mode, stateful {args.stateful} scenarios: "
        f"{'0 failures' if result.returncode == 0 else 'FAILURES (above)'}; "
        f"{wall:.0f} s wall, {usage.ru_utime + usage.ru_stime:.0f} s CPU (pytest only, "
        f"not PostgreSQL); load average after: {os.getloadavg()}"
    )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
