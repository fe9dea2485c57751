# Romashka: `make run` serves the demo on http://127.0.0.1:8000, `make test` checks on SQLite and PostgreSQL.
# Every target is idempotent: a second run only redoes what changed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SIZE ?= medium
# The PostgreSQL server the second test run uses; pytest-django creates and drops test_<name> on it.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/romashka
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
TEST_OUTPUT := test-output
PYTEST_ARGS ?=

# apt-get needs root; on a developer's own machine sudo stands in.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends

PO_FILES := $(shell find src/romashka -path '*/LC_MESSAGES/*.po' 2>/dev/null)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test lint bench clean clean-data install install-test messages chromium msgfmt postgres \
	test-sqlite test-postgresql

## Environment ------------------------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The stamp files make `pip install` run again only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,spark]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

msgfmt:
	@command -v msgfmt >/dev/null || $(APT_INSTALL) gettext || { $(SUDO) apt-get update -q && $(APT_INSTALL) gettext; }

# Compiled translations are build output (git-ignored): rebuilt when a .po file changes.
$(MO_FILES): %.mo: %.po | $(VENV)/.installed msgfmt
	SECRET_KEY=build-only ROMASHKA_DATA_DIR=$(CURDIR)/$(TEST_OUTPUT)/build $(BIN)/romashka manage compilemessages --ignore=.venv --ignore=node_modules \
		--ignore=test-output --ignore=build

messages: $(MO_FILES)

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		$(APT_INSTALL) chromium fonts-dejavu-core || { $(SUDO) apt-get update -q && $(APT_INSTALL) chromium fonts-dejavu-core; }; \
	fi

# Starts the local cluster when it is not answering; never skipped, fails when it cannot start.
postgres:
	@if ! pg_isready -q -h $(PG_HOST) -p $(PG_PORT); then \
		echo "Starting PostgreSQL"; \
		command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] \
			|| { echo "PostgreSQL is not installed (no pg_ctlcluster or /etc/postgresql); the tests need it." >&2; exit 1; }; \
		$(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n1) main start || true; \
		for _ in $$(seq 1 60); do pg_isready -q -h $(PG_HOST) -p $(PG_PORT) && break; sleep 1; done; \
		pg_isready -q -h $(PG_HOST) -p $(PG_PORT) \
			|| { echo "PostgreSQL did not start on $(PG_HOST):$(PG_PORT)." >&2; exit 1; }; \
	fi

## Run --------------------------------------------------------------------------------------------

run: $(VENV)/.installed messages
	$(BIN)/romashka migrate
	$(BIN)/romashka demo --size $(DEMO_SIZE) --if-empty
	$(BIN)/romashka logins
	$(BIN)/romashka serve --host $(HOST) --port $(PORT)

## Checks -----------------------------------------------------------------------------------------

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# Tests never touch the developer's var/: each database run gets its own data directory under test-output/.
define pytest_run
	rm -rf $(TEST_OUTPUT)/$(1) && mkdir -p $(TEST_OUTPUT)/$(1)/data
	ROMASHKA_DATA_DIR=$(CURDIR)/$(TEST_OUTPUT)/$(1)/data ROMASHKA_TEST_OUTPUT=$(CURDIR)/$(TEST_OUTPUT)/$(1) \
		$(2) $(BIN)/pytest --junitxml=$(TEST_OUTPUT)/$(1)/junit.xml $(PYTEST_ARGS)
endef

test-sqlite: $(VENV)/.installed-test chromium messages
	$(call pytest_run,sqlite,env -u DATABASE_URL)

test-postgresql: $(VENV)/.installed-test chromium messages postgres
	$(call pytest_run,postgresql,env DATABASE_URL=$(TEST_DATABASE_URL))

# Both databases always run; the command fails when either failed, after the summary.
test: $(VENV)/.installed-test chromium messages
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	SECRET_KEY=build-only ROMASHKA_DATA_DIR=$(CURDIR)/$(TEST_OUTPUT)/build env -u DATABASE_URL \
		$(BIN)/romashka manage makemigrations --check --dry-run
	status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	$(MAKE) --no-print-directory test-postgresql || status=1; \
	$(BIN)/python .ci/junit_summary.py $(TEST_OUTPUT)/sqlite/junit.xml $(TEST_OUTPUT)/postgresql/junit.xml || status=1; \
	exit $$status

bench: $(VENV)/.installed postgres
	$(BIN)/python bench/demo_load.py
	$(BIN)/python bench/lifecycle.py

## Cleaning ---------------------------------------------------------------------------------------

# Keeps var/ (the database and the secret key); `make clean-data` removes it too.
clean:
	rm -rf $(VENV) $(TEST_OUTPUT) .pytest_cache .ruff_cache .hypothesis build dist src/*.egg-info
	find src tests bench -name __pycache__ -type d -prune -exec rm -rf {} +
	find src -path '*/LC_MESSAGES/*.mo' -delete

clean-data:
	rm -rf var
