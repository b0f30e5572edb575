"""Generated host names are unique across the whole inventory.

Host names are built from ids by `vigie.names`, the one place the desired state
takes them from too (`<site>-<camera>`, `<site>-rec<N>`, `<site>-det<N>`,
`<site>-gw`), so two different objects can produce the same
one: camera `b-cam1` of site `a` and camera `cam1` of site `a-b` (two files),
or a camera named `rec1`, `det1` or `gw`. Ansible, DNS and the firewall would
silently merge the two hosts.
"""

from __future__ import annotations

from vigie.names import detector_host_name, recorder_name
from vigie.rules import Context, Finding, rule


def generated_hosts(ctx: Context):
    """(host name, object, field, what) for every host the inventory generates."""
    for site in ctx.inv.sites.values():
        yield site.gateway, site, "id", f"the gateway of site {site.id}"
        for rec in site.recorders:
            yield recorder_name(site.id, rec.id), rec, "id", f"recorder {rec.id} of site {site.id}"
        for det in site.detector_hosts:
            name = detector_host_name(site.id, det.id)
            yield name, det, "id", f"detector host {det.id} of site {site.id}"
    # Cameras last, so that a clash is reported on the camera, the usual culprit.
    for site in ctx.inv.sites.values():
        for cam in site.cameras:
            yield cam.host_name, cam, "id", f"camera {cam.id} of site {site.id}"


@rule(
    "REF-HOST-NAME",
    "vigie data model: one name per host (Ansible inventory, DNS, firewall sets)",
    "generated host names (site-camera, site-recN, site-detN, site-gw) never collide",
)
def host_names_unique(ctx: Context):
    seen: dict[str, tuple] = {}
    for name, obj, field, what in generated_hosts(ctx):
        if name in seen:
            first_obj, first_field, first_what = seen[name]
            where = first_obj.src_of(first_field)
            yield Finding(
                obj,
                field,
                f"host name {name!r} of {what} is already the name of {first_what} "
                f"({where.path}:{where.line})",
                "rename the camera (or the site): ids joined with '-' must stay distinct",
            )
        else:
            seen[name] = (obj, field, what)
