"""Fixtures for the SMS outbox tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from tests.notifications.stubs import API_KEY, CLOSED_BROKER, SENDER, celery_config


@pytest.fixture
def kavenegar(settings) -> None:
    """Switch the outbox to the Kavenegar gateway with a test key."""
    settings.SMS_BACKEND = "kavenegar"
    settings.KAVENEGAR_API_KEY = API_KEY
    settings.KAVENEGAR_SENDER = SENDER
    settings.KAVENEGAR_OTP_TEMPLATE = "portal-otp"
    settings.SMS_CONNECT_TIMEOUT = 3.0
    settings.SMS_READ_TIMEOUT = 10.0
    settings.SMS_MAX_ATTEMPTS = 5


@pytest.fixture
def kave(kavenegar) -> Iterator[responses.RequestsMock]:
    """Kavenegar stubbed at the HTTP layer; an unregistered URL raises ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def broker_down() -> Iterator[None]:
    """A real Redis URL on a closed port and tasks not eager: publishing must fail fast."""
    with celery_config(broker_url=CLOSED_BROKER, task_always_eager=False):
        yield


@pytest.fixture
def eager_retries() -> Iterator[None]:
    """Let eager tasks retry inline as a worker would later (countdown ignored).

    The test settings make eager tasks propagate errors, and then Celery raises ``Retry``
    instead of running the retry; these tests are about the retry path itself.
    """
    with celery_config(task_eager_propagates=False):
        yield
