# MeetCore: `make demo` runs the reference meeting on SQLite, `make test` runs the whole suite.
# Both check the Debian packages they need first (.ci/apt-check: installed when run as root, else the one
# sudo command is printed), then set up .venv. Every setting is an environment variable (see README.md).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export MEETCORE_PORT ?= 5000

.PHONY: packages setup demo test test-sqlite test-postgres lint translations assets clean

setup: $(VENV)/.installed translations assets

# The Debian packages of .ci/apt-packages.txt (python3-venv, ICU, Chromium, ...) and npm.
packages:
	@.ci/apt-check .ci/apt-packages.txt

$(VENV)/.installed: setup.cfg pyproject.toml | packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

# Thai and English message catalogues (.po in git, .mo built here).
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d meetcore/translations -D messages

# Front-end assets come from npm when the project has any (package-lock.json pins them).
assets: | packages
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; \
	  if grep -q '"build"' package.json; then npm run build; fi; fi

demo: packages setup
	$(BIN)/meetcore db upgrade
	$(BIN)/meetcore seed
	$(BIN)/meetcore demo-data
	$(BIN)/meetcore video demo-run

test: packages setup lint test-sqlite test-postgres

lint:
	$(BIN)/ruff check meetcore tests bench
	$(BIN)/lint-imports --no-cache

# CLOCK=+400d (or -200d: whole days) runs a pass with every clock the tests use moved that far from
# today's: Python's (tests/timeshift/sitecustomize.py), Chromium's and Janus's (libfaketime). No test may
# depend on the day it runs; the PostgreSQL pass of `make test` always runs a year and more ahead.
CLOCK ?=
# The slowest tests are listed at the end of each pass, to keep the suite within its time.
PYTEST_ARGS ?= --durations=25 --durations-min=15
POSTGRES_CLOCK ?= +400d
TIMESHIFT := $(CURDIR)/tests/timeshift
clock_env = $(if $(1),env PYTHONPATH=$(TIMESHIFT) TESTS_CLOCK_SHIFT=$(1) \
	MEETCORE_TEST_CHROMIUM=$(TIMESHIFT)/chromium MEETCORE_JANUS_BINARY=$(TIMESHIFT)/janus)

# The SQLite pass ignores MEETCORE_TEST_DATABASE_URL (CI exports it for the PostgreSQL pass): without
# this, both passes ran on PostgreSQL and the tests that run on the SQLite pass only were never run.
# Tests marked alone (setup.cfg) run after the others, one at a time: what they bound is a time under their
# own load, which other workers' tests on the same two cores pushed past it.
test-sqlite:
	$(call clock_env,$(CLOCK)) env -u MEETCORE_TEST_DATABASE_URL $(BIN)/python -m pytest -n 2 -q -m "not alone" \
	  $(PYTEST_ARGS)
	$(call clock_env,$(CLOCK)) env -u MEETCORE_TEST_DATABASE_URL $(BIN)/python -m pytest -p no:xdist -q -m alone \
	  $(PYTEST_ARGS)

# Tests marked single_pass (setup.cfg) run in the SQLite pass only: their database is a SQLite file of their
# own in either pass, or they check the pages' structure; twice, they took the suite past its 30 minutes.
test-postgres:
	@if [ -n "$$MEETCORE_TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL: $$MEETCORE_TEST_DATABASE_URL, clock moved by $(or $(CLOCK),$(POSTGRES_CLOCK))"; \
	  case "$$MEETCORE_TEST_DATABASE_URL" in *@127.0.0.1:5432/*|*@localhost:5432/*) .ci/postgres-up;; esac; \
	  $(call clock_env,$(or $(CLOCK),$(POSTGRES_CLOCK))) $(BIN)/python -m pytest -n 2 -q \
	    -m "not single_pass and not alone" $(PYTEST_ARGS) && \
	  { $(call clock_env,$(or $(CLOCK),$(POSTGRES_CLOCK))) $(BIN)/python -m pytest -p no:xdist -q \
	    -m "alone and not single_pass" $(PYTEST_ARGS) || [ $$? -eq 5 ]; }; \
	else echo "== PostgreSQL skipped: set MEETCORE_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"; fi

# Refresh the catalogues after changing translatable strings.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o meetcore/translations/messages.pot .
	$(BIN)/pybabel update -i meetcore/translations/messages.pot -d meetcore/translations -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance build *.egg-info
