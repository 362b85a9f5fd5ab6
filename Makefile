# `make run` serves the site with demo data and runs the job consumer; `make test` checks the code
# (lint) and runs every test (SQLite, PostgreSQL with Redis, Chromium).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PYTEST_ARGS ?=
# Test processes for the SQLite and PostgreSQL suites (pytest-xdist); each gets its own database.
PYTEST_WORKERS ?= 2
# `make run` serves http://127.0.0.1:$(PORT) (PORT=8000 make run).
PORT ?= 5000

.PHONY: run lint test test-sqlite test-postgres test-browser install translations chromium vnu messages bench wrk clean

# The Nu HTML checker that tests/browser/test_accessibility.py runs over every page: the jar of the
# pinned npm package vnu-jar, run by Java.
VNU_VERSION := 26.9.27
VNU_JAR := $(VENV)/vnu/vnu-$(VNU_VERSION).jar

$(INSTALLED): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(INSTALLED)

translations: $(INSTALLED)
	$(BIN)/pybabel -q compile -d portal/translations

# The web server and the job consumer together (Procfile, run by honcho): Ctrl-C stops both.
run: translations
	$(BIN)/flask --app portal migrate
	$(BIN)/flask --app portal seed-demo --if-empty
	$(if $(PORTAL_SMTP_HOST),,PORTAL_SMTP_HOST=127.0.0.1 PORTAL_SMTP_PORT=8025 PORTAL_SMTP_STARTTLS=0) \
	  $(BIN)/honcho --procfile Procfile start --port $(PORT) $(if $(PORTAL_SMTP_HOST),web worker,web worker mail)

chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

vnu: $(VNU_JAR)

$(VNU_JAR):
	@command -v java >/dev/null && command -v npm >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless npm; }
	rm -rf $(VENV)/vnu && mkdir -p $(VENV)/vnu
	cd $(VENV)/vnu && npm pack --silent vnu-jar@$(VNU_VERSION) >/dev/null && \
	  tar xzf vnu-jar-$(VNU_VERSION).tgz package/build/dist/vnu.jar && \
	  mv package/build/dist/vnu.jar $(notdir $@) && rm -rf package vnu-jar-$(VNU_VERSION).tgz

# Style (ruff.toml) and complexity: no function of radon's rank D or worse in portal/. radon exits
# 0 whatever it finds, so what it prints decides.
lint: $(INSTALLED)
	$(BIN)/ruff check .
	@complex="$$($(BIN)/radon cc -n D -s portal)"; \
	if [ -n "$$complex" ]; then \
	  echo "$$complex"; echo "radon: the functions above are too complex (rank D or worse): split them"; \
	  exit 1; \
	fi

test: translations chromium vnu
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-browser

test-sqlite: translations
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not browser" $(PYTEST_ARGS)

# The second pair: PostgreSQL, and Redis for the job queue (tests/test_jobs.py runs a consumer on it).
test-postgres: translations
	db="$$(bash tests/start-postgres.sh)" && redis="$$(bash tests/start-redis.sh)" && \
	  TEST_DATABASE_URL="$$db" PORTAL_TEST_REDIS_URL="$$redis" \
	  $(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not browser" $(PYTEST_ARGS)

test-browser: translations chromium vnu
	VNU_JAR=$(VNU_JAR) $(BIN)/pytest -q -m browser $(PYTEST_ARGS)

# Refresh the message catalogue after adding or changing user-facing strings.
messages: $(INSTALLED)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o portal/translations/messages.pot .
	$(BIN)/pybabel -q update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching

# The benchmarks (issue 11; bench/*.py): every list page, filter and search in-process at 2,000
# rows and at BENCH_ROWS (default 100,000; BENCH_ROWS=1000000 for the full run), then the list
# pages served by gunicorn and loaded with wrk for BENCH_SECONDS (default 10) next to a raw
# sqlite3 + Jinja anchor, on the same database (bench_lists.py, bench_serving.py); export jobs
# (bench_exports.py, BENCH_EXPORT_ROWS) and the xlsx writers (bench_xlsx.py); a trial's sample drawn
# over BENCH_SAMPLE_MEMBERS members (bench_sampling.py, default 100,000; under 1 s); the panel
# health and lapsing pages over 100,000 members (bench_panel.py; 50 ms and 30 ms).
# PORTAL_BENCH_DATABASE_URL: PostgreSQL instead of SQLite (that database and its sibling
# <name>_small are created when missing and emptied first). Each prints MISSED lines for the goals
# missed; all of them run, then the target fails when any goal was missed.
bench: translations wrk
	@status=0; \
	$(BIN)/python bench/bench_lists.py || status=1; \
	$(BIN)/python bench/bench_exports.py || status=1; \
	$(BIN)/python bench/bench_xlsx.py || status=1; \
	$(BIN)/python bench/bench_sampling.py || status=1; \
	$(BIN)/python bench/bench_panel.py || status=1; \
	exit $$status

# The HTTP load tool of `make bench`: Debian's wrk.
wrk:
	@command -v wrk >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }

clean:
	rm -rf $(VENV) .pytest_cache
