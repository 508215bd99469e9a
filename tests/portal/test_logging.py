"""Logs never carry an API key, OTP code, token or a full national code."""

import logging

from portal.logging import RedactingFilter, redact


def test_kavenegar_url_key_is_masked():
    line = "POST https://api.kavenegar.com/v1/5A6B7C8D9E0F1A2B3C4D/sms/send.json failed"
    assert "5A6B7C8D9E0F1A2B3C4D" not in redact(line)
    assert "api.kavenegar.com/v1/***/sms/send.json" in redact(line)


def test_key_value_secrets_are_masked():
    text = redact("otp=482913 token: abcdef123456 api_key='s3cr3t' password=hunter22")
    for secret in ("482913", "abcdef123456", "s3cr3t", "hunter22"):
        assert secret not in text


def test_national_code_and_mobile_are_masked():
    text = redact("subscriber 0499370899 mobile 09121234567")
    assert "0499370899" not in text
    assert "049****899" in text
    assert "09121234567" not in text
    assert "0912****567" in text


def test_authorization_header_token_is_masked():
    assert "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b" not in redact(
        "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    )


def test_filter_redacts_formatted_args_and_tracebacks():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "code %s for %s", ("123456", "0499370899"), None
    )
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "code *** for 049****899"
    try:
        raise ValueError("national code 1583250689 invalid")
    except ValueError:
        import sys

        exc_record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "oops", None, sys.exc_info()
        )
    RedactingFilter().filter(exc_record)
    assert "1583250689" not in exc_record.exc_text


def test_project_logging_config_attaches_the_filter(caplog):
    from django.conf import settings

    assert settings.LOGGING["handlers"]["console"]["filters"] == ["redact"]


def test_persian_digit_national_code_is_masked():
    assert "0499370899" not in redact("کد ملی ۰۴۹۹۳۷۰۸۹۹")
