# The central tier's replicated state: PostgreSQL 15 under Patroni with etcd,
# two database nodes and a quorum witness (roles/central_db, docs/central-ha.md).
# Joins `make test-roles` like the other central roles (mk/75-gateway.mk): the
# scenario kills the leader's container and partitions a node with nftables
# (about 6 min).
CENTRAL_DB_ROLES := central_db
ROLES += $(CENTRAL_DB_ROLES)
.PHONY: $(CENTRAL_DB_ROLES:%=molecule-%)
$(CENTRAL_DB_ROLES:%=molecule-%): molecule-%: setup
	$(molecule_recipe)
