"""Serve Plotly.js from the installed `plotly` package, so no page needs a CDN.

The package ships `plotly.min.js` next to ~10 MB of sample datasets; this
finder exposes only the one file, as `vendor/plotly.min.js`, to runserver,
whitenoise and collectstatic alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
FILES = {"vendor/plotly.min.js": PLOTLY_DIR / "plotly.min.js"}


class _SingleFileStorage(FileSystemStorage):
    """A storage rooted at the package folder that lists just our file."""

    def __init__(self, path: str, target: Path) -> None:
        super().__init__(location=str(target.parent))
        self.prefix = str(Path(path).parent)
        self._name = target.name

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return ([], [self._name]) if path in ("", ".") else ([], [])


class VendorFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        target = FILES.get(path)
        if target is None or not target.exists():
            return [] if find_all else None
        return [str(target)] if find_all else str(target)

    def list(self, ignore_patterns: Any) -> Any:
        for path, target in FILES.items():
            yield target.name, _SingleFileStorage(path, target)
