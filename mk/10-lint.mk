# Lint: ruff for Python, yamllint strict, ansible-lint with profile production.
.PHONY: lint-python lint-yaml lint-ansible
LINT_TARGETS += lint-python lint-yaml lint-ansible

lint-python: setup
	$(BIN)/ruff check src tests pulumi detector_image plugins lab playbooks/filter_plugins benchmarks
	$(BIN)/ruff format --check src tests pulumi detector_image plugins lab playbooks/filter_plugins benchmarks

lint-yaml: setup
	$(BIN)/yamllint --strict .

# From the repository root with no arguments, as people run it: .ansible-lint
# decides the profile and what is excluded, so CI sees what users see.
lint-ansible: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/ansible-lint
