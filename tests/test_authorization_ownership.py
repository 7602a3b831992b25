"""The authorization audit's second axis: ownership (issue 19).

tests/test_authorization_audit.py asks whether a *role* may use each URL. This
module asks whether *this user* may act on *this object*: for every write URL
and API endpoint on an object someone owns (a partner and everything kept
about it: its manager; an incentive programme: its owner; a conflict case:
its owner, and the managers of its parties for the day-to-day work), a user
of the owner's own role who does not own it ("petra", a partner manager like
"paul") is refused (403/404, or the form's refusal of a partner that is not
hers) and the database is unchanged; the same request by the owner is let
through, so a refusal is about who asks, not about a broken request.

Every write of the table in test_authorization_audit.py (enumerated from the
URL conf and the API router) is in OWNED or NOT_OWNED here, with a reason: a
new endpoint fails the suite until someone decides which it is. Objects
owned by marketing managers (channels, packs, imports) are not on this axis
by design: marketing managers run the whole programme, so another marketing
manager may change them (docs/user-guide.md, "Roles and who may do what").

Kept apart from test_authorization_audit.py, which is already over 600 lines
(its table of every URL cannot be shortened); this module reuses its world,
table and helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from tests.factories import PartnerFactory
from tests.test_authorization_audit import (
    PATTERNS,
    ROUTES,
    World,
    _client,
    _send,
    build_world,
    database_state,
)

pytestmark = pytest.mark.django_db

# Write routes on an object Paul owns: which object (for the report).
OWNED: dict[str, str] = {
    # partners and what is kept about them: owned by the partner's manager
    "partners:edit": "partner",
    "partners:status": "partner",
    "partners:contact-create": "partner",
    "partners:contact-edit": "contact",
    "partners:contact-delete": "contact",
    "partners:contact-invite": "contact",
    "partners:step-add": "partner",
    "partners:step-toggle": "step",
    "partners:training-create": "partner",
    "partners:certification-create": "partner",
    "partners:certification-delete": "certification",
    "partners:contract-create": "partner",
    "partners:contract-edit": "contract",
    "partners:attestation-create": "contract",
    "partners:interaction-create": "partner",
    "partners:interaction-edit": "interaction",
    "partners:follow-up-done": "interaction",
    "partners:review-create": "partner",
    "partners:portal-messages": "partner",
    "partners:review-edit": "review",
    "partners:action-toggle": "action",
    "partners:deal-create": "partner (named in the form)",
    "partners:partner-deal-create": "partner",
    "partners:deal-edit": "deal",
    "partners:observation-create": "partner (named in the form)",
    "partners:partner-observation-create": "partner",
    "kpis:feedback-create": "partner (named in the form)",
    # alert subscriptions: their user's alone
    "kpis:alert-edit": "alert",
    "kpis:alert-delete": "alert",
    # incentive programmes: owned by their owner; claims by the partner's manager
    "partners:program-edit": "program",
    "partners:program-enroll": "program",
    "partners:enrollment-end": "enrollment",
    "partners:program-claim": "partner (named in the form)",
    # conflict cases: the owner decides, the parties' managers work on them
    "partners:conflict-create": "partner (named in the form)",
    "partners:conflict-edit": "conflict",
    "partners:conflict-note": "conflict",
    "partners:conflict-status": "conflict",
    "partners:conflict-close": "conflict",
    "partners:conflict-close-overlap": "conflict",
    "partners:tier-proposal-decide": "tier proposal (of Paul's partner)",
    # the brand library: marketing, or the managers of the channel's partners
    "channels:library-create": "channel (Paul manages a partner selling through it)",
    "channels:library-item": "library item (of a channel Paul's partner sells through)",
    "channels:library-withdraw": "library item (of a channel Paul's partner sells through)",
    # the API
    "api:partner-detail": "partner",
    "api:partner-set-status": "partner",
    "api:contact-list": "partner (in the body)",
    "api:contact-detail": "contact",
    "api:contract-list": "partner (in the body)",
    "api:contract-detail": "contract",
    "api:contract-document": "contract",
    "api:interaction-list": "partner (in the body)",
    "api:interaction-detail": "interaction",
    "api:interaction-follow-up-done": "interaction",
    "api:review-list": "partner (in the body)",
    "api:review-detail": "review",
    "api:token-detail": "token",
}

ROLE_AXIS = "no partner manager may, owner or not: the role axis refuses them"
# Objects a marketing manager recorded (Modeled ROI): another marketing manager
# is refused, checked below with Tom, a marketing manager like Maria.
MM_OWNED: dict[str, str] = {
    "kpis:model-event-edit": "event",
    "kpis:model-event-delete": "event",
    "kpis:lift-test-edit": "lift test",
    "kpis:lift-test-delete": "lift test",
    "kpis:plan-delete": "plan",
    "api:lift-test-detail": "lift test",
    "api:budget-plan-detail": "plan",
}
MM_OWNED_REASON = (
    ROLE_AXIS + "; another marketing manager than its author is refused "
    "(test_a_marketing_manager_who_did_not_record_it_is_refused)"
)
PORTAL_AXIS = (
    "a partner user's write on their own partner; another partner's user is refused "
    "in tests/test_authorization_portal.py"
)
NOT_OWNED: dict[str, str] = {
    "partners:create": "creates a partner, owned by whoever creates it",
    "api:partner-list": "creates a partner, owned by whoever creates it",
    "partners:program-create": "creates a programme, owned by whoever creates it",
    "kpis:alert-create": "creates a subscription, owned by whoever creates it",
    "partners:price-import": "each row is checked against the importer's partners (test_price_import.py)",
    "kpis:run-create": ROLE_AXIS + " (marketing managers start recomputes)",
    "api:recompute-run-list": ROLE_AXIS + " (marketing managers start recomputes)",
    "partners:program-payout": ROLE_AXIS,
    "partners:claim-decide": ROLE_AXIS + " (budget owners decide claims)",
    "partners:deal-decide": ROLE_AXIS,
    "partners:product-create": ROLE_AXIS,
    "partners:product-edit": ROLE_AXIS,
    "channels:create": ROLE_AXIS,
    "channels:edit": ROLE_AXIS,
    "channels:status": ROLE_AXIS,
    "channels:objective-create": ROLE_AXIS,
    "channels:objective-edit": ROLE_AXIS,
    "channels:objective-delete": ROLE_AXIS,
    "channels:audit-create": ROLE_AXIS,
    "channels:audit-edit": ROLE_AXIS,
    "kpis:import": ROLE_AXIS,
    "kpis:import-undo": ROLE_AXIS,
    "kpis:rates": ROLE_AXIS + " (exchange rates are the company's, not anyone's)",
    "kpis:import-mapping": ROLE_AXIS
    + "; another marketing manager than the uploader is refused too "
    "(kpis/ingest/tests/test_mapping_step.py)",
    "kpis:import-remap": ROLE_AXIS + "; another marketing manager than the uploader is refused too "
    "(kpis/ingest/tests/test_mapping_step.py)",
    "kpis:source-delete": ROLE_AXIS
    + "; another marketing manager than the source's owner is refused too "
    "(kpis/ingest/tests/test_mapping_step.py)",
    "kpis:feedback-import": ROLE_AXIS,
    "kpis:pack-create": ROLE_AXIS,
    "kpis:pack-edit": ROLE_AXIS,
    "kpis:pack-delete": ROLE_AXIS,
    "kpis:pack-render-now": ROLE_AXIS,
    "api:channel-list": ROLE_AXIS,
    "api:channel-detail": ROLE_AXIS,
    "api:objective-list": ROLE_AXIS,
    "api:objective-detail": ROLE_AXIS,
    "api:facts-push": ROLE_AXIS,
    # Modeled ROI: a fit, the cost basis and new events, lift tests and plans
    # are marketing managers' work; an event, lift test or plan is changed by
    # the one who recorded it (test_a_marketing_manager_who_did_not_record_it_is_refused).
    "kpis:model-fit": ROLE_AXIS + " (marketing managers start fits)",
    "kpis:model-costs": ROLE_AXIS,
    "kpis:model-event-create": ROLE_AXIS,
    "kpis:lift-test-create": ROLE_AXIS,
    "kpis:planner": ROLE_AXIS + " (saving a plan)",
    "api:model-run-list": ROLE_AXIS + " (marketing managers start fits)",
    "api:lift-test-list": ROLE_AXIS,
    "api:budget-plan-list": ROLE_AXIS,
    **{key: MM_OWNED_REASON for key in MM_OWNED},
    "portal:action-done": PORTAL_AXIS,
    "portal:deal-create": PORTAL_AXIS,
    "portal:messages": PORTAL_AXIS,
    "portal:claim-create": PORTAL_AXIS,
    "portal:training": PORTAL_AXIS,
    "portal:contract-acknowledge": PORTAL_AXIS,
}

WRITE_ROUTES = sorted(
    p.key
    for p in PATTERNS
    if p.key in ROUTES
    and ROUTES[p.key].writes
    and not ROUTES[p.key].public
    and not ROUTES[p.key].self_service
)


def test_every_write_route_is_on_the_ownership_axis_or_says_why_not():
    both = sorted(set(OWNED) & set(NOT_OWNED))
    assert not both, f"routes in OWNED and NOT_OWNED: {both}"
    undecided = sorted(set(WRITE_ROUTES) - set(OWNED) - set(NOT_OWNED))
    assert not undecided, (
        "write routes without a decision in tests/test_authorization_ownership.py: put each in "
        f"OWNED (a user of the owner's role who does not own it is refused) or NOT_OWNED: {undecided}"
    )
    stale = sorted((set(OWNED) | set(NOT_OWNED)) - set(WRITE_ROUTES))
    assert not stale, f"entries for routes that are not write routes: {stale}"
    # An owned object's route may not let the same role's outsider through.
    excused = sorted(k for k in OWNED if ROUTES[k].outsider_may)
    assert not excused, f"owned routes that let any partner manager write: {excused}"


# Petra made as close to the owner as she can be without owning the object:
# a party to Paul's conflict case; a partner of hers eligible for Paul's programme.
def _petra_a_party(world: World) -> None:
    world.conflict.partners.add(PartnerFactory(channel=world.channel, manager=world.petra))


def _petra_enrols_her_own(world: World) -> dict[str, Any]:
    hers = PartnerFactory(channel=world.channel, manager=world.petra)
    return {"partner": hers.pk, "start_date": "2025-02-01"}


CLOSER: dict[str, tuple[Callable[[World], Any], bool]] = {
    # route: (how Petra gets closer, whether it returns the body she sends)
    "partners:conflict-close": (_petra_a_party, False),
    "partners:program-enroll": (_petra_enrols_her_own, True),
}

CASES = [
    pytest.param(key, method, closer, id=f"{key}-{method}{'-closer' if closer else ''}")
    for key in sorted(OWNED)
    for method in ROUTES[key].writes
    for closer in ((False, True) if key in CLOSER else (False,))
]


def _refused(response: Any, form_refusal: bool) -> bool:
    if response.status_code in (403, 404):
        return True
    if form_refusal and response.status_code == 200:
        errors = response.context["form"].errors
        return "partner" in errors or "partners" in errors
    return False


@pytest.mark.parametrize(("key", "method", "closer"), CASES)
def test_a_user_of_the_same_role_who_does_not_own_it_is_refused(key, method, closer):
    entry = ROUTES[key]
    api = next(p for p in PATTERNS if p.key == key).route.startswith("api/")
    world = build_world()
    url = reverse(key, kwargs=entry.kwargs(world))
    data = entry.data(world) if entry.data else None
    petras_data = data
    if closer:
        setup, gives_data = CLOSER[key]
        result = setup(world)
        if gives_data:
            petras_data = result

    petra, paul = _client(world.petra, api), _client(world.paul, api)  # API tokens: rows
    before = database_state()
    response = _send(petra, method, url, petras_data, api)
    assert _refused(response, entry.outsider_refused_by_form), (
        f"{key}: {method} by Petra (a partner manager who does not own the "
        f"{OWNED[key]}) answered {response.status_code}"
    )
    changed = [label for label, rows in database_state().items() if before[label] != rows]
    assert not changed, f"{key}: {method} by Petra changed {changed}"

    # The positive control: the same request by the owner is not refused.
    response = _send(paul, method, url, data, api)
    assert response.status_code not in (401, 403, 404, 405), (
        f"{key}: {method} by Paul, who owns the {OWNED[key]}, answered {response.status_code}"
    )


MM_CASES = [
    pytest.param(key, method, id=f"{key}-{method}")
    for key in sorted(MM_OWNED)
    for method in ROUTES[key].writes
]


@pytest.mark.parametrize(("key", "method"), MM_CASES)
def test_a_marketing_manager_who_did_not_record_it_is_refused(key, method):
    from channelhub.lib.roles import MARKETING_MANAGER
    from tests.factories import UserFactory

    entry = ROUTES[key]
    api = next(p for p in PATTERNS if p.key == key).route.startswith("api/")
    world = build_world()
    tom = UserFactory(username="tom", role=MARKETING_MANAGER)
    url = reverse(key, kwargs=entry.kwargs(world))
    data = entry.data(world) if entry.data else None
    tom_client, maria_client = _client(tom, api), _client(world.maria, api)
    before = database_state()
    response = _send(tom_client, method, url, data, api)
    assert response.status_code in (403, 404), (
        f"{key}: {method} by Tom (a marketing manager who did not record the "
        f"{MM_OWNED[key]}) answered {response.status_code}"
    )
    changed = [label for label, rows in database_state().items() if before[label] != rows]
    assert not changed, f"{key}: {method} by Tom changed {changed}"
    # The positive control: Maria, who recorded it, is not refused.
    response = _send(maria_client, method, url, data, api)
    assert response.status_code not in (401, 403, 404, 405), (
        f"{key}: {method} by Maria, who recorded the {MM_OWNED[key]}, answered "
        f"{response.status_code}"
    )
