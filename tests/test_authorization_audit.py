"""The authorization audit: every URL pattern of the project, pages and API.

Each pattern has an entry in ROUTES saying how to build its URL from a world
of objects owned by the partner manager "paul" (factories) and which methods
write. For every write, an anonymous caller (sent to sign in, or 401/403), a
viewer (403) and a partner manager who does not own the object ("petra",
403/404) are refused, and the database is exactly as before. Every GET needs
a signed-in caller. A pattern with no entry fails the suite, naming it, so a
new URL cannot slip through without a decision about who may use it.

This file is over 500 lines because ROUTES must name every URL of the
project; the second axis (ownership: a user of the owner's role who does not
own the object) is in test_authorization_ownership.py, which reuses this table.

Exceptions are entries too, each with its reason: PUBLIC pages (sign-in,
password reset, health of the API docs) and SELF_SERVICE writes (a user's own
password, session and tokens), where only the anonymous refusal applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from channelhub.lib.roles import MARKETING_MANAGER, PARTNER_MANAGER, VIEWER
from channelhub.services import api_token_create
from channels_app.library.services import library_item_publish
from channels_app.models import Channel
from kpis.alerts.services import unsubscribe_token
from kpis.models import (
    AlertSubscription,
    BudgetPlan,
    ChannelModelResult,
    LiftTest,
    ModelEvent,
    ModelRun,
    PackRender,
    ReviewPack,
    Source,
)
from partners.models import Tier, TierProposal, TrainingCompletion
from tests.api import token_client
from tests.auth import password_login
from tests.documents import pdf_bytes
from tests.factories import (
    ActionItemFactory,
    CertificationFactory,
    ChannelFactory,
    ConflictCaseFactory,
    ContactFactory,
    ContractFactory,
    DealFactory,
    EnrollmentFactory,
    ImportRunFactory,
    IncentiveProgramFactory,
    InteractionFactory,
    MdfClaimFactory,
    ObjectiveFactory,
    OnboardingStepFactory,
    PartnerFactory,
    PriceObservationFactory,
    ProductFactory,
    RecomputeRunFactory,
    ReviewFactory,
    TrainingModuleFactory,
    UserFactory,
    make_audit,
)

pytestmark = pytest.mark.django_db

# Mounted by Django or third parties, audited by them: the admin checks staff
# status itself; static and media files are not views of ours.
EXCLUDED_PREFIXES = ("admin/", "static/", "media/", "__debug__/")

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


# --- the world -----------------------------------------------------------------------


@dataclass
class World:
    maria: Any
    paul: Any
    petra: Any
    vera: Any
    objs: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objs[name]
        except KeyError:
            raise AttributeError(name) from None


def build_world() -> World:
    maria = UserFactory(username="maria", role=MARKETING_MANAGER)
    paul = UserFactory(username="paul", role=PARTNER_MANAGER)
    petra = UserFactory(username="petra", role=PARTNER_MANAGER)
    vera = UserFactory(username="vera", role=VIEWER)
    channel = ChannelFactory(slug="resellers", route="indirect", owner=maria)
    partner = PartnerFactory(slug="acme", channel=channel, manager=paul)
    contact = ContactFactory(partner=partner)
    review = ReviewFactory(partner=partner, author=paul)
    # Paul's programme: the ownership axis (test_authorization_ownership.py)
    # checks that Petra, of his role, may not run it.
    program = IncentiveProgramFactory(channel=channel, created_by=paul, owner=paul)
    product = ProductFactory()
    pack = ReviewPack.objects.create(name="Monthly ROI review", created_by=maria)
    module = TrainingModuleFactory(name="Selling our products")
    alert = AlertSubscription.objects.create(user=paul, scope="chosen")
    alert.channels.set(Channel.objects.filter(slug="resellers"))
    library_item = library_item_publish(
        channel=channel,
        title="Logo pack",
        kind="logo",
        file=ContentFile(pdf_bytes(), name="logos.pdf"),
        by=maria,
    )
    objs = {
        "alert": alert,
        "channel": channel,
        "objective": ObjectiveFactory(channel=channel),
        "partner": partner,
        "contact": contact,
        "step": OnboardingStepFactory(partner=partner),
        "certification": CertificationFactory(contact=contact),
        "module": module,
        "completion": TrainingCompletion.objects.create(
            contact=contact, module=module, completed_on=date(2025, 1, 10)
        ),
        "contract": ContractFactory(partner=partner),
        "interaction": InteractionFactory(
            partner=partner, logged_by=paul, follow_up_on=date(2025, 3, 8)
        ),
        "review": review,
        "action": ActionItemFactory(review=review),
        "deal": DealFactory(partner=partner, registered_by=paul),
        "product": product,
        "observation": PriceObservationFactory(partner=partner, product=product),
        "conflict": ConflictCaseFactory(partners=[partner], owner=paul, opened_by=paul),
        "program": program,
        "enrollment": EnrollmentFactory(program=program, partner=partner),
        "claim": MdfClaimFactory(program=program, partner=partner),
        "audit": make_audit(channel, date(2025, 1, 15), auditor=maria),
        "import_run": ImportRunFactory(created_by=maria),
        "source": Source.objects.create(name="Google Ads EU", owner=maria),
        "recompute_run": RecomputeRunFactory(requested_by=maria),
        "token": api_token_create(user=paul, name="paul's sync")[0],
        "pack": pack,
        "tier_proposal": TierProposal.objects.create(
            partner=partner,
            kind="promotion",
            to_tier=Tier.objects.order_by("-rank").first(),
            reasons="Meets every requirement",
            evaluated_on=date(2025, 3, 1),
        ),
        "library_item": library_item,
        "library_version": library_item.current,
        "pack_render": PackRender.objects.create(
            pack=pack, slot="2025-03", slot_at=timezone.now(), status="rendered"
        ),
    }
    objs.update(_model_world(maria, channel))
    return World(maria=maria, paul=paul, petra=petra, vera=vera, objs=objs)


def _model_world(maria: Any, channel: Any) -> dict[str, Any]:
    """A live model of one channel (with a response curve the planner can use)
    and an event, a lift test and a plan Maria recorded."""
    now = timezone.now()
    run = ModelRun.objects.create(
        status="succeeded",
        requested_by=maria,
        data_start=date(2025, 1, 1),
        data_end=date(2025, 1, 30),
        data_cut=now,
        published_at=now,
        finished_at=now,
    )
    ChannelModelResult.objects.create(
        run=run, channel=channel, slug=channel.slug, name=channel.name, status="ok",
        spend=3000, incremental_revenue=4500, incremental_roas=1.5, roas_low=1.1,
        roas_high=1.9, curve={"spend": [0, 100, 200], "mean": [0, 150, 220],
        "low": [0, 110, 160], "high": [0, 190, 280]},
        curve_samples=[[0, 140, 210], [0, 160, 230]],
    )  # fmt: skip
    return {
        "model_run": run,
        "model_event": ModelEvent.objects.create(
            name="Black Friday", start=date(2025, 11, 28), end=date(2025, 11, 30), created_by=maria
        ),
        "lift_test": LiftTest.objects.create(
            channel=channel,
            start=date(2025, 3, 1),
            end=date(2025, 3, 28),
            cost=3000,
            delta_cost=-3000,
            delta_revenue=-4200,
            sigma=600,
            created_by=maria,
        ),
        "budget_plan": BudgetPlan.objects.create(
            name="Next month",
            run=run,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            total_budget=3000,
            created_by=maria,
        ),
    }


def _next_month() -> str:
    from kpis.modeling.forms import next_month

    return next_month().isoformat()


EVENT = {"name": "Spring sale", "start": "2025-04-01", "end": "2025-04-03"}


def _lift(w: World, api: bool = False) -> dict[str, Any]:
    return {
        "channel": w.channel.slug if api else w.channel.pk, "start": "2025-05-01",
        "end": "2025-05-28", "cost": "3000", "delta_cost": "-3000", "delta_revenue": "-4000",
        "sigma": "500",
    }  # fmt: skip


# --- the table -----------------------------------------------------------------------

Kwargs = Callable[[World], dict[str, Any]]
NO_KWARGS: Kwargs = lambda w: {}  # noqa: E731


@dataclass(frozen=True)
class Route:
    """How to reach one URL pattern and who may write through it."""

    kwargs: Kwargs = NO_KWARGS
    writes: tuple[str, ...] = ()
    # A body that would be valid for the owner, so that a refusal is about
    # who asks, not about what they sent (needed where the object is chosen
    # in the body rather than the URL).
    data: Callable[[World], dict[str, Any]] | None = None
    # Why a partner manager who does not own anything here may write (None:
    # they must be refused).
    outsider_may: str | None = None
    # Viewers are refused with 403, or 404 where the object is not even
    # visible to them (their own tokens only).
    viewer_status: tuple[int, ...] = (403,)
    # Where the partner is chosen in the form, the form offers a partner
    # manager only their own partners: another's is refused as an invalid
    # choice (200 with the form's error), not with 403.
    outsider_refused_by_form: bool = False
    # The view answers only POST (require_POST): a GET is 405, whoever asks.
    post_only: bool = False
    public: str | None = None
    self_service: str | None = None


def slug(name: str) -> Kwargs:
    return lambda w: {"slug": getattr(w, name).slug}


def pk(name: str) -> Kwargs:
    return lambda w: {"pk": getattr(w, name).pk}


POST = ("POST",)
DETAIL = ("PUT", "PATCH", "DELETE")
CHANGE = ("PUT", "PATCH")

# A deal a partner user could register (the portal names no partner: it is theirs).
PORTAL_DEAL = {
    "customer_name": "Initech AG",
    "customer_domain": "initech.de",
    "country": "DE",
    "estimated_value": "40000",
    "expected_close_on": "2030-01-31",
}

ROUTES: dict[str, Route] = {
    # --- channelhub ---
    "home": Route(),
    "profile": Route(
        writes=POST,
        self_service="creates and revokes the caller's own API tokens (revoking another's is a 404, tested in tests/test_api_tokens.py)",
    ),
    "history": Route(kwargs=lambda w: {"kind": "partner", "pk": w.partner.pk}),
    "login": Route(public="the sign-in page (rate-limited by django-axes)"),
    "health": Route(public="liveness for load balancers and compose health checks; no data"),
    "logout": Route(writes=POST, public="signing out is harmless for anyone"),
    "password_change": Route(writes=POST, self_service="changes the caller's own password"),
    "password_change_done": Route(),
    "password_reset": Route(
        writes=POST, public="forgotten passwords are reset from the sign-in page"
    ),
    "password_reset_done": Route(public="the reset flow"),
    "password_reset_confirm": Route(
        kwargs=lambda w: {"uidb64": "MQ", "token": "set-password"},
        writes=POST,
        public="the reset flow: the one-time token is the credential",
    ),
    "password_reset_complete": Route(public="the reset flow"),
    "two_factor_verify": Route(
        writes=POST, self_service="the caller's own second factor at sign-in (rate-limited)"
    ),
    "two_factor_setup": Route(
        writes=POST, self_service="enrols the caller's own authenticator app (rate-limited)"
    ),
    # --- channels ---
    "channels:list": Route(),
    "channels:create": Route(writes=POST),
    "channels:objectives": Route(),
    "channels:objective-edit": Route(kwargs=pk("objective"), writes=POST),
    "channels:objective-delete": Route(kwargs=pk("objective"), writes=POST),
    "channels:audit-list": Route(),
    "channels:audit-detail": Route(kwargs=pk("audit")),
    "channels:audit-edit": Route(kwargs=pk("audit"), writes=POST),
    "channels:audits": Route(kwargs=slug("channel")),
    "channels:audit-create": Route(kwargs=slug("channel"), writes=POST),
    "channels:detail": Route(kwargs=slug("channel")),
    "channels:edit": Route(kwargs=slug("channel"), writes=POST),
    "channels:status": Route(
        post_only=True, kwargs=slug("channel"), writes=POST, data=lambda w: {"status": "paused"}
    ),
    "channels:objective-create": Route(kwargs=slug("channel"), writes=POST),
    "channels:library-list": Route(),
    "channels:library-create": Route(
        kwargs=slug("channel"),
        writes=POST,
        data=lambda w: {"title": "Price list", "kind": "price_list"},
    ),
    "channels:library-item": Route(kwargs=pk("library_item"), writes=POST),
    "channels:library-withdraw": Route(post_only=True, kwargs=pk("library_item"), writes=POST),
    "channels:library-download": Route(kwargs=pk("library_version")),
    # --- partners ---
    "partners:list": Route(),
    "partners:export": Route(),
    "partners:create": Route(
        writes=POST,
        outsider_may="any partner manager creates partners, as their manager",
    ),
    "partners:programs": Route(),
    "partners:program-create": Route(
        writes=POST, outsider_may="partner managers run incentive programs (partners/rules.py)"
    ),
    "partners:program-detail": Route(kwargs=pk("program")),
    "partners:program-edit": Route(kwargs=pk("program"), writes=POST),
    "partners:program-enroll": Route(
        post_only=True,
        kwargs=pk("program"),
        writes=POST,
        data=lambda w: {"partner": w.partner.pk, "start_date": "2025-02-01"},
    ),
    "partners:program-claim": Route(
        post_only=True,
        kwargs=pk("program"),
        writes=POST,
        data=lambda w: {
            "partner": w.partner.pk,
            "activity_date": "2025-03-02",
            "amount": "100",
            "description": "Webinar",
        },
    ),
    "partners:program-payout": Route(
        post_only=True,
        kwargs=pk("program"),
        writes=POST,
        data=lambda w: {"partner": w.partner.pk, "paid_on": "2025-04-01", "amount": "100"},
    ),
    "partners:enrollment-end": Route(
        post_only=True,
        kwargs=pk("enrollment"),
        writes=POST,
        data=lambda w: {"end_date": "2025-06-30"},
    ),
    "partners:claim-decide": Route(
        post_only=True, kwargs=pk("claim"), writes=POST, data=lambda w: {"decision": "approve"}
    ),
    "partners:tier-proposals": Route(),
    "partners:tier-proposal-decide": Route(
        post_only=True,
        kwargs=pk("tier_proposal"),
        writes=POST,
        data=lambda w: {"decision": "confirm"},
    ),
    "partners:reviews-due": Route(),
    "partners:review-detail": Route(kwargs=pk("review")),
    "partners:review-edit": Route(kwargs=pk("review"), writes=POST),
    "partners:action-toggle": Route(post_only=True, kwargs=pk("action"), writes=POST),
    "partners:follow-ups": Route(),
    "partners:expiring": Route(),
    "partners:contact-edit": Route(kwargs=pk("contact"), writes=POST),
    "partners:contact-delete": Route(kwargs=pk("contact"), writes=POST),
    "partners:contact-invite": Route(post_only=True, kwargs=pk("contact"), writes=POST),
    "partners:claim-proof": Route(kwargs=pk("claim")),
    "partners:training-certificate": Route(kwargs=pk("completion")),
    "partners:step-toggle": Route(post_only=True, kwargs=pk("step"), writes=POST),
    "partners:certification-delete": Route(post_only=True, kwargs=pk("certification"), writes=POST),
    "partners:contract-edit": Route(kwargs=pk("contract"), writes=POST),
    "partners:contract-document": Route(kwargs=pk("contract")),
    "partners:attestation-create": Route(kwargs=pk("contract"), writes=POST),
    "partners:interaction-edit": Route(kwargs=pk("interaction"), writes=POST),
    "partners:follow-up-done": Route(post_only=True, kwargs=pk("interaction"), writes=POST),
    "partners:deal-list": Route(),
    "partners:deal-create": Route(
        outsider_refused_by_form=True,
        writes=POST,
        data=lambda w: {
            "partner": w.partner.pk,
            "customer_name": "Globex",
            "customer_domain": "globex.example",
            "country": "DE",
            "estimated_value": "1000",
            "expected_close_on": "2025-12-01",
        },
    ),
    "partners:deal-detail": Route(kwargs=pk("deal")),
    "partners:deal-edit": Route(kwargs=pk("deal"), writes=POST),
    "partners:deal-decide": Route(
        post_only=True, kwargs=pk("deal"), writes=POST, data=lambda w: {"decision": "approve"}
    ),
    "partners:conflict-list": Route(),
    "partners:conflict-create": Route(
        outsider_refused_by_form=True,
        writes=POST,
        data=lambda w: {
            "kind": "other",
            "title": "Overlap",
            "severity": "medium",
            "partners": [w.partner.pk],
        },
    ),
    "partners:conflict-dashboard": Route(),
    "partners:conflict-detail": Route(kwargs=pk("conflict")),
    "partners:conflict-edit": Route(kwargs=pk("conflict"), writes=POST),
    "partners:conflict-note": Route(
        post_only=True, kwargs=pk("conflict"), writes=POST, data=lambda w: {"text": "Called both"}
    ),
    "partners:conflict-status": Route(
        post_only=True,
        kwargs=pk("conflict"),
        writes=POST,
        data=lambda w: {"status": "investigating"},
    ),
    "partners:conflict-close": Route(kwargs=pk("conflict"), writes=POST),
    "partners:conflict-close-overlap": Route(kwargs=pk("conflict"), writes=POST),
    "partners:price-list": Route(),
    "partners:product-create": Route(writes=POST),
    "partners:product-edit": Route(kwargs=pk("product"), writes=POST),
    "partners:observation-create": Route(
        writes=POST,
        data=lambda w: {
            "partner": w.partner.pk,
            "product": w.product.pk,
            "price": "90",
            "observed_on": "2025-05-21",
            "where_seen": "https://shop.example/x",
        },
    ),
    "partners:price-import": Route(
        writes=POST,
        outsider_may="a partner manager imports prices of their own partners; a file naming another's is rejected whole (partners/tests/test_price_import.py)",
    ),
    "partners:price-template": Route(),
    "partners:partner-deal-create": Route(kwargs=slug("partner"), writes=POST),
    "partners:partner-observation-create": Route(kwargs=slug("partner"), writes=POST),
    "partners:detail": Route(kwargs=slug("partner")),
    "partners:edit": Route(kwargs=slug("partner"), writes=POST),
    "partners:status": Route(
        post_only=True,
        kwargs=slug("partner"),
        writes=POST,
        data=lambda w: {"status": "suspended", "reason": "Audit"},
    ),
    "partners:contact-create": Route(kwargs=slug("partner"), writes=POST),
    "partners:step-add": Route(
        post_only=True, kwargs=slug("partner"), writes=POST, data=lambda w: {"title": "Kick-off"}
    ),
    "partners:training-create": Route(kwargs=slug("partner"), writes=POST),
    "partners:certification-create": Route(kwargs=slug("partner"), writes=POST),
    "partners:contract-create": Route(kwargs=slug("partner"), writes=POST),
    "partners:interactions": Route(kwargs=slug("partner")),
    "partners:interaction-create": Route(kwargs=slug("partner"), writes=POST),
    "partners:review-create": Route(kwargs=slug("partner"), writes=POST),
    "partners:portal-messages": Route(
        kwargs=slug("partner"), writes=POST, data=lambda w: {"body": "Hello"}
    ),
    # --- the partner portal: every internal role is refused (403); a partner
    # user of another partner gets 404 (tests/test_authorization_portal.py) ---
    "portal:home": Route(),
    "portal:action-done": Route(
        post_only=True, kwargs=pk("action"), writes=POST, data=lambda w: {"note": "Done"}
    ),
    "portal:deal-list": Route(),
    "portal:deal-create": Route(writes=POST, data=lambda w: PORTAL_DEAL),
    "portal:deal-detail": Route(kwargs=pk("deal")),
    "portal:messages": Route(writes=POST, data=lambda w: {"body": "Hello"}),
    "portal:funds": Route(),
    "portal:claim-create": Route(
        kwargs=pk("program"),
        writes=POST,
        data=lambda w: {
            "activity_date": "2025-03-01",
            "amount": "100",
            "description": "Trade fair booth",
        },
    ),
    "portal:claim-proof": Route(kwargs=pk("claim")),
    "portal:training": Route(
        writes=POST,
        data=lambda w: {"module": w.module.pk, "completed_on": "2025-03-01"},
    ),
    "portal:training-certificate": Route(kwargs=pk("completion")),
    "portal:contracts": Route(),
    "portal:contract-document": Route(kwargs=pk("contract")),
    "portal:contract-acknowledge": Route(
        post_only=True,
        kwargs=pk("contract"),
        writes=POST,
        data=lambda w: {"terms_as_of": w.contract.updated_at.isoformat()},
    ),
    "portal:library": Route(),
    "portal:library-download": Route(kwargs=pk("library_item")),
    "portal:accept": Route(
        kwargs=lambda w: {"token": "not-a-token"},
        writes=POST,
        public="an invitation link: its token is the only key (partners/access/tests/test_invitations.py)",
    ),
    # --- kpis ---
    "kpis:import": Route(writes=POST),
    "kpis:import-template": Route(),
    "kpis:import-template-xlsx": Route(),
    "kpis:imports": Route(),
    "kpis:import-detail": Route(kwargs=pk("import_run")),
    "kpis:import-undo": Route(post_only=True, kwargs=pk("import_run"), writes=POST),
    "kpis:import-mapping": Route(kwargs=pk("import_run"), writes=POST),
    "kpis:import-remap": Route(post_only=True, kwargs=pk("import_run"), writes=POST),
    "kpis:sources": Route(),
    "kpis:rates": Route(
        writes=POST, data=lambda w: {"currency": "EUR", "day": "2025-01-05", "rate": "1.1"}
    ),
    "kpis:source-delete": Route(post_only=True, kwargs=pk("source"), writes=POST),
    "kpis:runs": Route(),
    "kpis:run-create": Route(post_only=True, writes=POST),
    "kpis:run-detail": Route(kwargs=pk("recompute_run")),
    "kpis:export": Route(),
    "kpis:feedback": Route(),
    "kpis:feedback-create": Route(
        writes=POST,
        data=lambda w: {
            "channel": w.channel.pk,
            "partner": w.partner.pk,
            "received_on": "2025-03-03",
            "nps_score": "9",
        },
    ),
    "kpis:feedback-import": Route(writes=POST),
    "kpis:feedback-template": Route(),
    "kpis:portfolio": Route(),
    "kpis:portfolio-csv": Route(),
    "kpis:attention": Route(),
    "kpis:compare": Route(),
    "kpis:alerts": Route(),
    # Any manager subscribes for themselves: the subscription is theirs.
    "kpis:alert-create": Route(
        writes=POST,
        data=lambda w: {"frequency": "weekly", "scope": "chosen", "channels": [w.channel.pk]},
        outsider_may="a manager's own new subscription (test_alerts.py: nobody else's)",
    ),
    "kpis:alert-edit": Route(
        kwargs=pk("alert"),
        writes=POST,
        data=lambda w: {"frequency": "weekly", "scope": "chosen", "channels": [w.channel.pk]},
    ),
    "kpis:alert-delete": Route(post_only=True, kwargs=pk("alert"), writes=POST),
    "kpis:alert-unsubscribe": Route(
        kwargs=lambda w: {"token": unsubscribe_token(w.alert)},
        writes=POST,
        public="an alert email's unsubscribe link: its signed token is the only key "
        "(kpis/alerts/tests/test_alerts.py)",
    ),
    "kpis:channel-dashboard": Route(kwargs=slug("channel")),
    "kpis:model": Route(),
    "kpis:model-fit": Route(post_only=True, writes=POST),
    "kpis:model-csv": Route(),
    "kpis:model-runs": Route(),
    "kpis:model-run": Route(kwargs=pk("model_run")),
    "kpis:model-costs": Route(writes=POST, data=lambda w: {f"cost_{w.channel.pk}": "spend"}),
    "kpis:model-events": Route(),
    "kpis:model-event-create": Route(writes=POST, data=lambda w: EVENT),
    "kpis:model-event-edit": Route(kwargs=pk("model_event"), writes=POST, data=lambda w: EVENT),
    "kpis:model-event-delete": Route(kwargs=pk("model_event"), writes=POST),
    "kpis:lift-tests": Route(),
    "kpis:lift-test-create": Route(writes=POST, data=_lift),
    "kpis:lift-test-edit": Route(kwargs=pk("lift_test"), writes=POST, data=_lift),
    "kpis:lift-test-delete": Route(kwargs=pk("lift_test"), writes=POST),
    "kpis:planner": Route(
        writes=POST,
        data=lambda w: {
            "name": "Q1",
            "save": "1",
            "goal": "revenue",
            "mode": "budget",
            "period": "month",
            "start": _next_month(),
            "total_budget": "3000",
        },
    ),
    "kpis:plans": Route(),
    "kpis:plan-detail": Route(kwargs=pk("budget_plan")),
    "kpis:plan-csv": Route(kwargs=pk("budget_plan")),
    "kpis:plan-delete": Route(kwargs=pk("budget_plan"), writes=POST),
    "kpis:packs": Route(),
    "kpis:pack-create": Route(writes=POST),
    "kpis:pack-detail": Route(kwargs=pk("pack")),
    "kpis:pack-edit": Route(kwargs=pk("pack"), writes=POST),
    "kpis:pack-delete": Route(kwargs=pk("pack"), writes=POST),
    "kpis:pack-render-now": Route(post_only=True, kwargs=pk("pack"), writes=POST),
    "kpis:pack-render": Route(kwargs=pk("pack_render")),
    "kpis:pack-file": Route(kwargs=pk("pack_render")),
    "kpis:pack-csv": Route(kwargs=pk("pack_render")),
    # --- API ---
    "api:root": Route(),
    "api:schema": Route(public="the OpenAPI schema is documented as public (README, API)"),
    "api:docs": Route(public="the API docs page is documented as public (README, API)"),
    "api:not-found": Route(
        public="answers a JSON 404 to anything under /api/v1/ that is not a route"
    ),
    "api:kpi-snapshot-list": Route(),
    "api:kpi-export": Route(),
    "api:kpi-changes": Route(),
    "api:facts-push": Route(writes=POST, data=lambda w: {"0": "[]"}),
    "api:channel-list": Route(writes=POST),
    "api:channel-detail": Route(kwargs=slug("channel"), writes=CHANGE),
    "api:objective-list": Route(
        writes=POST,
        data=lambda w: {
            "channel": w.channel.slug,
            "metric": "revenue",
            "target": "5000",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
        },
    ),
    "api:objective-detail": Route(kwargs=pk("objective"), writes=DETAIL),
    "api:partner-list": Route(
        writes=POST, outsider_may="any partner manager creates partners, as their manager"
    ),
    "api:partner-detail": Route(kwargs=slug("partner"), writes=CHANGE),
    "api:partner-set-status": Route(
        kwargs=slug("partner"),
        writes=POST,
        data=lambda w: {"status": "suspended", "reason": "Audit"},
    ),
    "api:contact-list": Route(
        writes=POST, data=lambda w: {"partner": w.partner.slug, "name": "New contact"}
    ),
    "api:contact-detail": Route(kwargs=pk("contact"), writes=DETAIL),
    "api:contract-list": Route(
        writes=POST,
        data=lambda w: {"partner": w.partner.slug, "kind": "reseller", "start_on": "2025-01-01"},
    ),
    "api:contract-detail": Route(kwargs=pk("contract"), writes=CHANGE),
    "api:contract-document": Route(kwargs=pk("contract"), writes=("PUT",)),
    "api:interaction-list": Route(
        writes=POST,
        data=lambda w: {
            "partner": w.partner.slug,
            "kind": "call",
            "occurred_on": "2025-03-02",
            "summary": "Call",
        },
    ),
    "api:interaction-detail": Route(kwargs=pk("interaction"), writes=CHANGE),
    "api:interaction-follow-up-done": Route(kwargs=pk("interaction"), writes=POST),
    "api:review-list": Route(
        writes=POST,
        data=lambda w: {
            "partner": w.partner.slug,
            "period_start": "2025-04-01",
            "period_end": "2025-06-30",
            "reviewed_on": "2025-07-05",
            "score_sales": 3,
            "score_enablement": 3,
            "score_brand": 3,
            "score_satisfaction": 3,
            "score_collaboration": 3,
        },
    ),
    "api:review-detail": Route(kwargs=pk("review"), writes=CHANGE),
    "api:import-run-list": Route(),
    "api:import-run-detail": Route(kwargs=pk("import_run")),
    "api:recompute-run-list": Route(writes=POST),
    "api:recompute-run-detail": Route(kwargs=pk("recompute_run")),
    "api:model-run-list": Route(writes=POST),
    "api:model-run-detail": Route(kwargs=pk("model_run")),
    "api:model-results": Route(),
    "api:model-curves": Route(),
    "api:lift-test-list": Route(writes=POST, data=lambda w: _lift(w, api=True)),
    "api:lift-test-detail": Route(
        kwargs=pk("lift_test"), writes=DETAIL, data=lambda w: _lift(w, api=True)
    ),
    "api:budget-plan-list": Route(
        writes=POST,
        data=lambda w: {"name": "Q1", "start": _next_month(), "total_budget": "3000"},
    ),
    "api:budget-plan-detail": Route(kwargs=pk("budget_plan"), writes=("DELETE",)),
    "api:token-list": Route(
        writes=POST,
        self_service="creates the caller's own token (from a session only)",
    ),
    "api:token-detail": Route(kwargs=pk("token"), writes=("DELETE",), viewer_status=(404,)),
}

# The catch-all of the API has no name; the table calls it this.
UNNAMED = {"api/v1/^.*$": "api:not-found"}


# --- walking the URL patterns -----------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str
    route: str
    callback: Any = field(compare=False)


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[Pattern]:
    found: list[Pattern] = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(EXCLUDED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found += _walk(entry, route, inner)
        elif isinstance(entry, URLPattern):
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
            else:
                key = UNNAMED.get(route, route)
            found.append(Pattern(key=key, route=route, callback=entry.callback))
    return found


PATTERNS = _walk(get_resolver())
PATTERN_KEYS = {p.key for p in PATTERNS}


@pytest.mark.django_db
def test_the_database_state_sees_every_kind_of_change_and_ignores_sign_ins():
    """The audit's proof that nothing changed is only as good as this."""
    ours = ChannelFactory(notes="NULL", start_date=None)
    user = UserFactory(username="someone")
    assert database_state()["channels_app.Channel"]

    def changed_by(change: Callable[[], Any]) -> list[str]:
        before = database_state()
        change()
        after = database_state()
        return [label for label in before if before[label] != after[label]]

    def channel(**values: Any) -> Callable[[], Any]:
        return lambda: Channel.objects.filter(pk=ours.pk).update(**values)

    # Empty text against the text NULL, and a date against a real NULL, both ways round.
    assert changed_by(channel(notes="")) == ["channels_app.Channel"]
    assert changed_by(channel(notes="NULL")) == ["channels_app.Channel"]
    assert changed_by(channel(start_date=date(2025, 1, 1))) == ["channels_app.Channel"]
    assert changed_by(channel(start_date=None)) == ["channels_app.Channel"]
    assert changed_by(channel(start_date=None)) == []
    assert "channels_app.Channel" in changed_by(lambda: ChannelFactory())
    # A sign-in's time is not business data.
    assert (
        changed_by(lambda: type(user).objects.filter(pk=user.pk).update(last_login=timezone.now()))
        == []
    )


def test_every_url_pattern_has_an_entry_in_the_audit_table():
    missing = sorted(f"{p.key} ({p.route})" for p in PATTERNS if p.key not in ROUTES)
    assert not missing, (
        "URL patterns without an entry in tests/test_authorization_audit.py ROUTES "
        f"(say how to build their URL and which methods write): {missing}"
    )
    stale = sorted(set(ROUTES) - PATTERN_KEYS)
    assert not stale, f"ROUTES entries for URL patterns that no longer exist: {stale}"


def _api_write_methods(callback: Any) -> set[str]:
    """The write methods a DRF view answers, read from the view itself."""
    if hasattr(callback, "actions"):  # a viewset route
        methods = {method.upper() for method in callback.actions}
    else:
        view_class = callback.cls
        methods = {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    return methods & set(WRITE_METHODS)


def test_the_table_lists_every_write_method_of_the_api():
    """For API views the methods are known: the table may not forget one."""
    wrong = {}
    for pattern in PATTERNS:
        if not pattern.route.startswith("api/") or not hasattr(pattern.callback, "cls"):
            continue
        entry = ROUTES.get(pattern.key)
        if entry is None or entry.public:
            continue
        actual = _api_write_methods(pattern.callback)
        if actual != set(entry.writes):
            wrong[pattern.key] = sorted(actual)
    assert wrong == {}


# --- checking one route ------------------------------------------------------------------

# Tables whose rows change on every request whatever it does (sessions,
# sign-in logs) or that hold no business data.
UNWATCHED_APPS = {"sessions", "admin", "axes", "contenttypes", "django_celery_beat"}
UNWATCHED_FIELDS = {"last_used_at", "last_login"}


def database_state() -> dict[str, list[str]]:
    """Every row of every business table, to prove that a refused write changed nothing.

    One query for all the tables (each row as its columns' text, sorted per
    table): a query per model through the ORM took 0.12 s a call, and the
    audit calls it six times for each route."""
    state: dict[str, list[str]] = {label: [] for label in _WATCHED}
    with connection.cursor() as cursor:
        cursor.execute(_state_sql())
        for label, row in cursor.fetchall():
            state[label].append(row)
    for rows in state.values():
        rows.sort()
    return state


def _watched() -> dict[str, tuple[str, list[str]]]:
    """The watched models: label -> (table, its columns)."""
    watched = {}
    for model in apps.get_models():
        if model._meta.app_label in UNWATCHED_APPS or model._meta.proxy:
            continue
        columns = [
            f.column
            for f in model._meta.concrete_fields
            if f.column
            and f.attname not in UNWATCHED_FIELDS
            and not isinstance(f, models.BinaryField)
        ]
        watched[model._meta.label] = (model._meta.db_table, columns)
    return watched


_WATCHED = _watched()


def _state_sql() -> str:
    """label, row text for every row of every watched table, in one UNION ALL.

    A NULL and the text 'NULL' read differently on both databases (PostgreSQL's
    row literal leaves NULL empty and quotes text that needs it; SQLite's
    quote() quotes text)."""
    quote = connection.ops.quote_name
    selects = []
    for label, (table, columns) in _WATCHED.items():
        if not columns:
            row = "''"
        elif connection.vendor == "postgresql":
            row = f"ROW({', '.join(quote(c) for c in columns)})::text"
        else:
            row = " || ',' || ".join(f"quote({quote(c)})" for c in columns)
        selects.append(f"SELECT '{label}', {row} FROM {quote(table)}")
    return " UNION ALL ".join(selects)


def _client(user: Any | None, api: bool) -> Client:
    if user is None:
        return APIClient() if api else Client()
    if api:
        return token_client(user)
    client = Client()
    assert password_login(client, user.username)
    return client


def _send(client: Client, method: str, url: str, data: dict[str, Any] | None, api: bool):
    data = data or {}
    if api:
        return getattr(client, method.lower())(url, data, format="json")
    if method == "POST":
        return client.post(url, data)
    return client.generic(method, url)


def _is_sent_to_sign_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


AUDITED = sorted(p.key for p in PATTERNS if p.key in ROUTES and not ROUTES[p.key].public)


@pytest.mark.parametrize("key", AUDITED)
def test_the_route_refuses_whoever_may_not_use_it(key):
    entry = ROUTES[key]
    pattern = next(p for p in PATTERNS if p.key == key)
    api = pattern.route.startswith("api/")
    world = build_world()
    url = reverse(key, kwargs=entry.kwargs(world))

    anonymous = _client(None, api)
    response = anonymous.get(url)
    if entry.post_only:
        assert response.status_code == 405, (key, "GET", response.status_code)
    elif api:
        assert response.status_code in (401, 403), (key, "GET", response.status_code)
    else:
        assert _is_sent_to_sign_in(response), (key, "GET", response.status_code)

    data = entry.data(world) if entry.data else None
    callers: list[tuple[str, Any, tuple[int, ...]]] = [("anonymous", None, ())]
    if not entry.self_service:
        callers.append(("viewer", world.vera, entry.viewer_status))
        if entry.outsider_may is None:
            outsider = (200,) if entry.outsider_refused_by_form else (403, 404)
            callers.append(("partner manager who does not own it", world.petra, outsider))

    for method in entry.writes:
        for who, user, refused in callers:
            client = _client(user, api)
            before = database_state()
            response = _send(client, method, url, data, api)
            if user is None:
                ok = response.status_code in (401, 403) if api else _is_sent_to_sign_in(response)
            else:
                ok = response.status_code in refused
            if ok and response.status_code == 200:
                # Refused by the form: the partner named is not a valid choice.
                errors = response.context["form"].errors
                ok = "partner" in errors or "partners" in errors
            assert ok, f"{key}: {method} by {who} answered {response.status_code}"
            after = database_state()
            changed = [label for label in before if before[label] != after[label]]
            assert not changed, f"{key}: {method} by {who} changed {changed}"


# API write methods are checked against the views themselves; public pages are not audited.
READ_ONLY_PAGES = sorted(
    p.key
    for p in PATTERNS
    if p.key in ROUTES
    and not ROUTES[p.key].writes
    and not ROUTES[p.key].public
    and not p.route.startswith("api/")
)


@pytest.mark.parametrize("key", READ_ONLY_PAGES)
def test_a_read_only_page_changes_nothing_when_posted_to(key):
    """Catches a write the table forgot: a POST by the most powerful role to a
    page the table calls read-only must leave the database as it was."""
    entry = ROUTES[key]
    world = build_world()
    client = _client(world.maria, api=False)  # the most powerful role: a forgotten write shows
    url = reverse(key, kwargs=entry.kwargs(world))
    before = database_state()
    client.post(url, entry.data(world) if entry.data else {})
    assert database_state() == before, f"{key}: a POST changed the database"
