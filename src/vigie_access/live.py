"""The live view's names.

The gateway's path is `/live/<grant>/live.m3u8` and `/live/<grant>/<segment>.ts`; the
recorder's is `<live_path>/<source>/<same name>`. Every request is decided by
`AccessCore.authorize`; what nginx delivered is accounted by `vigie_access.delivery`.
"""

from __future__ import annotations

import re

PLAYLIST = "live.m3u8"
# The recorder's live segment names (roles/recorder: `live<number>.ts`), nothing else.
SEGMENT = re.compile(r"^live[0-9]{1,20}\.ts$")


def valid_name(name: str) -> bool:
    return name == PLAYLIST or SEGMENT.match(name) is not None
