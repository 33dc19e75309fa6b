"""Logging: plain or JSON lines, credentials scrubbed. Imported by consoleproj/settings.py."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from consoleproj.env import env

# --- Logging: never SDP, candidates or credentials (see calls/ for the relay path) -----------
# LOG_FORMAT=json: one JSON object a line with request_id and call_id (consoleproj/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Credentials (consumer tokens, API tokens) are scrubbed from every line (consoleproj/logscrub.py).
    "filters": {
        "context": {"()": "consoleproj.logs.ContextFilter"},
        "scrub_credentials": {"()": "consoleproj.logscrub.ScrubCredentials"},
    },
    "formatters": {
        "plain": {
            "()": "consoleproj.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "consoleproj.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["scrub_credentials", "context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# With JSON logs the Celery worker keeps these handlers instead of installing its own plain ones.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
