"""The planned-outage CSV import and ``manage.py import_outages``: Jalali and ISO date-times in
Asia/Tehran, every error with its line, all or nothing, idempotent re-runs, ambiguous feeder
codes, office scoping, and the command's output and exit code."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from urllib.parse import quote

import jdatetime
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from notifications.models import OutboxMessage
from outages.models import ScheduledOutage
from outages.services.schedule import outage_alerts_send, outages_import, parse_datetime_text
from portal.digits import to_persian_digits
from portal.errors import PortalError
from subscribers import roles
from subscribers.models import AuditLog
from tests.factories import StaffFactory, SubscriptionLinkFactory, add_role
from tests.outages.factories import FeederFactory, fed_subscription

pytestmark = pytest.mark.django_db

HEADER = "feeder_code,start,end,reason\n"


@pytest.fixture
def feeder():
    return FeederFactory(code="TB-101")


def jday(days: int) -> str:
    """The Jalali date ``days`` from today, e.g. ``1405/09/03``."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")


def gday(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value)


def run(text: str, actor=None):
    return outages_import(file=text.encode(), actor=actor)


# --- date-times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1405/09/02 08:00",
        "1405-09-02 08:00",
        "1405/9/2 08:00:00",
        "۱۴۰۵/۰۹/۰۲ ۰۸:۰۰",
        "١٤٠٥/٠٩/٠٢ ٠٨:٠٠",
        "2026-11-23T08:00",
        "2026-11-23 08:00",
        "2026-11-23T08:00:00+03:30",
        "2026-11-23T04:30Z",
        "2026-11-23T07:00+0230",
    ],
)
def test_date_time_formats_give_the_same_instant(text):
    # 1405/09/02 is 2026-11-23; Tehran 08:00 is 04:30 UTC (no daylight saving since 2022).
    expected = dt.datetime(2026, 11, 23, 4, 30, tzinfo=dt.UTC)
    assert parse_datetime_text(text) == expected


@pytest.mark.parametrize(
    "text", ["", "1405/13/01 08:00", "1405/09/02", "2026-02-30 08:00", "فردا", "1405/09/02 25:00"]
)
def test_bad_date_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_datetime_text(text)


# --- importing ---------------------------------------------------------------------------------


def test_import_jalali_and_iso_rows_in_tehran_time(feeder):
    text = (
        "reason,end,extra,start,feeder_code\n"
        f"تعمیرات,{jday(2)} 10:30,x,{jday(2)} 08:00,{feeder.code}\n"
        f"ترانس,{gday(3)}T12:00,y,{gday(3)} 09:15,{feeder.code}\n"
    )
    result = run(text)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    first, second = ScheduledOutage.objects.order_by("starts_at")
    start = local(first.starts_at)
    assert (start.date(), start.hour, start.minute) == (
        timezone.localdate() + dt.timedelta(days=2),
        8,
        0,
    )
    utc = first.starts_at.astimezone(dt.UTC)
    assert (utc.hour, utc.minute) == (4, 30)
    assert first.ends_at - first.starts_at == dt.timedelta(hours=2, minutes=30)
    assert (local(second.starts_at).hour, local(second.starts_at).minute) == (9, 15)
    assert second.reason == "ترانس"
    log = AuditLog.objects.get(action="outages.schedule.import")
    assert log.actor is None
    assert log.details == {"created": 2, "updated": 0, "unchanged": 0}


def test_persian_digits_bom_and_a_window_across_midnight(feeder):
    start = to_persian_digits(f"{jday(2)} 22:00")
    end = to_persian_digits(f"{jday(3)} 02:00")
    text = "\ufeff" + HEADER + f"{feeder.code},{start},{end},جابه‌جایی پست\n"
    result = outages_import(file=text.encode("utf-8"), actor=None)
    assert result.ok, result.errors
    outage = ScheduledOutage.objects.get()
    assert outage.ends_at - outage.starts_at == dt.timedelta(hours=4)
    assert local(outage.ends_at).date() == local(outage.starts_at).date() + dt.timedelta(days=1)


def test_a_text_stream_is_accepted(feeder):
    stream = io.StringIO(HEADER + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 09:00,تعمیرات\n")
    assert outages_import(file=stream, actor=None).created == 1


def test_every_error_with_its_line_and_nothing_written(feeder):
    past = timezone.localdate() - dt.timedelta(days=2)
    past_j = jdatetime.date.fromgregorian(date=past).strftime("%Y/%m/%d")
    text = (
        HEADER
        + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"  # 2: fine
        + f"NOPE,{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"  # 3: unknown feeder
        + f"{feeder.code},{jday(2)} 12:00,{jday(2)} 10:00,تعمیرات\n"  # 4: end before start
        + f"{feeder.code},{jday(3)} 08:00,{jday(3)} 10:00,\n"  # 5: empty reason
        + f"{feeder.code},{past_j} 08:00,{past_j} 10:00,تعمیرات\n"  # 6: in the past
        + f"{feeder.code},1405/13/40 08:00,tomorrow,تعمیرات\n"  # 7: two bad date-times
        + ",,,\n"  # blank, skipped
        + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تکرار\n"  # 9: repeats line 2
    )
    result = run(text)
    assert not result.ok
    lines = [(issue.line, issue.column) for issue in result.errors]
    assert lines == [
        (3, "feeder_code"),
        (4, "end"),
        (5, "reason"),
        (6, "end"),
        (7, "start"),
        (7, "end"),
        (9, ""),
    ]
    messages = [str(issue) for issue in result.errors]
    assert messages[0].startswith("سطر ۳: کد فیدر:")
    assert "پایان: باید بعد از شروع باشد" in messages[1]
    assert "علت: خالی است" in messages[2]
    assert "سطر ۲" in messages[-1]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert not ScheduledOutage.objects.exists()
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "سطر عنوان"),
        ("feeder_code,start,reason\nX,1405/09/02 08:00,y\n", "end (پایان)"),
        (HEADER, "هیچ سطر"),
    ],
)
def test_file_level_errors_are_on_line_one(text, needle):
    result = run(text)
    [issue] = result.errors
    assert issue.line == 1
    assert needle in issue.message


def test_a_file_that_is_not_utf8_is_refused(feeder):
    data = (HEADER + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 09:00,تعمیرات\n").encode("utf-16")
    with pytest.raises(PortalError) as exc:
        outages_import(file=data, actor=None)
    assert "UTF-8" in exc.value.message


def test_second_run_changes_nothing_and_a_new_reason_updates(feeder):
    text = HEADER + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
    assert run(text).created == 1
    again = run(text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    outage = ScheduledOutage.objects.get()
    assert outage.version == 1
    changed = run(text.replace("تعمیرات", "تعویض کابل"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    outage.refresh_from_db()
    assert (outage.reason, outage.version) == ("تعویض کابل", 2)
    assert ScheduledOutage.objects.count() == 1


def test_a_moved_window_is_a_new_row_and_a_cancelled_one_is_not_matched(feeder):
    text = HEADER + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
    run(text)
    ScheduledOutage.objects.update(status=ScheduledOutage.Status.CANCELLED)
    assert run(text).created == 1
    assert run(text.replace("10:00", "11:00")).created == 1
    assert ScheduledOutage.objects.count() == 3


def test_reason_update_of_an_alerted_window_sends_one_update(feeder):
    user = SubscriptionLinkFactory(subscription=fed_subscription(feeder)).user
    when = timezone.localtime(timezone.now() + dt.timedelta(hours=3))
    start = jdatetime.datetime.fromgregorian(datetime=when).strftime("%Y/%m/%d %H:%M")
    end = jdatetime.datetime.fromgregorian(datetime=when + dt.timedelta(hours=2)).strftime(
        "%Y/%m/%d %H:%M"
    )
    text = HEADER + f"{feeder.code},{start},{end},تعمیرات\n"
    run(text)
    outage_alerts_send()
    assert OutboxMessage.objects.filter(recipient=user.mobile).count() == 1
    run(text)
    assert OutboxMessage.objects.filter(recipient=user.mobile).count() == 1
    run(text.replace("تعمیرات", "هرس درختان"))
    assert OutboxMessage.objects.filter(recipient=user.mobile).count() == 2


def test_a_code_in_two_companies_needs_company_code(feeder):
    twin = FeederFactory(code=feeder.code)
    text = HEADER + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
    result = run(text)
    [issue] = result.errors
    assert (issue.line, issue.column) == (2, "feeder_code")
    assert "company_code" in issue.message
    assert not ScheduledOutage.objects.exists()

    with_company = (
        "company_code,feeder_code,start,end,reason\n"
        f"{to_persian_digits(twin.company.code)},{feeder.code},{jday(2)} 08:00,"
        f"{jday(2)} 10:00,تعمیرات\n"
        f"999,{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
    )
    result = run(with_company)
    [issue] = result.errors
    assert issue.line == 3
    if twin.company.code != "999":
        assert "۹۹۹" in issue.message
    result = run(with_company.splitlines()[0] + "\n" + with_company.splitlines()[1])
    assert result.ok, result.errors
    assert ScheduledOutage.objects.get().feeder == twin


def test_office_staff_import_only_their_feeders(feeder):
    clerk = add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)
    theirs = FeederFactory(code="OTHER-1")
    text = (
        HEADER
        + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
        + f"{theirs.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
    )
    result = run(text, actor=clerk)
    [issue] = result.errors
    assert (issue.line, issue.column) == (3, "feeder_code")
    assert "حوزه دسترسی" in issue.message
    assert not ScheduledOutage.objects.exists()

    result = run(text.splitlines()[0] + "\n" + text.splitlines()[1], actor=clerk)
    assert result.ok
    outage = ScheduledOutage.objects.get()
    assert outage.created_by == clerk
    assert AuditLog.objects.get(action="outages.schedule.import").office == feeder.office

    admin = add_role(StaffFactory(office=None), roles.SYSTEM_ADMINISTRATOR)
    assert run(text, actor=admin).created == 1


def test_office_staff_do_not_see_another_company_twin(feeder):
    FeederFactory(code=feeder.code)
    clerk = add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)
    text = HEADER + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
    result = run(text, actor=clerk)
    assert result.ok, result.errors
    assert ScheduledOutage.objects.get().feeder == feeder


def test_staff_without_a_schedule_role_may_not_import(feeder):
    operator = add_role(StaffFactory(office=feeder.office), roles.CALL_CENTER_OPERATOR)
    text = HEADER + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
    with pytest.raises(PortalError) as exc:
        run(text, actor=operator)
    assert exc.value.status_code == 403
    assert not ScheduledOutage.objects.exists()


# --- the command -------------------------------------------------------------------------------


def write(tmp_path, text: str):
    path = tmp_path / "outages.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_command_prints_the_summary(tmp_path, feeder):
    path = write(tmp_path, HEADER + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n")
    out = io.StringIO()
    call_command("import_outages", str(path), stdout=out)
    assert "created=1 updated=0 unchanged=0" in out.getvalue()
    assert "جدید: ۱" in out.getvalue()
    out = io.StringIO()
    call_command("import_outages", str(path), stdout=out)
    assert "created=0 updated=0 unchanged=1" in out.getvalue()
    assert ScheduledOutage.objects.count() == 1


def test_command_prints_every_error_and_fails(tmp_path, feeder):
    path = write(
        tmp_path,
        HEADER
        + f"{feeder.code},{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
        + f"NOPE,{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n"
        + f"{feeder.code},{jday(2)} 12:00,{jday(2)} 10:00,تعمیرات\n",
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_outages", str(path), stdout=out, stderr=err)
    assert "هیچ سطری ذخیره نشد" in str(exc.value)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("سطر ۳:") and lines[1].startswith("سطر ۴:")
    assert "پایان: باید بعد از شروع باشد" in lines[1]
    assert out.getvalue() == ""
    assert not ScheduledOutage.objects.exists()


@pytest.mark.postgres  # the subprocess must reach the same test database
def test_command_exit_code_is_non_zero(tmp_path, feeder):
    """Through the real entry point: CommandError becomes exit status 1."""
    path = write(tmp_path, HEADER + f"NOPE,{jday(2)} 08:00,{jday(2)} 10:00,تعمیرات\n")
    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }
    proc = subprocess.run(
        [sys.executable, "manage.py", "import_outages", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "سطر ۲:" in proc.stderr


def test_command_unreadable_file(tmp_path):
    with pytest.raises(CommandError) as exc:
        call_command("import_outages", str(tmp_path / "missing.csv"))
    assert "خوانده نشد" in str(exc.value)
