"""Storekeep settings: one module, driven by the environment (SPEC §1).

With no environment set, Storekeep runs on a SQLite file with Celery tasks run
eagerly. Set ``DATABASE_URL=postgres://…`` and ``REDIS_URL=redis://…`` for
production.
"""

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("STOREKEEP_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
DATA_DIR = Path(os.environ.get("STOREKEEP_DATA_DIR", BASE_DIR / "var"))
# The key file the Makefile writes once (`make secret-key`, run by `make run` and `make test`).
SECRET_KEY_FILE = Path(os.environ.get("STOREKEEP_SECRET_KEY_FILE", BASE_DIR / "var" / "secret_key"))


def read_secret_key() -> str:
    """``SECRET_KEY`` from the environment, else from ``SECRET_KEY_FILE``.

    There is no built-in key and settings never make one up (issue 9 item 5):
    with neither set, Storekeep refuses to start with a message saying how to
    make one.
    """
    from django.core.exceptions import ImproperlyConfigured

    key = os.environ.get("SECRET_KEY", "").strip()
    if not key and SECRET_KEY_FILE.is_file():
        key = SECRET_KEY_FILE.read_text(encoding="utf-8").strip()
    if not key:
        raise ImproperlyConfigured(
            f"No SECRET_KEY: set the SECRET_KEY environment variable or run `make secret-key` "
            f"(writes {SECRET_KEY_FILE})."
        )
    return key


SECRET_KEY = read_secret_key()

# --- HTTPS (production behind a TLS-terminating proxy; `manage.py check --deploy` is clean) ---
# STOREKEEP_HTTPS=1: secure session and CSRF cookies, redirect http → https, HSTS.
STOREKEEP_HTTPS = env_bool("STOREKEEP_HTTPS", False)
SESSION_COOKIE_SECURE = STOREKEEP_HTTPS
CSRF_COOKIE_SECURE = STOREKEEP_HTTPS
SECURE_SSL_REDIRECT = STOREKEEP_HTTPS and env_bool("STOREKEEP_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(
    os.environ.get("STOREKEEP_HSTS_SECONDS", "31536000" if STOREKEEP_HTTPS else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("STOREKEEP_HSTS_INCLUDE_SUBDOMAINS", STOREKEEP_HTTPS)
SECURE_HSTS_PRELOAD = env_bool("STOREKEEP_HSTS_PRELOAD", STOREKEEP_HTTPS)
# Behind a proxy that sets X-Forwarded-Proto: https (STOREKEEP_TRUSTED_PROXIES > 0).
if env_bool("STOREKEEP_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "template_partials",
    "axes",
    "storekeep.core",
    "storekeep.tenants",
    "storekeep.accounts",
    "storekeep.locations",
    "storekeep.catalog",
    "storekeep.inventory",
    "storekeep.purchasing",
    "storekeep.pos",
    "storekeep.reports",
    "storekeep.importers",
    "storekeep.webhooks",
    "storekeep.web",
]

MIDDLEWARE = [
    "storekeep.core.middleware.RequestIdMiddleware",
    "storekeep.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# Largest request body read (bytes); larger ones answer 413 payload_too_large.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("STOREKEEP_MAX_BODY_BYTES", str(2_621_440)))
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "storekeep.web.nav.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("STOREKEEP_SQLITE_PATH", str(DATA_DIR / "storekeep.sqlite3")),
            "OPTIONS": {
                # SPEC §1: WAL, IMMEDIATE transactions (writers serialise up front,
                # so a read-then-write never deadlocks) and a busy timeout.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;"
                ),
            },
        }
    }
if os.environ.get("STOREKEEP_TEST_DB_NAME"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["STOREKEEP_TEST_DB_NAME"]
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# PostgreSQL gives up waiting for a row lock after STOREKEEP_LOCK_TIMEOUT_MS (the
# transaction is retried, then 409 concurrent_update) and on any statement after
# STOREKEEP_STATEMENT_TIMEOUT_MS (503 statement_timeout), so one stuck transaction
# cannot stall every worker. Set on the connection (no query per request) for web
# requests and Celery tasks; `manage.py` commands other than runserver run with
# STOREKEEP_DB_TIMEOUTS=0 (migrations, imports, maintenance are not cut short).
STOREKEEP_DB_TIMEOUTS = env_bool("STOREKEEP_DB_TIMEOUTS", True)
STOREKEEP_LOCK_TIMEOUT_MS = int(os.environ.get("STOREKEEP_LOCK_TIMEOUT_MS", "5000"))
STOREKEEP_STATEMENT_TIMEOUT_MS = int(os.environ.get("STOREKEEP_STATEMENT_TIMEOUT_MS", "30000"))
# Retry-After (seconds) of a 503 statement_timeout.
STOREKEEP_RETRY_AFTER_SECONDS = int(os.environ.get("STOREKEEP_RETRY_AFTER_SECONDS", "5"))
if IS_POSTGRES:
    # The hot statements read and written through storekeep.core.db.bound_cursor (register
    # auth, stock lock, ledger and sale-line inserts) bind on the server and are prepared
    # after this many runs on a connection (psycopg; Django's own queries are not). Set
    # STOREKEEP_PG_PREPARE_THRESHOLD=off behind a transaction-pooling PgBouncer < 1.21.
    _prepare = os.environ.get("STOREKEEP_PG_PREPARE_THRESHOLD", "5")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        None if _prepare.lower() in {"off", "none", ""} else int(_prepare)
    )
if IS_POSTGRES and STOREKEEP_DB_TIMEOUTS:
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={STOREKEEP_LOCK_TIMEOUT_MS} "
        f"-c statement_timeout={STOREKEEP_STATEMENT_TIMEOUT_MS}"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_BEAT_SCHEDULE = {
    "release-expired-reservations": {
        "task": "storekeep.inventory.tasks.release_expired_reservations",
        "schedule": timedelta(minutes=1),
    },
    "expire-lots": {
        "task": "storekeep.inventory.tasks.expire_lots",
        "schedule": timedelta(hours=1),
    },
}

# --- Webhooks (storekeep.webhooks, SPEC §8) ---------------------------------------------
# Targets on private, loopback or link-local addresses are refused (SSRF) unless this is 1.
STOREKEEP_WEBHOOK_ALLOW_PRIVATE = env_bool("STOREKEEP_WEBHOOK_ALLOW_PRIVATE", False)
STOREKEEP_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("STOREKEEP_WEBHOOK_TIMEOUT_SECONDS", "10"))
# Retry n waits BASE × 2^(n−1) seconds (first retry within 30 s, doubling); after
# MAX_ATTEMPTS attempts the delivery is FAILED.
STOREKEEP_WEBHOOK_RETRY_BASE_SECONDS = float(
    os.environ.get("STOREKEEP_WEBHOOK_RETRY_BASE_SECONDS", "10")
)
STOREKEEP_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("STOREKEEP_WEBHOOK_MAX_ATTEMPTS", "10"))
# The beat job that sends what is due (retries, events whose queueing was lost).
STOREKEEP_WEBHOOK_SWEEP_SECONDS = float(os.environ.get("STOREKEEP_WEBHOOK_SWEEP_SECONDS", "15"))
CELERY_BEAT_SCHEDULE["deliver-webhooks"] = {
    "task": "storekeep.webhooks.tasks.sweep_webhooks",
    "schedule": timedelta(seconds=STOREKEEP_WEBHOOK_SWEEP_SECONDS),
}
# Only these beat entries (comma-separated names); unset = all. The tests' beat runs only the
# webhook sweep, so no minute job touches another test's rows.
if os.environ.get("STOREKEEP_BEAT_ONLY"):
    _beat_only = set(os.environ["STOREKEEP_BEAT_ONLY"].split(","))
    CELERY_BEAT_SCHEDULE = {k: v for k, v in CELERY_BEAT_SCHEDULE.items() if k in _beat_only}

# Optional Redis lock around reservation flows (SPEC §8); "none" or "redis".
STOREKEEP_LOCK_BACKEND = os.environ.get("STOREKEEP_LOCK_BACKEND", "none")
# Tests needing a service fail instead of skipping when it is missing (SPEC §1).
STOREKEEP_REQUIRE_SERVICES = env_bool("STOREKEEP_REQUIRE_SERVICES", False)
# Bearer token lifetime.
STOREKEEP_TOKEN_TTL = timedelta(hours=int(os.environ.get("STOREKEEP_TOKEN_TTL_HOURS", "12")))
# Deadlock / serialization retries before 409 concurrent_update (SPEC §3.4).
STOREKEEP_TX_RETRIES = int(os.environ.get("STOREKEEP_TX_RETRIES", "5"))

# Passwords set through the staff API/page and `bootstrap_tenant` (Django's validators).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sign-in throttling (django-axes; storekeep.accounts.throttle) ----------------
# Failed sign-ins per username and per client address; after the limit, 429 with
# Retry-After until the cool-off has passed since the last failure.
AUTHENTICATION_BACKENDS = [
    "storekeep.accounts.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("STOREKEEP_LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = int(os.environ.get("STOREKEEP_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(seconds=int(os.environ.get("STOREKEEP_LOGIN_COOLOFF_SECONDS", "900")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "storekeep.accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "storekeep.accounts.throttle.lockout_response"
# Number of reverse proxies in front of the app that append to X-Forwarded-For.
STOREKEEP_TRUSTED_PROXIES = int(os.environ.get("STOREKEEP_TRUSTED_PROXIES", "0"))

# --- i18n / static ----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [p for p in [BASE_DIR / "frontend" / "static"] if p.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
LOGIN_URL = "/"
# Before `collectstatic` (tests, benchmarks, management commands) WhiteNoise warns on every start.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# --- REST framework -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "storekeep.accounts.authentication.BearerTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["storekeep.core.permissions.IsTenantMember"],
    "DEFAULT_PAGINATION_CLASS": "storekeep.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "storekeep.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_METADATA_CLASS": "storekeep.core.metadata.Metadata",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "storekeep.core.negotiation.ContentNegotiation",
    "EXCEPTION_HANDLER": "storekeep.core.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Storekeep API",
    "DESCRIPTION": "Multi-tenant inventory and point-of-sale backend.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Security schemes: storekeep/accounts/schema.py (one per credential class).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "storekeep.core.schema.document_error_responses",  # statuses every operation can answer
    ],
    "ENUM_NAME_OVERRIDES": {  # one name per shared choice set (else --fail-on-warn fails)
        "CountStatusEnum": "storekeep.inventory.models.CountSession.Status",
        "PaymentMethodEnum": "storekeep.pos.models.Payment.Method",
        "StockReasonEnum": "storekeep.inventory.models.StockReason",
        "ReservationStatusEnum": "storekeep.inventory.models.Reservation.Status",
        "WriteOffReasonEnum": "storekeep.inventory.api.serializers.WRITE_OFF_REASON_CHOICES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "storekeep": {
            "handlers": ["console"],
            "level": os.environ.get("STOREKEEP_LOG_LEVEL", "INFO"),
        },
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
