# Lint: ruff for Python, yamllint strict, ansible-lint with profile production.
.PHONY: lint-python lint-yaml lint-ansible
LINT_TARGETS += lint-python lint-yaml lint-ansible

lint-python: setup
	$(BIN)/ruff check src tests pulumi detector_image plugins lab playbooks/filter_plugins benchmarks
	$(BIN)/ruff format --check src tests pulumi detector_image plugins lab playbooks/filter_plugins benchmarks

lint-yaml: setup
	$(BIN)/yamllint --strict .

lint-ansible: setup
	$(BIN)/ansible-lint --profile production roles playbooks
