"""Create a believable demo business. Idempotent: a second run adds nothing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from channelhub.demo import DEMO_PASSWORD, DEMO_USERS, seed_users
from channelhub.lib.roles import ROLE_LABELS
from channels_app.channels.models import Channel
from channels_app.demo import audits as audit_demo
from channels_app.demo import channels as channels_demo
from channels_app.demo import library as library_demo
from kpis import demo as kpis_demo
from partners.demo import conflicts as demo_conflicts
from partners.demo import incentives as incentives_demo
from partners.demo import partners as demo_partners
from partners.demo import portal as demo_portal
from partners.demo import tiers as demo_tiers
from partners.tiering.services import tier_proposals_refresh


class Command(BaseCommand):
    help = "Create demo users, channels, objectives and partners (safe to run again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds channels (used by `make run`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options["if_empty"] and Channel.objects.exists():
            self.stdout.write("Existing data found: demo data not loaded again.")
            self._print_logins()
            return
        with transaction.atomic():
            users = seed_users()
            channels = channels_demo.seed(users, today)
            partners = demo_partners.seed(users, channels, today)
            demo_portal.seed(DEMO_PASSWORD)
            incentives_demo.seed(users, today)
            open_conflicts = demo_conflicts.seed_deals_and_conflicts(users, today)
            audit_demo.seed(users, channels, today)
            library_demo.seed(users, channels, today)
            demo_tiers.seed()
            kpis_demo.seed_packs(users)
        # Facts go through the real import and recompute (their own transactions).
        facts = kpis_demo.seed(users, today)
        # Tier proposals read the revenue the facts just brought.
        tier_proposals_refresh(today=today)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(channels)} channels, {len(partners)} partners, "
                f"{open_conflicts} open conflict cases."
            )
        )
        if facts:
            self.stdout.write(f"Daily facts: {facts.message}")
        self._print_logins()

    def _print_logins(self) -> None:
        if not get_user_model().objects.filter(username=DEMO_USERS[0][0]).exists():
            return
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _first, _last, role in DEMO_USERS:
            self.stdout.write(f"  {username:<8} {ROLE_LABELS.get(role or '', 'Administrator')}")
        for username, _first, _last, _role, partner in demo_portal.DEMO_PORTAL_USERS:
            self.stdout.write(f"  {username:<8} Partner user of {partner} (partner portal)")
