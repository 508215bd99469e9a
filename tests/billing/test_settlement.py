"""Settlement between tenant and owner: the settlement bill on completion, its SMS, and closing
the tenant's link only once that bill is paid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Bill
from billing.services.settlement import (
    settlement_bill_issue,
    settlement_close_tenant_link,
    settlement_fields_check,
)
from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import is_valid_payment_id, payment_id_matches
from requests_app.models import Channel, ServiceRequest, Status
from requests_app.services import workflow as wf
from requests_app.services.documents import document_upload
from subscribers.models import AuditLog, SubscriptionLink
from subscribers.selectors.subscriptions import subscriptions_for_user
from tests.billing.factories import paid, residential_electricity_tariff
from tests.billing.test_readings import bill_history, colour_png, jalali_text, seeded_type
from tests.factories import (
    DistrictOfficeFactory,
    KioskOperatorFactory,
    SubscriptionLinkFactory,
    UserFactory,
)
from tests.requests_app.factories import office_staff, owned_subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    """An owner and a tenant of one electricity subscription with two months of bills."""
    residential_electricity_tariff()
    seeded_type("elec-settlement")
    owner, subscription = owned_subscription(tariff="خانگی")
    tenant = UserFactory(mobile="09351112233")
    SubscriptionLinkFactory(
        user=tenant,
        subscription=subscription,
        role=SubscriptionLink.Role.TENANT,
        lease_start=timezone.localdate() - dt.timedelta(days=200),
        lease_end=timezone.localdate() + dt.timedelta(days=100),
    )
    last = bill_history(subscription)
    return owner, tenant, subscription, last


@pytest.fixture
def clerk(parties):
    return office_staff(parties[2].office)


@pytest.fixture
def supervisor(parties):
    return office_staff(parties[2].office, supervisor=True)


def file_settlement(applicant, subscription, *, reading=1300, read_on=None) -> ServiceRequest:
    from requests_app.models import RequestType

    return wf.request_file(
        request_type=RequestType.objects.get(code="elec-settlement"),
        applicant=applicant,
        actor=applicant,
        channel=Channel.WEB,
        subscription=subscription,
        fields={
            "final_reading": to_persian_digits(reading),
            "read_on": jalali_text(read_on or timezone.localdate(), persian=True),
        },
    )


def complete(req: ServiceRequest, clerk, supervisor) -> ServiceRequest:
    """Documents → visit → approval, as the office does it."""
    for requirement in req.request_type.documents.all():
        if requirement.applies_to_user(req.applicant):
            document_upload(
                request=req, requirement_id=requirement.pk, upload=colour_png(), actor=req.applicant
            )
    req = wf.request_accept_documents(request=req, actor=clerk)
    wf.request_schedule_visit(
        request=req,
        actor=clerk,
        date=timezone.localdate(),
        window_start=dt.time(9),
        window_end=dt.time(12),
        inspector=clerk,
    )
    req = wf.request_record_visit(request=ServiceRequest.objects.get(pk=req.pk), actor=clerk,
                                  done=True)  # fmt: skip
    req = wf.request_send_to_approval(request=req, actor=clerk)
    return wf.request_approve(request=req, actor=supervisor)


def test_filing_keeps_the_final_reading_and_date(parties):
    _owner, tenant, subscription, _last = parties
    req = file_settlement(tenant, subscription)
    assert req.fields == {"final_reading": 1300, "read_on": jalali_text(timezone.localdate())}


def test_completion_issues_a_payable_settlement_bill_and_one_sms(parties, clerk, supervisor):
    _owner, tenant, subscription, last = parties
    req = complete(file_settlement(tenant, subscription), clerk, supervisor)
    assert req.status == Status.COMPLETED
    bill = Bill.objects.get(request=req)
    assert (bill.kind, bill.status) == (Bill.Kind.SETTLEMENT, Bill.Status.ISSUED)
    assert bill.period_start == last.period_end + dt.timedelta(days=1)
    assert bill.period_end == timezone.localdate()
    assert (bill.previous_reading, bill.current_reading, bill.consumption) == (1250, 1300, 50)
    assert bill.amount % 1000 == 0 and bill.amount > 0
    assert is_valid_payment_id(bill.payment_id, bill_id=subscription.bill_id)
    assert payment_id_matches(
        subscription.bill_id, bill.payment_id, amount_rial=bill.amount, jalali_year=bill.year,
        period=bill.period,
    )  # fmt: skip
    [sms] = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.BILL_NOTICE)
    assert sms.recipient == tenant.mobile
    assert "تسویه" in sms.text
    assert to_persian_digits(bill.payment_id) in sms.text


def test_the_hook_running_twice_makes_one_settlement_bill(parties, clerk, supervisor):
    _owner, tenant, subscription, _last = parties
    req = complete(file_settlement(tenant, subscription), clerk, supervisor)
    first = Bill.objects.get(request=req)
    assert settlement_bill_issue(request=req) == first
    wf._on_completed(ServiceRequest.objects.get(pk=req.pk))
    assert Bill.objects.filter(request=req).count() == 1
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.BILL_NOTICE).count() == 1


def test_a_final_reading_below_the_last_bill_blocks_approval_with_a_clear_message(
    parties, clerk, supervisor
):
    _owner, tenant, subscription, last = parties
    req = file_settlement(tenant, subscription, reading=1300)
    # A corrected bill arrives from the billing system while the request waits: its reading
    # is now above the final reading the tenant gave.
    last.current_reading, last.consumption = 1400, last.consumption + 1400 - last.current_reading
    last.save(update_fields=["current_reading", "consumption"])
    with pytest.raises(PortalError) as caught:
        complete(req, clerk, supervisor)
    assert "final_reading" in caught.value.fields
    req.refresh_from_db()
    assert req.status == Status.APPROVAL
    assert not Bill.objects.filter(request=req).exists()


def test_filing_refuses_a_final_reading_below_the_last_bill_and_saves_nothing(parties):
    _owner, tenant, subscription, _last = parties
    before = ServiceRequest.objects.count()
    with pytest.raises(PortalError) as caught:
        file_settlement(tenant, subscription, reading=1000)
    assert "final_reading" in caught.value.fields
    assert ServiceRequest.objects.count() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"final_reading": 1300, "read_on": "not a date"}, "read_on"),
        ({"final_reading": 1300, "read_on": "1499/01/01"}, "read_on"),  # the future
        ({"final_reading": 1000, "read_on": None}, "final_reading"),  # below the last bill
        ({"final_reading": "", "read_on": None}, "final_reading"),
    ],
)
def test_filing_time_check_names_the_bad_field(parties, fields, field):
    _owner, _tenant, subscription, _last = parties
    fields = {**fields, "read_on": fields["read_on"] or jalali_text(timezone.localdate())}
    with pytest.raises(PortalError) as caught:
        settlement_fields_check(subscription=subscription, fields=fields)
    assert field in caught.value.fields


def test_filing_time_check_accepts_a_good_reading_and_a_confirmed_rollover(parties):
    _owner, _tenant, subscription, _last = parties
    today = jalali_text(timezone.localdate())
    settlement_fields_check(subscription=subscription, fields={"final_reading": 1300,
                                                               "read_on": today})  # fmt: skip
    settlement_fields_check(
        subscription=subscription,
        fields={"final_reading": 5, "read_on": today, "rollover": "yes"},
    )


def _tenant_link(tenant, subscription) -> SubscriptionLink:
    return SubscriptionLink.objects.get(user=tenant, subscription=subscription)


def test_closing_the_tenant_link_is_refused_before_payment_and_works_after(
    parties, clerk, supervisor
):
    _owner, tenant, subscription, _last = parties
    req = file_settlement(tenant, subscription)
    with pytest.raises(PortalError) as caught:
        settlement_close_tenant_link(request=req, actor=tenant)
    assert caught.value.code == "settlement_not_completed"

    req = complete(req, clerk, supervisor)
    with pytest.raises(PortalError) as caught:
        settlement_close_tenant_link(request=req, actor=tenant)
    assert caught.value.code == "settlement_unpaid"
    assert "پرداخت" in caught.value.message
    assert _tenant_link(tenant, subscription).ended_at is None
    assert not AuditLog.objects.filter(action="billing.settlement_close_tenant_link").exists()

    paid(Bill.objects.get(request=req))
    [closed] = settlement_close_tenant_link(request=req, actor=tenant)
    assert closed == _tenant_link(tenant, subscription)
    assert closed.ended_at is not None
    audit = AuditLog.objects.get(action="billing.settlement_close_tenant_link")
    assert (audit.actor, audit.object_id) == (tenant, str(closed.pk))
    assert subscription not in subscriptions_for_user(user=tenant)


@pytest.mark.parametrize("who", ["owner", "clerk", "kiosk_for_owner"])
def test_the_owner_office_staff_or_a_kiosk_for_the_owner_may_close(parties, clerk, supervisor, who):
    owner, tenant, subscription, _last = parties
    req = complete(file_settlement(tenant, subscription), clerk, supervisor)
    paid(Bill.objects.get(request=req))
    kwargs = {"actor": owner}
    if who == "clerk":
        kwargs = {"actor": clerk}
    elif who == "kiosk_for_owner":
        kwargs = {"actor": KioskOperatorFactory().user, "on_behalf_of": owner}
    settlement_close_tenant_link(request=req, **kwargs)
    assert _tenant_link(tenant, subscription).ended_at is not None
    assert SubscriptionLink.objects.get(user=owner, subscription=subscription).ended_at is None


def test_a_settlement_filed_by_the_owner_closes_only_the_earlier_tenant(parties, clerk, supervisor):
    owner, tenant, subscription, _last = parties
    req = complete(file_settlement(owner, subscription), clerk, supervisor)
    paid(Bill.objects.get(request=req))
    newcomer = UserFactory()
    SubscriptionLinkFactory(
        user=newcomer,
        subscription=subscription,
        role=SubscriptionLink.Role.TENANT,
        lease_start=timezone.localdate(),
        lease_end=timezone.localdate() + dt.timedelta(days=300),
    )
    settlement_close_tenant_link(request=req, actor=owner)
    assert _tenant_link(tenant, subscription).ended_at is not None
    assert _tenant_link(newcomer, subscription).ended_at is None


@pytest.mark.parametrize("who", ["other_subscriber", "other_office_staff"])
def test_outsiders_get_not_found_and_nothing_changes(parties, clerk, supervisor, who):
    _owner, tenant, subscription, _last = parties
    req = complete(file_settlement(tenant, subscription), clerk, supervisor)
    paid(Bill.objects.get(request=req))
    actor = (
        UserFactory()
        if who == "other_subscriber"
        else office_staff(DistrictOfficeFactory(company=subscription.company), supervisor=True)
    )
    with pytest.raises(NotFound):
        settlement_close_tenant_link(request=req, actor=actor)
    assert _tenant_link(tenant, subscription).ended_at is None


# --- the request page's button ---------------------------------------------------------------


def test_request_page_shows_the_bill_and_the_button_only_after_payment(
    client, parties, clerk, supervisor
):
    _owner, tenant, subscription, _last = parties
    req = complete(file_settlement(tenant, subscription), clerk, supervisor)
    bill = Bill.objects.get(request=req)
    close_url = reverse("billing:settlement-close-link", args=[req.number])
    client.force_login(tenant)
    detail = reverse("requests_app:request-detail", args=[req.number])
    page = client.get(detail).content.decode()
    assert to_persian_digits(bill.payment_id) in page
    assert close_url not in page

    response = client.post(close_url)  # a forged click before payment
    assert response.status_code == 302
    assert _tenant_link(tenant, subscription).ended_at is None

    paid(bill)
    assert close_url in client.get(detail).content.decode()
    response = client.post(close_url)
    assert response.status_code == 302
    assert _tenant_link(tenant, subscription).ended_at is not None


def test_the_close_button_of_someone_elses_request_is_404(client, parties, clerk, supervisor):
    _owner, tenant, subscription, _last = parties
    req = complete(file_settlement(tenant, subscription), clerk, supervisor)
    paid(Bill.objects.get(request=req))
    client.force_login(UserFactory())
    response = client.post(reverse("billing:settlement-close-link", args=[req.number]))
    assert response.status_code == 404
    assert _tenant_link(tenant, subscription).ended_at is None
