"""Settings for the support desk.

Everything comes from environment variables with embedded defaults, so a fresh
machine runs the desk with nothing but Python (see README, "Configuration"):
no DATABASE_URL -> SQLite file, no REDIS_URL -> in-memory channel layer,
local-memory cache and a filesystem Celery broker.
"""
import base64
import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DESK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/ (0600)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
DESK_PORT = env_int("DESK_PORT", 8000)
_local_origins = [f"http://localhost:{DESK_PORT}", f"http://127.0.0.1:{DESK_PORT}"] if DEBUG else []
# Browsers send Origin on every websocket handshake; only these may open one.
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS", CSRF_TRUSTED_ORIGINS + _local_origins)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "axes",
    "support",
    "tickets",
    "chat",
    "callbacks",
    "kyc",
    "complaints",
    "safety",
    "helpcenter",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "support.middleware.SecurityHeadersMiddleware",  # CSP, Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kyc.uploads.upload_quota",  # before anything reads a request body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "support.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the "too many attempts" page
]

ROOT_URLCONF = "support.urls"
WSGI_APPLICATION = "support.wsgi.application"
ASGI_APPLICATION = "support.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL from DATABASE_URL, else a SQLite file in var/.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'desk.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: wait for locks instead of failing, take the write lock up front.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "support.User"

# Redis: channel layer, cache and Celery broker; in-process fallbacks without it.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: one Redis connection per process, close to raw redis-py; the list-based
            # RedisChannelLayer was 8-12x slower, drops past 100 queued messages per process and hit
            # redis-py 8's pool limit under load (bench/chat_fanout.py, docs/performance.md). Both are
            # at-most-once; the chat protocol fills gaps from the database by sequence number.
            # chat.layers.LocalFanoutChannelLayer is that pub/sub layer handing a group message to the
            # members in this process directly (no wait for Redis' echo) and to other processes through
            # Redis; CHANNEL_LAYER_BACKEND=channels_redis.pubsub.RedisPubSubChannelLayer for the plain one.
            "BACKEND": os.environ.get("CHANNEL_LAYER_BACKEND", "chat.layers.LocalFanoutChannelLayer"),
            # redis-py 8 times reads out after 5 s, exactly channels_redis' blocking BZPOPMIN: an idle
            # consumer would die with "Timeout reading" (django/channels_redis#422). Reads get 15 s.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": os.environ.get("CHANNELS_PREFIX", "desk"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "desk",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _broker_dir = VAR_DIR / "celery" / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    # kombu's filesystem transport: a broker that needs no server.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }

CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent: a lost worker's task runs again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "email-outbox-retry": {"task": "support.tasks.email_outbox_retry", "schedule": 300.0},
    "clear-expired-sessions": {"task": "support.tasks.clear_expired_sessions", "schedule": 86400.0},
    "imap-poll": {"task": "tickets.tasks.imap_poll_task", "schedule": 60.0},
    "ticket-acknowledgements-retry": {"task": "tickets.tasks.ticket_acknowledgements_retry", "schedule": 300.0},
    # Stored mail whose processing never finished (a killed process, a crash): processed again.
    "inbound-recover": {"task": "tickets.tasks.inbound_recover_task", "schedule": 60.0},
    "chat-offers": {"task": "chat.tasks.chat_offers_expire", "schedule": 10.0},
    "callback-reminders": {"task": "callbacks.tasks.callback_reminders", "schedule": 60.0},
    "callback-missed": {"task": "callbacks.tasks.callback_missed", "schedule": 60.0},
    "callback-slots": {"task": "callbacks.tasks.callback_slots_generate", "schedule": 3600.0},
    "kyc-retention": {"task": "kyc.tasks.kyc_retention_purge", "schedule": 86400.0},
    "help-search-retention": {"task": "helpcenter.tasks.help_search_purge", "schedule": 86400.0},
    # Deadlines live in the database; this scan acts on them (never Celery countdowns, which Redis
    # redelivers after the visibility timeout). 15 s is fine enough for a 2-minute chat target.
    "sla-scan": {"task": "support.tasks.sla_scan", "schedule": 15.0},
    # The dashboard's daily roll-ups: days that closed, and rolled days changed since (support/services/rollups.py).
    "dashboard-rollups": {"task": "support.tasks.dashboard_rollups", "schedule": 600.0},
}

# Call-backs.
CALLBACK_SLOT_MINUTES = env_int("CALLBACK_SLOT_MINUTES", 30)
CALLBACK_HORIZON_DAYS = 14  # bookable this far ahead
CALLBACK_MAX_OPEN = env_int("CALLBACK_MAX_OPEN", 3)  # upcoming bookings per customer
CALLBACK_AGENT_REMINDER_MINUTES = 10
CALLBACK_CUSTOMER_REMINDER_MINUTES = 60

# Help centre: searches and suggestion attempts are kept this long for the dashboard, then deleted.
HELP_SEARCH_RETENTION_DAYS = env_int("HELP_SEARCH_RETENTION_DAYS", 400)
# Suggestions while typing wait at most this long (seconds) for the semantic extra's query vector after the
# keywords are ranked, then answer with keywords alone (p95 < 50 ms: docs/performance.md).
HELP_SUGGEST_SEMANTIC_WAIT = 0.010

# Help centre semantic search (helpcenter/semantic.py): auto = when requirements-semantic.txt is installed,
# off = keywords alone, on = the extra is required.
HELP_SEMANTIC = os.environ.get("HELP_SEMANTIC", "auto").strip().lower() or "auto"

# Live chat (docs/chat-protocol.md).
CHAT_PEAK_QUEUE = env_int("CHAT_PEAK_QUEUE", 10)  # this many waiting shows the peak-time banner
CHAT_PEAK_WINDOW_MINUTES = 30  # the handling rate behind the expected wait
CHAT_OFFER_SECONDS = env_int("CHAT_OFFER_SECONDS", 30)  # an offer not taken goes to the next agent
CHAT_PRESENCE_TIMEOUT = env_int("CHAT_PRESENCE_TIMEOUT", 60)  # a console silent this long is offline
CHAT_QUEUE_SHOWN = 100
CHAT_MAX_TEXT = 4096  # bytes of UTF-8 in one message
CHAT_MAX_FRAME = 16384  # bytes of a whole frame
CHAT_RATE = (env_int("CHAT_RATE_PER_SECOND", 10), env_int("CHAT_RATE_BURST", 30))  # frames per connection

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "support.security.SocketsClosedOnPasswordChange"},  # a hook, not a rule
]
# Login throttling (django-axes): this many failures for one e-mail from one IP lock that pair out for the
# cool-off; the login page, the admin login and /api/auth/token/ all count (docs/security.md).
AUTHENTICATION_BACKENDS = ["support.security.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "support.security.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: UI complete in English and Simplified Chinese.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "support" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("DESK_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
# Customer files (ticket attachments, later identity documents): never under MEDIA_URL.
PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT", VAR_DIR / "private"))
MEDIA_URL = "/media/"

# Mail: the console in development, SMTP otherwise.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Support desk <support@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: secure by default whenever DEBUG is off (passes check --deploy).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"], "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Support desk API",
    "DESCRIPTION": "Tickets, chat, call-backs and document verification for trading-platform customers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Document the 400/401/403/404/429 every operation can answer (tests/security/test_api_schemathesis.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "support.openapi.error_responses"],
    # Two models have a Status; name their enums apart in the schema.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "CallbackStatusEnum": "callbacks.models.Booking.Status",
        "DocumentKindEnum": "kyc.models.Document.Kind",
        "DocumentStatusEnum": "kyc.models.Document.Status",
    },
}

PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"
PHONENUMBER_DEFAULT_REGION = None  # numbers must carry their country code

# The desk's own defaults.
DESK_EMAIL_ADDRESS = os.environ.get("DESK_EMAIL_ADDRESS", "support@desk.localhost")  # where customers write
DESK_BASE_URL = os.environ.get("DESK_BASE_URL", f"http://localhost:{DESK_PORT}")  # links in e-mail
# The support mailbox polled for mail (unset: intake only through `ingest_email` / an MTA pipe).
IMAP_HOST = os.environ.get("IMAP_HOST", "")
IMAP_PORT = env_int("IMAP_PORT", 993)
IMAP_USER = os.environ.get("IMAP_USER", "")
IMAP_PASSWORD = os.environ.get("IMAP_PASSWORD", "")
IMAP_MAILBOX = os.environ.get("IMAP_MAILBOX", "INBOX")
IMAP_SSL = env_bool("IMAP_SSL", True)
# E-mail intake (tickets/mail/intake.py, recovery.py).
INTAKE_RECOVERY_GRACE_SECONDS = 120  # a message still pending this long after its store is processed again
INTAKE_RECOVERY_ATTEMPTS = 3  # started this often without finishing: quarantined instead
# The raw store always commits durably; the apply transaction after it commits without waiting for the
# WAL flush unless this is off (a crash loses at most the apply, which recovery runs again from the
# stored message: docs/performance.md, e-mail intake).
INTAKE_ASYNC_APPLY = env_bool("INTAKE_ASYNC_APPLY", True)
TICKET_ATTACHMENT_MAX_BYTES = env_int("TICKET_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
TICKET_ATTACHMENT_MAX_COUNT = env_int("TICKET_ATTACHMENT_MAX_COUNT", 20)
TICKET_REOPEN_DAYS = env_int("TICKET_REOPEN_DAYS", 7)
TICKET_CLAIM_MINUTES = env_int("TICKET_CLAIM_MINUTES", 15)
DESK_NAME = os.environ.get("DESK_NAME", "Support desk")


def _kyc_keys() -> list[str]:
    """Fernet keys for identity documents at rest: KYC_ENCRYPTION_KEYS (comma-separated, newest first,
    older ones still decrypt), else one generated once and kept in var/ (0600) for an embedded desk."""
    if os.environ.get("KYC_ENCRYPTION_KEYS"):
        return [k.strip() for k in os.environ["KYC_ENCRYPTION_KEYS"].split(",") if k.strip()]
    path = VAR_DIR / "kyc_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return [path.read_text().strip()]


# Document verification (KYC).
KYC_ENCRYPTION_KEYS = _kyc_keys()
KYC_MAX_UPLOAD_BYTES = env_int("KYC_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
KYC_MAX_PAGES_PER_DOCUMENT = 10
KYC_FOUR_EYES = env_bool("KYC_FOUR_EYES", False)  # approvals need a second, different reviewer
KYC_ADDRESS_PROOF_MONTHS = 3
KYC_RETENTION_DAYS = env_int("KYC_RETENTION_DAYS", 5 * 365)  # after the account is closed
KYC_DRAFT_DAYS = env_int("KYC_DRAFT_DAYS", 30)  # an upload never submitted is deleted after this
KYC_REQUIRED_KINDS = env_list("KYC_REQUIRED_KINDS", ["identity", "address", "payment"])
DESK_SUPPORT_CALENDAR = "Support hours"  # seeded calendar the channels use

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
