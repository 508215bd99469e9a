"""The workflow buttons of a request's admin page: which service each one calls, which small
form it needs and when it is offered. Offering is only a hint for the page; the services check
role, state and stages again (and refuse a stale page with "conflict")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms

from portal.jalali import jalali_display
from requests_app.admin import forms as admin_forms
from requests_app.models import Actor, ServiceRequest, Status, transition_allowed
from requests_app.services import workflow as wf
from subscribers.models import User


@dataclass(frozen=True)
class WorkflowAction:
    """One button on the change page. ``page``: it needs input, so GET shows a small form
    first; otherwise the button posts straight from the change page."""

    name: str
    label: str
    form: type[forms.Form]
    run: Callable[[ServiceRequest, User, dict[str, Any]], str]
    page: bool = False
    danger: bool = False
    needs_request: bool = False  # the form's __init__ takes the request


def _status_after(obj: ServiceRequest) -> str:
    return f"وضعیت اکنون: «{obj.get_status_display()}»."


def _run_start_review(obj, user, data):
    obj = wf.request_start_review(request=obj, actor=user, note=data.get("note", ""))
    return f"بررسی درخواست آغاز شد؛ {_status_after(obj)}"


def _run_accept_documents(obj, user, data):
    obj = wf.request_accept_documents(request=obj, actor=user, note=data.get("note", ""))
    return f"مدارک پذیرفته شد؛ {_status_after(obj)}"


def _run_ask_documents(obj, user, data):
    wf.request_ask_documents(request=obj, actor=user, note=data["note"])
    return "درخواست مدارک برای متقاضی پیامک شد."


def _run_schedule_visit(obj, user, data):
    visit = wf.request_schedule_visit(
        request=obj,
        actor=user,
        date=data["date"],
        window_start=data["window_start"],
        window_end=data["window_end"],
        inspector=data["inspector"],
        note=data.get("note", ""),
    )
    return f"وقت بازدید برای {jalali_display(visit.date, with_time=False)} تعیین و پیامک شد."


def _run_record_visit(obj, user, data):
    obj = wf.request_record_visit(
        request=obj,
        actor=user,
        done=data["result"] == "done",
        note=data.get("note", ""),
        outcome=data.get("outcome", ""),
    )
    return f"نتیجه بازدید ثبت شد؛ {_status_after(obj)}"


def _run_send_to_approval(obj, user, data):
    wf.request_send_to_approval(request=obj, actor=user, note=data.get("note", ""))
    return "درخواست برای تأیید به رئیس امور ارجاع شد."


def _run_confirm_debts(obj, user, data):
    wf.request_confirm_debts(request=obj, actor=user, note=data.get("note", ""))
    return "تسویه بدهی‌های اشتراک تأیید شد."


def _run_approve(obj, user, data):
    wf.request_approve(request=obj, actor=user, note=data.get("note", ""))
    return "درخواست تأیید و انجام‌شده ثبت شد."


def _run_complete(obj, user, data):
    wf.request_complete(request=obj, actor=user, note=data.get("note", ""))
    return "درخواست انجام‌شده ثبت شد."


def _run_reject(obj, user, data):
    wf.request_reject(request=obj, actor=user, reason=data["reason"])
    return "درخواست رد شد و دلیل آن برای متقاضی پیامک شد."


ACTIONS: dict[str, WorkflowAction] = {
    action.name: action
    for action in (
        WorkflowAction("start_review", "آغاز بررسی", admin_forms.NoteForm, _run_start_review),
        WorkflowAction(
            "accept_documents", "پذیرش مدارک", admin_forms.NoteForm, _run_accept_documents
        ),
        WorkflowAction(
            "ask_documents",
            "درخواست مدارک",
            admin_forms.AskDocumentsForm,
            _run_ask_documents,
            page=True,
        ),
        WorkflowAction(
            "schedule_visit",
            "تعیین وقت بازدید",
            admin_forms.ScheduleVisitForm,
            _run_schedule_visit,
            page=True,
            needs_request=True,
        ),
        WorkflowAction(
            "record_visit",
            "ثبت نتیجه بازدید",
            admin_forms.RecordVisitForm,
            _run_record_visit,
            page=True,
            needs_request=True,
        ),
        WorkflowAction(
            "send_to_approval", "ارجاع برای تأیید", admin_forms.NoteForm, _run_send_to_approval
        ),
        WorkflowAction(
            "confirm_debts", "تأیید تسویه بدهی", admin_forms.NoteForm, _run_confirm_debts
        ),
        WorkflowAction("approve", "تأیید نهایی", admin_forms.NoteForm, _run_approve),
        WorkflowAction("complete", "ثبت انجام", admin_forms.NoteForm, _run_complete),
        WorkflowAction(
            "reject", "رد درخواست", admin_forms.RejectForm, _run_reject, page=True, danger=True
        ),
    )
}


def available_actions(obj: ServiceRequest, role: str | None) -> list[WorkflowAction]:
    """The buttons that make sense for the request's current status and the user's role.
    Only a hint for the page: the services check everything again."""
    if role is None or obj.is_closed or obj.status == Status.DRAFT:
        return []
    status, stages = obj.status, obj.request_type.stages
    names = []
    if status == Status.SUBMITTED and wf.next_status(obj) in (
        Status.DOCUMENTS_REVIEW,
        Status.AWAITING_PAYMENT,
        Status.APPROVAL,
    ):
        names.append("start_review")
    if status == Status.DOCUMENTS_REVIEW:
        names.append("accept_documents")
    if "documents" in stages and transition_allowed(status, Status.DOCUMENTS_REVIEW, role):
        names.append("ask_documents")
    if "visit" in stages and transition_allowed(status, Status.VISIT_SCHEDULED, role):
        names.append("schedule_visit")
    if status == Status.VISIT_SCHEDULED:
        names.append("record_visit")
    if (
        "approval" in stages
        and status in (Status.SUBMITTED, Status.VISITED)
        and transition_allowed(status, Status.APPROVAL, role)
    ):
        names.append("send_to_approval")
    if obj.request_type.requires_settled_debts and obj.debts_confirmed_at is None:
        names.append("confirm_debts")
    if status == Status.APPROVAL and role == Actor.SUPERVISOR:
        names.append("approve")
    if "approval" not in stages and transition_allowed(status, Status.COMPLETED, role):
        names.append("complete")
    if transition_allowed(status, Status.REJECTED, role):
        names.append("reject")
    return [ACTIONS[name] for name in names]
