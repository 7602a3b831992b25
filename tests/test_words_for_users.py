"""Pages speak to managers: no internal file names in what they show (issue 17 item 10)."""

import re
from pathlib import Path

from django.conf import settings

COMMENTS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
FILE_NAMES = re.compile(r"\b[\w/-]+\.md\b|METRICS")


def test_no_template_shows_an_internal_file_name():
    found = []
    for directory in settings.TEMPLATES[0]["DIRS"]:
        for path in Path(directory).rglob("*.html"):
            shown = COMMENTS.sub("", path.read_text(encoding="utf-8"))
            found += [f"{path.name}: {m}" for m in FILE_NAMES.findall(shown)]
    assert found == []
