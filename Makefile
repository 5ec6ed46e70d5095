# Storekeep — the README's two commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install install-dev run test lint lock clean

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

install-dev: $(VENV)/.installed-dev

## Install, migrate, load the demo tenant (real data slice) and serve on http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo
	@echo "Storekeep: http://$(HOST):$(PORT)/  — API docs http://$(HOST):$(PORT)/api/docs/  — admin http://$(HOST):$(PORT)/admin/"
	$(BIN)/gunicorn config.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

## Install what the tests need and run the whole suite
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv && .lockenv/bin/pip install --quiet --upgrade pip
	.lockenv/bin/pip install --quiet -e . && .lockenv/bin/pip freeze --exclude-editable > requirements/base.lock
	.lockenv/bin/pip install --quiet -e '.[dev]' && .lockenv/bin/pip freeze --exclude-editable > requirements/dev.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
