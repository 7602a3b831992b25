"""Text helpers shared by every app.

`slugify` turns a name into the part of a URL that names an object. Django's
own `slugify` drops every letter that has no ASCII decomposition, so "Nørre
Outdoor" became "nrre-outdoor"; this one transliterates (ø -> o, ß -> ss,
Ł -> L, Ж -> Zh) through python-slugify before it keeps only ASCII letters,
digits and hyphens.
"""

from __future__ import annotations

from slugify import slugify as _transliterating_slugify


def slugify(value: str, max_length: int = 0) -> str:
    """A lower-case ASCII slug of `value`; "" when nothing of it is spellable.

    `max_length` cuts at a word boundary when it can (0: no limit).
    """
    return _transliterating_slugify(
        str(value),
        max_length=max_length,
        word_boundary=bool(max_length),
        lowercase=True,
    )
