"""subscribers' models, one module per area; import from here."""

from subscribers.models.accounts import LegalProfile, NaturalProfile, User
from subscribers.models.audit import AuditLog
from subscribers.models.kiosk import (
    IdentityVerification,
    KioskOffice,
    KioskOperator,
    OnBehalfSession,
)
from subscribers.models.otp import LoginFailure, OtpChallenge, OtpFailure, OtpPurpose, RateCounter
from subscribers.models.reference import City, DistrictOffice, OfficePhone, UtilityCompany
from subscribers.models.subscriptions import OrganisationAccess, Subscription, SubscriptionLink

__all__ = [
    "AuditLog",
    "City",
    "DistrictOffice",
    "IdentityVerification",
    "KioskOffice",
    "KioskOperator",
    "LegalProfile",
    "LoginFailure",
    "NaturalProfile",
    "OfficePhone",
    "OnBehalfSession",
    "OrganisationAccess",
    "OtpChallenge",
    "OtpFailure",
    "OtpPurpose",
    "RateCounter",
    "Subscription",
    "SubscriptionLink",
    "User",
    "UtilityCompany",
]
