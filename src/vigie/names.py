"""Host names of the platform, built in this one place (docs/CONTRACT.md).

Every consumer (inventory plugin, Pulumi program, lab, plan) takes names from
`vigie.desired.DesiredState`, which takes them from here.
"""

from __future__ import annotations


def gateway_name(site_id: str) -> str:
    return f"{site_id}-gw"


def recorder_name(site_id: str, number: int) -> str:
    return f"{site_id}-rec{number}"


def detector_host_name(site_id: str, number: int) -> str:
    return f"{site_id}-det{number}"


def camera_name(site_id: str, camera_id: str) -> str:
    return f"{site_id}-{camera_id}"


def site_group(site_id: str) -> str:
    return "site_" + site_id.replace("-", "_")


def default_credential(site_id: str) -> str:
    """Vault variable of a site's camera login when the inventory names none."""
    return "vault_camera_" + site_id.replace("-", "_")


def detector_client_id(host: str, container: str) -> str:
    """MQTT client id of one detector container: the containers of a host share
    its certificate (identity = host name) but each needs its own session."""
    return f"{host}-{container}"


def central_host_name(number: int) -> str:
    """A datacenter host of the central services (CA, broker, access gateway)."""
    return f"vigie-central{number}"


def witness_host_name(number: int) -> str:
    """A host of the audit journal's witness (the DPO's), off the central hosts."""
    return f"vigie-witness{number}"


def witness_tls_identity(name: str) -> str:
    """Common name of a witness's client certificate (its key name prefixed): what
    the central host's nginx lets read the journal (access_gateway__witnesses)."""
    return f"witness-{name}"
