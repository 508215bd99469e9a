from requests_app.models.catalog import RequestType, RequiredDocument, validate_field_schema
from requests_app.models.documents import RequestDocument, private_storage
from requests_app.models.feedback import Complaint, Rating
from requests_app.models.help import FactLine, FaqEntry, ServiceCard
from requests_app.models.payments import Payment
from requests_app.models.workflow import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Actor,
    BillingAdjustment,
    Channel,
    RequestEvent,
    ServiceRequest,
    Status,
    VisitAppointment,
    transition_allowed,
)

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "Actor",
    "BillingAdjustment",
    "Channel",
    "Complaint",
    "FactLine",
    "FaqEntry",
    "Payment",
    "Rating",
    "RequestDocument",
    "RequestEvent",
    "RequestType",
    "RequiredDocument",
    "ServiceCard",
    "ServiceRequest",
    "Status",
    "VisitAppointment",
    "private_storage",
    "transition_allowed",
    "validate_field_schema",
]
