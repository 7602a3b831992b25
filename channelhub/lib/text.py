"""Text helpers shared by every app.

`slugify` turns a name into the part of a URL that names an object. Django's
own `slugify` drops every letter that has no ASCII decomposition, so "Nørre
Outdoor" became "nrre-outdoor"; this one transliterates (ø -> o, ß -> ss,
Ł -> L, Ж -> Zh) through python-slugify before it keeps only ASCII letters,
digits and hyphens.
"""

from __future__ import annotations

import re

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


# --- clean text ----------------------------------------------------------------------
#
# What a person may type into a text field. A NUL ends strings in C libraries and
# PostgreSQL refuses it (the request answered 500); escape sequences and other
# control characters rewrite a terminal or a log line; a bidirectional override
# in a name reverses what people read ("Acme\u202egpj.exe" shows "Acmeexe.jpg").
# Tab and new line are text in a multi-line field, nowhere else.

# Cc (C0, DEL, C1) and lone surrogates, which no database can store.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS_BUT_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# U+202A-U+202E (embeddings and overrides) and U+2066-U+2069 (isolates).
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

CONTROL_MESSAGE = "Remove the control character ({code}): it cannot be stored."
DIRECTION_MESSAGE = (
    "Remove the hidden text-direction character ({code}): "
    "it changes the order in which people read this name."
)


def text_problem(value: str, *, multiline: bool = False, name: bool = True) -> str | None:
    """Why `value` cannot be stored as typed text, or None.

    `multiline`: tab and new lines are text. `name`: a one-line name or title,
    which must not carry direction controls either.
    """
    controls = _CONTROLS_BUT_LINE_BREAKS if multiline else _CONTROLS
    found = controls.search(value)
    if found:
        return CONTROL_MESSAGE.format(code=f"U+{ord(found.group()):04X}")
    found = _DIRECTION_CONTROLS.search(value) if name else None
    if found:
        return DIRECTION_MESSAGE.format(code=f"U+{ord(found.group()):04X}")
    return None
