"""Exports with four eyes: one operator asks (with a reason), a second operator of
the same agency approves; only then are the window's segments copied, listed in a
manifest with their SHA-256, and the manifest signed (Ed25519). The manifest's
SHA-256 goes to the journal, so the export can be checked years later.

An export is produced once: a second approval (the same person or another, even
while the first is still copying) is refused, never a second copy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vigie_access.identity import Identity
from vigie_access.store import iso

# Exports being written: a second approval arriving meanwhile is refused.
_writing: set[str] = set()


class Exporter:
    def __init__(self, core, folder: str | Path, signing_key: Ed25519PrivateKey):
        self.core, self.folder, self.key = core, Path(folder), signing_key

    def request(self, who: Identity, grant_id: str, reason: str) -> dict:
        now = dt.datetime.now(dt.UTC)
        g = self.core.store.grant(grant_id)
        rule, ok = "ACCESS-EXPORT-REQUEST", True
        if g is None or g.agency != who.agency:
            rule, ok = "ACCESS-GRANT-AGENCY", False
        elif len(reason.strip()) < 10:
            rule, ok = "ACCESS-EXPORT-REASON", False
        export_id = self.core.store.add_export(grant_id, who.name, reason, now) if ok else None
        self.core.log(
            "export_request",
            "recorded" if ok else "refused",
            rule,
            now,
            agency=who.agency,
            operator=who.name,
            camera=g.source if g else None,
            event=g.event_id if g else None,
            reason=reason[:500],
            export=export_id,
        )
        return {"export": export_id} if ok else {"refused": rule}

    async def approve(self, who: Identity, export_id: str, api) -> dict:
        now = dt.datetime.now(dt.UTC)
        ex = self.core.store.export(export_id)
        g = self.core.store.grant(ex["grant_id"]) if ex else None
        rule = None
        if ex is None or g is None or g.agency != who.agency:
            rule = "ACCESS-EXPORT-AGENCY"  # approver from the same agency only
        elif ex["requested_by"] == who.name:
            rule = "ACCESS-EXPORT-FOUR-EYES"  # never the requester
        elif ex["approved_by"] or export_id in _writing:
            rule = "ACCESS-EXPORT-DONE"
        else:  # the policy engine decides the four eyes (approver: another person, same agency)
            v = self.core.policy.authorize(
                ex["requested_by"], "export", g.site, g.camera, g.cls, g.origin, approver=who.name
            )
            rule = None if v.allowed else v.rule
        if rule:
            self.core.log(
                "export",
                "refused",
                rule,
                now,
                agency=who.agency,
                operator=who.name,
                export=export_id,
                camera=g.source if g else None,
            )
            return {"refused": rule}
        # Nothing awaited since the checks above: the mark is set before any other
        # approval of this export can run.
        _writing.add(export_id)
        try:
            manifest, digest = await self.write(ex, g, who, api, now)
            if not self.core.store.approve_export(export_id, who.name, digest):
                return {"refused": "ACCESS-EXPORT-DONE"}
        finally:
            _writing.discard(export_id)
        self.core.log(
            "export",
            "produced",
            "ACCESS-EXPORT-FOUR-EYES",
            now,
            agency=who.agency,
            operator=who.name,
            camera=g.source,
            event=g.event_id,
            export=export_id,
            sha256=digest,
            reason=ex["reason"][:500],
        )
        return {"export": export_id, "manifest_sha256": digest, "files": len(manifest["files"])}

    async def write(self, ex: dict, g, who: Identity, api, now: dt.datetime):
        out = self.folder / ex["id"]
        out.mkdir(parents=True, exist_ok=True)
        window = await api.window(g)
        base = self.core.recorder_url(self.core.sources[g.source])
        files = []
        for seg, _duration in window.segments:
            async with api.http.get(f"{base}/{seg.path}") as resp:
                resp.raise_for_status()
                data = await resp.read()
            name = Path(seg.path).name
            (out / name).write_bytes(data)
            files.append(
                {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            )
        manifest = {
            "export": ex["id"],
            "grant": g.id,
            "event": g.event_id,
            "agency": g.agency,
            "camera": g.source,
            "window": [iso(g.window_start), iso(g.window_end)],
            "requested_by": ex["requested_by"],
            "approved_by": who.name,
            "reason": ex["reason"],
            "created": iso(now),
            "missing": window.missing,
            "files": files,
        }
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        (out / "manifest.json").write_bytes(body)
        (out / "manifest.json.sig").write_bytes(self.key.sign(body))
        return manifest, hashlib.sha256(body).hexdigest()
