# The two commands of the README: `make run` (demo on embedded defaults) and `make test` (the suite).
# Both build the virtualenv first, from the pinned requirements, on a fresh machine.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test venv migrate lint worker beat stack clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 (or run make PYTHON=python3)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  Console (account admins):  http://$(HOST):$(PORT)/console/"
	@echo "  Support admin (staff):     http://$(HOST):$(PORT)/admin/"
	@echo "  API docs:                  http://$(HOST):$(PORT)/api/docs/"
	@echo "  Health:                    http://$(HOST):$(PORT)/healthz"
	@echo "  Log in at                  http://$(HOST):$(PORT)/accounts/login/"
	@echo ""
	$(PY) -m daphne -b $(HOST) -p $(PORT) consoleproj.asgi:application

# The production shape on this machine, in the foreground: nginx (self-signed TLS) at
# https://127.0.0.1:8443/ before N daphne processes, a Celery worker, one beat and coturn, on
# PostgreSQL and Redis (started when down, stopped again on exit). Ctrl-C stops everything.
STACK_DAPHNE ?= 2
stack: venv
	$(PY) deploy/stack.py up --daphne $(STACK_DAPHNE)

# pytest exits 5 when it collected no tests: that is a broken suite or filter, never a pass.
test: venv
	$(PY) manage.py makemigrations --check --dry-run >/dev/null || { echo "Model changes without migrations: run makemigrations"; exit 1; }
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --quiet . || { echo "Unformatted files: run .venv/bin/ruff format ."; exit 1; }
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	node --test static/tests/
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	node --test static/tests/

worker: venv
	$(VENV)/bin/celery -A consoleproj worker --loglevel=INFO

beat: venv
	$(VENV)/bin/celery -A consoleproj beat --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
