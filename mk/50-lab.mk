# The lab: a pilot site brought up for real, see lab/README.md.
#   make lab        bring the lab up, converge twice, print what runs
#   make lab-down   remove every vigie-lab-* container, network and volume
#   make test-lab   the end-to-end tests (bring the lab up if needed, down at the end)
.PHONY: lab lab-up lab-converge lab-report lab-down test-lab test-lab-unit
TEST_TARGETS += test-lab-unit test-lab

lab: setup ## bring the lab up, converge twice (changed=0), print what runs
	bash scripts/system-deps.sh
	$(BIN)/vigie validate inventories/pilot
	$(BIN)/vigie summary inventories/pilot
	bash scripts/gateway-wheelhouse.sh .cache/wheels
	$(BIN)/python -m lab.up
	$(BIN)/python -m lab.converge
	$(BIN)/python -m lab.report
	@if $(MAKE) -n lab-detectors >/dev/null 2>&1; then $(MAKE) lab-detectors; fi
	$(BIN)/python -m lab.levee

lab-up: setup ## only bring the lab's containers up (no converge)
	$(BIN)/python -m lab.up

lab-converge: setup ## converge the running lab twice
	$(BIN)/python -m lab.converge

lab-report: setup ## print what the lab runs
	$(BIN)/python -m lab.report

lab-down: setup ## remove every vigie-lab-* container, network and volume
	$(BIN)/python -m lab.down

test-lab-unit: setup ## the lab's layout and the summary play (no Docker)
	$(BIN)/pytest -q tests/lab -m "not docker"

# The lab is brought down at the end even when a test fails; its exit status is kept.
test-lab: setup ## end to end on the lab, central services and levée de doute included (22 min at load 13)
	bash scripts/system-deps.sh
	status=0; $(MAKE) lab && VIGIE_LAB_REQUIRED=1 $(BIN)/pytest -q -s tests/lab -m docker \
	  && $(MAKE) test-pulumi-lab || status=$$?; \
	  $(BIN)/python -m lab.down; exit $$status
