"""The JSON shapes of conversations, messages and calls in frames (docs/protocol.md)."""

from __future__ import annotations

from .models import Call, Conversation, Message


def conversation_payload(conversation: Conversation) -> dict:
    return {
        "id": conversation.pk,
        "channel": conversation.channel,
        "state": conversation.state,
        "agent_id": conversation.agent_id,
        "consumer_name": conversation.consumer_name,
        "created_at": conversation.created_at,
    }


def message_payload(message: Message) -> dict:
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "author": message.author,
        "kind": message.kind,
        "text": message.text,
        "call_id": message.call_id,
        "created_at": message.created_at,
    }


def call_payload(call: Call) -> dict:
    return {
        "id": call.pk,
        "conversation_id": call.conversation_id,
        "agent_id": call.agent_id,
        "media": call.media,
        "consumer_audio_only": call.consumer_audio_only,
        "consumer_device": call.consumer_device,
        "state": call.state,
        "reason": call.end_reason,
        "created_at": call.created_at,
        "answered_at": call.answered_at,
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "duration_s": call.duration_s,
    }


def format_duration(seconds: int | None) -> str:
    """0:45, 12:03, 1:02:09 — locale-neutral, for the transcript's {duration}."""
    seconds = seconds or 0
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
