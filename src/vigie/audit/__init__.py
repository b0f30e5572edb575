"""The audit journal nobody can rewrite.

- `vigie.audit.merkle`: RFC 6962/9162 tree hashing, inclusion and consistency proofs.
- `vigie.audit.note`: C2SP signed notes: `tlog-checkpoint` (Ed25519) and `tlog-cosignature`.
- `vigie.audit.journal.Journal`: append entries, sign checkpoints, prove.
- `vigie.audit.witness.Witness`: cosigns a checkpoint only after checking consistency.
- `vigie.audit.follow`: the witness's append-only copy, pulled from the central host.
- `vigie.audit.verify`: what `vigie audit verify` runs.
"""
