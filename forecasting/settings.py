"""Readout settings, read from the environment with safe development defaults.

Development (nothing set): SQLite file ``db.sqlite3``, Celery tasks run eagerly in-process, console e-mail.
Production (``DJANGO_ENV=production``): refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""
import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
elif not SECRET_KEY:
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "csp",
    "axes",
    "assets",
    "markets",
    "forecasting",
]

MIDDLEWARE = [
    "forecasting.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "forecasting.middleware.BodySizeLimitMiddleware",
    "forecasting.api.middleware.RejectNulCharactersMiddleware",
    "forecasting.api.middleware.RejectDeepJsonMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # POSTs to pages marked with a throttle_scope are rate-limited like the API (forecasting.accounts.throttling).
    "forecasting.middleware.PageThrottleMiddleware",
    # Last: turns a log-in refused by axes (locked out) into the lock-out page (forecasting.accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "forecasting.urls"
WSGI_APPLICATION = "forecasting.wsgi.application"

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
                "forecasting.notifications.context.notifications",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# With persistent connections (CONN_MAX_AGE > 0), check a reused connection before each request's first query, so a
# connection the database or a pooler dropped is replaced instead of failing one request per worker with a 500.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server, an eager task and a shell share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding sends parameters (notably the community-state blob) in binary instead of as escaped SQL
    # text, which is several times faster for large values.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "server_side_binding", env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# AxesStandaloneBackend first: it refuses a locked-out (username, address) before any password is checked.
AUTHENTICATION_BACKENDS = [
    "forecasting.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False  # English only: translation lookups on every rendered value cost time and buy nothing
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes (and WhiteNoise serves from in production); CI builds into a temporary directory.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Outside production, whitenoise serves straight from the finders (no collectstatic needed for `make run`).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# Proxies in front of the web processes that append the client's address to X-Forwarded-For
# (forecasting.accounts.throttling.client_ip: log-in lock-out and rate limits count per client address).
READOUT_TRUSTED_PROXIES = env.int("READOUT_TRUSTED_PROXIES", default=0)

# Log-in lock-out (django-axes, database handler: one state for every web process). READOUT_LOGIN_MAX_FAILURES
# failed log-ins for one username from one address lock that pair (not the account: a stranger elsewhere cannot lock
# a named user out) for READOUT_LOGIN_LOCKOUT seconds. A password reset or a successful log-in clears it.
READOUT_LOGIN_MAX_FAILURES = env.int("READOUT_LOGIN_MAX_FAILURES", default=5)
READOUT_LOGIN_LOCKOUT = env.int("READOUT_LOGIN_LOCKOUT", default=15 * 60)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = READOUT_LOGIN_MAX_FAILURES
AXES_COOLOFF_TIME = dt.timedelta(seconds=READOUT_LOGIN_LOCKOUT)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "forecasting.accounts.throttling.client_ip"
AXES_USERNAME_CALLABLE = "forecasting.accounts.lockout.normalized_username"
AXES_LOCKOUT_CALLABLE = "forecasting.accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful log-ins are not recorded (no growing table nobody reads)
AXES_VERBOSE = False

# Where the site is served, for absolute links in e-mails (e-mail verification); never taken from the Host header.
READOUT_SITE_URL = env.str("READOUT_SITE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not READOUT_SITE_URL and ALLOWED_HOSTS[0] != "*":
    READOUT_SITE_URL = "https://" + ALLOWED_HOSTS[0].lstrip(".")
# Community-move notifications: after a forecast, the check runs this many seconds later, once for a burst of forecasts
# on the same question (docs/notifications.md, "Community moves"); 0 checks after every forecast.
READOUT_NOTIFY_MOVE_DEBOUNCE = env.float("READOUT_NOTIFY_MOVE_DEBOUNCE", default=60.0)
# How long an e-mail verification link stays valid, in seconds.
READOUT_EMAIL_VERIFICATION_MAX_AGE = env.int("READOUT_EMAIL_VERIFICATION_MAX_AGE", default=3 * 24 * 60 * 60)

# Requests larger than this are refused with 413 before any parsing happens.
READOUT_MAX_BODY_BYTES = env.int("READOUT_MAX_BODY_BYTES", default=2 * 1024 * 1024)
READOUT_MAX_UPLOAD_BYTES = env.int("READOUT_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# How long after posting the author may still edit a comment (forecasting.discussion.services.comment_edit).
READOUT_COMMENT_EDIT_WINDOW_SECONDS = env.int("READOUT_COMMENT_EDIT_WINDOW_SECONDS", default=15 * 60)
DATA_UPLOAD_MAX_MEMORY_SIZE = READOUT_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# SMTP (or another backend) from one URL (django-environ): smtp+tls://user:password@smtp.example.com:587,
# smtps://... for implicit TLS, consolemail:// (the default: printed), dummymail://. Sets EMAIL_BACKEND, EMAIL_HOST,
# EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS / EMAIL_USE_SSL. EMAIL_BACKEND, if set, still wins
# (tests use the locmem backend). docs/notifications.md, "E-mail".
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_BACKEND)  # noqa: F821 (set by the line above)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Readout <noreply@readout.local>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "forecasting.accounts.authentication.BotTokenAuthentication",  # Authorization: Bearer <named bot token>
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        # No SearchFilter by default: without search_fields it documents ?search= and ignores it. A list that
        # searches names it with its search_fields (readouts, proposals) or has its own ``q`` (assets, questions).
    ],
    "DEFAULT_PARSER_CLASSES": [
        "forecasting.api.parsers.LenientConstantsJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "forecasting.api.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "forecasting.api.exceptions.exception_handler",
    # Rate limits (docs/deploy.md, "Rate limits"): a view (or a page, through PageThrottleMiddleware) names its scope
    # in throttle_scope; per user when logged in, else per client address; only writes are counted.
    "DEFAULT_THROTTLE_CLASSES": ["forecasting.accounts.throttling.ScopedWriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "forecasts": env.str("READOUT_RATE_FORECASTS", default="60/min"),
        "trades": env.str("READOUT_RATE_TRADES", default="60/min"),
        "signup": env.str("READOUT_RATE_SIGNUP", default="5/hour"),
        "login": env.str("READOUT_RATE_LOGIN", default="30/min"),
        "tokens": env.str("READOUT_RATE_TOKENS", default="20/hour"),
        "verification": env.str("READOUT_RATE_VERIFICATION_EMAILS", default="5/hour"),
        # Comment writes (post, reply, edit, delete), API and pages alike (forecasting.discussion).
        "comments": env.str("READOUT_RATE_COMMENTS", default="10/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Readout API",
    "DESCRIPTION": "Forecasts and play-money markets on clinical-trial outcomes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Framework-level errors (bad token, page past the end, oversized body, throttling) documented once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "forecasting.api.schema.add_error_responses",
    ],
    # The same choice sets appear on several models; name each once.
    "ENUM_NAME_OVERRIDES": {
        "TrialStatusEnum": "assets.models.Trial.Status",
        "ReadoutMetricEnum": "assets.models.Readout.Metric",
        "QuestionStatusEnum": "markets.models.Question.Status",
        "MarketStatusEnum": "markets.models.Market.Status",
        "ProposalStatusEnum": "forecasting.resolution.models.ProposedResolution.Status",
        # q10_beyond, q50_beyond, q90_beyond of the community forecast.
        "QuantileBeyondEnum": "forecasting.questions.api.serializers.QUANTILE_BEYOND_CHOICES",
        # The status of a question's resolution object: pending, resolved, annulled.
        "ResolutionStatusEnum": "forecasting.questions.api.serializers.RESOLUTION_STATUS_CHOICES",
        # Notification deliveries (off, app, email, digest) and kinds (docs/notifications.md).
        "NotificationDeliveryEnum": "forecasting.notifications.models.Delivery",
        "NotificationKindEnum": "forecasting.notifications.models.Kind",
        # Forecast rows (and conditional forecast rows): a forecast or a withdrawal.
        "ForecastKindEnum": "forecasting.forecasts.models.Forecast.Kind",
    },
}

# Content-Security-Policy (django-csp): scripts and styles from our own static files only (the front-end packages are
# vendored, never a CDN); the few inline <script>/<style> blocks carry the request's nonce (request.csp_nonce). No
# inline event handlers or style attributes: tests/e2e/test_csp.py loads the main pages in Chromium and fails on any
# violation. Images may be data: URLs (Chart.js exports, admin icons).
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Celery: with no broker configured, tasks run eagerly in-process so the demo needs nothing installed.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers a task that was taken but never acknowledged (its worker was killed: acks_late) only after
# visibility_timeout seconds. It must exceed the longest countdown/ETA a task can carry (process_resolution retries
# back off up to 600 s) plus its run time, or a delayed task is delivered twice; 1,800 s in production (docs/deploy.md).
# The failure tests set a few seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=1800),
    # How often a worker looks for messages whose worker died (every interval x throttle seconds, ~100 s by default).
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=2.0),
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=2.0)
# A web request that enqueues while the broker is down gives up after ~0.5 s (forecasting.common.enqueue logs it and
# the periodic sweep catches up) instead of blocking the user.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.3}
CELERY_BEAT_SCHEDULE = {
    "close-due-questions": {"task": "markets.tasks.close_due_questions", "schedule": 60.0},
    # Scores any resolved question whose scoring never ran (e.g. the broker was down when it was resolved).
    "sweep-unscored-resolutions": {"task": "forecasting.tasks.sweep_unscored_resolutions", "schedule": 600.0},
    # Refreshes every trial with an NCT id from ClinicalTrials.gov (docs/registry.md).
    "sync-ctgov-trials": {"task": "assets.tasks.sync_ctgov_trials", "schedule": 24 * 60 * 60.0},
    # Proposes No for registry-bound questions whose "by D" date passed without the change (docs/resolution.md).
    "registry-deadlines": {"task": "forecasting.tasks.registry_deadlines_check", "schedule": 60 * 60.0},
    # Notifications (docs/notifications.md): questions closing and public moments within 24 h, hourly; the digest,
    # daily at 07:00 (CELERY_TIMEZONE).
    "notify-closing-soon": {"task": "forecasting.tasks.notify_closing_soon", "schedule": 60 * 60.0},
    "notify-public-moments": {"task": "forecasting.tasks.notify_public_moments", "schedule": 60 * 60.0},
    "notify-digest": {"task": "forecasting.tasks.notify_digest", "schedule": crontab(hour=7, minute=0)},
}

CACHES = (
    {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    if REDIS_URL and env.bool("USE_REDIS_CACHE", default=False)
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
# Rate-limit counters: shared by every web process through Redis when there is one, with short timeouts because a
# throttle whose cache fails lets the request through (forecasting.accounts.throttling); per process otherwise.
CACHES["throttle"] = (
    {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "throttle",
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
)

# Product settings (SCORING.md).
READOUT = {
    "EXTREMIZING_FACTOR": env.float("READOUT_EXTREMIZING_FACTOR", default=1.5),
    "LEADERBOARD_MIN_QUESTIONS": env.int("READOUT_LEADERBOARD_MIN_QUESTIONS", default=5),
    "STARTING_GRANT_POINTS": env.int("READOUT_STARTING_GRANT_POINTS", default=1000),
    "DEFAULT_MARKET_BUCKETS": 10,
    # The most the house may pay in, per unresolve, for payouts that winners already spent (staff must also accept
    # the figure shown to them before confirming). docs/ledger.md, "Unresolving after payouts were spent".
    "UNRESOLVE_MAX_HOUSE_COVER_POINTS": env.int("READOUT_UNRESOLVE_MAX_HOUSE_COVER_POINTS", default=10_000),
}

# LOG_FORMAT=json: one JSON object per line (timestamp, level, logger, message, request_id / task_id), for log
# shippers; the default in production. Plain text in development.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "forecasting.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes logs every log-in at INFO; its warnings (lock-outs) are kept.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
# With JSON logs the worker keeps Django's LOGGING instead of installing Celery's plain-text handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe the app over plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
