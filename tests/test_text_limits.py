"""Text limits and clean names (issue 19 item 7).

Every text field has a length limit in the model and the form; NUL and other
control characters are refused with a form error on pages and a 400 with a
field error in the API; names refuse bidirectional overrides, which reverse
what people read ("Acme\u202egpj.exe").
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse

from channelhub.lib.forms import CleanTextMixin
from channels_app.models import Channel
from partners.models import Partner, PartnerContact, PartnerReview
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory, PartnerFactory

pytestmark = pytest.mark.django_db

LONG = "x" * 100_000
RLO = "\u202e"

# Written by the app, never typed by a person: no limit is needed.
SYSTEM_TEXT = {
    "kpis.RecomputeRun.error",
    "kpis.PackRender.error",
    "kpis.ImportRun.message",
    "channelhub.ScheduledTaskState.last_error",
}


@pytest.fixture
def indirect():
    return ChannelFactory(name="Resellers", slug="resellers", route=Channel.Route.INDIRECT)


def _partner_page_data(indirect, **values):
    return {
        "name": "Acme",
        "slug": "",
        "channel": indirect.pk,
        "kind": "reseller",
        "status": "prospect",
        "territories": "",
        **values,
    }


# --- models ---------------------------------------------------------------------------


def test_every_text_field_of_every_model_has_a_length_limit():
    unlimited = []
    for label in ("channels_app", "partners", "kpis", "channelhub"):
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.get_fields():
                if isinstance(field, models.TextField | models.CharField) and not field.max_length:
                    name = f"{model._meta.app_label}.{model.__name__}.{field.name}"
                    if name not in SYSTEM_TEXT:
                        unlimited.append(name)
    assert unlimited == []


# --- forms ----------------------------------------------------------------------------


def _form_classes():
    for package in ("channelhub", "channels_app", "partners", "kpis"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".tests" in info.name or ".migrations" in info.name or "management" in info.name:
                continue
            if not info.name.endswith("forms"):
                continue
            module = importlib.import_module(info.name)
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    yield cls


def test_every_form_checks_its_text_through_the_one_mixin():
    classes = list(_form_classes())
    assert len(classes) >= 25
    assert [c.__qualname__ for c in classes if not issubclass(c, CleanTextMixin)] == []


def test_a_100k_character_description_is_refused_on_the_page(marketing_client, indirect):
    response = marketing_client.post(
        reverse("partners:create"), _partner_page_data(indirect, description=LONG)
    )
    assert response.status_code == 200
    assert "at most" in str(response.context["form"].errors["description"])
    assert response.context["form"]["description"].value() == LONG
    assert not Partner.objects.exists()


def test_a_100k_character_name_is_refused_on_the_page(marketing_client, indirect):
    response = marketing_client.post(
        reverse("partners:create"), _partner_page_data(indirect, name=LONG)
    )
    assert "at most" in str(response.context["form"].errors["name"])
    assert not Partner.objects.exists()


@pytest.mark.parametrize("field", ["name", "description"])
def test_a_100k_character_text_is_refused_by_the_api(marketing_api, indirect, field):
    response = marketing_api.post(
        "/api/v1/partners/", {"name": "Acme", "channel": "resellers", field: LONG}
    )
    assert response.status_code == 400
    assert "characters" in response.json()["errors"][field][0]
    assert not Partner.objects.exists()


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\t", "\n"])
def test_a_control_character_in_a_name_is_a_form_error(marketing_client, indirect, char):
    response = marketing_client.post(
        reverse("partners:create"), _partner_page_data(indirect, name=f"Acme{char}Ltd")
    )
    assert response.status_code == 200
    assert "control character" in str(response.context["form"].errors["name"])
    assert not Partner.objects.exists()


def test_multi_line_text_keeps_tabs_and_new_lines_but_refuses_other_controls(
    marketing_client, indirect
):
    response = marketing_client.post(
        reverse("partners:create"), _partner_page_data(indirect, description="a\x07b")
    )
    assert "control character" in str(response.context["form"].errors["description"])
    response = marketing_client.post(
        reverse("partners:create"), _partner_page_data(indirect, description="Line 1\r\n\tLine 2")
    )
    assert response.status_code == 302
    assert Partner.objects.get().description == "Line 1\r\n\tLine 2"


def test_a_partner_name_with_a_right_to_left_override_is_refused(marketing_client, indirect):
    response = marketing_client.post(
        reverse("partners:create"), _partner_page_data(indirect, name=f"Acme{RLO}gpj.exe")
    )
    assert "direction" in str(response.context["form"].errors["name"])
    assert response.context["form"]["name"].value() == f"Acme{RLO}gpj.exe"
    assert not Partner.objects.exists()


def test_a_channel_name_with_a_right_to_left_override_is_refused(marketing_client, marketing_user):
    response = marketing_client.post(
        reverse("channels:create"),
        {
            "name": f"Shop{RLO}1",
            "slug": "",
            "kind": "paid_search",
            "route": "direct",
            "reach": "online",
            "owner": marketing_user.pk,
            "status": "active",
        },
    )
    assert "direction" in str(response.context["form"].errors["name"])
    assert not Channel.objects.exists()


@pytest.mark.parametrize("char", ["\u2066", "\u2069", "\u202a"])
def test_the_api_refuses_direction_controls_in_a_channel_name(marketing_api, char):
    response = marketing_api.post("/api/v1/channels/", {"name": f"Shop{char}1"})
    assert response.status_code == 400
    assert "direction" in response.json()["errors"]["name"][0]
    assert not Channel.objects.exists()


# --- the API: NUL anywhere is a 400, never a 500 ----------------------------------------


@pytest.fixture
def partner(marketing_user):
    return PartnerFactory(manager=marketing_user)


@pytest.mark.parametrize(
    ("where", "body"),
    [
        ("name", {"name": "a\x00b", "email": "a@example.com"}),
        ("partner", {"partner": "x\x00", "name": "Ann"}),
        ("phone", {"name": "Ann", "phone": "1\x002"}),
        ("role", {"name": "Ann", "role": "Boss\x1b[31m"}),
    ],
)
def test_a_control_character_in_a_contact_is_a_400_under_its_field(
    marketing_api, partner, where, body
):
    response = marketing_api.post("/api/v1/contacts/", {"partner": partner.slug, **body})
    assert response.status_code == 400, response.content
    assert where in response.json()["errors"]
    assert not PartnerContact.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"strengths": "good\x00"},
        {"partner": "x\x00"},
        {"action_items": [{"description": "call\x00", "due_on": "2025-05-01"}]},
    ],
)
def test_a_control_character_in_a_review_is_a_400(marketing_api, partner, body):
    response = marketing_api.post(
        "/api/v1/reviews/",
        {
            "partner": partner.slug,
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "reviewed_on": "2025-04-01",
            **body,
        },
    )
    assert response.status_code == 400, response.content
    assert next(iter(body)) in response.json()["errors"]
    assert not PartnerReview.objects.exists()


def test_a_name_the_api_does_not_know_is_ignored_whatever_it_holds(marketing_api, partner):
    response = marketing_api.post(
        "/api/v1/contacts/", {"partner": partner.slug, "name": "Ann", "x\x00": "y\x00"}
    )
    assert response.status_code == 201, response.content
    assert PartnerContact.objects.get().name == "Ann"


# --- the address ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["q=a%00b", "partner=x%00", "sort=%1b[31m", "a%00=1"])
def test_a_control_character_in_an_api_query_is_a_400(marketing_api, partner, query):
    response = marketing_api.get(f"/api/v1/contacts/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_control_character_in_a_page_query_is_a_400(marketing_client, partner):
    response = marketing_client.get(reverse("partners:list") + "?q=a%00b")
    assert response.status_code == 400
    assert "control character" in response.content.decode()


def test_the_schema_says_which_text_the_api_refuses(marketing_api):
    schema = marketing_api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    document = schema.json()
    channel = document["components"]["schemas"]["ChannelRequest"]["properties"]
    body = re.compile(channel["notes"]["pattern"])
    assert body.match("Web Shop") and body.match("two\nlines\tand a tab")
    assert not body.match("a\x00b") and not body.match("a\x1bb")
    # A name is one line, as its form reads it (tests/test_api_contract.py).
    name = re.compile(channel["name"]["pattern"])
    assert name.match("Web Shop") and not name.match("two\nlines")
    search = next(
        p for p in document["paths"]["/api/v1/channels/"]["get"]["parameters"] if p["name"] == "q"
    )
    query = re.compile(search["schema"]["pattern"])
    assert query.match("shop") and not query.match("a\tb")


def test_the_schema_asks_a_decimal_for_at_least_one_digit(marketing_api):
    document = marketing_api.get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    ).json()
    target = document["components"]["schemas"]["ObjectiveRequest"]["properties"]["target"]
    pattern = re.compile(target["pattern"])
    assert pattern.match("0.25") and pattern.match("-12") and pattern.match(".5")
    assert not any(pattern.match(v) for v in ("", "-", ".", "-."))
    response = marketing_api.post(
        "/api/v1/objectives/",
        {
            "channel": "x",
            "metric": "aov",
            "start_date": "2025-01-01",
            "end_date": "2025-01-31",
            "target": "",
        },
    )
    assert response.status_code == 400 and "target" in response.json()["errors"]


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        '{"a":' * 3000 + "1" + "}" * 3000,
        '{"name": ' + "[" * 900 + "]" * 900 + "}",
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/channels/", "/api/v1/facts/"])
def test_deeply_nested_json_is_a_400_not_a_500(marketing_api, url, body):
    """The report: 2 KB of nested brackets exhausted the decoder's stack (500)."""
    response = marketing_api.generic("POST", url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested too deeply" in response.json()["detail"]
