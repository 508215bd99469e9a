"""Factories for the outages app. ``fed_subscription`` gives an electricity subscription whose
``feeder_code`` points at a feeder of its own company and office."""

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from outages.models import Feeder, ScheduledOutage
from tests.factories import CityFactory, DistrictOfficeFactory, SubscriptionFactory


class FeederFactory(DjangoModelFactory):
    class Meta:
        model = Feeder

    office = factory.SubFactory(DistrictOfficeFactory)
    company = factory.LazyAttribute(lambda o: o.office.company)
    city = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"F{n:04d}")
    name = factory.Sequence(lambda n: f"فیدر آزمون {n}")
    area = "خیابان نمونه تا میدان آزمون"


class ScheduledOutageFactory(DjangoModelFactory):
    class Meta:
        model = ScheduledOutage

    feeder = factory.SubFactory(FeederFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    reason = "تعمیرات شبکه"


def fed_subscription(feeder: Feeder | None = None, **kwargs):
    """An electricity subscription on ``feeder`` (a new one when not given)."""
    feeder = feeder or FeederFactory()
    return SubscriptionFactory(
        office=feeder.office,
        company=feeder.company,
        city=feeder.city,
        feeder_code=feeder.code,
        **kwargs,
    )
