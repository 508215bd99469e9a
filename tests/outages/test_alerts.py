"""The SMS alert ahead of a planned window and the update when it changes: who gets it, exactly
once per (window, version), the lead time, query budgets, the Celery task and beat entry."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import OutboxMessage
from outages import tasks
from outages.models import ScheduledOutage
from outages.services.schedule import (
    outage_alert_opt_out_set,
    outage_alerts_send,
    scheduled_outage_cancel,
    scheduled_outage_save,
)
from portal.digits import to_persian_digits
from portal.jalali import jalali_display
from subscribers.models import SubscriptionLink, UtilityCompany
from tests.factories import (
    DistrictOfficeFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
    UtilityCompanyFactory,
)
from tests.outages.factories import FeederFactory, ScheduledOutageFactory, fed_subscription

pytestmark = pytest.mark.django_db

OPT_OUT_LINE = "برای انصراف از این پیامک‌ها به حساب کاربری خود مراجعه کنید"


@pytest.fixture
def feeder():
    return FeederFactory(name="فیدر باغمیشه", area="کوی ولیعصر")


def subscriber(feeder, **link):
    """A user linked (owner unless told) to a subscription on ``feeder``."""
    return SubscriptionLinkFactory(subscription=fed_subscription(feeder), **link).user


def window(feeder, *, hours_ahead: float = 3, **kwargs) -> ScheduledOutage:
    start = timezone.now() + dt.timedelta(hours=hours_ahead)
    return ScheduledOutageFactory(
        feeder=feeder, starts_at=start, ends_at=start + dt.timedelta(hours=2), **kwargs
    )


def sms_to(mobile: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=mobile).order_by("pk"))


def test_each_subscriber_gets_one_alert_with_the_window(feeder):
    first, second = subscriber(feeder), subscriber(feeder)
    outage = window(feeder, reason="تعویض مقره")
    assert outage_alerts_send() == 2
    outage.refresh_from_db()
    assert outage.alerted_at is not None
    assert outage.alerted_version == 1
    for user in (first, second):
        [message] = sms_to(user.mobile)
        assert message.kind == OutboxMessage.Kind.OUTAGE_NOTICE
        assert message.idempotency_key == f"outage-alert:{outage.pk}:v1:{user.mobile}"
        assert "فیدر باغمیشه" in message.text and "کوی ولیعصر" in message.text
        assert jalali_display(outage.starts_at) in message.text
        assert jalali_display(outage.ends_at) in message.text
        assert "تعویض مقره" in message.text
        assert OPT_OUT_LINE in message.text
        assert not any(c in message.text for c in "0123456789")


def test_running_twice_sends_nothing_more(feeder):
    subscriber(feeder)
    window(feeder)
    assert outage_alerts_send() == 1
    assert outage_alerts_send() == 0
    assert OutboxMessage.objects.count() == 1


def test_a_lost_alerted_at_still_sends_no_second_sms(feeder):
    """Even if the window were picked again (alerted_at reset), the outbox key stops a repeat."""
    subscriber(feeder)
    outage = window(feeder)
    outage_alerts_send()
    ScheduledOutage.objects.filter(pk=outage.pk).update(alerted_at=None)
    assert outage_alerts_send() == 0
    assert OutboxMessage.objects.count() == 1


def test_only_windows_within_the_lead_time_are_alerted(feeder):
    user = subscriber(feeder)
    lead = settings.OUTAGE_ALERT_LEAD_HOURS
    inside = window(feeder, hours_ahead=lead - 0.5)
    too_far = window(feeder, hours_ahead=lead + 1)
    started = window(feeder, hours_ahead=-0.5)
    cancelled = window(feeder, status=ScheduledOutage.Status.CANCELLED)
    assert outage_alerts_send() == 1
    [message] = sms_to(user.mobile)
    assert message.idempotency_key.startswith(f"outage-alert:{inside.pk}:")
    for outage in (too_far, started, cancelled):
        outage.refresh_from_db()
        assert outage.alerted_at is None


def test_the_lead_time_edge_is_inclusive(feeder):
    subscriber(feeder)
    now = timezone.now()
    lead = dt.timedelta(hours=settings.OUTAGE_ALERT_LEAD_HOURS)
    edge = ScheduledOutageFactory(
        feeder=feeder, starts_at=now + lead, ends_at=now + lead + dt.timedelta(hours=1)
    )
    just_after = ScheduledOutageFactory(
        feeder=feeder,
        starts_at=now + lead + dt.timedelta(seconds=1),
        ends_at=now + lead + dt.timedelta(hours=1),
    )
    assert outage_alerts_send(now=now) == 1
    edge.refresh_from_db()
    just_after.refresh_from_db()
    assert edge.alerted_at == now
    assert just_after.alerted_at is None


def test_a_later_run_picks_up_a_window_entering_the_lead_time(feeder):
    subscriber(feeder)
    outage = window(feeder, hours_ahead=settings.OUTAGE_ALERT_LEAD_HOURS + 2)
    assert outage_alerts_send() == 0
    assert outage_alerts_send(now=timezone.now() + dt.timedelta(hours=3)) == 1
    outage.refresh_from_db()
    assert outage.alerted_at is not None


def test_who_is_not_alerted(feeder):
    alerted = subscriber(feeder)
    opted_out = subscriber(feeder)
    outage_alert_opt_out_set(user=opted_out, opted_out=True)
    ended = subscriber(feeder, ended_at=timezone.now())
    expired_tenant = subscriber(
        feeder,
        role=SubscriptionLink.Role.TENANT,
        lease_end=timezone.localdate() - dt.timedelta(days=1),
    )
    current_tenant = subscriber(
        feeder,
        role=SubscriptionLink.Role.TENANT,
        lease_end=timezone.localdate() + dt.timedelta(days=30),
    )
    inactive = subscriber(feeder)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    unlinked = fed_subscription(feeder, mobile="09351112233")  # the subscription's own mobile
    # A gas subscription with the same company code and feeder code.
    gas_company = UtilityCompanyFactory(kind=UtilityCompany.Kind.GAS, code=feeder.company.code)
    gas_office = DistrictOfficeFactory(company=gas_company)
    gas_user = SubscriptionLinkFactory(
        subscription=SubscriptionFactory(office=gas_office, feeder_code=feeder.code)
    ).user
    # Another electricity company's feeder with the same code.
    twin = FeederFactory(code=feeder.code)
    twin_user = subscriber(twin)
    # Linked to an electricity subscription on another feeder of the same company.
    neighbour = subscriber(FeederFactory(office=feeder.office))

    window(feeder)
    assert outage_alerts_send() == 2
    assert set(OutboxMessage.objects.values_list("recipient", flat=True)) == {
        alerted.mobile,
        current_tenant.mobile,
    }
    for user in (opted_out, ended, expired_tenant, inactive, gas_user, twin_user, neighbour):
        assert sms_to(user.mobile) == []
    assert sms_to(unlinked.mobile) == []


def test_a_user_with_two_subscriptions_on_the_feeder_gets_one_alert(feeder):
    user = subscriber(feeder)
    SubscriptionLinkFactory(user=user, subscription=fed_subscription(feeder))
    other_user_same_mobile = UserFactory(mobile=user.mobile)
    SubscriptionLinkFactory(user=other_user_same_mobile, subscription=fed_subscription(feeder))
    window(feeder)
    assert outage_alerts_send() == 1
    assert len(sms_to(user.mobile)) == 1


def test_opting_back_in_gets_the_next_alert(feeder):
    user = subscriber(feeder)
    outage_alert_opt_out_set(user=user, opted_out=True)
    outage_alert_opt_out_set(user=user, opted_out=False)
    window(feeder)
    assert outage_alerts_send() == 1


def reschedule(outage, **changes):
    values = {
        "feeder": outage.feeder,
        "starts_at": outage.starts_at,
        "ends_at": outage.ends_at,
        "reason": outage.reason,
    }
    return scheduled_outage_save(outage=outage, actor=None, **(values | changes))


def test_change_after_alert_sends_one_update_per_change(feeder):
    users = [subscriber(feeder), subscriber(feeder)]
    outage = window(feeder)
    outage_alerts_send()
    new_end = outage.ends_at + dt.timedelta(hours=1)
    outage = reschedule(outage, ends_at=new_end)
    assert outage.version == 2 and outage.alerted_version == 2
    for user in users:
        _alert, update = sms_to(user.mobile)
        assert update.idempotency_key == f"outage-alert:{outage.pk}:v2:{user.mobile}"
        assert "تغییر" in update.text
        assert jalali_display(new_end) in update.text
    # The periodic run does not re-send or re-alert a changed window.
    assert outage_alerts_send() == 0
    # Saving the same values again is no change: no SMS.
    reschedule(outage)
    assert OutboxMessage.objects.count() == 4
    outage = reschedule(outage, reason="جابه‌جایی پست")
    assert outage.version == 3
    for user in users:
        assert [m.idempotency_key.split(":")[2] for m in sms_to(user.mobile)] == ["v1", "v2", "v3"]
        assert "جابه‌جایی پست" in sms_to(user.mobile)[-1].text


def test_cancel_after_alert_sends_one_cancellation(feeder):
    user = subscriber(feeder)
    outage = window(feeder)
    outage_alerts_send()
    scheduled_outage_cancel(outage=outage, actor=None)
    _alert, cancellation = sms_to(user.mobile)
    assert "لغو" in cancellation.text
    assert cancellation.idempotency_key == f"outage-alert:{outage.pk}:v2:{user.mobile}"
    assert OPT_OUT_LINE in cancellation.text
    assert outage_alerts_send() == 0
    assert OutboxMessage.objects.count() == 2


def test_change_before_alert_sends_no_update_and_the_alert_shows_the_new_window(feeder):
    user = subscriber(feeder)
    outage = window(feeder)
    new_start = outage.starts_at + dt.timedelta(minutes=30)
    outage = reschedule(outage, starts_at=new_start)
    assert outage.version == 2
    assert not OutboxMessage.objects.exists()
    scheduled_outage_cancel(outage=window(feeder, hours_ahead=5), actor=None)
    assert not OutboxMessage.objects.exists()
    assert outage_alerts_send() == 1
    [message] = sms_to(user.mobile)
    assert message.idempotency_key.endswith(f":v2:{user.mobile}")
    assert jalali_display(new_start) in message.text


def test_moving_an_alerted_window_to_another_feeder_tells_both(feeder):
    old_user = subscriber(feeder)
    other = FeederFactory(office=feeder.office)
    new_user = subscriber(other)
    outage = window(feeder)
    outage_alerts_send()
    reschedule(outage, feeder=other)
    assert len(sms_to(old_user.mobile)) == 2
    assert len(sms_to(new_user.mobile)) == 1


def test_opted_out_users_get_no_update_either(feeder):
    user = subscriber(feeder)
    outage = window(feeder)
    outage_alerts_send()
    outage_alert_opt_out_set(user=user, opted_out=True)
    scheduled_outage_cancel(outage=outage, actor=None)
    assert len(sms_to(user.mobile)) == 1


def count_queries(func) -> int:
    with CaptureQueriesContext(connection) as queries:
        func()
    return len(queries)


def test_alert_queries_do_not_grow_with_recipients(feeder):
    subscriber(feeder)
    window(feeder)
    at_one = count_queries(outage_alerts_send)
    assert OutboxMessage.objects.count() == 1

    other = FeederFactory()
    for _ in range(50):
        subscriber(other)
    window(other)
    at_fifty = count_queries(outage_alerts_send)
    assert OutboxMessage.objects.count() == 51
    assert at_fifty == at_one <= 10


def test_update_queries_do_not_grow_with_recipients(feeder):
    subscriber(feeder)
    small = window(feeder)
    other = FeederFactory()
    for _ in range(50):
        subscriber(other)
    big = window(other)
    outage_alerts_send()
    at_one = count_queries(lambda: scheduled_outage_cancel(outage=small, actor=None))
    at_fifty = count_queries(lambda: scheduled_outage_cancel(outage=big, actor=None))
    assert OutboxMessage.objects.count() == 51 * 2
    assert at_fifty == at_one


def test_the_task_calls_the_service(feeder):
    user = subscriber(feeder)
    window(feeder)
    tasks.outage_alerts_send.delay()
    assert len(sms_to(user.mobile)) == 1
    assert tasks.outage_alerts_send.apply().get() == 0


def test_beat_runs_the_task_every_ten_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["outage-alerts"]
    assert entry["task"] == tasks.outage_alerts_send.name == "outages.tasks.outage_alerts_send"
    assert entry["schedule"] == dt.timedelta(minutes=10)


def test_alert_digits_are_persian(feeder):
    user = subscriber(feeder)
    start = timezone.now() + dt.timedelta(hours=3)
    ScheduledOutageFactory(feeder=feeder, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    outage_alerts_send()
    [message] = sms_to(user.mobile)
    local = timezone.localtime(start)
    assert to_persian_digits(f"{local.hour:02d}:{local.minute:02d}") in message.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_alert_once(feeder):
    """Two real connections run the periodic job together: row locks (skip_locked) and the
    outbox keys leave exactly one alert per subscriber."""
    users = [subscriber(feeder) for _ in range(5)]
    for hours in (2, 3, 4):
        window(feeder, hours_ahead=hours)
    now = timezone.now()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def work():
        try:
            barrier.wait(timeout=10)
            results.append(outage_alerts_send(now=now))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(r, int) for r in results) and sum(results) == 15, results
    for user in users:
        assert len(sms_to(user.mobile)) == 3
    assert set(ScheduledOutage.objects.values_list("alerted_at", flat=True)) == {now}
