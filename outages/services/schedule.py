"""The planned-outage schedule (خاموشی برنامه‌ریزی‌شده): saving and cancelling windows, the SMS
alert ahead of each window and the update when it changes, the per-subscriber opt-out, and the
CSV import.

Exactly-once alerts come from the outbox's idempotency key, ``outage-alert:{pk}:v{version}:
{mobile}``: the first alert goes out at the window's current version, and every change or
cancellation bumps ``version`` first, so a subscriber gets one message per (window, version)
however often the periodic task runs, and from however many workers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import TextIO

import jdatetime
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import BulkSms, sms_enqueue_bulk
from notifications.texts import render_sms
from outages.models import Feeder, OutageAlertOptOut, ScheduledOutage
from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError
from portal.jalali import jalali_display
from subscribers import roles
from subscribers.models import User, UtilityCompany
from subscribers.permissions import sees_all_offices
from subscribers.selectors.subscriptions import active_links
from subscribers.services.audit import audit_record
from subscribers.services.csv_import import ImportIssue, ImportResult

Status = ScheduledOutage.Status

# Office roles that keep their office's schedule (the model permissions of outages.roles; a
# 121 operator only reads it).
SCHEDULE_ROLES = (roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR)
REASON_MAX = 300


def _error(field: str, label: str, message: str, code: str = "invalid") -> PortalError:
    return PortalError(code, f"{label}: {message}", fields={field: [message]})


def _aware(value: dt.datetime) -> dt.datetime:
    """Naive date-times are Asia/Tehran wall-clock times (what staff type and files hold)."""
    if timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_default_timezone())
    return value


def schedule_check_actor(*, actor: User | None, feeder: Feeder) -> None:
    """The command line (``None``), a system admin, or a clerk or supervisor of the feeder's
    office may keep its schedule; anyone else gets ``NotFound`` (another office's feeder does
    not exist for them)."""
    if actor is None or sees_all_offices(actor):
        return
    if not actor.is_staff or not actor.office_id or actor.office_id != feeder.office_id:
        raise NotFound("این فیدر در امور شما نیست.")
    if not actor.groups.filter(name__in=SCHEDULE_ROLES).exists():
        raise NotFound("این فیدر در امور شما نیست.")


def _keeps_a_schedule(actor: User | None) -> bool:
    if actor is None or sees_all_offices(actor):
        return True
    return bool(
        actor.is_staff and actor.office_id and actor.groups.filter(name__in=SCHEDULE_ROLES).exists()
    )


# --------------------------------------------------------------------------------------------
# Recipients and texts
# --------------------------------------------------------------------------------------------


def _recipient_mobiles(feeders: list[Feeder]) -> list[str]:
    """Distinct mobiles of active users with an active link to an electricity subscription on
    one of ``feeders`` (matched within its company), minus those who opted out. One query,
    whatever the number of subscribers."""
    match = Q()
    for feeder in feeders:
        match |= Q(
            subscription__company_id=feeder.company_id, subscription__feeder_code=feeder.code
        )
    linked = (
        active_links()
        .filter(match, subscription__company__kind=UtilityCompany.Kind.ELECTRICITY)
        .values("user_id")
    )
    return list(
        User.objects.filter(pk__in=linked, is_active=True)
        .exclude(mobile="")
        .exclude(pk__in=OutageAlertOptOut.objects.values("user_id"))
        .order_by("mobile")
        .values_list("mobile", flat=True)
        .distinct()
    )


def _context(outage: ScheduledOutage, **extra) -> dict:
    return {
        "feeder_name": outage.feeder.name,
        "area": outage.feeder.area,
        "start": jalali_display(outage.starts_at),
        "end": jalali_display(outage.ends_at),
        "reason": outage.reason,
        **extra,
    }


def _queue(outage: ScheduledOutage, *, template: str, feeders: list[Feeder], **extra) -> int:
    """Queue one message per recipient for the window's current version; returns new rows.
    The text is the same for everyone, so it is rendered once."""
    text = render_sms(template, _context(outage, **extra))
    messages = [
        BulkSms(
            recipient=mobile,
            text=text,
            idempotency_key=f"outage-alert:{outage.pk}:v{outage.version}:{mobile}",
        )
        for mobile in _recipient_mobiles(feeders)
    ]
    if not messages:
        return 0
    return len(
        sms_enqueue_bulk(kind=OutboxMessage.Kind.OUTAGE_NOTICE, messages=messages).created_ids
    )


# --------------------------------------------------------------------------------------------
# Save and cancel
# --------------------------------------------------------------------------------------------


def _validate(
    *, starts_at: dt.datetime, ends_at: dt.datetime, reason: str, new_window: bool
) -> str:
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["علت خاموشی لازم است."]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"حداکثر {to_persian_digits(REASON_MAX)} نویسه مجاز است."]
    if ends_at <= starts_at:
        errors["ends_at"] = ["باید بعد از شروع باشد."]
    elif new_window and ends_at <= timezone.now():
        errors["ends_at"] = ["زمان پایان گذشته است؛ خاموشی گذشته را نمی‌توان ثبت کرد."]
    if errors:
        labels = {"reason": "علت", "ends_at": "پایان"}
        message = "؛ ".join(f"{labels[f]}: {m[0].rstrip('.')}" for f, m in errors.items())
        raise PortalError("invalid", message, fields=errors)
    return reason


def scheduled_outage_save(
    *,
    outage: ScheduledOutage | None,
    feeder: Feeder,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    actor: User | None,
) -> ScheduledOutage:
    """Create a planned window (``outage=None``) or change one.

    Naive date-times are read as Asia/Tehran. Raises ``PortalError`` with field errors (nothing
    saved) when the end is not after the start, the reason is empty, a new or moved window has
    already ended, or the window is cancelled; ``NotFound`` when ``actor`` may not keep this
    feeder's schedule. A change of feeder, start, end or reason bumps ``version`` under a row
    lock; if the window was already alerted, one update SMS per recipient (of the old and the
    new feeder) is queued in the same transaction. Saving identical values changes nothing.
    Audited as ``outages.schedule.save``.
    """
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    schedule_check_actor(actor=actor, feeder=feeder)
    with transaction.atomic():
        current = None
        if outage is not None:
            current = (
                ScheduledOutage.objects.select_for_update(of=("self",))
                .select_related("feeder")
                .get(pk=outage.pk)
            )
            schedule_check_actor(actor=actor, feeder=current.feeder)
            if current.status == Status.CANCELLED:
                raise PortalError("cancelled", "خاموشی لغوشده را نمی‌توان تغییر داد.")
        moved = current is None or (current.starts_at, current.ends_at) != (starts_at, ends_at)
        reason = _validate(starts_at=starts_at, ends_at=ends_at, reason=reason, new_window=moved)
        if current is None:
            window = ScheduledOutage.objects.create(
                feeder=feeder,
                starts_at=starts_at,
                ends_at=ends_at,
                reason=reason,
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action="outages.schedule.save",
                obj=window,
                office=feeder.office,
                details={"created": True, "version": window.version},
            )
            return window
        old_feeder = current.feeder
        if (current.feeder_id, current.starts_at, current.ends_at, current.reason) == (
            feeder.pk,
            starts_at,
            ends_at,
            reason,
        ):
            return current
        current.feeder = feeder
        current.starts_at = starts_at
        current.ends_at = ends_at
        current.reason = reason
        current.version += 1
        fields = ["feeder", "starts_at", "ends_at", "reason", "version", "updated_at"]
        queued = 0
        if current.alerted_at is not None:
            feeders = [feeder] if old_feeder.pk == feeder.pk else [old_feeder, feeder]
            queued = _queue(current, template="outage_alert_update", feeders=feeders)
            current.alerted_version = current.version
            fields.append("alerted_version")
        current.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="outages.schedule.save",
            obj=current,
            office=feeder.office,
            details={"created": False, "version": current.version, "updates_queued": queued},
        )
        return current


def scheduled_outage_cancel(*, outage: ScheduledOutage, actor: User | None) -> ScheduledOutage:
    """Cancel a planned window: status ``cancelled`` and ``version`` + 1 under a row lock, and
    if it was already alerted one cancellation SMS per recipient. ``PortalError`` when it is
    already cancelled; ``NotFound`` when ``actor`` may not keep this feeder's schedule.
    Audited as ``outages.schedule.cancel``."""
    with transaction.atomic():
        current = (
            ScheduledOutage.objects.select_for_update(of=("self",))
            .select_related("feeder", "feeder__office")
            .get(pk=outage.pk)
        )
        schedule_check_actor(actor=actor, feeder=current.feeder)
        if current.status == Status.CANCELLED:
            raise PortalError("already_cancelled", "این خاموشی پیش‌تر لغو شده است.")
        current.status = Status.CANCELLED
        current.version += 1
        fields = ["status", "version", "updated_at"]
        queued = 0
        if current.alerted_at is not None:
            queued = _queue(
                current, template="outage_alert_update", feeders=[current.feeder], cancelled=True
            )
            current.alerted_version = current.version
            fields.append("alerted_version")
        current.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="outages.schedule.cancel",
            obj=current,
            office=current.feeder.office,
            details={"version": current.version, "updates_queued": queued},
        )
    outage.status, outage.version = current.status, current.version
    outage.alerted_version = current.alerted_version
    return current


# --------------------------------------------------------------------------------------------
# Alerts
# --------------------------------------------------------------------------------------------


def outage_alerts_send(*, now: dt.datetime | None = None) -> int:
    """Queue the alert for every planned, not yet alerted window starting within
    ``OUTAGE_ALERT_LEAD_HOURS`` from ``now``; returns the number of messages queued.

    Each window is handled in its own transaction under a row lock (``skip_locked``: a window
    another worker is alerting, or staff are changing, is left to that one and re-checked on
    the next run), and ``alerted_at`` is set with the messages, so a second run or a second
    worker sends nothing more. The number of queries grows with windows, not recipients.
    """
    now = now or timezone.now()
    until = now + dt.timedelta(hours=settings.OUTAGE_ALERT_LEAD_HOURS)
    due = Q(status=Status.PLANNED, alerted_at__isnull=True, starts_at__gt=now, starts_at__lte=until)
    queued = 0
    for pk in (
        ScheduledOutage.objects.filter(due).order_by("starts_at").values_list("pk", flat=True)
    ):
        with transaction.atomic():
            window = (
                ScheduledOutage.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("feeder")
                .filter(due, pk=pk)
                .first()
            )
            if window is None:
                continue
            queued += _queue(window, template="outage_alert", feeders=[window.feeder])
            window.alerted_at = now
            window.alerted_version = window.version
            window.save(update_fields=["alerted_at", "alerted_version"])
    return queued


def outage_alert_opt_out_set(*, user: User, opted_out: bool) -> None:
    """Opt ``user`` out of (or back into) scheduled-outage alerts; idempotent either way."""
    if opted_out:
        OutageAlertOptOut.objects.get_or_create(user=user)
    else:
        OutageAlertOptOut.objects.filter(user=user).delete()


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

IMPORT_COLUMNS = ("feeder_code", "start", "end", "reason")
COLUMN_LABELS = {
    "feeder_code": "کد فیدر",
    "company_code": "کد شرکت",
    "start": "شروع",
    "end": "پایان",
    "reason": "علت",
}
_DATETIME_RE = re.compile(
    r"(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(Z|[+\-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        self.column = column
        self.message = f"{COLUMN_LABELS[column]}: {message}"


def _decode(file: TextIO | bytes) -> str:
    raw = bytes(file) if isinstance(file, (bytes, bytearray)) else file.read()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PortalError(
                "import_encoding", "پرونده باید با کدگذاری UTF-8 ذخیره شده باشد."
            ) from None
    return raw.removeprefix("\ufeff")


def parse_datetime_text(value: str) -> dt.datetime:
    """``1405/09/02 08:00`` (Jalali, ``/`` or ``-``, seconds optional) or ISO
    ``2026-11-23T08:00`` (optionally with ``Z`` or an offset) → aware datetime. Persian and
    Arabic digits are accepted; without an offset the time is Asia/Tehran. A year above 1700 is
    Gregorian. ``ValueError`` when it is not a real date-time."""
    match = _DATETIME_RE.fullmatch(normalize_digits(str(value or "")).strip())
    if not match:
        raise ValueError("format")
    year, month, day, hour, minute = (int(p) for p in match.groups()[:5])
    second = int(match.group(6) or 0)
    offset = match.group(7)
    if year > 1700:
        naive = dt.datetime(year, month, day, hour, minute, second)
    else:
        if offset:
            raise ValueError("offset")
        naive = jdatetime.datetime(year, month, day, hour, minute, second).togregorian()
    if not offset:
        return _aware(naive)
    if offset.upper() == "Z":
        return naive.replace(tzinfo=dt.UTC)
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return naive.replace(tzinfo=dt.timezone(sign * delta))


@dataclass
class _Row:
    line: int
    feeder: Feeder
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str


class _Abort(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message


def _cell(row: dict[str, str], column: str) -> str:
    return normalize_digits((row.get(column) or "").strip())


def _when(row: dict[str, str], column: str) -> dt.datetime:
    text = _cell(row, column)
    if not text:
        raise _RowError(column, "خالی است")
    try:
        return parse_datetime_text(text)
    except (ValueError, OverflowError):
        raise _RowError(
            column,
            f"«{text}» تاریخ و ساعت معتبری نیست (نمونه: ۱۴۰۵/۰۹/۰۲ ۰۸:۰۰ یا 2026-11-23T08:00)",
        ) from None


class _Feeders:
    """The file's feeders, loaded in one query; scoping of office staff."""

    def __init__(self, codes: set[str], actor: User | None) -> None:
        self.by_code: dict[str, list[Feeder]] = {}
        for feeder in Feeder.objects.filter(code__in=codes).select_related("company", "office"):
            self.by_code.setdefault(feeder.code, []).append(feeder)
        self.only_office_id: int | None = None
        if actor is not None and not sees_all_offices(actor):
            self.only_office_id = actor.office_id or -1

    def get(self, row: dict[str, str]) -> Feeder:
        code = _cell(row, "feeder_code")
        if not code:
            raise _RowError("feeder_code", "خالی است")
        candidates = self.by_code.get(code, [])
        company_code = _cell(row, "company_code")
        if company_code:
            if company_code.isdigit():
                company_code = company_code.zfill(3)
            candidates = [f for f in candidates if f.company.code == company_code]
            if not candidates:
                raise _RowError(
                    "feeder_code",
                    f"فیدری با کد {code} در شرکت با کد {to_persian_digits(company_code)} "
                    "ثبت نشده است",
                )
        if not candidates:
            raise _RowError("feeder_code", f"فیدری با کد {code} ثبت نشده است")
        if self.only_office_id is not None:
            # Office staff see only their office's feeders: another company's feeder with the
            # same code is neither ambiguous nor revealed to them.
            candidates = [f for f in candidates if f.office_id == self.only_office_id]
            if not candidates:
                raise _RowError("feeder_code", "این فیدر در حوزه دسترسی شما نیست")
        if len(candidates) > 1:
            raise _RowError(
                "feeder_code",
                f"کد {code} در چند شرکت ثبت شده است؛ ستون company_code (کد شرکت) را پر کنید",
            )
        return candidates[0]


def _parse_row(row: dict[str, str], feeders: _Feeders) -> tuple[list[_RowError], dict]:
    errors: list[_RowError] = []
    values: dict = {}
    for name, func in (
        ("feeder", lambda: feeders.get(row)),
        ("starts_at", lambda: _when(row, "start")),
        ("ends_at", lambda: _when(row, "end")),
    ):
        try:
            values[name] = func()
        except _RowError as exc:
            errors.append(exc)
    reason = (row.get("reason") or "").strip()
    if not reason:
        errors.append(_RowError("reason", "خالی است"))
    elif len(reason) > REASON_MAX:
        errors.append(_RowError("reason", f"حداکثر {to_persian_digits(REASON_MAX)} نویسه مجاز است"))
    values["reason"] = reason
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        errors.append(_RowError("end", "باید بعد از شروع باشد"))
    return errors, values


def outages_import(*, file: TextIO | bytes, actor: User | None) -> ImportResult:
    """Create or update planned windows from a CSV file, all or nothing.

    UTF-8 (a BOM is fine) with a header naming ``feeder_code, start, end, reason`` in any order
    (an optional ``company_code`` picks the company when a feeder code exists in several);
    extra columns are ignored. Date-times are Jalali or ISO, Persian digits accepted, Asia/Tehran
    unless an offset is given. Every row is validated and every problem collected with its line
    (header = line 1); if there is any, nothing is written. A row equal to an existing planned
    window (feeder, start, end) is unchanged, or updated when only its reason differs, so the
    same file twice changes nothing. Writes go through ``scheduled_outage_save`` in one
    transaction (alert updates included). Staff scoped to one office may import only that
    office's feeders. A successful import is audited as ``outages.schedule.import``.
    """
    text = _decode(file)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    result = ImportResult()
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        result.errors.append(ImportIssue(1, "پرونده خالی است یا سطر عنوان ندارد."))
        return result
    reader.fieldnames = header
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        names = "، ".join(f"{c} ({COLUMN_LABELS[c]})" for c in missing)
        result.errors.append(ImportIssue(1, f"ستون‌های لازم در سطر عنوان نیستند: {names}"))
        return result

    if not _keeps_a_schedule(actor):
        raise PortalError("forbidden", "شما اجازه ثبت برنامه خاموشی ندارید.", status_code=403)
    rows = [
        (reader.line_num, row)
        for row in reader
        if any((v or "").strip() for k, v in row.items() if isinstance(v, str) and k is not None)
    ]
    if not rows:
        result.errors.append(ImportIssue(1, "پرونده هیچ سطر داده‌ای ندارد."))
        return result
    feeders = _Feeders({_cell(row, "feeder_code") for _, row in rows}, actor)

    parsed: list[_Row] = []
    seen: dict[tuple, int] = {}
    for line, row in rows:
        errors, values = _parse_row(row, feeders)
        for error in errors:
            result.errors.append(ImportIssue(line, error.message, error.column))
        if errors:
            continue
        key = (values["feeder"].pk, values["starts_at"], values["ends_at"])
        if key in seen:
            result.errors.append(
                ImportIssue(
                    line, f"این خاموشی تکراری است (همان سطر {to_persian_digits(seen[key])})"
                )
            )
            continue
        seen[key] = line
        parsed.append(_Row(line=line, **values))

    existing: dict[tuple, ScheduledOutage] = {}
    if parsed:
        for window in ScheduledOutage.objects.filter(
            status=Status.PLANNED,
            feeder_id__in={r.feeder.pk for r in parsed},
            starts_at__in={r.starts_at for r in parsed},
        ):
            existing[(window.feeder_id, window.starts_at, window.ends_at)] = window
    now = timezone.now()
    writes: list[tuple[_Row, ScheduledOutage | None]] = []
    for row in parsed:
        current = existing.get((row.feeder.pk, row.starts_at, row.ends_at))
        if current is not None:
            if current.reason == row.reason:
                result.unchanged += 1
            else:
                writes.append((row, current))
            continue
        if row.ends_at <= now:
            result.errors.append(
                ImportIssue(row.line, "پایان: زمان پایان گذشته است؛ خاموشی گذشته ثبت نمی‌شود", "end")
            )
            continue
        writes.append((row, None))

    if result.errors:
        result.unchanged = 0
        result.errors.sort(key=lambda issue: issue.line)
        return result
    try:
        with transaction.atomic():
            for row, current in writes:
                try:
                    scheduled_outage_save(
                        outage=current,
                        feeder=row.feeder,
                        starts_at=row.starts_at,
                        ends_at=row.ends_at,
                        reason=row.reason,
                        actor=actor,
                    )
                except PortalError as exc:
                    raise _Abort(row.line, exc.message) from None
                if current is None:
                    result.created += 1
                else:
                    result.updated += 1
            audit_record(
                actor=actor,
                action="outages.schedule.import",
                office=actor.office if actor is not None and actor.office_id else None,
                details={
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
    except _Abort as abort:
        return ImportResult(errors=[ImportIssue(abort.line, abort.message)])
    return result
