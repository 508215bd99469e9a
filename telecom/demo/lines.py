"""Demo phone lines of «مخابرات آذربایجان شرقی» (company 141) and their activations.

Stable numbers (the README and the other telecom demo steps refer to them):

- 04133001001 — Maryam, owner (صاحب تلفن), activated.
- 04133001002 — Zahra, tenant (استفاده‌کننده), activated; her lease began on the first day of
  the Jalali month six months ago and runs one Jalali year, so earlier calls are outside it.
- 04133002001…04133002004 — org-tabriz-water (legal person), owner, activated; its
  credentials count as issued (the demo password stays the printed one).
- 04133001003 — Ali's pending claim (owner): the operator page (telecom-center, center 01)
  has something to do.
- 04133100000…04133100299 — 300 other lines spread over the five centers, with no links
  (the call-record demo spreads calls over every line of the company).
"""

from __future__ import annotations

from datetime import timedelta

import jdatetime
from django.utils import timezone

from portal import identifiers
from portal.demo import SeedContext, upsert
from subscribers.models import IdentityVerification, Subscription, SubscriptionLink, User
from telecom.models import LegalCredentialIssue, LineActivation, LineClaim, PhoneLine

COMPANY = "east-azarbaijan-telecom"
MARYAM_LINE = "04133001001"
ZAHRA_LINE = "04133001002"
PENDING_LINE = "04133001003"
ORG_LINES = tuple(f"0413300200{i}" for i in range(1, 5))
OTHER_LINES = 300
OTHER_FIRST = 4133100000  # 04133100000


def _line(ctx: SeedContext, number: str, office_key: str, file_code: int, **fields) -> PhoneLine:
    office = ctx.offices[office_key]
    company = office.company
    city = office.cities.order_by("name").first()
    subscription = upsert(
        ctx,
        Subscription,
        {"company": company, "subscription_number": number},
        {
            "bill_id": identifiers.generate_bill_id(
                file_code=file_code, company_code=company.code, service_type=company.service_digit
            ),
            "office": office,
            "city": city,
            "address": fields.pop("address", f"{city.name}، خیابان نمونه، پلاک {file_code % 200}"),
            "postal_code": "5153847911",
            "tariff": "تلفن ثابت",
            "branches": 1,
            "meter_serial": "",
            **fields,
        },
    )
    return upsert(ctx, PhoneLine, {"number": number}, {"subscription": subscription})


def _activate(
    ctx: SeedContext,
    *,
    line: PhoneLine,
    user: User,
    operator: User,
    role: str = SubscriptionLink.Role.OWNER,
    lease_start=None,
    lease_end=None,
    documents: list[str],
    document_type: str = IdentityVerification.DocumentType.NATIONAL_CARD,
) -> LineActivation:
    link = upsert(
        ctx,
        SubscriptionLink,
        {"user": user, "subscription": line.subscription, "ended_at": None},
        {
            "role": role,
            "lease_start": lease_start,
            "lease_end": lease_end,
            "proof": SubscriptionLink.Proof.TELECOM_CENTER,
            "verified_by": operator,
        },
    )
    verification = upsert(
        ctx,
        IdentityVerification,
        {"user": user, "verified_by": operator, "channel": "telecom_center"},
        {"document_type": document_type, "document_number": "D-1403", "documents_seen": documents},
    )
    activation = upsert(
        ctx,
        LineActivation,
        {"link": link},
        {
            "verification": verification,
            "lease_start": lease_start,
            "lease_end": lease_end,
            "activated_by": operator,
        },
    )
    upsert(
        ctx,
        LineClaim,
        {"user": user, "line": line, "activation": activation},
        {"role": role, "lease_end": lease_end, "status": LineClaim.Status.ACTIVATED},
    )
    return activation


def seed_phone_lines(ctx: SeedContext) -> None:
    """Lines, links, activations and one pending claim (see the module docstring)."""
    natural = User.objects.filter(kind=User.Kind.NATURAL)
    maryam = natural.get(first_name="مریم", last_name="رضایی")
    ali = natural.get(first_name="علی", last_name="محمدی")
    zahra = natural.get(first_name="زهرا", last_name="حسینی")
    org = User.objects.get(username="org-tabriz-water")
    operator = User.objects.get(username="telecom-center")
    center = f"{COMPANY}/01"
    natural_docs = ["id_original", "id_copy", "last_paid_bills"]

    line = _line(
        ctx, MARYAM_LINE, center, 9_001_001, mobile=maryam.mobile, holder_id=maryam.national_code
    )
    _activate(ctx, line=line, user=maryam, operator=operator, documents=natural_docs)

    landlord = identifiers.generate_national_code(ctx.rng)
    line = _line(ctx, ZAHRA_LINE, center, 9_001_002, mobile="09147654321", holder_id=landlord)
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    index = today.month - 1 - 6
    start = jdatetime.date(today.year + index // 12, index % 12 + 1, 1)
    lease_start = start.togregorian()
    lease_end = jdatetime.date(start.year + 1, start.month, 1).togregorian() - timedelta(days=1)
    _activate(
        ctx,
        line=line,
        user=zahra,
        operator=operator,
        role=SubscriptionLink.Role.TENANT,
        lease_start=lease_start,
        lease_end=lease_end,
        documents=[*natural_docs, "lease"],
    )

    legal_docs = [
        "org_request",
        "representative_letter",
        "latest_gazette",
        "registration_certificate",
        "articles_and_founding",
        "last_paid_bills",
    ]
    first = None
    for i, number in enumerate(ORG_LINES):
        line = _line(
            ctx,
            number,
            center,
            9_002_001 + i,
            mobile=org.mobile,
            holder_id=org.legal_national_id,
            address=f"تبریز، ایستگاه پمپاژ شماره {i + 1}",
        )
        activation = _activate(
            ctx,
            line=line,
            user=org,
            operator=operator,
            documents=legal_docs,
            document_type=IdentityVerification.DocumentType.COMPANY_DOCUMENTS,
        )
        first = first or activation
    upsert(
        ctx,
        LegalCredentialIssue,
        {"user": org},
        {
            "activation": first,
            "issued_by": operator,
            "username": org.username,
            "masked_mobile": identifiers.mask_mobile(org.mobile),
        },
    )

    line = _line(
        ctx, PENDING_LINE, center, 9_001_003, mobile=ali.mobile, holder_id=ali.national_code
    )
    if not LineClaim.objects.filter(user=ali, line=line).exists():
        upsert(ctx, LineClaim, {"user": ali, "line": line, "status": "pending"}, {"role": "owner"})

    offices = [key for key in ctx.offices if key.startswith(f"{COMPANY}/")]
    for i in range(OTHER_LINES):
        number = f"0{OTHER_FIRST + i}"
        _line(
            ctx,
            number,
            offices[i % len(offices)],
            9_100_000 + i,
            mobile=f"0914{ctx.rng.randint(0, 9_999_999):07d}",
            holder_id=identifiers.generate_national_code(ctx.rng),
        )
