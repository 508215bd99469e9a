"""Base settings shared by every environment.

Everything is read through the single ``env`` object below; dev/test/production only
override. The embedded default needs no server: a SQLite file, in-process Celery tasks,
a local-memory cache and the console SMS gateway. ``DATABASE_URL`` and ``REDIS_URL``
switch to PostgreSQL and a Redis broker.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env (never committed) may hold developer overrides; see .env.example.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me-5f1c9d2e7b")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so its collectstatic (which skips django-jalali's broken css) wins over Django's.
    "portal",
    "subscribers.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_jalali",
    "django_htmx",
    "subscribers",
    "requests_app",
    "billing",
    "outages",
    "telecom",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "portal.middleware.PersianDigitsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "subscribers.middleware.OnBehalfMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
            ],
            "builtins": ["portal.templatetags.persian"],
        },
    }
]

# --- Database ----------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery --------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            # A Redis that hangs (rather than refusing) must not hold a request: callers fall
            # back to the database on any cache error.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# Without a broker the tasks run in-process (the embedded default for `make run`).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Tehran"
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The publish itself must not hang a web request when Redis is down: the outbox sweep
# re-queues anything that did not reach the broker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 2,
    "socket_timeout": 3,
}
CELERY_BEAT_SCHEDULE = {
    "sms-outbox-sweep": {
        "task": "notifications.tasks.sms_outbox_sweep",
        "schedule": timedelta(seconds=60),
    },
    "rate-counters-prune": {
        "task": "subscribers.tasks.rate_counters_prune",
        "schedule": timedelta(hours=1),
    },
    "outage-alerts": {
        "task": "outages.tasks.outage_alerts_send",
        "schedule": timedelta(minutes=10),
    },
    # Safe to run twice: each reminder has its own outbox key (bill and kind).
    "bill-reminders": {
        "task": "billing.tasks.bill_reminders_send",
        "schedule": timedelta(hours=1),
    },
}

# --- Auth and sessions -------------------------------------------------------------------
AUTH_USER_MODEL = "subscribers.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "subscribers:login"

# Absolute lifetime 12 h (cookie age, not refreshed on every request); idle timeout 30 min
# enforced by portal.middleware.SessionIdleTimeoutMiddleware (NIST AAL2 reauthentication).
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_IDLE_TIMEOUT = 30 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", "فارسی")]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded documents live outside static and are only served through permission-checked views.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# django-jalali's minified jquery-ui css references images it does not ship, which breaks
# collectstatic with the manifest storage; point it at the non-minified file instead.
JALALI_SETTINGS = {
    "ADMIN_JS_STATIC_FILES": [
        "admin/jquery.ui.datepicker.jalali/scripts/jquery-1.10.2.min.js",
        "admin/jquery.ui.datepicker.jalali/scripts/jquery.ui.core.js",
        "admin/jquery.ui.datepicker.jalali/scripts/jquery.ui.datepicker-cc.js",
        "admin/jquery.ui.datepicker.jalali/scripts/calendar.all.js",
        "admin/jquery.ui.datepicker.jalali/scripts/calendar.js",
        "admin/jquery.ui.datepicker.jalali/scripts/jquery.ui.datepicker-cc-fa.js",
        "admin/main.js",
    ],
    "ADMIN_CSS_STATIC_FILES": {
        "all": [
            "admin/jquery.ui.datepicker.jalali/themes/base/jquery-ui.css",
            "admin/css/main.css",
        ]
    },
}

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "portal.authentication.PreparedTokenAuthentication",  # DRF's, one prepared query
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.PersianDigitsJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.PortalCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API سامانه خدمات غیرحضوری",
    "DESCRIPTION": "API خدمات برق، گاز و تلفن ثابت برای اپلیکیشن همراه و سامانه‌های همکار.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI served from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name across apps get their own schema names.
    "ENUM_NAME_OVERRIDES": {
        "BillPaymentChannelEnum": "billing.models.BillPayment.Channel",
        "RequestChannelEnum": "requests_app.models.workflow.Channel",
        "OutageReportChannelEnum": "outages.models.ReportChannel",
        "BillKindEnum": "billing.models.Bill.Kind",
        "LinkRoleEnum": "subscribers.models.SubscriptionLink.Role",
        "LineOwnershipEnum": "telecom.forms_lines.OWNERSHIP_CHOICES",
        "RequestStatusEnum": "requests_app.models.workflow.Status",
    },
}

# --- Telecom ------------------------------------------------------------------------------
# Call-record searches and exports per subscriber (telecom.services.call_exports).
TELECOM_CALL_SEARCHES_PER_MINUTE = env.int("TELECOM_CALL_SEARCHES_PER_MINUTE", default=60)
TELECOM_CALL_EXPORTS_PER_HOUR = env.int("TELECOM_CALL_EXPORTS_PER_HOUR", default=20)

# --- SMS ---------------------------------------------------------------------------------
SMS_BACKEND = env("SMS_BACKEND", default="console")  # console | kavenegar
KAVENEGAR_API_KEY = env("KAVENEGAR_API_KEY", default="")
KAVENEGAR_SENDER = env("KAVENEGAR_SENDER", default="")
KAVENEGAR_OTP_TEMPLATE = env("KAVENEGAR_OTP_TEMPLATE", default="portal-otp")
SMS_CONNECT_TIMEOUT = env.float("SMS_CONNECT_TIMEOUT", default=3.0)
SMS_READ_TIMEOUT = env.float("SMS_READ_TIMEOUT", default=10.0)
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=5)
# Erase codes and passwords from the outbox once sent (notifications.services._erase_secrets).
# Development and tests keep them: the console outbox is where a developer reads a code.
SMS_ERASE_SECRETS = env.bool("SMS_ERASE_SECRETS", default=True)

# seed_demo creates demo logins; production turns it off.
DEMO_DATA_ALLOWED = True

# --- Site --------------------------------------------------------------------------------
SITE_NAME = "سامانه خدمات غیرحضوری"
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# --- Payments ----------------------------------------------------------------------------
# Dotted path of the bank gateway (requests_app.gateways.PaymentGateway). The sandbox is a
# simulated bank page inside the portal with HMAC-signed callbacks; a real PSP replaces it here.
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="requests_app.gateways.SandboxGateway")

# --- Outages ----------------------------------------------------------------------------
# Expected restoration of an unplanned outage after its first report (Open311 expected_datetime).
OUTAGE_RESTORE_SLA_HOURS = env.int("OUTAGE_RESTORE_SLA_HOURS", default=4)
# How long before a planned window its SMS alert goes out.
OUTAGE_ALERT_LEAD_HOURS = env.int("OUTAGE_ALERT_LEAD_HOURS", default=24)

# --- Billing ----------------------------------------------------------------------------
# Unpaid bills get one reminder SMS this many days before their due date.
BILL_REMINDER_DAYS = env.int("BILL_REMINDER_DAYS", default=3)
# No-login history lookup by bill ID: requests per client IP per hour.
BILL_LOOKUP_PER_IP_HOUR = env.int("BILL_LOOKUP_PER_IP_HOUR", default=30)

# --- Logging -----------------------------------------------------------------------------
# Every handler passes through the redaction filter: no API key, OTP code, token or full
# national code reaches a log line (ASVS 16.2.5).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "portal.logging.RedactingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        # WeasyPrint logs every render step at INFO; only its warnings matter.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
