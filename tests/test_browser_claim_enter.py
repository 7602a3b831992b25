"""Enter in a claim's decision note decides nothing: only Approve or Reject do
(Enter used to press the form's first button, Approve)."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import timezone

from channelhub.lib.roles import MARKETING_MANAGER
from partners.incentives import services
from partners.incentives.models import MdfClaim
from tests.browser import sign_in
from tests.factories import PASSWORD, ChannelFactory, PartnerFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_enter_in_the_note_decides_nothing_and_reject_rejects(live_server, page):
    UserFactory(username="maria", role=MARKETING_MANAGER)
    today = timezone.localdate()
    channel = ChannelFactory(slug="market", route="indirect", name="Marketplace")
    partner = PartnerFactory(channel=channel, name="Nordlicht Handel")
    fund = services.program_create(
        data={
            "name": "Co-marketing fund", "kind": "mdf", "channel": channel,
            "start_date": date(today.year - 1, 1, 1), "accrual_period": "quarter",
            "mdf_allocation": D("5000"),
        },
        created_by=None,
    )  # fmt: skip
    services.enrollment_add(program=fund, partner=partner, start_date=date(today.year - 1, 1, 1))
    claim = services.claim_submit(
        program=fund, partner=partner, activity_date=today, amount=D("300"), description="Ads"
    )

    sign_in(page, live_server, "maria", PASSWORD)
    page.goto(f"{live_server.url}{fund.get_absolute_url()}")
    note = page.get_by_label(f"Note on claim {claim.pk}")
    note.fill("Rejected: no invoice attached")
    note.press("Enter")
    # Had Enter submitted, the page would have reloaded saying "Claim approved."
    # and without this form; Reject still finds the note as typed.
    page.click(f"form[action$='/{claim.pk}/decide/'] button[value=reject]")
    page.wait_for_selector("text=Claim rejected.")
    claim.refresh_from_db()
    assert claim.status == MdfClaim.Status.REJECTED
    assert claim.decision_note == "Rejected: no invoice attached"
    assert page.console_errors == []
