"""Every setting of the project, read from the environment in this one package.

With no environment at all the project runs on embedded defaults (SQLite, in-memory channel layer,
eager Celery, locmem cache, DEBUG on, a generated dev secret). Setting DATABASE_URL, REDIS_URL,
CELERY_BROKER_URL and friends switches to real services. DJANGO_ENV=production turns on the
HTTPS-only hardening and refuses to start without a SECRET_KEY.

Self-contained blocks (plain values that depend on no other setting) live in consoleproj/settings_parts/
and are star-imported here, so every setting is still a name of `consoleproj.settings`; all of them
read the environment through the one `env` of consoleproj/env.py.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from consoleproj.env import BASE_DIR, env

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    # Production never runs on a generated key: sessions and consumer tokens would not survive
    # a restart and would differ between daphne processes.
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set (50+ characters) when DJANGO_ENV=production")
else:
    _dev_key_file = BASE_DIR / "var" / "dev-secret-key"
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        # A generated development secret, kept in var/ so logins survive `make run` restarts.
        _dev_key_file.parent.mkdir(exist_ok=True)
        if not _dev_key_file.exists():
            _dev_key_file.write_text(secrets.token_urlsafe(64))
        SECRET_KEY = _dev_key_file.read_text().strip()
# Old keys during a rotation: sessions, signed consumer tokens and encrypted settings made with them
# stay valid (comma-separated).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# Email domains no account may give its users (e.g. the platform's own): refused with the same words
# as an address already in use elsewhere (accounts/services.py).
RESERVED_EMAIL_DOMAINS = [d.lower() for d in env.list("RESERVED_EMAIL_DOMAINS", default=[])]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    # DRF's clear-text tokens: kept installed only so accounts' migration 0002 can move them into knox
    # (hashed); its table stays empty and its admin is hidden (accounts/admin.py).
    "rest_framework.authtoken",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "settings_profiles",
    "calls",
    "reporting",
    # Login throttling and lockout; its AccessAttempt rows are listed in the support admin.
    "axes",
]

MIDDLEWARE = [
    "consoleproj.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # CORS for the two endpoints a brand's own window calls, decided per account (calls/engage/cors.py).
    "calls.engage.cors.WindowCorsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Turns a login refused by the lockout into its 429 page (last, so it sees the final response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "consoleproj.urls"
WSGI_APPLICATION = "consoleproj.wsgi.application"
ASGI_APPLICATION = "consoleproj.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the embedded demo serve HTTP and sockets from one file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: channel layer and cache ---------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The channel layer's Redis instances: REDIS_URL, or several (comma-separated) to shard the layer:
# each channel and group lives on one of them, picked by channels-redis's consistent hash (the relay
# publisher, calls/sockets/relay.py, picks the same one). Every daphne process must list them in the same order.
CHANNEL_REDIS_URLS = env.list("CHANNEL_REDIS_URLS", default=[REDIS_URL] if REDIS_URL else [])
if REDIS_URL:
    # The pub/sub layer: one PUBLISH per relayed frame instead of the core layer's list/zset
    # round trips, and no silent drops past `capacity` (see docs/architecture.md).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": CHANNEL_REDIS_URLS},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "vvc",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker configured: tasks run inline (the embedded default for `make run` on a laptop).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A lost broker connection: tasks still running that were acknowledged late are cancelled and
# redelivered (every task here is idempotent), instead of celery's deprecated default.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = "UTC"
# Periodic work; apps register their entries here (see each app's tasks.py).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The lockout check (django-axes) first; it authenticates nobody, ModelBackend does.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend", "accounts.backends.AccountModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18N ------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: anonymous and bad-token requests then get 401 with WWW-Authenticate.
        # Both refuse the users of a paused account (403), as the console does.
        "accounts.api.authentication.TokenAuthentication",
        "accounts.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Bounded reads (413) and deep JSON refused with 400 (consoleproj/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "consoleproj.parsers.JSONParser",
        "consoleproj.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "consoleproj.restapi.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_RENDERER_CLASSES": (
        ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"]
        if DEBUG
        else ["rest_framework.renderers.JSONRenderer"]
    ),
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored; each expires API_TOKEN_TTL_S after it
# was issued (default 7 days) and can be revoked (docs/api.md). Same header as before: "Token <token>".
API_TOKEN_TTL_S = env.int("API_TOKEN_TTL_S", default=7 * 24 * 3600)
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=20)
REST_KNOX = {
    "TOKEN_TTL": timedelta(seconds=API_TOKEN_TTL_S),
    "TOKEN_LIMIT_PER_USER": API_TOKENS_PER_USER,
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Voice and video calls for web messaging",
    "DESCRIPTION": "Account configuration, conversations and collaboration-session reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Calls: ICE defaults for accounts that do not bring their own servers --------------------
# ICE_SERVERS: a JSON list of {"urls": ..., "username": ..., "credential": ...} (STUN or static TURN).
ICE_SERVERS = json.loads(env.str("ICE_SERVERS", default="[]"))
# TURN REST (coturn use-auth-secret): credentials are minted per participant from this secret.
TURN_REST_URLS = env.list("TURN_REST_URLS", default=[])
TURN_REST_SECRET = env.str("TURN_REST_SECRET", default="")
TURN_REST_TTL_S = env.int("TURN_REST_TTL_S", default=3600)

# --- Security --------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# A console or workspace login lasts this long (default 12 hours: one working day), then asks again.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
# Password reset links are valid this long (Django's default is 3 days).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)

# --- Email: password resets. The embedded default prints them on the console; production sends them
# through SMTP: EMAIL_URL=smtp+tls://user:password@smtp.example.com:587 (django-environ syntax).
if PRODUCTION or "EMAIL_URL" in env:
    _email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST, EMAIL_PORT = _email.get("EMAIL_HOST", "localhost"), _email.get("EMAIL_PORT", 25)
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_USER", ""), _email.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS, EMAIL_USE_SSL = _email.get("EMAIL_USE_TLS", False), _email.get("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")
# Response headers on every page (CSP, nosniff, referrer, framing): consoleproj/settings_parts/headers.py.
from consoleproj.settings_parts.headers import *  # noqa: E402, F403

if PRODUCTION:
    # Calls need a secure context (getUserMedia), so production is HTTPS only.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Abuse limits: the client address, login lockout, request bodies, per-socket limits and API key
# rates, in consoleproj/settings_parts/limits.py.
from consoleproj.settings_parts.limits import *  # noqa: E402, F403

# --- Exposure of development pages ------------------------------------------------------------
# The demo brand page (/engage/demo/): on for the embedded demo and development, off in production.
ENGAGE_DEMO_ENABLED = env.bool("ENGAGE_DEMO_ENABLED", default=not PRODUCTION)
# The OpenAPI schema and Swagger UI (/api/schema/, /api/docs/) need a login in production.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=not PRODUCTION)

# --- Logging: consoleproj/settings_parts/logs.py ----------------------------------------------
from consoleproj.settings_parts.logs import *  # noqa: E402, F403

# GET /metrics (Prometheus): open to loopback; from elsewhere only with `Authorization: Bearer <this>`
# (unset: not served to other addresses at all). Behind nginx the real client is in X-Forwarded-For.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Tests: a service a test needs that is missing skips the test, unless REQUIRE_SERVICES is set
# (CI sets it), in which case the test fails.
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)

# WhiteNoise serves static files itself under daphne (runserver's static handler is not used).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Calls -----------------------------------------------------------------------------------
# The consumer token returned when a conversation is created; it opens /ws/consumer/.
CONSUMER_TOKEN_MAX_AGE_S = env.int("CONSUMER_TOKEN_MAX_AGE_S", default=24 * 3600)
# "Continue on my phone": how long a handoff code (QR and short link) works, once (docs/engagement.md).
CALL_HANDOFF_TTL_S = env.int("CALL_HANDOFF_TTL_S", default=300)
# Supported consumer browsers: ua-parser family -> lowest supported major version. The product
# supports the two latest majors of each; raise these numbers with each browser release.
SUPPORTED_BROWSERS = json.loads(
    env.str(
        "SUPPORTED_BROWSERS",
        default=json.dumps(
            {
                "Chrome": 155,
                "Chrome Mobile": 155,
                "Chrome Mobile WebView": 155,
                "Chrome Mobile iOS": 155,
                "Firefox": 157,
                "Firefox Mobile": 157,
                "Safari": 26,
                "Mobile Safari": 26,
                "Mobile Safari UI/WKWebView": 26,
                "Edge": 155,
                "Edge Mobile": 155,
            }
        ),
    )
)
# The day those defaults were current (the console warns three months later). Support keeps the floors
# current in the database instead: `manage.py browser_floors --set Chrome=157 ...` (calls/browsers.py).
SUPPORTED_BROWSERS_AS_OF = env.str("SUPPORTED_BROWSERS_AS_OF", default="2026-11-15")
# Timers: a sweep fires every deadline kept in the Call rows (ring timeout, connect timeout,
# presence leases). Beat runs it, and so does every daphne process (SKIP LOCKED; calls/clock.py,
# calls/sockets/presence.py), so no single process's death stops the clock: deadlines fire within
# CALL_SWEEP_INTERVAL_S + a sweep.
CALL_SWEEP_INTERVAL_S = env.float("CALL_SWEEP_INTERVAL_S", default=2.0)
CALL_TIMERS_IN_PROCESS = env.bool("CALL_TIMERS_IN_PROCESS", default=True)
# The worker and beat leave a heartbeat this often; /healthz answers 503 when one is older than
# CLOCK_HEARTBEAT_MAX_AGE_S.
CLOCK_HEARTBEAT_S = env.float("CLOCK_HEARTBEAT_S", default=5.0)
CLOCK_HEARTBEAT_MAX_AGE_S = env.float("CLOCK_HEARTBEAT_MAX_AGE_S", default=60.0)
CELERY_BEAT_SCHEDULER = "calls.clock:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE["clock-heartbeat"] = {
    "task": "calls.tasks.clock_heartbeat_task",
    "schedule": CLOCK_HEARTBEAT_S,
    "options": {"expires": CLOCK_HEARTBEAT_S * 2},
}
# Idempotency receipts of socket commands are kept this long (a resend comes within minutes).
COMMAND_RECEIPT_TTL_S = env.int("COMMAND_RECEIPT_TTL_S", default=24 * 3600)
CALL_HEARTBEAT_S = env.float("CALL_HEARTBEAT_S", default=2.0)
CALL_CONNECT_TIMEOUT_S = env.int("CALL_CONNECT_TIMEOUT_S", default=45)
AGENT_LEASE_S = env.int("AGENT_LEASE_S", default=60)
CELERY_BEAT_SCHEDULE["calls-sweep"] = {"task": "calls.tasks.call_sweep_task", "schedule": CALL_SWEEP_INTERVAL_S}
# Reporting: recompute the buckets of calls that changed state lately (repairs lost end-of-call triggers).
CELERY_BEAT_SCHEDULE["reporting-sweep"] = {
    "task": "reporting.tasks.rollup_sweep_task",
    "schedule": env.float("ROLLUP_SWEEP_INTERVAL_S", default=300.0),
    "kwargs": {"window_s": env.int("ROLLUP_SWEEP_WINDOW_S", default=3600)},
}
# Every WS_LAYER_WATCH_S a process checks that the channel layer still delivers (a ping through
# Redis to itself); no answer within WS_LAYER_WATCH_TIMEOUT_S closes its sockets with 4503 so the
# clients reconnect and resubscribe (calls/sockets/presence.py). 0 turns the watch off.
WS_LAYER_WATCH_S = env.float("WS_LAYER_WATCH_S", default=1.0)
WS_LAYER_WATCH_TIMEOUT_S = env.float("WS_LAYER_WATCH_TIMEOUT_S", default=5.0)
# The reports page's live panel is pushed over /ws/live/; this poll is its fallback and keeps the
# "since" durations moving.
REPORTS_LIVE_POLL_S = env.int("REPORTS_LIVE_POLL_S", default=15)
# The platform's own origins are its ALLOWED_HOSTS, same scheme (https only in production), host and
# port as the request (calls/origins.py); list more here when a proxy rewrites Host. Brand pages are
# allowed per account (allowed_origins in the call settings), never platform-wide.
PLATFORM_ORIGINS = env.list("PLATFORM_ORIGINS", default=[])
