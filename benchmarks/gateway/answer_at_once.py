"""Bench-only launcher: `vigie-access` as it answered before the journal became
durable, for `make bench-gateway`'s side-by-side comparison (never deployed, not
part of the package; production has no switch that does this).

Everything is the service's own code and entry point (`vigie_access.__main__`):
the same handler journals every decision through the same `SharedJournal`, whose
writer still appends and fsyncs in groups. The only change: an allowed view no
longer waits for its entry to be on disk — `SharedJournal.wait` (what the
auth_request handler awaits) and `wait_sync` (its thread twin) return True at once,
as the service answered before (entry queued, written off the request path).
A journal that is down still refuses views (the handler checks `healthy` itself).

    python -m benchmarks.gateway.answer_at_once run --config CONFIG
"""

from __future__ import annotations

import sys

from vigie_access import journal


async def _at_once(self, tickets, timeout: float) -> bool:
    return True


def _at_once_sync(self, tickets, timeout: float) -> bool:
    return True


journal.SharedJournal.wait = _at_once
journal.SharedJournal.wait_sync = _at_once_sync

if __name__ == "__main__":
    from vigie_access.__main__ import main

    sys.exit(main())
