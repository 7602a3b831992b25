"""Business dates (contract ends, deals, claims, reviews, interactions...) must
fall inside the business window (channelhub.lib.dates): every form with a date
refuses 9999-12-31 under the field, and so does the API (issue 19 item 2)."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from channels_app.audits.forms import BrandAuditForm
from channels_app.channels.forms import ChannelForm, ObjectiveForm
from partners.activity.forms import ActionItemForm, InteractionForm, ReviewForm
from partners.activity.models import PartnerReview, ReviewActionItem
from partners.conflicts.forms import ObservationForm
from partners.contracts.forms import AttestationForm, ContractForm
from partners.contracts.models import Contract
from partners.deals.forms import DealDecisionForm, DealForm
from partners.directory.forms import StatusForm
from partners.directory.models import Partner, PartnerStatusChange
from partners.enablement.forms import CertificationForm, TrainingCompletionForm
from partners.incentives.forms import ClaimForm, EnrollmentForm, PayoutForm, ProgramForm
from tests.api import *  # noqa: F403

pytestmark = pytest.mark.django_db
API = "/api/v1"
OUT = "9999-12-31"


def _forms(partner: Partner) -> list[tuple[type[forms.BaseForm], dict[str, Any]]]:
    partners = Partner.objects.filter(pk=partner.pk)
    return [
        (InteractionForm, {"partner": partner}),
        (ReviewForm, {"default_cadence_days": 90}),
        (ActionItemForm, {}),
        (ObservationForm, {"partners": partners}),
        (ContractForm, {}),
        (AttestationForm, {}),
        (DealForm, {"partners": partners}),
        (DealDecisionForm, {}),
        (StatusForm, {"allowed": {"active"}}),
        (TrainingCompletionForm, {"partner": partner}),
        (CertificationForm, {"partner": partner}),
        (ProgramForm, {}),
        (EnrollmentForm, {"partners": partners}),
        (ClaimForm, {"partners": partners}),
        (PayoutForm, {"partners": partners}),
        (BrandAuditForm, {"cadence_days": 90}),
        (ChannelForm, {}),
        (ObjectiveForm, {}),
    ]


def test_every_date_field_of_every_form_refuses_a_day_out_of_range(world):
    checked = 0
    for form_class, kwargs in _forms(world["partner"]):
        dates = [
            name
            for name, field in form_class.base_fields.items()
            if isinstance(field, forms.DateField)
        ]
        assert dates, form_class
        form = form_class(data=dict.fromkeys(dates, OUT), **kwargs)
        assert not form.is_valid()
        for name in dates:
            errors = " ".join(form.errors.get(name, []))
            assert "out of range: dates must be between 1990-01-01 and" in errors, (
                form_class.__name__,
                name,
                form.errors.get(name),
            )
            assert form[name].value() == OUT  # what was typed is kept
            checked += 1
    assert checked >= 30


def test_a_day_in_the_window_is_still_accepted(world):
    form = ActionItemForm(data={"description": "Call", "owner": "Paul", "due_on": "2031-05-01"})
    assert form.is_valid(), form.errors


def test_the_api_refuses_a_contract_ending_in_year_9999(partner_api, world):
    contract = world["contract"]
    before = contract.end_on
    response = partner_api.patch(f"{API}/contracts/{contract.pk}/", {"end_on": OUT})
    assert response.status_code == 400
    assert "out of range" in response.json()["errors"]["end_on"][0]
    assert Contract.objects.get(pk=contract.pk).end_on == before


def test_the_api_refuses_an_action_item_due_in_year_9999(partner_api, world):
    review = {
        "partner": world["partner"].slug,
        "period_start": "2025-04-01",
        "period_end": "2025-06-30",
        "reviewed_on": "2025-07-05",
        "score_sales": 5,
        "score_enablement": 4,
        "score_brand": 4,
        "score_satisfaction": 3,
        "score_collaboration": 4,
        "action_items": [{"description": "Webinar", "owner": "Paul", "due_on": OUT}],
        "next_review_on": OUT,
    }
    reviews, items = PartnerReview.objects.count(), ReviewActionItem.objects.count()
    response = partner_api.post(f"{API}/reviews/", review)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "out of range" in str(errors["action_items"]) and "out of range" in str(
        errors["next_review_on"]
    )
    assert (PartnerReview.objects.count(), ReviewActionItem.objects.count()) == (reviews, items)


def test_the_api_refuses_a_status_change_dated_1900(partner_api, world):
    partner = world["partner"]
    changes = PartnerStatusChange.objects.count()
    response = partner_api.post(
        f"{API}/partners/{partner.slug}/status/", {"status": "at_risk", "changed_on": "1900-01-01"}
    )
    assert response.status_code == 400
    assert "out of range" in response.json()["errors"]["changed_on"][0]
    assert PartnerStatusChange.objects.count() == changes
    assert Partner.objects.get(pk=partner.pk).status == partner.status
