"""Self meter reading (ثبت کارکرد): checks, filing through the request engine, the
provisional bill after staff approval, its SMS, and the web page and API."""

from __future__ import annotations

import datetime as dt
import io

import jdatetime
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from billing.models import Bill
from billing.services.readings import provisional_bill_issue, reading_submit
from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import is_valid_payment_id, payment_id_matches
from requests_app.demo import REQUEST_TYPES, request_type_values
from requests_app.models import (
    Channel,
    RequestDocument,
    RequestType,
    RequiredDocument,
    ServiceRequest,
    Status,
)
from requests_app.services import workflow as wf
from subscribers.middleware import ON_BEHALF_SESSION_KEY
from subscribers.models import OnBehalfSession
from subscribers.services.kiosk import kiosk_session_start
from tests.billing.factories import BillFactory, paid, residential_electricity_tariff
from tests.factories import (
    DistrictOfficeFactory,
    KioskOperatorFactory,
    StaffFactory,
    UserFactory,
    login_with_second_factor,
)
from tests.requests_app.factories import office_staff, owned_subscription

pytestmark = pytest.mark.django_db


# --- helpers shared with test_settlement -------------------------------------------------------


def seeded_type(code: str) -> RequestType:
    """The request type exactly as requests_app.demo seeds it (fields, stages, documents)."""
    spec = next(s for s in REQUEST_TYPES if s["code"] == code)
    request_type = RequestType.objects.create(code=code, **request_type_values(spec))
    for order, (title, applies_to, mandatory) in enumerate(spec.get("documents", ())):
        RequiredDocument.objects.create(
            request_type=request_type,
            title=title,
            applies_to=applies_to,
            mandatory=mandatory,
            order=order,
        )
    return request_type


def previous_jalali_month(months_back: int = 1) -> tuple[int, int]:
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    index = today.year * 12 + today.month - 1 - months_back
    return index // 12, index % 12 + 1


def bill_history(
    subscription, *, last_reading: int = 1250, months: int = 2, ends_back: int = 1
) -> Bill:
    """``months`` monthly periodic bills ending ``ends_back`` Jalali months ago (last month's
    by default; 250 units each); returns the latest, whose current reading is
    ``last_reading``."""
    latest = None
    for back in range(months + ends_back - 1, ends_back - 1, -1):
        year, month = previous_jalali_month(back)
        current = last_reading - 250 * (back - ends_back)
        latest = BillFactory(
            subscription=subscription,
            year=year,
            period=month,
            previous_reading=current - 250,
            consumption=250,
        )
    return latest


def jalali_text(day: dt.date, *, persian: bool = False) -> str:
    text = jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")
    return to_persian_digits(text) if persian else text


def colour_png(size=(800, 700), name="meter.png") -> SimpleUploadedFile:
    image = Image.new("RGB", size, (20, 120, 200))
    ImageDraw.Draw(image).rectangle((50, 50, 300, 200), fill=(200, 30, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def bill_sms() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=OutboxMessage.Kind.BILL_NOTICE))


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def reading_type():
    residential_electricity_tariff()
    return seeded_type("elec-self-reading")


@pytest.fixture
def owner(reading_type):
    user, subscription = owned_subscription(tariff="خانگی")
    return user, subscription, bill_history(subscription)


@pytest.fixture
def owner_last_month_unbilled(reading_type):
    """Bills up to the month before last, so two readings fit into last month (a whole
    Jalali month in the past, whatever today's date)."""
    user, subscription = owned_subscription(tariff="خانگی")
    last = bill_history(subscription, ends_back=2)
    year, month = previous_jalali_month(1)
    first_day = jdatetime.date(year, month, 1).togregorian()
    return user, subscription, last, first_day, first_day + dt.timedelta(days=1)


@pytest.fixture
def supervisor(owner):
    return office_staff(owner[1].office, supervisor=True)


def _submit(user, subscription, **overrides) -> ServiceRequest:
    values = {
        "subscription": subscription,
        "reading": 1260,
        "read_on": timezone.localdate(),
        "actor": user,
        "channel": Channel.WEB,
    }
    values.update(overrides)
    return reading_submit(**values)


# --- submitting ------------------------------------------------------------------------------


def test_owner_files_a_self_reading_request_with_the_reading_in_its_fields(owner):
    user, subscription, _last = owner
    today = jalali_text(timezone.localdate(), persian=True)
    req = _submit(user, subscription, reading="۱۲۶۰", read_on=today)
    assert req.request_type.behaviour == RequestType.Behaviour.SELF_READING
    assert (req.applicant, req.subscription, req.channel) == (user, subscription, Channel.WEB)
    assert req.fields == {
        "reading": 1260,
        "read_on": jalali_text(timezone.localdate()),
        "rollover": "no",
    }
    # No photo: straight to the supervisor's approval.
    assert req.status == Status.APPROVAL
    assert "۱۲۵۰" in req.description  # the previous reading, for the approving staff
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REQUEST_STATUS).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "needle"),
    [
        ({"reading": ""}, "reading", "وارد کنید"),
        ({"reading": "12.5"}, "reading", "عدد صحیح"),
        ({"reading": "abc"}, "reading", "عدد صحیح"),
        ({"reading": "-5"}, "reading", "عدد صحیح"),
        ({"read_on": ""}, "read_on", "تاریخ قرائت"),
        ({"read_on": "1405/13/40"}, "read_on", "معتبر نیست"),
        ({"read_on": "tomorrow"}, "read_on", "معتبر نیست"),
        ({"read_on": timezone.localdate() + dt.timedelta(days=1)}, "read_on", "بعد از امروز"),
        ({"reading": 1200}, "reading", "کمتر است"),
        ({"reading": 1250 + 100_000}, "reading", "مصرف معمول"),
    ],
)
def test_bad_readings_are_refused_naming_the_field_and_nothing_is_saved(
    owner, overrides, field, needle
):
    user, subscription, _last = owner
    with pytest.raises(PortalError) as caught:
        _submit(user, subscription, **overrides)
    assert field in caught.value.fields
    assert needle in " ".join(caught.value.fields[field])
    assert not ServiceRequest.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_date_not_after_the_last_bill_is_refused(owner):
    user, subscription, last = owner
    with pytest.raises(PortalError) as caught:
        _submit(user, subscription, read_on=last.period_end)
    assert "پایان دوره آخرین قبض" in caught.value.fields["read_on"][0]
    assert not ServiceRequest.objects.exists()


def test_a_lower_reading_says_rollover_and_is_accepted_once_confirmed(owner, supervisor):
    user, subscription, last = owner
    Bill.objects.filter(pk=last.pk).update(previous_reading=99_700, current_reading=99_990)
    with pytest.raises(PortalError) as caught:
        _submit(user, subscription, reading=12)
    assert caught.value.code == "reading_below_previous"
    assert "دور زده" in caught.value.fields["reading"][0]
    req = _submit(user, subscription, reading=12, rollover_confirmed=True)
    assert req.fields["rollover"] == "yes"
    wf.request_approve(request=req, actor=supervisor)
    bill = Bill.objects.get(request=req)
    assert bill.consumption == 22  # 99,990 → 100,000 → 12
    assert (bill.previous_reading, bill.current_reading) == (99_990, 12)


def test_without_history_an_absolute_daily_cap_applies(reading_type):
    user, subscription = owned_subscription(tariff="خانگی")
    with pytest.raises(PortalError) as caught:
        _submit(user, subscription, reading=10**9)
    assert caught.value.code == "reading_implausible"
    assert _submit(user, subscription, reading=40).status == Status.APPROVAL


def test_a_telephone_line_cannot_take_a_reading(reading_type):
    user, subscription = owned_subscription(kind="telecom")
    with pytest.raises(PortalError) as caught:
        _submit(user, subscription)
    assert "bill_id" in caught.value.fields
    assert not ServiceRequest.objects.exists()


def test_a_tenant_may_submit(reading_type):
    user, subscription = owned_subscription(role="tenant", tariff="خانگی")
    bill_history(subscription)
    assert _submit(user, subscription).applicant == user


def test_another_subscriber_and_staff_get_not_found_and_nothing_is_saved(owner):
    _user, subscription, _last = owner
    for outsider in (UserFactory(), office_staff(DistrictOfficeFactory()), StaffFactory()):
        with pytest.raises(NotFound):
            _submit(outsider, subscription)
    assert not ServiceRequest.objects.exists()


def test_a_kiosk_operator_files_for_the_citizen_on_the_kiosk_channel(owner):
    user, subscription, _last = owner
    operator = KioskOperatorFactory()
    req = _submit(
        operator.user,
        subscription,
        on_behalf_of=user,
        channel=Channel.KIOSK,
        kiosk=operator.kiosk,
    )
    assert (req.applicant, req.channel, req.kiosk) == (user, Channel.KIOSK, operator.kiosk)
    event = req.events.get(new_status=Status.SUBMITTED)
    assert (event.actor, event.on_behalf_of) == (operator.user, user)


def test_a_photo_is_attached_as_the_optional_document_and_goes_to_review(owner):
    user, subscription, _last = owner
    req = _submit(user, subscription, photo=colour_png())
    document = RequestDocument.objects.get(request=req)
    assert document.content_type == "image/png"
    assert req.status == Status.DOCUMENTS_REVIEW


def test_a_bad_photo_is_refused_under_the_upload_rules_and_nothing_is_saved(owner):
    user, subscription, _last = owner
    grey = io.BytesIO()
    Image.new("L", (800, 700), 128).save(grey, "PNG")
    for photo in (
        SimpleUploadedFile("meter.png", grey.getvalue(), content_type="image/png"),
        SimpleUploadedFile("meter.png", b"MZ\x90\x00 not an image", content_type="image/png"),
        colour_png(size=(300, 200)),
    ):
        with pytest.raises(PortalError) as caught:
            _submit(user, subscription, photo=photo)
        assert "photo" in caught.value.fields
    assert not ServiceRequest.objects.exists()
    assert not RequestDocument.objects.exists()


def test_a_second_open_reading_for_the_same_subscription_is_refused(owner):
    user, subscription, _last = owner
    _submit(user, subscription)
    with pytest.raises(PortalError) as caught:
        _submit(user, subscription, reading=1270)
    assert caught.value.code == "duplicate_open_request"
    assert ServiceRequest.objects.count() == 1


# --- approval → provisional bill -------------------------------------------------------------


def test_approval_issues_a_provisional_bill_with_valid_ids_and_one_sms(owner, supervisor):
    user, subscription, last = owner
    read_on = timezone.localdate()
    req = _submit(user, subscription, reading=1262, read_on=read_on)
    wf.request_approve(request=req, actor=supervisor)

    bill = Bill.objects.get(request=req)
    year, month = (
        jdatetime.date.fromgregorian(date=read_on).year,
        jdatetime.date.fromgregorian(date=read_on).month,
    )
    assert (bill.kind, bill.status, bill.version) == (Bill.Kind.PROVISIONAL, "issued", 1)
    assert (bill.year, bill.period) == (year, month)
    assert bill.period_start == last.period_end + dt.timedelta(days=1)
    assert bill.period_end == read_on
    assert (bill.previous_reading, bill.current_reading, bill.consumption) == (1250, 1262, 12)
    assert bill.energy == 12 * 300
    assert bill.debt == last.amount  # the last bill is unpaid
    assert bill.amount % 1000 == 0
    assert bill.amount == (
        bill.energy + bill.subscription_fee + bill.tax + bill.duties + bill.debt + bill.adjustment
    )
    assert is_valid_payment_id(bill.payment_id, bill_id=subscription.bill_id)
    assert payment_id_matches(
        subscription.bill_id, bill.payment_id, amount_rial=bill.amount, jalali_year=year,
        period=month,
    )  # fmt: skip

    [sms] = bill_sms()
    assert sms.recipient == user.mobile
    for value in (bill.payment_id, subscription.bill_id):
        assert to_persian_digits(value) in sms.text
    assert to_persian_digits(f"{bill.amount:,}").replace(",", "٬") in sms.text


def test_the_hook_running_twice_makes_one_bill_and_one_sms(owner, supervisor):
    user, subscription, _last = owner
    req = _submit(user, subscription)
    wf.request_approve(request=req, actor=supervisor)
    req.refresh_from_db()
    first = Bill.objects.get(request=req)
    assert provisional_bill_issue(request=req) == first
    wf._on_completed(req)
    assert Bill.objects.filter(request=req).count() == 1
    assert len(bill_sms()) == 1


def test_staff_of_another_office_cannot_approve_and_no_bill_is_made(owner):
    user, subscription, _last = owner
    req = _submit(user, subscription)
    stranger = office_staff(DistrictOfficeFactory(company=subscription.company), supervisor=True)
    with pytest.raises(NotFound):
        wf.request_approve(request=req, actor=stranger)
    assert not Bill.objects.filter(request=req).exists()


def test_approval_without_a_valid_tariff_is_refused_and_nothing_changes(owner, supervisor):
    user, subscription, _last = owner
    req = _submit(user, subscription)
    from billing.models import Tariff

    Tariff.objects.all().delete()
    with pytest.raises(PortalError) as caught:
        wf.request_approve(request=req, actor=supervisor)
    assert caught.value.code == "tariff_missing"
    req.refresh_from_db()
    assert req.status == Status.APPROVAL
    assert not Bill.objects.filter(request=req).exists()
    assert not bill_sms()


def test_a_second_provisional_bill_in_the_month_supersedes_the_first(owner_last_month_unbilled):
    user, subscription, last, first_day, second_day = owner_last_month_unbilled
    supervisor = office_staff(subscription.office, supervisor=True)
    first_req = _submit(user, subscription, reading=1255, read_on=first_day)
    wf.request_approve(request=first_req, actor=supervisor)
    first = Bill.objects.get(request=first_req)

    second_req = _submit(user, subscription, reading=1262, read_on=second_day)
    wf.request_approve(request=second_req, actor=supervisor)
    second = Bill.objects.get(request=second_req)
    first.refresh_from_db()
    assert (first.status, first.superseded_by) == (Bill.Status.SUPERSEDED, second)
    assert (second.status, second.version) == (Bill.Status.ISSUED, 2)
    # The new bill replaces the old one: it starts where that one started.
    assert second.period_start == first.period_start == last.period_end + dt.timedelta(days=1)
    assert (second.previous_reading, second.consumption) == (1250, 12)
    assert second.debt == first.debt
    assert len(bill_sms()) == 2


def test_a_paid_provisional_bill_that_is_replaced_is_credited(owner_last_month_unbilled):
    user, subscription, last, first_day, second_day = owner_last_month_unbilled
    supervisor = office_staff(subscription.office, supervisor=True)
    paid(last)
    first_req = _submit(user, subscription, reading=1255, read_on=first_day)
    wf.request_approve(request=first_req, actor=supervisor)
    first = Bill.objects.get(request=first_req)
    paid(first)
    second_req = _submit(user, subscription, reading=1262, read_on=second_day)
    wf.request_approve(request=second_req, actor=supervisor)
    second = Bill.objects.get(request=second_req)
    assert second.debt == -first.amount  # what was paid on the replaced bill
    charges = second.energy + second.subscription_fee + second.tax + second.duties
    assert second.amount == max(charges - first.amount, 0) // 1000 * 1000


def test_the_self_reading_type_fields_accept_what_the_service_stores():
    from requests_app.services.fields import fields_clean

    schema = next(s for s in REQUEST_TYPES if s["code"] == "gas-self-reading")["fields_schema"]
    cleaned = fields_clean(schema=schema, data={"reading": "۱۲۳", "read_on": "۱۴۰۵/۰۹/۱۲"})
    assert cleaned == {"reading": 123, "read_on": "1405/09/12"}


# --- web page --------------------------------------------------------------------------------


URL = "/bills/readings/new/"


def test_url_name():
    assert reverse("billing:reading-new") == URL


def test_page_lists_only_the_users_own_meters_and_preselects_the_bill_id(client, owner):
    user, subscription, _last = owner
    _other_user, other = owned_subscription(tariff="خانگی")
    client.force_login(user)
    response = client.get(URL, {"bill_id": to_persian_digits(subscription.bill_id)})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'value="{subscription.bill_id}" selected' in page
    assert other.bill_id not in page
    assert 'name="rollover_confirmed"' in page and 'type="hidden" name="rollover_confirmed"' in page


def test_posting_a_reading_redirects_to_the_request_with_a_message(client, owner):
    user, subscription, _last = owner
    client.force_login(user)
    response = client.post(
        URL,
        {
            "bill_id": subscription.bill_id,
            "reading": "۱۲۶۰",
            "read_on": jalali_text(timezone.localdate(), persian=True),
            "photo": colour_png(),
        },
    )
    req = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("requests_app:request-detail", args=[req.number])
    assert req.documents.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert to_persian_digits(req.number) in page


def test_a_lower_reading_shows_the_error_and_then_the_rollover_box(client, owner):
    user, subscription, _last = owner
    client.force_login(user)
    data = {
        "bill_id": subscription.bill_id,
        "reading": "100",
        "read_on": jalali_text(timezone.localdate()),
    }
    response = client.post(URL, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "کمتر است" in page
    assert 'type="checkbox" name="rollover_confirmed"' in page
    assert not ServiceRequest.objects.exists()


def test_another_subscribers_bill_id_is_a_field_error_not_a_leak(client, owner):
    _user, subscription, _last = owner
    client.force_login(UserFactory())
    response = client.post(
        URL,
        {"bill_id": subscription.bill_id, "reading": "1260", "read_on": "1405/01/01"},
    )
    assert response.status_code == 400
    assert "اشتراک (شناسه قبض)" in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_the_page_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_kiosk_operator_submits_for_the_citizen_on_the_page(client, owner):
    user, subscription, _last = owner
    operator = KioskOperatorFactory()
    session = kiosk_session_start(
        operator=operator.user, citizen=user, kiosk=operator.kiosk,
        consent=OnBehalfSession.Consent.OTP, client_ip=None,
    )  # fmt: skip
    login_with_second_factor(client, operator.user)
    django_session = client.session
    django_session[ON_BEHALF_SESSION_KEY] = session.pk
    django_session.save()
    response = client.post(
        URL,
        {
            "bill_id": subscription.bill_id,
            "reading": "1260",
            "read_on": jalali_text(timezone.localdate()),
        },
    )
    assert response.status_code == 302
    req = ServiceRequest.objects.get()
    assert (req.applicant, req.channel, req.kiosk) == (user, Channel.KIOSK, operator.kiosk)
    assert req.events.get(new_status=Status.SUBMITTED).on_behalf_of == user


# --- API -------------------------------------------------------------------------------------


API = "/api/v1/billing/readings/"


def test_api_url_name():
    assert reverse("billing_api:readings") == API


def test_api_files_a_reading_and_answers_201_with_the_request_number(client, owner):
    user, subscription, _last = owner
    client.force_login(user)
    response = client.post(
        API,
        {
            "bill_id": to_persian_digits(subscription.bill_id),
            "reading": 1260,
            "read_on": timezone.localdate().isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    req = ServiceRequest.objects.get()
    assert body["number"] == req.number
    assert body["status"] == Status.APPROVAL
    assert body["reading"] == 1260
    assert body["read_on"] == jalali_text(timezone.localdate())
    assert req.channel == Channel.APP


def test_api_multipart_with_a_photo(client, owner):
    user, subscription, _last = owner
    client.force_login(user)
    response = client.post(
        API,
        {
            "bill_id": subscription.bill_id,
            "reading": "۱۲۶۰",
            "read_on": jalali_text(timezone.localdate(), persian=True),
            "rollover_confirmed": "false",
            "photo": colour_png(),
        },
    )
    assert response.status_code == 201, response.content
    assert RequestDocument.objects.count() == 1


def test_api_errors_have_the_house_shape_and_name_the_field(client, owner):
    user, subscription, _last = owner
    client.force_login(user)
    response = client.post(
        API,
        {"bill_id": subscription.bill_id, "reading": "12x", "read_on": "1405/02/31x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert {"reading", "read_on"} <= set(error["fields"])
    missing = client.post(API, {}, content_type="application/json").json()["error"]
    assert {"bill_id", "reading", "read_on"} <= set(missing["fields"])
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("who", ["other_subscriber", "other_office_staff", "anonymous"])
def test_api_refuses_outsiders(client, owner, who):
    _user, subscription, _last = owner
    if who == "other_subscriber":
        client.force_login(UserFactory())
    elif who == "other_office_staff":
        client.force_login(office_staff(DistrictOfficeFactory()))
    response = client.post(
        API,
        {"bill_id": subscription.bill_id, "reading": 1260, "read_on": "1405/01/01"},
        content_type="application/json",
    )
    assert response.status_code == (403 if who == "anonymous" else 404)
    assert "error" in response.json()
    assert not ServiceRequest.objects.exists()
