"""Open311 GeoReport v2 (issue 6, item 6): every endpoint in JSON and in the spec's XML, the
spec's error list with 400/403/404/429, the reports a civic app files, privacy of GET
requests, query budgets, and the API keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from outages.models import (
    Incident,
    IncidentState,
    Open311ApiKey,
    OutageReport,
    ReportChannel,
)
from outages.open311 import views as open311_views
from outages.services.incidents import incident_move
from outages.services.keys import api_key_authenticate, api_key_create
from outages.services.reports import report_file
from portal.digits import to_persian_digits
from portal.errors import PortalError
from subscribers import roles
from tests.factories import StaffFactory, SubscriptionFactory, add_role
from tests.outages.factories import FeederFactory, ScheduledOutageFactory, fed_subscription

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
PHONE = "09127654321"
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
]  # fmt: skip


@pytest.fixture
def feeder():
    return FeederFactory(area="محله ولیعصر، خیابان نمونه")


@pytest.fixture
def subscription(feeder):
    return fed_subscription(feeder, address="تبریز، کوچه خصوصی ۴۲، پلاک ۷")


@pytest.fixture
def key():
    row, raw = api_key_create(name="برنامه شهر هوشمند")
    row.raw = raw
    return row


def post(client, fmt="json", **data):
    return client.post(f"{BASE}requests.{fmt}", data)


def valid(key, subscription, **overrides):
    data = {
        "api_key": key.raw,
        "service_code": "power-outage",
        "attribute[bill_id]": subscription.bill_id,
        "phone": PHONE,
        "lat": "38.080000",
        "long": "46.291900",
        "address_string": "نشانی اعلام‌شده شهروند ۹۹",
        "description": "متن خصوصی شهروند",
        "first_name": "مهسا",
        "last_name": "رضایی‌نیا",
        "jurisdiction_id": "tabriz",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own response, in a test


def as_json(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def assert_error(response, status: int, fmt: str = "json") -> list[str]:
    assert response.status_code == status
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        assert children(root) and set(children(root)) == {"error"}
        for error in root:
            assert children(error) == ["code", "description"]
            assert error.findtext("code") == str(status)
            assert error.findtext("description")
        return [error.findtext("description") for error in root]
    body = as_json(response)
    assert isinstance(body, list) and body
    for error in body:
        assert set(error) == {"code", "description"}
        assert error["code"] == status and error["description"]
    return [error["description"] for error in body]


def filed(subscription, mobile=PHONE, **kwargs):
    return report_file(
        subscription=subscription, mobile=mobile, channel=ReportChannel.WEB, **kwargs
    ).report


# --- discovery and services ----------------------------------------------------------------------


def test_discovery_json(client, settings):
    settings.SITE_URL = "https://portal.example.ir"
    body = as_json(client.get(f"{BASE}discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "https://portal.example.ir/open311/v2/",
        "changeset": body["changeset"],
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }


def test_discovery_xml(client):
    root = xml(client.get(f"{BASE}discovery.xml"))
    assert root.tag == "discovery"
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = root.find("endpoints")
    assert endpoint.tag == "endpoint"
    assert children(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert [f.text for f in endpoint.find("formats").findall("format")] == [
        "text/xml",
        "application/json",
    ]
    assert endpoint.findtext("url").endswith("/open311/v2/")


def test_services_json(client):
    body = as_json(client.get(f"{BASE}services.json?jurisdiction_id=anything"))
    assert body == [
        {
            "service_code": "power-outage",
            "service_name": "قطع برق (Power outage)",
            "description": body[0]["description"],
            "metadata": True,
            "type": "realtime",
            "keywords": "electricity,outage,خاموشی",
            "group": "برق",
        }
    ]
    assert body[0]["description"]


def test_services_xml(client):
    root = xml(client.get(f"{BASE}services.xml"))
    assert root.tag == "services"
    (service,) = root
    assert service.tag == "service"
    assert children(service) == [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
    ]  # fmt: skip
    assert service.findtext("metadata") == "true"
    assert service.findtext("service_name") == "قطع برق (Power outage)"


def test_service_definition_json(client):
    body = as_json(client.get(f"{BASE}services/power-outage.json"))
    assert body == {
        "service_code": "power-outage",
        "attributes": [
            {
                "variable": True,
                "code": "bill_id",
                "datatype": "string",
                "required": True,
                "datatype_description": "شناسه قبض برق (۶ تا ۱۳ رقم)",
                "order": 1,
                "description": "شناسه قبض برق محل قطعی",
            }
        ],
    }


def test_service_definition_xml(client):
    root = xml(client.get(f"{BASE}services/power-outage.xml"))
    assert root.tag == "service_definition"
    assert children(root) == ["service_code", "attributes"]
    (attribute,) = root.find("attributes")
    assert attribute.tag == "attribute"
    assert children(attribute) == [
        "variable", "code", "datatype", "required", "datatype_description", "order", "description",
    ]  # fmt: skip
    assert attribute.findtext("variable") == "true"
    assert attribute.findtext("required") == "true"
    assert attribute.findtext("code") == "bill_id"
    assert attribute.findtext("order") == "1"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_definition_is_404(client, fmt):
    assert_error(client.get(f"{BASE}services/potholes.{fmt}"), 404, fmt)


@pytest.mark.parametrize(
    "path",
    [
        "services.html",
        "discovery.yaml",
        "requests.csv",
        "services/power-outage.txt",
        "requests/12345678.php",
        "tokens/abc.rss",
        "services",
        "nothing-here",
        "requests/",
    ],
)
def test_unknown_format_or_path_is_404_in_the_error_shape(client, path):
    assert_error(client.get(f"{BASE}{path}"), 404)


def test_wrong_method_is_refused_in_the_error_shape(client):
    response = client.post(f"{BASE}services.xml")
    assert_error(response, 405, "xml")
    assert response["Allow"] == "GET, HEAD"


# --- POST requests ------------------------------------------------------------------------------


def test_post_files_a_report_and_queues_one_sms(client, key, subscription):
    response = post(client, **valid(key, subscription))
    assert response.status_code == 200
    (answer,) = as_json(response)
    assert list(answer) == ["service_request_id", "token", "service_notice", "account_id"]
    report = OutageReport.objects.get()
    assert answer["service_request_id"] == report.code
    assert answer["token"] == str(report.token)
    assert to_persian_digits(report.code) in answer["service_notice"]
    assert answer["account_id"] == ""
    assert report.channel == ReportChannel.OPEN311
    assert report.api_key == key
    assert report.mobile == PHONE and report.subscription == subscription
    assert report.first_name == "مهسا" and report.last_name == "رضایی‌نیا"
    assert report.description == "متن خصوصی شهروند"
    assert str(report.lat) == "38.080000" and str(report.long) == "46.291900"
    (sms,) = OutboxMessage.objects.all()
    assert sms.recipient == PHONE
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_post_xml_answer(client, key, subscription):
    root = xml(post(client, "xml", **valid(key, subscription)))
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert children(request) == ["service_request_id", "token", "service_notice", "account_id"]
    assert request.findtext("service_request_id") == OutageReport.objects.get().code


def test_posting_twice_from_the_same_phone_returns_the_same_request(client, key, subscription):
    first = as_json(post(client, **valid(key, subscription)))[0]
    second = as_json(post(client, **valid(key, subscription, phone="+98 912 765 4321")))[0]
    assert second["service_request_id"] == first["service_request_id"]
    assert second["token"] == first["token"]
    assert OutageReport.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_post_in_a_planned_window_says_so(client, key, feeder, subscription):
    now = timezone.now()
    ScheduledOutageFactory(feeder=feeder, starts_at=now - dt.timedelta(hours=1))
    (answer,) = as_json(post(client, **valid(key, subscription)))
    assert "طبق برنامه" in answer["service_notice"]
    assert OutageReport.objects.get().scheduled_outage is not None


def test_post_accepts_persian_digits_and_address_only(client, key, subscription):
    data = valid(
        key,
        subscription,
        phone="۰۹۱۲۷۶۵۴۳۲۱",
        lat=None,
        long=None,
        **{"attribute[bill_id]": to_persian_digits(subscription.bill_id)},
    )
    response = post(client, **data)
    assert response.status_code == 200
    assert OutageReport.objects.get().mobile == PHONE


def test_post_with_address_id_only_is_enough(client, key, subscription):
    data = valid(key, subscription, lat=None, long=None, address_string=None, address_id="A-1")
    assert post(client, **data).status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("api_key", [None, "", "wrong-key-0123456789", "x" * 5000, "\x00"])
def test_post_without_a_valid_key_is_403(client, subscription, key, fmt, api_key):
    data = valid(key, subscription, api_key=api_key)
    assert_error(post(client, fmt, **data), 403, fmt)
    assert not OutageReport.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_with_an_inactive_key_is_403(client, subscription, key, fmt):
    Open311ApiKey.objects.filter(pk=key.pk).update(is_active=False)
    assert_error(post(client, fmt, **valid(key, subscription)), 403, fmt)
    assert not OutageReport.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_with_an_unknown_service_code_is_404(client, subscription, key, fmt):
    data = valid(key, subscription, service_code="potholes")
    assert_error(post(client, fmt, **data), 404, fmt)
    assert not OutageReport.objects.exists()


def test_post_without_service_code_is_400(client, subscription, key):
    assert_error(post(client, **valid(key, subscription, service_code=None)), 400)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_without_a_location_is_400(client, subscription, key, fmt):
    data = valid(key, subscription, lat=None, long=None, address_string=None)
    (description,) = assert_error(post(client, fmt, **data), 400, fmt)
    assert "address_string" in description
    assert not OutageReport.objects.exists()


@pytest.mark.parametrize(
    "lat,long",
    [
        ("abc", "46.2"),
        ("38.1", "east"),
        ("91", "46.2"),
        ("38.1", "-180.5"),
        ("NaN", "46.2"),
        ("Infinity", "46.2"),
        ("1e400", "46.2"),
        ("38.1", None),
        (None, "46.2"),
    ],
)
def test_post_with_bad_coordinates_is_400(client, subscription, key, lat, long):
    assert_error(post(client, **valid(key, subscription, lat=lat, long=long)), 400)
    assert not OutageReport.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("bill_id", [None, "", "12ab", "1234567890123456789", "\x00"])
def test_post_with_a_bad_bill_id_is_400_with_the_persian_message(
    client, subscription, key, fmt, bill_id
):
    data = valid(key, subscription, **{"attribute[bill_id]": bill_id})
    descriptions = assert_error(post(client, fmt, **data), 400, fmt)
    assert any(d.startswith("شناسه قبض") for d in descriptions)
    assert not OutageReport.objects.exists()


def test_post_with_an_unknown_or_gas_bill_id_is_400(client, subscription, key):
    gas = SubscriptionFactory(office__company__kind="gas")
    for bill_id in (gas.bill_id,):
        descriptions = assert_error(
            post(client, **valid(key, subscription, **{"attribute[bill_id]": bill_id})), 400
        )
        assert descriptions[0].startswith("شناسه قبض")
    assert not OutageReport.objects.exists()


@pytest.mark.parametrize("phone", [None, "", "0212345678", "0912", "not a phone", "\x00"])
def test_post_with_a_bad_phone_is_400(client, subscription, key, phone):
    descriptions = assert_error(post(client, **valid(key, subscription, phone=phone)), 400)
    assert any(d.startswith("phone") for d in descriptions)
    assert not OutageReport.objects.exists()


def test_post_lists_every_problem_at_once(client, subscription, key):
    data = valid(key, subscription, lat="x", long="y", phone="", **{"attribute[bill_id]": ""})
    assert len(assert_error(post(client, **data), 400)) == 4


def test_post_for_a_subscription_without_a_feeder_is_400(client, key):
    orphan = SubscriptionFactory(feeder_code="")
    assert_error(post(client, **valid(key, orphan)), 400)
    assert not OutageReport.objects.exists()


def test_post_survives_hostile_text(client, subscription, key):
    data = valid(
        key,
        subscription,
        description="a\x00b" + "x" * 5000,
        first_name="\x00" * 200,
        last_name="<script>" * 50,
        address_string="\x01\x02 " * 200,
    )
    response = post(client, "xml", **data)
    assert response.status_code == 200
    assert xml(response).tag == "service_requests"
    report = OutageReport.objects.get()
    assert "\x00" not in report.description and len(report.description) <= 1000


def test_post_takes_the_key_from_the_query_string_too(client, subscription, key):
    data = valid(key, subscription, api_key=None)
    response = client.post(f"{BASE}requests.json?api_key={key.raw}", data)
    assert response.status_code == 200


def test_post_is_csrf_exempt(subscription, key):
    from django.test import Client

    response = post(Client(enforce_csrf_checks=True), **valid(key, subscription))
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_posts_are_rate_limited_per_key(client, subscription, key, fmt, monkeypatch):
    monkeypatch.setattr(open311_views, "POST_LIMIT", 3)
    for _ in range(3):
        assert post(client, fmt, **valid(key, subscription)).status_code == 200
    response = post(client, fmt, **valid(key, subscription))
    assert_error(response, 429, fmt)
    assert int(response["Retry-After"]) > 0
    # Another app's key has its own budget.
    other = api_key_create(name="برنامه دیگر")[1]
    assert post(client, fmt, **valid(key, subscription, api_key=other)).status_code == 200


# --- GET requests -------------------------------------------------------------------------------


def test_get_requests_json_shape(client, subscription, feeder):
    report = filed(subscription)
    (item,) = as_json(client.get(f"{BASE}requests.json?jurisdiction_id=x"))
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == report.code
    assert item["status"] == "open"
    assert item["status_notes"] == "دریافت شده"
    assert item["service_name"] == "قطع برق (Power outage)"
    assert item["service_code"] == "power-outage"
    assert item["agency_responsible"] == feeder.office.name
    assert item["address"] == f"{feeder.city.name}، {feeder.area}"
    assert item["requested_datetime"].endswith("+03:30")
    seconds = dt.timedelta(seconds=1)
    requested = dt.datetime.fromisoformat(item["requested_datetime"])
    assert abs(requested - report.created_at) < seconds
    assert dt.datetime.fromisoformat(item["updated_datetime"]) >= requested
    expected = dt.datetime.fromisoformat(item["expected_datetime"])
    assert abs(expected - report.incident.expected_at) < seconds
    for empty in ("description", "service_notice", "address_id", "zipcode", "lat", "long"):
        assert item[empty] == ""
    assert item["media_url"] == ""


def test_get_requests_xml_shape(client, subscription):
    filed(subscription)
    root = xml(client.get(f"{BASE}requests.xml"))
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert children(request) == REQUEST_FIELDS
    assert request.findtext("status") == "open"


def test_get_requests_empty_list(client):
    assert as_json(client.get(f"{BASE}requests.json")) == []
    root = xml(client.get(f"{BASE}requests.xml"))
    assert root.tag == "service_requests" and len(root) == 0


def test_resolved_incident_is_closed_with_the_state_and_result_in_notes(client, subscription):
    report = filed(subscription, now=timezone.now() - dt.timedelta(hours=1))
    clerk = add_role(StaffFactory(office=report.feeder.office), roles.OFFICE_CLERK)
    incident_move(incident=report.incident, to=IncidentState.INVESTIGATING, actor=clerk)
    incident = Incident.objects.get()
    incident_move(
        incident=incident, to=IncidentState.RESOLVED, actor=clerk, result="فیوز تعویض شد."
    )
    (item,) = as_json(client.get(f"{BASE}requests.json"))
    assert item["status"] == "closed"
    assert item["status_notes"] == "برق وصل شد — فیوز تعویض شد."
    assert dt.datetime.fromisoformat(item["updated_datetime"]) > report.created_at


def test_in_progress_state_is_in_status_notes(client, subscription):
    report = filed(subscription)
    clerk = add_role(StaffFactory(office=report.feeder.office), roles.OFFICE_CLERK)
    incident_move(
        incident=report.incident, to=IncidentState.CREW_DISPATCHED, actor=clerk, crew="اکیپ ۳"
    )
    (item,) = as_json(client.get(f"{BASE}requests.json"))
    assert item["status"] == "open" and item["status_notes"] == "اکیپ اعزام شده"


def test_scheduled_window_report_is_open_until_the_window_ends(client, feeder, subscription):
    now = timezone.now()
    window = ScheduledOutageFactory(
        feeder=feeder, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1)
    )
    filed(subscription)
    (item,) = as_json(client.get(f"{BASE}requests.json"))
    assert item["status"] == "open"
    assert item["status_notes"].startswith("خاموشی برنامه‌ریزی‌شده")
    assert window.reason in item["status_notes"]
    expected = dt.datetime.fromisoformat(item["expected_datetime"])
    assert abs(expected - window.ends_at) < dt.timedelta(seconds=1)
    window.ends_at = now - dt.timedelta(minutes=1)
    window.save()
    (item,) = as_json(client.get(f"{BASE}requests.json"))
    assert item["status"] == "closed"


def make_reports():
    """One open incident report, one closed (resolved) one, one old (100 days) one."""
    now = timezone.now()
    old = filed(fed_subscription(), now=now - dt.timedelta(days=100))
    closed = filed(fed_subscription(), now=now - dt.timedelta(days=2))
    clerk = add_role(StaffFactory(office=closed.feeder.office), roles.OFFICE_CLERK)
    incident_move(incident=closed.incident, to=IncidentState.INVESTIGATING, actor=clerk)
    incident_move(incident=Incident.objects.get(pk=closed.incident_id), to="resolved", actor=clerk)
    open_ = filed(fed_subscription(), now=now - dt.timedelta(hours=1))
    return old, closed, open_


def ids(response) -> list[str]:
    return [item["service_request_id"] for item in as_json(response)]


def test_get_default_window_is_90_days_newest_first(client):
    _old, closed, open_ = make_reports()
    assert ids(client.get(f"{BASE}requests.json")) == [open_.code, closed.code]


def test_get_by_status(client):
    _old, closed, open_ = make_reports()
    assert ids(client.get(f"{BASE}requests.json?status=open")) == [open_.code]
    assert ids(client.get(f"{BASE}requests.json?status=closed")) == [closed.code]
    both = ids(client.get(f"{BASE}requests.json?status=open,closed"))
    assert both == [open_.code, closed.code]


def test_get_by_dates(client):
    old, closed, open_ = make_reports()
    now = timezone.now()
    start = (now - dt.timedelta(days=200)).isoformat()
    end = (now - dt.timedelta(days=1)).isoformat()
    response = client.get(f"{BASE}requests.json", {"start_date": start, "end_date": end})
    assert ids(response) == [closed.code, old.code]
    response = client.get(f"{BASE}requests.json", {"start_date": start})
    assert ids(response) == [open_.code, closed.code, old.code]
    # end_date alone: the 90 days before it.
    response = client.get(f"{BASE}requests.json", {"end_date": end})
    assert ids(response) == [closed.code]
    # A Tehran-offset date-time, and an unencoded "+" that arrived as a space.
    tehran = timezone.localtime(now - dt.timedelta(days=3)).isoformat(timespec="seconds")
    assert tehran.endswith("+03:30")
    assert ids(client.get(f"{BASE}requests.json", {"start_date": tehran})) == [
        open_.code,
        closed.code,
    ]
    assert ids(client.get(f"{BASE}requests.json?start_date={tehran.replace('+', ' ')}")) == [
        open_.code,
        closed.code,
    ]
    zulu = (now - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(ids(client.get(f"{BASE}requests.json", {"start_date": zulu}))) == 2


def test_get_by_service_code(client):
    _old, closed, open_ = make_reports()
    assert ids(client.get(f"{BASE}requests.json?service_code=power-outage")) == [
        open_.code,
        closed.code,
    ]
    assert ids(client.get(f"{BASE}requests.json?service_code=potholes")) == []


def test_get_by_ids_overrides_the_other_filters(client):
    old, _closed, open_ = make_reports()
    query = f"service_request_id={old.code},{open_.code},99999999&status=closed"
    assert ids(client.get(f"{BASE}requests.json?{query}")) == [open_.code, old.code]
    persian = to_persian_digits(old.code)
    assert ids(client.get(f"{BASE}requests.json", {"service_request_id": persian})) == [old.code]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"end_date": "2026-13-45T00:00:00Z"},
        {"start_date": "2026-01-01T25:00:00"},
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        {"status": "pending"},
        {"status": ","},
        {"start_date": "\x00x"},
    ],
)
def test_get_bad_filters_are_400(client, fmt, params):
    assert_error(client.get(f"{BASE}requests.{fmt}", params), 400, fmt)


def test_get_never_shows_who_reported_or_what_they_typed(client, subscription, key):
    post(client, **valid(key, subscription))
    for path in ("requests.json", "requests.xml"):
        text = client.get(f"{BASE}{path}").content.decode()
        code = OutageReport.objects.get().code
        text += client.get(f"{BASE}requests/{code}.json").content.decode()
        for private in (
            PHONE,
            "9127654321",
            "مهسا",
            "رضایی‌نیا",
            "متن خصوصی شهروند",
            "نشانی اعلام‌شده شهروند",
            subscription.address,
            subscription.bill_id,
            "38.08",
            "46.2919",
        ):
            assert private not in text


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_requests_query_budget(client, django_assert_max_num_queries, rows, fmt):
    feeder = FeederFactory()
    for n in range(rows):
        filed(fed_subscription(feeder), mobile=f"0912000{n:04d}")
    with django_assert_max_num_queries(8):
        response = client.get(f"{BASE}requests.{fmt}")
    assert response.status_code == 200


def test_get_requests_caps_at_1000(client, monkeypatch, subscription):
    from outages.open311 import selectors

    monkeypatch.setattr(selectors, "MAX_RESULTS", 2)
    for n in range(3):
        filed(subscription, mobile=f"0912000{n:04d}")
    assert len(ids(client.get(f"{BASE}requests.json"))) == 2


# --- one request and tokens ---------------------------------------------------------------------


def test_get_one_request_json_and_xml(client, subscription):
    report = filed(subscription)
    (item,) = as_json(client.get(f"{BASE}requests/{report.code}.json"))
    assert list(item) == REQUEST_FIELDS and item["service_request_id"] == report.code
    root = xml(client.get(f"{BASE}requests/{report.code}.xml"))
    assert root.tag == "service_requests"
    assert [r.tag for r in root] == ["request"]
    assert root.find("request").findtext("service_request_id") == report.code


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("code", ["12345678", "abc", "1" * 300, "%00", "1.2"])
def test_get_unknown_request_is_404(client, subscription, fmt, code):
    filed(subscription)
    assert_error(client.get(f"{BASE}requests/{code}.{fmt}"), 404, fmt)


def test_token_lookup_json_and_xml(client, subscription):
    report = filed(subscription)
    body = as_json(client.get(f"{BASE}tokens/{report.token}.json"))
    assert body == [{"service_request_id": report.code, "token": str(report.token)}]
    root = xml(client.get(f"{BASE}tokens/{report.token}.xml"))
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request" and children(request) == ["service_request_id", "token"]
    assert request.findtext("service_request_id") == report.code


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("token", [str(uuid.uuid4()), "not-a-token", "1" * 500])
def test_unknown_or_malformed_token_is_404(client, subscription, fmt, token):
    filed(subscription)
    assert_error(client.get(f"{BASE}tokens/{token}.{fmt}"), 404, fmt)


def test_posted_token_resolves(client, key, subscription):
    (answer,) = as_json(post(client, **valid(key, subscription)))
    body = as_json(client.get(f"{BASE}tokens/{answer['token']}.json"))
    assert body[0]["service_request_id"] == answer["service_request_id"]


# --- keys -----------------------------------------------------------------------------------------


def test_api_key_create_stores_only_prefix_and_hash():
    row, raw = api_key_create(name="  برنامه آزمون  ")
    assert len(raw) >= 40
    assert row.name == "برنامه آزمون"
    assert row.prefix == raw[:8]
    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.is_active and row.last_used_at is None
    assert raw not in json.dumps(list(Open311ApiKey.objects.values()), default=str)
    assert api_key_create(name="دیگری")[1] != raw


def test_api_key_create_with_a_given_key():
    row, raw = api_key_create(name="نمایشی", raw_key="demo-open311-tabriz-1403-key")
    assert raw == "demo-open311-tabriz-1403-key" and row.prefix == "demo-ope"
    with pytest.raises(PortalError) as exc:
        api_key_create(name="دوباره", raw_key="demo-open311-tabriz-1403-key")
    assert "raw_key" in exc.value.fields


@pytest.mark.parametrize("name", ["", "   ", None])
def test_api_key_create_needs_a_name(name):
    with pytest.raises(PortalError) as exc:
        api_key_create(name=name)
    assert "name" in exc.value.fields
    assert not Open311ApiKey.objects.exists()


def test_api_key_authenticate():
    row, raw = api_key_create(name="برنامه")
    found = api_key_authenticate(raw_key=raw)
    assert found == row and found.last_used_at is not None
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert api_key_authenticate(raw_key=raw[:-1]) is None
    assert api_key_authenticate(raw_key="") is None
    assert api_key_authenticate(raw_key=row.key_hash) is None
    Open311ApiKey.objects.filter(pk=row.pk).update(is_active=False)
    assert api_key_authenticate(raw_key=raw) is None


# --- no input gives a 500 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "requests.json?service_request_id=" + ",".join(["x"] * 3000),
        "requests.json?service_request_id=%00,%ff",
        "requests.xml?start_date=%ff&end_date=9999-99-99",
        "requests.json?start_date=0001-01-01T00:00:00Z",
        "requests.json?end_date=0001-01-01T00:00:00",
        "requests.json?start_date=9999-12-31T23:59:59%2B14:00",
        "requests.json?status=OPEN",
        "services/%D8%A8%D8%B1%D9%82.xml",
        "services/%00.json",
        "tokens/%00.xml",
        "requests/%DB%B1%DB%B2.json",
        "discovery.JSON",
    ],
)
def test_fuzzed_gets_never_500(client, subscription, path):
    filed(subscription)
    response = client.get(BASE + path)
    assert response.status_code in (200, 400, 404)
    if response.status_code != 200:
        fmt = "xml" if path.split("?")[0].endswith(".xml") else "json"
        assert_error(response, response.status_code, fmt)


def test_fuzzed_posts_never_500(client, subscription, key):
    broken = client.post(
        f"{BASE}requests.json",
        data=b'--zzz\r\nContent-Disposition: form-data; name="api_key"\r\n\r\nabc',
        content_type="multipart/form-data; boundary=zzz",
    )
    assert broken.status_code in (400, 403)
    as_json_body = client.post(
        f"{BASE}requests.json",
        data=json.dumps(valid(key, subscription)),
        content_type="application/json",
    )
    assert_error(as_json_body, 403)  # the spec's POST is form-encoded; no key was read
    weird = valid(key, subscription, lat="٣٨٫٠٨", long="۴۶٫۲۹", description="\ud7ff" * 3)
    assert post(client, "xml", **weird).status_code == 200
    assert str(OutageReport.objects.get().lat) == "38.080000"
