"""Write paths for subscriptions: the CSV import from the companies' customer systems, and
linking a subscription to a subscriber's account (OTP, national code, kiosk, office).

Every way of linking ends in ``_link_create``: one place checks the role and lease rules and
the one-active-link-per-user rule, so the four proofs cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TextIO
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from portal.digits import normalize_digits, to_persian_digits
from portal.errors import NotFound, PortalError
from portal.identifiers import (
    InvalidIdentifier,
    clean_bill_id,
    clean_mobile,
    clean_postal_code,
    mask_mobile,
)
from subscribers.models import (
    DistrictOffice,
    IdentityVerification,
    OtpChallenge,
    OtpPurpose,
    Subscription,
    SubscriptionLink,
    User,
    UtilityCompany,
)
from subscribers.permissions import sees_all_offices
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
from subscribers.services.otp import otp_consume, otp_issue, otp_verify

Role = SubscriptionLink.Role
Proof = SubscriptionLink.Proof

# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

IMPORT_COLUMNS = (
    "company_code",
    "subscription_number",
    "bill_id",
    "office_code",
    "city",
    "address",
    "postal_code",
    "mobile",
    "tariff",
    "branches",
    "meter_serial",
    "feeder_code",
    "holder_id",
)
OPTIONAL_COLUMNS = frozenset({"feeder_code", "holder_id"})
COLUMN_LABELS = {
    "company_code": "کد شرکت",
    "subscription_number": "شماره اشتراک",
    "bill_id": "شناسه قبض",
    "office_code": "کد امور",
    "city": "شهر",
    "address": "نشانی",
    "postal_code": "کد پستی",
    "mobile": "تلفن همراه",
    "tariff": "نوع تعرفه",
    "branches": "تعداد انشعاب",
    "meter_serial": "سریال کنتور",
    "feeder_code": "کد فیدر",
    "holder_id": "کد ملی / شناسه ملی دارنده",
}
# The fields an import writes; comparing them decides "updated" versus "unchanged".
_DATA_FIELDS = (
    "bill_id",
    "office_id",
    "city_id",
    "address",
    "postal_code",
    "mobile",
    "tariff",
    "branches",
    "meter_serial",
    "feeder_code",
    "holder_id",
)
_MAX_LENGTHS = {
    "subscription_number": 20,
    "address": 300,
    "tariff": 40,
    "meter_serial": 40,
    "feeder_code": 40,
}


def _text(row: dict[str, str], column: str, *, required: bool = True) -> str:
    return cell_text(row, column, required=required, max_length=_MAX_LENGTHS.get(column))


def _parse_row(
    row: dict[str, str], lookups: ReferenceLookups
) -> tuple[list[RowError], dict | None]:
    errors: list[RowError] = []
    values: dict[str, Any] = {}

    def attempt(name: str, func) -> None:
        try:
            values[name] = func()
        except RowError as exc:
            errors.append(exc)

    attempt("company", lambda: lookups.company(row))
    attempt("subscription_number", lambda: _text(row, "subscription_number"))
    company = values.get("company")
    if company is not None:
        attempt(
            "bill_id",
            lambda: cell_identifier(
                row,
                "bill_id",
                lambda v: clean_bill_id(
                    v, company_code=company.code, service_type=company.service_digit
                ),
            ),
        )

        def office() -> DistrictOffice:
            code = _text(row, "office_code")
            found = lookups.offices.get((company.pk, code))
            if found is None:
                raise RowError(
                    "office_code",
                    f"امور با کد {to_persian_digits(code)} در این شرکت ثبت نشده است",
                )
            if lookups.only_office_id is not None and found.pk != lookups.only_office_id:
                raise RowError("office_code", "این امور در حوزه دسترسی شما نیست")
            return found

        def city():
            name = _text(row, "city")
            found = lookups.cities.get((company.pk, name))
            if found is None:
                raise RowError("city", f"شهر «{name}» در محدوده خدمات این شرکت ثبت نشده است")
            return found

        attempt("office", office)
        attempt("city", city)
    attempt("address", lambda: _text(row, "address"))
    attempt("postal_code", lambda: cell_identifier(row, "postal_code", clean_postal_code))
    attempt("mobile", lambda: cell_identifier(row, "mobile", clean_mobile))
    attempt("tariff", lambda: _text(row, "tariff"))

    def branches() -> int:
        text = _text(row, "branches")
        if not text.isdigit() or not 0 < int(text) <= 32767:
            raise RowError("branches", "باید عدد صحیح مثبت باشد")
        return int(text)

    attempt("branches", branches)
    # Phone lines have no meter; everything metered must name its meter.
    meter_required = company is None or company.kind != UtilityCompany.Kind.TELECOM
    attempt("meter_serial", lambda: _text(row, "meter_serial", required=meter_required))
    attempt("feeder_code", lambda: _text(row, "feeder_code", required=False))
    attempt("holder_id", lambda: cell_holder_id(row))
    if errors:
        return errors, None
    return [], values


def subscriptions_import(*, file: TextIO | bytes, actor: User | None) -> ImportResult:
    """Create or update subscriptions from a company's CSV export, all or nothing.

    The file is UTF-8 (a BOM is fine) with a header row naming ``IMPORT_COLUMNS`` in any
    order (the optional ``feeder_code`` and ``holder_id`` may be left out); extra columns are
    ignored. Every row is validated and every problem is collected
    with its line number (header = line 1); if there is any, nothing is written and the
    result carries the errors. Rows are matched on company + subscription number, so running
    the same file twice changes nothing; a bill ID already used by another subscription is an
    error. Cities are never created: a row's city must already be in the company's service
    area. Staff scoped to one office may import only that office's rows. A successful import
    is audited as ``subscriptions.import`` (actor may be ``None`` for the command line).
    """
    result = ImportResult()
    reader = import_csv_open(
        file, result, columns=IMPORT_COLUMNS, optional=OPTIONAL_COLUMNS, labels=COLUMN_LABELS
    )
    if reader is None:
        return result

    lookups = ReferenceLookups(actor)
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen_keys: dict[tuple[int, str], int] = {}
    seen_bills: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
        errors, values = _parse_row(row, lookups)
        result.errors.extend(error.issue(line, COLUMN_LABELS) for error in errors)
        if values is None:
            continue
        key = (values["company"].pk, values["subscription_number"])
        if key in seen_keys:
            result.errors.append(
                ImportIssue(
                    line,
                    f"شماره اشتراک تکراری است (همان سطر {to_persian_digits(seen_keys[key])})",
                    "subscription_number",
                )
            )
            continue
        if values["bill_id"] in seen_bills:
            first = to_persian_digits(seen_bills[values["bill_id"]])
            result.errors.append(
                ImportIssue(
                    line,
                    f"شناسه قبض تکراری است (همان سطر {first})",
                    "bill_id",
                )
            )
            continue
        seen_keys[key] = line
        seen_bills[values["bill_id"]] = line
        parsed.append((line, values))
    if not parsed and not result.errors:
        result.errors.append(ImportIssue(1, "پرونده هیچ سطر داده‌ای ندارد."))

    existing: dict[tuple[int, str], Subscription] = {}
    bill_owner: dict[str, tuple[int, str]] = {}
    if parsed:
        numbers = {v["subscription_number"] for _, v in parsed}
        bills = {v["bill_id"] for _, v in parsed}
        for sub in Subscription.objects.filter(
            Q(subscription_number__in=numbers) | Q(bill_id__in=bills)
        ):
            existing[(sub.company_id, sub.subscription_number)] = sub
            bill_owner[sub.bill_id] = (sub.company_id, sub.subscription_number)

    to_create: list[Subscription] = []
    to_update: list[Subscription] = []
    now = timezone.now()
    for line, values in parsed:
        company = values.pop("company")
        key = (company.pk, values["subscription_number"])
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
        data = {
            **{k: v for k, v in values.items() if k not in ("office", "city")},
            "office_id": values["office"].pk,
            "city_id": values["city"].pk,
        }
        current = existing.get(key)
        if current is None:
            to_create.append(Subscription(company=company, **data))
            continue
        if all(getattr(current, name) == data[name] for name in _DATA_FIELDS):
            result.unchanged += 1
            continue
        for name in _DATA_FIELDS:
            setattr(current, name, data[name])
        current.updated_at = now
        to_update.append(current)

    if result.errors:
        result.unchanged = 0
        result.errors.sort(key=lambda issue: issue.line)
        return result

    try:
        with transaction.atomic():
            # Updates first: a bill ID can move between two rows of one file only through a
            # free value, which the per-row check above already refused.
            if to_update:
                Subscription.objects.bulk_update(
                    to_update, [*_DATA_FIELDS, "updated_at"], batch_size=BULK_BATCH
                )
            if to_create:
                Subscription.objects.bulk_create(to_create, batch_size=BULK_BATCH)
            result.created = len(to_create)
            result.updated = len(to_update)
            audit_record(
                actor=actor,
                action="subscriptions.import",
                office=actor.office if actor is not None and actor.office_id else None,
                details={
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
    except IntegrityError:
        # Another import or an admin edit took a number or bill ID meanwhile.
        return ImportResult(errors=[ImportIssue(1, CHANGED_MEANWHILE)])
    return result


# --------------------------------------------------------------------------------------------
# Linking
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkStart:
    """What ``subscription_link_start`` did: linked at once (``link``) or sent a code."""

    link: SubscriptionLink | None = None
    challenge_id: UUID | None = None
    expires_in: int = 0
    masked_mobile: str = ""


def subscription_find(
    *,
    bill_id: str | None = None,
    company: UtilityCompany | None = None,
    subscription_number: str | None = None,
) -> Subscription:
    """The subscription with this bill ID, or this company's subscription number.

    The check digit misses some typos, so a valid-looking bill ID is always looked up;
    ``PortalError`` (field ``bill_id``) when nothing matches.
    """
    if bill_id:
        try:
            bill = clean_bill_id(bill_id)
        except InvalidIdentifier as exc:
            raise PortalError("invalid", exc.message, fields={"bill_id": [exc.message]}) from None
        subscription = Subscription.objects.filter(bill_id=bill).select_related("company").first()
        field_name = "bill_id"
    elif company is not None and subscription_number:
        number = normalize_digits(str(subscription_number)).strip()
        subscription = (
            Subscription.objects.filter(company=company, subscription_number=number)
            .select_related("company")
            .first()
        )
        field_name = "subscription_number"
    else:
        message = "شناسه قبض را وارد کنید."
        raise PortalError("invalid", message, fields={"bill_id": [message]})
    if subscription is None:
        message = "اشتراکی با این مشخصات یافت نشد؛ شناسه قبض را با قبض خود مقایسه کنید."
        raise PortalError("subscription_not_found", message, fields={field_name: [message]})
    return subscription


def _check_role(role: str, lease_end: date | None, today: date) -> date | None:
    if role not in Role.values:
        message = "نقش باید «مالک» یا «مستأجر» باشد."
        raise PortalError("invalid", message, fields={"role": [message]})
    if role == Role.OWNER:
        return None
    if lease_end is None:
        message = "پایان اجاره: برای مستأجر تاریخ پایان اجاره لازم است."
        raise PortalError("invalid", message, fields={"lease_end": [message]})
    if lease_end <= today:
        message = "پایان اجاره: تاریخ پایان اجاره باید در آینده باشد."
        raise PortalError("invalid", message, fields={"lease_end": [message]})
    return lease_end


def _check_subscriber(user: User) -> None:
    if not user.is_subscriber:
        raise PortalError(
            "not_subscriber", "فقط حساب مشترکین (حقیقی یا حقوقی) می‌تواند اشتراک متصل کند."
        )


def _check_not_linked(user: User, subscription: Subscription) -> None:
    if active_links().filter(user=user, subscription=subscription).exists():
        raise PortalError(
            "already_linked", "این اشتراک هم‌اکنون به حساب شما متصل است.", status_code=409
        )


def _holder_matches(user: User, subscription: Subscription) -> bool:
    holder = subscription.holder_id
    return bool(holder) and holder in (user.national_code, user.legal_national_id)


def _link_create(
    *,
    user: User,
    subscription: Subscription,
    role: str,
    lease_end: date | None,
    proof: str,
    verified_by: User | None = None,
) -> SubscriptionLink:
    today = timezone.localdate()
    lease_end = _check_role(role, lease_end, today)
    _check_subscriber(user)
    # An ended tenant link (lease over, never unlinked) would block the partial unique
    # constraint; close it before the new one.
    SubscriptionLink.objects.filter(
        user=user, subscription=subscription, ended_at__isnull=True
    ).exclude(pk__in=active_links(today=today).values("pk")).update(ended_at=timezone.now())
    _check_not_linked(user, subscription)
    try:
        with transaction.atomic():
            return SubscriptionLink.objects.create(
                user=user,
                subscription=subscription,
                role=role,
                lease_start=today if role == Role.TENANT else None,
                lease_end=lease_end,
                proof=proof,
                verified_by=verified_by,
            )
    except IntegrityError:
        raise PortalError(
            "already_linked", "این اشتراک هم‌اکنون به حساب شما متصل است.", status_code=409
        ) from None


def subscription_link_start(
    *,
    user: User,
    bill_id: str | None = None,
    role: str,
    lease_end: date | None = None,
    client_ip: str | None,
    company: UtilityCompany | None = None,
    subscription_number: str | None = None,
) -> LinkStart:
    """Begin linking a subscription (by bill ID, or company + number) to ``user``.

    When the holder's national code or legal ID on the subscription is the account's own,
    the link is created at once (proof ``national_code``). Otherwise a code is sent to the
    subscription's registered mobile (purpose ``link``) and the caller shows the masked
    number; ``subscription_link_confirm`` finishes. Raises ``PortalError`` for an unknown
    subscription, a bad role or lease end, a duplicate active link, a subscription with no
    registered mobile, or over the OTP send limits (429).
    """
    _check_subscriber(user)
    today = timezone.localdate()
    lease_end = _check_role(role, lease_end, today)
    subscription = subscription_find(
        bill_id=bill_id, company=company, subscription_number=subscription_number
    )
    _check_not_linked(user, subscription)
    if _holder_matches(user, subscription):
        with transaction.atomic():
            link = _link_create(
                user=user,
                subscription=subscription,
                role=role,
                lease_end=lease_end,
                proof=Proof.NATIONAL_CODE,
            )
        return LinkStart(link=link)
    if not subscription.mobile:
        raise PortalError(
            "no_registered_mobile",
            "برای این اشتراک تلفن همراهی ثبت نشده است؛ برای اتصال با مدارک به دفتر پیشخوان "
            "یا امور مشترکین مراجعه کنید.",
        )
    issued = otp_issue(
        mobile=subscription.mobile,
        purpose=OtpPurpose.LINK,
        client_ip=client_ip,
        user=user,
        payload={
            "subscription_id": subscription.pk,
            "role": role,
            "lease_end": lease_end.isoformat() if lease_end else None,
        },
    )
    return LinkStart(
        challenge_id=issued.challenge.pk,
        expires_in=issued.expires_in,
        masked_mobile=mask_mobile(subscription.mobile),
    )


def subscription_link_confirm(
    *, user: User, challenge_id: UUID | str, code: str
) -> SubscriptionLink:
    """Finish an OTP link: check the code sent by ``subscription_link_start`` and create the
    link (proof ``otp``). The challenge must have been issued to this user for purpose
    ``link``; it is single use. Wrong codes count towards the OTP limits and raise
    ``PortalError`` (field ``code``)."""
    invalid = PortalError(
        "otp_invalid", "کد تایید درست نیست.", fields={"code": ["کد تایید درست نیست."]}
    )
    try:
        challenge = OtpChallenge.objects.get(pk=challenge_id, purpose=OtpPurpose.LINK)
    except (OtpChallenge.DoesNotExist, ValueError, TypeError, ValidationError):
        raise invalid from None
    if challenge.user_id != user.pk:
        raise invalid
    otp_verify(challenge_id=challenge.pk, code=code, purpose=OtpPurpose.LINK)
    payload = challenge.payload or {}
    with transaction.atomic():
        otp_consume(challenge_id=challenge.pk, purpose=OtpPurpose.LINK)
        subscription = Subscription.objects.get(pk=payload["subscription_id"])
        lease_end = date.fromisoformat(payload["lease_end"]) if payload.get("lease_end") else None
        return _link_create(
            user=user,
            subscription=subscription,
            role=payload["role"],
            lease_end=lease_end,
            proof=Proof.OTP,
        )


def subscription_link_in_person(
    *,
    citizen: User,
    subscription: Subscription,
    role: str,
    lease_end: date | None,
    operator: User,
    verification: IdentityVerification,
) -> SubscriptionLink:
    """Link after a kiosk operator checked the citizen's documents in person (proof
    ``kiosk``). ``verification`` must be an identity check of this citizen by this operator.
    Audited as ``subscriptions.link_in_person`` with the kiosk and on-behalf-of citizen."""
    if verification.user_id != citizen.pk or verification.verified_by_id != operator.pk:
        raise PortalError(
            "verification_mismatch", "احراز هویت حضوری مربوط به این شهروند و این اپراتور نیست."
        )
    with transaction.atomic():
        link = _link_create(
            user=citizen,
            subscription=subscription,
            role=role,
            lease_end=lease_end,
            proof=Proof.KIOSK,
            verified_by=operator,
        )
        audit_record(
            actor=operator,
            action="subscriptions.link_in_person",
            obj=link,
            on_behalf_of=citizen,
            kiosk=verification.kiosk,
            details={"subscription_id": subscription.pk, "role": role},
        )
    return link


def subscription_link_by_office(
    *,
    citizen: User,
    subscription: Subscription,
    role: str,
    lease_end: date | None,
    actor: User,
    note: str = "",
) -> SubscriptionLink:
    """Link on an office clerk's approval after checking documents (proof ``office``).

    The clerk must work in the subscription's office (system administrators anywhere).
    Audited as ``subscriptions.link_office``."""

    if not sees_all_offices(actor) and actor.office_id != subscription.office_id:
        raise NotFound()
    with transaction.atomic():
        link = _link_create(
            user=citizen,
            subscription=subscription,
            role=role,
            lease_end=lease_end,
            proof=Proof.OFFICE,
            verified_by=actor,
        )
        audit_record(
            actor=actor,
            action="subscriptions.link_office",
            obj=link,
            on_behalf_of=citizen,
            office=subscription.office,
            details={"subscription_id": subscription.pk, "role": role, "note": note[:200]},
        )
    return link


def subscription_unlink(*, user: User, subscription_id: int | str) -> SubscriptionLink:
    """End the user's own active link to a subscription (sets ``ended_at``).

    ``NotFound`` when the user has no active link to it (including a representative who sees
    it only through an organisation)."""
    try:
        pk = int(subscription_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    with transaction.atomic():
        link = (
            active_links()
            .select_for_update()
            .filter(user=user, subscription_id=pk)
            .order_by("-created_at")
            .first()
        )
        if link is None:
            raise NotFound()
        link.ended_at = timezone.now()
        link.save(update_fields=["ended_at"])
    return link
