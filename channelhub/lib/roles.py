"""Roles are Django groups (created by a migration); these predicates name them.

Every permission rule of the project is written with these predicates in the
`rules.py` of the app that owns the object, so a new role (the partner portal)
is added in one place per object kind, not in views or templates.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

MARKETING_MANAGER = "marketing_manager"
PARTNER_MANAGER = "partner_manager"
VIEWER = "viewer"
# A person at a partner, signed in to the partner portal (/portal/) only.
PARTNER_USER = "partner_user"
ROLES = (MARKETING_MANAGER, PARTNER_MANAGER, VIEWER, PARTNER_USER)
ROLE_LABELS = {
    MARKETING_MANAGER: "Marketing manager",
    PARTNER_MANAGER: "Partner manager",
    VIEWER: "Viewer",
    PARTNER_USER: "Partner user",
}

is_marketing_manager = rules.is_group_member(MARKETING_MANAGER)
is_partner_manager = rules.is_group_member(PARTNER_MANAGER)
is_viewer = rules.is_group_member(VIEWER)
is_partner_user: rules.Predicate = rules.is_group_member(PARTNER_USER)  # type: ignore[assignment]
is_admin = rules.is_superuser

# Anyone with a role (or an administrator) may read the business's data; a
# partner user never, whatever else they were given: every internal rule is
# built on this, so the portal role is granted nothing inside.
has_any_role = (is_admin | is_marketing_manager | is_partner_manager | is_viewer) & ~is_partner_user


def runs_channels_or_partners() -> Q:
    """Users (a filter on the user model) who run channels or partners: the
    marketing and partner managers, and the administrators. Who may own a
    channel or manage a partner."""
    return Q(groups__name__in=[MARKETING_MANAGER, PARTNER_MANAGER]) | Q(is_superuser=True)


def business_readers(users: Any) -> Any:
    """Of `users` (a user queryset), those who may read the business's data
    (`has_any_role` as a filter): a role inside, or an administrator, and
    never a partner user. For who may be sent internal figures by email."""
    return (
        users.filter(
            Q(groups__name__in=[MARKETING_MANAGER, PARTNER_MANAGER, VIEWER]) | Q(is_superuser=True)
        )
        .exclude(groups__name=PARTNER_USER)
        .distinct()
    )


def role_label(user: Any) -> str:
    """The user's main role for display: the most powerful one they hold."""
    if not getattr(user, "is_authenticated", False):
        return ""
    names = {group.name for group in user.groups.all()}
    if PARTNER_USER in names:
        return ROLE_LABELS[PARTNER_USER]
    if user.is_superuser:
        return "Administrator"
    for role in ROLES:
        if role in names:
            return ROLE_LABELS[role]
    return "No role"
