# The source of truth: the vigie model, validator, planner and inventory plugin.
#   make test-inventory     every test of tests/inventory (about 30 s, no container)
#   make bench-inventory    validate and ansible-inventory at scale, plugin vs static YAML
#   make inventory-summary  the pilot's summary (what `make lab` prints)
#   make test-contract      every field a rule checks has a consumer that enforces it (seconds)
.PHONY: test-inventory test-contract bench-inventory validate-inventories inventory-summary
TEST_TARGETS  += test-inventory test-contract
BENCH_TARGETS += bench-inventory

validate-inventories: setup ## vigie validate on the pilot and production inventories
	$(BIN)/vigie validate inventories/pilot
	$(BIN)/vigie validate inventories/production

test-inventory: setup validate-inventories ## tests of the model, rules, plan and inventory plugin
	$(BIN)/pytest -q -p no:cacheprovider tests/inventory

test-contract: setup ## the contract test: checked fields -> enforcing components and their tests
	$(BIN)/pytest -q -p no:cacheprovider -rxX tests/contract

inventory-summary: setup ## sites, cameras, recorders, storage and fibre load of the pilot
	$(BIN)/vigie summary inventories/pilot

bench-inventory: setup ## validate, ansible-inventory and site.yml to its first task, plugin vs static YAML
	$(BIN)/python benchmarks/inventory/bench.py
