# Roles: molecule + testinfra for every role, on systemd containers
# built locally (docs/build-host.md), plus the unit tests of the roles' helper scripts.
#   make test-roles            all roles, MOLECULE_JOBS scenarios at a time
#   make molecule-<role>       one role (e.g. make molecule-recorder)
# Logs: .cache/molecule/<role>.log; each scenario prints its duration.
ROLES := base network firewall recorder detector_host monitoring
# The scenarios mostly wait on apt and containers, not on the CPU: three at a
# time keep the whole run well under 15 minutes on 2 cores.
MOLECULE_JOBS ?= 3
MOLECULE_LOGS := .cache/molecule

.PHONY: test-roles test-roles-unit molecule-images $(ROLES:%=molecule-%)
TEST_TARGETS += test-roles

test-roles: setup molecule-images test-roles-unit ## molecule test of every role (< 15 min on 2 cores)
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory -j$(MOLECULE_JOBS) $(ROLES:%=molecule-%); status=$$?; \
	echo "roles: molecule for $(words $(ROLES)) roles took $$(( $$(date +%s) - start )) s"; \
	if [ $$status != 0 ]; then $(molecule_failures); fi; exit $$status

test-roles-unit: setup ## unit tests of the roles' helper scripts
	$(BIN)/pytest -q -p no:cacheprovider roles/recorder/tests roles/monitoring/tests roles/witness/tests roles/pki/tests

# Base images for the scenarios; each script skips an image that exists.
molecule-images: setup camera-sim-image
	bash scripts/docker-engine.sh
	bash scripts/base-image.sh systemd
	bash scripts/base-image.sh slim

# One recipe for every role's scenario (roles added by other fragments use it too):
# the log and a JUnit report per role, the end of the log when it fails.
define molecule_recipe
@mkdir -p $(MOLECULE_LOGS); start=$$(date +%s); \
rm -f $(MOLECULE_LOGS)/$*.xml; \
(cd roles/$* && PYTEST_ADDOPTS="--junitxml=$(CURDIR)/$(MOLECULE_LOGS)/$*.xml" \
  $(CURDIR)/$(BIN)/molecule test) > $(MOLECULE_LOGS)/$*.log 2>&1; status=$$?; \
echo "molecule $*: $$( [ $$status = 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start )) s"; \
if [ $$status != 0 ]; then tail -n 60 $(MOLECULE_LOGS)/$*.log; fi; exit $$status
endef

$(ROLES:%=molecule-%): molecule-%: setup
	$(molecule_recipe)

# A CI log shows only its end: after every scenario has finished, each failed
# test and its assertion (from the scenario's JUnit report) come last.
define molecule_failures
$(BIN)/python scripts/test-failures.py $(ROLES:%=$(CURDIR)/$(MOLECULE_LOGS)/%.xml)
endef

# CPU cost of a privacy-masked stream (re-encoded) next to a copied one, with
# the recorder's own ffmpeg command lines. System python3: the
# recorder's script imports GStreamer's gi.
.PHONY: bench-recorder
BENCH_TARGETS += bench-recorder
bench-recorder: setup ## recorder: CPU per masked stream at 1080p and 720p vs copy
	/usr/bin/python3 benchmarks/recorder/bench.py
