# imiconnect-receipts: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
SCAN_VENV := .venv-scan
PIP_FLAGS := --quiet --disable-pip-version-check
CODE := layers/shared functions local benchmarks tools tests
# Loopback only; a fake account's credentials keep boto3 from looking anywhere else.
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: help
help: ## List the targets and what each does
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(BIN)/.installed: requirements/dev.txt layers/shared/requirements.txt requirements/constraints-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/pip install $(PIP_FLAGS) -r requirements/dev.txt -c requirements/constraints-dev.txt
	@# The `receipts` CLI, editable: .venv/bin/receipts runs the checkout's code.
	$(BIN)/pip install $(PIP_FLAGS) --no-deps --editable .
	touch $@

$(SAM_VENV)/bin/.installed: requirements/sam.txt requirements/constraints-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(SAM_VENV)/bin/pip install $(PIP_FLAGS) -r requirements/sam.txt -c requirements/constraints-sam.txt
	touch $@

$(SCAN_VENV)/bin/.installed: requirements/scan.txt requirements/constraints-scan.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(SCAN_VENV)/bin/pip install $(PIP_FLAGS) -r requirements/scan.txt -c requirements/constraints-scan.txt
	touch $@

.PHONY: install
install: $(BIN)/.installed $(SAM_VENV)/bin/.installed $(SCAN_VENV)/bin/.installed ## Create the virtual environments (app, aws-sam-cli, scanner)

.PHONY: lint
lint: $(BIN)/.installed ## ruff (lint and format check) and mypy
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

.PHONY: format
format: $(BIN)/.installed ## Rewrite the code in the house format
	$(BIN)/ruff check --fix $(CODE)
	$(BIN)/ruff format $(CODE)

.PHONY: browser
browser: ## Debian's Chromium and ChromeDriver, for the web console's browser tests (apt-get)
	bash tools/install-browser

.PHONY: pytest pytest-stack pytest-in-process stack-suites in-process-suites
# The suites that share a local stack mostly wait on it: they run in one pytest while another
# runs the in-process suites beside it (the machine's two cores), each in file order; make
# prints each one's output whole when it ends.
STACK_SUITES := tests/e2e tests/load tests/fuzz
STACK_PYTEST = $(BIN)/pytest $(STACK_SUITES)
IN_PROCESS_PYTEST = $(BIN)/pytest tests $(addprefix --ignore=,$(STACK_SUITES))

pytest: $(BIN)/.installed browser ## Every pytest suite: unit, integration, e2e, browser, load, fuzz
	$(MAKE) --no-print-directory -j2 --output-sync=target stack-suites in-process-suites

# No prerequisites here: with one, make 4.3 may hold the other suite back until the first
# has ended, and the two would run one after the other.
stack-suites:
	$(STACK_PYTEST)

in-process-suites:
	$(IN_PROCESS_PYTEST)

pytest-stack: $(BIN)/.installed browser ## The suites that drive a local stack: e2e, browser, load, fuzz
	$(STACK_PYTEST)

pytest-in-process: $(BIN)/.installed ## The in-process suites: unit, integration, security
	$(IN_PROCESS_PYTEST)

.PHONY: validate
validate: $(SAM_VENV)/bin/.installed ## sam validate --lint and cfn-lint on template.yaml
	$(SAM) validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)
	$(SAM_VENV)/bin/cfn-lint template.yaml

.PHONY: security
security: $(BIN)/.installed $(SCAN_VENV)/bin/.installed ## bandit on the code, checkov on template.yaml
	$(BIN)/bandit -q -c pyproject.toml -r layers/shared functions local tools/receipts_cli
	@# BC_SKIP_MAPPING: checkov would fetch its guideline links from the internet on every run.
	BC_SKIP_MAPPING=TRUE $(SCAN_VENV)/bin/checkov --config-file .checkov.yaml -f template.yaml

.PHONY: test
test: lint validate security build pytest ## Install everything, then lint, validate, scan, build and run every test

.PHONY: run
run: $(BIN)/.installed ## Run the whole product locally, no Docker (embedded AWS + IMIconnect simulator)
	PYTHONPATH=local $(BIN)/python -m local_stack $(ARGS)

.PHONY: demo
demo: $(BIN)/.installed ## Send a campaign on every channel through the running `make run` and report
	PYTHONPATH=local $(BIN)/python -m local_stack.demo $(ARGS)

.PHONY: build
build: $(SAM_VENV)/bin/.installed ## sam build for Lambda (python3.13, arm64), no Docker needed
	$(SAM) build --template template.yaml

.PHONY: openapi
openapi: $(BIN)/.installed ## Write the lookup API's OpenAPI document to docs/openapi.json
	PYTHONPATH=layers/shared:functions $(BIN)/python -m lookup.openapi docs/openapi.json

.PHONY: bench
bench: $(BIN)/.installed ## Run every benchmark and print one table (median of several runs)
	$(BIN)/python benchmarks/run_all.py

.PHONY: capacity
capacity: $(BIN)/.installed ## Model the table's partition keys at 10M callbacks/hour, 3x bursts
	$(BIN)/python benchmarks/capacity.py $(ARGS)

.PHONY: load
load: $(BIN)/.installed ## 10,000 signed callbacks on the local stack: nothing lost, throughput, p50/p99
	$(BIN)/python benchmarks/load_run.py $(ARGS)

.PHONY: faults
faults: $(BIN)/.installed ## Fault injection on the local stack: throttled table, SNS/SQS down, vendor down
	$(BIN)/pytest -q tests/load/test_faults.py tests/load/test_fault_hooks.py

.PHONY: events
events: ## Regenerate events/ from the vendor documents in docs/vendor
	$(PYTHON) tools/extract_events.py

.PHONY: clean
clean: ## Remove build output and caches (keeps the virtual environments)
	rm -rf .aws-sam .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.venv*' -exec rm -rf {} +
