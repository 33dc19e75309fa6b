"""Typed schemas of every inbound WebSocket frame (pydantic, strict, unknown fields refused).

A client never chooses a handler or a group: the frame's `type` selects a schema from the table of
its role, and only frames that validate reach the handlers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Id = Annotated[int, Field(gt=0, lt=2**63)]
# Stored text never holds NUL: PostgreSQL refuses it, so it is a field error here, not a crash there.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=NO_NUL)]
FrameId = Annotated[str, Field(max_length=64)] | Annotated[int, Field(ge=0, lt=2**53)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# A command's idempotency key: the client makes one per command (a UUID, or any string unique to
# the client) and sends it again, unchanged, when it resends that command (calls/commands.py).
Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Frame(Strict):
    type: str
    id: FrameId | None = None


class Command(Frame):
    """A frame that writes: applied at most once per `key` (signals are fire-and-forget: no key)."""

    key: Key | None = None


class ConversationRef(Command):
    conversation_id: Id


class ConversationTransfer(Command):
    """To the queue (`to_agent_id` absent or null) or to another online agent of the same account."""

    conversation_id: Id
    to_agent_id: Id | None = None


class AgentMessage(Command):
    conversation_id: Id
    text: Text


class ConsumerMessage(Command):
    text: Text


class CallInvite(Command):
    conversation_id: Id
    media: Literal["voice", "video"]


class ClientInfo(Strict):
    user_agent: Annotated[str, Field(max_length=512, pattern=NO_NUL)]
    webrtc: bool
    camera: bool
    microphone: bool


class CallAccept(Command):
    call_id: Id
    # "Audio only" on a video invitation (or no camera): the consumer joins without any camera capture.
    audio_only: bool = False
    client: ClientInfo


class CallRef(Command):
    call_id: Id


class CallHandoffAsk(Frame):
    """Continue on my phone: a code for the call (no `key`: each ask makes a new code)."""

    call_id: Id


class Sdp(Strict):
    type: Literal["offer", "answer", "pranswer", "rollback"]
    sdp: Annotated[str, Field(max_length=60000)] = ""


class Candidate(Strict):
    candidate: Annotated[str, Field(max_length=2000)]
    sdpMid: Annotated[str, Field(max_length=64)] | None = None  # noqa: N815 - the WebRTC field name
    sdpMLineIndex: Annotated[int, Field(ge=0, le=255)] | None = None  # noqa: N815
    usernameFragment: Annotated[str, Field(max_length=256)] | None = None  # noqa: N815


class Signal(Strict):
    sdp: Sdp | None = None
    candidate: Candidate | None = None

    @model_validator(mode="after")
    def exactly_one(self) -> Signal:
        if len(self.model_fields_set & {"sdp", "candidate"}) != 1 or (
            "sdp" in self.model_fields_set and self.sdp is None
        ):
            raise ValueError("signal must hold exactly one of sdp {type, sdp} or candidate ({...} or null)")
        return self


class CallSignal(Frame):
    call_id: Id
    signal: Signal


class CallMedia(Command):
    call_id: Id
    audio: bool
    video: bool
    camera: Literal["front", "back"] | None = None


Number = Annotated[float, Field(ge=0, le=1e7)]


class Stats(Strict):
    rtt_ms: Number | None = None
    packet_loss_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    bitrate_kbps: Number | None = None
    jitter_ms: Number | None = None
    frames_per_second: Annotated[float, Field(ge=0, le=240)] | None = None
    frame_width: Annotated[int, Field(ge=0, le=16384)] | None = None
    frame_height: Annotated[int, Field(ge=0, le=16384)] | None = None
    candidate_type: Literal["host", "srflx", "prflx", "relay"] | None = None


class CallStats(Command):
    call_id: Id
    stats: Stats


HangupReason = Literal[
    "user",
    "webview_closed",
    "page_closed",
    "permission_denied",
    "no_devices",
    "no_camera",
    "no_microphone",
    "ice_failed",
    "unsupported_browser",
]


class CallHangup(Command):
    call_id: Id
    reason: HangupReason | None = None


def describe(exc: ValidationError) -> str:
    """A short, client-facing account of what is wrong (field paths and reasons, never input values)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "frame"
        nul = error["type"] == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == NO_NUL
        parts.append(f"{where}: {'must not contain NUL characters' if nul else error['msg']}")
    return "; ".join(parts)
