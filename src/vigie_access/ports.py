"""What the access service needs from the policy, the tokens and the journal
(the `vigie.access_policy` and `vigie.audit`); `adapters.py` binds them to the model.
Tokens are `vigie.access_policy.tokens.TokenAuthority`, used as is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


class Source(Protocol):
    """Where a camera's footage is: the hand-over's camera (vigie.desired.gateway)."""

    key: str  # the recorder's folder: <site>-<camera>
    site: str
    camera: str
    recorder: str  # the recorder's host name


@dataclass(frozen=True)
class Competent:
    agency: str
    rule: str  # the rule id that made this agency competent


@dataclass(frozen=True)
class AccessTerms:
    """The `access:` block of the site: window around the event, live view, token."""

    before: dt.timedelta
    after: dt.timedelta
    live: dt.timedelta
    token_lifetime: dt.timedelta
    extension: dt.timedelta
    break_glass: dt.timedelta


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    rule: str
    reason: str


class Policy(Protocol):
    def competent(self, site: str, camera: str, cls: str, origin: str) -> list[Competent]:
        """Agencies to grant for an event; `origin` is `detector` or `alarm:<identity>`."""
        ...

    def authorize(
        self,
        operator: str,
        action: str,
        site: str,
        camera: str,
        cls: str,
        origin: str,
        approver: str = "",
        reason: str = "",
        approved_by: str = "",
    ) -> Verdict: ...
    def terms(self, site: str) -> AccessTerms: ...
    def knows_operator(self, operator: str) -> bool: ...
    def is_admin(self, agency: str) -> bool: ...
    def site_info(self, site: str, agency: str) -> dict: ...
    def roles(self, operator: str) -> dict: ...
    def requisition_approver(self, site: str) -> str: ...
    def cameras(self) -> list[dict]: ...
    def supervision_agencies(self) -> list[str]:
        """The département's supervision: told when grants are capped or a detector floods."""
        ...


class Journal(Protocol):
    def append(self, entry: dict) -> None: ...
