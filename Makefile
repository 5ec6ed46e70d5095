# Storekeep — the README's two commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install install-dev browser run test lint lock clean secret-key

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements/base.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements/base.lock
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.lock
	$(BIN)/pip install --quiet -r requirements/dev.lock
	@touch $@

install: $(VENV)/.installed

## The SECRET_KEY file, made once per checkout (settings read it when SECRET_KEY is not set)
var/secret_key:
	@mkdir -p var
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	@echo "Wrote a new SECRET_KEY to $@"

secret-key: var/secret_key

install-dev: $(VENV)/.installed-dev

## Install, migrate, load the demo tenant (real data slice) and serve on http://$(HOST):$(PORT)
run: install var/secret_key
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo
	@echo "Sign in: http://$(HOST):$(PORT)/  — demo logins: demo / demo (owner), demo-cashier / demo (cashier at the till)"
	@echo "Storekeep: http://$(HOST):$(PORT)/  — API docs http://$(HOST):$(PORT)/api/docs/  — admin http://$(HOST):$(PORT)/admin/ (platform operator: operator / demo)"
	$(BIN)/gunicorn config.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

## Debian's chromium for the browser tests (installed with apt-get when missing and root)
browser:
	@if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium (apt-get) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing and cannot be installed here: browser tests skip (fail with STOREKEEP_REQUIRE_SERVICES=1)"; \
	  fi; \
	fi

## Install what the tests need and run the whole suite
test: install-dev browser var/secret_key
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev var/secret_key
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv && .lockenv/bin/pip install --quiet --upgrade pip
	.lockenv/bin/pip install --quiet -e . && .lockenv/bin/pip freeze --exclude-editable > requirements/base.lock
	.lockenv/bin/pip install --quiet -e '.[dev]' && .lockenv/bin/pip freeze --exclude-editable > requirements/dev.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
