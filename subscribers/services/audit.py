"""Writing the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from subscribers.models import AuditLog, DistrictOffice, KioskOffice, User


def audit_row(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    on_behalf_of: User | None = None,
    kiosk: KioskOffice | None = None,
    office: DistrictOffice | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """The unsaved audit row ``audit_record`` appends, for a caller that inserts it itself (the
    call search writes it in the same statement as its rate-limit count)."""
    return AuditLog(
        actor=actor,
        on_behalf_of=on_behalf_of,
        kiosk=kiosk,
        office=office,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=ip,
        details=details or {},
    )


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    on_behalf_of: User | None = None,
    kiosk: KioskOffice | None = None,
    office: DistrictOffice | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one audit row (actor, on-behalf-of, kiosk, action, object, IP, time).

    Call it inside the same transaction as the action it records, so an action that rolls
    back leaves no audit row and a recorded action is never missing one. ``details`` must
    not hold secrets (codes, passwords) or full national codes.
    """
    row = audit_row(
        actor=actor,
        action=action,
        obj=obj,
        on_behalf_of=on_behalf_of,
        kiosk=kiosk,
        office=office,
        ip=ip,
        details=details,
    )
    row.save(force_insert=True)
    return row
