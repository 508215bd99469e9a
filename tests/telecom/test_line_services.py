"""The 15 line services of seed 002 as request types: filing rules per service, owner vs
tenant, not-activated lines, at-once toggles (flags + exactly one SMS), the charged
second-zero block completing only after a sandbox-gateway payment, staged services in the
line's telephone-center queue, the 2828 PIN never stored in clear, and field errors that name
the field."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jdatetime
import pytest
from django.apps import apps as django_apps
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.demo import SeedContext
from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError
from requests_app.models import Channel, Payment, RequestEvent, RequestType, ServiceRequest, Status
from requests_app.selectors.requests import requests_for_staff
from requests_app.services import workflow as wf
from subscribers.models import SubscriptionLink
from telecom.demo.services import CATALOG, seed_line_services
from telecom.models import PhoneLine, SpecialService
from telecom.services import line_services as ls
from tests.billing.factories import BillFactory
from tests.factories import SubscriptionLinkFactory, UserFactory
from tests.requests_app.factories import office_staff
from tests.telecom.factories import PhoneLineFactory, TelephoneCenterFactory, activated_link

pytestmark = pytest.mark.django_db

CALLBACK = reverse("requests_app:payment-callback")


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def types() -> dict[str, RequestType]:
    """The catalog as migration 0006 installs it: no seed_demo."""
    return {t.code: t for t in RequestType.objects.filter(code__startswith="tel-")}


@pytest.fixture
def line() -> PhoneLine:
    return PhoneLineFactory()


@pytest.fixture
def owner(line):
    return activated_link(line=line).user


@pytest.fixture
def tenant(line):
    today = timezone.localdate()
    return activated_link(
        line=line,
        role=SubscriptionLink.Role.TENANT,
        lease_start=today - dt.timedelta(days=30),
        lease_end=today + dt.timedelta(days=200),
    ).user


def file(types, code, user, line, channel=Channel.WEB, **fields) -> ServiceRequest:
    return wf.request_file(
        request_type=types[code],
        applicant=user,
        actor=user,
        channel=channel,
        subscription=line.subscription,
        fields=fields,
    )


def sms(user) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient=user.mobile).order_by("id"))


def refused(types, code, user, line, **fields) -> PortalError:
    before = ServiceRequest.objects.count()
    with pytest.raises(PortalError) as exc:
        file(types, code, user, line, **fields)
    assert ServiceRequest.objects.count() == before  # nothing half-saved
    return exc.value


def jalali(day: dt.date) -> str:
    return to_persian_digits(jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d"))


# --- the catalog ----------------------------------------------------------------------------


def test_a_migrated_database_has_the_sixteen_types_without_seed_demo(types):
    assert len(types) == 16  # second zero: charged block and free unblock are two types
    assert all(t.behaviour == RequestType.Behaviour.LINE_SERVICE for t in types.values())
    assert all(t.company_kind == RequestType.CompanyKind.TELECOM for t in types.values())
    assert all(t.is_active and t.needs_subscription for t in types.values())
    assert set(types) == set(ls.RULES)  # every code the rules use, and no other
    for t in types.values():
        t.full_clean()  # schema valid, at-once types have no staff stage
    at_once = {c for c, t in types.items() if t.completes_at_once}
    assert at_once == {
        ls.CDR, ls.SMART_CDR, ls.SPECIAL_SERVICES, ls.DIRECTORY_118, ls.SECOND_ZERO_BLOCK,
        ls.SECOND_ZERO_UNBLOCK, ls.DISCONNECT, ls.PIN_2828, ls.SMS_SERVICE, ls.DUPLICATE_BILL,
    }  # fmt: skip
    assert types[ls.SECOND_ZERO_BLOCK].stages == ["payment"]
    assert types[ls.NUMBER_CHANGE].stages == ["payment", "approval"]


def test_the_install_step_never_overwrites_an_existing_type(types):
    """A type an administrator edited stays as it is; only missing codes are created, so a
    second run (or seed_demo on an installed database) changes nothing."""
    RequestType.objects.filter(code=ls.ADSL).update(title="ADSL ویژه", fee_web=5_000, order=7)
    RequestType.objects.filter(code=ls.SMART_CDR).delete()
    assert CATALOG.create_line_services(django_apps) == 1
    adsl = RequestType.objects.get(code=ls.ADSL)
    assert (adsl.title, adsl.fee_web, adsl.order) == ("ADSL ویژه", 5_000, 7)
    assert RequestType.objects.get(code=ls.SMART_CDR).completes_at_once
    ctx = SeedContext(rng=random.Random(1))
    seed_line_services(ctx)
    assert ctx.stats["unchanged"] == 16 and not ctx.stats["created"] and not ctx.stats["updated"]


def test_seed_demo_puts_back_the_types_a_flushed_database_lost():
    RequestType.objects.filter(code__startswith="tel-").delete()
    ctx = SeedContext(rng=random.Random(1))
    seed_line_services(ctx)
    assert ctx.stats["created"] == 16
    assert set(
        RequestType.objects.filter(code__startswith="tel-").values_list("code", flat=True)
    ) == set(ls.RULES)


def test_the_frozen_spec_needs_no_live_code():
    """A migration must mean the same thing forever: it imports nothing from the project."""
    source = Path(CATALOG.__file__).read_text(encoding="utf-8")
    imports = {
        line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))
    }
    assert imports <= {"__future__", "django.db"}


NEW_ADDRESS = "تبریز، خیابان امام، کوچه ۱۲، پلاک ۳"
FIXED_ADDRESS = "تبریز، خیابان ولیعصر، پلاک ۹"
# Valid fields of every service (the trace's date is filled in by ``valid``).
VALID = {
    ls.CDR: {}, ls.SMART_CDR: {}, ls.PIN_2828: {}, ls.DUPLICATE_BILL: {},
    ls.SECOND_ZERO_BLOCK: {}, ls.SECOND_ZERO_UNBLOCK: {},
    ls.SPECIAL_SERVICES: {"service": "call_waiting", "action": "on"},
    ls.DIRECTORY_118: {"action": "off"}, ls.SMS_SERVICE: {"action": "on"},
    ls.DISCONNECT: {"action": "disconnect"},
    ls.HARASSMENT_TRACE: {"call_date": "", "time_from": "22:00", "time_to": "23:00"},
    ls.RELOCATION_CHECK: {"new_address": NEW_ADDRESS, "postal_code": "5135733333"},
    ls.ADDRESS_CORRECTION: {"correct_address": FIXED_ADDRESS, "postal_code": "۵۱۳۵۷۳۳۳۳۴"},
    ls.ADSL: {"plan": "16"}, ls.FAULT_REPORT: {"fault": "no_tone"},
    ls.NUMBER_CHANGE: {"reason": "harassment"},
}  # fmt: skip


def valid(code: str) -> dict:
    fields = dict(VALID[code])
    if "call_date" in fields:
        fields["call_date"] = jalali(timezone.localdate() - dt.timedelta(days=1))
    return fields


@pytest.mark.parametrize("code", sorted(ls.RULES))
def test_every_installed_type_can_be_filed_by_the_owner(types, line, owner, code):
    """On the migrated catalog alone, each of the 16 types files through the engine."""
    if code == ls.SECOND_ZERO_UNBLOCK:
        PhoneLine.objects.filter(pk=line.pk).update(second_zero_blocked=True)
    if code == ls.DUPLICATE_BILL:
        BillFactory(subscription=line.subscription)
    req = file(types, code, owner, line, **valid(code))
    assert req.request_type.code == code
    if "payment" in types[code].stages:
        assert req.status == Status.AWAITING_PAYMENT
    elif types[code].completes_at_once:
        assert req.status == Status.COMPLETED
    else:
        assert req.status in (Status.SUBMITTED, Status.APPROVAL)  # in the center's queue


# --- activation and owner-only --------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(ls.RULES))
def test_a_line_without_activation_is_refused_for_every_service(types, line, code):
    user = UserFactory()
    SubscriptionLinkFactory(user=user, subscription=line.subscription, role="owner")
    error = refused(types, code, user, line, **valid(code))
    assert error.code == "line_not_activated"
    assert "مراکز تلفن" in error.fields["subscription"][0]


def test_someone_elses_line_is_not_found(types, line, owner):
    with pytest.raises(NotFound):
        file(types, ls.SMS_SERVICE, UserFactory(), line, action="on")


OWNER_ONLY = {
    ls.HARASSMENT_TRACE,
    ls.RELOCATION_CHECK,
    ls.DIRECTORY_118,
    ls.SECOND_ZERO_UNBLOCK,
    ls.NUMBER_CHANGE,
    ls.ADDRESS_CORRECTION,
    ls.DISCONNECT,
    ls.PIN_2828,
}


@pytest.mark.parametrize("code", sorted(OWNER_ONLY))
def test_owner_only_services_refuse_a_tenant_naming_the_field(types, line, tenant, code):
    error = refused(types, code, tenant, line, **valid(code))
    assert error.code == "owner_only"
    assert "مستأجر" in error.fields["subscription"][0]


def test_tenant_may_use_the_services_open_to_users(types, line, tenant):
    assert {c for c, t in types.items() if not t.tenant_allowed} == OWNER_ONLY
    req = file(types, ls.SMS_SERVICE, tenant, line, action="on")
    assert req.status == Status.COMPLETED


def test_request_page_tells_the_applicant_what_an_at_once_service_changed(
    types, line, tenant, client
):
    req = file(types, ls.SMS_SERVICE, tenant, line, action="on")
    client.force_login(tenant)
    page = client.get(reverse("requests_app:request-detail", args=[req.number])).content.decode()
    assert "سرویس پیامک خط" in page  # the completion note, not only «انجام شده»


# --- at-once toggles ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "fields", "flag", "value", "text"),
    [
        (ls.DIRECTORY_118, {"action": "off"}, "directory_listed", False, "۱۱۸"),
        (ls.SMS_SERVICE, {"action": "on"}, "sms_service", True, "پیامک"),
        (ls.SECOND_ZERO_UNBLOCK, {}, "second_zero_blocked", False, "صفر دوم"),
        (ls.DISCONNECT, {"action": "disconnect"}, "status", PhoneLine.Status.DISCONNECTED, "قطع"),
    ],
)
def test_at_once_toggle_updates_the_line_and_sends_exactly_one_sms(
    types, line, owner, code, fields, flag, value, text
):
    if code == ls.SECOND_ZERO_UNBLOCK:
        PhoneLine.objects.filter(pk=line.pk).update(second_zero_blocked=True)
    req = file(types, code, owner, line, **fields)
    assert req.status == Status.COMPLETED and req.closed_at is not None
    line.refresh_from_db()
    assert getattr(line, flag) == value
    messages = sms(owner)
    assert len(messages) == 1
    assert text in messages[0].text and to_persian_digits(req.number) in messages[0].text
    events = list(req.events.order_by("id"))
    assert [e.new_status for e in events] == [Status.SUBMITTED, Status.COMPLETED]
    assert events[-1].actor_role == "system" and text in events[-1].note


def test_toggle_to_the_state_the_line_has_is_refused(types, line, owner):
    error = refused(types, ls.DIRECTORY_118, owner, line, action="on")  # listed by default
    assert error.code == "already_in_state" and "۱۱۸" in error.fields["action"][0]
    error = refused(types, ls.SECOND_ZERO_UNBLOCK, owner, line)
    assert "باز" in error.fields["subscription"][0]
    error = refused(types, ls.DISCONNECT, owner, line, action="reconnect")
    assert "action" in error.fields
    assert sms(owner) == []


def test_special_services_switch_the_chosen_one(types, line, owner):
    file(types, ls.SPECIAL_SERVICES, owner, line, service="call_waiting", action="on")
    file(types, ls.SPECIAL_SERVICES, owner, line, service="caller_id", action="on")
    line.refresh_from_db()
    assert line.special_services == ["call_waiting", "caller_id"]
    file(types, ls.SPECIAL_SERVICES, owner, line, service="call_waiting", action="off")
    line.refresh_from_db()
    assert line.special_services == ["caller_id"]
    error = refused(types, ls.SPECIAL_SERVICES, owner, line, service="caller_id", action="on")
    assert str(SpecialService.CALLER_ID.label) in error.fields["action"][0]
    assert len(sms(owner)) == 3


def test_reconnect_is_refused_while_the_last_bill_is_overdue(types, line, owner):
    PhoneLine.objects.filter(pk=line.pk).update(status=PhoneLine.Status.DISCONNECTED)
    BillFactory(subscription=line.subscription, due_date=timezone.localdate() - dt.timedelta(1))
    error = refused(types, ls.DISCONNECT, owner, line, action="reconnect")
    assert error.code == "bill_unpaid"


def test_reconnect_restores_the_line(types, line, owner):
    PhoneLine.objects.filter(pk=line.pk).update(status=PhoneLine.Status.DISCONNECTED)
    file(types, ls.DISCONNECT, owner, line, action="reconnect")
    line.refresh_from_db()
    assert line.status == PhoneLine.Status.ACTIVE


# --- the charged second-zero block ------------------------------------------------------


def _pay_through_sandbox(client, req) -> None:
    payment = Payment.objects.get(request=req)
    url = reverse("requests_app:payment-start", args=[req.number, payment.pk])
    bank_url = client.post(url)["Location"]
    bank = Client()
    assert bank.get(bank_url).status_code == 200
    back = parse_qs(urlparse(bank_url).query)["back"][0]
    callback = bank.post(urlparse(bank_url).path, {"action": "pay", "back": back})["Location"]
    assert client.get(callback).status_code == 302


def test_second_zero_block_completes_only_after_payment(types, line, tenant, client):
    req = file(types, ls.SECOND_ZERO_BLOCK, tenant, line)
    assert req.status == Status.AWAITING_PAYMENT
    line.refresh_from_db()
    assert line.second_zero_blocked is False
    assert len(sms(tenant)) == 1  # "pay the fee"
    client.force_login(tenant)
    _pay_through_sandbox(client, req)
    req.refresh_from_db()
    line.refresh_from_db()
    assert req.status == Status.COMPLETED
    assert line.second_zero_blocked is True
    messages = sms(tenant)
    assert len(messages) == 2 and "صفر دوم" in messages[-1].text and "بسته" in messages[-1].text


def test_a_paid_block_completes_even_if_the_line_was_blocked_meanwhile(types, line, owner):
    req = file(types, ls.SECOND_ZERO_BLOCK, owner, line)
    PhoneLine.objects.filter(pk=line.pk).update(second_zero_blocked=True)  # by staff
    payment = Payment.objects.get(request=req)
    Payment.objects.filter(pk=payment.pk).update(
        state=Payment.State.PAID, reference="1" * 12, paid_at=timezone.now()
    )
    wf.request_payments_changed(request=req)
    req.refresh_from_db()
    assert req.status == Status.COMPLETED  # the money is never refused


def test_unblock_of_a_blocked_line_is_free(types, line, owner):
    PhoneLine.objects.filter(pk=line.pk).update(second_zero_blocked=True)
    req = file(types, ls.SECOND_ZERO_UNBLOCK, owner, line)
    assert not req.payments.exists() and req.status == Status.COMPLETED


# --- staged services ------------------------------------------------------------------------


STAGED = {code: VALID[code] for code in (
    ls.RELOCATION_CHECK, ls.ADDRESS_CORRECTION, ls.ADSL, ls.FAULT_REPORT, ls.NUMBER_CHANGE
)}  # fmt: skip


@pytest.mark.parametrize("code", sorted(STAGED))
def test_staged_services_reach_the_queue_of_the_lines_center(types, line, owner, code):
    req = file(types, code, owner, line, **STAGED[code])
    assert req.status in (Status.SUBMITTED, Status.AWAITING_PAYMENT)
    assert req.office_id == line.subscription.office_id
    clerk = office_staff(line.subscription.office)
    assert requests_for_staff(user=clerk).filter(pk=req.pk).exists()
    outsider = office_staff(TelephoneCenterFactory())
    assert not requests_for_staff(user=outsider).filter(pk=req.pk).exists()
    assert len(sms(owner)) == 1  # the submitted SMS only


def test_fault_report_marks_the_line_faulty_until_completed(types, line, owner):
    req = file(types, ls.FAULT_REPORT, owner, line, fault="noise")
    line.refresh_from_db()
    assert line.status == PhoneLine.Status.FAULTY
    clerk = office_staff(line.subscription.office)
    wf.request_schedule_visit(
        request=req, actor=clerk, date=timezone.localdate(),
        window_start=dt.time(9), window_end=dt.time(12), inspector=clerk,
    )  # fmt: skip
    req.refresh_from_db()
    req = wf.request_record_visit(request=req, actor=clerk, done=True)
    wf.request_complete(request=req, actor=clerk)
    line.refresh_from_db()
    req.refresh_from_db()
    assert req.status == Status.COMPLETED and line.status == PhoneLine.Status.ACTIVE
    texts = [m.text for m in sms(owner)]
    assert sum("انجام شد" in t for t in texts) == 1 and "خرابی" in texts[-1]


def test_a_cancelled_fault_report_gives_the_status_back(types, line, owner):
    req = file(types, ls.FAULT_REPORT, owner, line, fault="noise")
    wf.request_cancel(request=req, actor=owner)
    line.refresh_from_db()
    assert line.status == PhoneLine.Status.ACTIVE


def test_fault_report_on_a_disconnected_line_is_refused(types, line, owner):
    PhoneLine.objects.filter(pk=line.pk).update(status=PhoneLine.Status.DISCONNECTED)
    error = refused(types, ls.FAULT_REPORT, owner, line, fault="noise")
    assert "وصل مجدد" in error.fields["subscription"][0]


def test_adsl_sets_the_flag_when_staff_complete_it(types, line, tenant):
    req = file(types, ls.ADSL, tenant, line, plan="8")
    clerk = office_staff(line.subscription.office)
    wf.request_complete(request=req, actor=clerk)
    line.refresh_from_db()
    assert line.adsl is True
    assert "ADSL" in sms(tenant)[-1].text
    assert refused(types, ls.ADSL, tenant, line, plan="8").code == "already_in_state"


def test_address_correction_updates_the_installation_address(types, line, owner):
    req = file(types, ls.ADDRESS_CORRECTION, owner, line, **valid(ls.ADDRESS_CORRECTION))
    assert req.fields["postal_code"] == "5135733334"  # Persian digits accepted
    clerk = office_staff(line.subscription.office)
    wf.request_schedule_visit(
        request=req, actor=clerk, date=timezone.localdate(),
        window_start=dt.time(9), window_end=dt.time(12), inspector=clerk,
    )  # fmt: skip
    req.refresh_from_db()
    req = wf.request_record_visit(request=req, actor=clerk, done=True)
    wf.request_complete(request=req, actor=clerk)
    line.subscription.refresh_from_db()
    assert line.subscription.address == normalize_digits(FIXED_ADDRESS)
    assert line.subscription.postal_code == "5135733334"


def test_number_change_takes_the_new_number_from_the_approval_note(types, line, owner):
    req = file(types, ls.NUMBER_CHANGE, owner, line, reason="personal")
    assert req.status == Status.AWAITING_PAYMENT
    payment = Payment.objects.get(request=req)
    Payment.objects.filter(pk=payment.pk).update(
        state=Payment.State.PAID, reference="2" * 12, paid_at=timezone.now()
    )
    wf.request_payments_changed(request=req)
    req.refresh_from_db()
    assert req.status == Status.APPROVAL
    supervisor = office_staff(line.subscription.office, supervisor=True)
    with pytest.raises(PortalError) as exc:
        wf.request_approve(request=req, actor=supervisor, note="تأیید شد")
    assert "note" in exc.value.fields
    req.refresh_from_db()
    assert req.status == Status.APPROVAL  # nothing half-done
    new = line.number[:4] + "9999999"
    wf.request_approve(request=req, actor=supervisor, note=f"شماره جدید {to_persian_digits(new)}")
    line.refresh_from_db()
    assert line.number == new
    assert to_persian_digits(new) in sms(owner)[-1].text


# --- harassment tracing (owner only, windows) -----------------------------------------------


def test_harassment_trace_checks_its_windows(types, line, owner):
    today = timezone.localdate()
    ok = {"call_date": jalali(today - dt.timedelta(days=2)), "time_from": "۲۲:۰۰",
          "time_to": "23:30"}  # fmt: skip
    error = refused(types, ls.HARASSMENT_TRACE, owner, line, **{**ok, "time_to": "21:00"})
    assert "time_to" in error.fields and "بعد از" in error.fields["time_to"][0]
    error = refused(types, ls.HARASSMENT_TRACE, owner, line, **{**ok, "time_from": "25:00"})
    assert "time_from" in error.fields
    tomorrow = jalali(today + dt.timedelta(days=1))
    error = refused(types, ls.HARASSMENT_TRACE, owner, line, **{**ok, "call_date": tomorrow})
    assert "آینده" in error.fields["call_date"][0]
    error = refused(types, ls.HARASSMENT_TRACE, owner, line, **{**ok, "call_date": "1403/13/01"})
    assert "call_date" in error.fields
    error = refused(types, ls.HARASSMENT_TRACE, owner, line, **{**ok, "call_date_2": "1403/01/01"})
    assert "time_from_2" in error.fields or "call_date_2" in error.fields
    error = refused(types, ls.HARASSMENT_TRACE, owner, line)
    assert set(error.fields) >= {"call_date", "time_from", "time_to"}
    req = file(types, ls.HARASSMENT_TRACE, owner, line, **ok)
    assert req.status == Status.APPROVAL
    assert req.fields["time_from"] == "22:00" and req.fields["call_date"].isascii()


# --- call records, duplicate bill, 2828 ----------------------------------------------------


def test_call_record_provision_points_to_the_search(types, line, owner):
    today = timezone.localdate()
    req = file(types, ls.CDR, owner, line, from_date=jalali(today - dt.timedelta(days=20)),
               to_date=jalali(today), call_type="mobile")  # fmt: skip
    assert req.status == Status.COMPLETED
    [message] = sms(owner)
    assert "ریزمکالمات" in message.text and "جستجو" in message.text


def test_call_record_dates_are_checked(types, line, owner, tenant):
    today = timezone.localdate()
    error = refused(types, ls.CDR, owner, line, from_date=jalali(today),
                    to_date=jalali(today - dt.timedelta(days=3)))  # fmt: skip
    assert "to_date" in error.fields
    error = refused(types, ls.CDR, owner, line, from_date="۱۴۰۳/۰۲/۳۵")
    assert "from_date" in error.fields
    # A tenant cannot ask for calls that all lie before the lease.
    error = refused(types, ls.CDR, tenant, line, from_date=jalali(today - dt.timedelta(days=90)),
                    to_date=jalali(today - dt.timedelta(days=60)))  # fmt: skip
    assert "اجاره" in error.fields["to_date"][0]


def test_smart_service_call_records(types, line, tenant):
    req = file(types, ls.SMART_CDR, tenant, line)
    assert req.status == Status.COMPLETED and req.fields["call_type"] == "smart"
    assert "هوشمند" in sms(tenant)[0].text


def test_duplicate_bill_points_to_the_latest_bills_pdf(types, line, owner):
    assert refused(types, ls.DUPLICATE_BILL, owner, line).code == "no_bill"
    BillFactory(subscription=line.subscription, year=1403, period=1)
    latest = BillFactory(subscription=line.subscription, year=1403, period=2)
    req = file(types, ls.DUPLICATE_BILL, owner, line)
    assert req.status == Status.COMPLETED
    [message] = sms(owner)
    assert reverse("billing:bill-pdf", kwargs={"uid": latest.uid}) in message.text


def test_2828_pin_is_sent_once_and_never_stored_in_clear(types, line, owner):
    req = file(types, ls.PIN_2828, owner, line)
    assert req.status == Status.COMPLETED
    [message] = sms(owner)
    pin = message.tokens["token"]
    assert pin.isdigit() and len(pin) == ls.PIN_DIGITS
    assert message.secret  # erased from the outbox once sent (SMS_ERASE_SECRETS)
    req.refresh_from_db()
    assert check_password(pin, req.fields["pin_hash"])
    stored = [str(v) for v in req.fields.values()]
    assert all(pin not in value for value in stored)
    notes = " ".join(RequestEvent.objects.filter(request=req).values_list("note", flat=True))
    assert pin not in notes and "۲۸۲۸" in notes
    # A second PIN replaces the first (a new request, a new hash).
    again = file(types, ls.PIN_2828, owner, line)
    assert again.fields["pin_hash"] != req.fields["pin_hash"]


# --- web and API filing --------------------------------------------------------------------


def test_web_form_renders_the_fields_and_persian_errors(types, line, owner, client):
    client.force_login(owner)
    url = reverse("requests_app:request-create", args=[ls.HARASSMENT_TRACE])
    page = client.get(url).content.decode()
    assert "تاریخ تماس‌های مزاحم" in page and "از ساعت" in page
    response = client.post(url, {"subscription": line.subscription_id, "call_date": "1403/01/01",
                                 "time_from": "10:00", "time_to": "09:00"})  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert "بیش از" in body or "بعد از" in body


def test_web_filing_of_an_at_once_toggle(types, line, owner, client):
    client.force_login(owner)
    url = reverse("requests_app:request-create", args=[ls.SMS_SERVICE])
    response = client.post(url, {"subscription": line.subscription_id, "action": "on"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.sms_service is True
    page = client.get(response["Location"]).content.decode()
    assert "انجام شده" in page


def test_web_form_offers_only_activated_lines(types, line, owner, client):
    """A linked line without the in-person activation is not offered (the engine's
    «activate at a telephone center» check stays the guard); electricity-style types still
    offer every own subscription of their kind."""
    idle = PhoneLineFactory()
    SubscriptionLinkFactory(user=owner, subscription=idle.subscription, role="owner")
    client.force_login(owner)
    url = reverse("requests_app:request-create", args=[ls.SMS_SERVICE])
    form = client.get(url).context["form"]
    assert list(form.fields["subscription"].queryset) == [line.subscription]
    page = client.get(url).content.decode()
    assert "مرکز تلفن" in page  # the field's help says why others are missing
    # Posting the idle line anyway is refused on the field, naming the telephone center.
    response = client.post(url, {"subscription": idle.subscription_id, "action": "on"})
    assert response.status_code == 400
    assert "مراکز تلفن" in response.context["form"].errors["subscription"][0]
    assert not ServiceRequest.objects.exists()


def test_web_form_without_an_activated_line_says_where_to_activate(types, line, client):
    user = UserFactory()
    SubscriptionLinkFactory(user=user, subscription=line.subscription, role="owner")
    client.force_login(user)
    url = reverse("requests_app:request-create", args=[ls.SMS_SERVICE])
    response = client.get(url)
    assert list(response.context["form"].fields["subscription"].queryset) == []
    page = response.content.decode()
    assert reverse("telecom:lines") in page and "مراکز تلفن" in page


def test_api_lists_only_activated_lines_for_a_line_service(types, line, owner, tenant):
    idle = PhoneLineFactory()
    SubscriptionLinkFactory(user=owner, subscription=idle.subscription, role="owner")
    api = Client()
    api.force_login(owner)
    url = reverse("requests_api:request-type-subscriptions", args=[ls.SMS_SERVICE])
    response = api.get(url)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [line.subscription_id]
    assert response.json()[0]["subscription_number"] == line.subscription.subscription_number
    # Someone without an activated line gets an empty list, not someone else's lines.
    outsider = UserFactory()
    SubscriptionLinkFactory(user=outsider, subscription=idle.subscription, role="tenant",
                            lease_end=timezone.localdate() + dt.timedelta(days=200))  # fmt: skip
    api.force_login(outsider)
    assert api.get(url).json() == []
    assert (
        api.get(reverse("requests_api:request-type-subscriptions", args=["nope"])).status_code
        == 404
    )
    # The filing endpoint keeps the server-side guard for a line that is not activated.
    api.force_login(owner)
    response = api.post(
        "/api/v1/requests/",
        {"type": ls.SMS_SERVICE, "subscription": idle.subscription_id, "fields": {"action": "on"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "مراکز تلفن" in response.json()["error"]["fields"]["subscription"][0]


def test_api_choices_query_count_does_not_grow(types, owner, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = Client()
    api.force_login(owner)
    url = reverse("requests_api:request-type-subscriptions", args=[ls.SMS_SERVICE])
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(url).json()) == 1
    for _ in range(9):
        activated_link(line=PhoneLineFactory(), user=owner)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get(url).json()) == 10
    assert len(one.captured_queries) <= 8


def test_api_filing(types, line, owner, tenant):
    api = Client()
    api.force_login(owner)
    response = api.post(
        "/api/v1/requests/",
        {"type": ls.DIRECTORY_118, "subscription": line.subscription_id,
         "fields": {"action": "off"}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["status"] == Status.COMPLETED
    response = api.post(
        "/api/v1/requests/",
        {"type": ls.DIRECTORY_118, "subscription": line.subscription_id,
         "fields": {"action": "off"}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "action" in response.json()["error"]["fields"]
    api.force_login(tenant)
    response = api.post(
        "/api/v1/requests/",
        {"type": ls.PIN_2828, "subscription": line.subscription_id},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "subscription" in response.json()["error"]["fields"]
