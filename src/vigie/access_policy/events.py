"""Event classes, ways in and actions: the closed vocabulary of access decisions."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# The three lawful ways in; anything else is refused (ACCESS-WAY-OTHER).
WAYS = ("detector", "alarm", "requisition")
# What a detector or a building alarm reports.
CLASSES = ("intrusion", "tamper", "fire")
# The columns of `vigie access matrix`: a way and a class, in one word.
EVENT_CLASSES = ("intrusion", "tamper", "fire", "alarm-intrusion", "alarm-fire", "requisition")
ALARM_KIND_CLASS = {"intrusion_panel": "intrusion", "fire_alarm": "fire"}
# view_clip: the recorded window; view_live: live view during the live window;
# extend: once, with a reason; export: four eyes (or an approved requisition);
# break_glass: a supervisor, with a reason, the DPO alerted.
ACTIONS = ("view_clip", "view_live", "extend", "export", "break_glass")
# Officers of the judicial police belong to these agencies (requisitions).
JUDICIAL_POLICE_KINDS = ("police_nationale", "gendarmerie")


def written(reason: str) -> bool:
    """Does `reason` say anything? At least one visible character: a letter, digit,
    mark, punctuation or symbol. Blank, whitespace of any script (NBSP, ideographic
    space...) and invisible format characters (zero-width space, BOM...) say nothing.
    Computed once, here: the model reads it and the Cedar context carries it."""
    return any(unicodedata.category(ch)[0] not in "CZ" for ch in reason)


@dataclass(frozen=True, slots=True)
class Event:
    """How footage is reached: `way` and `event_class` ("" for a requisition)."""

    way: str
    event_class: str = ""
    source: str = ""  # the alarm source's identity (way "alarm")

    @classmethod
    def parse(cls, name: str, source: str = "") -> Event:
        """`intrusion`, `alarm-fire`, `requisition`... (a column of the matrix)."""
        if name == "requisition":
            return cls("requisition")
        if name.startswith("alarm-"):
            return cls("alarm", name.removeprefix("alarm-"), source)
        return cls("detector", name, source)

    @property
    def name(self) -> str:
        if self.way == "requisition":
            return "requisition"
        return f"alarm-{self.event_class}" if self.way == "alarm" else self.event_class


@dataclass(frozen=True, slots=True)
class Request:
    """One question to the policy: may `operator` do `action` on `camera` for `event`?

    `camera` is `SITE/CAMERA`; `approver` the second person of an export (four eyes);
    `approved_by` who approved a requisition; `reason` the written reason of an
    extension or a break-glass.
    """

    operator: str
    action: str
    camera: str
    event: Event
    approver: str = ""
    approved_by: str = ""
    reason: str = ""

    @property
    def agency(self) -> str:
        return self.operator.split("/", 1)[0]

    @property
    def reason_given(self) -> bool:
        return written(self.reason)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    rule: str  # the id of the rule that decided (vigie.access_policy.decision_rules.DECISION_RULES)
    reason: str  # in words, for the journal and `vigie access explain`
