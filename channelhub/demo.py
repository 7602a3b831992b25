"""Demo users: one per role, with a password printed on the console by `seed_demo`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from channelhub.lib.roles import MARKETING_MANAGER, PARTNER_MANAGER, VIEWER

DEMO_PASSWORD = "channelhub-demo"

# username, first, last, role (None = administrator)
DEMO_USERS = [
    ("admin", "Ada", "Admin", None),
    ("maria", "Maria", "Marketing", MARKETING_MANAGER),
    ("tom", "Tom", "Growth", MARKETING_MANAGER),
    ("paul", "Paul", "Partners", PARTNER_MANAGER),
    ("petra", "Petra", "Alliances", PARTNER_MANAGER),
    ("vera", "Vera", "Viewer", VIEWER),
]


def seed_users() -> dict[str, object]:
    User = get_user_model()
    users: dict[str, object] = {}
    for username, first, last, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.channelhub.local",
                "is_staff": role is None,
                "is_superuser": role is None,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        users[username] = user
    return users
