"""The recorder's segments as the gateway sees them, and the HLS playlist of a window.

A recorder files `<storage>/<source>/<YYYY-MM-DD>/<source>_<YYYYmmddTHHMMSSZ>.ts`
(roles/recorder, ffmpeg's segment muxer, UTC) and serves that tree read-only
with nginx's JSON autoindex. A segment's start is in its name; it lasts until
the next one starts (or `segment_seconds` for the last one).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

SOURCE_RE = r"[a-z0-9](?:[a-z0-9-]{0,80}[a-z0-9])?"
# The only segment path the gateway ever serves: no `..`, no escapes, no other file.
SEGMENT_PATH = re.compile(
    rf"^(?P<source>{SOURCE_RE})/(?P<day>\d{{4}}-\d{{2}}-\d{{2}})/"
    rf"(?P=source)_(?P<stamp>\d{{8}}T\d{{6}}Z)\.ts$"
)
FILE_NAME = re.compile(r"^(?P<source>.+)_(?P<stamp>\d{8}T\d{6}Z)\.ts$")


@dataclass(frozen=True)
class Segment:
    source: str
    start: dt.datetime
    path: str  # relative to the recorder's storage root

    @property
    def day(self) -> str:
        return self.start.strftime("%Y-%m-%d")


def parse_stamp(stamp: str) -> dt.datetime:
    """`YYYYmmddTHHMMSSZ` (already matched by the pattern): sliced by hand, as
    strptime costs more than the rest of a decision (ValueError if impossible)."""
    return dt.datetime(
        int(stamp[0:4]),
        int(stamp[4:6]),
        int(stamp[6:8]),
        int(stamp[9:11]),
        int(stamp[11:13]),
        int(stamp[13:15]),
        tzinfo=dt.UTC,
    )


def parse_segment_path(path: str) -> Segment | None:
    """A segment from its relative path, or None for anything else."""
    m = SEGMENT_PATH.match(path)
    if not m:
        return None
    try:
        start = parse_stamp(m["stamp"])
    except ValueError:
        return None
    stamp = m["stamp"]
    if m["day"] != f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}":
        return None
    return Segment(m["source"], start, path)


def segment_name(source: str, start: dt.datetime) -> str:
    start = start.astimezone(dt.UTC)
    return f"{source}/{start:%Y-%m-%d}/{source}_{start:%Y%m%dT%H%M%SZ}.ts"


def days(start: dt.datetime, end: dt.datetime) -> list[str]:
    out, day = [], start.date()
    while day <= end.date():
        out.append(day.isoformat())
        day += dt.timedelta(days=1)
    return out


def overlaps(seg_start: dt.datetime, seg_seconds: float, start: dt.datetime, end: dt.datetime):
    return seg_start < end and seg_start + dt.timedelta(seconds=seg_seconds) > start


@dataclass
class Window:
    segments: list[tuple[Segment, float]]  # (segment, duration in seconds)
    missing: list[str]  # human-readable gaps: recorder down, footage purged
    live: bool  # more segments will come


def select(
    names: list[str],
    source: str,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    segment_seconds: float,
    settle_seconds: float,
) -> list[tuple[Segment, float]]:
    """Finished segments of `source` overlapping [start, end), with their durations.
    The segment still being written is left out (a growing file is not a segment)."""
    segs = sorted(
        (s for n in names if (s := parse_segment_path(n)) and s.source == source),
        key=lambda s: s.start,
    )
    out = []
    for i, seg in enumerate(segs):
        nxt = segs[i + 1].start if i + 1 < len(segs) else None
        if nxt is not None:
            duration = (nxt - seg.start).total_seconds()
        else:
            duration = segment_seconds
            if seg.start + dt.timedelta(seconds=segment_seconds + settle_seconds) > now:
                continue  # still being recorded
        duration = min(duration, segment_seconds)
        if overlaps(seg.start, duration, start, end):
            out.append((seg, duration))
    return out


def playlist(window: Window, segment_seconds: float) -> str:
    """HLS media playlist. The recorder resets timestamps at every segment, so
    each one follows a discontinuity; EVENT while the live window is open."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{max(1, round(segment_seconds))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        f"#EXT-X-PLAYLIST-TYPE:{'EVENT' if window.live else 'VOD'}",
    ]
    for gap in window.missing:
        lines.append(f"# missing: {gap}")
    for seg, duration in window.segments:
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{seg.start.isoformat(timespec='seconds')}")
        lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXTINF:{duration:.3f},")
        lines.append(seg.path)
    if not window.live:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
