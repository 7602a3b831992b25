"""The shared cache, degraded instead of down when Redis is unreachable.

Web and workers share one Redis cache for job progress, the attention list,
API throttling and the rate limits (channelhub/lib/ratelimit.py). When Redis
stops, Django's own Redis backend raises on every call, and any page or API
call that touches the cache answers 500. `FallbackRedisCache` catches the
connection error, answers from a per-process in-memory cache instead, logs it
(at most once a minute) and tries Redis again after `RETRY_SECONDS`.

What is lost while Redis is down: values are per process (a progress bar may
show nothing, a rate limit counts per process, not per cluster). What is kept:
every page and endpoint answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("channelhub.cache")

T = TypeVar("T")

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)

RETRY_SECONDS = 5.0
LOG_EVERY_SECONDS = 60.0


class FallbackRedisCache(RedisCache):
    """Django's RedisCache that falls back to memory while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        # Fail fast: a stopped or hung Redis must cost a page half a second, not 30.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, {**params, "OPTIONS": options})
        self._fallback = LocMemCache(
            f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)}
        )
        self._down_until = 0.0
        self._last_logged = 0.0
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        """True while calls are answered from memory (for /health/)."""
        return time.monotonic() < self._down_until

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.degraded:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except UNREACHABLE as exc:
                self._mark_down(exc)
        return getattr(self._fallback, name)(*args, **kwargs)

    def _mark_down(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._down_until = now + RETRY_SECONDS
            if now - self._last_logged >= LOG_EVERY_SECONDS:
                self._last_logged = now
                logger.warning(
                    "Redis cache unreachable (%s): answering from this process's memory",
                    exc.__class__.__name__,
                    extra={"event": "cache.degraded"},
                )


def _delegating(name: str) -> Callable[..., Any]:
    def method(self: FallbackRedisCache, *args: Any, **kwargs: Any) -> Any:
        return self._call(name, *args, **kwargs)

    method.__name__ = name
    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(FallbackRedisCache, _name, _delegating(_name))
