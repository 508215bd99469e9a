"""Development settings: `make run` on a laptop, no servers needed."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Codes stay readable in the console outbox (`sms_outbox --last 1`, tests.factories.last_otp_code).
SMS_ERASE_SECRETS = False
