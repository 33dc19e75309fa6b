"""Serializers of the reports API: the query parameters (validated, every error named after its
parameter) and the shapes of the answers (for the OpenAPI schema and the output)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from rest_framework import serializers

from calls.models import Call, CallEvent
from calls.readiness import parse_causes
from consoleproj.restapi.pagination import MAX_OFFSET
from reporting.buckets import REPORT_INTERVALS
from reporting.diagnosis import Verdict
from reporting.models import Interval
from reporting.queries import GROUP_BY, METRIC_FIELDS, range_errors

MAX_PAGE = 10000


class ReportQuerySerializer(serializers.Serializer):
    """The report's query string. Unknown parameters are refused, so a typo is never ignored."""

    start = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="First local date (YYYY-MM-DD) in the account's time zone. Default: 6 days before `end`.",
    )
    end = serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="Last local date, included. Default: today in the account's time zone. At most 366 days in all.",
    )
    interval = serializers.ChoiceField(
        choices=REPORT_INTERVALS,
        default=Interval.DAY.value,
        help_text="Bucket size: local hour, day, week (from Monday) or calendar month of the account's time zone.",
    )
    group_by = serializers.ChoiceField(
        choices=GROUP_BY, default="media", help_text="A row per bucket and media, or per bucket and agent."
    )
    account = serializers.SlugField(
        required=False, help_text="Support staff: the account's slug (required). Admins: their own account only."
    )
    format = serializers.ChoiceField(
        choices=["json", "csv"], required=False, help_text="csv: every row (no pages) as a CSV file."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, help_text="Rows per page.")
    offset = serializers.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET, help_text="Rows to skip.")

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown parameter."] for name in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs):
        errors = range_errors(attrs.get("start"), attrs.get("end"))
        if errors:
            raise serializers.ValidationError({name: [message] for name, message in errors.items()})
        return attrs


class MetricsSerializer(serializers.Serializer):
    """The collaboration-session metrics (definitions: docs/metrics.md)."""

    sessions = serializers.IntegerField(help_text="Invitations sent.")
    accepted = serializers.IntegerField(help_text="Invitations the consumer accepted (the call reached connecting).")
    rejected = serializers.IntegerField()
    expired = serializers.IntegerField(help_text="Missed: not answered within the ring timeout.")
    cancelled = serializers.IntegerField(help_text="The agent hung up before the media flowed.")
    failed = serializers.IntegerField()
    failed_unsupported_browser = serializers.IntegerField()
    failed_no_devices = serializers.IntegerField()
    failed_permission_denied = serializers.IntegerField()
    failed_connection = serializers.IntegerField()
    failed_other = serializers.IntegerField()
    connected = serializers.IntegerField(help_text="Calls whose media started flowing.")
    completed = serializers.IntegerField()
    dropped = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    ended_connected = serializers.IntegerField(help_text="Connected calls that have ended (the base of durations).")
    accepted_audio_only = serializers.IntegerField(
        help_text="Video calls the consumer answered with audio only (chose it, or had no camera)."
    )
    readiness_checked = serializers.IntegerField(
        help_text="Invitations whose consumer's window reported its readiness before answering."
    )
    readiness_problems = serializers.IntegerField(help_text="Of those, the ones with any readiness problem.")
    readiness_unsupported_browser = serializers.IntegerField(help_text="Readiness: unsupported browser or no WebRTC.")
    readiness_no_microphone = serializers.IntegerField(help_text="Readiness: no microphone (the call cannot start).")
    readiness_no_camera = serializers.IntegerField(help_text="Readiness: video invitation, no camera (audio only).")
    readiness_network_blocked = serializers.IntegerField(
        help_text="Readiness: neither STUN nor TURN answered (calls cannot connect from that network)."
    )
    readiness_direct_blocked = serializers.IntegerField(
        help_text="Readiness: STUN did not answer but TURN did (the call would be relayed)."
    )
    readiness_relay_unavailable = serializers.IntegerField(
        help_text="Readiness: STUN answered but TURN did not, or refused the credentials."
    )
    handed_off = serializers.IntegerField(
        help_text="Calls the consumer moved to another device during the call (Continue on my phone)."
    )
    screen_shared = serializers.IntegerField(help_text="Calls in which the agent or the consumer shared a screen.")
    participants = serializers.IntegerField(help_text="Call sides (agent, consumer) that joined the media.")
    distinct_consumers = serializers.IntegerField()
    quality_samples = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True, help_text="accepted / (accepted + rejected + expired).")
    duration_s_total = serializers.IntegerField()
    duration_s_avg = serializers.FloatField(allow_null=True)
    duration_s_max = serializers.IntegerField()
    answer_s_avg = serializers.FloatField(allow_null=True, help_text="Average time from invitation to accept.")
    rtt_ms_avg = serializers.FloatField(allow_null=True)
    packet_loss_pct_avg = serializers.FloatField(allow_null=True)
    bitrate_kbps_avg = serializers.FloatField(allow_null=True)
    verdict_good = serializers.IntegerField(help_text="Ended calls whose diagnosis says good (docs/metrics.md).")
    verdict_poor_connection = serializers.IntegerField(
        help_text="Connected calls with heavy loss or a long round trip."
    )
    verdict_poor_video = serializers.IntegerField(help_text="Video calls with a low video bitrate or frame rate.")
    verdict_dropped = serializers.IntegerField(help_text="Calls lost to the network or a vanished side.")
    verdict_failed_devices = serializers.IntegerField(help_text="Failed: camera or microphone missing or refused.")
    verdict_failed_browser = serializers.IntegerField(help_text="Failed: a browser that cannot make calls.")
    verdict_failed_network = serializers.IntegerField(help_text="Failed: the media never connected.")
    verdict_not_connected = serializers.IntegerField(help_text="Declined, missed or withdrawn before media.")
    verdict_unmeasured = serializers.IntegerField(help_text="Connected calls without a quality sample.")


assert set(MetricsSerializer().fields) == set(METRIC_FIELDS)


class BucketSerializer(serializers.Serializer):
    bucket = serializers.CharField(
        help_text="The bucket as a person reads it: local date (a week: its Monday; a month: YYYY-MM), or date and hour."
    )
    bucket_start = serializers.DateTimeField(help_text="In the account's time zone (its UTC offset included).")
    bucket_end = serializers.DateTimeField()
    media = serializers.ChoiceField(choices=Call.Media.values, required=False, help_text="group_by=media only.")
    agent_id = serializers.IntegerField(
        allow_null=True, required=False, help_text="group_by=agent only; null for calls of a deleted agent."
    )
    agent_name = serializers.CharField(required=False, help_text="group_by=agent only.")
    agent_email = serializers.CharField(required=False, help_text="group_by=agent only.")


class ReportRowSerializer(BucketSerializer, MetricsSerializer):
    """A row: the bucket, its media or agent, then the metrics. Only the grouping's keys appear.

    A row is a plain dict of plain values (queries.report_row), so each is shown by its field's
    own to_representation (int() and float() for the numbers) without DRF's generic walk of
    attributes: a page of 1,000 rows took a third of a year read's time in it. The output is the
    generic one's (tests/test_reporting_api.py compares them)."""

    def to_representation(self, instance):
        shown = {}
        for name, show in self._shows:
            if name in instance:
                value = instance[name]
                shown[name] = None if value is None else show(value)
        return shown

    @cached_property
    def _shows(self) -> list[tuple[str | None, Callable[[Any], Any]]]:
        exact: dict[type, Callable[[Any], Any]] = {serializers.IntegerField: int, serializers.FloatField: float}
        return [(f.field_name, exact.get(type(f), f.to_representation)) for f in self._readable_fields]


class ReportSerializer(serializers.Serializer):
    account = serializers.SlugField()
    time_zone = serializers.CharField()
    interval = serializers.ChoiceField(choices=REPORT_INTERVALS)
    group_by = serializers.ChoiceField(choices=GROUP_BY)
    start = serializers.DateField()
    end = serializers.DateField()
    totals = MetricsSerializer(help_text="The whole range; distinct consumers counted once across it.")
    count = serializers.IntegerField(help_text="Rows in all pages.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReportRowSerializer(many=True)


class CallSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    media = serializers.ChoiceField(choices=Call.Media.values)
    state = serializers.ChoiceField(choices=Call.State.values)
    end_reason = serializers.CharField()
    agent_id = serializers.IntegerField(allow_null=True)
    conversation_id = serializers.IntegerField()
    consumer_browser = serializers.CharField()
    consumer_readiness = serializers.SerializerMethodField(
        help_text="Readiness before answering: the causes of the consumer window's latest report "
        "([] when it found none); null when it never reported."
    )
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_s = serializers.IntegerField(allow_null=True)

    def get_consumer_readiness(self, call: Call) -> list[str] | None:
        return parse_causes(call.consumer_readiness) if call.consumer_readiness_at else None


class DurationsSerializer(serializers.Serializer):
    ring_s = serializers.FloatField(allow_null=True, help_text="Invitation until answered or ended.")
    answer_s = serializers.FloatField(allow_null=True)
    connect_s = serializers.FloatField(allow_null=True, help_text="Accepted until the media flowed.")
    talk_s = serializers.IntegerField(allow_null=True)
    total_s = serializers.FloatField(allow_null=True)


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CallEvent.Kind.values)
    actor = serializers.ChoiceField(choices=CallEvent.Actor.values)
    state = serializers.CharField()
    created_at = serializers.DateTimeField()
    offset_s = serializers.FloatField(help_text="Seconds since the invitation.")
    # DRF's metaclass moves declared fields off the class, so this does not shadow Serializer.data.
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="Only the event's known keys: reason, browser, audio/video/camera, stats."
    )


class SampleSerializer(serializers.Serializer):
    offset_s = serializers.FloatField()
    actor = serializers.CharField()
    rtt_ms = serializers.FloatField(allow_null=True)
    packet_loss_pct = serializers.FloatField(allow_null=True)
    bitrate_kbps = serializers.FloatField(allow_null=True)
    jitter_ms = serializers.FloatField(allow_null=True)
    frames_per_second = serializers.FloatField(allow_null=True)
    frame_width = serializers.IntegerField(allow_null=True)
    frame_height = serializers.IntegerField(allow_null=True)
    candidate_type = serializers.CharField(allow_null=True, help_text="This side's candidate of the selected pair.")
    remote_candidate_type = serializers.CharField(allow_null=True, help_text="The other end's candidate type.")
    relay_protocol = serializers.CharField(allow_null=True, help_text="udp, tcp or tls: how this side reaches TURN.")
    ice_restarts = serializers.IntegerField(allow_null=True, help_text="ICE restarts this side went through so far.")


class QualitySerializer(serializers.Serializer):
    samples = serializers.IntegerField()
    rtt_ms_avg = serializers.FloatField(allow_null=True)
    packet_loss_pct_avg = serializers.FloatField(allow_null=True)
    bitrate_kbps_avg = serializers.FloatField(allow_null=True)


class SidePathSerializer(serializers.Serializer):
    local = serializers.CharField(allow_null=True, help_text="This side's candidate type: host, srflx, prflx, relay.")
    remote = serializers.CharField(allow_null=True, help_text="The other end's candidate type, as this side saw it.")
    relay_protocol = serializers.CharField(allow_null=True, help_text="udp, tcp or tls, when this side relays.")


class SidesSerializer(serializers.Serializer):
    agent = SidePathSerializer()
    consumer = SidePathSerializer()


class DiagnosisSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=Verdict.values, allow_null=True, help_text="Null while the call is live (docs/metrics.md)."
    )
    verdict_label = serializers.CharField()
    summary = serializers.CharField(help_text="The verdict in plain words.")
    stored = serializers.BooleanField(help_text="The verdict stored when the call ended (the one the reports count).")
    path = serializers.CharField(help_text="relay, p2p, or empty when no side reported its candidate pair.")
    path_text = serializers.CharField()
    relay_protocol = serializers.CharField(help_text="udp, tcp or tls to the TURN server; empty if not relayed.")
    sides = SidesSerializer(help_text="Each side's last reported candidate pair (types only, never addresses).")
    ice_restarts = serializers.IntegerField()
    ended_by = serializers.CharField(allow_null=True, help_text="agent, consumer or system; null while live.")
    ended_text = serializers.CharField(help_text="Who ended the call and why, in words.")
    findings = serializers.ListField(child=serializers.CharField(), help_text="Other observations, in words.")


class CallDetailSerializer(serializers.Serializer):
    call = CallSummarySerializer()
    diagnosis = DiagnosisSerializer()
    durations = DurationsSerializer()
    quality = QualitySerializer()
    events = EventSerializer(many=True)
    samples = SampleSerializer(many=True)
