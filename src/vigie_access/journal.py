"""Every decision of the service goes to the Merkle journal (`vigie.audit`).

The journal's signing key lives with the service's keys (created on the host by
`vigie-access keygen`, never in git); its public key (`journal.vkey`, C2SP
verifier key) is what `vigie audit verify JOURNAL --key` checks against.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
from pathlib import Path

from vigie.audit.journal import ENTRIES, Journal, JournalError, safe_entry, safe_value
from vigie.audit.note import NoteError, Signer, Verifier

log = logging.getLogger("vigie-access.journal")

JOURNAL_KEY = "journal-ed25519.pem"
JOURNAL_VKEY = "journal.vkey"
ORIGIN = "vigie-access"


def ensure_key(folder: Path) -> None:
    """Create the journal's signing key and its public verifier key if missing."""
    key = folder / JOURNAL_KEY
    if not key.exists():
        signer = Signer.generate(ORIGIN)
        # The verifier text must parse back (a `+` inside the base64 part trips
        # Verifier.parse's rsplit today): draw again until it round-trips.
        while not _round_trips(signer):
            signer = Signer.generate(ORIGIN)
        key.write_bytes(signer.pem())
        key.chmod(0o600)
        (folder / JOURNAL_VKEY).write_text(signer.verifier.text() + "\n")


def _round_trips(signer: Signer) -> bool:
    try:
        return Verifier.parse(signer.verifier.text()).text() == signer.verifier.text()
    except NoteError:
        return False


class JournalUnavailable(Exception):
    """The journal cannot take an entry now (its backlog is full): the decision that
    needed it is refused."""


class Ticket:
    """One entry on its way to the disk. `durable` once fsynced; `withheld` when the
    decision it records was refused for want of a journal (the entry says so);
    `refused` when the journal could not take it as it was (a substitute says so);
    `seq` its rank among the entries appended since the service started."""

    __slots__ = ("durable", "entry", "refused", "seq", "withheld")

    def __init__(self, entry: dict, seq: int = 0):
        self.entry, self.seq = entry, seq
        self.durable = self.refused = self.withheld = False


class SharedJournal:
    """The MQTT thread and the HTTP loop both journal. Entries go through a queue to
    one writer thread, in order; the writer takes every entry queued, appends them,
    fsyncs once (group commit) and then wakes whoever waits on them (`wait`,
    `wait_sync`): a viewing decision is answered "allow" only once its entry is on
    disk. A checkpoint is signed every `interval_s` seconds.

    It fails closed: when an append or an fsync fails (ENOSPC, EROFS, EIO) the
    journal is down (`healthy` false, listeners told once, an ERROR logged), the
    entries not written stay queued and the writer tries again every `retry_s`
    seconds, until it can write again. Past `max_backlog` entries waiting, `append`
    refuses (JournalUnavailable) rather than drop one. An entry the journal refuses
    outright (no `action`, a `seq`) is replaced by one saying so, and counted as a
    failed write. `close()` writes what it can and signs a last checkpoint."""

    def __init__(
        self,
        path: str | Path,
        signer: Signer,
        interval_s: float = 1.0,
        *,
        retry_s: float = 1.0,
        max_backlog: int = 100_000,
    ):
        self._journal = Journal(path, signer, origin=ORIGIN, checkpoint_interval_s=1e9)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._interval, self._retry = interval_s, retry_s
        self.max_backlog = max_backlog
        self.healthy = True
        self.failures = 0  # failed attempts to write (each one an ERROR line)
        self.reason = ""  # why the journal is down
        self._backlog_n = 0  # taken by the writer, not yet durable
        # Entries are written in the order appended: every entry up to `durable_seq`
        # is on disk (what an MQTT acknowledgement waits for, `wait_written`).
        self.appended_seq = self.durable_seq = 0
        self._put = threading.Lock()
        self._listeners: list = []
        self._lock = threading.Lock()
        self._synced = threading.Condition(self._lock)
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []
        self._local = threading.local()
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write, name="journal", daemon=True)
        self._writer.start()

    # -- callers --------------------------------------------------------------------------
    @property
    def backlog(self) -> int:
        """Entries not yet durable (queued, or waiting for the disk to come back)."""
        return self._queue.qsize() + self._backlog_n

    def listen(self, fn) -> None:
        """`fn(event, reason)` from the writer thread: event `down` (once, when the
        journal stops writing), `failed` (every failed attempt), `up` (written again)."""
        self._listeners.append(fn)

    def append(self, entry: dict) -> Ticket:
        if self._queue.qsize() + self._backlog_n >= self.max_backlog:
            self._tell("failed", f"backlog of {self.max_backlog} entries full: refused")
            raise JournalUnavailable(f"journal backlog full ({self.max_backlog} entries)")
        entry = safe_entry(entry)
        if "time" not in entry:  # the decision's time, not the (later) write's
            entry["time"] = round(time.time(), 3)
        with self._put:  # ranks in the queue's order
            self.appended_seq += 1
            ticket = Ticket(entry, self.appended_seq)
            self._queue.put(ticket)
        collected = getattr(self._local, "tickets", None)
        if collected is not None:
            collected.append(ticket)
        return ticket

    @contextlib.contextmanager
    def collect(self):
        """The tickets of the entries this thread appends inside the block (the
        decision of one request, journaled by the core)."""
        outer = getattr(self._local, "tickets", None)
        self._local.tickets = tickets = []
        try:
            yield tickets
        finally:
            self._local.tickets = outer
            if outer is not None:
                outer.extend(tickets)

    async def wait(self, tickets: list[Ticket], timeout: float) -> bool:
        """True once every ticket is durable; False as soon as the journal is down,
        or after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            with self._lock:
                if any(t.refused for t in tickets):
                    return False
                if all(t.durable for t in tickets):
                    return True
                if not self.healthy or loop.time() >= end:
                    return False
                fut = loop.create_future()
                self._waiters.append((loop, fut))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, end - loop.time())

    def wait_sync(self, tickets: list[Ticket], timeout: float) -> bool:
        """`wait` for a thread."""
        end = time.monotonic() + timeout
        with self._synced:
            while not all(t.durable for t in tickets):
                left = end - time.monotonic()
                if not self.healthy or left <= 0:
                    return False
                self._synced.wait(left)
            return not any(t.refused for t in tickets)

    def wait_written(self, seq: int, timeout: float) -> bool:
        """True once every entry up to `seq` is on disk (refused ones as their
        substitute). Unlike `wait`, an outage does not end the wait: the entries stay
        queued and are written once the disk takes writes again."""
        end = time.monotonic() + timeout
        with self._synced:
            while self.durable_seq < seq:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._synced.wait(left)
            return True

    @staticmethod
    def withhold(tickets: list[Ticket]) -> None:
        """The decision these entries record was refused (journal not durable in time):
        an entry not yet written says so."""
        for t in tickets:
            t.withheld = True

    # -- the writer ---------------------------------------------------------------------
    def _write(self) -> None:
        backlog: list[Ticket] = []
        last, signed, rolled_back = time.monotonic(), self._journal.size, True
        stopping = False
        while True:
            if not self.healthy and not stopping:
                stopping = self._stop.wait(self._retry)  # not at the pace of requests
            elif not backlog and not stopping:
                with contextlib.suppress(queue.Empty):
                    backlog.append(self._queue.get(timeout=self._interval))
            while True:  # every entry queued goes in this group
                try:
                    backlog.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if _STOP in backlog:
                stopping = True
                backlog = [t for t in backlog if t is not _STOP]
            due = time.monotonic() - last >= self._interval and self._journal.size != signed
            self._backlog_n = len(backlog)
            base = self._journal.durable_size  # where backlog[0] goes once rolled back
            try:
                if not rolled_back:
                    self._journal.rollback()
                    rolled_back = True
                for t in backlog:
                    self._append(t)
                if backlog or not self.healthy:
                    self._journal.flush(sync=True)
                if (due or not self.healthy or stopping) and self._journal.size != signed:
                    self._journal.checkpoint()
                    last, signed = time.monotonic(), self._journal.size
            except Exception as exc:  # ENOSPC, EROFS, EIO, anything: fail closed, retry
                rolled_back = False
                with contextlib.suppress(Exception):
                    self._journal.rollback()
                    rolled_back = True
                done = max(0, self._journal.durable_size - base) if rolled_back else 0
                self._done(backlog[:done])
                backlog = backlog[done:]
                self._backlog_n = len(backlog)
                self._failed(exc, len(backlog))
                if stopping:
                    if backlog:
                        log.error("journal closed with %d entries never written", len(backlog))
                    return
                continue
            self._done(backlog)
            backlog = []
            self._backlog_n = 0
            if not self.healthy:
                self._recovered()
            if stopping:
                return

    def _append(self, t: Ticket) -> None:
        entry = t.entry
        if t.withheld:
            entry = {**entry, "withheld": "not served: journal not durable in time"}
        try:
            self._journal.append(entry)
        except (JournalError, ValueError, TypeError) as exc:  # never writable as it is
            self.failures += 1
            log.error("journal entry refused (%s); journaled as unwritable", exc)
            self._tell("failed", f"entry refused: {exc}")
            self._journal.append(
                {
                    "action": str(entry.get("action", "unknown"))[:100],
                    "decision": "deny",
                    "result": "unwritable",
                    "rule": "ACCESS-JOURNAL",
                    "reason": safe_value(f"entry refused by the journal: {exc}"),
                    "time": entry.get("time", round(time.time(), 3)),
                }
            )
            t.refused = True  # its decision must not be served: `wait` sees it fail

    def _done(self, tickets: list[Ticket]) -> None:
        with self._lock:
            for t in tickets:
                t.durable = True
            if tickets:
                self.durable_seq = tickets[-1].seq
            waiters, self._waiters = self._waiters, []
            self._synced.notify_all()
        by_loop: dict = {}
        for loop, fut in waiters:
            by_loop.setdefault(loop, []).append(fut)
        for loop, futs in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a loop already closed
                loop.call_soon_threadsafe(_wake, futs)

    def _failed(self, exc: Exception, pending: int) -> None:
        self.failures += 1
        reason = f"{type(exc).__name__}: {exc}"
        log.error(
            "journal cannot be written (%s); %d entries waiting, viewing refused until "
            "it can (retry every %s s)",
            reason,
            pending,
            self._retry,
        )
        with self._lock:
            was, self.healthy, self.reason = self.healthy, False, reason
        self._done([])  # waiters learn it now, not at their timeout
        self._tell("failed", reason)
        if was:
            self._tell("down", reason)

    def _recovered(self) -> None:
        with self._lock:
            self.healthy, reason, self.reason = True, self.reason, ""
        log.error("journal written again after: %s", reason)
        self._tell("up", reason)

    def _tell(self, event: str, reason: str) -> None:
        for fn in self._listeners:
            try:
                fn(event, reason)
            except Exception:
                log.exception("journal listener failed on %s", event)

    def close(self) -> None:
        self._stop.set()
        self._queue.put(_STOP)
        self._writer.join(30)
        try:
            self._journal.checkpoint()
            self._journal.close()
        except Exception as exc:
            log.error("journal not closed cleanly: %s: %s", type(exc).__name__, exc)


def _wake(futs: list) -> None:
    for fut in futs:
        if not fut.done():
            fut.set_result(None)


_STOP = object()


def open_journal(cfg) -> SharedJournal:
    keys = Path(cfg.keys)
    signer = Signer.from_pem(ORIGIN, (keys / JOURNAL_KEY).read_bytes())
    return SharedJournal(cfg.journal, signer)


def read_entries(path: str | Path) -> list[dict]:
    """The journal's complete entries: a line the service is still writing is left
    out (read while it appends, the tail can be half a line)."""
    data = (Path(path) / ENTRIES).read_bytes()
    data = data[: data.rfind(b"\n") + 1]
    return [json.loads(line) for line in data.splitlines() if line]
