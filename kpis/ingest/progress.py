"""Progress of a running import, shared between the worker and the web.

An import writes its rows in one transaction, so progress cannot live in the
import's own row until it commits: it goes through the shared cache (Redis in
production, files in var/ when embedded). Losing it loses only the progress bar.
"""

from __future__ import annotations

import contextlib

from django.core.cache import cache


def _key(run_id: int) -> str:
    return f"import-progress:{run_id}"


def set_progress(run_id: int, *, processed: int, total: int) -> None:
    with contextlib.suppress(Exception):  # a progress bar must never fail an import
        cache.set(_key(run_id), (processed, total), timeout=3600)


def get_progress(run_id: int) -> tuple[int, int] | None:
    try:
        value = cache.get(_key(run_id))
    except Exception:
        return None
    return (int(value[0]), int(value[1])) if value else None


def clear_progress(run_id: int) -> None:
    with contextlib.suppress(Exception):
        cache.delete(_key(run_id))
