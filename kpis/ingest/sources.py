"""Import sources: find the source of an uploaded file by its header, decide
whether the file needs the mapping step, and apply the mapping the user chose
(saving it as a source, so the next file of that shape needs no questions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from channelhub.lib.roles import has_any_role
from channels_app.channels.models import Channel
from channels_app.channels.services import channel_create
from kpis.models import ImportRun, Source, header_signature

from .formats import Layout, NeedsChoice
from .mapping import DROP, IGNORE, resolve
from .presets import PRESETS, preset_plan
from .reading import sniff

CREATE = "__create__"


class UnknownSource(Exception):
    pass


def source_list(*, user: Any) -> QuerySet[Source]:
    if not has_any_role(user):
        return Source.objects.none()
    return Source.objects.select_related("owner")


def source_plan(name: str) -> tuple[Source | None, dict[str, Any]]:
    """A saved source by its name, else a preset by its slug (command line, API)."""
    source = Source.objects.filter(name__iexact=name.strip()).first()
    if source is not None:
        return source, {**source.plan, "currency": source.currency}
    plan = preset_plan(name.strip().lower())
    if plan is None:
        presets = ", ".join(PRESETS)
        raise UnknownSource(
            f"No source or preset is called “{name}”. Presets: {presets}; saved sources are "
            "listed on the import page."
        )
    return None, plan


def source_for_layout(layout: Layout) -> Source | None:
    return Source.objects.filter(signature=header_signature(layout.names)).first()


def is_own_format(layout: Layout) -> bool:
    """ChannelHub's template as it is: every column named by its field."""
    from .checks import KNOWN_COLUMNS

    named = [n.strip().lower() for n in layout.names if n.strip()]
    return (
        (layout.kind == "xlsx" or layout.delimiter == ",")
        and layout.header_line == 1
        and all(n in KNOWN_COLUMNS for n in named)
    )


def plan_for(
    *,
    source: str = "",
    ignore: list[str] | None = None,
    channel: str = "",
    mapping: dict[str, Any] | None = None,
) -> tuple[Source | None, dict[str, Any]]:
    """The plan of a command-line or API import: a saved source or a preset by
    name, or an inline mapping, plus columns to ignore and one channel for the
    file. Raises UnknownSource."""
    saved, plan = source_plan(source) if source else (None, {})
    if mapping:
        plan = {
            **plan,
            **mapping,
            "columns": {**plan.get("columns", {}), **mapping.get("columns", {})},
        }
    if ignore:
        plan["columns"] = {**plan.get("columns", {}), **{c: IGNORE for c in ignore}}
    if channel:
        plan["constant_channel"] = channel
    return saved, plan


def attach_source(run: ImportRun) -> None:
    """A file without a plan whose header is a saved source's is read with it."""
    if run.mapping:
        return
    try:
        layout = sniff(Path(run.file.path), run.original_name)
    except Exception:
        return  # the import says why
    source = source_for_layout(layout)
    if source is not None:
        run.data_source = source
        run.mapping = {**source.plan, "currency": source.currency}
        run.save(update_fields=["data_source", "mapping"])


def import_prepare(run: ImportRun) -> bool:
    """Before a page upload starts: attach the source its header matches, or
    decide that it needs the mapping step (True: status set to MAPPING).

    A file in ChannelHub's own format, or of a known source, goes straight on;
    a file that cannot be read at all goes on too, and its report says why."""
    if run.mapping:
        return False
    try:
        layout = sniff(Path(run.file.path), run.original_name)
    except NeedsChoice:
        return _needs_mapping(run)
    except Exception:
        return False
    source = source_for_layout(layout)
    if source is not None:
        run.data_source = source
        run.mapping = {**source.plan, "currency": source.currency}
        run.save(update_fields=["data_source", "mapping"])
        return False
    if is_own_format(layout):
        try:
            resolve(layout, {})
        except NeedsChoice:
            return _needs_mapping(run)
        except Exception:
            return False
        return False
    return _needs_mapping(run)


def _needs_mapping(run: ImportRun) -> bool:
    run.status = ImportRun.Status.MAPPING
    run.save(update_fields=["status"])
    return True


@transaction.atomic
def mapping_apply(
    *,
    run: ImportRun,
    user: User,
    layout: Layout,
    plan: dict[str, Any],
    create_values: list[str],
    save_as: str = "",
) -> ImportRun:
    """Check the plan on the file (raises FileProblem), create the channels
    asked for, remember the plan (a new source, or the run's own source), and
    queue the import."""
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.status != ImportRun.Status.MAPPING:
        raise ValidationError("This import is no longer waiting for its mapping.")
    values = dict(plan.get("channel_values") or {})
    for value in create_values:
        existing = Channel.objects.filter(name__iexact=value.strip()).first()
        channel = existing or channel_create(
            name=value.strip()[:100], kind=Channel.Kind.OTHER, status=Channel.Status.ACTIVE
        )
        values[value] = channel.slug
    plan = {**plan, "channel_values": values}
    resolve(layout, plan)  # what cannot be read is refused here, before anything is queued
    source = run.data_source
    if save_as.strip():
        if Source.objects.filter(name__iexact=save_as.strip()).exists():
            raise ValidationError(f"A source called “{save_as.strip()}” exists already.")
        source = Source(
            name=save_as.strip(),
            header=layout.names,
            signature=header_signature(layout.names),
            plan=plan,
            preset=str(plan.get("preset") or "")[:40],
            currency=str(plan.get("currency") or ""),
            owner=user,
        )
        source.full_clean()
        source.save()
    elif source is not None and (user.is_superuser or source.owner_id == user.pk):
        # The answers for this file's values join those the source had for
        # values this file does not hold (its next file may hold them again).
        known = dict((source.plan or {}).get("channel_values") or {})
        source.plan = {**plan, "channel_values": {**known, **values}}
        source.save(update_fields=["plan", "updated_at"])
    run.data_source = source
    run.mapping = plan
    run.status = ImportRun.Status.QUEUED
    run.save(update_fields=["data_source", "mapping", "status"])
    return run


def source_delete(*, source: Source) -> None:
    source.delete()


__all__ = ["CREATE", "DROP", "UnknownSource"]
