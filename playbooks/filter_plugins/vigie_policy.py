"""Turn a gateway's access policy (docs/CONTRACT.md `vigie_policy`) into firewall rules.

A flow names VLANs of the site (`cameras`, `recorders`, ...); the firewall role
takes prefixes. Kept in Python rather than Jinja so that it is tested and its
errors name the flow.
"""

from ansible.errors import AnsibleFilterError
from netaddr import AddrFormatError, IPNetwork


def _prefix(name, prefixes, flow):
    if name in prefixes:
        return prefixes[name]
    try:
        return str(IPNetwork(name).cidr)
    except (AddrFormatError, ValueError, TypeError):
        raise AnsibleFilterError(
            f"vigie_policy flow {flow}: {name!r} is neither a VLAN of the site "
            f"({', '.join(sorted(prefixes))}) nor a prefix"
        ) from None


def vigie_policy_rules(policy, prefixes):
    rules = []
    for flow in policy:
        rule = {
            "proto": flow["proto"],
            "saddr": _prefix(flow["from"], prefixes, flow),
            "daddr": _prefix(flow["to"], prefixes, flow),
            "comment": flow["why"],
        }
        if flow.get("port") is not None:
            rule["port"] = flow["port"]
        rules.append(rule)
    return rules


class FilterModule:
    def filters(self):
        return {"vigie_policy_rules": vigie_policy_rules}
