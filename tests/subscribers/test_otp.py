"""One-time codes: lifetime, single use, challenge/purpose binding and the limits
(TARGETS security rows), through the real otp service and the notifications outbox."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from portal.errors import PortalError, RateLimited
from subscribers.models import OtpChallenge, OtpFailure, OtpPurpose
from subscribers.services.otp import otp_issue, otp_verify
from tests.factories import last_otp_code

pytestmark = pytest.mark.django_db

MOBILE = "09351112233"


def issue(mobile=MOBILE, purpose=OtpPurpose.LOGIN, ip="10.0.0.1"):
    return otp_issue(mobile=mobile, purpose=purpose, client_ip=ip)


def test_code_is_six_digits_stored_hashed_and_valid_five_minutes():
    issued = issue()
    code = last_otp_code(MOBILE)
    assert len(code) == 6
    assert code not in issued.challenge.code_hash
    assert issued.expires_in == 300
    later = timezone.now() + timedelta(minutes=5, seconds=1)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        pytest.raises(PortalError) as exc,
    ):
        otp_verify(challenge_id=issued.challenge.id, code=code, purpose=OtpPurpose.LOGIN)
    assert exc.value.code == "otp_expired"


def test_code_within_lifetime_is_accepted_once_then_replay_refused():
    issued = issue()
    code = last_otp_code(MOBILE)
    challenge = otp_verify(challenge_id=issued.challenge.id, code=code, purpose=OtpPurpose.LOGIN)
    assert challenge.verified_at is not None
    with pytest.raises(PortalError) as exc:
        otp_verify(challenge_id=issued.challenge.id, code=code, purpose=OtpPurpose.LOGIN)
    assert exc.value.code == "otp_used"


def test_wrong_challenge_id_and_wrong_purpose_are_refused_alike():
    issued = issue()
    code = last_otp_code(MOBILE)
    for challenge_id, purpose in (
        (uuid.uuid4(), OtpPurpose.LOGIN),
        (issued.challenge.id, OtpPurpose.RESET),
    ):
        with pytest.raises(PortalError) as exc:
            otp_verify(challenge_id=challenge_id, code=code, purpose=purpose)
        assert exc.value.code == "otp_invalid"
    # The right purpose still works afterwards: the mismatches did not spend it.
    otp_verify(challenge_id=issued.challenge.id, code=code, purpose=OtpPurpose.LOGIN)


def test_challenge_dies_after_five_wrong_codes():
    issued = issue()
    code = last_otp_code(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(PortalError):
            otp_verify(challenge_id=issued.challenge.id, code=wrong, purpose=OtpPurpose.LOGIN)
    with pytest.raises(PortalError) as exc:
        otp_verify(challenge_id=issued.challenge.id, code=code, purpose=OtpPurpose.LOGIN)
    assert exc.value.code == "otp_dead"


def test_per_mobile_limit_three_in_ten_minutes_and_no_sms_row_for_the_fourth():
    for _ in range(3):
        issue(ip=None)
    before = OutboxMessage.objects.count()
    with pytest.raises(RateLimited) as exc:
        issue(ip=None)
    assert exc.value.status_code == 429
    assert exc.value.retry_after > 0
    assert "دقیقه" in exc.value.message
    assert OutboxMessage.objects.count() == before
    assert OtpChallenge.objects.filter(mobile=MOBILE).count() == 3
    # Eleven minutes later the window has moved on.
    OtpChallenge.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    issue(ip=None)


def test_per_mobile_limit_ten_in_a_day():
    for _ in range(10):
        issue(ip=None)
        OtpChallenge.objects.update(created_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(RateLimited):
        issue(ip=None)
    OtpChallenge.objects.update(created_at=timezone.now() - timedelta(hours=25))
    issue(ip=None)


def test_per_ip_limit_twenty_an_hour():
    for n in range(20):
        issue(mobile=f"0936{n:07d}", ip="10.9.9.9")
    with pytest.raises(RateLimited):
        issue(mobile="09370000000", ip="10.9.9.9")
    issue(mobile="09370000000", ip="10.9.9.8")


def test_ten_wrong_codes_for_a_mobile_lock_it_for_an_hour():
    for _ in range(10):
        OtpFailure.objects.create(mobile=MOBILE)
    with pytest.raises(RateLimited):
        issue()
    OtpFailure.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    issued = issue()
    otp_verify(
        challenge_id=issued.challenge.id, code=last_otp_code(MOBILE), purpose=OtpPurpose.LOGIN
    )


def test_wrong_codes_are_counted_even_though_verify_raises():
    issued = issue()
    with pytest.raises(PortalError):
        otp_verify(challenge_id=issued.challenge.id, code="12345x", purpose=OtpPurpose.LOGIN)
    assert OtpFailure.objects.filter(mobile=MOBILE).count() == 1
    issued.challenge.refresh_from_db()
    assert issued.challenge.failed_attempts == 1


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", "12345"])
def test_malformed_challenge_id_is_a_wrong_code_not_a_crash(bad_id):
    from portal.errors import PortalError
    from subscribers.services.otp import otp_consume, otp_verify

    with pytest.raises(PortalError) as verify_error:
        otp_verify(challenge_id=bad_id, code="123456", purpose="login")
    assert verify_error.value.code == "otp_invalid"
    with pytest.raises(PortalError):
        otp_consume(challenge_id=bad_id, purpose="login")
