"""Factories for telecom tests: a telecom office (telephone center), lines, activated links and
call records. ``call_records_create`` is the one way tests write call records: it creates the
monthly partitions first (PostgreSQL) and bulk-inserts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from subscribers.models import IdentityVerification, SubscriptionLink, UtilityCompany
from telecom.models import CallRecord, CallType, LineActivation, PhoneLine
from telecom.services.partitions import months_between, partitions_ensure
from tests.factories import (
    DistrictOfficeFactory,
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
    UtilityCompanyFactory,
    add_role,
)


class TelecomCompanyFactory(UtilityCompanyFactory):
    kind = UtilityCompany.Kind.TELECOM
    name = factory.Sequence(lambda n: f"شرکت مخابرات آزمون {n}")


class TelephoneCenterFactory(DistrictOfficeFactory):
    """A telecom company's district office, i.e. a telephone center (مرکز تلفن)."""

    company = factory.SubFactory(TelecomCompanyFactory)
    name = factory.Sequence(lambda n: f"مرکز تلفن آزمون {n}")


class LineSubscriptionFactory(SubscriptionFactory):
    office = factory.SubFactory(TelephoneCenterFactory)
    tariff = "تلفن ثابت"


class PhoneLineFactory(DjangoModelFactory):
    class Meta:
        model = PhoneLine

    subscription = factory.SubFactory(LineSubscriptionFactory)
    number = factory.Sequence(lambda n: f"0413{3_000_000 + n:07d}")


def telecom_operator(center=None, **kwargs):
    """A telecom-center operator (staff) of ``center``."""
    from subscribers import roles

    user = StaffFactory(office=center or TelephoneCenterFactory(), **kwargs)
    add_role(user, roles.TELECOM_CENTER_OPERATOR)
    return user


def activated_link(
    *,
    line: PhoneLine,
    user=None,
    role: str = SubscriptionLink.Role.OWNER,
    lease_start: dt.date | None = None,
    lease_end: dt.date | None = None,
    operator=None,
) -> SubscriptionLink:
    """A link of ``user`` to ``line`` with its in-person verification and line activation,
    written directly (tests of the activation service itself go through the service)."""
    user = user or UserFactory()
    operator = operator or telecom_operator(line.subscription.office)
    link = SubscriptionLinkFactory(
        user=user,
        subscription=line.subscription,
        role=role,
        lease_start=lease_start,
        lease_end=lease_end,
        proof=SubscriptionLink.Proof.OFFICE,
    )
    verification = IdentityVerification.objects.create(
        user=user,
        verified_by=operator,
        channel=IdentityVerification.Channel.TELECOM_CENTER,
        document_type=IdentityVerification.DocumentType.NATIONAL_CARD,
        document_number="0012345678",
        documents_seen=["id_original", "id_copy", "last_paid_bills"],
    )
    LineActivation.objects.create(
        link=link,
        verification=verification,
        lease_start=lease_start,
        lease_end=lease_end,
        activated_by=operator,
    )
    return link


def call_records_create(rows: Iterable[dict]) -> list[CallRecord]:
    """Insert call records (dicts of CallRecord fields; ``line`` or ``line_id`` required,
    defaults for the rest), creating the partitions they need first."""
    now = timezone.now()
    objs = [
        CallRecord(
            **{
                "started_at": now - dt.timedelta(days=1),
                "other_number": "09121234567",
                "call_type": CallType.MOBILE,
                "duration_s": 60,
                "cost_rial": 1_000,
                **row,
            }
        )
        for row in rows
    ]
    if objs:
        moments = [o.started_at for o in objs]
        partitions_ensure(months=months_between(min(moments), max(moments)))
    return CallRecord.objects.bulk_create(objs, batch_size=2_000)
