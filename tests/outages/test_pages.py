"""Public outage pages: the schedule, reporting (logged in, and by bill ID with an SMS code),
the result page, tracking, the 121 operator's console and the alert switch. Each page is tried
by its rightful user and by those it must refuse; bad input shows a Persian error on the field
and saves nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from outages.models import (
    Incident,
    IncidentState,
    OutageAlertOptOut,
    OutageReport,
    ReportChannel,
    ScheduledOutage,
)
from outages.services.incidents import incident_move
from outages.services.reports import report_file
from portal import identifiers
from portal.digits import to_persian_digits
from portal.jalali import jalali_iso
from subscribers import roles
from subscribers.models import OtpChallenge, OtpPurpose, UtilityCompany
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
    UtilityCompanyFactory,
    add_role,
    last_otp_code,
    login_with_second_factor,
)
from tests.outages.factories import FeederFactory, ScheduledOutageFactory, fed_subscription

pytestmark = pytest.mark.django_db

SCHEDULE = reverse("outages:schedule")
REPORT = reverse("outages:report")
VERIFY = reverse("outages:report-verify")
DONE = reverse("outages:report-done")
TRACK = reverse("outages:track")
CALL_CENTER = reverse("outages:call-center")
ALERTS = reverse("outages:alerts")
MOBILE = "09121234567"


def page(response) -> str:
    return response.content.decode()


def fa(value) -> str:
    return to_persian_digits(str(value))


def gas_subscription():
    gas = UtilityCompanyFactory(kind=UtilityCompany.Kind.GAS, code="501")
    return SubscriptionFactory(office=DistrictOfficeFactory(company=gas))


@pytest.fixture
def feeder():
    return FeederFactory(name="فیدر باغمیشه", area="باغمیشه تا ولیعصر")


@pytest.fixture
def owner(feeder):
    subscription = fed_subscription(feeder)
    user = UserFactory()
    SubscriptionLinkFactory(user=user, subscription=subscription)
    return user, subscription


def tomorrow_noon() -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=timezone.get_default_timezone())


# --- schedule ---------------------------------------------------------------------------------


def test_schedule_defaults_to_today_and_lists_windows(client, feeder):
    now = timezone.now()
    ScheduledOutageFactory(feeder=feeder, starts_at=now, ends_at=now + dt.timedelta(hours=1))
    ScheduledOutageFactory(
        feeder=feeder,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=1),
        reason="لغوشده نمونه",
        status=ScheduledOutage.Status.CANCELLED,
    )
    response = client.get(SCHEDULE)
    assert response.status_code == 200
    body = page(response)
    assert "فیدر باغمیشه" in body and "باغمیشه تا ولیعصر" in body and "تعمیرات شبکه" in body
    assert "لغوشده نمونه" not in body
    assert fa(jalali_iso(timezone.localdate())) in body  # the date box shows today in Persian
    assert reverse("outages:report") in body and TRACK in body


def test_schedule_by_city_and_persian_jalali_date(client, feeder):
    other_city = FeederFactory(city=CityFactory(name="مرند"), name="فیدر مرند")
    start = tomorrow_noon()
    ScheduledOutageFactory(feeder=feeder, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    ScheduledOutageFactory(
        feeder=other_city, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    day = fa(jalali_iso(start.date()))
    response = client.get(SCHEDULE, {"city": feeder.city_id, "date": day})
    assert response.status_code == 200
    body = page(response)
    assert "فیدر باغمیشه" in body and "فیدر مرند" not in body
    assert "۱۲:۰۰" in body and "۱۴:۰۰" in body
    # Today in that city: nothing planned.
    empty = client.get(SCHEDULE, {"city": feeder.city_id})
    assert "خاموشی برنامه‌ریزی‌شده‌ای ثبت نشده است" in page(empty)


@pytest.mark.parametrize("bad", ["1405/13/40", "فردا", "2026-02-30"])
def test_schedule_bad_date_is_a_field_error(client, feeder, bad):
    response = client.get(SCHEDULE, {"date": bad})
    assert response.status_code == 400
    assert "«تاریخ» معتبر نیست" in page(response)


def test_schedule_unknown_city_is_a_field_error(client, feeder):
    response = client.get(SCHEDULE, {"city": "999999"})
    assert response.status_code == 400
    assert "«شهر» انتخاب‌شده در فهرست نیست." in page(response)


@pytest.mark.parametrize("rows", [1, 50])
def test_schedule_query_budget(client, django_assert_max_num_queries, rows):
    start = tomorrow_noon()
    for _ in range(rows):
        ScheduledOutageFactory(starts_at=start, ends_at=start + dt.timedelta(hours=1))
    with django_assert_max_num_queries(4):
        response = client.get(SCHEDULE, {"date": jalali_iso(start.date())})
    assert page(response).count("text-bg-warning") == rows


# --- reporting, logged in ---------------------------------------------------------------------


def test_subscriber_reports_for_own_subscription(client, owner):
    user, subscription = owner
    other = fed_subscription()  # someone else's, on another feeder
    gas = gas_subscription()
    SubscriptionLinkFactory(user=user, subscription=gas)
    client.force_login(user)
    form = client.get(REPORT)
    body = page(form)
    assert fa(subscription.subscription_number) in body
    assert fa(other.subscription_number) not in body and fa(gas.subscription_number) not in body
    assert f'value="{user.mobile}"' in body

    response = client.post(
        REPORT,
        {"subscription": subscription.pk, "mobile": fa(MOBILE), "description": "کل کوچه"},
    )
    assert response.status_code == 302 and response["Location"] == DONE
    report = OutageReport.objects.get()
    assert (report.reporter, report.channel, report.mobile) == (user, ReportChannel.WEB, MOBILE)
    done = page(client.get(DONE))
    assert "گزارش شما ثبت شد" in done and fa(report.code) in done
    assert "برای رفع خاموشی به امور برق ارجاع شد" in done
    assert f"{TRACK}?code={report.code}" in done

    again = client.post(REPORT, {"subscription": subscription.pk, "mobile": MOBILE})
    assert again.status_code == 302
    done = page(client.get(DONE))
    assert "این قطعی را پیش‌تر گزارش کرده‌اید" in done and fa(report.code) in done
    assert OutageReport.objects.count() == 1
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.OUTAGE_NOTICE).count() == 1


def test_subscriber_cannot_report_for_someone_elses_subscription(client, owner):
    user, _mine = owner
    someone_else = fed_subscription()
    SubscriptionLinkFactory(subscription=someone_else)
    client.force_login(user)
    response = client.post(REPORT, {"subscription": someone_else.pk, "mobile": MOBILE})
    assert response.status_code == 400
    assert "اشتراک انتخاب‌شده از اشتراک‌های برق شما نیست." in page(response)
    assert not OutageReport.objects.exists()


def test_subscriber_report_bad_mobile_saves_nothing(client, owner):
    user, subscription = owner
    client.force_login(user)
    response = client.post(REPORT, {"subscription": subscription.pk, "mobile": "0912"})
    assert response.status_code == 400
    assert "تلفن همراه برای پیامک نتیجه" in page(response)
    assert not OutageReport.objects.exists() and not OutboxMessage.objects.exists()


def test_report_during_planned_window_answers_at_once(client, owner, feeder):
    user, subscription = owner
    now = timezone.now()
    ScheduledOutageFactory(
        feeder=feeder,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
        reason="تعویض ترانس",
    )
    client.force_login(user)
    client.post(REPORT, {"subscription": subscription.pk, "mobile": MOBILE})
    done = page(client.get(DONE))
    assert "طبق برنامه خاموشی" in done and "تعویض ترانس" in done


def test_done_page_without_a_report_goes_back_to_the_form(client):
    response = client.get(DONE)
    assert response.status_code == 302 and response["Location"] == REPORT


def test_subscriber_without_electricity_links_gets_the_bill_form(client):
    client.force_login(UserFactory())
    body = page(client.get(REPORT))
    assert 'name="bill_id"' in body and 'name="subscription"' not in body


# --- reporting by bill ID and SMS code ---------------------------------------------------------


def test_anonymous_report_with_sms_code(client, feeder):
    subscription = fed_subscription(feeder)
    response = client.post(
        REPORT, {"bill_id": fa(subscription.bill_id), "mobile": fa(MOBILE), "description": "x"}
    )
    assert response.status_code == 302 and response["Location"] == VERIFY
    challenge = OtpChallenge.objects.get()
    assert challenge.purpose == OtpPurpose.OUTAGE_REPORT
    assert challenge.payload["bill_id"] == subscription.bill_id
    verify = page(client.get(VERIFY))
    assert fa(identifiers.mask_mobile(MOBILE)) in verify

    code = last_otp_code(MOBILE)
    wrong = client.post(VERIFY, {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "کد تایید درست نیست." in page(wrong)
    assert not OutageReport.objects.exists()

    response = client.post(VERIFY, {"code": fa(code)})
    assert response.status_code == 302 and response["Location"] == DONE
    report = OutageReport.objects.get()
    assert (report.subscription, report.mobile, report.reporter) == (subscription, MOBILE, None)
    assert report.description == "x"
    challenge.refresh_from_db()
    assert challenge.consumed_at is not None
    done = page(client.get(DONE))
    assert fa(report.code) in done
    # The verify page is spent: back to the form.
    assert client.get(VERIFY)["Location"] == REPORT


@pytest.mark.parametrize(
    "bill_id,error",
    [
        ("", "شناسه قبض: این مورد را وارد کنید"),
        ("12345", "شناسه قبض"),
        ("9999999999999", "شناسه قبض"),
    ],
)
def test_bad_bill_id_sends_no_code(client, feeder, bill_id, error):
    response = client.post(REPORT, {"bill_id": bill_id, "mobile": MOBILE})
    assert response.status_code == 400
    assert error in page(response)
    assert not OtpChallenge.objects.exists() and not OutboxMessage.objects.exists()


def test_unknown_gas_and_unfed_bill_ids_send_no_code(client, feeder):
    unknown = identifiers.generate_bill_id(
        file_code=987_654, company_code=feeder.company.code, service_type=2
    )
    unfed = SubscriptionFactory(feeder_code="")
    for bill_id, error in [
        (unknown, "اشتراک برقی با این شناسه قبض یافت نشد."),
        (gas_subscription().bill_id, "شناسه قبض"),
        (unfed.bill_id, "فیدر این اشتراک در سامانه ثبت نشده است"),
    ]:
        response = client.post(REPORT, {"bill_id": bill_id, "mobile": MOBILE})
        assert response.status_code == 400, bill_id
        assert error in page(response)
    assert not OtpChallenge.objects.exists() and not OutboxMessage.objects.exists()


def test_verify_without_pending_report_goes_to_form(client):
    assert client.get(VERIFY)["Location"] == REPORT
    assert client.post(VERIFY, {"code": "123456"})["Location"] == REPORT


# --- tracking ---------------------------------------------------------------------------------


def _filed(subscription, mobile=MOBILE):
    return report_file(subscription=subscription, mobile=mobile, channel=ReportChannel.WEB).report


def test_track_shows_state_and_result_without_personal_data(client, feeder):
    subscription = fed_subscription(feeder)
    report = _filed(subscription)
    clerk = add_role(StaffFactory(office=feeder.office), roles.OFFICE_CLERK)
    incident_move(incident=report.incident, to=IncidentState.INVESTIGATING, actor=clerk)
    incident_move(
        incident=Incident.objects.get(),
        to=IncidentState.RESOLVED,
        actor=clerk,
        result="کابل تعویض شد",
    )
    response = client.get(TRACK, {"code": fa(report.code)})
    assert response.status_code == 200
    body = page(response)
    assert "برق وصل شد" in body and "کابل تعویض شد" in body and "پایان‌یافته" in body
    assert "گزارش شما ثبت شد" in body and "در حال بررسی" in body
    assert feeder.name in body
    for private in (MOBILE, fa(MOBILE), subscription.address, subscription.bill_id):
        assert private not in body
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("code", ["12345678", "abc", "۱۲۳"])
def test_track_unknown_or_malformed_code(client, code):
    response = client.get(TRACK, {"code": code})
    assert response.status_code == 404
    assert "گزارشی با این کد رهگیری یافت نشد." in page(response)


def test_track_blank_code(client):
    response = client.get(TRACK, {"code": ""})
    assert response.status_code == 400 and "«کد رهگیری» را وارد کنید." in page(response)
    assert client.get(TRACK).status_code == 200


def test_track_is_rate_limited_per_ip(client, settings):
    from outages.views import pages

    for _ in range(pages.TRACK_LIMIT):
        client.get(TRACK, {"code": "12345678"})
    response = client.get(TRACK, {"code": "12345678"})
    assert response.status_code == 429
    assert "بیش از حد مجاز" in page(response)
    other_ip = client.get(TRACK, {"code": "12345678"}, REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 404


# --- the 121 console --------------------------------------------------------------------------


def operator(office, role=roles.CALL_CENTER_OPERATOR):
    return add_role(StaffFactory(office=office), role)


def test_console_refuses_everyone_else(client, feeder):
    response = client.get(CALL_CENTER)
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    client.force_login(UserFactory())
    assert client.get(CALL_CENTER).status_code == 404
    staff = operator(feeder.office)
    client.force_login(staff)  # no second factor yet
    response = client.get(CALL_CENTER)
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    telecom = operator(feeder.office, roles.TELECOM_CENTER_OPERATOR)
    login_with_second_factor(client, telecom)
    assert client.get(CALL_CENTER).status_code == 404


def test_operator_files_a_call(client, feeder):
    subscription = fed_subscription(feeder)
    staff = operator(DistrictOfficeFactory(company=feeder.company))  # same company, other office
    login_with_second_factor(client, staff)
    assert client.get(CALL_CENTER).status_code == 200
    response = client.post(
        CALL_CENTER,
        {"bill_id": fa(subscription.bill_id), "mobile": fa(MOBILE), "description": "تماس"},
    )
    assert response.status_code == 302
    report = OutageReport.objects.get()
    assert (report.channel, report.taken_by, report.reporter) == (
        ReportChannel.CALL_CENTER,
        staff,
        None,
    )
    body = page(client.get(CALL_CENTER))
    assert "برای تماس‌گیرنده بخوانید" in body and fa(report.code) in body
    # Shown once only.
    assert fa(report.code) not in page(client.get(CALL_CENTER))


def test_operator_of_another_company_is_refused(client, feeder):
    subscription = fed_subscription(feeder)
    staff = operator(DistrictOfficeFactory())  # another electricity company
    login_with_second_factor(client, staff)
    response = client.post(CALL_CENTER, {"bill_id": subscription.bill_id, "mobile": MOBILE})
    assert response.status_code == 400
    assert "این اشتراک متعلق به شرکت دیگری است" in page(response)
    lookup = client.get(CALL_CENTER, {"bill_id": subscription.bill_id})
    assert lookup.status_code == 400 and "شرکت دیگری" in page(lookup)
    assert not OutageReport.objects.exists() and not OutboxMessage.objects.exists()


def test_system_admin_serves_every_company(client, feeder):
    subscription = fed_subscription(feeder)
    admin = add_role(StaffFactory(office=DistrictOfficeFactory()), roles.SYSTEM_ADMINISTRATOR)
    login_with_second_factor(client, admin)
    response = client.post(CALL_CENTER, {"bill_id": subscription.bill_id, "mobile": MOBILE})
    assert response.status_code == 302 and OutageReport.objects.count() == 1


def test_console_bad_input_saves_nothing(client, feeder):
    login_with_second_factor(client, operator(feeder.office))
    response = client.post(CALL_CENTER, {"bill_id": "123", "mobile": "abc"})
    assert response.status_code == 400
    body = page(response)
    assert "شناسه قبض" in body and "تلفن همراه تماس‌گیرنده" in body
    assert not OutageReport.objects.exists()


def test_console_lookup_shows_feeder_status(client, feeder):
    subscription = fed_subscription(feeder)
    login_with_second_factor(client, operator(feeder.office, roles.OFFICE_CLERK))
    quiet = page(client.get(CALL_CENTER, {"bill_id": fa(subscription.bill_id)}))
    assert "حادثه بازی برای این فیدر ثبت نشده است" in quiet
    assert f'value="{subscription.bill_id}"' in quiet  # carried into the filing form
    now = timezone.now()
    ScheduledOutageFactory(
        feeder=feeder, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )
    planned = page(client.get(CALL_CENTER, {"bill_id": subscription.bill_id}))
    assert "خاموشی برنامه‌ریزی‌شده تا" in planned and "تعمیرات شبکه" in planned


# --- alerts -----------------------------------------------------------------------------------


def test_alerts_need_login(client):
    response = client.get(ALERTS)
    assert response.status_code == 302 and "login" in response["Location"]


def test_alerts_switch_off_and_on(client):
    user = UserFactory()
    client.force_login(user)
    assert "روشن" in page(client.get(ALERTS))
    response = client.post(ALERTS, {"alerts": "off"}, follow=True)
    assert "خاموش شد" in page(response)
    assert OutageAlertOptOut.objects.filter(user=user).exists()
    assert re.search(r'id="alerts-state">خاموش<', page(response))
    response = client.post(ALERTS, {"alerts": "on"}, follow=True)
    assert "روشن شد" in page(response)
    assert not OutageAlertOptOut.objects.filter(user=user).exists()
    bad = client.post(ALERTS, {"alerts": "maybe"}, follow=True)
    assert "روشن یا خاموش" in page(bad)


def test_too_many_codes_for_one_mobile_is_a_friendly_429(client, feeder):
    subscription = fed_subscription(feeder)
    for _ in range(3):  # the OTP service allows three sends per mobile in ten minutes
        assert (
            client.post(REPORT, {"bill_id": subscription.bill_id, "mobile": MOBILE}).status_code
            == 302
        )
    response = client.post(REPORT, {"bill_id": subscription.bill_id, "mobile": MOBILE})
    assert response.status_code == 429
    assert "برای این شماره به اندازه کافی کد ارسال شده است" in page(response)
    assert OtpChallenge.objects.count() == 3
