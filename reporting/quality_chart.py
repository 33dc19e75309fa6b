"""A call's quality over time as the geometry of a small SVG chart, drawn by the call detail's
template (server-rendered: no script, no library, nothing the CSP must allow).

One panel per measure (round trip, loss, bitrate, and frame rate for video), a line per side, the
threshold reporting.diagnosis judges by as a dashed line, and a mark where a side's ICE restart
count went up. Pure: samples in (call_queries rows: offset_s, actor and the sample keys), numbers out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .diagnosis import LOSS_POOR_PCT, RTT_POOR_MS, VIDEO_POOR_FPS, VIDEO_POOR_KBPS
from .diagnosis_facts import SIDES, clock, number

WIDTH = 720
LEFT, RIGHT = 64, 16
PANEL_H, GAP, AXIS_H = 70, 26, 22

# key, label, unit, smallest top of the scale, the threshold and which side of it is poor.
MEASURES = (
    ("rtt_ms", "Round trip", "ms", 100.0, RTT_POOR_MS),
    ("packet_loss_pct", "Packet loss", "%", 2.0, LOSS_POOR_PCT),
    ("bitrate_kbps", "Received bitrate", "kbit/s", 500.0, VIDEO_POOR_KBPS),
    ("frames_per_second", "Frame rate", "fps", 30.0, VIDEO_POOR_FPS),
)


def _nice_top(peak: float, floor: float) -> float:
    """A round top for the scale: 1, 2 or 5 times a power of ten, at least `floor`."""
    peak = max(peak, floor)
    power = 10 ** math.floor(math.log10(peak))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= peak)


def _label(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


def quality_chart(samples: Sequence[Mapping], *, media: str, start_s: float = 0.0, end_s: float | None = None) -> dict:
    """The chart's geometry; `start_s`/`end_s` (seconds since the invitation) bound the time axis."""
    offsets = [s["offset_s"] for s in samples]
    first = min([start_s, *offsets]) if offsets else start_s
    last = max([end_s or 0.0, *offsets, first + 1.0])
    span = last - first
    inner = WIDTH - LEFT - RIGHT

    def x(offset: float) -> float:
        return round(LEFT + (offset - first) / span * inner, 1)

    measures = [m for m in MEASURES if m[0] != "frames_per_second" or media == "video"]
    panels = []
    for index, (key, label, unit, floor, threshold) in enumerate(measures):
        if key == "bitrate_kbps" and media != "video":
            floor, threshold = 100.0, math.inf  # a voice call's audio needs far less: no video threshold
        top = index * (PANEL_H + GAP) + GAP
        values = [v for s in samples if (v := number(s.get(key))) is not None]
        scale = _nice_top(max(values, default=0.0), floor)

        def y(value: float, top: int = top, scale: float = scale) -> float:
            return round(top + PANEL_H - min(value, scale) / scale * PANEL_H, 1)

        lines = []
        for side in SIDES:
            segments: list[list[tuple[float, float]]] = [[]]
            for sample in samples:
                if sample.get("actor") != side:
                    continue
                value = number(sample.get(key))
                if value is None:
                    if segments[-1]:
                        segments.append([])  # a gap where the side sent no value
                    continue
                segments[-1].append((x(sample["offset_s"]), y(value)))
            polylines = [" ".join(f"{px},{py}" for px, py in seg) for seg in segments if len(seg) > 1]
            dots = [seg[0] for seg in segments if len(seg) == 1]
            lines.append({"side": side, "polylines": polylines, "dots": dots})
        panels.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "top": top,
                "bottom": top + PANEL_H,
                "label_y": top - 8,
                "max_label": _label(scale),
                "max_y": top + 4,
                "threshold": {"y": y(threshold), "label": f"{_label(threshold)} {unit}"} if threshold < scale else None,
                "lines": lines,
                "empty": not values,
            }
        )
    height = len(panels) * (PANEL_H + GAP) + AXIS_H
    ticks = [first + span * i / 4 for i in range(5)]
    return {
        "width": WIDTH,
        "height": height,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "panels": panels,
        "ticks": [{"x": x(t), "label": clock(t)} for t in ticks],
        "tick_y": height - 6,
        "restarts": _restart_marks(samples, x),
        "plot_bottom": height - AXIS_H,
    }


def _restart_marks(samples: Sequence[Mapping], x) -> list[dict]:
    """Where a side's ICE restart count went up (the first sample that counts the new restart)."""
    marks, counts = [], dict.fromkeys(SIDES, 0)
    for sample in samples:
        side, count = sample.get("actor"), number(sample.get("ice_restarts"))
        if side in counts and count is not None and count > counts[side]:
            counts[side] = int(count)
            marks.append({"x": x(sample["offset_s"]), "side": side, "count": int(count)})
    return marks
