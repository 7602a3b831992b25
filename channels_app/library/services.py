"""Writes to the brand library: publish an item, replace its file with a new
version, withdraw it. Every file passes the document check of contracts
(content, not name; size limit) before anything is stored."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from channelhub.lib.documents import check_document
from channels_app.channels.models import Channel

from .models import LibraryItem, LibraryVersion


def _add_version(*, item: LibraryItem, file: Any, note: str, by: User | None) -> LibraryVersion:
    if file is None:
        raise ValidationError({"file": "Choose the file to publish."})
    try:
        kind = check_document(file)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    number = (item.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = LibraryVersion(
        item=item,
        number=number,
        file_name=PurePath(file.name).name[:200],
        file_type=kind.content_type,
        file_size=file.size or 0,
        published_on=timezone.localdate(),
        published_by=by,
        note=note.strip(),
    )
    version.file.save(file.name, file, save=False)
    version.full_clean()
    version.save()
    item.current = version
    item.save(update_fields=["current", "updated_at"])
    return version


@transaction.atomic
def library_item_publish(
    *,
    channel: Channel,
    title: str,
    kind: str,
    file: Any,
    description: str = "",
    note: str = "",
    by: User | None = None,
) -> LibraryItem:
    """Publish a new item (version 1) in a channel's library."""
    item = LibraryItem(
        channel=channel,
        title=title.strip(),
        kind=kind,
        description=description.strip(),
        published_by=by,
    )
    item.full_clean()
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:  # the same title, published at the same moment
        raise ValidationError(
            {"title": "This channel's library already has an item of this title."}
        ) from None
    _add_version(item=item, file=file, note=note, by=by)
    return item


@transaction.atomic
def library_item_replace(
    *, item: LibraryItem, file: Any, note: str = "", by: User | None = None
) -> LibraryVersion:
    """A new version of an item's file; partners get it from now on. The item
    is locked so that two replacements at once get numbers one after the other."""
    locked = LibraryItem.objects.select_for_update().get(pk=item.pk)
    if locked.is_withdrawn:
        raise ValidationError("This item is withdrawn: publish a new item instead.")
    return _add_version(item=locked, file=file, note=note, by=by)


@transaction.atomic
def library_item_withdraw(*, item: LibraryItem, by: User | None = None) -> LibraryItem:
    """Stop offering an item to partners; it stays, with its versions, for the record."""
    locked = LibraryItem.objects.select_for_update().get(pk=item.pk)
    if locked.is_withdrawn:
        raise ValidationError("This item is already withdrawn.")
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = by
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
    return locked
