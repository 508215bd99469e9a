"""In-person identity verification (احراز هویت حضوری) at a kiosk, a telecom center or an office.

Seed 002: a subscriber activates e-services by showing documents to an operator. The documents
differ for natural and legal persons; ``CHECKLISTS`` holds them as stable keys (stored in
``IdentityVerification.documents_seen``) with the Persian titles operators tick.

The lease decision: a valid lease (at least five months left) is mandatory only for a tenant.
The citizen counts as a tenant when the operator says so (``is_tenant=True``) *or* when the
citizen has any active tenant link to a subscription (``SubscriptionLink.Role.TENANT``) — the
operator cannot waive a lease the records already show. For an owner the lease is optional and
may still be ticked.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from portal.digits import normalize_digits
from portal.errors import PortalError
from subscribers import roles
from subscribers.models import IdentityVerification, KioskOffice, KioskOperator, User
from subscribers.services.audit import audit_record


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    tenant_only: bool = False


LEASE = ChecklistItem(
    "lease",
    "اجاره‌نامه معتبر (دست‌کم ۵ ماه اعتبار باقی‌مانده) و یک کپی از آن — اگر مالک نیست",
    tenant_only=True,
)
LAST_PAID_BILLS = ChecklistItem(
    "last_paid_bills", "آخرین قبض پرداخت‌شده خطوط و اشتراک‌هایی که خدمات الکترونیک می‌خواهد"
)

CHECKLISTS: dict[str, tuple[ChecklistItem, ...]] = {
    User.Kind.NATURAL: (
        ChecklistItem("id_original", "اصل شناسنامه، گذرنامه، گواهینامه یا کارت ملی"),
        ChecklistItem("id_copy", "یک کپی از همان مدرک هویتی"),
        LAST_PAID_BILLS,
        LEASE,
    ),
    User.Kind.LEGAL: (
        ChecklistItem("org_request", "تقاضای سازمان با امضای بالاترین مقام سازمان"),
        ChecklistItem("representative_letter", "معرفی‌نامه نماینده شرکت یا سازمان متقاضی"),
        ChecklistItem("latest_gazette", "آگهی آخرین تغییرات شرکت و صاحبان امضای مجاز"),
        ChecklistItem("registration_certificate", "گواهی ثبت شرکت و یک کپی از آن"),
        ChecklistItem("articles_and_founding", "اساسنامه و آگهی تأسیس مندرج در روزنامه رسمی"),
        LAST_PAID_BILLS,
        LEASE,
    ),
}

# Which identity documents fit which kind of person.
DOCUMENT_TYPES: dict[str, tuple[str, ...]] = {
    User.Kind.NATURAL: (
        IdentityVerification.DocumentType.NATIONAL_CARD,
        IdentityVerification.DocumentType.BIRTH_CERTIFICATE,
        IdentityVerification.DocumentType.PASSPORT,
        IdentityVerification.DocumentType.DRIVING_LICENCE,
    ),
    User.Kind.LEGAL: (IdentityVerification.DocumentType.COMPANY_DOCUMENTS,),
}

_CHANNEL_ROLES = {
    IdentityVerification.Channel.TELECOM_CENTER: (roles.TELECOM_CENTER_OPERATOR,),
    IdentityVerification.Channel.OFFICE: (roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR),
}


def identity_channel_for(user: User) -> str | None:
    """The channel a staff user records checks under in admin: telecom-center operators
    ``telecom_center``; office clerks, supervisors and superusers ``office``; else None."""
    names = set(user.groups.values_list("name", flat=True))
    if roles.TELECOM_CENTER_OPERATOR in names:
        return IdentityVerification.Channel.TELECOM_CENTER
    if user.is_superuser or names & {roles.OFFICE_CLERK, roles.OFFICE_SUPERVISOR}:
        return IdentityVerification.Channel.OFFICE
    return None


def _refuse(message: str, field: str | None = None) -> PortalError:
    return PortalError("identity_invalid", message, fields={field: [message]} if field else None)


def identity_requires_lease(*, citizen: User, is_tenant: bool = False) -> bool:
    """True when the lease item is mandatory (see the module docstring)."""
    return (
        is_tenant
        or citizen.subscription_links.filter(ended_at__isnull=True, role="tenant").exists()
    )


def identity_checklist_validate(
    *, citizen: User, document_type: str, documents_seen: list[str], is_tenant: bool = False
) -> list[str]:
    """Check the documents against the citizen's checklist; return the keys in checklist order.

    Raises ``PortalError`` with field errors for a non-subscriber, a document type that does
    not fit the kind of person, an unknown key or a missing mandatory item. Writes nothing.
    """
    checklist = CHECKLISTS.get(citizen.kind)
    if checklist is None:
        raise _refuse("احراز هویت حضوری فقط برای مشترکان حقیقی و حقوقی است.")
    if document_type not in DOCUMENT_TYPES[citizen.kind]:
        raise _refuse("نوع مدرک با نوع شخص سازگار نیست.", "document_type")
    keys = {item.key for item in checklist}
    seen = set(documents_seen or [])
    if seen - keys:
        raise _refuse("مدرک ناشناخته در فهرست آمده است.", "documents_seen")
    lease_needed = identity_requires_lease(citizen=citizen, is_tenant=is_tenant)
    missing = [
        item.title
        for item in checklist
        if item.key not in seen and (not item.tenant_only or lease_needed)
    ]
    if missing:
        raise _refuse("این مدارک دیده نشده است: " + "؛ ".join(missing), "documents_seen")
    return [item.key for item in checklist if item.key in seen]


def _check_operator(
    *, operator: User, channel: str, kiosk: KioskOffice | None
) -> KioskOffice | None:
    if channel == IdentityVerification.Channel.KIOSK:
        kiosk_operator = (
            KioskOperator.objects.filter(user=operator, is_active=True)
            .select_related("kiosk")
            .first()
        )
        if kiosk_operator is None or (kiosk is not None and kiosk.pk != kiosk_operator.kiosk_id):
            raise PortalError("forbidden", "شما اپراتور فعال این دفتر پیشخوان نیستید.")
        return kiosk_operator.kiosk
    allowed = _CHANNEL_ROLES.get(channel)
    if allowed is None:
        raise _refuse("محل احراز هویت معتبر نیست.", "channel")
    if not (operator.is_superuser or operator.groups.filter(name__in=allowed).exists()):
        raise PortalError("forbidden", "شما اجازه ثبت احراز هویت در این محل را ندارید.")
    return None


def identity_verify(
    *,
    citizen: User,
    operator: User,
    channel: str,
    kiosk: KioskOffice | None = None,
    document_type: str,
    document_number: str,
    documents_seen: list[str],
    client_ip: str | None,
    is_tenant: bool = False,
) -> IdentityVerification:
    """Record that ``operator`` saw ``citizen`` and every mandatory document of their kind.

    Preconditions: the citizen is an active natural or legal subscriber; a kiosk operator is
    active at ``kiosk`` (their own kiosk when omitted); telecom-center and office channels need
    the matching staff role. The identity document number is kept on the row but never in
    the audit details. Writes the verification and an ``identity.verify`` audit row in one
    transaction; raises ``PortalError`` otherwise.
    """
    if not citizen.is_subscriber or not citizen.is_active:
        raise _refuse("احراز هویت حضوری فقط برای مشترکان فعال است.")
    kiosk = _check_operator(operator=operator, channel=channel, kiosk=kiosk)
    number = normalize_digits(str(document_number or "")).strip()
    if not number or len(number) > 30:
        raise _refuse("شماره مدرک را درست وارد کنید.", "document_number")
    keys = identity_checklist_validate(
        citizen=citizen,
        document_type=document_type,
        documents_seen=documents_seen,
        is_tenant=is_tenant,
    )
    with transaction.atomic():
        verification = IdentityVerification.objects.create(
            user=citizen,
            verified_by=operator,
            channel=channel,
            kiosk=kiosk,
            document_type=document_type,
            document_number=number,
            documents_seen=keys,
        )
        audit_record(
            actor=operator,
            action="identity.verify",
            obj=verification,
            on_behalf_of=citizen,
            kiosk=kiosk,
            office=operator.office,
            ip=client_ip,
            details={"channel": channel, "document_type": document_type, "documents": keys},
        )
    return verification


def identity_is_verified(*, user: User) -> bool:
    """Whether the subscriber has ever been verified in person (telecom line services need it)."""
    return user.is_subscriber and user.identity_verifications.exists()
