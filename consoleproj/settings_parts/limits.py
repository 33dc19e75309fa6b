"""Abuse limits: the client address behind proxies, the login lockout, request bodies, the per-socket
limits and the API key rates. Plain values read from the environment, imported by consoleproj/settings.py."""

from __future__ import annotations

from datetime import timedelta

from consoleproj.env import env

# --- The client address (consoleproj/client_address.py) -------------------------------------
# The proxies (CIDRs) whose X-Forwarded-For entries are believed, e.g. the load balancer's subnet.
# Default: none, so the TCP peer is the client and a forged header changes nothing. Every throttle,
# the login lockout, the socket limits and the logs use the address resolved with this list.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# --- Login throttling and lockout (django-axes, accounts/lockout.py) ---------------------------
# Failed logins are counted per login name and per client address, each on its own; at the limit
# that name (or address) is refused on every login path for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "consoleproj.client_address.client_address_of"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_name"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Successful logins are not journaled (the AccessLog table would grow with every login); failures
# and lockouts are (AccessAttempt, AccessFailureLog-free).
AXES_DISABLE_ACCESS_LOG = True

# --- Request bodies (consoleproj/bodylimit.py) ----------------------------------------------
# Larger bodies are refused with 413 before anything is parsed, by Content-Length or by counting a
# streamed body; Django's own limits say the same for form and body() reads.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# JSON nested deeper than this answers 400 (consoleproj/parsers.py), never a RecursionError.
MAX_JSON_DEPTH = env.int("MAX_JSON_DEPTH", default=64)

# --- Signaling sockets (calls/sockets/) ------------------------------------------------------
# Per-socket inbound limits.
WS_MAX_FRAME_BYTES = 64 * 1024
WS_RATE_BURST = env.int("WS_RATE_BURST", default=120)
WS_RATE_PER_S = env.float("WS_RATE_PER_S", default=60.0)
# A socket that goes on sending this many frames in a row over its limit is closed with 4008.
WS_FLOOD_CLOSE_AFTER = env.int("WS_FLOOD_CLOSE_AFTER", default=120)
# ... and that client's new sockets are refused with 4008 for this long. The rate buckets belong to
# the client (agent, consumer token, admin), shared by its sockets and kept across reconnects.
WS_FLOOD_BAN_S = env.float("WS_FLOOD_BAN_S", default=10.0)
# A client closed for flooding again within WS_FLOOD_BAN_MAX_S of its last flood close is a repeat
# flooder: each ban doubles (10, 20, 40 s, ...) up to this; a client quiet that long starts over.
WS_FLOOD_BAN_MAX_S = env.float("WS_FLOOD_BAN_MAX_S", default=300.0)
# Concurrent sockets per agent and per consumer token, in one process (tabs, reconnects, a webview
# beside the window); more are closed with 4429.
WS_MAX_SOCKETS_PER_AGENT = env.int("WS_MAX_SOCKETS_PER_AGENT", default=10)
WS_MAX_SOCKETS_PER_CONVERSATION = env.int("WS_MAX_SOCKETS_PER_CONVERSATION", default=5)

# --- API keys (calls/engage/) ----------------------------------------------------------------
# Brand backends that create conversations with an account API key: at most this many per visitor
# (the `visitor_ip` / `visitor_id` the backend passes) and per key, per minute or hour (DRF rates).
API_KEY_VISITOR_RATE = env.str("API_KEY_VISITOR_RATE", default="30/min")
API_KEY_RATE = env.str("API_KEY_RATE", default="3000/min")
