"""API list filters by a related object's key (slug, username, code).

A key that names nothing matches nothing: the list is empty (200), as for any
filter value no row has; a key that names something keeps its rows only.
"""

from __future__ import annotations

import pytest

from channels_app.channels.models import Channel
from tests.api import *  # noqa: F403
from tests.factories import (
    ChannelFactory,
    ContactFactory,
    ContractFactory,
    InteractionFactory,
    ObjectiveFactory,
    PartnerFactory,
    ReviewFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def data(marketing_user, partner_user):
    shop = ChannelFactory(slug="shop", owner=marketing_user)
    ObjectiveFactory(channel=shop)
    resellers = ChannelFactory(slug="resellers", route=Channel.Route.INDIRECT)
    partner = PartnerFactory(slug="acme", channel=resellers, manager=partner_user)
    ContactFactory(partner=partner)
    ContractFactory(partner=partner)
    InteractionFactory(partner=partner)
    ReviewFactory(partner=partner)
    return partner


# (list, filter, a value that names an object of the fixture)
KEY_FILTERS = [
    ("channels", "owner", "maria"),
    ("objectives", "channel", "shop"),
    ("partners", "channel", "resellers"),
    ("partners", "manager", "paul"),
    ("contacts", "partner", "acme"),
    ("contracts", "partner", "acme"),
    ("interactions", "partner", "acme"),
    ("reviews", "partner", "acme"),
]


@pytest.mark.parametrize(("name", "param", "known"), KEY_FILTERS)
def test_a_key_that_names_nothing_gives_an_empty_list(data, admin_api, name, param, known):
    found = admin_api.get(f"{API}/{name}/", {param: known})
    assert found.status_code == 200, found.content
    assert found.json()["count"] == 1

    for unknown in ("nobody-here", "(", "Ý"):
        response = admin_api.get(f"{API}/{name}/", {param: unknown})
        assert response.status_code == 200, (unknown, response.content)
        assert response.json()["count"] == 0 and response.json()["results"] == []


def test_partners_by_tier_and_territory_keys(data, admin_api):
    for param in ("tier", "territory"):
        response = admin_api.get(f"{API}/partners/", {param: "no-such-code"})
        assert response.status_code == 200 and response.json()["count"] == 0


def test_kpi_rows_of_an_unknown_partner_are_none(data, admin_api):
    response = admin_api.get(f"{API}/kpis/snapshots/", {"partner": "nobody-here"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0 and response.json()["results"] == []
    # A value that is no slug at all stays a 400, as the schema's pattern says.
    assert admin_api.get(f"{API}/kpis/snapshots/", {"partner": "a b"}).status_code == 400
    assert admin_api.get(f"{API}/kpis/export/", {"channel": "a b"}).status_code == 400


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("objectives", "status"),
        ("channels", "kind"),
        ("interactions", "occurred_before"),
        ("interactions", "follow_up_open"),
        ("contacts", "is_primary"),
    ],
)
def test_an_empty_value_of_a_typed_filter_is_refused(data, admin_api, name, param):
    """`?status=` is a mistake to hear of, not "any status"; an empty search or
    slug filter, or an empty sort, still means no filter."""
    response = admin_api.get(f"{API}/{name}/", {param: ""})
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {param: ["Give a value, or leave the parameter out."]}
    for untyped in ("sort", "q" if name != "interactions" else "partner"):
        assert admin_api.get(f"{API}/{name}/", {untyped: ""}).status_code == 200


@pytest.mark.parametrize(
    ("name", "param"), [("interactions", "follow_up_open"), ("contacts", "is_primary")]
)
def test_a_yes_no_filter_reads_true_or_false_and_refuses_the_rest(data, admin_api, name, param):
    assert admin_api.get(f"{API}/{name}/", {param: "true"}).status_code == 200
    assert admin_api.get(f"{API}/{name}/", {param: "false"}).status_code == 200
    refused = admin_api.get(f"{API}/{name}/", {param: "25418458020"})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {param: ["Say true or false."]}


def test_create_channels_of_the_facts_push_reads_true_or_false(data, admin_api):
    row = {"date": "2025-03-01", "channel": "shop", "spend": "1"}
    refused = admin_api.post(f"{API}/facts/?create_channels=maybe", [row], format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"create_channels": ["Say true or false."]}
