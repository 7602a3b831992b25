"""The OpenAPI schema, checked against the running app by Schemathesis.

On a database seeded with the demo business (the same seed as `make run`),
Schemathesis generates requests for every operation from the schema, sends
them to the Django app in-process (WSGI), authenticated with a personal token
of an administrator (so writes get past the permission checks and reach the
validation), and checks that no response is a server error and that every
response (status code, content type, headers, body) is what the schema says,
for requests that follow the schema and for requests that break it; that
an operation refuses a request without its credentials, and answers an
unsupported method with 405.
"""

from __future__ import annotations

import os
import re
import time
from datetime import date, timedelta

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    object_level_authorization,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from channelhub.lib.ratelimit import rate_for as rate_limit
from channelhub.lib.text import text_problem
from channelhub.services import api_token_create
from channelhub.wsgi import application
from kpis.ingest.checks import KNOWN_COLUMNS
from kpis.models import ModelRun, RecomputeRun
from partners.models import Partner, Tier
from tests.api import fresh_throttles  # noqa: F401

pytestmark = pytest.mark.django_db

# Examples per operation and mode: ~40 operations x 2 x 6 examples.
# SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_SEED=random for a deeper run by hand.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))
DERANDOMIZE = os.environ.get("SCHEMATHESIS_SEED", "") != "random"
# Scenarios of the stateful run (create, then read, change, delete what was created).
STATEFUL = int(os.environ.get("SCHEMATHESIS_STATEFUL", "8"))
# Only the operations whose label ("POST /api/v1/facts/") matches, to chase one failure.
ONLY = re.compile(os.environ.get("SCHEMATHESIS_OPERATIONS", ""))
# Revoking tokens would revoke the one the run authenticates with (a token
# cannot create another); the token tests cover it. Left out of the stateful run too.
SKIPPED = {("DELETE", "/api/v1/tokens/{id}/")}
# Rules between fields, or between a field and the stored object, that a schema
# cannot state: a valid request that breaks one gets a 400 with this message
# under this field, and nothing else.
RULES = [
    ("end", "The end must be on or after the start."),
    ("end_on", "The end must be on or after the start."),
    ("partner", "It stays with its partner."),
    ("channel", "An objective stays with its channel."),
    # A target's sign and scale depend on its metric.
    ("target", "cannot be negative (only ROI and NPS targets can)"),
    ("target", "is a fraction: type 0.25 or 25% for 25 percent"),
    # A new partner starts as a prospect, onboarding or active; later statuses
    # are reached through POST /partners/{slug}/status/.
    ("status", "Select a valid choice."),
    # The schema's decimal pattern says the digits, a URL's type says text.
    ("discount_pct", "Enter a percentage between 0 and 100."),
    ("margin_pct", "Enter a percentage between 0 and 100."),
    ("website", "Enter a valid URL."),
    # A recompute's dates come as a pair.
    ("end", "Give both start and end, or neither."),
    ("start", "Give both start and end, or neither."),
    # Partner rows are stored per week and longer, never per day.
    ("period", "Partner rows exist per week, month, quarter and year."),
    # A budget plan is read off the live model: none in the seeded data.
    ("non_field_errors", "There is no model yet."),
    # A lift test's numbers against each other (the schema states each alone).
    ("sigma", "The standard error must be above zero."),
    ("cost", "A cost cannot be negative."),
    ("delta_cost", "A lift test changes the cost: it cannot be 0."),
    ("delta_cost", "The cost cannot drop by more than it was"),
    ("delta_revenue", "The revenue must move the way the cost did"),
    ("delta_revenue", "A change of exactly 0 cannot calibrate the model's curves."),
    ("end", "A lift test is recorded once it has run: its last day is still ahead."),
    ("channel", "is set as not advertising, so the model does not estimate it"),
    ("non_field_errors", "This test is already recorded"),
    # A target's scale and grain depend on its metric.
    ("target", "runs from"),
    ("target", "are counted in whole numbers"),
    ("target", "cannot be above 100%"),
    # Against the stored objects: one review per stretch of a partner's time,
    # one channel per name, an exchange rate only for another currency.
    ("period_start", "already has a review of"),
    ("name", "already has this name"),
    ("currency", "is the reporting currency"),
    # Portal messages and activity are written by the portal, not over the API.
    ("kind", "Select a valid choice. portal is not one of the available choices."),
    ("kind", "Select a valid choice. in_portal is not one of the available choices."),
    # Only an interaction with a follow-up can have it done (its stored state).
    ("non_field_errors", "This interaction has no follow-up."),
    # A follow-up says what it is for.
    ("next_step", "Say what the follow-up is for."),
    # A review's dates against each other.
    ("next_review_on", "The next review must be after this one."),
    ("reviewed_on", "it cannot be held before the period starts"),
    # An offboarding says why (the partner's people lose the portal); an
    # offboarded partner joins nothing and claims only what came before.
    ("note", "Say why the partner is offboarded"),
    ("partner", "is offboarded: it joins no programme"),
    ("activity_date", "was offboarded on"),
    ("activity_date", "is offboarded: it claims nothing more"),
    # A partner manager names only themself as a partner's manager.
    ("manager", "Only a marketing manager hands a partner to another manager"),
    # A channel's owner runs channels or partners (not a viewer, not a partner's person).
    ("owner", "Choose a marketing or partner manager"),
    # A contract is recorded once signed.
    ("signed_on", "this day is to come"),
    # Against a conflict case: its customer and its other managers' partners stay.
    ("customer_name", "is in an open conflict case"),
    ("partners", "take another manager's partner off the case"),
    # An interaction's follow-up against its date (sent or stored).
    ("follow_up_on", "The follow-up cannot be before the interaction."),
    # A partner's status against the stored one: it changes through its own endpoint.
    ("status", "Change the status with POST /api/v1/partners/{slug}/status/."),
]


def follows_a_rule(response: object) -> bool:
    if getattr(response, "status_code", None) != 400:
        return False
    try:
        errors = response.json().get("errors") or {}  # type: ignore[attr-defined]
    except ValueError:
        return False
    return bool(errors) and all(
        any(field == name and rule in message for name, rule in RULES)
        for field, messages in errors.items()
        for message in (messages if isinstance(messages, list) else [messages])
        if isinstance(message, str)
    )


@schemathesis.check
def valid_data_accepted(ctx, response, case):
    """positive_data_acceptance, but for a 400 that names only RULES."""
    if follows_a_rule(response):
        return None
    return positive_data_acceptance(ctx, response, case)


# Every check, on valid requests and on requests that break the schema (negative);
# positive_data_acceptance through valid_data_accepted.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    valid_data_accepted,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
    # Stateful: a deleted object is gone, a created one can be read.
    use_after_free,
    ensure_resource_availability,
    object_level_authorization,
]


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """The WSGI handler closes the database connection after each request,
    which would end the test's transaction; Django's test client does this too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(demo_business):
    """The demo business of `seed_demo` (tests/demo_data.py), its users by name."""
    return {user.username: user for user in get_user_model().objects.all()}


# What a schema cannot say: that a body's reference names an object that exists
# (a partner's slug, a channel's, a user's name), that a business date lies in
# its window (channelhub.lib.dates) and that a range ends on or after its start.
# A valid request (positive mode) says what a client would send: its references
# name seeded objects, its dates lie in the window, its ranges run forward. The
# same fields with any value are sent in negative mode, and by the other checks.
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RANGES = [
    ("start", "end"),
    ("start_date", "end_date"),
    ("start_on", "end_on"),
    ("period_start", "period_end"),
    ("occurred_on", "follow_up_on"),
]


def references(users: dict) -> dict[str, object]:
    partner = Partner.objects.select_related("channel").order_by("pk").first()
    assert partner is not None
    tier = Tier.objects.order_by("rank").first()
    assert tier is not None
    return {
        "partner": partner.slug,
        "channel": partner.channel.slug,
        "owner": users["maria"].username,
        "manager": users["paul"].username,
        "tier": tier.code,
        "contacts": [],
    }


def lifelike(value: object, refs: dict[str, object]) -> None:
    """Make a generated body (or each row of a batch) what a client would send."""
    if isinstance(value, list):
        rows = [item for item in value if isinstance(item, dict)]
        # A batch's rows hold the import's columns (others are ignored, yet their
        # cells are checked as text), are flat, and share their keys (null for a
        # blank cell).
        for row in rows:
            for key in [key for key in row if key not in KNOWN_COLUMNS]:
                del row[key]
        for key in {key for row in rows for key in row}:
            for row in rows:
                row.setdefault(key, None)
        for item in value:
            lifelike(item, refs)
        # ... and name each (date, channel, partner) once.
        seen: set[tuple] = set()
        for row in rows:
            day = date.fromisoformat(str(row.get("date") or "2000-01-01"))
            while (key := (day, row.get("channel"), row.get("partner"))) in seen:
                day += timedelta(days=1)
            seen.add(key)
            if "date" in row:
                row["date"] = day.isoformat()
        return
    if not isinstance(value, dict):
        return
    # A field's name is a name: extra properties the schema allows, yes; named
    # with control characters, which the API refuses wherever it reads a name, no.
    for key in [key for key in value if text_problem(key)]:
        del value[key]
    first, last = date(2000, 1, 1), timezone.localdate()
    for key, item in list(value.items()):
        lifelike(item, refs)
        if key in refs and item not in (None, "") and type(item) is type(refs[key]):
            value[key] = refs[key]
        elif isinstance(item, str) and DATE.match(item):
            value[key] = min(max(item, first.isoformat()), last.isoformat())
    for start, end in RANGES:
        low, high = value.get(start), value.get(end)
        if isinstance(low, str) and isinstance(high, str) and high < low:
            value[start], value[end] = high, low


def make_lifelike(case: schemathesis.Case, refs: dict[str, object]) -> None:
    """A valid request as a client would send it (see `lifelike`)."""
    if case.meta and case.meta.generation.mode.is_positive:
        lifelike(case.body, refs)
        lifelike(case.query, refs)
        if "json" not in (case.media_type or "json") and isinstance(case.body, dict):
            # A form has no null: a client leaves the field out.
            case.body = {k: v for k, v in case.body.items() if v is not None}


def run_stateful(schema, headers: dict[str, str], refs: dict[str, object]) -> set[str]:
    """Schemathesis's stateful run: it follows the schema's links (a create to the
    new object's read, change, delete and actions; a change to its read), so that
    operations on an object reach one that exists, and checks every response
    with every check, the stateful ones included (a deleted object is gone, a
    created one can be read). Returns the links it followed to a 2xx answer
    ("POST /api/v1/channels/ -> GET /api/v1/channels/{slug}/")."""
    machine = schema.exclude(method="DELETE", path_regex="/tokens/").as_state_machine()
    followed: set[str] = set()

    class Workflow(machine):  # type: ignore[misc, valid-type]
        # Each scenario starts from the seeded data and fresh rate-limit counters,
        # and leaves nothing behind (a savepoint, rolled back): Hypothesis replays a
        # failing scenario to report it, and the replay must meet the same state.
        def setup(self) -> None:
            cache.clear()
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()

        def teardown(self) -> None:
            cases = self.recorder.cases
            for case_id, node in cases.items():
                interaction = self.recorder.interactions.get(case_id)
                response = interaction.response if interaction is not None else None
                parent = cases.get(node.parent_id or "")
                succeeded = response is not None and 200 <= response.status_code < 300
                if parent and node.is_transition_applied and succeeded:
                    source, target = parent.value.operation, node.value.operation
                    followed.add(f"{source.label} -> {target.label}")
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)
            super().teardown()

        def before_call(self, case: schemathesis.Case) -> None:
            make_lifelike(case, refs)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=CHECKS,
                headers=headers,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=DERANDOMIZE,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    return followed


def test_every_operation_answers_as_its_schema_says(seeded, wsgi_keeps_the_test_connection):
    token, raw = api_token_create(user=seeded["admin"], name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}"}
    refs = references(seeded)
    failures: list[str] = []
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    queued_before = RecomputeRun.objects.count(), ModelRun.objects.count()
    started = time.monotonic()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED or not ONLY.search(
            operation.label
        ):
            continue
        operations += 1
        for mode in GenerationMode:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=DERANDOMIZE,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                make_lifelike(case, refs)
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                check()
            except (Exception, BaseExceptionGroup) as failure:  # every failure, in one report
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    stateless = time.monotonic() - started
    followed: set[str] = set()
    if STATEFUL and not ONLY.pattern:
        try:
            followed = run_stateful(schema, headers, refs)
        except (Exception, BaseExceptionGroup) as failure:
            failures.append(f"stateful: {failure}")
    assert not failures, "\n\n".join(failures)
    if STATEFUL and not ONLY.pattern:
        # The scenarios did chain: objects created, then reached through a link.
        assert followed, "no link was followed to a 2xx answer"
    if not ONLY.pattern:
        assert operations >= 35
    # The run's own token was never revoked (its DELETE is left out): every
    # request above was the administrator's, not a 401 after a revocation.
    token.refresh_from_db()
    assert token.revoked_at is None
    # The work it queued is bounded: recomputes by the rate limits (RATE_LIMITS
    # "recompute" and "import" per user), model fits one at a time.
    recomputes, fits = (
        RecomputeRun.objects.count() - queued_before[0],
        ModelRun.objects.count() - queued_before[1],
    )
    assert recomputes <= rate_limit("recompute").count + rate_limit("import").count
    assert fits <= 1
    print(
        f"schemathesis: {operations} operations x {EXAMPLES} examples x 2 modes in "
        f"{stateless:.1f} s, {STATEFUL} stateful scenarios in "
        f"{time.monotonic() - started - stateless:.1f} s; queued {recomputes} recomputes, "
        f"{fits} fits; links followed to a 2xx: {len(followed)}\n  " + "\n  ".join(sorted(followed))
    )
    if EXAMPLES <= 10:
        assert time.monotonic() - started < 240
