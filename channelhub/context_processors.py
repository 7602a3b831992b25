from typing import Any

from django.conf import settings
from django.http import HttpRequest

from channelhub.lib.roles import role_label


def app(request: HttpRequest) -> dict[str, Any]:
    return {
        "REPORTING_CURRENCY": settings.REPORTING_CURRENCY,
        "user_role": role_label(request.user),
    }
