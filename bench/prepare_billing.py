"""Data for the billing HTTP scenarios: one subscriber owning an electricity subscription with
120 monthly bills (ten Jalali years), each paid by one bank payment except the latest (so the
history has payments and a payable bill), and a DRF token. Idempotent: a second run reuses it
(and adds the payments to bills an older version of this module created without them).

``history_120`` is the bill-history scenario; ``history_minimal`` its baseline, the bare view
in bench/minimal_billing.py over the same subscription and start year."""

from __future__ import annotations

import datetime as dt

import jdatetime

from bench.scenarios import Prepared

BENCH_NATIONAL_CODE = "0499370899"  # DOMAIN.md test vector; the bench user only
BENCH_USERNAME = "bench-history"
FIRST_YEAR = 1395
YEARS = 10


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = jdatetime.date(year, month, 1)
    nxt = jdatetime.date(year + (month == 12), month % 12 + 1, 1)
    return start.togregorian(), nxt.togregorian() - dt.timedelta(days=1)


def _pay_all_but_the_latest(subscription, BillPayment) -> None:
    from billing.models import Bill

    bills = list(
        Bill.objects.filter(subscription=subscription, payments__isnull=True).order_by(
            "-year", "-period"
        )
    )
    latest = Bill.objects.filter(subscription=subscription).order_by("-year", "-period").first()
    payments = []
    for bill in bills:
        if bill.pk == latest.pk:
            continue
        paid_at = dt.datetime.combine(bill.due_date, dt.time(10, 30), tzinfo=dt.UTC)
        payments.append(
            BillPayment(
                bill=bill,
                payment_id=bill.payment_id,
                amount=bill.amount,
                paid_at=paid_at,
                channel=BillPayment.Channel.BANK,
                reference=f"BENCH-H120-{bill.pk}",
            )
        )
        bill.paid_amount, bill.paid_at = bill.amount, paid_at
    BillPayment.objects.bulk_create(payments)
    Bill.objects.bulk_update([b for b in bills if b.pk != latest.pk], ["paid_amount", "paid_at"])
    # The latest bill stays unpaid: the history shows its bill ID and payment ID.
    Bill.objects.filter(pk=latest.pk).update(paid_amount=0, paid_at=None)


def history_120() -> Prepared:
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from billing.models import Bill, BillPayment
    from portal.identifiers import generate_bill_id, generate_payment_id
    from subscribers.models import City, DistrictOffice, Subscription, SubscriptionLink, User

    with transaction.atomic():
        user, _ = User.objects.get_or_create(
            username=BENCH_USERNAME,
            defaults={"national_code": BENCH_NATIONAL_CODE, "mobile": "09120000120"},
        )
        office = (
            DistrictOffice.objects.select_related("company")
            .filter(company__kind="electricity")
            .order_by("pk")
            .first()
        )
        if office is None:
            raise RuntimeError("run seed_demo first: no electricity office")
        bill_id = generate_bill_id(
            file_code=77_120_000, company_code=office.company.code, service_type=2
        )
        subscription, _ = Subscription.objects.get_or_create(
            bill_id=bill_id,
            defaults={
                "company": office.company,
                "office": office,
                "city": City.objects.order_by("pk").first(),
                "subscription_number": "77120000",
                "address": "بنچمارک سوابق ۱۲۰ دوره",
                "tariff": "خانگی",
            },
        )
        SubscriptionLink.objects.get_or_create(
            user=user,
            subscription=subscription,
            defaults={"role": SubscriptionLink.Role.OWNER, "proof": "national_code"},
        )
        if not Bill.objects.filter(subscription=subscription).exists():
            bills, reading = [], 1000
            for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
                for month in range(1, 13):
                    start, end = _month(year, month)
                    units, amount = 200 + (month * 37) % 150, 1_000_000 + month * 17_000
                    bills.append(
                        Bill(
                            subscription=subscription,
                            year=year,
                            period=month,
                            period_start=start,
                            period_end=end,
                            previous_reading=reading,
                            current_reading=reading + units,
                            consumption=units,
                            energy=amount,
                            amount=amount,
                            due_date=end + dt.timedelta(days=15),
                            payment_id=generate_payment_id(
                                bill_id=bill_id, amount_rial=amount, jalali_year=year, period=month
                            ),
                        )
                    )
                    reading += units
            Bill.objects.bulk_create(bills)
        _pay_all_but_the_latest(subscription, BillPayment)
        token, _ = Token.objects.get_or_create(user=user)
    return Prepared(
        paths=(f"/api/v1/billing/history/?bill_id={bill_id}&from_year={FIRST_YEAR}",),
        headers={"Authorization": f"Token {token.key}", "Accept": "application/json"},
    )


def history_minimal() -> Prepared:
    """The ``history-minimal`` baseline's path: the bare view of bench/minimal_billing.py over
    the subscription and start year ``history_120`` requests (which it prepares)."""
    from subscribers.models import SubscriptionLink

    history_120()
    subscription_id = SubscriptionLink.objects.get(
        user__username=BENCH_USERNAME, role=SubscriptionLink.Role.OWNER
    ).subscription_id
    return Prepared(
        paths=(f"/bench/minimal/billing/history/{subscription_id}/?from_year={FIRST_YEAR}",),
        headers={"Accept": "application/json"},
    )
