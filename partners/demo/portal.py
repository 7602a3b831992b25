"""Demo partner users: one person at each of two demo partners (one managed by
Paul, one by Petra) who sign in to the partner portal. Idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from channelhub.lib.roles import PARTNER_USER
from partners.access.models import PortalAccount
from partners.directory import services as directory_services
from partners.directory.models import Partner

# username, first name, last name, role at the partner, partner name
DEMO_PORTAL_USERS = [
    ("nina", "Nina", "Berger", "Sales lead", "Nordlicht Handel"),
    ("axel", "Axel", "Huber", "Managing director", "Alpine Supply"),
]


def seed(password: str) -> list[PortalAccount]:
    """The demo partner users whose partner exists; returns their accounts."""
    User = get_user_model()
    group = Group.objects.get_or_create(name=PARTNER_USER)[0]
    accounts = []
    for username, first, last, role, partner_name in DEMO_PORTAL_USERS:
        partner = Partner.objects.filter(name=partner_name).first()
        if partner is None:
            continue
        existing = PortalAccount.objects.filter(user__username=username).first()
        if existing is not None:
            accounts.append(existing)
            continue
        email = f"{username}@{partner.slug[:20].strip('-')}.example"
        contact = directory_services.contact_create(
            partner=partner, name=f"{first} {last}", role=role, email=email
        )
        user = User(username=username, first_name=first, last_name=last, email=email)
        user.set_password(password)
        user.save()
        user.groups.add(group)
        accounts.append(PortalAccount.objects.create(user=user, partner=partner, contact=contact))
    return accounts
