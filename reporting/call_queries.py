"""Reads of the reporting app about single calls: live calls, recent calls, one call's detail.

Each runs a fixed number of queries (tests hold them to it). Only known keys of an event's data are
ever shown, so a stray field could never leak session data.
"""

from __future__ import annotations

from datetime import datetime

from accounts.models import Account
from calls.models import Call, CallEvent

from .diagnosis import CallFacts, Diagnosis, Verdict, diagnose

# The keys of a quality sample that reports show (calls.services.STATS_KEYS); nothing else of an
# event's data is ever shown, so a stray field could never leak session data.
SAMPLE_KEYS = (
    "rtt_ms",
    "packet_loss_pct",
    "bitrate_kbps",
    "jitter_ms",
    "frames_per_second",
    "frame_width",
    "frame_height",
    "candidate_type",
    "remote_candidate_type",
    "relay_protocol",
    "ice_restarts",
)
EVENT_DATA_KEYS: dict[str, tuple[str, ...]] = {
    CallEvent.Kind.STATE: ("reason", "browser"),
    CallEvent.Kind.MEDIA: ("audio", "video", "camera"),
    CallEvent.Kind.STATS: SAMPLE_KEYS,
    CallEvent.Kind.CONNECTED: (),
    CallEvent.Kind.PRESENCE: ("present", "reason"),
    CallEvent.Kind.SHARE: ("action", "surface", "reason"),
    # Readiness before accept: facts and causes only (calls.readiness); `causes` is a list of names.
    CallEvent.Kind.READINESS: ("causes", "browser", "webrtc", "camera", "microphone", "stun", "turn"),
}


def _shown(value: object) -> bool:
    """A value the reports may show: a scalar, or a list of short names (readiness causes)."""
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return isinstance(value, str | int | float | bool | None)


def live_calls(*, account: Account) -> list[dict]:
    """The account's calls in progress right now, oldest first (one query)."""
    calls = (
        Call.objects.filter(account=account, state__in=Call.LIVE_STATES)
        .select_related("agent")
        .order_by("created_at")[:100]
    )
    return [
        {
            "id": call.pk,
            "media": call.media,
            "state": call.state,
            "agent": call.agent.display_name if call.agent else "Deleted agent",
            "created_at": call.created_at,
            "started_at": call.started_at,
        }
        for call in calls
    ]


def recent_calls(*, account: Account, period, limit: int = 10) -> list[Call]:
    """The latest calls invited in the range (a queries.ReportRange; one query)."""
    return list(
        Call.objects.filter(account=account, created_at__gte=period.start, created_at__lt=period.end)
        .select_related("agent", "conversation", "diagnosis")
        .order_by("-created_at", "-pk")[:limit]
    )


def account_call(*, account: Account, call_id: int) -> Call | None:
    """One call of the account (None for another account's call: nothing is revealed)."""
    return Call.objects.filter(account=account, pk=call_id).select_related("agent", "conversation", "diagnosis").first()


def call_facts(call: Call) -> CallFacts:
    """What reporting.diagnosis needs of a call row."""
    return CallFacts(
        media=call.media,
        state=call.state,
        end_reason=call.end_reason,
        started=call.started_at is not None,
        answered=call.answered_at is not None,
        duration_s=call.duration_s,
        consumer_audio_only=call.consumer_audio_only,
        consumer_browser=call.consumer_browser,
        reconnect_grace_s=call.reconnect_grace_s,
    )


def diagnosis_view(call: Call, diagnosis: Diagnosis) -> dict:
    """The diagnosis as the call detail shows it: the stored verdict (what the reports counted)
    when the call has one, else the one computed now (a live call has none)."""
    stored = getattr(call, "diagnosis", None)
    verdict = stored.verdict if stored else diagnosis.verdict
    return {
        "verdict": verdict,
        "verdict_label": Verdict(verdict).label if verdict in Verdict.values else "In progress",
        "summary": stored.summary if stored else diagnosis.summary,
        "stored": stored is not None,
        "path": diagnosis.path,
        "path_text": diagnosis.path_text,
        "relay_protocol": diagnosis.relay_protocol,
        "sides": {
            side: {"local": p.local or None, "remote": p.remote or None, "relay_protocol": p.relay_protocol or None}
            for side, p in diagnosis.sides.items()
        },
        "ice_restarts": diagnosis.ice_restarts,
        "ended_by": diagnosis.ended_by or None,
        "ended_text": diagnosis.ended_text,
        "findings": diagnosis.findings,
    }


def event_row(event: CallEvent, invited_at: datetime) -> dict:
    keys = EVENT_DATA_KEYS.get(event.kind, ())
    data = event.data if isinstance(event.data, dict) else {}
    return {
        "id": event.pk,
        "kind": event.kind,
        "actor": event.actor,
        "state": event.state,
        "created_at": event.created_at,
        "offset_s": round((event.created_at - invited_at).total_seconds(), 3),
        "data": {k: data[k] for k in keys if k in data and _shown(data[k])},
    }


def call_detail(*, call: Call) -> dict:
    """A call's durations, its events in order and its quality samples (one query for the events)."""
    events = [event_row(e, call.created_at) for e in CallEvent.objects.filter(call=call).order_by("created_at", "id")]
    samples = [
        {"offset_s": e["offset_s"], "actor": e["actor"], **{k: e["data"].get(k) for k in SAMPLE_KEYS}}
        for e in events
        if e["kind"] == CallEvent.Kind.STATS
    ]

    def between(a: datetime | None, b: datetime | None) -> float | None:
        return round((b - a).total_seconds(), 3) if a and b else None

    def mean(key: str) -> float | None:
        values = [s[key] for s in samples if isinstance(s.get(key), int | float) and not isinstance(s[key], bool)]
        return round(sum(values) / len(values), 3) if values else None

    ended_or_answered = call.answered_at or call.ended_at
    return {
        "call": call,
        "diagnosis": diagnosis_view(call, diagnose(call_facts(call), events)),
        "durations": {
            "ring_s": between(call.created_at, ended_or_answered),
            "answer_s": between(call.created_at, call.answered_at),
            "connect_s": between(call.answered_at, call.started_at),
            "talk_s": call.duration_s if call.started_at and call.ended_at else None,
            "total_s": between(call.created_at, call.ended_at),
        },
        "events": events,
        "samples": samples,
        "quality": {
            "samples": len(samples),
            "rtt_ms_avg": mean("rtt_ms"),
            "packet_loss_pct_avg": mean("packet_loss_pct"),
            "bitrate_kbps_avg": mean("bitrate_kbps"),
        },
    }
