"""The partner directory as a spreadsheet: the list page's columns, one line
per partner, text cells formula-safe like every export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from channelhub.lib.tabular import safe_text

from .models import Partner

# The directory as a spreadsheet: the columns of the list page, one line per partner.
EXPORT_HEADER = [
    "partner", "slug", "channel", "kind", "tier", "status", "manager", "territories",
    "onboarding_done", "onboarding_steps", "next_review", "last_contact", "flags",
]  # fmt: skip


def export_row(partner: Partner) -> list[str]:
    manager = partner.manager
    return [
        safe_text(partner.name),
        safe_text(partner.slug),
        safe_text(partner.channel.name),
        partner.get_kind_display(),
        safe_text(partner.tier.name) if partner.tier else "",
        partner.get_status_display(),
        safe_text(manager.get_full_name() or manager.get_username()) if manager else "",
        " ".join(t.code for t in partner.territories.all()),
        str(getattr(partner, "onboarding_done", 0)),
        str(getattr(partner, "onboarding_total", 0)),
        partner.next_review_on.isoformat() if partner.next_review_on else "",
        last.isoformat() if (last := getattr(partner, "last_interaction_on", None)) else "",
        safe_text("; ".join(flag.message for flag in partner.flags.all())),
    ]


def partners_csv(partners: Iterable[Partner]) -> str:
    """The partners (as partner_list annotates and prefetches them) as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    writer.writerows(export_row(partner) for partner in partners)
    return out.getvalue()
