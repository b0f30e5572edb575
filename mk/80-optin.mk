# A commune opts in: scaffold, plan with a picture, review pipeline, hostile input.
#   make test-optin    the pipeline files linted, then tests/optin (about 1 min, no container):
#                      hostile input, scaffold, plan, review rules, scripts/review.sh on a real
#                      git repository (GitHub and GitLab environments), the docs/opt-in.md walkthrough
#   make bench-optin   validation cost per MB of input (goal: <= 1 s and <= 200 MB per MB)
.PHONY: test-optin lint-ci bench-optin
TEST_TARGETS  += test-optin
BENCH_TARGETS += bench-optin

lint-ci: setup ## the forges' pipeline and Renovate files against their schemas (vendored: offline), shellcheck
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.gitlab-ci .gitlab-ci.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.renovate renovate.json
	shellcheck scripts/review.sh scripts/setup.sh scripts/lock.sh scripts/sbom.sh scripts/gateway-wheelhouse.sh scripts/versions.sh

test-optin: setup lint-ci ## opt-in: hostile input, scaffold, plan, review script, walkthrough
	$(BIN)/pytest -q -p no:cacheprovider tests/optin tests/docs

bench-optin: setup ## vigie validate: CPU and memory per MB of input, four shapes, four sizes
	$(BIN)/python benchmarks/validate_cost/bench.py
