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
