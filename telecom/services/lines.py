"""Write paths for phone lines: the lines CSV import (``import_lines`` and the admin upload),
and the subscriber's claims («درج تلفن», seed 002).

The import reads its file with the CSV helpers the subscriptions import uses
(``subscribers.services.csv_import``: reading, reference look-ups, identifier checks, result
types), so a line's subscription is validated exactly like any other subscription: the bill
ID's check digit, company code and telecom service digit, the holder's national code or legal
ID, the SMS mobile and postal code. Errors carry this file's own column labels.

A claim grants nothing. It waits for the in-person check at a telephone center
(``telecom.services.activation``), which turns it into a link and a line activation.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, TextIO

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.digits import to_persian_digits
from portal.errors import PortalError
from portal.identifiers import clean_bill_id, clean_mobile, clean_postal_code
from subscribers.models import DistrictOffice, Subscription, SubscriptionLink, User
from subscribers.selectors.subscriptions import active_links
from subscribers.services.audit import audit_record
from subscribers.services.csv_import import (
    BULK_BATCH,
    CHANGED_MEANWHILE,
    ImportIssue,
    ImportResult,
    ReferenceLookups,
    RowError,
    cell_holder_id,
    cell_identifier,
    cell_text,
    import_csv_open,
)
from subscribers.services.ratelimit import rate_limit_hit
from telecom.models import LineClaim, PhoneLine
from telecom.selectors.lines import normalize_number

Role = SubscriptionLink.Role

# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

LINE_COLUMNS = (
    "company_code",
    "phone_number",
    "bill_id",
    "center",
    "address",
    "postal_code",
    "holder_id",
    "mobile",
)
LINE_OPTIONAL_COLUMNS = frozenset({"holder_id", "mobile"})
LINE_COLUMN_LABELS = {
    "company_code": "کد شرکت",
    "phone_number": "شماره تلفن",
    "bill_id": "شناسه قبض",
    "center": "کد مرکز تلفن",
    "address": "نشانی محل نصب",
    "postal_code": "کد پستی",
    "holder_id": "کد ملی / شناسه ملی دارنده",
    "mobile": "تلفن همراه پیامک",
}
LINE_TARIFF = "تلفن ثابت"
# Area code (0 + 2 digits, not a mobile's 09) + 8-digit subscriber number.
NUMBER_RE = re.compile(r"^0[1-8]\d{9}$")
_SUBSCRIPTION_FIELDS = ("bill_id", "office_id", "city_id", "address", "postal_code", "mobile")
_SUBSCRIPTION_HOLDER = "holder_id"


def phone_number_clean(value: str, *, field: str = "number") -> str:
    """The 11 digits of a fixed line (Persian digits, spaces and dashes accepted), or a
    ``PortalError`` naming ``field``."""
    digits = normalize_number(value)
    if len(digits) == 10 and not digits.startswith("0"):
        digits = "0" + digits
    if not NUMBER_RE.fullmatch(digits):
        message = "شماره تلفن ثابت را با کد شهر و ۱۱ رقم وارد کنید، مانند ۰۴۱۳۳۳۳۴۴۴۴."
        raise PortalError("invalid", f"شماره تلفن: {message}", fields={field: [message]})
    return digits


class _LineLookups(ReferenceLookups):
    """The subscriptions import's look-ups plus each center's cities (one query)."""

    def __init__(self, actor: User | None) -> None:
        super().__init__(actor)
        self.office_cities: dict[int, list[Any]] = {}
        through = DistrictOffice.cities.through.objects.select_related("city").order_by("pk")
        for row in through:
            self.office_cities.setdefault(row.districtoffice_id, []).append(row.city)


def _parse_line_row(
    row: dict[str, str], lookups: _LineLookups
) -> tuple[list[RowError], dict | None]:
    errors: list[RowError] = []
    values: dict[str, Any] = {}

    def attempt(name: str, func) -> None:
        try:
            values[name] = func()
        except RowError as exc:
            errors.append(exc)

    def company():
        found = lookups.company(row)
        if found.kind != found.Kind.TELECOM:
            raise RowError("company_code", "این شرکت مخابرات نیست")
        return found

    def number() -> str:
        text = cell_text(row, "phone_number")
        try:
            return phone_number_clean(text)
        except PortalError:
            raise RowError(
                "phone_number", "باید ۱۱ رقم با کد شهر باشد، مانند ۰۴۱۳۳۳۳۴۴۴۴"
            ) from None

    attempt("company", company)
    attempt("number", number)
    found_company = values.get("company")
    if found_company is not None:
        attempt(
            "bill_id",
            lambda: cell_identifier(
                row,
                "bill_id",
                lambda v: clean_bill_id(
                    v, company_code=found_company.code, service_type=found_company.service_digit
                ),
            ),
        )

        def center() -> DistrictOffice:
            code = cell_text(row, "center", max_length=10)
            found = lookups.offices.get((found_company.pk, code))
            if found is None:
                raise RowError(
                    "center",
                    f"مرکز تلفن با کد {to_persian_digits(code)} در این شرکت ثبت نشده است",
                )
            if lookups.only_office_id is not None and found.pk != lookups.only_office_id:
                raise RowError("center", "این مرکز در حوزه دسترسی شما نیست")
            if not lookups.office_cities.get(found.pk):
                raise RowError("center", "برای این مرکز هیچ شهری ثبت نشده است")
            return found

        attempt("office", center)
    attempt("address", lambda: cell_text(row, "address", max_length=300))
    attempt("postal_code", lambda: cell_identifier(row, "postal_code", clean_postal_code))

    def mobile() -> str:
        if not cell_text(row, "mobile", required=False):
            return ""
        return cell_identifier(row, "mobile", clean_mobile)

    attempt("mobile", mobile)
    attempt("holder_id", lambda: cell_holder_id(row))
    if errors:
        return errors, None
    office = values["office"]
    cities = lookups.office_cities[office.pk]
    # A center may serve several cities: the one named in the address, else its first.
    values["city"] = next((c for c in cities if c.name in values["address"]), cities[0])
    return [], values


def lines_import(*, file: TextIO | bytes, actor: User | None) -> ImportResult:
    """Create or update fixed lines from the telecom company's CSV, all or nothing.

    UTF-8 (BOM fine) with a header naming ``LINE_COLUMNS`` in any order (``holder_id`` and
    ``mobile`` may be absent or empty); extra columns are ignored; Persian digits are accepted
    everywhere. Each row is the line's ``Subscription`` (company by code, office = the center,
    city from the center, subscription number = the phone number, tariff «تلفن ثابت») and its
    ``PhoneLine``; rows are matched on company + number, so a re-import updates what changed
    and counts created/updated/unchanged. Every problem is reported with its line number
    (header = 1) and column; if there is any, nothing is written. Staff scoped to one office
    may import only that center's lines. Audited as ``telecom.lines_import``.
    """
    result = ImportResult()
    reader = import_csv_open(
        file,
        result,
        columns=LINE_COLUMNS,
        optional=LINE_OPTIONAL_COLUMNS,
        labels=LINE_COLUMN_LABELS,
    )
    if reader is None:
        return result

    lookups = _LineLookups(actor)
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen_numbers: dict[str, int] = {}
    seen_bills: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
        errors, values = _parse_line_row(row, lookups)
        result.errors.extend(error.issue(line, LINE_COLUMN_LABELS) for error in errors)
        if values is None:
            continue
        for key, seen, column in (
            (values["number"], seen_numbers, "phone_number"),
            (values["bill_id"], seen_bills, "bill_id"),
        ):
            if key in seen:
                result.errors.append(
                    ImportIssue(
                        line,
                        f"{LINE_COLUMN_LABELS[column]}: تکراری است "
                        f"(همان سطر {to_persian_digits(seen[key])})",
                        column,
                    )
                )
                break
        else:
            seen_numbers[values["number"]] = line
            seen_bills[values["bill_id"]] = line
            parsed.append((line, values))
    if not parsed and not result.errors:
        result.errors.append(ImportIssue(1, "پرونده هیچ سطر داده‌ای ندارد."))

    numbers = {v["number"] for _, v in parsed}
    bills = {v["bill_id"] for _, v in parsed}
    existing_subs: dict[tuple[int, str], Subscription] = {}
    bill_owner: dict[str, tuple[int, str]] = {}
    lines_by_number: dict[str, PhoneLine] = {}
    if parsed:
        for sub in Subscription.objects.filter(subscription_number__in=numbers) | (
            Subscription.objects.filter(bill_id__in=bills)
        ):
            existing_subs[(sub.company_id, sub.subscription_number)] = sub
            bill_owner[sub.bill_id] = (sub.company_id, sub.subscription_number)
        for phone_line in PhoneLine.objects.filter(number__in=numbers).select_related(
            "subscription"
        ):
            lines_by_number[phone_line.number] = phone_line

    new_subs: list[Subscription] = []
    changed_subs: list[Subscription] = []
    line_for_existing_sub: list[Subscription] = []
    now = timezone.now()
    for line, values in parsed:
        company = values["company"]
        key = (company.pk, values["number"])
        owner = bill_owner.get(values["bill_id"])
        if owner is not None and owner != key:
            result.errors.append(
                ImportIssue(
                    line,
                    "شناسه قبض: این شناسه قبض به اشتراک دیگری "
                    f"(شماره {to_persian_digits(owner[1])}) تعلق دارد",
                    "bill_id",
                )
            )
            continue
        phone_line = lines_by_number.get(values["number"])
        if phone_line is not None and phone_line.subscription.company_id != company.pk:
            result.errors.append(
                ImportIssue(
                    line,
                    "شماره تلفن: این شماره در سامانه به شرکت دیگری تعلق دارد",
                    "phone_number",
                )
            )
            continue
        data = {
            "bill_id": values["bill_id"],
            "office_id": values["office"].pk,
            "city_id": values["city"].pk,
            "address": values["address"],
            "postal_code": values["postal_code"],
            "mobile": values["mobile"],
            "holder_id": values["holder_id"],
        }
        current = existing_subs.get(key)
        if current is None:
            new_subs.append(
                Subscription(
                    company=company,
                    subscription_number=values["number"],
                    tariff=LINE_TARIFF,
                    branches=1,
                    **data,
                )
            )
            continue
        fields = (*_SUBSCRIPTION_FIELDS, _SUBSCRIPTION_HOLDER)
        differs = any(getattr(current, name) != data[name] for name in fields)
        if phone_line is None:
            line_for_existing_sub.append(current)
        if differs:
            for name in fields:
                setattr(current, name, data[name])
            current.updated_at = now
            changed_subs.append(current)
        elif phone_line is not None:
            result.unchanged += 1
    if result.errors:
        result.unchanged = 0
        result.errors.sort(key=lambda issue: issue.line)
        return result

    try:
        with transaction.atomic():
            if changed_subs:
                Subscription.objects.bulk_update(
                    changed_subs,
                    [*_SUBSCRIPTION_FIELDS, _SUBSCRIPTION_HOLDER, "updated_at"],
                    batch_size=BULK_BATCH,
                )
            created = Subscription.objects.bulk_create(new_subs, batch_size=BULK_BATCH)
            if any(sub.pk is None for sub in created):  # pragma: no cover - old SQLite only
                by_key = {
                    (s.company_id, s.subscription_number): s
                    for s in Subscription.objects.filter(subscription_number__in=numbers)
                }
                created = [by_key[(s.company_id, s.subscription_number)] for s in created]
            PhoneLine.objects.bulk_create(
                [
                    PhoneLine(subscription=sub, number=sub.subscription_number)
                    for sub in [*created, *line_for_existing_sub]
                ],
                batch_size=BULK_BATCH,
            )
            result.created = len(created) + len(line_for_existing_sub)
            result.updated = len([s for s in changed_subs if s not in line_for_existing_sub])
            audit_record(
                actor=actor,
                action="telecom.lines_import",
                office=actor.office if actor is not None and actor.office_id else None,
                details={
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
    except IntegrityError:
        return ImportResult(errors=[ImportIssue(1, CHANGED_MEANWHILE)])
    return result


# --------------------------------------------------------------------------------------------
# Claims («درج تلفن»)
# --------------------------------------------------------------------------------------------

CLAIM_LIMIT = 20
CLAIM_WINDOW = timedelta(hours=1)


def _field(field: str, label: str, message: str, code: str = "invalid") -> PortalError:
    return PortalError(code, f"{label}: {message}", fields={field: [message]})


def line_claim_create(
    *,
    user: User,
    number: str,
    role: str,
    lease_end: date | None = None,
    client_ip: str | None = None,
) -> LineClaim:
    """Record that ``user`` wants the e-services of line ``number`` as owner (صاحب تلفن) or
    tenant (استفاده‌کننده, ``lease_end`` required and in the future).

    Preconditions: an active natural or legal subscriber; the line exists. At most one open
    claim per user and line: claiming again corrects the open claim's role and lease end. A
    line already activated for the user is refused (409); a line linked but not yet activated
    gets a claim that waits for the operator like any other. Counted against a per-user rate
    limit (``RateLimited``) so numbers cannot be probed in bulk. Audited as
    ``telecom.line_claim``. Raises ``PortalError`` with field errors (``number``, ``role``,
    ``lease_end``).
    """
    if not user.is_subscriber or not user.is_active:
        raise PortalError(
            "not_subscriber", "فقط حساب مشترکین (حقیقی یا حقوقی) می‌تواند تلفن درج کند."
        )
    digits = phone_number_clean(number)
    if role not in Role.values:
        raise _field("role", "وضعیت تملک", "«صاحب تلفن» یا «استفاده‌کننده» را انتخاب کنید.")
    today = timezone.localdate()
    if role == Role.OWNER:
        lease_end = None
    elif lease_end is None:
        raise _field("lease_end", "پایان اجاره", "برای استفاده‌کننده تاریخ پایان اجاره لازم است.")
    elif lease_end <= today:
        raise _field("lease_end", "پایان اجاره", "تاریخ پایان اجاره باید در آینده باشد.")
    rate_limit_hit(
        scope="telecom.line_claim",
        key=str(user.pk),
        limit=CLAIM_LIMIT,
        window=CLAIM_WINDOW,
        message="تعداد درج تلفن در این ساعت بیش از حد مجاز است؛ کمی بعد دوباره تلاش کنید.",
    )
    line = PhoneLine.objects.select_related("subscription").filter(number=digits).first()
    if line is None:
        raise _field(
            "number",
            "شماره تلفن",
            "خطی با این شماره در سامانه مخابرات ثبت نشده است؛ شماره را با قبض تلفن مقایسه کنید.",
            "line_not_found",
        )
    if (
        active_links()
        .filter(user=user, subscription=line.subscription_id, line_activation__isnull=False)
        .exists()
    ):
        raise PortalError(
            "already_active",
            "خدمات الکترونیک این خط برای حساب شما هم‌اکنون فعال است.",
            fields={"number": ["این خط هم‌اکنون در حساب شما فعال است."]},
            status_code=409,
        )
    try:
        with transaction.atomic():
            claim = (
                LineClaim.objects.select_for_update()
                .filter(user=user, line=line, status=LineClaim.Status.PENDING)
                .first()
            )
            if claim is None:
                claim = LineClaim.objects.create(
                    user=user, line=line, role=role, lease_end=lease_end
                )
            elif (claim.role, claim.lease_end) != (role, lease_end):
                claim.role = role
                claim.lease_end = lease_end
                claim.save(update_fields=["role", "lease_end"])
            audit_record(
                actor=user,
                action="telecom.line_claim",
                obj=claim,
                ip=client_ip,
                details={"number": digits, "role": role},
            )
    except IntegrityError:
        # A concurrent claim of the same line by the same user won; answer with it.
        claim = LineClaim.objects.get(user=user, line=line, status=LineClaim.Status.PENDING)
    claim.line = line
    return claim


def line_claim_cancel(*, user: User, claim_id: int | str) -> LineClaim:
    """Withdraw the user's own open claim; ``NotFound`` for anything else (someone else's,
    already activated or cancelled). Audited as ``telecom.line_claim_cancel``."""
    from portal.errors import NotFound

    try:
        pk = int(claim_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    with transaction.atomic():
        claim = (
            LineClaim.objects.select_for_update()
            .filter(pk=pk, user=user, status=LineClaim.Status.PENDING)
            .first()
        )
        if claim is None:
            raise NotFound()
        claim.status = LineClaim.Status.CANCELLED
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "decided_at"])
        audit_record(actor=user, action="telecom.line_claim_cancel", obj=claim)
    return claim
