# Developer entry points. Every target creates the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -n auto --dist loadgroup
BROWSER ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
E2E_NODE := tests/e2e/node_modules/.package-lock.json

.DEFAULT_GOAL := help
.PHONY: help install e2e-deps run chat check test lint format typecheck fuzz bench bench-sync bench-admin layer sizes synth cfn-lint doctor migrate-ozon-ids deploy clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the package with development tools

$(BROWSER):
	$(SUDO) apt-get update -qq
	$(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

$(E2E_NODE): tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error

e2e-deps: $(STAMP) $(BROWSER) $(E2E_NODE)  ## Debian's Chromium (apt) and axe-core (npm) for the browser tests

run: $(STAMP)  ## Run the whole system locally (moto, gateway, fake Telegram and Ozon, timers); Ctrl-C stops
	$(BIN)/python -m devtools.local_run $(if $(LOCAL_PORT),--port $(LOCAL_PORT))

chat: $(STAMP)  ## Talk to the locally running bot as a Telegram user (USER_ID=5101 NAME=...)
	$(BIN)/python -m devtools.chat_console --user $(or $(USER_ID),5101) $(if $(NAME),--name "$(NAME)")

purchase: $(STAMP)  ## In the running system: a posting in the fake Ozon, then the sync (OZON_ID=... AMOUNT=2000)
	$(BIN)/python -m devtools.local_actions purchase --ozon-id "$(OZON_ID)" --amount "$(or $(AMOUNT),1000.00)"

chat-operator: $(STAMP)  ## Write in a participant's topic as an operator (PARTICIPANT=<telegram id>)
	$(BIN)/python -m devtools.local_actions operator --participant "$(PARTICIPANT)"

check: lint typecheck test  ## Everything CI runs: lint, types, tests

test: e2e-deps  ## Run the test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

fuzz: $(STAMP)  ## Generated requests against the admin API: 500 valid + 500 invalid per operation (FUZZ_EXAMPLES=)
	FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),500) $(BIN)/python -m pytest -n auto tests/admin/test_openapi_contract.py

typecheck: $(STAMP)  ## mypy (strict)
	$(BIN)/mypy

bench: $(STAMP)  ## DynamoDB requests per domain operation; every function's cold start; the bot's calls and memory
	$(BIN)/python -m bench.dynamodb_requests
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.bot_webhook

bench-sync: $(STAMP)  ## Ozon sync throughput and requests per posting against direct-write baselines (exit 1 if a goal is missed)
	$(BIN)/python -m bench.ozon_sync --postings 1000 --participants 100

bench-admin: $(STAMP)  ## Admin list and dashboard reads at scale (PARTICIPANTS=100000; slow to seed on moto)
	$(BIN)/python -m bench.admin_api $(or $(PARTICIPANTS),100000)

LAYER_DIR := build/dependencies
layer: $(STAMP)  ## Build the Lambda dependency layer (the stack's runtime and architecture) into build/dependencies
	$(BIN)/python -m infra.build_layer $(LAYER_DIR)

sizes: layer  ## Deployment artifact sizes (layers, functions; zipped and unzipped) against Lambda's limits
	$(BIN)/python -m bench.artifact_sizes

# Deployment values (CDK context), e.g. make deploy telegram_bot_username=my_bot operators_chat_id=-100… \
#   bootstrap_admin_ids=42; anything else for the CDK CLI goes in CDK_ARGS.
CONTEXT_VALUES := telegram_bot_username operators_chat_id bootstrap_admin_ids ozon_client_id secret_prefix
CDK_CONTEXT = $(foreach name,$(CONTEXT_VALUES),$(if $($(name)),-c $(name)=$($(name))))
CDK_ARGS ?=

synth: layer  ## Synthesize the CloudFormation template (cdk.out/) with the AWS Solutions checks
	npx --yes aws-cdk@2 synth $(CDK_CONTEXT) $(CDK_ARGS)

cfn-lint: synth  ## cfn-lint on the synthesized template (ignored checks and why: .cfnlintrc)
	$(BIN)/cfn-lint cdk.out/*.template.json

doctor: $(STAMP)  ## Preflight of a deployment: bot token, webhook, operators' chat, Ozon key and roles, table
	$(BIN)/python -m devtools.doctor $(DOCTOR_ARGS)

migrate-ozon-ids: $(STAMP)  ## Re-spell stored Ozon IDs canonically (MIGRATE_ARGS=--dry-run first; --local for make run)
	$(BIN)/python -m devtools.migrate_ozon_ids $(MIGRATE_ARGS)

deploy: layer  ## Deploy to the current AWS account and region (deployment values: see README)
	npx --yes aws-cdk@2 deploy $(CDK_CONTEXT) $(CDK_ARGS)

clean:  ## Remove the virtual environment and caches
	rm -rf $(VENV) build cdk.out .pytest_cache .mypy_cache .ruff_cache .hypothesis tests/e2e/node_modules
