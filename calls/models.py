"""Conversations, their transcripts, the calls inside them and the permanent call event log.

Session data (SDP, ICE candidates, TURN credentials) never reaches these tables: it is relayed
between sockets and lives only in memory while the call lives. Event data is kept for good.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone


class Conversation(models.Model):
    """A messaging conversation between a consumer and (once routed) one agent of an account."""

    class Channel(models.TextChoices):
        WEB_MESSAGING = "web_messaging", "Web messaging"
        CHAT = "chat", "Live chat"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="conversations")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB_MESSAGING)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    consumer_name = models.CharField(max_length=100, blank=True)
    consumer_ref = models.CharField(
        max_length=100, blank=True, help_text="The brand's own opaque identifier of the consumer, if it sends one."
    )
    locale = models.CharField(max_length=5, default="en")
    start_key = models.CharField(
        max_length=64,
        blank=True,
        help_text="The window's idempotency key for the start with the first message: a retry gets this "
        "conversation back instead of a second one.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "state"]),
            models.Index(fields=["agent", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "start_key"], condition=~models.Q(start_key=""), name="conversation_start_key_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk} ({self.get_state_display()})"


class Message(models.Model):
    """One transcript line: text from a party, or a system message about a call."""

    class Author(models.TextChoices):
        AGENT = "agent", "Agent"
        CONSUMER = "consumer", "Consumer"
        SYSTEM = "system", "System"

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        SYSTEM = "system", "System"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=10, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    text = models.TextField()
    call = models.ForeignKey("Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"])]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


class Call(models.Model):
    """A voice or video call inside a conversation, from invitation to its end."""

    class Media(models.TextChoices):
        VOICE = "voice", "Voice"
        VIDEO = "video", "Video"

    class State(models.TextChoices):
        RINGING = "ringing", "Ringing"
        CONNECTING = "connecting", "Connecting"
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired (missed)"
        FAILED = "failed", "Failed"
        COMPLETED = "completed", "Completed"
        DROPPED = "dropped", "Dropped"

    LIVE_STATES = (State.RINGING, State.CONNECTING, State.ACTIVE)
    MEDIA_STATES = (State.CONNECTING, State.ACTIVE)

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="calls")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="calls")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="calls")
    media = models.CharField(max_length=5, choices=Media.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RINGING)
    end_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When media started flowing (active).")
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds from active to end.")
    consumer_audio_only = models.BooleanField(
        default=False,
        help_text="A video call the consumer answered with audio only (chose it, or has no camera): no camera was captured.",
    )
    consumer_browser = models.CharField(max_length=60, blank=True, help_text="Browser family and major version.")
    consumer_device = models.PositiveIntegerField(
        default=0,
        help_text="The consumer's device that holds the call: 0 for the one that accepted it, else the id of "
        "the handoff (Continue on my phone) that moved it there.",
    )
    # Timers live in the row so any process (a beat sweep, a countdown task, the embedded ticker)
    # can fire them after the process that set them died.
    ring_deadline = models.DateTimeField(null=True, blank=True)
    connect_deadline = models.DateTimeField(null=True, blank=True)
    agent_deadline = models.DateTimeField(null=True, blank=True, help_text="Agent presence lease (heartbeats).")
    consumer_deadline = models.DateTimeField(null=True, blank=True, help_text="Consumer presence lease.")
    reconnect_grace_s = models.PositiveIntegerField(default=20)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(state__in=["ringing", "connecting", "active"]),
                name="one_live_call_per_conversation",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "ring_deadline"]),
            models.Index(fields=["account", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_media_display()} call {self.pk} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE_STATES


class JSONNumber(Func):
    """The number under `key` of a JSON object column, times `scale`, rounded to an integer; NULL
    when the key is missing or holds anything but a number (a string, a boolean, null, a list).

    Used by generated columns: the database computes it when the row is written, however it is
    written (the ORM, bulk_create, COPY), so readers get a typed, indexable number.
    """

    output_field = models.BigIntegerField()

    def __init__(self, expression, key: str, scale: int, **extra):
        if not key.isidentifier() or not isinstance(scale, int):
            raise ValueError("JSONNumber takes an identifier key and an integer scale.")
        self.key, self.scale = key, scale
        super().__init__(expression, **extra)

    # Per database: {c} is the JSON column, {k} the key, {s} the scale.
    TEMPLATES = {
        "postgresql": (
            "CASE WHEN jsonb_typeof({c} -> '{k}') = 'number' THEN ROUND(({c} ->> '{k}')::float8 * {s})::bigint END"
        ),
        "sqlite": (
            "CASE WHEN json_type({c}, '$.{k}') IN ('integer', 'real') "
            "THEN CAST(ROUND(json_extract({c}, '$.{k}') * {s}) AS INTEGER) END"
        ),
    }

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        sql = self.TEMPLATES.get(connection.vendor)
        if sql is None:
            raise NotImplementedError(f"JSONNumber has no SQL for {connection.vendor}.")
        column, params = compiler.compile(self.source_expressions[0])
        return sql.format(c=column, k=self.key, s=self.scale), params


def _sample_value(key: str, unit: str) -> models.GeneratedField:
    return models.GeneratedField(
        expression=JSONNumber("data", key, 1000),
        output_field=models.BigIntegerField(),
        db_persist=True,
        help_text=f"{key} of a quality sample in {unit}, computed by the database from the data.",
    )


class CallEvent(models.Model):
    """Append-only log of a call: transitions, mute/camera changes, quality samples. Never SDP."""

    class Kind(models.TextChoices):
        STATE = "state", "State change"
        MEDIA = "media", "Media change"
        STATS = "stats", "Quality sample"
        CONNECTED = "connected", "Side connected"
        PRESENCE = "presence", "Presence change"
        HANDOFF = "handoff", "Moved to another device"

    class Actor(models.TextChoices):
        AGENT = "agent", "Agent"
        CONSUMER = "consumer", "Consumer"
        SYSTEM = "system", "System"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.CharField(max_length=10, choices=Actor.choices)
    state = models.CharField(max_length=10, blank=True, help_text="The state entered (state events).")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The quality numbers of a stats sample as integers (thousandths of the unit the client
    # sends), so the rollup sums typed columns instead of parsing JSON.
    rtt_us = _sample_value("rtt_ms", "microseconds")
    packet_loss_mpct = _sample_value("packet_loss_pct", "thousandths of a percent")
    bitrate_bps = _sample_value("bitrate_kbps", "bits per second")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["call", "id"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.state or ''} by {self.actor}"


class CallHandoff(models.Model):
    """A one-time, short-lived code that moves the consumer's side of a live call to another device
    (Continue on my phone). Only the code's keyed hash is stored; the code itself is shown once, to
    the consumer's window that asked for it, and is never derived from the consumer token."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="handoffs")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True, help_text="A newer code of the call voided this one.")
    device_browser = models.CharField(max_length=60, blank=True, help_text="The claiming browser's family and version.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["call", "created_at"])]

    def __str__(self) -> str:
        return f"Handoff {self.pk} of call {self.call_id}"


class AgentConnection(models.Model):
    """A live agent socket; an agent with a fresh one is online for routing. Leases expire so a
    process that dies without closing its sockets leaves no agent "online" for long."""

    channel_name = models.CharField(max_length=200, primary_key=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections")
    lease_until = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["agent", "lease_until"])]

    def __str__(self) -> str:
        return f"{self.agent_id} on {self.channel_name}"


class AccountApiKey(models.Model):
    """A brand backend's credential for creating conversations server to server (stored hashed)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. “shop backend”.")
    # The key is `vvck_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole key
    # proves it. The key itself is shown once, when it is created, and never stored.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["account", "-created_at"]
        verbose_name = "account API key"

    def __str__(self) -> str:
        return f"{self.name} (vvck_{self.prefix}_…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class CommandReceipt(models.Model):
    """The answer to a socket command that wrote, kept under the client's idempotency key, so a
    resend of a command already applied (its answer lost to a dropped socket or an `unavailable`)
    answers as the first did and writes nothing. Written in the command's own transaction: a
    receipt exists exactly when the command's writes do. Expired receipts are purged by the sweeps."""

    principal = models.CharField(max_length=40, help_text="Who sent it: agent.<user id> or conversation.<id>.")
    key = models.CharField(max_length=64, help_text="The client's idempotency key of the command.")
    command = models.CharField(max_length=30)
    answer = models.JSONField(default=dict, help_text="The result fields of `ok`, or {code, message} of an error.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="one_receipt_per_client_key")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.command} {self.key} of {self.principal}"


class ClockHeartbeat(models.Model):
    """When a part of the clock last showed life: `beat` (the Celery beat scheduler), `worker` (a
    worker ran the heartbeat task), `sweep.<host>.<pid>` (a daphne process's fallback sweep)."""

    name = models.CharField(max_length=80, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%H:%M:%S}"
