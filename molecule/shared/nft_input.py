"""What a host's nftables input chain lets in, read from `nft -j list ruleset`.

Shared by the molecule scenarios that prove a read-only server answers its
readers only (roles/recorder: segments on 8088; roles/detector_host: still
images on 8089): the verify step asks which sources an accept rule could let a
new TCP connection to the port in from.
"""

from __future__ import annotations

import json


def _key(left) -> str:
    return json.dumps(left, sort_keys=True)


DPORT = _key({"payload": {"protocol": "tcp", "field": "dport"}})


def input_policy(ruleset) -> str:
    chain = next(
        i["chain"]
        for i in ruleset["nftables"]
        if "chain" in i and i["chain"]["table"] == "vigie" and i["chain"]["name"] == "input"
    )
    return chain["policy"]


def matches(rule) -> dict:
    """{left side: right side} of the rule's `match` expressions, as nft -j prints them."""
    return {_key(e["match"]["left"]): e["match"]["right"] for e in rule["expr"] if "match" in e}


def _may_accept(rule, port: int) -> bool:
    """An accept rule that a new TCP connection to `port` could hit."""
    if not any("accept" in e for e in rule["expr"]):
        return False
    for left, right in matches(rule).items():
        if '"ct"' in left or '"iifname"' in left:
            return False  # established/related, loopback
        if (
            '"dport"' in left
            and right != port
            and not (
                isinstance(right, dict)
                and "range" in right
                and right["range"][0] <= port <= right["range"][1]
            )
        ):
            return False
        if '"l4proto"' in left and right != "tcp":
            return False
        if '"icmpv6"' in left:
            return False
    return True


def rules_accepting(ruleset, port: int) -> list:
    """The vigie input rules that may accept a new TCP connection to `port`."""
    return [
        item["rule"]
        for item in ruleset["nftables"]
        if "rule" in item
        and item["rule"]["table"] == "vigie"
        and item["rule"]["chain"] == "input"
        and _may_accept(item["rule"], port)
    ]


def saddr(rule) -> str | None:
    """The rule's source prefix (a bare address as /32), None when it has none (any source)."""
    for left, right in matches(rule).items():
        if '"saddr"' in left:
            if isinstance(right, dict) and "prefix" in right:
                return f"{right['prefix']['addr']}/{right['prefix']['len']}"
            return f"{right}/32"
    return None
