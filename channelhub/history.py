"""The audit trail: who changed what and when, read from django-simple-history.

The audited models (channels, objectives, partners, contracts, reviews,
incentive programs, conflict cases) carry `history = HistoricalRecords()`;
every save() through a service writes a row, with the signed-in user
(HistoryRequestMiddleware) or none when a job or command made the change,
shown as "system". Bulk writes that bypass save() (QuerySet.update,
bulk_create) and many-to-many changes write no row; README.md lists them.

This module is the one place that knows which objects have a history page,
which permission reads it (the same as viewing the object) and how a row
becomes a list of field changes for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_permission_codename
from django.core.paginator import Page, Paginator
from django.db import models

from channels_app.channels.models import Channel, ChannelObjective
from partners.models import ConflictCase, Contract, IncentiveProgram, Partner, PartnerReview

PAGE_SIZE = 25
SYSTEM = "system"
# Bookkeeping that changes on every save and says nothing to a reader.
IGNORED_FIELDS = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class HistoryKind:
    model: type[models.Model]
    label: str

    @property
    def view_perm(self) -> str:
        """Reading the history takes the permission to view the object."""
        meta = self.model._meta
        return f"{meta.app_label}.{get_permission_codename('view', meta)}"


# The URL names an object's history by kind and primary key: /history/<kind>/<pk>/.
KINDS: dict[str, HistoryKind] = {
    "channel": HistoryKind(Channel, "channel"),
    "objective": HistoryKind(ChannelObjective, "objective"),
    "partner": HistoryKind(Partner, "partner"),
    "contract": HistoryKind(Contract, "contract"),
    "review": HistoryKind(PartnerReview, "review"),
    "program": HistoryKind(IncentiveProgram, "incentive program"),
    "conflict": HistoryKind(ConflictCase, "conflict case"),
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    action: str  # created, changed, deleted
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


def object_page_url(obj: models.Model) -> str:
    """Where the history page links back to: the object's page, or for an
    objective (which has none) its channel's."""
    if isinstance(obj, ChannelObjective):
        return obj.channel.get_absolute_url()
    return obj.get_absolute_url()  # type: ignore[attr-defined]


Related = dict[tuple[type[models.Model], Any], models.Model]


def _display(model_field: models.Field, value: Any, related: Related) -> str:
    if value is None or value == "":
        return "—"
    if model_field.is_relation and model_field.related_model is not None:
        target = related.get((model_field.related_model, value))
        return str(target) if target is not None else f"#{value} (deleted)"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or "—"
    return str(value)


def _who(record: Any) -> str:
    user = record.history_user
    if user is None:
        return SYSTEM
    return user.get_full_name() or user.get_username()


ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _changes(record: Any, older: Any | None) -> list[tuple[models.Field, Any, Any]]:
    """(field, old value, new value) of each field a "changed" row changed."""
    if older is None or record.history_type != "~":
        return []
    model = record.instance_type
    delta = record.diff_against(older, excluded_fields=IGNORED_FIELDS)
    return [(model._meta.get_field(c.field), c.old, c.new) for c in delta.changes]


def _related(changes: list[list[tuple[models.Field, Any, Any]]]) -> Related:
    """The objects the changed foreign keys point at: one query per related model."""
    wanted: dict[type[models.Model], set[Any]] = {}
    for row in changes:
        for model_field, old, new in row:
            if model_field.is_relation and model_field.related_model is not None:
                ids = wanted.setdefault(model_field.related_model, set())
                ids.update(v for v in (old, new) if v not in (None, ""))
    return {
        (model, pk): target
        for model, ids in wanted.items()
        for pk, target in model._default_manager.in_bulk(ids).items()
    }


def object_history(*, obj: models.Model, page_number: Any) -> tuple[Page, list[HistoryEntry]]:
    """One page of `obj`'s history, newest first, each row diffed against the one before.

    Reads one row beyond the page so that its oldest row has something to be
    compared with.
    """
    records = obj.history.select_related("history_user").order_by(  # type: ignore[attr-defined]
        "-history_date", "-history_id"
    )
    page = Paginator(records, PAGE_SIZE).get_page(page_number)
    start = page.start_index() - 1 if page.paginator.count else 0
    window = list(records[start : start + PAGE_SIZE + 1])
    shown = window[:PAGE_SIZE]
    changes = [
        _changes(record, window[index + 1] if index + 1 < len(window) else None)
        for index, record in enumerate(shown)
    ]
    related = _related(changes)
    entries = [
        HistoryEntry(
            when=record.history_date,
            who=_who(record),
            action=ACTIONS.get(record.history_type, record.history_type),
            reason=record.history_change_reason or "",
            changes=[
                FieldChange(
                    field=str(model_field.verbose_name).capitalize(),
                    old=_display(model_field, old, related),
                    new=_display(model_field, new, related),
                )
                for model_field, old, new in row
            ],
        )
        for record, row in zip(shown, changes, strict=True)
    ]
    return page, entries
