# Pulumi stacks: pulumi/README.md. The lab's side lives in lab/detectors/.
#   make test-pulumi       program, components, policy pack, committed stacks (mocks, no CLI),
#                          and the lab's replay of the declared containers (no Docker)
#   make lab-detectors     the lab stack's detectors (pulumi up, or the mock run replayed)
#   make test-pulumi-lab   with the lab up: those detectors run and publish (fails without the lab)
#   make bench-pulumi      sharding and program time for the pilot and synthetic départements
.PHONY: test-pulumi lab-detectors test-pulumi-lab bench-pulumi
TEST_TARGETS += test-pulumi
BENCH_TARGETS += bench-pulumi

test-pulumi: setup ## Pulumi program and policy pack under pulumi.runtime mocks
	$(BIN)/pytest -q pulumi/tests lab/detectors/tests -m "not lab"

lab-detectors: setup ## start the lab stack's detector containers on the lab's detector hosts
	$(BIN)/python -m lab.detectors

test-pulumi-lab: setup ## with the lab up: the lab stack's detectors run and publish to MQTT
	VIGIE_LAB_REQUIRED=1 $(BIN)/pytest -q lab/detectors/tests -m lab

bench-pulumi: setup ## stack scaling: pilot vs synthetic 1,000 / 4,000 cameras, side by side
	$(BIN)/python pulumi/bench/bench_stack.py
