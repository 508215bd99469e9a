"""Smaller parts of the request engine: numbers, type fields, tracking, SLA report, ratings,
complaints and the database rate limiter."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.errors import NotFound, PortalError, RateLimited
from portal.identifiers import generate_tracking_number, is_valid_tracking_number, luhn_check_digit
from requests_app.models import Channel, Complaint, Rating, Status, validate_field_schema
from requests_app.selectors.requests import request_track, sla_report
from requests_app.services import feedback
from requests_app.services import workflow as wf
from requests_app.services.fields import fields_clean, fields_display
from requests_app.services.notify import rating_token
from subscribers.services.ratelimit import rate_limit_hit
from tests.factories import CityFactory, DistrictOfficeFactory, UserFactory, UtilityCompanyFactory
from tests.requests_app.factories import RequestTypeFactory, office_staff, owned_subscription

pytestmark = pytest.mark.django_db

SCHEMA = [
    {"name": "branches", "label": "تعداد انشعاب", "kind": "integer", "required": True, "min": 1,
     "max": 200},
    {"name": "phase", "label": "فاز", "kind": "choice", "required": True,
     "choices": [["single", "تک‌فاز"], ["three", "سه‌فاز"]]},
    {"name": "note", "label": "توضیح", "kind": "text", "max_length": 5},
]  # fmt: skip


# --- tracking numbers ------------------------------------------------------------------


@pytest.mark.django_db(False)
def test_tracking_numbers_are_valid_and_catch_single_typos():
    for _ in range(200):
        number = generate_tracking_number(10)
        assert len(number) == 10 and number[0] != "0" and is_valid_tracking_number(number)
        for position in range(10):
            digit = int(number[position])
            typo = number[:position] + str((digit + 1) % 10) + number[position + 1 :]
            assert not is_valid_tracking_number(typo)
    persian = "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] for c in number)
    assert is_valid_tracking_number(persian)
    assert not is_valid_tracking_number("12ab")
    assert not is_valid_tracking_number(None)
    assert luhn_check_digit("7992739871") == 3  # the textbook Luhn example


# --- the type's own fields ---------------------------------------------------------------


@pytest.mark.django_db(False)
def test_fields_clean_accepts_persian_digits_and_names_bad_fields():
    assert fields_clean(schema=SCHEMA, data={"branches": "۱۲", "phase": "three", "x": 1}) == {
        "branches": 12,
        "phase": "three",
    }
    with pytest.raises(PortalError) as caught:
        fields_clean(schema=SCHEMA, data={"branches": "0", "phase": "four", "note": "123456"})
    assert set(caught.value.fields) == {"branches", "phase", "note"}
    assert "تعداد انشعاب" in caught.value.fields["branches"][0]
    with pytest.raises(PortalError) as caught:
        fields_clean(schema=SCHEMA, data={})
    assert set(caught.value.fields) == {"branches", "phase"}
    with pytest.raises(PortalError):
        fields_clean(schema=SCHEMA, data=["not", "a", "dict"])
    with pytest.raises(PortalError):
        fields_clean(schema=SCHEMA, data={"branches": 1.5, "phase": "single"})
    assert fields_display(schema=SCHEMA, values={"branches": 3, "phase": "three"}) == [
        ("تعداد انشعاب", "3"),
        ("فاز", "سه‌فاز"),
    ]


@pytest.mark.django_db(False)
@pytest.mark.parametrize(
    "schema",
    [
        {"name": "x"},
        [{"name": "1bad", "label": "x", "kind": "text"}],
        [{"name": "a", "label": "", "kind": "text"}],
        [{"name": "a", "label": "x", "kind": "date"}],
        [{"name": "a", "label": "x", "kind": "choice", "choices": []}],
        [{"name": "a", "label": "x", "kind": "integer", "min": "1"}],
        [{"name": "a", "label": "x", "kind": "text"}, {"name": "a", "label": "y", "kind": "text"}],
    ],
)
def test_field_schema_validator_refuses_bad_definitions(schema):
    with pytest.raises(ValidationError):
        validate_field_schema(schema)


def test_seeded_catalog_schemas_are_valid():
    from requests_app.demo import REQUEST_TYPES

    for spec in REQUEST_TYPES:
        validate_field_schema(spec.get("fields_schema", []))


# --- tracking ----------------------------------------------------------------------------


@pytest.fixture
def filed():
    request_type = RequestTypeFactory(stage_documents=False)
    user, subscription = owned_subscription()
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    return request


def test_tracking_needs_the_subscription_number_for_after_sales(filed):
    number, subscription_number = filed.number, filed.subscription.subscription_number
    view = request_track(number=number, subscription_number=subscription_number)
    assert view.status == Status.APPROVAL and view.type_title == filed.request_type.title
    assert view.steps[0].label == "ثبت شده، در نوبت اقدام امور"
    with pytest.raises(NotFound) as missing_pair:
        request_track(number=number, subscription_number="")
    with pytest.raises(NotFound) as wrong_pair:
        request_track(number=number, subscription_number="999")
    wrong_number = generate_tracking_number(10)
    with pytest.raises(NotFound) as missing:
        request_track(number=wrong_number, subscription_number=subscription_number)
    assert missing_pair.value.message == wrong_pair.value.message == missing.value.message
    with pytest.raises(NotFound):
        request_track(number="not-a-number")


def test_tracking_a_new_connection_by_number_alone():
    company = UtilityCompanyFactory(kind="gas")
    city = CityFactory()
    DistrictOfficeFactory(company=company).cities.add(city)
    request_type = RequestTypeFactory(
        company_kind="gas", needs_subscription=False, stage_documents=False
    )
    user = UserFactory()
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB, city=city,
        address="قزوین",
    )  # fmt: skip
    assert request_track(number=request.number).number == request.number


def test_drafts_are_not_trackable():
    request_type = RequestTypeFactory(stage_documents=False)
    user, subscription = owned_subscription()
    draft = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription, submit=False,
    )  # fmt: skip
    with pytest.raises(NotFound):
        request_track(number=draft.number, subscription_number=subscription.subscription_number)
    wf.request_submit(request=draft, actor=user)
    assert request_track(
        number=draft.number, subscription_number=subscription.subscription_number
    ).status == (Status.APPROVAL)


# --- SLA report --------------------------------------------------------------------------


def test_sla_report_counts_median_within_and_overdue(django_assert_max_num_queries):
    request_type = RequestTypeFactory(stage_documents=False, stage_approval=False, sla_hours=10)
    user, subscription = owned_subscription()
    clerk = office_staff(subscription.office)
    now = timezone.now()
    durations = (2, 4, 30)  # hours to completion; the last one misses the 10-hour SLA
    for hours in durations:
        request = wf.request_file(
            request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
            subscription=subscription,
        )  # fmt: skip
        wf.request_complete(request=request, actor=clerk)
        request.__class__.objects.filter(pk=request.pk).update(
            submitted_at=now - timedelta(hours=hours),
            due_at=now - timedelta(hours=hours) + timedelta(hours=10),
        )
    late = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    late.__class__.objects.filter(pk=late.pk).update(due_at=now - timedelta(hours=1))
    completed = late.__class__.objects.filter(status=Status.COMPLETED).first()
    Rating.objects.create(request=completed, score=4)
    with django_assert_max_num_queries(4):
        rows = {row.request_type.pk: row for row in sla_report()}
    row = rows[request_type.pk]
    assert (row.filed, row.completed, row.within_sla, row.overdue_now) == (4, 3, 2, 1)
    assert row.median_hours == pytest.approx(4, abs=0.1)
    assert row.within_sla_percent == pytest.approx(66.7)
    assert (row.rating_average, row.ratings) == (4.0, 1)
    other_office_rows = {r.request_type.pk: r for r in sla_report(office_ids=[0])}
    assert other_office_rows[request_type.pk].filed == 0


# --- ratings and complaints ----------------------------------------------------------------


def test_rating_link_only_for_completed_requests_and_once(filed):
    supervisor = office_staff(filed.office, supervisor=True)
    with pytest.raises(NotFound):
        feedback.rating_request_from_token(token=rating_token(filed))
    with pytest.raises(NotFound):
        feedback.rating_request_from_token(token="garbage")
    done = wf.request_approve(request=filed, actor=supervisor)
    request = feedback.rating_request_from_token(token=rating_token(done))
    with pytest.raises(PortalError) as caught:
        feedback.rating_submit(request=request, score=6)
    assert "score" in caught.value.fields
    feedback.rating_submit(request=request, score="۵", comment="عالی")
    with pytest.raises(PortalError, match="پیش‌تر"):
        feedback.rating_submit(request=request, score=3)
    assert Rating.objects.get(request=request).score == 5


def test_complaint_filed_and_answered_once_with_sms(filed):
    applicant = filed.applicant
    with pytest.raises(PortalError) as caught:
        feedback.complaint_file(complainant=applicant, text="کوتاه", request=filed)
    assert "text" in caught.value.fields
    with pytest.raises(NotFound):
        feedback.complaint_file(
            complainant=UserFactory(), text="شکایت بلند از کندی کار", request=filed
        )
    complaint = feedback.complaint_file(
        complainant=applicant, text="درخواست من بیش از موعد مانده است", request=filed
    )
    assert is_valid_tracking_number(complaint.tracking_code, 8)
    assert complaint.office == filed.office
    outsider = office_staff(DistrictOfficeFactory())
    with pytest.raises(NotFound):
        feedback.complaint_answer(complaint=complaint, actor=outsider, answer="x")
    clerk = office_staff(filed.office)
    with pytest.raises(PortalError):
        feedback.complaint_answer(complaint=complaint, actor=clerk, answer=" ")
    feedback.complaint_answer(complaint=complaint, actor=clerk, answer="پیگیری شد و انجام می‌شود.")
    with pytest.raises(PortalError, match="پیش‌تر"):
        feedback.complaint_answer(complaint=complaint, actor=clerk, answer="دوباره")
    texts = list(
        OutboxMessage.objects.filter(recipient=applicant.mobile)
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert sum("پاسخ شکایت" in text for text in texts) == 1
    assert Complaint.objects.get().state == Complaint.State.ANSWERED


# --- rate limiter ------------------------------------------------------------------------


def test_rate_limit_counts_per_key_and_window():
    now = timezone.now()
    for _ in range(3):
        rate_limit_hit(scope="t", key="1.2.3.4", limit=3, window=timedelta(minutes=10), now=now)
    with pytest.raises(RateLimited) as caught:
        rate_limit_hit(scope="t", key="1.2.3.4", limit=3, window=timedelta(minutes=10), now=now)
    assert 0 < caught.value.retry_after <= 601
    rate_limit_hit(scope="t", key="5.6.7.8", limit=3, window=timedelta(minutes=10), now=now)
    rate_limit_hit(scope="other", key="1.2.3.4", limit=3, window=timedelta(minutes=10), now=now)
    later = now + timedelta(minutes=11)
    rate_limit_hit(scope="t", key="1.2.3.4", limit=3, window=timedelta(minutes=10), now=later)


def test_old_rate_windows_are_pruned_by_the_periodic_task():
    from subscribers.models import RateCounter
    from subscribers.tasks import rate_counters_prune_task

    old = timezone.now() - timedelta(days=2)
    rate_limit_hit(scope="t", key="a", limit=5, window=timedelta(minutes=10), now=old)
    rate_limit_hit(scope="t", key="a", limit=5, window=timedelta(minutes=10))
    assert rate_counters_prune_task.delay().get() == 1
    assert RateCounter.objects.count() == 1
    assert rate_counters_prune_task.delay().get() == 0
