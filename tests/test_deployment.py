"""The production stack's files (issue 19 item 8): secrets come from an env file
that is never committed, and the image can back up the database it runs with."""

from __future__ import annotations

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
