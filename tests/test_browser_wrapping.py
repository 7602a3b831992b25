"""Names in tables read whole: a column is at least as wide as its longest
ordinary word (no "Marketpl-ace" at 1366 px), and a word too long for any
column scrolls its table sideways instead of widening the page."""

import pytest
from django.contrib.auth.models import Group

from channelhub.lib.roles import PARTNER_MANAGER
from tests.browser import sign_in
from tests.factories import PASSWORD, ChannelFactory, PartnerFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NAMES = ["Brandwave Agency", "EU Marketplace Services", "Celtic Wholesale", "Iberia Distribución"]
LONG_WORD = "Superlongpartnernamewithoutanyspaces" * 3

# For every word in the table's cells: on how many lines its letters lie.
WORD_LINES = """() => {
  const out = [];
  const walker = document.createTreeWalker(
    document.querySelector('table.table tbody'), NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    let start = 0;
    for (const word of text.data.split(' ')) {
      if (word.trim()) {
        const range = document.createRange();
        range.setStart(text, start);
        range.setEnd(text, start + word.length);
        const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        out.push([word.trim(), tops.size]);
      }
      start += word.length + 1;
    }
  }
  return out;
}"""


def test_partner_names_never_break_mid_word_and_a_huge_word_scrolls_its_table(live_server, page):
    Group.objects.get_or_create(name=PARTNER_MANAGER)
    UserFactory(username="paul", role=PARTNER_MANAGER)
    channel = ChannelFactory(name="Value-Added Resellers", route="indirect")
    for name in [*NAMES, LONG_WORD]:
        PartnerFactory(name=name, channel=channel)

    sign_in(page, live_server, "paul", PASSWORD)
    page.goto(f"{live_server.url}/partners/")
    for width in (1366, 1024, 800):
        page.set_viewport_size({"width": width, "height": 900})
        words = page.evaluate(WORD_LINES)
        ordinary = [(w, lines) for w, lines in words if w != LONG_WORD and "-" not in w]
        assert {w for w, _ in ordinary} >= {"Brandwave", "Marketplace", "Wholesale"}
        assert all(lines == 1 for _, lines in ordinary), (width, ordinary)

    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.console_errors == []
