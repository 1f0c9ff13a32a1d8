# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run run-parity e2e test lint mutation chromium install migrate bench-auth bench-cold bench-import bench-agents bench-chat clean deploy-plan deploy-status

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

# In parallel: one pytest-xdist worker per core of the 2-core CI machine (TEST_WORKERS=0 runs in one process);
# --dist loadgroup keeps the tests that share stack processes on one worker. Ends with the wall time.
TEST_WORKERS ?= 2
test: $(STAMP) chromium lint
	@start=$$(date +%s); status=0; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS) || status=$$?; \
	echo "suite wall time: $$(( $$(date +%s) - start )) s"; exit $$status

# Mutation testing of auth, the optimization levers and import costing ([tool.mutmut] in pyproject.toml).
# It starts from an empty mutants/ so the score is of the tests as they are now; JOBS=2 workers.
# mutmut's per-mutant lines go to mutants/run.log (shown when the run fails); `mutmut results` lists survivors.
mutation: $(STAMP)
	rm -rf mutants && mkdir mutants
	$(BIN)/mutmut run --max-children $(or $(JOBS),2) > mutants/run.log 2>&1 || { tail -n 60 mutants/run.log; exit 1; }
	$(BIN)/python -m tests.support.mutation_score

# ruff (pyflakes, import order, pyupgrade, bugbear) and mypy over shared/ and functions/, both configured in
# pyproject.toml; the suite runs only when both are clean.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The browser tests drive Debian's Chromium; test tools never download a browser.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "chromium is missing: install Debian's chromium package for the browser tests"; fi; }

# Each benchmark prints its ratio against a baseline measured in the same run.
bench-auth: $(STAMP)
	$(BIN)/python -m bench.auth_bench

# Every function unit of infra/manifest.toml: cold start to health and to a first real answer.
bench-cold: $(STAMP)
	$(BIN)/python -m bench.cold_bench $(if $(RUNS),--runs $(RUNS))

bench-import: $(STAMP)
	$(BIN)/python -m bench.import_bench --rows $(or $(ROWS),1000000)

bench-agents: $(STAMP)
	$(BIN)/python -m bench.agents_bench --rows $(or $(ROWS),1000000)

bench-chat: $(STAMP)
	$(BIN)/python -m bench.chat_bench

# make deploy-plan PROJECT=my-project REGION=europe-west1 [TAG=abc123]
deploy-plan: $(STAMP)
	$(BIN)/python -m infra.deploy plan --project $(PROJECT) --region $(REGION) --tag $(or $(TAG),latest)

deploy-status: $(STAMP)
	$(BIN)/python -m infra.status --project $(PROJECT) --region $(REGION) $(if $(TAG),--tag $(TAG))

clean:
	rm -rf $(VENV) .data .pytest_cache
