"""Ways for a higher layer to reach into a lower one without an upward import.

Imports go downward only (kpis -> partners -> channels_app), yet a partner's
page shows its sales from the KPI engine, and a partner's incentive terms must
tell the engine to recompute. The lower app declares the point; the higher app
fills it when Django starts (its AppConfig.ready):

- `PageContext`: extra template context for a page (the KPI table on a channel
  page, the sales on a partner page). A page with no provider renders its empty
  state.
- For "this changed, recompute" the lower app sends a Django `Signal`, received
  synchronously inside the sender's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Provider = Callable[..., dict[str, Any]]


class PageContext:
    """Template context that higher layers add to one page of a lower one."""

    def __init__(self, page: str) -> None:
        self.page = page
        self._providers: dict[str, Provider] = {}

    def provide(self, name: str, provider: Provider) -> None:
        """Register (or replace: ready() may run twice in tests) a provider."""
        self._providers[name] = provider

    def context(self, **kwargs: Any) -> dict[str, Any]:
        """What every provider adds, given the page's objects as keywords."""
        merged: dict[str, Any] = {}
        for provider in self._providers.values():
            merged.update(provider(**kwargs))
        return merged
