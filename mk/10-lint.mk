# Lint: ruff for Python, the model's import layers, yamllint strict, ansible-lint
# with profile production.
.PHONY: lint-python lint-imports lint-yaml lint-ansible
LINT_TARGETS += lint-python lint-imports lint-yaml lint-ansible

lint-python: setup
	$(BIN)/ruff check src tests pulumi detector_image plugins lab benchmarks
	$(BIN)/ruff format --check src tests pulumi detector_image plugins lab benchmarks

# The contracts are in pyproject.toml ([tool.importlinter]): no import cycle between
# the model's layers, consumers above the desired state.
lint-imports: setup
	$(BIN)/lint-imports

lint-yaml: setup
	$(BIN)/yamllint --strict .

# From the repository root with no arguments, as people run it: .ansible-lint
# decides the profile and what is excluded, so CI sees what users see.
lint-ansible: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/ansible-lint
