"""Serializer behaviour shared by every API of the project."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers


class StrictFieldsMixin:
    """Refuse names the serializer does not know (a typo must not be silently ignored).

    Read-only fields are accepted and ignored, so a client may send back what it read.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]
