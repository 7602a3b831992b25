"""The production stack's files (issue 19 item 8): secrets come from an env file
that is never committed, and the image can back up the database it runs with."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def _app_env() -> dict[str, str]:
    return COMPOSE["services"]["web"]["environment"]


def test_compose_carries_no_password_in_plain_text():
    postgres = COMPOSE["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "${POSTGRES_PASSWORD" in _app_env()["DATABASE_URL"]
    text = (ROOT / "docker-compose.yml").read_text()
    assert "channelhub:channelhub@" not in text


def test_the_secrets_file_is_documented_and_never_committed():
    for name in ("POSTGRES_PASSWORD", "SECRET_KEY"):
        assert re.search(rf"^#? ?{name}=", ENV_EXAMPLE, re.M), name
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0


def test_the_image_has_pg_dump_of_the_database_major_version():
    image = COMPOSE["services"]["postgres"]["image"]
    major = re.search(r"\$\{PG_MAJOR:-(\d+)\}", image)
    assert major, image
    assert f"ARG PG_MAJOR={major.group(1)}" in DOCKERFILE
    assert "postgresql-client-${PG_MAJOR}" in DOCKERFILE
    assert COMPOSE["x-app"]["build"]["args"]["PG_MAJOR"] == image.split(":", 1)[1]
    assert re.search(r"\bg\+\+", DOCKERFILE)


# --- what can be checked without Docker Hub (no image can be pulled here) ----------

_VAR = re.compile(r"\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}")


def _interpolate(text: str, env: dict[str, str]) -> str:
    """docker compose's variable substitution (${V}, ${V:-default}, ${V:?error}, $$)."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.groups()
        value = env.get(name, "")
        if value:
            return value
        if op == "?":
            raise KeyError(f"{name}: {arg}")
        return arg if op == "-" else ""

    return _VAR.sub(one, text)


def _example_env(**secrets: str) -> dict[str, str]:
    env = {}
    for line in ENV_EXAMPLE.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    return {**env, **secrets}


def test_compose_refuses_to_start_without_its_secrets_and_resolves_with_them():
    text = (ROOT / "docker-compose.yml").read_text()
    for missing in ("POSTGRES_PASSWORD", "SECRET_KEY"):
        env = _example_env(POSTGRES_PASSWORD="pw-1", SECRET_KEY="k" * 50)
        del env[missing]
        try:
            _interpolate(text, env)
        except KeyError as refused:
            assert missing in str(refused)
        else:
            raise AssertionError(f"compose starts without {missing}")
    config = yaml.safe_load(
        _interpolate(text, _example_env(POSTGRES_PASSWORD="pw-1", SECRET_KEY="k" * 50))
    )
    assert config["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pw-1"
    assert config["services"]["postgres"]["image"] == "postgres:16"
    for name in ("web", "worker", "beat", "migrate"):
        environment = config["services"][name]["environment"]
        assert environment["DATABASE_URL"] == "postgres://channelhub:pw-1@postgres:5432/channelhub"
        assert environment["SECRET_KEY"] == "k" * 50 and environment["DJANGO_DEBUG"] == "0"
        assert str(config["services"][name]["build"]["args"]["PG_MAJOR"]) == "16"


def test_the_secrets_file_stays_out_of_git_and_out_of_the_image():
    tracked = subprocess.run(
        ["git", "ls-files", "--", ".env", "*.env"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert tracked == []
    # `COPY . .` copies what .dockerignore does not exclude: an .env beside the
    # compose file must not be baked into the image.
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    assert ".env" in ignored and ".env.*" in ignored and "!.env.example" in ignored


def test_every_long_running_service_has_a_health_check_and_waits_for_its_dependencies():
    services = COMPOSE["services"]
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert COMPOSE["x-app"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["beat"]["deploy"]["replicas"] == 1


def test_the_image_runs_as_a_user_without_root_and_checks_its_pg_dump():
    lines = [line.strip() for line in DOCKERFILE.splitlines() if line.strip()]
    users = [i for i, line in enumerate(lines) if line.startswith("USER ")]
    assert users, "no USER: the image would run as root"
    assert lines[users[-1]].split()[1] not in ("root", "0")
    runs = [i for i, line in enumerate(lines) if line.startswith("RUN ")]
    assert users[-1] > runs[-1], "the last USER must follow the last RUN"
    assert lines[-1].startswith("CMD ")
    # The build fails unless pg_dump is of the server's major version.
    assert 'pg_dump --version | grep -q " ${PG_MAJOR}\\."' in DOCKERFILE
    assert DOCKERFILE.index("postgresql-client-${PG_MAJOR}") < DOCKERFILE.index("pg_dump --version")


def _make_suite(tmp_path: Path, exit_code: int) -> subprocess.CompletedProcess[str]:
    """`make suite` with a stand-in pytest that exits with `exit_code`."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    pytest_ = fake / "pytest"
    pytest_.write_text(f'#!/bin/sh\necho ran "$@"\nexit {exit_code}\n')
    pytest_.chmod(0o755)
    return subprocess.run(
        ["make", "--no-print-directory", "suite", f"BIN={fake}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_test_fails_loudly_when_pytest_collects_nothing(tmp_path):
    nothing = _make_suite(tmp_path, 5)
    assert nothing.returncode != 0
    assert "FAILED: pytest collected no tests (exit 5)" in nothing.stderr
    failed = _make_suite(tmp_path, 1)
    assert failed.returncode != 0 and "collected no tests" not in failed.stderr
    passed = _make_suite(tmp_path, 0)
    assert passed.returncode == 0, passed.stderr
    assert "-n 2 --dist worksteal" in passed.stdout
    # `make test` runs the suite after its checks (dry run: nothing is executed).
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "suite" in plan.stdout and "pytest -n" in plan.stdout, plan.stdout


def test_make_run_gives_every_process_the_web_address_for_links(tmp_path):
    """honcho gives each process its own PORT (web's + 100, + 200 ...): the
    worker's emails and packs linked to a port nothing listens on."""
    planned = subprocess.run(
        ["make", "-n", "run", "PORT=8124", "HOST=127.0.0.1"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    start = next(line for line in planned.splitlines() if "honcho" in line and " start " in line)
    assert start.startswith('SITE_URL="${SITE_URL:-http://127.0.0.1:8124}" ')
    # And honcho hands it to every process, whatever PORT each gets.
    procfile = tmp_path / "Procfile"
    procfile.write_text("web: echo web $PORT $SITE_URL\nworker: echo worker $PORT $SITE_URL\n")
    honcho = str(ROOT / ".venv" / "bin" / "honcho")
    ran = subprocess.run(
        ["bash", "-c", start.split(" PATH=")[0] + f" {honcho} --no-prefix start --procfile {procfile}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PORT": "8124", "SITE_URL": ""},  # as make exports it
    ).stdout  # fmt: skip
    assert "web 8124 http://127.0.0.1:8124" in ran
    assert "worker 8224 http://127.0.0.1:8124" in ran
