"""/api/v1/request-types/, /api/v1/requests/ (list, file, detail, documents, cancel) and
/api/v1/requests/track/: actors, Persian errors, Persian digits, query budgets, privacy."""

from __future__ import annotations

import io
import json
from datetime import time, timedelta
from urllib.parse import quote

import pytest
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from PIL import Image
from rest_framework.test import APIClient

from portal.digits import to_persian_digits
from portal.jalali import jalali_iso
from requests_app.api.requests import TRACK_LIMIT
from requests_app.models import (
    Actor,
    Channel,
    Payment,
    RequestDocument,
    RequestEvent,
    RequestType,
    ServiceRequest,
    Status,
    VisitAppointment,
)
from requests_app.selectors.requests import TRACKING_NOT_FOUND
from requests_app.services import workflow as wf
from subscribers.middleware import ON_BEHALF_SESSION_KEY
from subscribers.models import OnBehalfSession, RateCounter
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    KioskOperatorFactory,
    OfficePhoneFactory,
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

TYPES = "/api/v1/request-types/"
LIST = "/api/v1/requests/"
TRACK = "/api/v1/requests/track/"
PHONE = "041-35550000"
BRANCHES = {
    "name": "branches",
    "label": "تعداد انشعاب",
    "kind": "integer",
    "required": True,
    "min": 1,
    "max": 200,
}
USAGE = {
    "name": "usage",
    "label": "نوع مصرف",
    "kind": "choice",
    "required": False,
    "choices": [["residential", "خانگی"], ["commercial", "تجاری"]],
}


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def detail_url(number: str) -> str:
    return f"{LIST}{number}/"


def colour_png(size=(800, 700)) -> io.BytesIO:
    image = Image.new("RGB", size, (210, 40, 40))
    for x in range(0, size[0], 20):
        for y in range(size[1]):
            image.putpixel((x, y), (20, 90, 200))
    data = io.BytesIO()
    image.save(data, format="PNG")
    data.seek(0)
    data.name = "scan.png"
    return data


@pytest.fixture
def request_type():
    request_type = RequestTypeFactory(
        code="elec-branch-change",
        title="تغییر تعداد انشعاب",
        stage_documents=True,
        stage_payment=True,
        stage_approval=True,
        fee_web=500_000,
        fee_kiosk=600_000,
        kiosk_charge=109_000,
        fields_schema=[BRANCHES, USAGE],
    )
    RequiredDocumentFactory(request_type=request_type, title="کارت ملی")
    RequiredDocumentFactory(
        request_type=request_type, title="اساسنامه شرکت", applies_to="legal", mandatory=True
    )
    return request_type


@pytest.fixture
def owner_and_sub():
    user, subscription = owned_subscription()
    OfficePhoneFactory(office=subscription.office, number=PHONE)
    return user, subscription


def file_request(request_type, user, subscription, **extra) -> ServiceRequest:
    return wf.request_file(
        request_type=request_type,
        applicant=user,
        actor=user,
        channel=Channel.WEB,
        subscription=subscription,
        fields=extra.pop("fields", {"branches": 3, "usage": "commercial"}),
        **extra,
    )


@pytest.fixture
def filed(request_type, owner_and_sub):
    user, subscription = owner_and_sub
    return file_request(request_type, user, subscription)


def _outsider(kind: str, office):
    if kind == "other_subscriber":
        return owned_subscription(office=office)[0]
    if kind == "staff_other_office":
        return office_staff(DistrictOfficeFactory())
    return office_staff(office, supervisor=True)  # the office's own staff: not their request


OUTSIDERS = ["other_subscriber", "staff_other_office", "staff_same_office"]


# --- request types ----------------------------------------------------------------------------


def test_request_types_are_public_with_stages_fees_fields_and_documents(request_type):
    RequestTypeFactory(is_active=False, title="غیرفعال")

    # Electricity only: the install's 16 telephone types (migration 0006) are there too.
    response = APIClient().get(f"{TYPES}?company_kind=electricity")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["code"] == "elec-branch-change"
    assert row["stages"] == ["documents", "payment", "approval"]
    assert row["fees"] == {"web": 500_000, "kiosk": 600_000, "office": 0, "kiosk_charge": 109_000}
    assert row["fields"] == [BRANCHES, USAGE]
    assert [(d["title"], d["applies_to"], d["mandatory"]) for d in row["documents"]] == [
        ("کارت ملی", "both", True),
        ("اساسنامه شرکت", "legal", True),
    ]
    assert set(row) >= {
        "company_kind",
        "title",
        "description",
        "service_id",
        "sla_hours",
        "needs_subscription",
        "tenant_allowed",
    }


def test_request_types_filter_by_company_kind(request_type):
    RequestTypeFactory(company_kind="gas")
    rows = APIClient().get(f"{TYPES}?company_kind=gas").json()["results"]
    assert [r["company_kind"] for r in rows] == ["gas"]
    response = APIClient().get(f"{TYPES}?company_kind=water")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"company_kind": ["نوع شرکت معتبر نیست."]}


def test_request_types_query_budget(django_assert_max_num_queries, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{TYPES}?company_kind=electricity"  # not the install's telephone types
    RequiredDocumentFactory(request_type=RequestTypeFactory())
    with CaptureQueriesContext(connection) as one:
        assert len(APIClient().get(url).json()["results"]) == 1
    assert len(one.captured_queries) <= 8
    for _ in range(49):
        RequiredDocumentFactory(request_type=RequestTypeFactory())
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(APIClient().get(url).json()["results"]) == 50


# --- filing -----------------------------------------------------------------------------------


def test_owner_files_with_persian_digits_and_gets_the_detail(request_type, owner_and_sub):
    user, subscription = owner_and_sub
    body = json.dumps(
        {
            "type": "elec-branch-change",
            "subscription": "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] for c in str(subscription.pk)),
            "fields": {"branches": "۱۲", "usage": "residential"},
            "description": "افزایش واحدها",
        }
    )

    response = api(user).post(LIST, body, content_type="application/json")

    assert response.status_code == 201, response.json()
    data = response.json()
    request = ServiceRequest.objects.get()
    assert data["number"] == request.number
    assert request.fields == {"branches": 12, "usage": "residential"}
    assert request.channel == Channel.APP and request.kiosk is None
    assert data["status"] == Status.DOCUMENTS_REVIEW
    assert data["status_label"] == "بررسی مدارک"
    assert data["channel"] == "app"
    assert data["subscription_number"] == subscription.subscription_number
    assert data["fields"] == [
        {"name": "branches", "label": "تعداد انشعاب", "value": 12, "display": "12"},
        {"name": "usage", "label": "نوع مصرف", "value": "residential", "display": "خانگی"},
    ]
    assert [(p["purpose"], p["amount"], p["state"]) for p in data["payments"]] == [
        ("tariff", 500_000, "pending")
    ]
    assert request.events.get(new_status=Status.SUBMITTED).actor == user


def test_unknown_type_is_a_field_error_and_nothing_is_saved(owner_and_sub):
    user, subscription = owner_and_sub
    response = api(user).post(
        LIST, {"type": "no-such", "subscription": subscription.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"type": ["این خدمت یافت نشد یا فعال نیست."]}
    assert not ServiceRequest.objects.exists()


def test_inactive_type_is_refused_like_an_unknown_one(request_type, owner_and_sub):
    user, subscription = owner_and_sub
    RequestType.objects.filter(pk=request_type.pk).update(is_active=False)
    response = api(user).post(
        LIST,
        {"type": request_type.code, "subscription": subscription.pk, "fields": {"branches": 2}},
        format="json",
    )
    assert response.status_code == 400
    assert "type" in response.json()["error"]["fields"]
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "«تعداد انشعاب» را وارد کنید."),
        ({"branches": "دوازده"}, "«تعداد انشعاب» باید عدد صحیح باشد."),
        ({"branches": "۰"}, "«تعداد انشعاب» نباید کمتر از ۱ باشد."),
    ],
)
def test_bad_fields_name_the_field_in_persian_and_save_nothing(
    request_type, owner_and_sub, fields, message
):
    user, subscription = owner_and_sub
    response = api(user).post(
        LIST,
        {"type": request_type.code, "subscription": subscription.pk, "fields": fields},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_fields"
    assert error["fields"] == {"branches": [message]}
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"subscription": "abc"}, "subscription", "اشتراک معتبر نیست."),
        ({"fields": ["branches"]}, "fields", "اطلاعات ویژه باید یک شیء JSON (نام و مقدار) باشد."),
        ({"type": ""}, "type", "نوع درخواست نمی‌تواند خالی باشد."),
        ({"description": "x" * 2001}, "description", "توضیح بیش از حد طولانی است."),
    ],
)
def test_malformed_body_is_a_persian_field_error(request_type, owner_and_sub, body, field, message):
    user, subscription = owner_and_sub
    payload = {"type": request_type.code, "subscription": subscription.pk}
    payload.update(body)
    response = api(user).post(LIST, payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"][field] == [message]
    assert not ServiceRequest.objects.exists()


def test_missing_subscription_is_a_field_error(request_type, owner_and_sub):
    user, _ = owner_and_sub
    response = api(user).post(
        LIST, {"type": request_type.code, "fields": {"branches": 2}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"subscription": ["اشتراک را انتخاب کنید."]}
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("actor", ["other_subscriber", "staff_other_office"])
def test_someone_elses_subscription_is_404(request_type, owner_and_sub, actor):
    _, subscription = owner_and_sub
    outsider = _outsider(actor, subscription.office)
    response = api(outsider).post(
        LIST,
        {"type": request_type.code, "subscription": subscription.pk, "fields": {"branches": 2}},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not ServiceRequest.objects.exists()


def test_second_open_request_is_refused_in_persian(request_type, owner_and_sub, filed):
    user, subscription = owner_and_sub
    response = api(user).post(
        LIST,
        {"type": request_type.code, "subscription": subscription.pk, "fields": {"branches": 2}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate_open_request"
    assert to_persian_digits(filed.number) in response.json()["error"]["message"]
    assert ServiceRequest.objects.count() == 1


@pytest.fixture
def new_connection():
    city = CityFactory()
    office = DistrictOfficeFactory(company=UtilityCompanyFactory(kind="electricity"))
    office.cities.add(city)
    request_type = RequestTypeFactory(
        code="elec-new",
        needs_subscription=False,
        behaviour=RequestType.Behaviour.NEW_CONNECTION,
        stage_documents=False,
        fields_schema=[BRANCHES],
    )
    return request_type, city, office


def test_new_connection_takes_city_and_address(new_connection):
    request_type, city, office = new_connection
    user = UserFactory()
    response = api(user).post(
        LIST,
        {
            "type": request_type.code,
            "city": city.pk,
            "address": "تبریز، ولیعصر، پلاک ۳",
            "postal_code": "۵۱۵۳۸۴۷۹۱۱",
            "fields": {"branches": "۸"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    request = ServiceRequest.objects.get()
    assert (request.office, request.subscription, request.postal_code) == (
        office,
        None,
        "5153847911",
    )
    assert response.json()["subscription_number"] is None


def test_new_connection_without_location_names_both_fields(new_connection):
    request_type, *_ = new_connection
    response = api(UserFactory()).post(
        LIST, {"type": request_type.code, "fields": {"branches": 1}}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"city", "address"}
    response = api(UserFactory()).post(
        LIST,
        {"type": request_type.code, "city": 999_999, "address": "x", "fields": {"branches": 1}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"city": ["شهر انتخاب‌شده یافت نشد."]}
    assert not ServiceRequest.objects.exists()


def test_kiosk_operator_on_behalf_files_on_the_kiosk_channel(client, request_type, owner_and_sub):
    citizen, subscription = owner_and_sub
    operator = KioskOperatorFactory()
    session = OnBehalfSession.objects.create(
        operator=operator.user,
        citizen=citizen,
        kiosk=operator.kiosk,
        consent="otp",
        expires_at=timezone.now() + timedelta(minutes=20),
    )
    login_with_second_factor(client, operator.user)
    client_session = client.session
    client_session[ON_BEHALF_SESSION_KEY] = session.pk
    client_session.save()

    response = client.post(
        LIST,
        {"type": request_type.code, "subscription": subscription.pk, "fields": {"branches": 2}},
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    request = ServiceRequest.objects.get()
    assert (request.applicant, request.channel, request.kiosk) == (
        citizen,
        Channel.KIOSK,
        operator.kiosk,
    )
    amounts = dict(request.payments.values_list("purpose", "amount"))
    assert amounts == {Payment.Purpose.TARIFF: 600_000, Payment.Purpose.KIOSK_CHARGE: 109_000}
    event = request.events.get(new_status=Status.SUBMITTED)
    assert (event.actor, event.on_behalf_of) == (operator.user, citizen)

    requirement = request_type.documents.get(title="کارت ملی")
    uploaded = client.post(
        f"{detail_url(request.number)}documents/",
        {"requirement": requirement.pk, "file": colour_png()},
    )
    assert uploaded.status_code == 201, uploaded.json()
    assert RequestDocument.objects.get().uploaded_by == operator.user

    cancelled = client.post(f"{detail_url(request.number)}cancel/", {}, "application/json")
    assert cancelled.status_code == 200
    event = request.events.get(new_status=Status.CANCELLED)
    assert (event.actor, event.on_behalf_of) == (operator.user, citizen)


# --- anonymous ----------------------------------------------------------------------------------


def test_private_endpoints_refuse_anonymous(filed):
    client = APIClient()
    for method, url in [
        ("get", LIST),
        ("post", LIST),
        ("get", detail_url(filed.number)),
        ("post", f"{detail_url(filed.number)}cancel/"),
        ("post", f"{detail_url(filed.number)}documents/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code in (401, 403), url
        assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")
    filed.refresh_from_db()
    assert filed.status == Status.DOCUMENTS_REVIEW


# --- list ------------------------------------------------------------------------------------


def test_list_is_mine_newest_first(request_type, owner_and_sub, filed):
    user, _ = owner_and_sub
    second_type = RequestTypeFactory(stage_documents=False, stage_approval=True)
    _, other_sub = owned_subscription(user, office=filed.office)
    newer = file_request(second_type, user, other_sub, fields={})
    file_request(request_type, *owned_subscription(office=filed.office))  # someone else's

    rows = api(user).get(LIST).json()["results"]

    assert [r["number"] for r in rows] == [newer.number, filed.number]
    row = rows[1]
    assert row["type"] == {"code": request_type.code, "title": request_type.title}
    assert row["status"] == "documents_review" and row["status_label"] == "بررسی مدارک"
    assert row["submitted_at_jalali"] == jalali_iso(filed.submitted_at)
    assert row["due_at_jalali"] == jalali_iso(filed.due_at)
    assert row["is_overdue"] is False


def test_list_marks_overdue(filed, owner_and_sub):
    ServiceRequest.objects.filter(pk=filed.pk).update(due_at=timezone.now() - timedelta(hours=1))
    [row] = api(owner_and_sub[0]).get(LIST).json()["results"]
    assert row["is_overdue"] is True


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_list_of_outsiders_does_not_show_the_request(filed, actor):
    assert api(_outsider(actor, filed.office)).get(LIST).json()["results"] == []


def test_list_query_budget(request_type, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory()
    office = DistrictOfficeFactory()
    first = file_request(request_type, *owned_subscription(user, office=office))
    client = api(user)
    with CaptureQueriesContext(connection) as one:
        assert [r["number"] for r in client.get(LIST).json()["results"]] == [first.number]
    assert len(one.captured_queries) <= 8
    for _ in range(49):
        file_request(request_type, *owned_subscription(user, office=office))
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(LIST).json()["results"]) == 50


# --- detail ----------------------------------------------------------------------------------


def test_detail_for_the_owner(filed, owner_and_sub):
    user, subscription = owner_and_sub

    response = api(user).get(detail_url(filed.number))

    assert response.status_code == 200
    data = response.json()
    assert data["number"] == filed.number
    assert data["next_step"] == "متقاضی باید مدارک لازم را بارگذاری کند."
    assert data["office_phone"] == PHONE  # documents review waits on the citizen
    assert data["documents"] == []
    # The legal-person document does not apply to a natural person.
    assert data["required_documents"] == [
        {
            "id": filed.request_type.documents.get(title="کارت ملی").pk,
            "title": "کارت ملی",
            "mandatory": True,
            "state": None,
        }
    ]
    assert data["visit"] is None
    assert [(s["status"], s["by"]) for s in data["timeline"]] == [
        ("submitted", "applicant"),
        ("documents_review", "system"),
    ]
    assert data["timeline"][0]["label"] == "ثبت شده، در نوبت اقدام امور"
    assert data["timeline"][0]["at_jalali"] == jalali_iso(filed.submitted_at)
    assert data["rejection_reason"] == ""
    assert data["can_cancel"] is True
    assert data["address"] == subscription.address


def test_detail_queries_do_not_grow_with_its_history(filed, owner_and_sub):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(owner_and_sub[0])
    with CaptureQueriesContext(connection) as before:
        assert client.get(detail_url(filed.number)).status_code == 200
    assert len(before.captured_queries) <= 12
    inspector = office_staff(filed.office)
    for day in range(1, 6):
        VisitAppointment.objects.create(
            request=filed,
            date=timezone.localdate() + timedelta(days=day),
            window_start=time(9),
            window_end=time(10),
            inspector=inspector,
            scheduled_by=inspector,
        )
        RequestEvent.objects.create(
            request=filed,
            old_status=Status.DOCUMENTS_REVIEW,
            new_status=Status.DOCUMENTS_REVIEW,
            actor=inspector,
            actor_role=Actor.CLERK,
        )
    with CaptureQueriesContext(connection) as after:
        data = client.get(detail_url(filed.number)).json()
    assert len(data["timeline"]) == 7
    assert len(after.captured_queries) == len(before.captured_queries)


def test_detail_accepts_persian_digits_in_the_number(filed, owner_and_sub):
    persian = "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] for c in filed.number)
    response = api(owner_and_sub[0]).get(f"{LIST}{quote(persian)}/")
    assert response.status_code == 200
    assert response.json()["number"] == filed.number


def test_detail_shows_the_visit_without_the_inspector_and_hides_the_phone(filed, owner_and_sub):
    inspector = office_staff(filed.office)
    inspector.first_name, inspector.last_name = "کاوه", "بازرس‌زاده"
    inspector.save()
    day = timezone.localdate() + timedelta(days=2)
    VisitAppointment.objects.create(
        request=filed,
        date=day,
        window_start=time(9),
        window_end=time(12),
        inspector=inspector,
        scheduled_by=inspector,
    )
    ServiceRequest.objects.filter(pk=filed.pk).update(status=Status.VISIT_SCHEDULED)

    response = api(owner_and_sub[0]).get(detail_url(filed.number))

    data = response.json()
    assert data["visit"]["date"] == day.isoformat()
    assert data["visit"]["date_jalali"] == jalali_iso(day)
    assert (data["visit"]["window_start"], data["visit"]["window_end"]) == ("09:00:00", "12:00:00")
    assert data["office_phone"] == ""
    assert data["can_cancel"] is False
    text = response.content.decode()
    assert "بازرس‌زاده" not in text and "کاوه" not in text and "inspector" not in text


def test_detail_shows_a_rejection_reason(filed, owner_and_sub):
    ServiceRequest.objects.filter(pk=filed.pk).update(
        status=Status.REJECTED, rejection_reason="انشعاب در این محل ممکن نیست."
    )
    data = api(owner_and_sub[0]).get(detail_url(filed.number)).json()
    assert data["rejection_reason"] == "انشعاب در این محل ممکن نیست."
    assert data["status_label"] == "رد شده"


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_detail_of_someone_elses_request_is_404(filed, actor):
    response = api(_outsider(actor, filed.office)).get(detail_url(filed.number))
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "مورد درخواستی یافت نشد.", "fields": {}}
    }


def test_unknown_number_is_404(owner_and_sub):
    assert api(owner_and_sub[0]).get(detail_url("1234567890")).status_code == 404


# --- cancel ----------------------------------------------------------------------------------


def test_owner_cancels_with_a_note(filed, owner_and_sub):
    response = api(owner_and_sub[0]).post(
        f"{detail_url(filed.number)}cancel/", {"note": "منصرف شدم"}, format="json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "cancelled" and data["can_cancel"] is False
    assert [p["state"] for p in data["payments"]] == ["cancelled"]
    event = filed.events.get(new_status=Status.CANCELLED)
    assert (event.actor, event.actor_role, event.note) == (
        owner_and_sub[0],
        Actor.APPLICANT,
        "منصرف شدم",
    )


def test_cancel_with_a_too_long_note_changes_nothing(filed, owner_and_sub):
    response = api(owner_and_sub[0]).post(
        f"{detail_url(filed.number)}cancel/", {"note": "x" * 501}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"note": ["توضیح بیش از حد طولانی است."]}
    filed.refresh_from_db()
    assert filed.status == Status.DOCUMENTS_REVIEW


def test_cancel_once_an_inspector_is_sent_is_refused(filed, owner_and_sub):
    ServiceRequest.objects.filter(pk=filed.pk).update(status=Status.VISIT_SCHEDULED)
    response = api(owner_and_sub[0]).post(f"{detail_url(filed.number)}cancel/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transition_not_allowed"
    assert "بازدید تعیین وقت شده" in response.json()["error"]["message"]
    filed.refresh_from_db()
    assert filed.status == Status.VISIT_SCHEDULED


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_outsiders_cannot_cancel(filed, actor):
    response = api(_outsider(actor, filed.office)).post(
        f"{detail_url(filed.number)}cancel/", {}, format="json"
    )
    assert response.status_code == 404
    filed.refresh_from_db()
    assert filed.status == Status.DOCUMENTS_REVIEW
    assert not filed.events.filter(new_status=Status.CANCELLED).exists()


# --- documents -------------------------------------------------------------------------------


def _upload(client, request, requirement_id, file=None):
    data = {"requirement": requirement_id}
    if file is not None:
        data["file"] = file
    return client.post(f"{detail_url(request.number)}documents/", data, format="multipart")


def test_owner_uploads_a_document(filed, owner_and_sub):
    pytest.importorskip("requests_app.services.documents")
    requirement = filed.request_type.documents.get(title="کارت ملی")
    persian_id = "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] for c in str(requirement.pk))

    response = _upload(api(owner_and_sub[0]), filed, persian_id, colour_png())

    assert response.status_code == 201, response.json()
    data = response.json()
    document = RequestDocument.objects.get()
    assert data["id"] == document.pk
    assert (data["requirement_id"], data["title"], data["state"]) == (
        requirement.pk,
        "کارت ملی",
        "pending",
    )
    assert data["rejection_reason"] == ""
    assert data["uploaded_at_jalali"] == jalali_iso(document.uploaded_at)
    assert filed.events.filter(kind=RequestEvent.Kind.DOCUMENT_UPLOADED).exists()
    detail = api(owner_and_sub[0]).get(detail_url(filed.number)).json()
    assert [d["id"] for d in detail["documents"]] == [document.pk]
    assert detail["required_documents"][0]["state"] == "pending"


def test_upload_without_a_file_is_a_persian_field_error(filed, owner_and_sub):
    pytest.importorskip("requests_app.services.documents")
    requirement = filed.request_type.documents.get(title="کارت ملی")
    response = _upload(api(owner_and_sub[0]), filed, requirement.pk)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["پرونده مدرک را انتخاب کنید."]}
    assert not RequestDocument.objects.exists()


def test_upload_of_a_document_the_applicant_does_not_need_is_refused(filed, owner_and_sub):
    pytest.importorskip("requests_app.services.documents")
    legal_only = filed.request_type.documents.get(title="اساسنامه شرکت")
    response = _upload(api(owner_and_sub[0]), filed, legal_only.pk, colour_png())
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "requirement": ["این مدرک برای این درخواست لازم نیست."]
    }
    assert not RequestDocument.objects.exists()


def test_upload_of_a_small_image_is_refused(filed, owner_and_sub):
    pytest.importorskip("requests_app.services.documents")
    requirement = filed.request_type.documents.get(title="کارت ملی")
    response = _upload(api(owner_and_sub[0]), filed, requirement.pk, colour_png((300, 200)))
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    assert not RequestDocument.objects.exists()


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_outsiders_cannot_upload(filed, actor):
    pytest.importorskip("requests_app.services.documents")
    requirement = filed.request_type.documents.get(title="کارت ملی")
    response = _upload(api(_outsider(actor, filed.office)), filed, requirement.pk, colour_png())
    assert response.status_code == 404
    assert not RequestDocument.objects.exists()


# --- tracking --------------------------------------------------------------------------------


TRACK_KEYS = {
    "number",
    "type_title",
    "status",
    "status_label",
    "is_closed",
    "next_step",
    "office_phone",
    "submitted_at",
    "submitted_at_jalali",
    "due_at",
    "due_at_jalali",
    "timeline",
}


def test_tracking_is_public_and_shows_nothing_personal(filed, owner_and_sub):
    user, subscription = owner_and_sub
    number = "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] for c in filed.number)

    response = APIClient().get(
        TRACK, {"number": number, "subscription": subscription.subscription_number}
    )

    assert response.status_code == 200
    data = response.json()
    assert set(data) == TRACK_KEYS
    assert (data["number"], data["type_title"], data["status"]) == (
        filed.number,
        filed.request_type.title,
        "documents_review",
    )
    assert data["office_phone"] == PHONE
    assert [s["label"] for s in data["timeline"]] == ["ثبت شده، در نوبت اقدام امور", "بررسی مدارک"]
    assert data["timeline"][0]["at_jalali"] == jalali_iso(filed.submitted_at)
    text = response.content.decode()
    for private in (
        user.first_name,
        user.last_name,
        user.national_code,
        user.mobile,
        subscription.address,
        subscription.postal_code,
    ):
        assert private not in text


def test_tracking_wrong_pair_and_missing_number_look_the_same(filed):
    answers = [
        APIClient().get(TRACK, {"number": filed.number, "subscription": "999"}),
        APIClient().get(TRACK, {"number": filed.number}),
        APIClient().get(TRACK, {"number": "1234567890", "subscription": "1"}),
        APIClient().get(TRACK),
    ]
    expected = {"error": {"code": "not_found", "message": TRACKING_NOT_FOUND, "fields": {}}}
    for response in answers:
        assert response.status_code == 404
        assert response.json() == expected


def test_tracking_is_rate_limited_per_ip(filed, owner_and_sub):
    client = APIClient()
    params = {"number": filed.number, "subscription": owner_and_sub[1].subscription_number}
    for _ in range(TRACK_LIMIT):
        assert client.get(TRACK, params, REMOTE_ADDR="10.9.9.9").status_code == 200

    response = client.get(TRACK, params, REMOTE_ADDR="10.9.9.9")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert "بیش از حد مجاز" in response.json()["error"]["message"]
    assert 0 < int(response["Retry-After"]) <= 600
    assert client.get(TRACK, params, REMOTE_ADDR="10.9.9.8").status_code == 200
    assert RateCounter.objects.filter(scope="track").count() == 2


def test_failed_lookups_count_towards_the_limit():
    client = APIClient()
    for _ in range(TRACK_LIMIT):
        assert client.get(TRACK, {"number": "1"}, REMOTE_ADDR="10.7.7.7").status_code == 404
    assert client.get(TRACK, {"number": "1"}, REMOTE_ADDR="10.7.7.7").status_code == 429


def test_track_is_not_read_as_a_request_number(owner_and_sub):
    response = api(owner_and_sub[0]).get(TRACK)
    assert response.json()["error"]["message"] == TRACKING_NOT_FOUND


# --- schema ----------------------------------------------------------------------------------


def test_schema_documents_the_request_endpoints():
    generator = SchemaGenerator(patterns=[path("api/v1/", include("requests_app.api_urls"))])
    schema = generator.get_schema(request=None, public=True)
    paths = schema["paths"]
    assert {
        "/api/v1/request-types/",
        "/api/v1/requests/",
        "/api/v1/requests/track/",
        "/api/v1/requests/{number}/",
        "/api/v1/requests/{number}/documents/",
        "/api/v1/requests/{number}/cancel/",
    } <= set(paths)
    assert (
        "multipart/form-data"
        in paths["/api/v1/requests/{number}/documents/"]["post"]["requestBody"]["content"]
    )
    detail = schema["components"]["schemas"]["RequestDetail"]["properties"]
    assert "inspector" not in json.dumps(detail)
    assert detail["status"].get("readOnly") is True
    track = {p["name"] for p in paths["/api/v1/requests/track/"]["get"]["parameters"]}
    assert track == {"number", "subscription"}
