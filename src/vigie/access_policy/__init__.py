"""Who may see which footage, when: the access policy derived from the inventory.

- `vigie.access_policy.competence`: the model's own derivation of who is competent (the
  law as code).
- `vigie.access_policy.cedar`: the same law as a Cedar policy set, schema and entities.
- `vigie.access_policy.policy.AccessPolicy`: what the gateway calls (decisions by the Cedar engine).
- `vigie.access_policy.tokens`: short-lived viewing tokens bound to a certificate and a grant.
docs/access.md describes the API and, for an auditor, who can see what.
"""
