# The two commands of the README. Everything installs into .venv from nothing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test browser lint serve test-lowest

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

# Debian's chromium for the browser tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Serve Debian chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

# A random SECRET_KEY kept in instance/, for `make run`: the app refuses the development key
# outside debug and testing (workflow/config.py). A SECRET_KEY in the environment wins.
instance/secret_key:
	mkdir -p instance
	umask 077 && $(PY) -c 'import secrets; print(secrets.token_hex(32))' > $@

# App on http://127.0.0.1:$(PORT) (5000 unless `make run PORT=5001`) with the demo data, on SQLite under instance/, and the scheduler
# (reminders, mail, daily digest) as a second process; demo e-mails are printed here (console).
run: export SECRET_KEY ?= $(shell cat instance/secret_key 2>/dev/null)
# The demo's protocol starts in February 2025: without a first day owed, the scheduler's first run
# would produce and hand over, late, every registro giornaliero since then (minutes of work).
# From yesterday: a register owed and handed over on time on the first run.
run: export REGISTRO_GIORNALIERO_DAL ?= $(shell date -d yesterday +%F 2>/dev/null)
run: install instance/secret_key
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo
	MAIL_BACKEND=console $(BIN)/flask --app wsgi scheduler & sched=$$!; \
	  trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

# Production: PostgreSQL at DATABASE_URL, the schema migrated, the scheduler as its own process
# and gunicorn serving wsgi:app on BIND with WORKERS processes (one request log line each on
# stderr). SECRET_KEY must be set to a random secret: the app refuses to start without one.
PORT ?= 5000
BIND ?= 127.0.0.1:8000
WORKERS ?= 3
serve: install
	@case "$$DATABASE_URL" in postgres://*|postgresql://*|postgresql+psycopg://*) ;; \
	  *) echo "make serve vuole DATABASE_URL=postgresql://utente:password@host/db" >&2; exit 1;; esac
	$(BIN)/pip install --quiet -e '.[postgres]'
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi scheduler & sched=$$!; \
	  trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn --bind $(BIND) --workers $(WORKERS) wsgi:app

# The whole suite (set TEST_DATABASE_URL=postgresql://… to run it on PostgreSQL).
test: install-test browser
	$(BIN)/ruff check workflow tests bench scripts wsgi.py
	$(BIN)/ruff format --check workflow tests bench scripts wsgi.py
	$(BIN)/bandit -q -r workflow
	$(BIN)/python -m pytest -q

# The floors of pyproject.toml are true: the lowest version it allows of every direct dependency
# (uv's lowest-direct resolution, in a venv of its own), then the suite without the browser tests.
LOWEST := .venv-lowest
test-lowest:
	$(PY) -m venv $(LOWEST)
	$(LOWEST)/bin/pip install --quiet uv
	$(LOWEST)/bin/uv pip install --quiet --python $(LOWEST)/bin/python \
	  --resolution lowest-direct -e '.[test]'
	$(LOWEST)/bin/python -m pytest -q -x -m "not e2e" --ignore=tests/e2e
