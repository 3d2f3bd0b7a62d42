# Two commands: `make run` serves the app, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

## Serve at http://127.0.0.1:8000 on SQLite in instance/ (DEMO=1 adds demo ideas), with the
## background worker that sends mail (to instance/mail/*.eml until IDEABOARD_SMTP_URL is set).
## Ctrl-C stops both.
run: $(VENV)/.runtime
	$(BIN)/flask --app ideaboard init-db
	$(if $(DEMO),$(BIN)/flask --app ideaboard seed-demo)
	@trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask --app ideaboard worker & worker=$$!; \
	$(BIN)/gunicorn --config python:ideaboard.gunicorn_conf wsgi:app

# axe-core and vnu-jar for the browser tests (see .ci/run on --ignore-scripts).
# axe-core and the Nu HTML checker for the browser tests. --ignore-scripts: vnu-jar's own
# install script would download a JDK; the system Java is used instead.
node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

## Lint, then the whole suite on SQLite and PostgreSQL (see README for what it needs).
test: $(VENV)/.dev node_modules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
