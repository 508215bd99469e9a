"""The applicant's request screens: my requests, choosing a service, filing (web and kiosk),
the request page, uploading a document and cancelling — owner, another subscriber, staff."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from portal.digits import to_persian_digits
from requests_app.models import (
    Channel,
    Payment,
    RequestDocument,
    RequestEvent,
    RequestType,
    ServiceRequest,
    Status,
)
from requests_app.services import workflow as wf
from subscribers.middleware import ON_BEHALF_SESSION_KEY
from subscribers.models import OnBehalfSession
from subscribers.services.kiosk import kiosk_session_start
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    KioskOperatorFactory,
    OfficePhoneFactory,
    StaffFactory,
    UserFactory,
    UtilityCompanyFactory,
    login_with_second_factor,
)
from tests.requests_app.factories import (
    RequestTypeFactory,
    RequiredDocumentFactory,
    office_staff,
    owned_subscription,
)

pytestmark = pytest.mark.django_db

LIST = reverse("requests_app:request-list")
NEW = reverse("requests_app:request-new")

SCHEMA = [
    {"name": "branches", "label": "تعداد انشعاب", "kind": "integer", "required": True,
     "min": 1, "max": 200},
    {"name": "phase", "label": "نوع فاز", "kind": "choice", "required": True,
     "choices": [["single", "تک‌فاز"], ["three", "سه‌فاز"]]},
]  # fmt: skip


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _detail(req) -> str:
    return reverse("requests_app:request-detail", args=[req.number])


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def request_type():
    """Electricity after-sales: documents, then a fee, then approval; two own fields."""
    request_type = RequestTypeFactory(
        code="elec-test",
        title="افزایش قدرت آزمایشی",
        description="شرح خدمت آزمایشی.",
        stage_documents=True,
        stage_payment=True,
        stage_approval=True,
        fee_web=500_000,
        fee_kiosk=600_000,
        kiosk_charge=109_000,
        sla_hours=96,
        fields_schema=SCHEMA,
    )
    RequiredDocumentFactory(request_type=request_type, title="کارت ملی مالک")
    RequiredDocumentFactory(request_type=request_type, title="اساسنامه شرکت", applies_to="legal")
    return request_type


@pytest.fixture
def owner():
    user, subscription = owned_subscription()
    OfficePhoneFactory(office=subscription.office, number="041-35550000")
    return user, subscription


def _file(request_type, user, subscription, **extra) -> ServiceRequest:
    return wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription, fields={"branches": 1, "phase": "single"}, **extra,
    )  # fmt: skip


@pytest.fixture
def filed(request_type, owner):
    user, subscription = owner
    return _file(request_type, user, subscription)


@pytest.fixture
def outsider_client(client):
    _other, _sub = owned_subscription()
    client.force_login(_other)
    return client


@pytest.fixture
def other_office_staff_client(client):
    staff = office_staff(DistrictOfficeFactory())
    login_with_second_factor(client, staff)
    return client


# --- my requests ----------------------------------------------------------------------------


def test_list_needs_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "login" in response["Location"]


def test_list_empty_state_links_to_filing(client):
    client.force_login(UserFactory())
    page = client.get(LIST).content.decode()
    assert "هنوز درخواستی ثبت نکرده‌اید" in page
    assert NEW in page


def test_list_shows_own_requests_newest_first_only(client, request_type, owner, filed):
    user, subscription = owner
    other_user, other_sub = owned_subscription()
    theirs = _file(request_type, other_user, other_sub)
    connection_type = RequestTypeFactory(needs_subscription=False, title="انشعاب آزمایشی")
    city = _served_city()
    newer = wf.request_file(
        request_type=connection_type, applicant=user, actor=user, channel=Channel.WEB,
        city=city, address="خیابان نمونه",
    )  # fmt: skip
    client.force_login(user)
    page = client.get(LIST).content.decode()
    assert to_persian_digits(filed.number) in page
    assert to_persian_digits(subscription.subscription_number) in page
    assert "انشعاب جدید" in page
    assert to_persian_digits(theirs.number) not in page
    assert page.index(to_persian_digits(newer.number)) < page.index(to_persian_digits(filed.number))
    assert filed.get_status_display() in page


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_is_constant(client, request_type, rows, django_assert_max_num_queries):
    user = UserFactory()
    for _ in range(rows):
        _user, subscription = owned_subscription(user)
        _file(request_type, user, subscription)
    client.force_login(user)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.content.decode().count('href="/requests/') >= rows


def test_list_query_count_same_at_1_and_50_rows(client, request_type, django_assert_num_queries):
    user = UserFactory()
    _user, subscription = owned_subscription(user)
    _file(request_type, user, subscription)
    client.force_login(user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(LIST)  # warm-up: the first request of a session does its own bookkeeping
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for _ in range(49):
        _user, subscription = owned_subscription(user)
        _file(request_type, user, subscription)
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(LIST)


# --- choosing a service ---------------------------------------------------------------------


def test_new_page_groups_active_types_with_fee_sla_and_documents(client, request_type):
    RequestTypeFactory(company_kind="gas", title="خدمت گاز آزمایشی")
    RequestTypeFactory(title="خدمت غیرفعال", is_active=False)
    page = client.get(NEW).content.decode()
    assert "خدمات برق" in page and "خدمات گاز" in page
    assert page.index("خدمات برق") < page.index("خدمت گاز آزمایشی")
    assert "افزایش قدرت آزمایشی" in page and "شرح خدمت آزمایشی." in page
    assert "۵۰۰٬۰۰۰ ریال" in page
    assert "۹۶ ساعت" in page
    assert "کارت ملی مالک" in page
    assert reverse("requests_app:request-create", args=["elec-test"]) in page
    assert "خدمت غیرفعال" not in page


# --- filing ---------------------------------------------------------------------------------


def _create_url(request_type) -> str:
    return reverse("requests_app:request-create", args=[request_type.code])


def test_create_needs_login_and_an_active_type(client, request_type):
    assert client.get(_create_url(request_type)).status_code == 302
    client.force_login(UserFactory())
    request_type.is_active = False
    request_type.save()
    assert client.get(_create_url(request_type)).status_code == 404


def test_create_offers_only_own_subscriptions_of_the_company_kind(client, request_type, owner):
    user, subscription = owner
    _user, gas = owned_subscription(user, kind="gas")
    _other, foreign = owned_subscription()
    client.force_login(user)
    response = client.get(_create_url(request_type))
    assert response.status_code == 200
    options = list(response.context["form"].fields["subscription"].queryset)
    assert options == [subscription]
    page = response.content.decode()
    assert to_persian_digits(subscription.subscription_number) in page
    assert to_persian_digits(gas.subscription_number) not in page
    assert to_persian_digits(foreign.subscription_number) not in page
    assert 'name="branches"' in page and 'inputmode="numeric"' in page
    assert "سه‌فاز" in page


def test_create_preselects_only_an_own_subscription(client, request_type, owner):
    user, subscription = owner
    _other, foreign = owned_subscription()
    client.force_login(user)
    url = _create_url(request_type)
    form = client.get(f"{url}?subscription={subscription.pk}").context["form"]
    assert str(form["subscription"].value()) == str(subscription.pk)
    # Someone else's subscription in the link is not offered, whatever the query says.
    page = client.get(f"{url}?subscription={foreign.pk}").content.decode()
    assert f'value="{foreign.pk}"' not in page
    assert client.get(f"{url}?subscription=نامعتبر").status_code == 200


def test_create_files_on_the_web_with_persian_digits(client, request_type, owner):
    user, subscription = owner
    client.force_login(user)
    response = client.post(
        _create_url(request_type),
        {"subscription": subscription.pk, "branches": "۱۲", "phase": "three",
         "description": "توضیح آزمایشی"},
    )  # fmt: skip
    req = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == _detail(req)
    assert req.fields == {"branches": 12, "phase": "three"}
    assert (req.channel, req.applicant, req.subscription) == (Channel.WEB, user, subscription)
    assert req.description == "توضیح آزمایشی"
    assert req.status == Status.DOCUMENTS_REVIEW
    (payment,) = req.payments.all()
    assert payment.amount == 500_000
    assert _messages(response) == [f"درخواست شما با شماره {to_persian_digits(req.number)} ثبت شد."]
    event = req.events.get(new_status=Status.SUBMITTED)
    assert (event.actor, event.on_behalf_of) == (user, None)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"branches": "1", "phase": "single"}, "subscription", "«اشتراک» را انتخاب کنید."),
        ({"branches": "", "phase": "single"}, "branches", "«تعداد انشعاب» را وارد کنید."),
        ({"branches": "۰", "phase": "single"}, "branches", "«تعداد انشعاب» نباید کمتر از ۱ باشد."),
        ({"branches": "دوازده", "phase": "single"}, "branches",
         "«تعداد انشعاب» باید عدد صحیح باشد."),
        ({"branches": "3", "phase": "four"}, "phase", "«نوع فاز» معتبر نیست."),
    ],
)  # fmt: skip
def test_create_bad_input_names_the_field_and_saves_nothing(
    client, request_type, owner, data, field, message
):
    user, subscription = owner
    if field != "subscription":
        data = {**data, "subscription": subscription.pk}
    client.force_login(user)
    response = client.post(_create_url(request_type), data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert ServiceRequest.objects.count() == 0
    assert Payment.objects.count() == 0


def test_create_empty_post_shows_every_missing_field(client, request_type, owner):
    client.force_login(owner[0])
    response = client.post(_create_url(request_type))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"subscription", "branches", "phase"}
    assert ServiceRequest.objects.count() == 0


def test_create_refuses_someone_elses_subscription(client, request_type, owner):
    user, _subscription = owner
    _other, foreign = owned_subscription()
    client.force_login(user)
    response = client.post(
        _create_url(request_type), {"subscription": foreign.pk, "branches": "2", "phase": "single"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["subscription"] == ["اشتراک انتخاب‌شده در حساب شما نیست."]
    assert ServiceRequest.objects.count() == 0


def test_create_service_error_becomes_a_form_error(client, request_type, owner, filed):
    """A second open request of the same type: the service's refusal, nothing new saved."""
    user, subscription = owner
    client.force_login(user)
    response = client.post(
        _create_url(request_type),
        {"subscription": subscription.pk, "branches": "2", "phase": "single"},
    )
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert any(to_persian_digits(filed.number) in e or filed.number in e for e in errors)
    assert ServiceRequest.objects.count() == 1


def _served_city(kind="electricity"):
    city = CityFactory()
    company = UtilityCompanyFactory(kind=kind)
    company.cities.add(city)
    office = DistrictOfficeFactory(company=company)
    office.cities.add(city)
    return city


def test_new_connection_takes_city_and_address(client):
    request_type = RequestTypeFactory(
        needs_subscription=False, behaviour=RequestType.Behaviour.NEW_CONNECTION,
        fields_schema=SCHEMA[:1],
    )  # fmt: skip
    city = _served_city()
    gas_city = _served_city(kind="gas")
    user = UserFactory()
    client.force_login(user)
    response = client.get(_create_url(request_type))
    cities = list(response.context["form"].fields["city"].queryset)
    assert city in cities and gas_city not in cities
    assert "subscription" not in response.context["form"].fields

    response = client.post(_create_url(request_type), {"city": city.pk, "branches": "۴"})
    assert response.status_code == 400
    assert response.context["form"].errors["address"] == ["«نشانی محل» را وارد کنید."]
    assert ServiceRequest.objects.count() == 0

    response = client.post(
        _create_url(request_type),
        {"city": city.pk, "address": "کوچه ۵، پلاک ۷", "postal_code": "۱۲۳۴۵۶۷۸۹۱",
         "branches": "۴"},
    )  # fmt: skip
    req = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert (req.subscription, req.city, req.fields) == (None, city, {"branches": 4})
    assert req.postal_code == "1234567891"


# --- kiosk on-behalf filing -----------------------------------------------------------------


def _kiosk_client(client, citizen):
    operator = KioskOperatorFactory()
    session = kiosk_session_start(
        operator=operator.user, citizen=citizen, kiosk=operator.kiosk,
        consent=OnBehalfSession.Consent.OTP, client_ip=None,
    )  # fmt: skip
    login_with_second_factor(client, operator.user)
    django_session = client.session
    django_session[ON_BEHALF_SESSION_KEY] = session.pk
    django_session.save()
    return operator


def test_kiosk_operator_files_for_the_citizen_and_the_kiosk_fee_applies(
    client, request_type, owner
):
    user, subscription = owner
    operator = _kiosk_client(client, user)
    response = client.post(
        _create_url(request_type),
        {"subscription": subscription.pk, "branches": "۳", "phase": "single"},
    )
    req = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert (req.channel, req.kiosk, req.applicant) == (Channel.KIOSK, operator.kiosk, user)
    fees = {p.purpose: p.amount for p in req.payments.all()}
    assert fees == {Payment.Purpose.TARIFF: 600_000, Payment.Purpose.KIOSK_CHARGE: 109_000}
    event = req.events.get(new_status=Status.SUBMITTED)
    assert (event.actor, event.on_behalf_of) == (operator.user, user)


def test_kiosk_detail_shows_the_counter_payment_form(client, filed):
    _kiosk_client(client, filed.applicant)
    page = client.get(_detail(filed)).content.decode()
    (payment,) = filed.payments.all()
    assert reverse("requests_app:payment-kiosk", args=[filed.number, payment.pk]) in page
    assert reverse("requests_app:payment-start", args=[filed.number, payment.pk]) not in page


# --- the request page -----------------------------------------------------------------------


def test_detail_is_the_owners_alone(client, filed, outsider_client):
    assert outsider_client.get(_detail(filed)).status_code == 404


def test_detail_hidden_from_staff_of_another_office(other_office_staff_client, filed):
    assert other_office_staff_client.get(_detail(filed)).status_code == 404


def test_detail_needs_login(client, filed):
    assert client.get(_detail(filed)).status_code == 302


def test_detail_shows_status_next_step_documents_fees_and_timeline(client, filed, owner):
    user, _subscription = owner
    client.force_login(user)
    response = client.get(_detail(filed))
    assert response.status_code == 200
    page = response.content.decode()
    assert to_persian_digits(filed.number) in page
    assert "بررسی مدارک" in page
    assert "متقاضی باید مدارک لازم را بارگذاری کند." in page
    assert "۰۴۱-۳۵۵۵۰۰۰۰" in page  # waiting on the citizen: the office phone
    assert "تعداد انشعاب" in page and "تک‌فاز" in page
    # Documents: the natural person's only, with an upload form.
    assert "کارت ملی مالک" in page and "اساسنامه شرکت" not in page
    assert 'accept=".jpg,.jpeg,.png,.pdf"' in page
    assert "JPEG، PNG یا PDF، حداکثر ۲ مگابایت" in page
    requirement = filed.request_type.documents.get(title="کارت ملی مالک")
    upload_url = reverse("requests_app:document-upload", args=[filed.number, requirement.pk])
    assert upload_url in page
    # The fee, payable on the web.
    (payment,) = filed.payments.all()
    assert "۵۰۰٬۰۰۰ ریال" in page
    assert reverse("requests_app:payment-start", args=[filed.number, payment.pk]) in page
    # Timeline and actions.
    assert "ثبت شده، در نوبت اقدام امور" in page and "شما" in page and "سامانه" in page
    assert reverse("requests_app:request-cancel", args=[filed.number]) in page
    assert reverse("requests_app:complaint-new") + f"?request={filed.number}" in page


def test_detail_timeline_never_names_staff_and_shows_rejections(client, filed, owner):
    user, subscription = owner
    clerk = office_staff(subscription.office)
    clerk.first_name, clerk.last_name = "کارمند", "بی‌نام‌ونشان"
    clerk.save()
    requirement = filed.request_type.documents.get(title="کارت ملی مالک")
    document = RequestDocument.objects.create(
        request=filed, requirement=requirement, file="requests/x/a.pdf", original_name="a.pdf",
        content_type="application/pdf", size=10, sha256="0" * 64, uploaded_by=user,
    )  # fmt: skip
    from requests_app.services import documents as docs

    docs.document_reject(document=document, actor=clerk, reason="تصویر ناخواناست")
    filed.refresh_from_db()
    wf.request_reject(request=filed, actor=clerk, reason="مدارک کامل نشد")
    client.force_login(user)
    page = client.get(_detail(filed)).content.decode()
    assert "بی‌نام‌ونشان" not in page
    assert "امور مشترکین" in page
    assert "رد مدرک" in page and "تصویر ناخواناست" in page
    assert "دلیل رد درخواست:" in page and "مدارک کامل نشد" in page
    # Closed: no upload, no cancel, no pay.
    assert 'type="file"' not in page
    assert reverse("requests_app:request-cancel", args=[filed.number]) not in page
    assert ">پرداخت</button>" not in page


def test_detail_shows_the_visit_and_the_rating_link_once(client, owner):
    user, subscription = owner
    visit_type = RequestTypeFactory(stage_documents=False, stage_visit=True, stage_approval=False)
    req = wf.request_file(
        request_type=visit_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    clerk = office_staff(subscription.office)
    from datetime import date, time

    day = date.today() + timedelta(days=3)
    wf.request_schedule_visit(
        request=req, actor=clerk, date=day, window_start=time(9), window_end=time(12),
        inspector=clerk,
    )  # fmt: skip
    req.refresh_from_db()
    client.force_login(user)
    page = client.get(_detail(req)).content.decode()
    assert "بازدید کارشناس" in page and "۰۹:۰۰" in page and "۱۲:۰۰" in page
    assert "/requests/rate/" not in page

    req = wf.request_record_visit(request=req, actor=clerk, done=True)
    req = wf.request_complete(request=req, actor=clerk)
    page = client.get(_detail(req)).content.decode()
    assert "/requests/rate/" in page and "امتیاز به این خدمت" in page
    from requests_app.models import Rating

    Rating.objects.create(request=req, score=4)
    assert "/requests/rate/" not in client.get(_detail(req)).content.decode()


def test_detail_query_count_does_not_grow_with_events_and_documents(
    client, request_type, owner, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user, subscription = owner
    req = _file(request_type, user, subscription)
    client.force_login(user)
    client.get(_detail(req))  # warm-up: the first request of a session does its own bookkeeping
    with CaptureQueriesContext(connection) as before:
        assert client.get(_detail(req)).status_code == 200
    for requirement in request_type.documents.all():
        RequestDocument.objects.create(
            request=req, requirement=requirement, file="requests/x/a.pdf",
            original_name="a.pdf", content_type="application/pdf", size=10, sha256="0" * 64,
            uploaded_by=user,
        )  # fmt: skip
    for n in range(20):
        RequestEvent.objects.create(
            request=req, kind=RequestEvent.Kind.DOCUMENT_UPLOADED, old_status=req.status,
            new_status=req.status, actor=user, actor_role="applicant", note=f"مدرک {n}",
            created_at=timezone.now(),
        )  # fmt: skip
    with django_assert_num_queries(len(before.captured_queries)):
        client.get(_detail(req))


# --- uploading a document -------------------------------------------------------------------


def _png(size=(800, 700)) -> SimpleUploadedFile:
    image = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
            Image.radial_gradient("L").resize(size),
        ),
    )
    draw = ImageDraw.Draw(image)
    draw.rectangle((50, 50, 300, 200), fill=(200, 30, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    return SimpleUploadedFile("scan.png", out.getvalue(), content_type="image/png")


def _upload_url(req, title="کارت ملی مالک") -> str:
    requirement = req.request_type.documents.get(title=title)
    return reverse("requests_app:document-upload", args=[req.number, requirement.pk])


def test_upload_stores_the_document(client, filed, owner):
    pytest.importorskip("requests_app.services.documents")
    client.force_login(owner[0])
    response = client.post(_upload_url(filed), {"file": _png()})
    assert response.status_code == 302 and response["Location"] == _detail(filed)
    document = RequestDocument.objects.get(request=filed)
    assert (document.state, document.content_type) == ("pending", "image/png")
    assert any("بارگذاری شد" in m for m in _messages(response))


def test_upload_without_a_file_says_so(client, filed, owner):
    client.force_login(owner[0])
    response = client.post(_upload_url(filed))
    assert response.status_code == 302
    assert _messages(response) == ["پرونده‌ای انتخاب نشده است."]
    assert not RequestDocument.objects.exists()


def test_upload_of_a_bad_file_is_a_persian_message(client, filed, owner):
    pytest.importorskip("requests_app.services.documents")
    client.force_login(owner[0])
    bad = SimpleUploadedFile("a.txt", b"hello world", content_type="text/plain")
    response = client.post(_upload_url(filed), {"file": bad})
    assert response.status_code == 302
    assert _messages(response) and "JPEG" in _messages(response)[0]
    assert not RequestDocument.objects.exists()


def test_upload_to_someone_elses_request_is_404(client, filed, outsider_client):
    response = outsider_client.post(_upload_url(filed), {"file": _png()})
    assert response.status_code == 404
    assert not RequestDocument.objects.exists()


def test_upload_is_post_only(client, filed, owner):
    client.force_login(owner[0])
    assert client.get(_upload_url(filed)).status_code == 405


# --- cancelling -----------------------------------------------------------------------------


def _cancel_url(req) -> str:
    return reverse("requests_app:request-cancel", args=[req.number])


def test_cancel_confirm_then_cancel(client, filed, owner):
    client.force_login(owner[0])
    page = client.get(_cancel_url(filed)).content.decode()
    assert "بله، درخواست لغو شود" in page
    response = client.post(_cancel_url(filed), {"status": filed.status, "note": "منصرف شدم"})
    assert response.status_code == 302 and response["Location"] == _detail(filed)
    filed.refresh_from_db()
    assert filed.status == Status.CANCELLED
    assert filed.payments.get().state == Payment.State.CANCELLED
    assert _messages(response) == [f"درخواست {to_persian_digits(filed.number)} لغو شد."]


def test_kiosk_operator_cancels_for_the_citizen(client, filed, owner):
    operator = _kiosk_client(client, owner[0])
    response = client.post(_cancel_url(filed), {"status": filed.status})
    assert response.status_code == 302
    event = filed.events.get(new_status=Status.CANCELLED)
    assert (event.actor, event.on_behalf_of) == (operator.user, owner[0])


def test_cancel_refuses_a_stale_page(client, filed, owner):
    client.force_login(owner[0])
    response = client.post(_cancel_url(filed), {"status": Status.SUBMITTED})
    filed.refresh_from_db()
    assert filed.status == Status.DOCUMENTS_REVIEW
    assert "تغییر کرده است" in _messages(response)[0]


def test_cancel_after_closing_is_refused_with_a_message(client, filed, owner):
    clerk = office_staff(owner[1].office)
    wf.request_reject(request=filed, actor=clerk, reason="نادرست")
    client.force_login(owner[0])
    response = client.post(_cancel_url(filed), {"status": Status.REJECTED})
    assert response.status_code == 302
    assert _messages(response) == ["این درخواست در وضعیت فعلی قابل لغو نیست."]
    filed.refresh_from_db()
    assert filed.status == Status.REJECTED


def test_cancel_by_others_is_404(client, filed, outsider_client):
    assert outsider_client.get(_cancel_url(filed)).status_code == 404
    assert outsider_client.post(_cancel_url(filed), {"status": filed.status}).status_code == 404
    filed.refresh_from_db()
    assert filed.status == Status.DOCUMENTS_REVIEW


def test_cancel_by_staff_of_another_office_is_404(other_office_staff_client, filed):
    response = other_office_staff_client.post(_cancel_url(filed), {"status": filed.status})
    assert response.status_code == 404
    filed.refresh_from_db()
    assert filed.status == Status.DOCUMENTS_REVIEW


def test_staff_has_no_requests_of_their_own(client, filed):
    staff = StaffFactory(office=filed.office)
    login_with_second_factor(client, staff)
    assert client.get(_detail(filed)).status_code == 404
    assert to_persian_digits(filed.number) not in client.get(LIST).content.decode()
