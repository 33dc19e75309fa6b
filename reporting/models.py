"""Collaboration-session rollups: per-bucket metrics recomputed from calls and their events.

Definitions of every column: docs/metrics.md. A row is derived data: `reporting.services` rebuilds
hour rows from `calls.Call` and `calls.CallEvent`, and day rows from their hour rows, each with one
INSERT ... SELECT ... GROUP BY ... ON CONFLICT statement, so rows can be dropped and rebuilt at any
time (`manage.py rollup_metrics`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .diagnosis import Verdict

# Readiness causes (calls.readiness.CAUSES) counted per rollup column; a call counts once per column.
READINESS_CLASSES = {
    "readiness_unsupported_browser": ("unsupported_browser", "no_webrtc"),
    "readiness_no_microphone": ("no_microphone",),
    "readiness_no_camera": ("no_camera",),
    "readiness_network_blocked": ("network_blocked",),
    "readiness_direct_blocked": ("direct_blocked",),
    "readiness_relay_unavailable": ("relay_unavailable",),
}


class Interval(models.TextChoices):
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


# Integer columns that add up across rows (every counter and sum); the selectors sum these.
ADDITIVE_FIELDS = (
    "sessions",
    "accepted",
    "rejected",
    "expired",
    "cancelled",
    "failed",
    "failed_unsupported_browser",
    "failed_no_devices",
    "failed_permission_denied",
    "failed_connection",
    "failed_other",
    "connected",
    "completed",
    "dropped",
    "in_progress",
    "ended_connected",
    "accepted_audio_only",
    "readiness_checked",
    "readiness_problems",
    *READINESS_CLASSES,  # one column per readiness cause
    "handed_off",
    "screen_shared",
    "duration_s_sum",
    "answer_ms_sum",
    "rtt_samples",
    "rtt_us_sum",
    "packet_loss_samples",
    "packet_loss_mpct_sum",
    "bitrate_samples",
    "bitrate_bps_sum",
    "distinct_consumers",
    "participants",
    *(f"verdict_{v}" for v in Verdict.values),
)
# Columns combined with MAX across rows.
MAX_FIELDS = ("duration_s_max",)


class SessionRollup(models.Model):
    """One bucket's collaboration-session metrics for one account, media and agent."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="session_rollups")
    interval = models.CharField(max_length=4, choices=Interval.choices)
    bucket_start = models.DateTimeField(help_text="First instant of the bucket (a local hour or day of the account).")
    bucket_end = models.DateTimeField(help_text="First instant after the bucket.")
    media = models.CharField(max_length=5)
    # Part of the unique key instead of `agent`: NULLs never conflict in a unique index (PostgreSQL
    # before NULLS NOT DISTINCT, SQLite always), so calls whose agent was deleted group under 0.
    agent_key = models.BigIntegerField(help_text="The agent's user id; 0 for calls whose agent was deleted.")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,  # derived data: never block deleting a user; the next rollup regroups
        related_name="+",
    )

    sessions = models.PositiveIntegerField(default=0, help_text="Invitations sent.")
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0, help_text="Missed: no answer within the ring timeout.")
    cancelled = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    failed_unsupported_browser = models.PositiveIntegerField(default=0)
    failed_no_devices = models.PositiveIntegerField(default=0)
    failed_permission_denied = models.PositiveIntegerField(default=0)
    failed_connection = models.PositiveIntegerField(default=0)
    failed_other = models.PositiveIntegerField(default=0)
    connected = models.PositiveIntegerField(default=0, help_text="Calls whose media started flowing.")
    completed = models.PositiveIntegerField(default=0)
    dropped = models.PositiveIntegerField(default=0)
    in_progress = models.PositiveIntegerField(default=0, help_text="Still live when the bucket was computed.")
    ended_connected = models.PositiveIntegerField(default=0, help_text="Calls that were connected and have ended.")
    accepted_audio_only = models.PositiveIntegerField(
        default=0, help_text="Video calls the consumer answered with audio only (chose it, or had no camera)."
    )
    # Readiness before accept (calls/readiness.py): invitations whose consumer's window reported what
    # it found, and of those, how many had each problem (the latest report of each invitation).
    readiness_checked = models.PositiveIntegerField(
        default=0, help_text="Invitations whose consumer's window reported its readiness before answering."
    )
    readiness_problems = models.PositiveIntegerField(default=0, help_text="Of those, reports with any problem.")
    readiness_unsupported_browser = models.PositiveIntegerField(
        default=0, help_text="An unsupported browser or no WebRTC."
    )
    readiness_no_microphone = models.PositiveIntegerField(default=0, help_text="No microphone: the call cannot start.")
    readiness_no_camera = models.PositiveIntegerField(
        default=0, help_text="A video invitation and no camera: audio only is offered."
    )
    readiness_network_blocked = models.PositiveIntegerField(
        default=0, help_text="Neither STUN nor TURN answered: calls cannot connect from that network."
    )
    readiness_direct_blocked = models.PositiveIntegerField(
        default=0, help_text="STUN did not answer, TURN did: the call would be relayed."
    )
    readiness_relay_unavailable = models.PositiveIntegerField(
        default=0, help_text="STUN answered, TURN did not (or refused the credentials): no relay fallback."
    )
    handed_off = models.PositiveIntegerField(
        default=0, help_text="Calls the consumer moved to another device during the call (Continue on my phone)."
    )
    screen_shared = models.PositiveIntegerField(
        default=0, help_text="Calls in which the agent or the consumer shared a screen."
    )
    duration_s_sum = models.BigIntegerField(default=0)
    duration_s_max = models.PositiveIntegerField(default=0)
    answer_ms_sum = models.BigIntegerField(default=0, help_text="Sum of invitation-to-accept times (ms).")
    # Quality sums are integers in small units so that a sum never depends on the order of rows
    # (float addition does): identical inputs give byte-identical rows.
    rtt_samples = models.PositiveIntegerField(default=0)
    rtt_us_sum = models.BigIntegerField(default=0, help_text="Sum of RTT samples in microseconds.")
    packet_loss_samples = models.PositiveIntegerField(default=0)
    packet_loss_mpct_sum = models.BigIntegerField(default=0, help_text="Sum of loss samples in 1/1000 %.")
    bitrate_samples = models.PositiveIntegerField(default=0)
    bitrate_bps_sum = models.BigIntegerField(default=0, help_text="Sum of bitrate samples in bit/s.")
    distinct_consumers = models.PositiveIntegerField(default=0)
    participants = models.PositiveIntegerField(default=0, help_text="Call sides that joined the media.")
    # Ended calls by the verdict of their diagnosis (CallDiagnosis), one column per Verdict.
    verdict_good = models.PositiveIntegerField(default=0)
    verdict_poor_connection = models.PositiveIntegerField(default=0)
    verdict_poor_video = models.PositiveIntegerField(default=0)
    verdict_dropped = models.PositiveIntegerField(default=0)
    verdict_failed_devices = models.PositiveIntegerField(default=0)
    verdict_failed_browser = models.PositiveIntegerField(default=0)
    verdict_failed_network = models.PositiveIntegerField(default=0)
    verdict_not_connected = models.PositiveIntegerField(default=0)
    verdict_unmeasured = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "interval", "bucket_start", "media", "agent_key"], name="session_rollup_key"
            ),
        ]
        ordering = ["account", "interval", "bucket_start", "media", "agent_key"]

    def __str__(self) -> str:
        return (
            f"{self.account_id} {self.interval} {self.bucket_start:%Y-%m-%d %H:%M} {self.media} agent {self.agent_key}"
        )


# Bumped when reporting.diagnosis judges differently: `diagnose_calls --outdated` recomputes older rows.
DIAGNOSIS_VERSION = 1


class CallDiagnosis(models.Model):
    """A call's verdict, computed once when it ends (reporting.diagnoses) so that the reports count
    calls by verdict without reading their events again. Derived data: `manage.py diagnose_calls`
    rebuilds it from the call's events. No address, SDP or credential is ever part of it."""

    call = models.OneToOneField("calls.Call", primary_key=True, on_delete=models.CASCADE, related_name="diagnosis")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    summary = models.CharField(max_length=300, help_text="The verdict in plain words.")
    path = models.CharField(max_length=5, blank=True, help_text="relay, p2p, or blank when no side reported it.")
    relay_protocol = models.CharField(max_length=3, blank=True, help_text="udp, tcp or tls to the TURN server.")
    ice_restarts = models.PositiveIntegerField(default=0)
    ended_by = models.CharField(max_length=10, blank=True, help_text="agent, consumer or system.")
    version = models.PositiveSmallIntegerField(default=DIAGNOSIS_VERSION)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "call diagnoses"

    def __str__(self) -> str:
        return f"call {self.call_id}: {self.verdict}"
