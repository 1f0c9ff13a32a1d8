# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run run-parity e2e test install migrate bench clean deploy-plan deploy-status

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python -m shared.db.migrate

# Migrates, seeds the demo account once, and serves the whole bundle on :8080.
run: $(STAMP)
	$(BIN)/python -m infra.run_local

run-parity: $(STAMP)
	$(BIN)/python -m infra.run_local --parity

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

# make deploy-plan PROJECT=my-project REGION=europe-west1 [TAG=abc123]
deploy-plan: $(STAMP)
	$(BIN)/python -m infra.deploy plan --project $(PROJECT) --region $(REGION) --tag $(or $(TAG),latest)

deploy-status: $(STAMP)
	$(BIN)/python -m infra.status --project $(PROJECT) --region $(REGION) $(if $(TAG),--tag $(TAG))

clean:
	rm -rf $(VENV) .data .pytest_cache
