"""The engine's ``completes_at_once``: a type with no staff stage completes as the system right
after filing (or once its fee is paid) with exactly one SMS; the catalog refuses the flag on a
type that waits for staff; and a type without it still waits in the office's queue."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.models import OutboxMessage
from requests_app.models import Actor, Channel, Payment, Status
from requests_app.services import workflow as wf
from tests.requests_app.factories import RequestTypeFactory, owned_subscription

pytestmark = pytest.mark.django_db


def _file(request_type):
    user, subscription = owned_subscription()
    req = wf.request_file(
        request_type=request_type, applicant=user, actor=user, channel=Channel.WEB,
        subscription=subscription,
    )  # fmt: skip
    return user, req


def _texts(user):
    return list(
        OutboxMessage.objects.filter(recipient=user.mobile)
        .order_by("id")
        .values_list("text", flat=True)
    )


def _at_once(**extra):
    return RequestTypeFactory(
        stage_documents=False, stage_approval=False, completes_at_once=True, **extra
    )


def test_a_type_without_stages_completes_at_once_with_one_sms():
    user, req = _file(_at_once())
    assert req.status == Status.COMPLETED and req.closed_at is not None
    events = list(req.events.order_by("id"))
    assert [(e.new_status, e.actor_role) for e in events] == [
        (Status.SUBMITTED, Actor.APPLICANT),
        (Status.COMPLETED, Actor.SYSTEM),
    ]
    [text] = _texts(user)
    assert "انجام شد" in text


def test_without_the_flag_it_waits_for_staff():
    request_type = RequestTypeFactory(stage_documents=False, stage_approval=False)
    user, req = _file(request_type)
    assert req.status == Status.SUBMITTED
    [text] = _texts(user)
    assert "ثبت" in text


def test_a_charged_at_once_type_completes_only_when_paid():
    user, req = _file(_at_once(stage_payment=True, fee_web=100_000))
    assert req.status == Status.AWAITING_PAYMENT
    Payment.objects.filter(request=req).update(
        state=Payment.State.PAID, reference="5" * 12, paid_at=timezone.now()
    )
    wf.request_payments_changed(request=req)
    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    texts = _texts(user)
    assert len(texts) == 2 and "انجام شد" in texts[-1]


@pytest.mark.parametrize("stage", ["stage_documents", "stage_visit", "stage_approval"])
def test_the_flag_is_refused_with_a_staff_stage(stage):
    stages = {"stage_documents": False, "stage_approval": False, stage: True}
    request_type = RequestTypeFactory.build(completes_at_once=True, **stages)
    with pytest.raises(ValidationError) as exc:
        request_type.full_clean()
    assert "completes_at_once" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        request_type.save()


def test_the_system_may_complete_only_from_submitted_or_after_payment():
    assert wf.transition_allowed(Status.SUBMITTED, Status.COMPLETED, Actor.SYSTEM)
    assert not wf.transition_allowed(Status.VISITED, Status.COMPLETED, Actor.SYSTEM)
    assert not wf.transition_allowed(Status.APPROVAL, Status.COMPLETED, Actor.SYSTEM)
    assert not wf.transition_allowed(Status.SUBMITTED, Status.COMPLETED, Actor.APPLICANT)
