# Pulumi stacks (issue 5): pulumi/README.md.
#   make test-pulumi       program, components, policy pack, secrets format (mocks, no CLI)
#   make lab-detectors     the lab stack's detectors (pulumi up, or the mock run replayed)
#   make test-pulumi-lab   with the lab up: those detectors run and publish to its broker
#   make bench-pulumi      sharding and program time for the pilot and synthetic départements
.PHONY: test-pulumi lab-detectors test-pulumi-lab bench-pulumi
TEST_TARGETS += test-pulumi
BENCH_TARGETS += bench-pulumi

test-pulumi: setup ## Pulumi program and policy pack under pulumi.runtime mocks
	$(BIN)/pytest -q pulumi/tests -m "not lab"

lab-detectors: setup ## start the lab stack's detector containers on the lab's detector hosts
	$(BIN)/python pulumi/lab_detectors.py

test-pulumi-lab: setup ## with the lab up: the lab stack's detectors run and publish to MQTT
	$(BIN)/pytest -q pulumi/tests -m lab

bench-pulumi: setup ## stack scaling: pilot vs synthetic 1,000 / 4,000 cameras, side by side
	$(BIN)/python pulumi/bench/bench_stack.py
