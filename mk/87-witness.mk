# The audit journal's witness (roles/witness): its scenario joins `make test-roles`
# with the same recipe as the other roles (mk/30-roles.mk, molecule_recipe).
# Its converge builds .cache/wheels like access_gateway's (cached on its inputs).
ROLES += witness
.PHONY: molecule-witness
molecule-witness: molecule-%: setup
	$(molecule_recipe)
