"""Factories shared by every app's tests (reference data, accounts, subscriptions, kiosks)."""

import random
from datetime import date

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from portal import identifiers
from subscribers.models import (
    City,
    DistrictOffice,
    KioskOffice,
    KioskOperator,
    LegalProfile,
    NaturalProfile,
    OfficePhone,
    Subscription,
    SubscriptionLink,
    User,
    UtilityCompany,
)

_rng = random.Random(20261122)
PASSWORD = "a-Long-passw0rd-for-tests"


def national_code() -> str:
    return identifiers.generate_national_code(_rng)


def legal_national_id() -> str:
    return identifiers.generate_legal_national_id(_rng)


class CityFactory(DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("province", "name")

    name = factory.Sequence(lambda n: f"شهر {n}")
    province = "استان آزمون"


class UtilityCompanyFactory(DjangoModelFactory):
    class Meta:
        model = UtilityCompany

    kind = UtilityCompany.Kind.ELECTRICITY
    name = factory.Sequence(lambda n: f"شرکت آزمون {n}")
    code = factory.Sequence(lambda n: f"{n % 1000:03d}")


class DistrictOfficeFactory(DjangoModelFactory):
    class Meta:
        model = DistrictOffice

    company = factory.SubFactory(UtilityCompanyFactory)
    code = factory.Sequence(lambda n: f"{n:02d}")
    name = factory.Sequence(lambda n: f"امور آزمون {n}")


class OfficePhoneFactory(DjangoModelFactory):
    class Meta:
        model = OfficePhone

    office = factory.SubFactory(DistrictOfficeFactory)
    title = "رئیس خدمات مشترکین"
    number = factory.Sequence(lambda n: f"041-3{n % 10_000_000:07d}")


class UserFactory(DjangoModelFactory):
    """A natural-person subscriber with a verified mobile; password ``PASSWORD``."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    kind = User.Kind.NATURAL
    national_code = factory.LazyFunction(national_code)
    username = factory.LazyAttribute(lambda o: o.national_code or f"user{_rng.randrange(10**8)}")
    first_name = "مریم"
    last_name = factory.Sequence(lambda n: f"احمدی{n}")
    mobile = factory.Sequence(lambda n: f"0912{n % 10_000_000:07d}")
    mobile_verified_at = factory.LazyFunction(timezone.now)
    is_active = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class NaturalProfileFactory(DjangoModelFactory):
    class Meta:
        model = NaturalProfile

    user = factory.SubFactory(UserFactory)
    gender = NaturalProfile.Gender.FEMALE
    father_name = "علی"
    birth_date = date(1990, 3, 21)
    id_number = "12345"
    place_of_issue = "تبریز"
    postal_code = "5153847911"


class LegalUserFactory(UserFactory):
    kind = User.Kind.LEGAL
    national_code = None
    legal_national_id = factory.LazyFunction(legal_national_id)
    username = factory.Sequence(lambda n: f"company{n}")
    first_name = ""
    last_name = ""


class LegalProfileFactory(DjangoModelFactory):
    class Meta:
        model = LegalProfile

    user = factory.SubFactory(LegalUserFactory)
    company_name = factory.Sequence(lambda n: f"شرکت نمونه {n}")
    registration_date = date(2010, 5, 1)
    registration_number = factory.Sequence(lambda n: f"{1000 + n}")
    place_of_issue = "تبریز"
    subscriber_type = "تجاری"
    representative_first_name = "رضا"
    representative_last_name = "کریمی"
    representative_national_code = factory.LazyFunction(national_code)
    representative_mobile = "09141234567"


class StaffFactory(UserFactory):
    """Office staff of one district office (admin access, not a superuser)."""

    kind = User.Kind.STAFF
    national_code = None
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    office = factory.SubFactory(DistrictOfficeFactory)


class SubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Subscription

    office = factory.SubFactory(DistrictOfficeFactory)
    company = factory.LazyAttribute(lambda o: o.office.company)
    subscription_number = factory.Sequence(lambda n: f"{4_000_000 + n}")
    bill_id = factory.LazyAttributeSequence(
        lambda o, n: identifiers.generate_bill_id(
            file_code=100_000 + n, company_code=o.company.code, service_type=o.company.service_digit
        )
    )
    city = factory.SubFactory(CityFactory)
    address = "تبریز، خیابان امام، کوچه نمونه، پلاک ۱۲"
    postal_code = "5153847911"
    mobile = "09141112233"
    tariff = "خانگی"
    branches = 1


class SubscriptionLinkFactory(DjangoModelFactory):
    class Meta:
        model = SubscriptionLink

    user = factory.SubFactory(UserFactory)
    subscription = factory.SubFactory(SubscriptionFactory)
    role = SubscriptionLink.Role.OWNER
    proof = SubscriptionLink.Proof.NATIONAL_CODE


class KioskOfficeFactory(DjangoModelFactory):
    class Meta:
        model = KioskOffice

    code = factory.Sequence(lambda n: f"K{1000 + n}")
    name = factory.Sequence(lambda n: f"دفتر پیشخوان {n}")
    city = factory.SubFactory(CityFactory)


class KioskOperatorFactory(DjangoModelFactory):
    class Meta:
        model = KioskOperator

    user = factory.SubFactory(StaffFactory, office=None, is_staff=False)
    kiosk = factory.SubFactory(KioskOfficeFactory)


# --- accounts helpers (appended by the accounts work) -----------------------------------------


def last_otp_code(mobile: str) -> str:
    """The six-digit code of the latest SMS to ``mobile``, read from the notifications outbox
    (the console gateway in tests), as a user would read it from their phone."""
    import re

    from notifications.models import OutboxMessage
    from portal.digits import normalize_digits

    text = normalize_digits(OutboxMessage.objects.filter(recipient=mobile).latest().text)
    return re.search(r"\d{6}", text).group(0)


def natural_registration_data(**overrides) -> dict:
    """Keyword arguments for ``account_register_natural`` (a valid, fresh person)."""
    data = {
        "first_name": "زهرا",
        "last_name": "رضایی",
        "gender": NaturalProfile.Gender.FEMALE,
        "father_name": "حسن",
        "nationality": "ایرانی",
        "birth_date": date(1991, 3, 21),
        "id_number": "1234",
        "place_of_issue": "تبریز",
        "national_code": national_code(),
        "postal_code": "5153847911",
        "mobile": f"0935{_rng.randrange(10**7):07d}",
        "password": PASSWORD,
        "client_ip": "10.1.2.3",
    }
    data.update(overrides)
    return data


def login_with_second_factor(client, user) -> None:
    """Log ``user`` into the test client as the staff login would: password and SMS code
    done, so the session carries the second-factor flag the admin and /pishkhan/ require."""
    from subscribers.permissions import STAFF_SECOND_FACTOR_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[STAFF_SECOND_FACTOR_SESSION_KEY] = True
    session.save()


def add_role(user, role: str):
    """Put ``user`` in one of subscribers.roles' groups (created by migration 0003)."""
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name=role))
    return user


# --- subscriptions (issue 3) -------------------------------------------------------------


class OrganisationAccessFactory(DjangoModelFactory):
    class Meta:
        model = "subscribers.OrganisationAccess"

    organisation = factory.SubFactory(LegalUserFactory)
    representative = factory.SubFactory(UserFactory)
    office = factory.SubFactory(DistrictOfficeFactory)
    introduction_letter = factory.Sequence(lambda n: f"ن-{1000 + n}")


def subscription_csv(
    rows: list[dict], *, columns: list[str] | None = None, bom: bool = False
) -> bytes:
    """A subscriptions import file (UTF-8) from dicts; ``columns`` defaults to the keys of the
    first row."""
    import csv
    import io

    columns = columns or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode()
    return b"\xef\xbb\xbf" + data if bom else data
