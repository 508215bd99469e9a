"""Office staff's request pages in admin: the scoped queue, every workflow button through the
admin POST, filing at the counter, complaints, the SLA report and the role permissions."""

from __future__ import annotations

import importlib
import threading
from datetime import timedelta

import jdatetime
import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from portal.errors import PortalError
from requests_app.models import (
    BillingAdjustment,
    Channel,
    Complaint,
    RequestDocument,
    RequestEvent,
    RequestType,
    ServiceRequest,
    Status,
    VisitAppointment,
)
from requests_app.services import workflow as wf
from requests_app.services.feedback import complaint_file
from subscribers import roles
from subscribers.services.roles import roles_sync
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    StaffFactory,
    UtilityCompanyFactory,
    add_role,
    login_with_second_factor,
)
from tests.requests_app.factories import (
    RequestTypeFactory,
    RequiredDocumentFactory,
    office_staff,
    owned_subscription,
)

pytestmark = pytest.mark.django_db

REQUEST_ROLE_PERMISSIONS = importlib.import_module(
    "requests_app.migrations.0003_request_roles"
).ROLE_PERMISSIONS


def test_the_migration_and_roles_sync_grant_the_same_permissions():
    from requests_app.roles import ROLE_PERMISSIONS

    assert REQUEST_ROLE_PERMISSIONS == ROLE_PERMISSIONS


@pytest.fixture(autouse=True)
def _role_groups(db):
    """The role groups come from data migrations; a transactional test's flush (this file's
    or another app's) deletes them, so put them back for the tests that follow."""
    roles_sync()


CHANGELIST = "admin:requests_app_servicerequest_changelist"


def change_url(request):
    return reverse("admin:requests_app_servicerequest_change", args=[request.pk])


def action_url(request, action):
    return reverse("admin:requests_app_servicerequest_action", args=[request.pk, action])


def flash(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_action(client, request, action, **data):
    data.setdefault("seen_status", request.status)
    return client.post(action_url(request, action), data)


def status_of(request):
    return ServiceRequest.objects.values_list("status", flat=True).get(pk=request.pk)


def upload(request, requirement):
    return RequestDocument.objects.create(
        request=request,
        requirement=requirement,
        file=f"requests/x/{requirement.pk}.pdf",
        original_name="kart-melli.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        uploaded_by=request.applicant,
    )


@pytest.fixture
def office_setup():
    applicant, subscription = owned_subscription()
    office = subscription.office
    return {
        "applicant": applicant,
        "subscription": subscription,
        "office": office,
        "clerk": office_staff(office),
        "supervisor": office_staff(office, supervisor=True),
    }


@pytest.fixture
def doc_type():
    request_type = RequestTypeFactory(stage_documents=True, stage_approval=True, sla_hours=48)
    RequiredDocumentFactory(request_type=request_type, title="کارت ملی")
    return request_type


@pytest.fixture
def visit_type():
    return RequestTypeFactory(
        stage_documents=False, stage_visit=True, stage_approval=True, sla_hours=72
    )


def file_request(setup, request_type, **extra):
    return wf.request_file(
        request_type=request_type,
        applicant=setup["applicant"],
        actor=setup["applicant"],
        channel=Channel.WEB,
        subscription=setup["subscription"],
        **extra,
    )


@pytest.fixture
def clerk_client(client, office_setup):
    login_with_second_factor(client, office_setup["clerk"])
    return client


@pytest.fixture
def supervisor_client(client, office_setup):
    login_with_second_factor(client, office_setup["supervisor"])
    return client


# --- The queue ----------------------------------------------------------------------------


def test_changelist_shows_only_own_office(clerk_client, office_setup, doc_type):
    mine = file_request(office_setup, doc_type)
    other_user, other_sub = owned_subscription()
    theirs = wf.request_file(
        request_type=doc_type, applicant=other_user, actor=other_user, channel=Channel.WEB,
        subscription=other_sub,
    )  # fmt: skip
    response = clerk_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [mine]
    html = response.content.decode()
    assert mine.number in html and theirs.number not in html
    # The office filter means nothing to a clerk of one office.
    assert "office__id__exact" not in html
    assert reverse("admin:requests_app_servicerequest_sla") in html


def test_changelist_search_filters_and_overdue_badge(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    ServiceRequest.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(hours=1))
    response = clerk_client.get(reverse(CHANGELIST), {"overdue": "yes"})
    assert list(response.context["cl"].queryset) == [request]
    assert "دیرکرد" in response.content.decode()
    assert not clerk_client.get(reverse(CHANGELIST), {"overdue": "no"}).context["cl"].result_count
    # Search by the applicant's national code typed in Persian digits.
    code = to_persian_digits(office_setup["applicant"].national_code)
    assert clerk_client.get(reverse(CHANGELIST), {"q": code}).context["cl"].result_count == 1
    number = office_setup["subscription"].subscription_number
    assert clerk_client.get(reverse(CHANGELIST), {"q": number}).context["cl"].result_count == 1
    by_type = clerk_client.get(reverse(CHANGELIST), {"request_type__id__exact": doc_type.pk})
    assert by_type.context["cl"].result_count == 1
    by_status = clerk_client.get(reverse(CHANGELIST), {"status__exact": Status.COMPLETED})
    assert by_status.context["cl"].result_count == 0


def test_changelist_query_count_is_flat(clerk_client, office_setup, doc_type):
    first = file_request(office_setup, doc_type)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert clerk_client.get(reverse(CHANGELIST)).status_code == 200
        return len(queries)

    count()  # the session's first-request bookkeeping is not the changelist's
    at_one = count()
    template = ServiceRequest.objects.get(pk=first.pk)
    rows = []
    for n in range(49):
        template.pk, template.id = None, None
        template.number = f"{9_000_000_000 + n}"
        rows.append(ServiceRequest(**{f.attname: getattr(template, f.attname) for f in
                                      ServiceRequest._meta.concrete_fields}))  # fmt: skip
    ServiceRequest.objects.bulk_create(rows)
    assert ServiceRequest.objects.filter(office=office_setup["office"]).count() == 50
    assert count() == at_one


def test_change_page_of_another_office_is_404(clerk_client, office_setup, doc_type):
    other_user, other_sub = owned_subscription()
    theirs = wf.request_file(
        request_type=doc_type, applicant=other_user, actor=other_user, channel=Channel.WEB,
        subscription=other_sub,
    )  # fmt: skip
    assert clerk_client.get(change_url(theirs)).status_code == 404
    assert post_action(clerk_client, theirs, "reject", reason="x").status_code == 404
    missing = reverse("admin:requests_app_servicerequest_change", args=[10**8])
    assert clerk_client.get(missing).status_code == 404
    history = reverse("admin:requests_app_servicerequest_history", args=[theirs.pk])
    assert clerk_client.get(history).status_code == 404
    sla_rows = clerk_client.get(reverse("admin:requests_app_servicerequest_sla")).context["rows"]
    assert all(row.filed == 0 for row in sla_rows)
    assert status_of(theirs) == Status.DOCUMENTS_REVIEW


def test_change_page_is_read_only_with_timeline_and_actions(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    document = upload(request, doc_type.documents.get())
    response = clerk_client.get(change_url(request))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="status"' not in html and 'name="_save"' not in html
    assert "ثبت شده، در نوبت اقدام امور ← بررسی مدارک" in html  # the event timeline
    names = [action.name for action, _url in response.context["workflow_actions"]]
    assert names == ["accept_documents", "reject"]
    assert "approve" not in names
    assert f'form="document-accept-{document.pk}"' in html
    try:
        preview = reverse("requests_app:document-download", args=[document.pk]) + "?inline=1"
    except NoReverseMatch:
        preview = None
    if preview:
        assert preview in html and 'target="_blank"' in html


# --- Every action through the admin POST ---------------------------------------------------


def test_crafted_post_to_the_change_form_changes_nothing(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    clerk_client.post(change_url(request), {"status": Status.COMPLETED, "address": "جای دیگر"})
    request.refresh_from_db()
    assert request.status == Status.DOCUMENTS_REVIEW and request.address != "جای دیگر"


def test_start_review(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    # A request left in the office's queue (e.g. filed before its type gained a documents stage).
    ServiceRequest.objects.filter(pk=request.pk).update(status=Status.SUBMITTED)
    request.refresh_from_db()
    names = [a.name for a, _ in clerk_client.get(change_url(request)).context["workflow_actions"]]
    assert "start_review" in names
    response = post_action(clerk_client, request, "start_review")
    assert response.status_code == 302 and response.url == change_url(request)
    assert status_of(request) == Status.DOCUMENTS_REVIEW
    assert "بررسی درخواست آغاز شد" in flash(response)[0]


def test_accept_documents_then_ask_for_more(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    upload(request, doc_type.documents.get())
    response = post_action(clerk_client, request, "accept_documents")
    assert response.status_code == 302
    assert status_of(request) == Status.APPROVAL
    assert RequestDocument.objects.get(request=request).state == RequestDocument.State.ACCEPTED

    request.refresh_from_db()
    mobile = office_setup["applicant"].mobile
    sms_before = OutboxMessage.objects.filter(recipient=mobile).count()
    page = clerk_client.get(action_url(request, "ask_documents"))
    assert page.status_code == 200 and 'name="seen_status"' in page.content.decode()
    refused = post_action(clerk_client, request, "ask_documents", note="  ")
    assert refused.status_code == 200
    assert "شرح مدارک لازم را بنویسید." in refused.content.decode()
    assert status_of(request) == Status.APPROVAL

    response = post_action(clerk_client, request, "ask_documents", note="سند مالکیت لازم است")
    assert response.status_code == 302
    assert status_of(request) == Status.DOCUMENTS_REVIEW
    assert OutboxMessage.objects.filter(recipient=mobile).count() == sms_before + 1


def test_accept_documents_refused_while_missing(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    response = post_action(clerk_client, request, "accept_documents")
    assert response.status_code == 302
    assert "کارت ملی" in flash(response)[0]
    assert status_of(request) == Status.DOCUMENTS_REVIEW


def jalali_persian(date):
    return to_persian_digits(jdatetime.date.fromgregorian(date=date).strftime("%Y/%m/%d"))


def test_schedule_and_record_visit_done(clerk_client, office_setup, visit_type):
    request = file_request(office_setup, visit_type)
    assert request.status == Status.SUBMITTED
    page = clerk_client.get(action_url(request, "schedule_visit"))
    assert page.status_code == 200
    inspectors = list(page.context["form"].fields["inspector"].queryset)
    outsider = StaffFactory(office=DistrictOfficeFactory())
    assert office_setup["clerk"] in inspectors and outsider not in inspectors

    tomorrow = timezone.localdate() + timedelta(days=1)
    data = {"date": jalali_persian(tomorrow), "window_start": "۰۹:۰۰", "window_end": "۱۲:۰۰"}
    bad = post_action(clerk_client, request, "schedule_visit", inspector=outsider.pk, **data)
    assert bad.status_code == 200 and "بازدیدکننده" in bad.content.decode()
    assert status_of(request) == Status.SUBMITTED

    inspector = office_setup["clerk"].pk
    response = post_action(clerk_client, request, "schedule_visit", inspector=inspector, **data)
    assert response.status_code == 302, response.content.decode()
    assert status_of(request) == Status.VISIT_SCHEDULED
    visit = VisitAppointment.objects.get(request=request)
    assert visit.date == tomorrow and visit.window_start.hour == 9

    request.refresh_from_db()
    response = post_action(clerk_client, request, "record_visit", result="done")
    assert response.status_code == 302
    assert status_of(request) == Status.VISITED

    request.refresh_from_db()
    response = post_action(clerk_client, request, "send_to_approval")
    assert response.status_code == 302
    assert status_of(request) == Status.APPROVAL


def test_schedule_visit_bad_date_is_a_form_error(clerk_client, office_setup, visit_type):
    request = file_request(office_setup, visit_type)
    response = post_action(
        clerk_client, request, "schedule_visit", date="۱۴۰۵/۱۳/۴۰", window_start="09:00",
        window_end="12:00", inspector=office_setup["clerk"].pk,
    )  # fmt: skip
    assert response.status_code == 200
    assert "سال/ماه/روز" in response.content.decode()
    assert not VisitAppointment.objects.filter(request=request).exists()


def _scheduled(office_setup, visit_type):
    request = file_request(office_setup, visit_type)
    wf.request_schedule_visit(
        request=request, actor=office_setup["clerk"],
        date=timezone.localdate() + timedelta(days=1),
        window_start=timezone.datetime(2000, 1, 1, 9).time(),
        window_end=timezone.datetime(2000, 1, 1, 12).time(), inspector=office_setup["clerk"],
    )  # fmt: skip
    request.refresh_from_db()
    return request


def test_record_visit_no_access_needs_a_note(clerk_client, office_setup, visit_type):
    request = _scheduled(office_setup, visit_type)
    refused = post_action(clerk_client, request, "record_visit", result="no_access", note="")
    assert refused.status_code == 200
    assert "دلیل" in refused.content.decode()
    assert status_of(request) == Status.VISIT_SCHEDULED

    response = post_action(
        clerk_client, request, "record_visit", result="no_access", note="در بسته"
    )
    assert response.status_code == 302
    assert status_of(request) == Status.NEEDS_CONTACT
    assert VisitAppointment.objects.get(request=request).result == "no_access"


def test_record_visit_of_a_meter_test_asks_the_outcome(clerk_client, office_setup, visit_type):
    visit_type.behaviour = RequestType.Behaviour.METER_TEST
    visit_type.save()
    request = _scheduled(office_setup, visit_type)
    page = clerk_client.get(action_url(request, "record_visit"))
    assert "outcome" in page.context["form"].fields
    refused = post_action(clerk_client, request, "record_visit", result="done")
    assert refused.status_code == 200 and status_of(request) == Status.VISIT_SCHEDULED
    response = post_action(clerk_client, request, "record_visit", result="done", outcome="sound")
    assert response.status_code == 302
    assert ServiceRequest.objects.get(pk=request.pk).outcome == "sound"


def test_approve_is_the_supervisors(client, office_setup, visit_type):
    request = file_request(office_setup, RequestTypeFactory(stage_documents=False))
    assert request.status == Status.APPROVAL
    login_with_second_factor(client, office_setup["clerk"])
    page = client.get(change_url(request))
    assert "approve" not in [a.name for a, _ in page.context["workflow_actions"]]
    refused = post_action(client, request, "approve")
    assert refused.status_code == 302 and flash(refused)
    assert status_of(request) == Status.APPROVAL

    login_with_second_factor(client, office_setup["supervisor"])
    page = client.get(change_url(request))
    assert "approve" in [a.name for a, _ in page.context["workflow_actions"]]
    response = post_action(client, request, "approve")
    assert response.status_code == 302
    assert status_of(request) == Status.COMPLETED
    assert "تأیید" in flash(response)[-1]


def test_complete_a_type_without_approval(clerk_client, office_setup):
    request_type = RequestTypeFactory(stage_documents=False, stage_approval=False)
    request = file_request(office_setup, request_type)
    assert request.status == Status.SUBMITTED
    names = [a.name for a, _ in clerk_client.get(change_url(request)).context["workflow_actions"]]
    assert "complete" in names and "send_to_approval" not in names
    response = post_action(clerk_client, request, "complete")
    assert response.status_code == 302
    assert status_of(request) == Status.COMPLETED


def test_confirm_debts(clerk_client, office_setup):
    request_type = RequestTypeFactory(stage_documents=False, requires_settled_debts=True)
    request = file_request(office_setup, request_type)
    response = post_action(clerk_client, request, "confirm_debts")
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.debts_confirmed_by == office_setup["clerk"]
    assert request.events.filter(kind=RequestEvent.Kind.DEBTS_CONFIRMED).count() == 1


def test_reject_needs_a_reason(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    events = request.events.count()
    refused = post_action(clerk_client, request, "reject", reason="")
    assert refused.status_code == 200
    assert "دلیل رد را بنویسید." in refused.content.decode()
    assert status_of(request) == Status.DOCUMENTS_REVIEW and request.events.count() == events

    response = post_action(clerk_client, request, "reject", reason="ملک در حریم است")
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.REJECTED and request.rejection_reason == "ملک در حریم است"


def test_stale_page_gets_the_conflict_message_and_changes_nothing(
    clerk_client, office_setup, doc_type
):
    request = file_request(office_setup, doc_type)
    upload(request, doc_type.documents.get())
    seen = request.status  # the clerk's page shows "documents review"…
    wf.request_reject(request=request, actor=office_setup["supervisor"], reason="تکراری")
    events = RequestEvent.objects.filter(request=request).count()
    # …and the clerk presses "accept documents" on that stale page.
    response = post_action(clerk_client, request, "accept_documents", seen_status=seen)
    assert response.status_code == 302
    assert "همین حالا تغییر کرده" in flash(response)[0]
    assert status_of(request) == Status.REJECTED
    assert RequestEvent.objects.filter(request=request).count() == events
    assert RequestDocument.objects.get(request=request).state == RequestDocument.State.PENDING


def test_call_centre_operator_may_look_but_not_act(client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    operator = add_role(StaffFactory(office=office_setup["office"]), roles.CALL_CENTER_OPERATOR)
    upload(request, doc_type.documents.get())
    login_with_second_factor(client, operator)
    page = client.get(change_url(request))
    assert page.status_code == 200 and page.context["workflow_actions"] == []
    assert "document-accept-" not in page.content.decode()
    assert post_action(client, request, "reject", reason="x").status_code == 403
    assert status_of(request) == Status.DOCUMENTS_REVIEW


def test_document_accept_and_reject_buttons(clerk_client, office_setup, doc_type):
    pytest.importorskip("requests_app.services.documents")
    request = file_request(office_setup, doc_type)
    requirement = doc_type.documents.get()
    document = upload(request, requirement)
    url = reverse(
        "admin:requests_app_servicerequest_document_reject", args=[request.pk, document.pk]
    )
    assert clerk_client.get(url).status_code == 200
    refused = clerk_client.post(url, {"reason": ""})
    assert refused.status_code == 200
    document.refresh_from_db()
    assert document.state == RequestDocument.State.PENDING
    response = clerk_client.post(url, {"reason": "تصویر خوانا نیست"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.state == RequestDocument.State.REJECTED

    other = RequestDocument.objects.create(
        request=request, requirement=RequiredDocumentFactory(request_type=doc_type),
        file="requests/x/2.pdf", original_name="b.pdf", content_type="application/pdf",
        size=10, sha256="1" * 64, uploaded_by=request.applicant,
    )  # fmt: skip
    accept = reverse(
        "admin:requests_app_servicerequest_document_accept", args=[request.pk, other.pk]
    )
    assert clerk_client.post(accept).status_code == 302
    other.refresh_from_db()
    assert other.state == RequestDocument.State.ACCEPTED


# --- Filing at the counter -----------------------------------------------------------------


def test_clerk_files_at_the_counter(clerk_client, office_setup, doc_type):
    add_url = reverse("admin:requests_app_servicerequest_add")
    picker = clerk_client.get(add_url)
    assert picker.status_code == 200 and doc_type.title in picker.content.decode()
    doc_type.fields_schema = [
        {"name": "branches", "label": "تعداد انشعاب", "kind": "integer", "required": True,
         "min": 1, "max": 20},
    ]  # fmt: skip
    doc_type.save()
    form_page = clerk_client.get(add_url, {"request_type": doc_type.pk})
    assert "تعداد انشعاب" in form_page.content.decode()
    response = clerk_client.post(
        add_url,
        {
            "request_type": doc_type.pk,
            "national_code": to_persian_digits(office_setup["applicant"].national_code),
            "subscription_number": to_persian_digits(
                office_setup["subscription"].subscription_number
            ),
            "field_branches": "۳",
            "description": "مراجعه حضوری",
        },
    )
    request = ServiceRequest.objects.get()
    assert response.status_code == 302 and response.url == change_url(request)
    assert request.channel == Channel.OFFICE and request.fields == {"branches": 3}
    assert request.applicant == office_setup["applicant"]
    first = request.events.order_by("id").first()
    assert first.actor == office_setup["clerk"] and first.actor_role == "clerk"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"national_code": "0000000000"}, "ثبت‌نام نکرده"),
        ({"subscription_number": "999"}, "اشتراکی با این شماره"),
        ({"field_branches": "۵۰"}, "نباید بیشتر از ۲۰"),
        ({"field_branches": ""}, "«تعداد انشعاب» را وارد کنید."),
    ],
)
def test_counter_filing_errors_save_nothing(clerk_client, office_setup, doc_type, overrides, error):
    doc_type.fields_schema = [
        {"name": "branches", "label": "تعداد انشعاب", "kind": "integer", "required": True,
         "max": 20},
    ]  # fmt: skip
    doc_type.save()
    data = {
        "request_type": doc_type.pk,
        "national_code": office_setup["applicant"].national_code,
        "subscription_number": office_setup["subscription"].subscription_number,
        "field_branches": "2",
        **overrides,
    }
    response = clerk_client.post(reverse("admin:requests_app_servicerequest_add"), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_counter_filing_of_a_new_connection(clerk_client, office_setup):
    office = office_setup["office"]
    city = CityFactory()
    office.cities.add(city)
    office.company.cities.add(city)
    request_type = RequestTypeFactory(
        behaviour=RequestType.Behaviour.NEW_CONNECTION, needs_subscription=False,
        stage_documents=False,
    )  # fmt: skip
    add_url = reverse("admin:requests_app_servicerequest_add")
    data = {
        "request_type": request_type.pk,
        "national_code": office_setup["applicant"].national_code,
    }
    missing = clerk_client.post(add_url, {**data, "city": city.pk})
    assert missing.status_code == 200 and "نشانی محل را وارد کنید." in missing.content.decode()
    assert not ServiceRequest.objects.exists()
    response = clerk_client.post(add_url, {**data, "city": city.pk, "address": "خیابان نمونه"})
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.office == office and request.subscription is None


def test_counter_filing_needs_the_add_permission(client, office_setup):
    operator = add_role(StaffFactory(office=office_setup["office"]), roles.CALL_CENTER_OPERATOR)
    login_with_second_factor(client, operator)
    assert client.get(reverse("admin:requests_app_servicerequest_add")).status_code == 403


# --- Complaints, billing adjustments, catalog, SLA ----------------------------------------


def test_complaint_answer_sends_exactly_one_sms(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    complaint = complaint_file(
        complainant=office_setup["applicant"], text="کارشناس در وقت مقرر نیامد.", request=request
    )
    general = complaint_file(
        complainant=office_setup["applicant"], text="این خدمت بسیار کند است.", request_type=doc_type
    )
    listing = clerk_client.get(reverse("admin:requests_app_complaint_changelist"))
    assert list(listing.context["cl"].queryset) == [complaint]
    general_url = reverse("admin:requests_app_complaint_change", args=[general.pk])
    assert clerk_client.get(general_url).status_code == 404

    mobile = office_setup["applicant"].mobile
    before = OutboxMessage.objects.filter(recipient=mobile).count()
    url = reverse("admin:requests_app_complaint_answer", args=[complaint.pk])
    assert clerk_client.get(url).status_code == 200
    assert clerk_client.post(url, {"answer": ""}).status_code == 200
    assert OutboxMessage.objects.filter(recipient=mobile).count() == before
    response = clerk_client.post(url, {"answer": "پوزش می‌خواهیم؛ بازدید فردا انجام می‌شود."})
    assert response.status_code == 302
    again = clerk_client.post(url, {"answer": "دوباره"})
    assert again.status_code == 302
    assert OutboxMessage.objects.filter(recipient=mobile).count() == before + 1
    complaint.refresh_from_db()
    assert complaint.state == Complaint.State.ANSWERED
    assert complaint.answer.startswith("پوزش")
    assert complaint.answered_by == office_setup["clerk"]


def test_billing_adjustments_are_scoped_and_read_only(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    mine = BillingAdjustment.objects.create(
        request=request, subscription=request.subscription, kind=BillingAdjustment.Kind.FEE,
        amount=1000,
    )  # fmt: skip
    other_user, other_sub = owned_subscription()
    theirs_request = wf.request_file(
        request_type=doc_type, applicant=other_user, actor=other_user, channel=Channel.WEB,
        subscription=other_sub,
    )  # fmt: skip
    theirs = BillingAdjustment.objects.create(
        request=theirs_request, subscription=other_sub, kind=BillingAdjustment.Kind.FEE
    )
    listing = clerk_client.get(reverse("admin:requests_app_billingadjustment_changelist"))
    assert list(listing.context["cl"].queryset) == [mine]
    url = reverse("admin:requests_app_billingadjustment_change", args=[theirs.pk])
    assert clerk_client.get(url).status_code == 404


def test_request_type_catalog_is_edited_by_supervisors(client, office_setup, doc_type):
    login_with_second_factor(client, office_setup["clerk"])
    url = reverse("admin:requests_app_requesttype_change", args=[doc_type.pk])
    page = client.get(url)
    assert page.status_code == 200 and "کارت ملی" in page.content.decode()
    assert client.get(reverse("admin:requests_app_requesttype_add")).status_code == 403

    login_with_second_factor(client, office_setup["supervisor"])
    page = client.get(url)
    assert 'name="documents-0-title"' in page.content.decode()
    assert client.get(reverse("admin:requests_app_requesttype_add")).status_code == 200


def test_sla_report_page(clerk_client, office_setup, doc_type):
    request = file_request(office_setup, doc_type)
    ServiceRequest.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(hours=1))
    other_user, other_sub = owned_subscription()
    other_type = RequestTypeFactory(title="خدمت امور دیگر")
    wf.request_file(
        request_type=other_type, applicant=other_user, actor=other_user, channel=Channel.WEB,
        subscription=other_sub,
    )  # fmt: skip
    response = clerk_client.get(reverse("admin:requests_app_servicerequest_sla"))
    assert response.status_code == 200
    html = response.content.decode()
    assert doc_type.title in html and "خدمت امور دیگر" not in html
    (row,) = response.context["rows"]
    assert (row.filed, row.overdue_now) == (1, 1)


def test_superuser_sees_every_office_and_the_office_filter(client, office_setup, doc_type):
    file_request(office_setup, doc_type)
    other_user, other_sub = owned_subscription()
    wf.request_file(
        request_type=doc_type, applicant=other_user, actor=other_user, channel=Channel.WEB,
        subscription=other_sub,
    )  # fmt: skip
    login_with_second_factor(client, StaffFactory(office=None, is_superuser=True))
    response = client.get(reverse(CHANGELIST))
    assert response.context["cl"].result_count == 2
    assert "office__id__exact" in response.content.decode()
    assert client.get(reverse("admin:requests_app_servicerequest_sla")).status_code == 200


def test_role_permissions():
    def codenames(role):
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="requests_app")
            .values_list("codename", flat=True)
        )

    clerk = codenames(roles.OFFICE_CLERK)
    assert {"change_servicerequest", "add_servicerequest", "change_complaint"} <= clerk
    assert "change_requesttype" not in clerk and "delete_servicerequest" not in clerk
    supervisor = codenames(roles.OFFICE_SUPERVISOR)
    assert {"change_requesttype", "add_requireddocument"} <= supervisor
    assert codenames(roles.CALL_CENTER_OPERATOR) == {"view_servicerequest"}


# --- Two staff at once (PostgreSQL row locks) ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approve_and_reject_one_wins():
    company = UtilityCompanyFactory()
    applicant, subscription = owned_subscription(office=DistrictOfficeFactory(company=company))
    supervisor = office_staff(subscription.office, supervisor=True)
    clerk = office_staff(subscription.office)
    request_type = RequestTypeFactory(stage_documents=False)
    request = wf.request_file(
        request_type=request_type, applicant=applicant, actor=applicant, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    assert request.status == Status.APPROVAL
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(name, call):
        try:
            loaded = ServiceRequest.objects.get(pk=request.pk)
            barrier.wait(timeout=10)
            call(loaded)
            results[name] = "ok"
        except PortalError as exc:
            results[name] = exc.code
        finally:
            connections.close_all()

    threads = [
        threading.Thread(
            target=run,
            args=("approve", lambda r: wf.request_approve(request=r, actor=supervisor)),
        ),
        threading.Thread(
            target=run,
            args=("reject", lambda r: wf.request_reject(request=r, actor=clerk, reason="x")),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["approve", "reject"]
    assert list(results.values()).count("ok") == 1
    loser = next(v for v in results.values() if v != "ok")
    assert loser in ("conflict", "transition_not_allowed")
    final = ServiceRequest.objects.get(pk=request.pk)
    assert final.status in (Status.COMPLETED, Status.REJECTED)
    assert final.events.filter(new_status__in=[Status.COMPLETED, Status.REJECTED]).count() == 1
