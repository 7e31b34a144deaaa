# The two commands: `make run` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
export FLASK_APP := wsgi.py

.PHONY: run test bench system-deps venv clean-db translations messages

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip >/dev/null
	$(BIN)/pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# Translations: the .po catalogs are the source; their compiled .mo files are built here, not committed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

translations: $(MO_FILES)

translations/%.mo: translations/%.po | venv
	$(BIN)/pybabel compile -i $< -o $@

# After adding or changing strings: extract them and merge them into every catalog, then translate.
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --project gosmart --copyright-holder "GO SMART" \
	  -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations

system-deps:
	@scripts/system-deps.sh

run: venv system-deps translations
	GOSMART_ENV=development $(BIN)/flask db upgrade
	GOSMART_ENV=development $(BIN)/flask demo load --if-empty
	@# The task worker (bulk certificates) runs beside the web server and stops with it.
	GOSMART_ENV=development $(BIN)/huey_consumer gosmart.worker.huey -w 2 -k thread & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	GOSMART_ENV=development $(BIN)/flask run --host 127.0.0.1 --port 5000

# The suite runs on SQLite; with GOSMART_TEST_POSTGRES_URL set it runs again on PostgreSQL
# (the browser journeys, which start their own SQLite server, run once; the production tests,
# which start gunicorn, a worker, PostgreSQL and Redis processes of their own, in the second pass).
test: venv system-deps translations
	$(BIN)/python -m pytest $${GOSMART_TEST_POSTGRES_URL:+--ignore=tests/production} $(PYTEST_ARGS)
	@if [ -n "$$GOSMART_TEST_POSTGRES_URL" ]; then \
	  echo "== the same suite on PostgreSQL =="; \
	  TEST_DATABASE_URL="$$GOSMART_TEST_POSTGRES_URL" $(BIN)/python -m pytest --ignore=tests/e2e $(PYTEST_ARGS); \
	else \
	  echo "PostgreSQL run skipped: set GOSMART_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test to run it."; \
	fi

# The benchmark (not part of `make test`): README "Benchmark". BENCH_ARGS passes options to bench/run.py.
bench: venv system-deps translations
	@bench/system-deps.sh
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean-db:
	rm -f instance/gosmart.db
