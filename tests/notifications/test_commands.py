"""`manage.py sms_outbox`: recent messages with their full text."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from notifications.models import OutboxMessage
from notifications.services import sms_enqueue, sms_enqueue_otp
from tests.notifications.stubs import MOBILE

pytestmark = pytest.mark.django_db

OTHER = "09351234567"


def run(*args: str) -> str:
    out = StringIO()
    call_command("sms_outbox", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def outbox(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sms_enqueue(
            recipient=OTHER,
            kind=OutboxMessage.Kind.GENERAL,
            text="پیام برای دیگری\nخط دوم",
            idempotency_key="c:0",
        )
        for i in range(3):
            sms_enqueue(
                recipient=MOBILE,
                kind=OutboxMessage.Kind.BILL_NOTICE,
                text=f"قبض شماره {i}",
                idempotency_key=f"c:{i + 1}",
            )
        sms_enqueue_otp(recipient=MOBILE, code="482913", idempotency_key="c:otp")


def test_prints_full_text_kind_status_attempts_and_time(outbox):
    output = run("--to", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "--last", "2")
    lines = output.splitlines()
    # oldest first: the OTP (newest) comes last; the full code is readable
    assert "قبض شماره 2" in output
    assert "قبض شماره 1" not in output  # --last 2
    assert "کد تایید سامانه خدمات غیرحضوری: 482913" in output
    assert output.index("قبض شماره 2") < output.index("482913")
    header = next(line for line in lines if "kind=otp" in line)
    assert MOBILE in header
    assert "status=sent" in header
    assert "attempts=1" in header
    assert header.split()[1].startswith("14")  # Jalali year (14xx)
    assert OTHER not in output


def test_without_filter_lists_all_recipients_and_multiline_text(outbox):
    output = run()
    assert OTHER in output and MOBILE in output
    assert "    خط دوم" in output


def test_json_output_for_scripts(outbox):
    rows = [
        json.loads(line) for line in run("--to", MOBILE, "--kind", "otp", "--json").splitlines()
    ]
    assert len(rows) == 1
    assert rows[0]["text"].startswith("کد تایید سامانه خدمات غیرحضوری: 482913")
    assert rows[0]["status"] == "sent"
    assert rows[0]["kind"] == "otp"
    assert rows[0]["created_at_jalali"].startswith("14")


def test_empty_outbox_and_bad_arguments():
    assert run() == "No messages.\n"
    with pytest.raises(CommandError):
        run("--to", "123")
    with pytest.raises(CommandError):
        run("--last", "0")
