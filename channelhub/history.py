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

from django.core.paginator import Page, Paginator
from django.db import models

from channels_app.models import Channel, ChannelObjective
from partners.models import ConflictCase, Contract, IncentiveProgram, Partner, PartnerReview

PAGE_SIZE = 25
SYSTEM = "system"
# Bookkeeping that changes on every save and says nothing to a reader.
IGNORED_FIELDS = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class HistoryKind:
    model: type[models.Model]
    view_perm: str
    label: str


# The URL names an object's history by kind and primary key: /history/<kind>/<pk>/.
KINDS: dict[str, HistoryKind] = {
    "channel": HistoryKind(Channel, "channels_app.view_channel", "channel"),
    "objective": HistoryKind(ChannelObjective, "channels_app.view_channelobjective", "objective"),
    "partner": HistoryKind(Partner, "partners.view_partner", "partner"),
    "contract": HistoryKind(Contract, "partners.view_contract", "contract"),
    "review": HistoryKind(PartnerReview, "partners.view_partnerreview", "review"),
    "program": HistoryKind(IncentiveProgram, "partners.view_incentiveprogram", "incentive program"),
    "conflict": HistoryKind(ConflictCase, "partners.view_conflictcase", "conflict case"),
}
KIND_OF_MODEL = {kind.model: name for name, kind in KINDS.items()}


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


def history_kind_of(obj: models.Model) -> str | None:
    """The kind under which `obj` has a history page, or None."""
    return KIND_OF_MODEL.get(type(obj))


def object_page_url(obj: models.Model) -> str:
    """Where the history page links back to: the object's page, or for an
    objective (which has none) its channel's."""
    if isinstance(obj, ChannelObjective):
        return obj.channel.get_absolute_url()
    return obj.get_absolute_url()  # type: ignore[attr-defined]


def _display(model_field: models.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if model_field.is_relation and model_field.related_model is not None:
        related = model_field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value} (deleted)"
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


def _entry(record: Any, older: Any | None) -> HistoryEntry:
    model = record.instance_type
    entry = HistoryEntry(
        when=record.history_date,
        who=_who(record),
        action=ACTIONS.get(record.history_type, record.history_type),
        reason=record.history_change_reason or "",
    )
    if older is None or record.history_type != "~":
        return entry
    delta = record.diff_against(older, excluded_fields=IGNORED_FIELDS)
    for change in delta.changes:
        model_field = model._meta.get_field(change.field)
        entry.changes.append(
            FieldChange(
                field=str(model_field.verbose_name).capitalize(),
                old=_display(model_field, change.old),
                new=_display(model_field, change.new),
            )
        )
    return entry


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
    entries = [
        _entry(record, window[index + 1] if index + 1 < len(window) else None)
        for index, record in enumerate(window[:PAGE_SIZE])
    ]
    return page, entries
