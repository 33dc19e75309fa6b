"""Serializers of the reports API: the query parameters (validated, every error named after its
parameter) and the shapes of the answers (for the OpenAPI schema and the output)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from rest_framework import serializers

from calls.models import Call, CallEvent
from consoleproj.restapi.pagination import MAX_OFFSET
from reporting.buckets import REPORT_INTERVALS
from reporting.models import Interval
from reporting.queries import COUNT_FIELDS, DERIVED_FIELDS, GROUP_BY, range_errors

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
    handed_off = serializers.IntegerField(
        help_text="Calls the consumer moved to another device during the call (Continue on my phone)."
    )
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


assert set(MetricsSerializer().fields) == set(COUNT_FIELDS + DERIVED_FIELDS)


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
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_s = serializers.IntegerField(allow_null=True)


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
    candidate_type = serializers.CharField(allow_null=True)


class QualitySerializer(serializers.Serializer):
    samples = serializers.IntegerField()
    rtt_ms_avg = serializers.FloatField(allow_null=True)
    packet_loss_pct_avg = serializers.FloatField(allow_null=True)
    bitrate_kbps_avg = serializers.FloatField(allow_null=True)


class CallDetailSerializer(serializers.Serializer):
    call = CallSummarySerializer()
    durations = DurationsSerializer()
    quality = QualitySerializer()
    events = EventSerializer(many=True)
    samples = SampleSerializer(many=True)
