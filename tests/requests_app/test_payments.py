"""Paying fees: the sandbox bank round trip, signed callbacks (tampered, replayed, old),
kiosk cash/POS with audit, and the printable receipt — each with owner, outsider and staff."""

import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from notifications.models import OutboxMessage
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from requests_app.gateways import CallbackResult, PaymentGateway, SandboxGateway
from requests_app.models import Channel, Payment, RequestEvent, Status
from requests_app.services import payments as pay
from requests_app.services import workflow as wf
from subscribers.middleware import ON_BEHALF_SESSION_KEY
from subscribers.models import AuditLog, OnBehalfSession
from subscribers.services.kiosk import kiosk_session_start
from tests.factories import (
    KioskOperatorFactory,
    UserFactory,
    login_with_second_factor,
)
from tests.requests_app.factories import (
    RequestTypeFactory,
    office_staff,
    owned_subscription,
)

pytestmark = pytest.mark.django_db

CALLBACK = reverse("requests_app:payment-callback")
SANDBOX_LABEL = "درگاه آزمایشی — پرداخت واقعی انجام نمی‌شود"


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def pay_type():
    """Payment is the only stage: paying completes the request (and sends its SMS)."""
    return RequestTypeFactory(
        stage_documents=False,
        stage_payment=True,
        stage_visit=False,
        stage_approval=False,
        fee_web=500_000,
        fee_kiosk=600_000,
        kiosk_charge=109_000,
    )


@pytest.fixture
def web_request(pay_type):
    user, subscription = owned_subscription()
    request = wf.request_file(
        request_type=pay_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    assert request.status == Status.AWAITING_PAYMENT
    return request


@pytest.fixture
def owner_client(client, web_request):
    client.force_login(web_request.applicant)
    return client


def _payment(request, purpose=Payment.Purpose.TARIFF) -> Payment:
    return Payment.objects.get(request=request, purpose=purpose)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _payment_events(request) -> int:
    return RequestEvent.objects.filter(request=request, kind=RequestEvent.Kind.PAYMENT).count()


def _sms(user) -> list[str]:
    return list(
        OutboxMessage.objects.filter(recipient=user.mobile)
        .order_by("id")
        .values_list("text", flat=True)
    )


def _start(client, request, payment) -> str:
    url = reverse("requests_app:payment-start", args=[request.number, payment.pk])
    response = client.post(url)
    assert response.status_code == 302, response.content.decode()[:300]
    return response["Location"]


def _at_bank(bank_url: str, action: str) -> str:
    """A fresh browser at the bank page (the token is the capability); returns the callback."""
    bank = Client()
    response = bank.get(bank_url)
    assert response.status_code == 200
    back = parse_qs(urlparse(bank_url).query)["back"][0]
    response = bank.post(urlparse(bank_url).path, {"action": action, "back": back})
    assert response.status_code == 302
    assert response["Location"].startswith(f"http://testserver{CALLBACK}?")
    return response["Location"]


def _signed(payment, **overrides) -> str:
    values = {
        "token": payment.gateway_token,
        "status": "paid",
        "reference": "987654321012",
        "amount": payment.amount,
        **overrides,
    }
    return f"{CALLBACK}?{urlencode(SandboxGateway().callback_params(**values))}"


def _started(client, request, purpose=Payment.Purpose.TARIFF) -> Payment:
    payment = _payment(request, purpose)
    _start(client, request, payment)
    payment.refresh_from_db()
    return payment


# --- the sandbox round trip -------------------------------------------------------------


def test_round_trip_pays_once_moves_the_request_on_and_sends_its_sms(owner_client, web_request):
    user, payment = web_request.applicant, _payment(web_request)
    sms_before = len(_sms(user))

    bank_url = _start(owner_client, web_request, payment)
    payment.refresh_from_db()
    assert payment.gateway_token and payment.gateway_token in bank_url
    page = Client().get(bank_url).content.decode()
    assert SANDBOX_LABEL in page
    assert "۵۰۰٬۰۰۰" in page
    assert "پرداخت</button>" in page and "انصراف</button>" in page
    # Nothing personal on the bank page.
    for private in (web_request.number, user.national_code, user.last_name, user.mobile):
        assert private not in page

    callback_url = _at_bank(bank_url, "pay")
    response = owner_client.get(callback_url)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/requests/{web_request.number}/")
    payment.refresh_from_db()
    assert payment.state == Payment.State.PAID
    assert payment.method == Payment.Method.GATEWAY
    assert payment.reference.isdigit() and len(payment.reference) == 12
    assert payment.paid_at is not None and payment.recorded_by is None
    assert any("ثبت شد" in m and "۵۰۰٬۰۰۰" in m for m in _messages(response))
    web_request.refresh_from_db()
    assert web_request.status == Status.COMPLETED
    event = RequestEvent.objects.get(request=web_request, kind=RequestEvent.Kind.PAYMENT)
    assert event.actor_role == "system" and "۵۰۰٬۰۰۰" in event.note
    texts = _sms(user)
    assert len(texts) == sms_before + 1 and "انجام شد" in texts[-1]

    # The same answer again (a reload, a double redirect): one payment, nothing new.
    reference = payment.reference
    again = owner_client.get(callback_url)
    assert again.status_code == 302
    payment.refresh_from_db()
    assert payment.reference == reference and payment.state == Payment.State.PAID
    assert _payment_events(web_request) == 1
    assert len(_sms(user)) == sms_before + 1
    # The attempt is over: its bank page is gone.
    assert Client().get(bank_url).status_code == 404


def test_payment_before_approval_moves_the_request_to_approval(pay_type, client):
    pay_type.stage_approval = True
    pay_type.save()
    user, subscription = owned_subscription()
    request = wf.request_file(
        request_type=pay_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    client.force_login(user)
    client.get(_at_bank(_start(client, request, _payment(request)), "pay"))
    request.refresh_from_db()
    assert request.status == Status.APPROVAL
    assert _payment_events(request) == 1


def test_cancel_at_the_bank_leaves_the_fee_pending_and_spends_the_token(owner_client, web_request):
    payment = _payment(web_request)
    bank_url = _start(owner_client, web_request, payment)
    callback_url = _at_bank(bank_url, "cancel")
    response = owner_client.get(callback_url)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/requests/{web_request.number}/")
    assert any("لغو کردید" in m for m in _messages(response))
    payment.refresh_from_db()
    assert (payment.state, payment.reference, payment.gateway_token) == ("pending", None, "")
    web_request.refresh_from_db()
    assert web_request.status == Status.AWAITING_PAYMENT
    assert _payment_events(web_request) == 0
    assert Client().get(bank_url).status_code == 404
    # Replaying the cancelled answer is refused; paying again works.
    assert owner_client.get(callback_url).status_code == 400
    owner_client.get(_at_bank(_start(owner_client, web_request, payment), "pay"))
    payment.refresh_from_db()
    assert payment.state == Payment.State.PAID


@pytest.mark.parametrize(
    "field, value",
    [
        ("amount", "1000"),
        ("status", "cancelled"),
        ("reference", "111111111111"),
        ("ts", "1000"),
        ("sig", "0" * 64),
        ("token", "x" * 43),
    ],
)
def test_a_tampered_callback_is_refused_and_changes_nothing(
    owner_client, web_request, field, value
):
    payment = _started(owner_client, web_request)
    query = parse_qs(urlparse(_signed(payment)).query)
    query = {key: values[0] for key, values in query.items()}
    query[field] = value
    response = owner_client.get(f"{CALLBACK}?{urlencode(query)}")
    assert response.status_code == 400
    page = response.content.decode()
    assert "پرداخت ثبت نشد" in page and "معتبر نیست" in page
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING and payment.reference is None
    assert _payment_events(web_request) == 0


@pytest.mark.parametrize("query", ["", "?token=&sig=", "?status=paid&amount=abc&ts=9" + "9" * 40])
def test_garbage_callbacks_get_the_persian_error_page(client, query):
    response = client.get(CALLBACK + query)
    assert response.status_code == 400
    assert "پرداخت ثبت نشد" in response.content.decode()


def test_a_signed_callback_with_another_amount_is_refused(owner_client, web_request):
    payment = _started(owner_client, web_request)
    response = owner_client.get(_signed(payment, amount=payment.amount - 1000))
    assert response.status_code == 400
    assert "مبلغ تراکنش" in response.content.decode()
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING


@pytest.mark.parametrize("shift, ok", [(-16 * 60, False), (-14 * 60, True), (120, False)])
def test_callbacks_outside_the_replay_window_are_refused(owner_client, web_request, shift, ok):
    payment = _started(owner_client, web_request)
    response = owner_client.get(_signed(payment, timestamp=int(time.time()) + shift))
    payment.refresh_from_db()
    if ok:
        assert response.status_code == 302 and payment.state == Payment.State.PAID
    else:
        assert response.status_code == 400 and "مهلت" in response.content.decode()
        assert payment.state == Payment.State.PENDING


def test_a_second_answer_with_another_reference_for_a_paid_fee_is_refused(
    owner_client, web_request
):
    payment = _started(owner_client, web_request)
    assert owner_client.get(_signed(payment, reference="100000000001")).status_code == 302
    response = owner_client.get(_signed(payment, reference="100000000002"))
    assert response.status_code == 400
    assert "تکراری" in response.content.decode()
    payment.refresh_from_db()
    assert payment.reference == "100000000001"
    assert _payment_events(web_request) == 1


def test_a_bank_reference_already_used_for_another_payment_is_refused(
    owner_client, web_request, pay_type
):
    first = _started(owner_client, web_request)
    assert owner_client.get(_signed(first, reference="555555555555")).status_code == 302
    other_user, subscription = owned_subscription()
    other = wf.request_file(
        request_type=pay_type, applicant=other_user, actor=other_user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    other_client = Client()
    other_client.force_login(other_user)
    second = _started(other_client, other)
    response = other_client.get(_signed(second, reference="555555555555"))
    assert response.status_code == 400
    assert "شماره مرجع" in response.content.decode()
    second.refresh_from_db()
    assert second.state == Payment.State.PENDING and second.reference is None
    assert _payment_events(other) == 0
    other.refresh_from_db()
    assert other.status == Status.AWAITING_PAYMENT


def test_a_new_attempt_replaces_the_old_one(owner_client, web_request):
    payment = _started(owner_client, web_request)
    old_token = payment.gateway_token
    old_answer = _signed(payment)
    _start(owner_client, web_request, payment)
    payment.refresh_from_db()
    assert payment.gateway_token != old_token
    assert owner_client.get(old_answer).status_code == 400
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING


def test_a_request_cancelled_while_at_the_bank_is_not_paid(owner_client, web_request):
    payment = _started(owner_client, web_request)
    wf.request_cancel(request=web_request, actor=web_request.applicant)
    response = owner_client.get(_signed(payment))
    assert response.status_code == 400
    assert "بسته شده" in response.content.decode()
    payment.refresh_from_db()
    assert payment.state == Payment.State.CANCELLED and payment.reference is None


# --- who may start a payment -------------------------------------------------------------


def test_another_subscriber_or_staff_cannot_start_a_payment(client, web_request):
    payment = _payment(web_request)
    url = reverse("requests_app:payment-start", args=[web_request.number, payment.pk])
    client.force_login(UserFactory())
    assert client.post(url).status_code == 404
    other_staff = office_staff(owned_subscription()[1].office, supervisor=True)
    login_with_second_factor(client, other_staff)
    assert client.post(url).status_code == 404
    client.logout()
    response = client.post(url)
    assert response.status_code == 302 and "login" in response["Location"]
    payment.refresh_from_db()
    assert payment.gateway_token == ""


def test_start_needs_post_and_a_fee_of_this_request(owner_client, web_request, pay_type):
    payment = _payment(web_request)
    url = reverse("requests_app:payment-start", args=[web_request.number, payment.pk])
    assert owner_client.get(url).status_code == 405
    other_user, subscription = owned_subscription()
    other = wf.request_file(
        request_type=pay_type, applicant=other_user, actor=other_user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    mixed = reverse("requests_app:payment-start", args=[web_request.number, _payment(other).pk])
    assert owner_client.post(mixed).status_code == 404


def test_a_paid_or_cancelled_fee_cannot_be_started_again(owner_client, web_request):
    payment = _started(owner_client, web_request)
    owner_client.get(_signed(payment))
    url = reverse("requests_app:payment-start", args=[web_request.number, payment.pk])
    response = owner_client.post(url)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/requests/{web_request.number}/")
    assert "پیش‌تر پرداخت شده" in " ".join(_messages(response))


def test_a_cancelled_request_cannot_be_paid(owner_client, web_request):
    wf.request_cancel(request=web_request, actor=web_request.applicant)
    payment = _payment(web_request)
    url = reverse("requests_app:payment-start", args=[web_request.number, payment.pk])
    response = owner_client.post(url)
    assert response.status_code == 302
    assert "بسته شده" in " ".join(_messages(response))
    payment.refresh_from_db()
    assert payment.gateway_token == ""


def test_unknown_tokens_and_forged_return_addresses_get_404(owner_client, web_request):
    assert Client().get(reverse("requests_app:sandbox-bank", args=["x" * 43])).status_code == 404
    assert (
        Client().get(reverse("requests_app:sandbox-bank", args=["bad token!"])).status_code == 404
    )
    payment = _started(owner_client, web_request)
    bank = reverse("requests_app:sandbox-bank", args=[payment.gateway_token])
    response = Client().post(bank, {"action": "pay", "back": "https://evil.example/"})
    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.state == Payment.State.PENDING


class _OtherBank(PaymentGateway):
    def start(self, payment, *, callback_url):
        payment.gateway_token = "other-bank-token-0001"
        return "https://bank.example/pay/other-bank-token-0001"

    def verify_callback(self, params):
        return CallbackResult(token=params["token"], ok=True, reference="777", amount=500_000)


def test_a_configured_gateway_replaces_the_sandbox(owner_client, web_request, settings):
    settings.PAYMENT_GATEWAY = f"{__name__}._OtherBank"
    payment = _payment(web_request)
    assert _start(owner_client, web_request, payment) == (
        "https://bank.example/pay/other-bank-token-0001"
    )
    bank = reverse("requests_app:sandbox-bank", args=["other-bank-token-0001"])
    assert Client().get(bank).status_code == 404  # the simulation is off
    response = owner_client.get(f"{CALLBACK}?token=other-bank-token-0001")
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.state, payment.reference) == (Payment.State.PAID, "777")


# --- kiosk cash and POS --------------------------------------------------------------------


@pytest.fixture
def kiosk(pay_type, client):
    """An operator's browser in an on-behalf session for a citizen with a kiosk-filed request."""
    operator = KioskOperatorFactory()
    citizen, subscription = owned_subscription()
    request = wf.request_file(
        request_type=pay_type, applicant=citizen, actor=operator.user, channel=Channel.KIOSK,
        kiosk=operator.kiosk, on_behalf_of=citizen, subscription=subscription,
    )  # fmt: skip
    session = kiosk_session_start(
        operator=operator.user,
        citizen=citizen,
        kiosk=operator.kiosk,
        consent=OnBehalfSession.Consent.OTP,
        client_ip=None,
    )
    login_with_second_factor(client, operator.user)
    django_session = client.session
    django_session[ON_BEHALF_SESSION_KEY] = session.pk
    django_session.save()
    return client, operator, citizen, request


def _kiosk_pay(client, request, payment, **data):
    url = reverse("requests_app:payment-kiosk", args=[request.number, payment.pk])
    return client.post(url, data)


def test_kiosk_cash_and_pos_are_recorded_audited_and_printable(kiosk):
    client, operator, citizen, request = kiosk
    tariff = _payment(request)
    charge = _payment(request, Payment.Purpose.KIOSK_CHARGE)
    assert (tariff.amount, charge.amount) == (600_000, 109_000)

    response = _kiosk_pay(client, request, tariff, method="kiosk_cash")
    receipt_url = reverse("requests_app:payment-receipt", args=[request.number, tariff.pk])
    assert response.status_code == 302 and response["Location"] == receipt_url
    tariff.refresh_from_db()
    assert tariff.state == Payment.State.PAID and tariff.method == Payment.Method.KIOSK_CASH
    assert tariff.reference.startswith(f"CASH-{operator.kiosk.code}-")
    assert (tariff.recorded_by, tariff.kiosk) == (operator.user, operator.kiosk)
    audit = AuditLog.objects.get(action="kiosk.payment", object_id=str(tariff.pk))
    assert (audit.actor, audit.on_behalf_of, audit.kiosk) == (
        operator.user,
        citizen,
        operator.kiosk,
    )
    assert audit.details["method"] == "kiosk_cash" and audit.details["amount"] == 600_000
    event = RequestEvent.objects.get(request=request, kind=RequestEvent.Kind.PAYMENT)
    assert (event.actor, event.on_behalf_of) == (operator.user, citizen)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_PAYMENT  # the kiosk charge is still due

    response = _kiosk_pay(client, request, charge, method="kiosk_pos", reference="۱۲۳۴۵۶۷۸")
    assert response.status_code == 302
    charge.refresh_from_db()
    assert charge.state == Payment.State.PAID and charge.method == Payment.Method.KIOSK_POS
    assert charge.reference == f"POS-{operator.kiosk.code}-12345678"
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert _payment_events(request) == 2
    assert AuditLog.objects.filter(action="kiosk.payment").count() == 2

    page = client.get(receipt_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert page.wsgi_request.user == citizen  # the operator sees it as the citizen's screen
    for expected in (
        "رسید پرداخت",
        "چاپ رسید",
        "window.print()",
        "@media print",
        "۶۰۰٬۰۰۰",
        request.request_type.title,
        "نقدی در دفتر پیشخوان",
        to_persian_digits(operator.kiosk.name),
    ):
        assert expected in html, expected
    assert to_persian_digits(request.number) in html and "۱۴۰" in html  # Jalali year of the payment


def test_the_receipt_is_the_applicants_alone(kiosk):
    client, _operator, citizen, request = kiosk
    tariff = _payment(request)
    _kiosk_pay(client, request, tariff, method="kiosk_cash")
    url = reverse("requests_app:payment-receipt", args=[request.number, tariff.pk])

    owner = Client()
    owner.force_login(citizen)
    assert owner.get(url).status_code == 200
    outsider = Client()
    outsider.force_login(UserFactory())
    assert outsider.get(url).status_code == 404
    other_staff = Client()
    login_with_second_factor(other_staff, office_staff(owned_subscription()[1].office))
    assert other_staff.get(url).status_code == 404
    # An unpaid fee has no receipt.
    charge = _payment(request, Payment.Purpose.KIOSK_CHARGE)
    pending = reverse("requests_app:payment-receipt", args=[request.number, charge.pk])
    assert owner.get(pending).status_code == 404


@pytest.mark.parametrize(
    "data, field_message",
    [
        ({"method": "kiosk_pos", "reference": ""}, "شماره پیگیری کارتخوان"),
        ({"method": "kiosk_pos", "reference": "12ab"}, "شماره پیگیری کارتخوان"),
        ({"method": "gateway"}, "روش پرداخت"),
        ({}, "روش پرداخت"),
    ],
)
def test_bad_kiosk_input_is_refused_in_persian_and_saves_nothing(kiosk, data, field_message):
    client, _operator, _citizen, request = kiosk
    tariff = _payment(request)
    response = _kiosk_pay(client, request, tariff, **data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/requests/{request.number}/")
    assert field_message in " ".join(_messages(response))
    tariff.refresh_from_db()
    assert tariff.state == Payment.State.PENDING and tariff.reference is None
    assert not AuditLog.objects.filter(action="kiosk.payment").exists()
    assert _payment_events(request) == 0


def test_a_pos_slip_cannot_pay_two_fees(kiosk):
    client, _operator, _citizen, request = kiosk
    tariff, charge = _payment(request), _payment(request, Payment.Purpose.KIOSK_CHARGE)
    _kiosk_pay(client, request, tariff, method="kiosk_pos", reference="654321")
    response = _kiosk_pay(client, request, charge, method="kiosk_pos", reference="654321")
    assert "شماره مرجع" in " ".join(_messages(response))
    charge.refresh_from_db()
    assert charge.state == Payment.State.PENDING
    assert AuditLog.objects.filter(action="kiosk.payment").count() == 1


def test_counter_payments_need_an_on_behalf_session(kiosk):
    _client, operator, citizen, request = kiosk
    tariff = _payment(request)
    owner = Client()
    owner.force_login(citizen)
    assert _kiosk_pay(owner, request, tariff, method="kiosk_cash").status_code == 404
    operator_alone = Client()
    login_with_second_factor(operator_alone, operator.user)
    assert _kiosk_pay(operator_alone, request, tariff, method="kiosk_cash").status_code == 404
    tariff.refresh_from_db()
    assert tariff.state == Payment.State.PENDING


def test_an_operator_records_only_at_their_own_kiosk(kiosk, pay_type):
    _client, operator, _citizen, request = kiosk
    elsewhere = KioskOperatorFactory()
    tariff = _payment(request)
    with pytest.raises(PortalError) as refused:
        pay.payment_record_kiosk(
            payment=tariff, operator=elsewhere.user, kiosk=operator.kiosk, method="kiosk_cash"
        )
    assert refused.value.status_code == 403
    # Another kiosk may take the regulated tariff, but not the filing kiosk's own charge.
    charge = _payment(request, Payment.Purpose.KIOSK_CHARGE)
    with pytest.raises(PortalError) as refused:
        pay.payment_record_kiosk(
            payment=charge, operator=elsewhere.user, kiosk=elsewhere.kiosk, method="kiosk_cash"
        )
    assert refused.value.code == "other_kiosk"
    pay.payment_record_kiosk(
        payment=tariff, operator=elsewhere.user, kiosk=elsewhere.kiosk, method="kiosk_cash"
    )
    tariff.refresh_from_db()
    assert tariff.kiosk == elsewhere.kiosk and tariff.state == Payment.State.PAID


def test_an_operator_in_session_can_send_the_citizen_to_the_bank(kiosk):
    client, operator, citizen, request = kiosk
    tariff = _payment(request)
    bank_url = _start(client, request, tariff)
    assert "/payments/sandbox/" in bank_url
    # Outside a session an operator is nobody's applicant.
    with pytest.raises(NotFound):
        pay.payment_start(payment=tariff, actor=operator.user, callback_url="http://x/")
    with pytest.raises(NotFound):
        pay.payment_start(
            payment=tariff, actor=UserFactory(), on_behalf_of=citizen, callback_url="http://x/"
        )


def test_the_kiosk_form_partial_posts_method_and_reference(kiosk):
    from django.template.loader import render_to_string

    _client, _operator, _citizen, request = kiosk
    tariff = _payment(request)
    html = render_to_string(
        "requests_app/payments/_kiosk_form.html", {"req": request, "payment": tariff}
    )
    assert reverse("requests_app:payment-kiosk", args=[request.number, tariff.pk]) in html
    for expected in (
        'name="method"',
        'value="kiosk_cash"',
        'value="kiosk_pos"',
        'name="reference"',
    ):
        assert expected in html
    assert "۶۰۰٬۰۰۰" in html
    tariff.state = Payment.State.PAID
    assert "<form" not in render_to_string(
        "requests_app/payments/_kiosk_form.html", {"req": request, "payment": tariff}
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_callbacks_record_one_payment(pay_type):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    user, subscription = owned_subscription()
    request = wf.request_file(
        request_type=pay_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    payment = _payment(request)
    pay.payment_start(payment=payment, actor=user, callback_url="http://testserver/cb/")
    params = SandboxGateway().callback_params(
        token=payment.gateway_token, status="paid", reference="424242424242", amount=payment.amount
    )
    barrier = Barrier(2)

    def answer():
        try:
            barrier.wait()
            return pay.payment_callback(params=params).state
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        states = list(pool.map(lambda _: answer(), range(2)))
    assert states == [Payment.State.PAID, Payment.State.PAID]
    assert _payment_events(request) == 1
    request.refresh_from_db()
    assert request.status == Status.COMPLETED


def test_after_the_bank_the_request_page_shows_the_confirmation(owner_client, web_request):
    callback_url = _at_bank(_start(owner_client, web_request, _payment(web_request)), "pay")
    response = owner_client.get(callback_url, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "ثبت شد" in page and "۵۰۰٬۰۰۰" in page
    receipt = reverse(
        "requests_app:payment-receipt", args=[web_request.number, _payment(web_request).pk]
    )
    assert receipt in page
