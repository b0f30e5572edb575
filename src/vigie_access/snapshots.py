"""The event's still image (snapshot), shown to the competent operator only.

The detector writes a privacy-masked JPEG on its own host when it raises an event
(vigie_detector.events.save_snapshot) and puts the file's name in the event
(`"snapshot": "<site>_<camera>_<UTC stamp>_<class>-<kind>.jpg"`); the file is
destroyed there after the camera's retention. The gateway never copies it: the
page asks `/hls/<grant>/snapshots/<name>`, nginx asks the service
(auth_request, like every segment: certificate, token bound to it, grant open,
the policy's `view_clip` for this operator, the name is the event's own), the
decision is journaled, and only then nginx fetches the file from the detector
host's read-only snapshot server (the camera's `snapshot_url` in the model's hand-over,
reachable from the gateway only).
"""

from __future__ import annotations

import datetime as dt
import re

# The detector's naming (vigie_detector.events.snapshot_name): nothing else is served.
NAME_RE = re.compile(
    r"^(?P<site>[a-z0-9-]{1,80})_(?P<camera>[a-z0-9-]{1,80})_(?P<stamp>\d{8}T\d{12}Z)"
    r"_(?:intrusion|tamper|fire)-[a-z_]{1,20}\.jpg$"
)
PREFIX = "snapshots/"
# The detector's stamp (vigie_detector.events.SNAPSHOT_STAMP): UTC, to the microsecond.
STAMP = "%Y%m%dT%H%M%S%fZ"


def valid_name(name: object, site: str, camera: str) -> bool:
    """A detector's snapshot name for this camera (no path, no escape)."""
    if not isinstance(name, str):
        return False
    m = NAME_RE.match(name)
    return bool(m) and m["site"] == site and m["camera"] == camera


def taken_at(name: str) -> dt.datetime | None:
    """When the still image was taken: the UTC stamp the detector wrote in its name
    (the event's time), or None for a name that is not a detector's."""
    m = NAME_RE.match(name) if isinstance(name, str) else None
    if not m:
        return None
    try:
        return dt.datetime.strptime(m["stamp"], STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
