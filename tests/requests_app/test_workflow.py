"""The workflow engine: filing, every stage, the transition table per role, SMS per step."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import is_valid_tracking_number
from requests_app.models import (
    TRANSITIONS,
    Actor,
    BillingAdjustment,
    Channel,
    Payment,
    RequestDocument,
    RequestEvent,
    RequestType,
    ServiceRequest,
    Status,
)
from requests_app.services import workflow as wf
from tests.factories import (
    CityFactory,
    DistrictOfficeFactory,
    KioskOfficeFactory,
    OfficePhoneFactory,
    StaffFactory,
    UserFactory,
    UtilityCompanyFactory,
)
from tests.requests_app.factories import (
    RequestTypeFactory,
    RequiredDocumentFactory,
    office_staff,
    owned_subscription,
)

pytestmark = pytest.mark.django_db


def sms_texts(mobile):
    return list(
        OutboxMessage.objects.filter(recipient=mobile).order_by("id").values_list("text", flat=True)
    )


def accept_all_documents(request, staff):
    for requirement in request.request_type.documents.all():
        RequestDocument.objects.create(
            request=request,
            requirement=requirement,
            file=f"requests/x/{requirement.pk}.pdf",
            original_name="a.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            uploaded_by=request.applicant,
        )
    return wf.request_accept_documents(request=request, actor=staff)


@pytest.fixture
def full_type():
    request_type = RequestTypeFactory(
        stage_documents=True,
        stage_payment=True,
        stage_visit=True,
        stage_approval=True,
        fee_web=500_000,
        fee_kiosk=600_000,
        kiosk_charge=109_000,
    )
    RequiredDocumentFactory(request_type=request_type, title="کارت ملی")
    RequiredDocumentFactory(request_type=request_type, title="نقشه", mandatory=False)
    return request_type


@pytest.fixture
def setting(full_type):
    user, subscription = owned_subscription()
    OfficePhoneFactory(office=subscription.office, number="041-35550000")
    clerk = office_staff(subscription.office)
    supervisor = office_staff(subscription.office, supervisor=True)
    return full_type, user, subscription, clerk, supervisor


def test_request_number_is_ten_digits_with_check_digit_and_not_sequential(setting):
    request_type, user, subscription, *_ = setting
    first = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    assert is_valid_tracking_number(first.number)
    other_user, other_sub = owned_subscription(office=subscription.office)
    second = wf.request_file(
        request_type=request_type, applicant=other_user, actor=other_user, channel=Channel.WEB,
        subscription=other_sub,
    )  # fmt: skip
    assert abs(int(second.number) - int(first.number)) > 1


def test_full_flow_documents_payment_visit_approval(setting):
    request_type, user, subscription, clerk, supervisor = setting
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    assert request.status == Status.DOCUMENTS_REVIEW
    assert request.due_at == request.submitted_at + timedelta(hours=72)
    (payment,) = request.payments.all()
    assert (payment.purpose, payment.amount) == (Payment.Purpose.TARIFF, 500_000)
    texts = sms_texts(user.mobile)
    assert len(texts) == 1 and request.number in texts[0].translate(
        str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
    )

    request = accept_all_documents(request, clerk)
    assert request.status == Status.AWAITING_PAYMENT
    assert len(sms_texts(user.mobile)) == 2

    payment.state, payment.paid_at, payment.reference = Payment.State.PAID, timezone.now(), "R1"
    payment.save()
    request = wf.request_payments_changed(request=request)
    assert request.status == Status.SUBMITTED  # waits for the office to schedule the visit

    tomorrow = timezone.localdate() + timedelta(days=1)
    wf.request_schedule_visit(
        request=request, actor=clerk, date=tomorrow, window_start=time(9), window_end=time(12),
        inspector=clerk,
    )  # fmt: skip
    request.refresh_from_db()
    assert request.status == Status.VISIT_SCHEDULED
    request = wf.request_record_visit(request=request, actor=clerk, done=True)
    assert request.status == Status.VISITED
    request = wf.request_send_to_approval(request=request, actor=clerk)
    with pytest.raises(PortalError, match="ممکن نیست"):
        wf.request_approve(request=request, actor=clerk)
    request.refresh_from_db()
    request = wf.request_approve(request=request, actor=supervisor)
    assert request.status == Status.COMPLETED and request.closed_at
    statuses = list(request.events.values_list("new_status", flat=True))
    assert statuses == [
        Status.SUBMITTED, Status.DOCUMENTS_REVIEW, Status.AWAITING_PAYMENT, Status.SUBMITTED,
        Status.VISIT_SCHEDULED, Status.VISITED, Status.APPROVAL, Status.COMPLETED,
    ]  # fmt: skip
    # submitted, payment needed, paid, visit, completed: one SMS each, no more.
    texts = sms_texts(user.mobile)
    assert len(texts) == 5
    assert "مدارک" in texts[0]  # the submitted SMS names the real next step
    assert "دریافت شد" in texts[2] and "بازدید" in texts[2]
    assert "/requests/rate/" in sms_texts(user.mobile)[-1]


def test_kiosk_filing_adds_kiosk_charge_and_records_operator(setting):
    request_type, user, subscription, *_ = setting
    operator = StaffFactory(office=None, is_staff=False)
    kiosk = KioskOfficeFactory()
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=operator, on_behalf_of=user,
        channel=Channel.KIOSK, kiosk=kiosk, subscription=subscription,
    )  # fmt: skip
    amounts = dict(request.payments.values_list("purpose", "amount"))
    assert amounts == {Payment.Purpose.TARIFF: 600_000, Payment.Purpose.KIOSK_CHARGE: 109_000}
    event = request.events.get(new_status=Status.SUBMITTED)
    assert (event.actor, event.on_behalf_of, event.actor_role) == (operator, user, Actor.APPLICANT)


def test_new_connection_is_one_request_with_branches():
    company = UtilityCompanyFactory(kind="electricity")
    city = CityFactory()
    office = DistrictOfficeFactory(company=company)
    office.cities.add(city)
    request_type = RequestTypeFactory(
        needs_subscription=False,
        behaviour=RequestType.Behaviour.NEW_CONNECTION,
        stage_documents=False,
        fields_schema=[
            {
                "name": "branches",
                "label": "تعداد انشعاب",
                "kind": "integer",
                "required": True,
                "min": 1,
                "max": 200,
            },
        ],
    )
    user = UserFactory()
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB, city=city,
        address="تبریز، ولیعصر", fields={"branches": "۱۲"},
    )  # fmt: skip
    assert request.fields == {"branches": 12}
    assert request.office == office and request.subscription is None
    assert ServiceRequest.objects.count() == 1
    with pytest.raises(PortalError) as caught:
        wf.request_file(
            request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
            city=city, address="x", fields={"branches": 0},
        )  # fmt: skip
    assert "branches" in caught.value.fields
    assert ServiceRequest.objects.count() == 1


def test_after_sales_needs_owner_unless_tenant_allowed(setting):
    request_type, *_ = setting
    tenant, subscription = owned_subscription(role="tenant")
    with pytest.raises(PortalError, match="مالک"):
        wf.request_file(
            request_type=request_type, applicant=tenant, actor=tenant, channel=Channel.WEB,
            subscription=subscription,
        )  # fmt: skip
    request_type.tenant_allowed = True
    request_type.save()
    wf.request_file(
        request_type=request_type, applicant=tenant, actor=tenant, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    stranger = UserFactory()
    with pytest.raises(NotFound):
        wf.request_file(
            request_type=request_type, applicant=stranger, actor=stranger, channel=Channel.WEB,
            subscription=subscription,
        )  # fmt: skip


def test_second_open_request_of_same_type_is_refused(setting):
    request_type, user, subscription, *_ = setting
    first = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    with pytest.raises(PortalError, match=to_persian_digits(first.number)):
        wf.request_file(
            request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
            subscription=subscription,
        )  # fmt: skip


def test_stale_object_gets_conflict_message(setting):
    request_type, user, subscription, clerk, supervisor = setting
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    stale = ServiceRequest.objects.get(pk=request.pk)
    wf.request_reject(request=request, actor=clerk, reason="مدارک ناخوانا")
    with pytest.raises(PortalError) as caught:
        wf.request_reject(request=stale, actor=supervisor, reason="دوباره")
    assert caught.value.code == "conflict" and "همکار" in caught.value.message
    assert RequestEvent.objects.filter(request=request, new_status=Status.REJECTED).count() == 1


def test_staff_of_another_office_gets_not_found(setting):
    request_type, user, subscription, *_ = setting
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    outsider = office_staff(DistrictOfficeFactory())
    with pytest.raises(NotFound):
        wf.request_reject(request=request, actor=outsider, reason="x")
    other_subscriber = UserFactory()
    with pytest.raises(NotFound):
        wf.request_cancel(request=request, actor=other_subscriber)


def test_visit_failure_sends_office_phone_and_can_be_rescheduled():
    request_type = RequestTypeFactory(stage_documents=False, stage_visit=True, stage_approval=False)
    user, subscription = owned_subscription()
    OfficePhoneFactory(office=subscription.office, number="04135550000")
    clerk = office_staff(subscription.office)
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    assert request.status == Status.SUBMITTED
    tomorrow = timezone.localdate() + timedelta(days=1)
    wf.request_schedule_visit(
        request=request, actor=clerk, date=tomorrow, window_start=time(9), window_end=time(11),
        inspector=clerk,
    )  # fmt: skip
    request.refresh_from_db()
    with pytest.raises(PortalError):
        wf.request_record_visit(request=request, actor=clerk, done=False, note="")
    request = wf.request_record_visit(request=request, actor=clerk, done=False, note="درِ بسته")
    assert request.status == Status.NEEDS_CONTACT
    assert "۰۴۱۳۵۵۵۰۰۰۰" in sms_texts(user.mobile)[-1]
    wf.request_schedule_visit(
        request=request, actor=clerk, date=tomorrow, window_start=time(13), window_end=time(15),
        inspector=clerk,
    )  # fmt: skip
    request.refresh_from_db()
    request = wf.request_record_visit(request=request, actor=clerk, done=True)
    request = wf.request_complete(request=request, actor=clerk)
    assert request.status == Status.COMPLETED


def test_faulty_meter_test_opens_replacement_and_bill_correction():
    test_type = RequestTypeFactory(
        behaviour=RequestType.Behaviour.METER_TEST, stage_documents=False, stage_visit=True,
        stage_approval=False, outcome_fee=850_000,
    )  # fmt: skip
    RequestTypeFactory(
        behaviour=RequestType.Behaviour.METER_REPLACEMENT, stage_documents=False,
        stage_visit=True,
    )  # fmt: skip
    user, subscription = owned_subscription()
    clerk = office_staff(subscription.office)
    tomorrow = timezone.localdate() + timedelta(days=1)

    def run(outcome):
        request = wf.request_file(
            request_type=test_type, applicant=user, actor=user, channel=Channel.WEB,
            subscription=subscription,
        )  # fmt: skip
        wf.request_schedule_visit(
            request=request, actor=clerk, date=tomorrow, window_start=time(9),
            window_end=time(10), inspector=clerk,
        )  # fmt: skip
        request.refresh_from_db()
        with pytest.raises(PortalError, match="سالم یا معیوب"):
            wf.request_record_visit(request=request, actor=clerk, done=True)
        request = wf.request_record_visit(request=request, actor=clerk, done=True, outcome=outcome)
        return wf.request_complete(request=request, actor=clerk)

    sound = run("sound")
    fee = BillingAdjustment.objects.get(request=sound)
    assert (fee.kind, fee.amount) == (BillingAdjustment.Kind.FEE, 850_000)
    faulty = run("faulty")
    assert BillingAdjustment.objects.get(request=faulty).kind == "bill_correction"
    replacement = ServiceRequest.objects.get(parent=faulty)
    assert replacement.request_type.behaviour == RequestType.Behaviour.METER_REPLACEMENT
    assert replacement.status == Status.SUBMITTED and replacement.subscription == subscription


def test_name_change_needs_settled_debts_and_meter_test():
    request_type = RequestTypeFactory(
        stage_documents=False, requires_settled_debts=True, requires_meter_test=True
    )
    user, subscription = owned_subscription()
    supervisor = office_staff(subscription.office, supervisor=True)
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    assert request.status == Status.APPROVAL
    with pytest.raises(PortalError, match="تسویه بدهی"):
        wf.request_approve(request=request, actor=supervisor)
    request = wf.request_confirm_debts(request=request, actor=supervisor)
    with pytest.raises(PortalError, match="آزمایش کنتور"):
        wf.request_approve(request=request, actor=supervisor)
    test_type = RequestTypeFactory(behaviour=RequestType.Behaviour.METER_TEST)
    ServiceRequest.objects.create(
        number="1000000009", request_type=test_type, applicant=user, subscription=subscription,
        company=subscription.company, office=subscription.office, city=subscription.city,
        channel=Channel.WEB, status=Status.COMPLETED, outcome="sound", closed_at=timezone.now(),
    )  # fmt: skip
    request = wf.request_approve(request=request, actor=supervisor)
    assert request.status == Status.COMPLETED


def test_debts_are_confirmed_only_when_the_latest_bill_is_paid():
    from tests.billing.factories import BillFactory

    request_type = RequestTypeFactory(stage_documents=False, requires_settled_debts=True)
    user, subscription = owned_subscription()
    supervisor = office_staff(subscription.office, supervisor=True)
    BillFactory(subscription=subscription, year=1404, period=5, paid_amount=1_250_000)
    unpaid = BillFactory(subscription=subscription, year=1404, period=6, amount=900_000)
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    with pytest.raises(PortalError, match="۹۰۰٬۰۰۰ ریال پرداخت نشده") as refused:
        wf.request_confirm_debts(request=request, actor=supervisor)
    assert refused.value.code == "debts_unpaid"
    request.refresh_from_db()
    assert request.debts_confirmed_at is None
    assert not request.events.filter(kind=RequestEvent.Kind.DEBTS_CONFIRMED).exists()

    unpaid.paid_amount = unpaid.amount  # the bank's payment file arrived
    unpaid.save(update_fields=["paid_amount"])
    request = wf.request_confirm_debts(request=request, actor=supervisor)
    assert request.debts_confirmed_at is not None

    # A new bill issued after the confirmation and left unpaid blocks the approval again.
    BillFactory(subscription=subscription, year=1404, period=7, amount=400_000)
    with pytest.raises(PortalError, match="دوره ۷ سال ۱۴۰۴"):
        wf.request_approve(request=request, actor=supervisor)


def test_move_enforces_the_table_for_every_state_pair_and_role(setting):
    """Every (from, to) pair of every state, for every role: _move succeeds exactly when the
    table lists the role, and a refused move changes nothing."""
    from django.db import transaction

    request_type, user, subscription, clerk, supervisor = setting
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    actors = {
        Actor.APPLICANT: user,
        Actor.CLERK: clerk,
        Actor.SUPERVISOR: supervisor,
        Actor.SYSTEM: None,
    }
    allowed_count = refused_count = 0
    for old in Status.values:
        for new in Status.values:
            for role, actor in actors.items():
                ServiceRequest.objects.filter(pk=request.pk).update(status=old)
                events_before = RequestEvent.objects.count()
                locked = ServiceRequest.objects.get(pk=request.pk)
                expected = role in TRANSITIONS.get((old, new), ())
                try:
                    with transaction.atomic():
                        wf._move(locked, to=new, role=role, actor=actor, notify=False)
                except PortalError as error:
                    assert not expected, (old, new, role, error.message)
                    assert error.code == "transition_not_allowed"
                    assert ServiceRequest.objects.get(pk=request.pk).status == old
                    assert RequestEvent.objects.count() == events_before
                    refused_count += 1
                else:
                    assert expected, (old, new, role)
                    assert ServiceRequest.objects.get(pk=request.pk).status == new
                    assert RequestEvent.objects.count() == events_before + 1
                    allowed_count += 1
    assert allowed_count == sum(len(roles) for roles in TRANSITIONS.values())
    assert refused_count == len(Status.values) ** 2 * len(actors) - allowed_count


def test_transition_table_invariants():
    # Nothing leaves a closed state.
    for old, _new in TRANSITIONS:
        assert old not in (Status.COMPLETED, Status.REJECTED, Status.CANCELLED)
    # Only a supervisor approves; the applicant never moves a request forward past submission.
    assert TRANSITIONS[(Status.APPROVAL, Status.COMPLETED)] == {Actor.SUPERVISOR}
    applicant_moves = {pair for pair, roles in TRANSITIONS.items() if Actor.APPLICANT in roles}
    assert {new for _old, new in applicant_moves} == {Status.SUBMITTED, Status.CANCELLED}


def test_services_refuse_wrong_roles(setting):
    request_type, user, subscription, clerk, _supervisor = setting
    request = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    with pytest.raises(PortalError, match="ممکن نیست"):
        wf.request_reject(request=request, actor=user, reason="خودم")
    request = wf.request_reject(request=request, actor=clerk, reason="ناقص")
    with pytest.raises(PortalError, match="ممکن نیست"):
        wf.request_cancel(request=request, actor=user)
    assert request.payments.get().state == Payment.State.CANCELLED
