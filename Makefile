# Portal Kampung KB — the two commands of the README:
#   make run    set up everything (venv, deps, translations, database, master + demo data) and serve
#   make test   set up the venv and run the whole test suite (SQLite; DATABASE_URL=postgres://... for PostgreSQL)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
HOST   ?= 127.0.0.1

.DEFAULT_GOAL := help
.PHONY: help run setup install messages migrate demo test lint fmt makemessages bench deploy-check clean

help:
	@echo "make run    - install, migrate, load Tangsel master data + demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install and run the test suite (SQLite, or PostgreSQL with DATABASE_URL)"
	@echo "make lint   - ruff"
	@echo "make makemessages - refresh locale/*/LC_MESSAGES/django.po"
	@echo "make bench  - load test: gunicorn + PostgreSQL + Locust (see README)"
	@echo "make deploy-check - the README's deployment on a fresh PostgreSQL database, then gunicorn over real HTTP"

# The venv is rebuilt only when pyproject.toml changes (stamp file).
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (found %s)" % sys.version.split()[0])'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Pure-Python compilation (polib): no GNU gettext needed on a fresh machine.
messages: install
	$(PY) manage.py compiletranslations

migrate: messages
	$(PY) manage.py migrate --no-input

# Master data (Kemendagri regions) is loaded by the migrations; the demo is idempotent.
demo: migrate
	$(PY) manage.py seed_demo

setup: demo

run: setup
	$(PY) manage.py runserver $(HOST):$(PORT)

test: messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

makemessages: install
	$(PY) manage.py makemessages -l id -l en --no-location --no-obsolete -i '.venv/*' -i 'tests/*' -i 'bench/*'
	$(PY) manage.py makemessages -d djangojs -l id -l en --no-location --no-obsolete -i '.venv/*' -i 'static/vendor/*' -i 'staticfiles/*'
	$(PY) manage.py compiletranslations

# Load test on PostgreSQL (BENCH_DATABASE_URL, default kampungkb_bench on 127.0.0.1); prints the table.
bench: messages
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) bench/loadtest.py $(BENCH_ARGS)

# Production smoke test (deploy/smoke.py): runs the README's Deployment block with the
# production settings on the database kampungkb_deploycheck (DEPLOY_CHECK_DATABASE_URL),
# starts gunicorn and fetches the pages, assets and /healthz; drops the database after.
deploy-check: install
	$(PY) deploy/smoke.py

clean:
	rm -rf $(VENV) db.sqlite3 media/ private_media/ staticfiles/
