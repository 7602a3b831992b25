"""Users and their roles in the admin, with an invitation action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from .lib.ratelimit import RateLimited
from .lib.roles import role_label
from .lib.views import AuthedRequest
from .services import user_invite

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ChannelHubUserAdmin(UserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "last_login",
    )
    list_filter = ("groups", "is_active", "is_staff", "is_superuser")
    actions = ["send_invitation"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Role")
    def role(self, obj: User) -> str:  # type: ignore[valid-type]
        return role_label(obj)

    @admin.action(description="Send an invitation email (set password and sign in)")
    def send_invitation(self, request: AuthedRequest, queryset: QuerySet) -> None:
        sent, skipped = 0, []
        for user in queryset:
            try:
                user_invite(
                    user=user, base_url=request.build_absolute_uri("/"), invited_by=request.user
                )
            except ValueError:
                skipped.append(user.get_username())
            except RateLimited as exc:
                minutes = max(1, round(exc.retry_after / 60))
                self.message_user(
                    request,
                    f"Invitation limit reached: the others were not sent. "
                    f"Try again in about {minutes} minute(s).",
                    messages.ERROR,
                )
                break
            else:
                sent += 1
        if sent:
            self.message_user(request, f"Sent {sent} invitation(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"No email address for: {', '.join(skipped)}.", messages.WARNING
            )
