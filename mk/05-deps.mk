# Dependencies: the Python locks, their freshness, what the suite runs with, the SBOMs.
#   make lock          resolve pyproject.toml and requirements/*.in into the locks (uv, sha256),
#                      keeping every pin the bounds still allow
#   make lock-upgrade  the same, taking the newest versions the bounds allow
#   make lint-locks    fail, naming the package, when an input changed without `make lock`
#   make versions      docs/versions.md: the Debian packages, engine and locks the suite ran with
#   make sbom          CycloneDX of what ships: the gateway's wheelhouse and the detector image
#   make test-deps     the venv is exactly the lock; locks whole; the lint catches a stale lock
.PHONY: lock lock-upgrade lint-locks versions sbom test-deps
LINT_TARGETS += lint-locks
TEST_TARGETS += test-deps

lock: setup ## re-make the Python locks from pyproject.toml (keeps pins the bounds allow)
	bash scripts/lock.sh

lock-upgrade: setup ## re-make the Python locks with the newest versions the bounds allow
	bash scripts/lock.sh --upgrade

lint-locks: setup ## every lock matches its inputs (pyproject.toml, requirements/*.in)
	bash scripts/lock.sh --check

versions: ## write docs/versions.md (Debian packages, Docker engine, locks) from this machine
	bash scripts/versions.sh docs/versions.md

sbom: setup ## CycloneDX SBOMs of the gateway's wheelhouse and the detector image's wheels
	bash scripts/gateway-wheelhouse.sh .cache/wheels
	bash detector_image/wheelhouse.sh
	@ls -l .cache/artefacts/sbom/

test-deps: setup ## the venv equals the lock, locks carry hashes, a stale lock fails the lint
	$(BIN)/pytest -q -p no:cacheprovider tests/deps
