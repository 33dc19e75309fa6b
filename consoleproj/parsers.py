"""The API's body parsers: bounded reads, and JSON that is too deep is a 400, never a 500.

DRF's parsers read the request stream to its end whatever its size (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE only guards `request.body` and form parsing), and the standard library's
JSON decoder raises RecursionError on deep nesting, which DRF does not catch. These read at most
MAX_REQUEST_BODY_BYTES (413 beyond) and refuse nesting deeper than MAX_JSON_DEPTH (400).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterable

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self) -> None:
        super().__init__(f"The request body is too large: the limit is {settings.MAX_REQUEST_BODY_BYTES} bytes.")


def read_bounded(stream) -> bytes:
    limit = settings.MAX_REQUEST_BODY_BYTES
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise RequestTooLarge()
    return data


def depth_of(value: object, limit: int) -> int:
    """How deep the JSON value nests (an iterative walk: no recursion of our own), stopping past `limit`."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children: Iterable[object]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        pending.extend((child, depth + 1) for child in children)
    return deepest


def too_deep() -> ParseError:
    return ParseError(f"JSON parse error - the document nests deeper than {settings.MAX_JSON_DEPTH} levels.")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = read_bounded(stream)
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise too_deep() from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if depth_of(data, settings.MAX_JSON_DEPTH) > settings.MAX_JSON_DEPTH:
            raise too_deep()
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(io.BytesIO(read_bounded(stream)), media_type, parser_context)
