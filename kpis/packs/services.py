"""Review packs: defining them, dispatching them on their cadence, rendering
and sending them.

The life of a scheduled pack:

1. Beat runs `packs_dispatch` every few minutes. For each active pack whose
   cadence slot has come (2026-W48, 2026-11, 2026-Q4) it creates the slot's
   PackRender; a unique constraint on (pack, slot) makes a second beat, or two
   dispatchers at once, a no-op.
2. A worker runs `pack_render_execute`. While a recompute requested before the
   pack was queued is still queued or running, the pack WAITS (it is woken
   when a recompute lands, and by the next dispatch); then it claims the
   render with a conditional update, builds the whole pack (kpis.packs.content),
   archives its files, and only then sends one email per recipient,
   remembering who already has it so a retried send never mails anyone twice.
3. A failure is retried (the task's backoff, the dispatcher's resend) up to
   PACK_MAX_ATTEMPTS, then the render is marked failed with its error. A pack
   that failed to render sends nothing.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from channelhub.lib.queue import send_task
from channelhub.lib.roles import business_readers
from channelhub.metrics import periods
from kpis.dashboards.content import Filters
from kpis.models import DashboardState, PackRender, RecomputeRun, ReviewPack

from .content import build, pack_filters, range_text

log = logging.getLogger(__name__)

PACK_RENDER_TASK = "kpis.pack_render"  # registered by kpis.packs.tasks
LEASE = timedelta(minutes=15)
RESEND_QUEUED_AFTER = timedelta(minutes=2)


class RetryLater(Exception):
    """The render or send failed and will be tried again."""


# --- Cadence -------------------------------------------------------------------------------


def _at(pack: ReviewPack, day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(pack.send_hour)))


# A cadence's slots start where its reporting periods do (fiscal quarters included).
CADENCE_PERIODS = {
    ReviewPack.Cadence.WEEKLY: "week",
    ReviewPack.Cadence.MONTHLY: "month",
    ReviewPack.Cadence.QUARTERLY: "quarter",
}


def _slot_day(pack: ReviewPack, day: date, step: int) -> date:
    """The slot day `step` slots after (negative: before) the slot on or
    before `day`: the pack's weekday, or its day of the month / of the
    quarter's first month, in the period of its cadence."""
    kind = CADENCE_PERIODS[ReviewPack.Cadence(pack.cadence)]
    offset = timedelta(days=pack.weekday if kind == "week" else pack.day_of_month - 1)
    start = periods.period_start(kind, day)
    if start + offset > day:
        step -= 1
    for _ in range(abs(step)):
        start = periods.next_start(kind, start) if step > 0 else periods.previous_start(kind, start)
    return start + offset


def slot_label(pack: ReviewPack, day: date) -> str:
    """2025-W19, 2025-05, 2025-Q2 (the fiscal quarter, named like channelhub.metrics.periods)."""
    kind = CADENCE_PERIODS[ReviewPack.Cadence(pack.cadence)]
    return periods.label(kind, periods.period_start(kind, day)).removeprefix("FY")


def current_slot(pack: ReviewPack, now: datetime | None = None) -> tuple[str, datetime]:
    """The latest slot that has come by `now`: (label, when it was due)."""
    now = now or timezone.now()
    day = _slot_day(pack, timezone.localtime(now).date(), 0)
    if _at(pack, day) > now:
        day = _slot_day(pack, day, -1)
    return slot_label(pack, day), _at(pack, day)


def next_slot_at(pack: ReviewPack, now: datetime | None = None) -> datetime:
    _label, due = current_slot(pack, now)
    return _at(pack, _slot_day(pack, timezone.localtime(due).date(), 1))


# --- Definitions ---------------------------------------------------------------------------


@transaction.atomic
def pack_save(*, pack: ReviewPack, channels: Any, subscribers: Any, user: Any = None) -> ReviewPack:
    """Create or update a pack definition with its channel list and subscribers."""
    if pack.pk is None:
        pack.created_by = user
    if pack.channel_selection != ReviewPack.Selection.KINDS:
        pack.channel_kinds = []
    pack.full_clean()
    pack.save()
    pack.channels.set(channels if pack.channel_selection == ReviewPack.Selection.LIST else [])
    pack.subscribers.set(subscribers)
    return pack


def pack_delete(*, pack: ReviewPack) -> None:
    """Delete a definition and its archive (files included)."""
    files = [
        (f.storage, f.name)
        for r in pack.renders.all()
        for f in (r.html_file, r.csv_file)
        if f and f.name
    ]
    with transaction.atomic():
        pack.delete()
    for storage, name in files:
        storage.delete(name)


# Renders whose files one sweep transaction forgets (then deletes from storage).
RETENTION_BATCH = 500


def packs_retention_sweep(*, now: datetime | None = None) -> int:
    """Delete the files of archived renders older than PACK_RETENTION_DAYS and
    mark their rows (files_removed_at). Returns how many renders were swept.

    The row is updated first and the files deleted once that committed: a
    crash in between leaves an unreferenced file (swept by nobody, harmless),
    never a row pointing at a missing file.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PACK_RETENTION_DAYS)
    swept = 0
    while True:
        with transaction.atomic():
            batch = list(
                PackRender.objects.select_for_update(skip_locked=True)
                .filter(created_at__lt=cutoff, files_removed_at__isnull=True)
                .exclude(status__in=PackRender.ACTIVE)
                .exclude(html_file="", csv_file="")
                .order_by("pk")[:RETENTION_BATCH]
            )
            files = [
                (f.storage, f.name)
                for r in batch
                for f in (r.html_file, r.csv_file)
                if f and f.name
            ]
            PackRender.objects.filter(pk__in=[r.pk for r in batch]).update(
                html_file="", csv_file="", files_removed_at=now
            )
        for storage, name in files:
            try:
                storage.delete(name)
            except OSError:
                log.warning("pack retention: could not delete %s", name)
        swept += len(batch)
        if len(batch) < RETENTION_BATCH:
            return swept


def recipients(pack: ReviewPack) -> list[str]:
    """Subscribers with an email address who may still read the business's
    figures (a role inside: not a partner user, nor someone whose role was
    taken away), then the extra addresses; no duplicates."""
    seen: set[str] = set()
    out = []
    users = business_readers(pack.subscribers.filter(is_active=True).exclude(email="")).order_by(
        "username"
    )
    for address in [*users.values_list("email", flat=True), *pack.extra_email_list()]:
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


# --- Requesting renders --------------------------------------------------------------------


def send_render(render_id: int) -> bool:
    """Wake a worker for a render; if the broker is down the dispatcher resends it."""
    return send_task(PACK_RENDER_TASK, render_id, what=f"pack render {render_id}")


def pack_render_request(*, pack: ReviewPack, user: Any) -> PackRender:
    """Render now: a preview that is archived but sent to nobody."""
    render = PackRender.objects.create(
        pack=pack,
        slot="preview",
        slot_at=timezone.now(),
        is_preview=True,
        requested_by=user,
    )
    transaction.on_commit(partial(send_render, render.pk))
    return render


def packs_dispatch(*, now: datetime | None = None) -> list[PackRender]:
    """Create the render of every active pack whose slot has come (once per
    slot, however often this runs), and resend renders that lost their
    message, their worker or their wait. Returns the renders it created."""
    now = now or timezone.now()
    created = []
    for pack in ReviewPack.objects.filter(is_active=True):
        label, due = current_slot(pack, now)
        if due < pack.created_at:
            continue  # a pack starts with its first slot after it was defined
        with transaction.atomic():
            render, made = PackRender.objects.get_or_create(
                pack=pack, slot=label, is_preview=False, defaults={"slot_at": due}
            )
            if made:
                created.append(render)
                transaction.on_commit(partial(send_render, render.pk))
    _resend_stale(now)
    return created


def _resend_stale(now: datetime) -> None:
    waited_too_long = now - timedelta(hours=settings.PACK_MAX_WAIT_HOURS)
    for render in PackRender.objects.filter(
        status=PackRender.Status.WAITING, created_at__lt=waited_too_long
    ):
        _fail(render, f"Waited more than {settings.PACK_MAX_WAIT_HOURS} hours for a recompute.")
    stale = PackRender.objects.filter(
        Q(status=PackRender.Status.QUEUED, created_at__lt=now - RESEND_QUEUED_AFTER)
        | Q(status=PackRender.Status.WAITING)
        | Q(
            status__in=[PackRender.Status.RENDERING, PackRender.Status.SENDING],
            lease_expires_at__lt=now,
        )
    )
    for render_id in stale.values_list("pk", flat=True):
        send_render(render_id)


def resume_waiting() -> int:
    """A recompute landed: wake the packs that waited for it."""
    ids = list(
        PackRender.objects.filter(status=PackRender.Status.WAITING).values_list("pk", flat=True)
    )
    for render_id in ids:
        send_render(render_id)
    return len(ids)


# --- Rendering and sending -----------------------------------------------------------------


def _pending_recompute(render: PackRender) -> RecomputeRun | None:
    """A recompute asked for before this render, not finished yet."""
    return (
        RecomputeRun.objects.filter(
            status__in=[RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING],
            created_at__lte=render.created_at,
        )
        .order_by("pk")
        .first()
    )


def _claim(render_id: int, statuses: Sequence[str], to: str, now: datetime) -> bool:
    """Take the render for this worker: one conditional update, so two workers
    (a redelivered message, a resend) never work on it at once."""
    return bool(
        PackRender.objects.filter(pk=render_id, status__in=statuses)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .update(
            status=to,
            lease_expires_at=now + LEASE,
            attempts=F("attempts") + 1,
            started_at=now,
        )
    )


def _fail(render: PackRender, error: str) -> None:
    PackRender.objects.filter(pk=render.pk).update(
        status=PackRender.Status.FAILED,
        error=error,
        finished_at=timezone.now(),
        lease_expires_at=None,
    )
    log.error("pack render %s (%s) failed: %s", render.pk, render.pack_id, error.splitlines()[0])


def _failed(render_id: int, exc: BaseException, *, back_to: str) -> None:
    """Retry later while attempts are left, else mark failed. Always raises
    RetryLater when it will be retried."""
    render = PackRender.objects.get(pk=render_id)
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if render.attempts >= settings.PACK_MAX_ATTEMPTS:
        _fail(render, f"{error}\n(after {render.attempts} attempts)")
        return
    PackRender.objects.filter(pk=render_id).update(
        status=back_to, error=error, lease_expires_at=None
    )
    raise RetryLater(error) from exc


def pack_render_execute(render_id: int, *, now: datetime | None = None) -> PackRender | None:
    """Render (and, unless it is a preview, send) one pack. Safe to run twice
    or at the same time: whoever loses the claim does nothing."""
    now = now or timezone.now()
    render = PackRender.objects.select_related("pack").filter(pk=render_id).first()
    if render is None or not render.is_active:
        return render
    if render.status in (PackRender.Status.QUEUED, PackRender.Status.WAITING):
        pending = _pending_recompute(render)
        if pending is not None:
            PackRender.objects.filter(
                pk=render_id, status__in=[PackRender.Status.QUEUED, PackRender.Status.WAITING]
            ).update(
                status=PackRender.Status.WAITING,
                error=f"Waiting for recompute #{pending.pk} to finish.",
            )
            return PackRender.objects.get(pk=render_id)
    to_render = [PackRender.Status.QUEUED, PackRender.Status.WAITING, PackRender.Status.RENDERING]
    if render.status in to_render:
        if not _claim(render_id, to_render, PackRender.Status.RENDERING, now):
            return None
        try:
            _render(PackRender.objects.select_related("pack").get(pk=render_id))
        except Exception as exc:
            _failed(render_id, exc, back_to=PackRender.Status.QUEUED)
            return PackRender.objects.get(pk=render_id)
        render = PackRender.objects.select_related("pack").get(pk=render_id)
    elif render.status == PackRender.Status.SENDING:
        if not _claim(render_id, [PackRender.Status.SENDING], PackRender.Status.SENDING, now):
            return None
        render = PackRender.objects.select_related("pack").get(pk=render_id)
    if render.status == PackRender.Status.SENDING:
        try:
            _send(render)
        except Exception as exc:
            _failed(render_id, exc, back_to=PackRender.Status.SENDING)
        render = PackRender.objects.select_related("pack").get(pk=render_id)
    return render


def _render(render: PackRender) -> None:
    """Build the pack, archive its files, then mark it ready to send."""
    pack = render.pack
    filters = pack_filters(pack, timezone.localtime(render.slot_at).date())
    previous = (
        PackRender.objects.filter(pack=pack, is_preview=False, rendered_at__isnull=False)
        .exclude(pk=render.pk)
        .filter(created_at__lte=render.created_at)
        .order_by("-created_at", "-pk")
        .values_list("objective_statuses", flat=True)
        .first()
    )
    state: Any = DashboardState.objects.filter(pk=1).values("last_run_id", "landed_at").first()
    state = state or {}
    render.data_run_number = state.get("last_run_id")
    render.data_landed_at = state.get("landed_at")
    content = build(pack=pack, render=render, filters=filters, previous_statuses=previous)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    base = f"{slugify(pack.name) or 'pack'}-{render.slot}-{stamp}"
    html = content.html.encode()
    render.html_file.save(f"{base}.html", ContentFile(html), save=False)
    render.csv_file.save(f"{base}.csv", ContentFile(content.csv.encode()), save=False)
    render.period_kind = filters.kind
    render.period_start = filters.start
    render.period_end = filters.end
    render.channel_count = content.channel_count
    render.summary = content.summary
    render.objective_statuses = content.objective_statuses
    render.rendered_at = timezone.now()
    render.error = ""
    render.recipients = [] if render.is_preview else recipients(pack)
    if render.recipients:
        render.status = PackRender.Status.SENDING
    else:
        render.status = PackRender.Status.RENDERED
        render.finished_at = render.rendered_at
        render.lease_expires_at = None
    render.save()


def _links(render: PackRender) -> tuple[str, str]:
    site = settings.SITE_URL
    return (
        site + reverse("kpis:pack-file", args=[render.pk]),
        site + reverse("kpis:pack-detail", args=[render.pack_id]),
    )


def _send(render: PackRender) -> None:
    """One email per recipient not yet sent to; remembered one by one."""
    pack = render.pack
    html_name = (render.html_file.name or "pack.html").rsplit("/", 1)[-1]
    csv_name = (render.csv_file.name or "kpis.csv").rsplit("/", 1)[-1]
    attach = pack.delivery == ReviewPack.Delivery.ATTACH and (
        render.html_file.size + render.csv_file.size <= settings.PACK_ATTACH_MAX_BYTES
    )
    files: list[tuple[str, bytes, str]] = []
    if attach:
        with render.html_file.open("rb") as f:
            files.append((html_name, f.read(), "text/html"))
        with render.csv_file.open("rb") as f:
            files.append((csv_name, f.read(), "text/csv"))
    link, archive_link = _links(render)
    filters_text = range_text(
        Filters(kind=render.period_kind, start=render.period_start, end=render.period_end)
    )
    body = render_to_string(
        "kpis/pack/email.txt",
        {
            "pack": pack,
            "render": render,
            "range_text": filters_text,
            "attached": attach,
            "html_name": html_name,
            "link": link,
            "archive_link": archive_link,
        },
    )
    subject = f"{pack.name}: {filters_text}"
    sent = list(render.sent_to)
    for address in render.recipients:
        if address in sent:
            continue
        message = EmailMultiAlternatives(subject=subject, body=body, to=[address])
        for name, content, mimetype in files:
            message.attach(name, content, mimetype)
        message.send()
        sent.append(address)
        PackRender.objects.filter(pk=render.pk).update(sent_to=sent)
    PackRender.objects.filter(pk=render.pk).update(
        status=PackRender.Status.SENT,
        finished_at=timezone.now(),
        lease_expires_at=None,
        error="",
    )
