"""Every partner model has a working admin; the demo data loads once."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from channelhub.demo import DEMO_PASSWORD
from partners.access.models import PortalAccount
from partners.activity.models import PartnerReview
from partners.attention.models import PartnerFlag
from partners.directory.models import Partner
from tests.auth import password_login

pytestmark = pytest.mark.django_db

# Historical models (django-simple-history) are read through their model's
# admin History page, not an admin of their own (tests/test_audit_trail.py).
MODELS = [
    m._meta.model_name
    for m in apps.get_app_config("partners").get_models()
    if not hasattr(m, "instance_type")
]


@pytest.mark.parametrize("model", MODELS)
def test_every_partner_model_has_a_working_admin(admin_client_, world, model):
    response = admin_client_.get(reverse(f"admin:partners_{model}_changelist"), {"q": "a"})
    assert response.status_code == 200


def test_the_admin_edit_of_a_review_recomputes_it_and_keeps_history(admin_client_, world):
    review = world["review"]
    url = reverse("admin:partners_partnerreview_change", args=[review.pk])
    form = admin_client_.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "partner": review.partner_id,
            "author": review.author_id,
            "score_sales": 1,
            "action_items-TOTAL_FORMS": 0,
            "action_items-INITIAL_FORMS": 0,
            "revisions-TOTAL_FORMS": 0,
            "revisions-INITIAL_FORMS": 0,
        }
    )
    for key in ("period_start", "period_end", "reviewed_on", "next_review_on"):
        data[key] = getattr(review, key).isoformat()
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    review.refresh_from_db()
    assert str(review.overall) == "3.40"  # (1 + 3 + 4 + 5 + 4) / 5
    assert review.revisions.count() == 1


def test_the_demo_has_partners_with_history_and_loads_only_once(demo_business):
    # demo_business is what `seed_demo` wrote in this test process (run for
    # real by the first test that needs it, tests/demo_data.py).
    partners = Partner.objects.count()
    reviews = PartnerReview.objects.count()
    assert 35 <= partners <= 45
    assert reviews > 8 * 20  # two years of quarterly reviews for most partners
    assert set(Partner.objects.values_list("manager__username", flat=True)) == {"paul", "petra"}
    assert Partner.objects.filter(status="onboarding").exists()
    assert PartnerFlag.objects.filter(kind="contract_expiring").exists()
    flags = PartnerFlag.objects.count()
    # Two partner users (README's demo accounts), one of Paul's partners, one of Petra's.
    portal = {a.user.username: a for a in PortalAccount.objects.select_related("user", "partner")}
    assert {u: a.partner.manager.username for u, a in portal.items()} == {
        "nina": "paul",
        "axel": "petra",
    }
    assert all(a.is_open for a in portal.values())
    client = Client()
    assert password_login(client, "nina", DEMO_PASSWORD)
    assert "Nordlicht Handel" in client.get(reverse("portal:home")).text
    call_command("seed_demo", verbosity=0)
    assert Partner.objects.count() == partners
    assert PartnerReview.objects.count() == reviews
    assert PartnerFlag.objects.count() == flags
    assert PortalAccount.objects.count() == 2
