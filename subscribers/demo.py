"""Demo accounts, subscriptions, an organisation and a kiosk for ``seed_demo``.

Every login here exists only through seed_demo (never a migration) and is printed by it.
Staff mobiles are in the 0990 000 range so their second-factor codes land in the console
outbox (``manage.py sms_outbox --to 0990…``).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from portal import identifiers
from portal.demo import SeedContext, upsert
from subscribers import roles
from subscribers.models import (
    City,
    KioskOffice,
    KioskOperator,
    LegalProfile,
    NaturalProfile,
    OrganisationAccess,
    Subscription,
    SubscriptionLink,
    User,
)
from subscribers.services.roles import roles_sync

# Demo-only passwords, printed by seed_demo and listed in README; never in production.
SUBSCRIBER_PASSWORD = "Demo-User-1403"  # noqa: S105
STAFF_PASSWORD = "Demo-Staff-1403"  # noqa: S105
ADMIN = ("admin", "Demo-Admin-1403")


def _user(ctx: SeedContext, username: str, password: str, **fields) -> User:
    """Create on first run with the password; later runs leave the password alone."""
    user = upsert(ctx, User, {"username": username}, fields)
    if not user.password:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _group(user: User, role: str) -> None:
    user.groups.add(Group.objects.get(name=role))  # roles_sync() ran first in seed_accounts


def _subscription(ctx: SeedContext, office_key: str, file_code: int, **fields) -> Subscription:
    office = ctx.offices[office_key]
    company = office.company
    bill_id = identifiers.generate_bill_id(
        file_code=file_code, company_code=company.code, service_type=company.service_digit
    )
    city = office.cities.order_by("name").first() or City.objects.first()
    defaults = {
        "bill_id": bill_id,
        "office": office,
        "city": city,
        "address": fields.pop("address", f"{city.name}، خیابان نمونه، پلاک {file_code % 97}"),
        "postal_code": "5153847911",
        "tariff": fields.pop("tariff", "خانگی"),
        "branches": 1,
        "meter_serial": f"MS{file_code}",
        "feeder_code": fields.pop("feeder_code", ""),
        **fields,
    }
    return upsert(
        ctx,
        Subscription,
        {"company": company, "subscription_number": str(file_code)},
        defaults,
    )


def _link(ctx: SeedContext, user: User, subscription: Subscription, **fields) -> None:
    upsert(
        ctx,
        SubscriptionLink,
        {"user": user, "subscription": subscription, "ended_at": None},
        {"role": SubscriptionLink.Role.OWNER, "proof": SubscriptionLink.Proof.NATIONAL_CODE}
        | fields,
    )


def seed_accounts(ctx: SeedContext) -> None:
    """System administrator, staff for each role and office, subscribers, an organisation
    with more than five subscriptions and its approved representative, a kiosk operator."""
    roles_sync()
    now = timezone.now()
    username, password = ADMIN
    admin = _user(
        ctx,
        username,
        password,
        is_staff=True,
        is_superuser=True,
        kind=User.Kind.STAFF,
        first_name="مدیر",
        last_name="سامانه",
        mobile="09900000001",
    )
    _group(admin, roles.SYSTEM_ADMINISTRATOR)
    ctx.add_credentials("مدیر سامانه (system administrator)", username, password)

    # A clerk and a supervisor in every office.
    for n, (key, office) in enumerate(sorted(ctx.offices.items()), start=1):
        slug = key.replace("/", "-")
        for role, prefix, title in (
            (roles.OFFICE_CLERK, "clerk", "کارمند"),
            (roles.OFFICE_SUPERVISOR, "supervisor", "رئیس"),
        ):
            staff = _user(
                ctx,
                f"{prefix}-{slug}",
                STAFF_PASSWORD,
                is_staff=True,
                kind=User.Kind.STAFF,
                office=office,
                first_name=title,
                last_name=office.name,
                mobile=f"09900{n:03d}{1 if prefix == 'clerk' else 2:03d}",
            )
            _group(staff, role)
    ctx.add_credentials(
        "کارمند / رئیس هر امور (clerk-… / supervisor-…)",
        "clerk-tabriz-electricity-01",
        STAFF_PASSWORD,
    )
    for role, username, office_key, mobile in (
        (roles.CALL_CENTER_OPERATOR, "callcenter-121", "tabriz-electricity/01", "09900100001"),
        (
            roles.TELECOM_CENTER_OPERATOR,
            "telecom-center",
            "east-azarbaijan-telecom/01",
            "09900100002",
        ),
    ):
        staff = _user(
            ctx,
            username,
            STAFF_PASSWORD,
            is_staff=True,
            kind=User.Kind.STAFF,
            office=ctx.offices[office_key],
            first_name="اپراتور",
            last_name=role,
            mobile=mobile,
        )
        _group(staff, role)
        ctx.add_credentials(role, username, STAFF_PASSWORD)

    # Kiosk (پیشخوان) and its operator.
    kiosk = upsert(
        ctx,
        KioskOffice,
        {"code": "PK-4123"},
        {
            "name": "دفتر پیشخوان دولت ولیعصر",
            "city": City.objects.get(name="تبریز", province="آذربایجان شرقی"),
        },
    )
    operator = _user(
        ctx,
        "kiosk-4123",
        STAFF_PASSWORD,
        kind=User.Kind.STAFF,
        first_name="اپراتور",
        last_name="پیشخوان ولیعصر",
        mobile="09900200001",
    )
    _group(operator, roles.KIOSK_OPERATOR)
    upsert(ctx, KioskOperator, {"user": operator}, {"kiosk": kiosk, "is_active": True})
    ctx.add_credentials("اپراتور پیشخوان (/pishkhan/)", "kiosk-4123", STAFF_PASSWORD)

    # Natural-person subscribers: an owner with electricity and gas, and a tenant.
    people = []
    for first, last, mobile in (
        ("مریم", "رضایی", "09141234567"),
        ("علی", "محمدی", "09351234567"),
        ("زهرا", "حسینی", "09121112233"),
    ):
        code = identifiers.generate_national_code(ctx.rng)
        user = User.objects.filter(first_name=first, last_name=last, kind=User.Kind.NATURAL).first()
        code = user.national_code if user else code
        user = _user(
            ctx,
            code,
            SUBSCRIBER_PASSWORD,
            kind=User.Kind.NATURAL,
            national_code=code,
            first_name=first,
            last_name=last,
            mobile=mobile,
            mobile_verified_at=user.mobile_verified_at if user else now,
        )
        upsert(
            ctx,
            NaturalProfile,
            {"user": user},
            {
                "gender": NaturalProfile.Gender.FEMALE
                if first != "علی"
                else NaturalProfile.Gender.MALE,
                "father_name": "حسن",
                "birth_date": date(1988, 6, 1),
                "id_number": "1234",
                "place_of_issue": "تبریز",
                "postal_code": "5153847911",
            },
        )
        people.append(user)
        ctx.add_credentials(f"مشترک حقیقی ({first} {last})", code, SUBSCRIBER_PASSWORD)
    maryam, ali, zahra = people

    _link(
        ctx,
        maryam,
        _subscription(
            ctx,
            "tabriz-electricity/01",
            1_100_201,
            mobile=maryam.mobile,
            holder_id=maryam.national_code,
            feeder_code="TB01-F1",  # outages/demo.py's feeders
        ),
    )
    _link(
        ctx,
        maryam,
        _subscription(
            ctx, "qazvin-gas/01", 2_200_301, mobile=maryam.mobile, holder_id=maryam.national_code
        ),
    )
    _link(
        ctx,
        ali,
        _subscription(
            ctx,
            "qom-electricity/01",
            3_300_401,
            mobile=ali.mobile,
            holder_id=ali.national_code,
            feeder_code="QM01-F1",
        ),
    )
    rented = _subscription(
        ctx, "tabriz-electricity/02", 1_100_202, mobile="09147654321", feeder_code="TB02-F1"
    )
    _link(
        ctx,
        zahra,
        rented,
        role=SubscriptionLink.Role.TENANT,
        proof=SubscriptionLink.Proof.OFFICE,
        lease_start=date(2026, 3, 21),
        lease_end=date(2027, 3, 20),
    )

    # An organisation with seven subscriptions and an approved representative (seed 000).
    org_id = identifiers.generate_legal_national_id(ctx.rng)
    org = User.objects.filter(username="org-tabriz-water").first()
    org = _user(
        ctx,
        "org-tabriz-water",
        SUBSCRIBER_PASSWORD,
        kind=User.Kind.LEGAL,
        legal_national_id=org.legal_national_id if org else org_id,
        mobile="09143334455",
        mobile_verified_at=org.mobile_verified_at if org else now,
    )
    upsert(
        ctx,
        LegalProfile,
        {"user": org},
        {
            "company_name": "شرکت آب و فاضلاب تبریز (نمونه)",
            "registration_date": date(2005, 4, 1),
            "registration_number": "18234",
            "place_of_issue": "تبریز",
            "subscriber_type": "دولتی",
            "representative_first_name": "علی",
            "representative_last_name": "محمدی",
            "representative_national_code": ali.national_code,
            "representative_mobile": ali.mobile,
        },
    )
    for i in range(7):
        sub = _subscription(
            ctx,
            "tabriz-electricity/01" if i % 2 else "tabriz-electricity/02",
            1_100_300 + i,
            tariff="عمومی",
            address=f"تبریز، ایستگاه پمپاژ شماره {i + 1}",
            mobile=org.mobile,
            holder_id=org.legal_national_id,
            feeder_code="TB01-F2" if i % 2 else "TB02-F2",
        )
        _link(ctx, org, sub)
    access = upsert(
        ctx,
        OrganisationAccess,
        {"organisation": org, "representative": ali},
        {
            "office": ctx.offices["tabriz-electricity/01"],
            "status": OrganisationAccess.Status.APPROVED,
            "introduction_letter": "1405/213",
            "decided_by": admin,
        },
    )
    if access.decided_at is None:
        access.decided_at = now - timedelta(days=30)
        access.save(update_fields=["decided_at"])
    ctx.add_credentials("شخص حقوقی (سازمان با ۷ اشتراک)", "org-tabriz-water", SUBSCRIBER_PASSWORD)
