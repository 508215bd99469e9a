"""Test settings: fast hashing, eager tasks, plain static storage.

`make test` exports DATABASE_URL/REDIS_URL when PostgreSQL and Redis are reachable;
otherwise (outside CI only) the suite runs on SQLite.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run eagerly in tests; a few tests start a real worker against Redis on purpose.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SMS_BACKEND = "console"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TEST_REDIS_URL = env("REDIS_URL", default="")
# seed_demo builds a million call records by default; tests that call it need a few thousand.
TELECOM_DEMO_CALL_RECORDS = 2_000

# Codes stay readable in the console outbox (`sms_outbox --last 1`, tests.factories.last_otp_code).
SMS_ERASE_SECRETS = False
