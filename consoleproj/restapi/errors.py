"""How the API reports refusals: service ValidationErrors become DRF 400s keyed by API field names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings


class ActionRefused(APIException):
    """A request that is well formed but refused by a rule (e.g. deleting a profile in use): 400 {detail}."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request was refused."
    default_code = "refused"


def drf_errors(
    exc: DjangoValidationError,
    *,
    field_names: Mapping[str, str | tuple[str, str]] | None = None,
    non_field_key: str | None = None,
) -> dict[str, Any]:
    """{api field: [messages]} from a Django ValidationError.

    `field_names` renames model/service fields to the API's names; a (outer, inner) pair nests the
    messages under an object field (e.g. turn_rest_urls -> {"turn_rest": {"urls": [...]}}).
    Messages not tied to a field go under `non_field_key` (DRF's "non_field_errors" by default).
    """
    field_names = field_names or {}
    non_field_key = non_field_key or api_settings.NON_FIELD_ERRORS_KEY
    raw = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    errors: dict[str, Any] = {}
    for field, messages in raw.items():
        target = non_field_key if field == NON_FIELD_ERRORS else field_names.get(field, field)
        if isinstance(target, tuple):
            outer, inner = target
            nested = errors.setdefault(outer, {})
            assert isinstance(nested, dict)
            nested.setdefault(inner, []).extend(messages)
        else:
            bucket = errors.setdefault(target, [])
            assert isinstance(bucket, list)
            bucket.extend(messages)
    return errors


@contextmanager
def service_errors(
    *,
    field_names: Mapping[str, str | tuple[str, str]] | None = None,
    non_field_key: str | None = None,
) -> Iterator[None]:
    """Turn a service's Django ValidationError into DRF's 400 with field errors."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(
            drf_errors(exc, field_names=field_names, non_field_key=non_field_key)
        ) from exc


@contextmanager
def service_refusals() -> Iterator[None]:
    """Turn a service's Django ValidationError into 400 {"detail": message} (for actions without a body)."""
    try:
        yield
    except DjangoValidationError as exc:
        raise ActionRefused(" ".join(exc.messages)) from exc
