# Pulumi stacks (issue 5): unit tests under mocks, policy pack tests, lab detectors.
.PHONY: test-pulumi lab-detectors
TEST_TARGETS += test-pulumi

test-pulumi: setup ## Pulumi program and policy pack, under pulumi.runtime mocks
	$(BIN)/pytest -q pulumi/tests -m "not lab"

lab-detectors: setup ## start the lab stack's detector containers (pulumi up, or the same stack replayed without the CLI)
	$(BIN)/python pulumi/lab_detectors.py
