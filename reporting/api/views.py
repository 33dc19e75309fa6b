"""The reports API: collaboration-session metrics (the Analytics Builder feed) and one call's detail.

Account-scoped: an account's admins read their own account; support staff (is_staff) name the
account with `account=SLUG`; agents are refused. Views only parse and call reporting.queries.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.models import Account
from consoleproj.csv_export import csv_lines
from consoleproj.restapi.pagination import BoundedLimitOffsetPagination
from reporting import queries
from reporting.buckets import local_day, zone

from .serializers import MAX_PAGE, CallDetailSerializer, ReportQuerySerializer, ReportSerializer


class ReportAccess(BasePermission):
    """Account admins (their own account) and support staff (any account); agents get 403."""

    message = "Only an account's admins and support staff may read reports."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.is_account_admin))


def account_for(request: Request, slug: str | None) -> Account:
    """The account a report is about: support names it; an admin may only name their own (404 else)."""
    user = request.user
    if user.is_staff:
        if not slug:
            raise serializers.ValidationError({"account": ["Support staff must name the account: account=SLUG."]})
        account = Account.objects.filter(slug=slug).first()
        if account is None:
            raise serializers.ValidationError({"account": [f"There is no account {slug!r}."]})
        return account
    own = getattr(user, "account", None)
    if not isinstance(own, Account):
        raise PermissionDenied()  # ReportAccess let in only support and account admins
    if slug and slug != own.slug:
        raise NotFound()  # another account's existence is not revealed
    return own


class CSVRenderer(BaseRenderer):
    """Selected by `?format=csv`; the view streams the rows itself, so this renders only errors."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):  # pragma: no cover - see the view
        return JSONRenderer().render(data)


class ReportPagination(BoundedLimitOffsetPagination):
    default_limit = 1000
    max_limit = MAX_PAGE


@extend_schema(tags=["reports"])
class CollaborationSessionReportView(APIView):
    """Collaboration-session metrics per bucket (local hour, day, week or month of the account) and media or agent."""

    permission_classes = [IsAuthenticated, ReportAccess]
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]  # type: ignore[list-item]  # the stubs type the setting as its dotted paths; DRF has imported the classes

    @extend_schema(
        summary="Collaboration-session metrics (the Analytics Builder feed)",
        description=(
            "One row per bucket with sessions, and media (`group_by=media`) or agent (`group_by=agent`), "
            "in time order, paginated with `limit`/`offset`; `totals` covers the whole range. "
            "`?format=csv` answers every row as a CSV file instead. Buckets are local hours or days of the "
            "account's time zone (DST days have 23 or 25 hour buckets), or its weeks (from Monday) and calendar "
            "months, the first and last cut to the range. Bad parameters answer 400 naming the "
            "parameter; ranges over 366 days are refused. Definitions: docs/metrics.md."
        ),
        parameters=[ReportQuerySerializer],
        responses={
            (200, "application/json"): ReportSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The rows as CSV (a header line first)."),
            (400, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="{parameter: [messages]}",
                examples=[OpenApiExample("range", value={"end": ["A report covers at most 366 days (a year)."]})],
            ),
        },
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        params = ReportQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        account = account_for(request, data.get("account"))
        zone_name = account.time_zone
        last = data.get("end") or local_day(zone_name, timezone.now())
        first = data.get("start") or queries.default_period(zone_name=zone_name, today=last)[0]
        errors = queries.range_errors(first, last)
        if errors:  # a start given alone may be after today, or more than a year before it
            raise serializers.ValidationError({name: [message] for name, message in errors.items()})
        period = queries.ReportRange(zone_name=zone_name, first=first, last=last)
        interval, group_by = data["interval"], data["group_by"]
        if request.accepted_renderer.format == "csv":
            return self._csv(account, period, interval, group_by)

        paginator = ReportPagination()
        # Rows and totals together: a week or month report counts its distinct consumers once for both.
        every_row, totals = queries.report(account=account, period=period, interval=interval, group_by=group_by)
        rows = paginator.paginate_queryset(every_row, request, self) or []  # type: ignore[arg-type]  # LimitOffsetPagination slices lists too
        body = {
            "account": account.slug,
            "time_zone": zone(zone_name).key,
            "interval": interval,
            "group_by": group_by,
            "start": first,
            "end": last,
            "totals": totals,
            "count": paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": [queries.report_row(row, zone_name=zone_name, interval=interval) for row in rows],
        }
        with timezone.override(zone(zone_name)):  # datetimes in the account's zone, offset included
            return Response(ReportSerializer(body).data)

    def _csv(self, account: Account, period: queries.ReportRange, interval: str, group_by: str):
        dimension = ["media"] if group_by == "media" else ["agent_id", "agent_name", "agent_email"]
        header = ["bucket", "bucket_start", "bucket_end", *dimension, *queries.METRIC_FIELDS]
        tz = zone(period.zone_name)

        def rows() -> Iterator[list[object]]:
            for row in queries.iter_report_rows(account=account, period=period, interval=interval, group_by=group_by):
                row["bucket_start"] = row["bucket_start"].astimezone(tz).isoformat()
                row["bucket_end"] = row["bucket_end"].astimezone(tz).isoformat()
                yield [row.get(name) for name in header]

        name = f"collaboration-sessions-{account.slug}-{period.first}-{period.last}-{interval}-by-{group_by}.csv"
        response = StreamingHttpResponse(csv_lines(header, rows()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def handle_exception(self, exc):
        # Errors are always JSON, also when the client asked for CSV.
        if (
            getattr(self.request, "accepted_renderer", None) is not None
            and self.request.accepted_renderer.format == "csv"
        ):
            self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)


@extend_schema(tags=["reports"])
class CallDetailView(APIView):
    """One call of the account: its durations, its events in order (never session data) and its quality samples."""

    permission_classes = [IsAuthenticated, ReportAccess]

    @extend_schema(summary="One call's detail: durations, events, quality samples", responses=CallDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        user = request.user
        # Support reads any account's call; an admin only their own (another's answers 404).
        account = Account.objects.filter(calls__pk=pk).first() if user.is_staff else getattr(user, "account", None)
        call = queries.account_call(account=account, call_id=pk) if account else None
        if account is None or call is None:
            raise NotFound()
        detail = queries.call_detail(call=call)
        with timezone.override(zone(account.time_zone)):
            return Response(CallDetailSerializer(detail).data)
