from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from channelhub.lib.roles import has_any_role
from kpis.models import ImportRun


def import_list(*, user: Any) -> QuerySet[ImportRun]:
    if not has_any_role(user):
        return ImportRun.objects.none()
    return ImportRun.objects.select_related(
        "created_by",
        "recompute_run",
        "data_source",
        "undo_recompute_run",
        "changed_by_undo",
        "undone_by",
    )
