"""vigie: one model of the Yvelines video-protection platform, many outputs.

The declarative inventory (sites, fibre, cameras, agencies, authorisations) is
loaded and checked here; the Ansible inventory plugin, the `vigie` command and
the Pulumi program all import this package.
"""

__version__ = "0.1.0"
