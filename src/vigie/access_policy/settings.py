"""The access settings in force at a site: the département's `access:` block, then the site's."""

from __future__ import annotations

from vigie.model import AccessSettings, Inventory, Site


def site_settings(inv: Inventory, site: Site) -> AccessSettings:
    """Field-by-field overlay of the site's `access:` over the département's."""
    base = inv.departement.access
    if site.access is None:
        return base
    overrides = {k: v for k, v in site.access.model_dump().items() if v is not None}
    return base.model_copy(update=overrides)


def setting_source(inv: Inventory, site: Site, field: str):
    """Where the value in force was written (for `path:line` diagnostics)."""
    if site.access is not None and getattr(site.access, field, None) is not None:
        return site.access.src_of(field)
    return inv.departement.access.src_of(field)
