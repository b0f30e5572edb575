# Issue 2, the source of truth: the vigie model, validator, planner and inventory plugin.
#   make test-inventory     every test of tests/inventory (about 30 s, no container)
#   make bench-inventory    validate and ansible-inventory at scale, plugin vs static YAML
#   make inventory-summary  the pilot's summary (what `make lab` prints)
.PHONY: test-inventory bench-inventory validate-inventories inventory-summary
TEST_TARGETS  += test-inventory
BENCH_TARGETS += bench-inventory

validate-inventories: setup ## vigie validate on the pilot and production inventories
	$(BIN)/vigie validate inventories/pilot
	$(BIN)/vigie validate inventories/production

test-inventory: setup validate-inventories ## tests of the model, rules, plan and inventory plugin
	$(BIN)/pytest -q -p no:cacheprovider tests/inventory

inventory-summary: setup ## sites, cameras, recorders, storage and fibre load of the pilot
	$(BIN)/vigie summary inventories/pilot

bench-inventory: setup ## validate and ansible-inventory on 4,000 to 40,000 synthetic cameras
	$(BIN)/python benchmarks/inventory/bench.py
