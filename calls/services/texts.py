"""The words and per-side extras of calls: system lines of the transcript, failure texts, the
invitation the consumer sees, and the per-side parts of `call.state` frames (ICE, camera defaults)."""

from __future__ import annotations

from django.utils import timezone

from calls.models import Call
from calls.payloads import format_duration
from calls.readiness import parse_causes
from settings_profiles.ice import ice_config_for
from settings_profiles.models import AccountCallSettings
from settings_profiles.texts import render_text

from .common import Party, State

# Client-reported reasons to hang up that mean the call could not work, and the text shown for each.
FAILURE_REASONS = {
    "unsupported_browser": "error_unsupported_browser",
    "no_webrtc": "error_unsupported_browser",
    "no_camera": "error_no_devices",
    "no_microphone": "error_no_devices",
    "no_devices": "error_no_devices",
    "permission_denied": "error_permission_denied",
    "ice_failed": "error_connection_failed",
    "connect_timeout": "error_connection_failed",
}
# The same device failures when it was the agent's microphone or camera: words that say whose.
AGENT_DEVICE_FAILURES = {
    "permission_denied": "error_agent_permission_denied",
    "no_devices": "error_agent_no_devices",
    "no_camera": "error_agent_no_devices",
    "no_microphone": "error_agent_no_devices",
}
SYSTEM_TEXT: dict[str, str] = {
    State.RINGING: "system_call_invited",
    State.CONNECTING: "system_call_accepted",
    State.REJECTED: "system_call_rejected",
    State.CANCELLED: "system_call_cancelled",
    State.EXPIRED: "system_call_missed",
    State.FAILED: "system_call_failed",
    State.COMPLETED: "system_call_completed",
    State.DROPPED: "system_call_dropped",
}


def _system_text(call: Call, call_settings: AccountCallSettings, key: str, *, reason: str = "") -> str:
    texts = call_settings.resolved_texts(call.conversation.locale)
    agent_name = call.agent.display_name if call.agent else ""
    return render_text(
        texts[key],
        agent_name=agent_name,
        brand_name=call_settings.account.name,
        media=texts[f"media_{call.media}"],
        duration=format_duration(call.duration_s),
        reason=reason,
    )


def error_text(call_settings: AccountCallSettings, reason: str, locale: str, *, side: str = "consumer") -> str:
    """The failure's words; `side` is who failed (the transition's actor): the agent's own devices
    get the words that say so, never the consumer's "allow them for this site"."""
    key = AGENT_DEVICE_FAILURES.get(reason) if side == "agent" else None
    key = key or FAILURE_REASONS.get(reason, "error_connection_failed")
    return call_settings.resolved_texts(locale)[key]


def failed_side(call: Call) -> str:
    """Who failed the call (agent, consumer or system): the actor of its `failed` event."""
    actor = call.events.filter(state=State.FAILED).values_list("actor", flat=True).first()
    return actor or "system"


def invitation_for(call: Call, call_settings: AccountCallSettings) -> dict:
    """What the consumer's window shows while a call rings: the account's texts and style."""
    texts = call_settings.resolved_texts(call.conversation.locale)
    values = {"agent_name": call.agent.display_name if call.agent else "", "brand_name": call_settings.account.name}
    return {
        "media": call.media,
        "title": render_text(texts[f"invitation_title_{call.media}"], **values),
        "body": render_text(texts[f"invitation_body_{call.media}"], **values),
        "accept": texts["invitation_accept"],
        "reject": texts["invitation_reject"],
        "style": call_settings.resolved_style(),
        "expires_at": call.ring_deadline,
    }


def participant_name(call: Call, party: Party) -> str:
    """The TURN REST user part: identifies a call side in coturn's logs without personal data."""
    return f"call{call.pk}-{party}"


# The readiness check's TURN credentials outlive the invitation by this much, and no more.
ICE_CHECK_MARGIN_S = 30


def ice_check_for(call: Call, call_settings: AccountCallSettings) -> dict:
    """The ICE configuration the consumer's window probes while the invitation rings (readiness
    before accept): the call's servers and relay policy, with TURN REST credentials of their own
    (`call<id>-consumer-check` in coturn's logs) that expire soon after the invitation does."""
    left_s = (call.ring_deadline - timezone.now()).total_seconds() if call.ring_deadline else 0
    return dict(
        ice_config_for(
            call_settings=call_settings,
            participant=f"{participant_name(call, 'consumer')}-check",
            max_ttl_s=max(int(left_s), 0) + ICE_CHECK_MARGIN_S,
        )
    )


def side_extras(call: Call, call_settings: AccountCallSettings, party: Party, *, failed_by: str = "") -> dict:
    """The per-side parts of a `call.state` frame (and of `hello` when a live call is rejoined).
    `failed_by`: who failed a failed call (the transition's actor; looked up when not given)."""
    extras: dict = {}
    if call.state == State.RINGING and party == "consumer":
        extras["invitation"] = invitation_for(call, call_settings)
        extras["ice_check"] = ice_check_for(call, call_settings)
    if call.is_live and party == "agent" and call.consumer_readiness_at is not None:
        extras["readiness"] = {"causes": parse_causes(call.consumer_readiness)}
    ringing = call.state == State.RINGING
    if call.state in Call.MEDIA_STATES or ringing:
        # Both sides prepare while the invitation rings (docs/protocol.md, "Setup while ringing"): the
        # agent its capture, peer connection and offer (its candidates held until the accept), the
        # consumer's window its peer connection with the agent's offer set and candidates gathered
        # into its pool (nothing sent, nothing captured before the click on Accept).
        extras["ice"] = ice_config_for(call_settings=call_settings, participant=participant_name(call, party))
    if call.state in Call.MEDIA_STATES or ringing:
        # While ringing too: the consumer's window opens the camera at the click on Accept only when
        # the call starts with it on, and the agent's side prepares with or without its camera.
        video = call.media == Call.Media.VIDEO
        extras["media"] = {
            "agent_camera_on": video and not call_settings.agent_camera_off_at_start,
            "consumer_camera_on": video
            and not call.consumer_audio_only
            and not call_settings.consumer_camera_off_at_start,
        }
    if call.state == State.FAILED:
        locale = call.conversation.locale if party == "consumer" else call_settings.locale
        side = failed_by or failed_side(call)
        text = error_text(call_settings, call.end_reason, locale, side=side)
        extras["error"] = {"code": call.end_reason, "text": text, "side": side}
    return extras
