"""Factories for the help content and service catalog (requests_app)."""

import factory
from factory.django import DjangoModelFactory

from requests_app.models import FaqEntry, ServiceCard


class FaqEntryFactory(DjangoModelFactory):
    class Meta:
        model = FaqEntry

    question = factory.Sequence(lambda n: f"پرسش نمونه شماره {n}؟")
    answer = "پاسخ نمونه برای آزمون."
    category = FaqEntry.Category.GENERAL
    order = factory.Sequence(lambda n: n % 30000)
    is_published = True


class ServiceCardFactory(DjangoModelFactory):
    class Meta:
        model = ServiceCard

    service_id = factory.Sequence(lambda n: str(990_000_000_000 + n))
    slug = factory.Sequence(lambda n: f"sample-service-{n}")
    title = factory.Sequence(lambda n: f"خدمت نمونه {n}")
    section = ServiceCard.Section.AFTER_SALES
    company_kind = ServiceCard.CompanyKind.ALL
    description = "شرح خدمت نمونه."
    required_documents = "مدرک نخست\nمدرک دوم"
    average_time_hours = 24
    service_hours = "ساعات اداری"
    in_person_visits = 0
    fee_description = "رایگان"
    payment_methods = "سامانه خدمات الکترونیکی: درگاه اینترنتی"
    access_channels = "تلفن: 021-12345678\nوب‌سایت: https://example.org/service"
    complaint_channels = "تماس تلفنی: 021-12345679"
    order = factory.Sequence(lambda n: n % 30000)
    is_published = True


# Reference-data factories live in tests/factories.py; re-exported for these tests' imports.
from tests.factories import (  # noqa: E402
    CityFactory,
    DistrictOfficeFactory,
    OfficePhoneFactory,
    UtilityCompanyFactory,
)

__all__ = [
    "CityFactory",
    "DistrictOfficeFactory",
    "FaqEntryFactory",
    "OfficePhoneFactory",
    "ServiceCardFactory",
    "UtilityCompanyFactory",
]


# --- request workflow (issue 4) ----------------------------------------------------------


class RequestTypeFactory(DjangoModelFactory):
    """An electricity after-sales type with documents and approval; override stages freely."""

    class Meta:
        model = "requests_app.RequestType"

    code = factory.Sequence(lambda n: f"test-type-{n}")
    company_kind = "electricity"
    title = factory.Sequence(lambda n: f"خدمت آزمایشی {n}")
    stage_documents = True
    stage_payment = False
    stage_visit = False
    stage_approval = True
    sla_hours = 72


class RequiredDocumentFactory(DjangoModelFactory):
    class Meta:
        model = "requests_app.RequiredDocument"

    request_type = factory.SubFactory(RequestTypeFactory)
    title = factory.Sequence(lambda n: f"مدرک {n}")
    applies_to = "both"
    mandatory = True


def owned_subscription(user=None, *, kind: str = "electricity", role: str = "owner", **extra):
    """A subscription of a ``kind`` company linked to ``user`` (a new subscriber by default).
    Returns ``(user, subscription)``."""
    from tests.factories import (
        DistrictOfficeFactory,
        SubscriptionFactory,
        SubscriptionLinkFactory,
        UserFactory,
        UtilityCompanyFactory,
    )

    user = user or UserFactory()
    office = extra.pop("office", None) or DistrictOfficeFactory(
        company=UtilityCompanyFactory(kind=kind)
    )
    subscription = SubscriptionFactory(office=office, **extra)
    link_extra = {}
    if role == "tenant":
        from datetime import date, timedelta

        link_extra = {"lease_start": date.today(), "lease_end": date.today() + timedelta(days=300)}
    SubscriptionLinkFactory(user=user, subscription=subscription, role=role, **link_extra)
    return user, subscription


def office_staff(office, *, supervisor: bool = False):
    """A clerk (or supervisor) of ``office`` with the matching role group."""
    from subscribers import roles
    from tests.factories import StaffFactory, add_role

    staff = StaffFactory(office=office)
    return add_role(staff, roles.OFFICE_SUPERVISOR if supervisor else roles.OFFICE_CLERK)
