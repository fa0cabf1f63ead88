# Balai — the two commands: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
PG_URL ?= postgres://postgres@127.0.0.1:5432/balai_test
PORT ?= 8000
# pytest-xdist processes for the suite (one per CPU by default; TEST_PROCS=0 runs in-process).
TEST_PROCS ?= auto
PYTEST := $(UV) run pytest -n $(TEST_PROCS) --dist loadfile

.PHONY: demo test test-sqlite test-postgres lint format env browser pdf-libs clean bench-webhook bench-nlu bench-console

env:  ## uv (via pip if missing) and the locked environment
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

demo: env pdf-libs  ## run Balai with demo data on http://127.0.0.1:$(PORT)
	$(UV) run balai demo --port $(PORT)

browser:  ## Debian's Chromium and poppler's pdftoppm for the browser and PDF tests (root and apt; skipped otherwise)
	@{ command -v chromium && command -v pdftoppm; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium and poppler-utils for the browser and PDF tests…"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils) >/dev/null \
	      || echo "Could not install chromium/poppler-utils: those tests will be skipped."; \
	  else echo "chromium or pdftoppm not found and cannot be installed here: those tests will be skipped."; fi; }

pdf-libs:  ## pango and DejaVu fonts for WeasyPrint's letter PDFs (needs root and apt otherwise)
	@{ ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' && ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' \
	   && fc-list 2>/dev/null | grep -qi 'DejaVu Serif'; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing pango and DejaVu fonts for the letter PDFs (WeasyPrint)…"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core) >/dev/null \
	      || echo "Could not install pango/fonts: letter PDFs and their tests will fail." >&2; \
	  else echo "WeasyPrint needs pango and the DejaVu fonts for letter PDFs: install" \
	    "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core (Debian/Ubuntu, as root)." >&2; fi; }

lint: env
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format: env
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

test: env browser pdf-libs deploy-tools lint test-sqlite test-postgres  ## the whole suite: SQLite, then PostgreSQL

test-sqlite: env
	@echo "== Test suite on SQLite"
	$(PYTEST)

test-postgres: env
	@if $(UV) run python scripts/pg_available.py "$${DATABASE_URL:-$(PG_URL)}"; then \
	  echo "== Test suite on PostgreSQL ($${DATABASE_URL:-$(PG_URL)}): the tests that use the database"; \
	  DATABASE_URL="$${DATABASE_URL:-$(PG_URL)}" $(PYTEST); \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL is not reachable at $${DATABASE_URL:-$(PG_URL)}: CI needs it." >&2; exit 1; \
	else \
	  echo "== SKIPPED the PostgreSQL run: no server at $${DATABASE_URL:-$(PG_URL)} (set DATABASE_URL to use another)."; \
	fi

clean:
	rm -rf var .pytest_cache .ruff_cache

bench-webhook: env  ## signed-webhook ingest vs a bare endpoint, SQLite and PostgreSQL -> docs/benchmarks.md
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's wrk (HTTP load generator)…"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null; \
	  fi; \
	  command -v wrk >/dev/null 2>&1 || { \
	    echo "bench-webhook needs wrk (an HTTP load generator) and could not install it:" \
	      "run as root on Debian/Ubuntu, or install wrk yourself." >&2; exit 1; }; }
	$(UV) run python scripts/bench_webhook.py $(BENCH_ARGS)

bench-nlu: env  ## message understanding: held-out accuracy and time per message -> docs/benchmarks.md
	$(UV) run python scripts/bench_nlu.py

bench-console: env  ## console pages with 100,000 residents and 200,000 requests (PostgreSQL) -> docs/benchmarks.md
	$(UV) run python scripts/bench_console.py $(BENCH_ARGS)

.PHONY: bench-broadcast
bench-broadcast: env  ## a WhatsApp announcement to 10,000 residents at 80 msg/s through the simulator, then with every worker killed half-way (PostgreSQL) -> docs/benchmarks.md
	$(UV) run python scripts/bench_broadcast.py $(BENCH_ARGS)

.PHONY: deploy-tools check-deploy
deploy-tools:  ## Debian's nginx (light) for the nginx config test and make check-deploy (root and apt; skipped otherwise)
	@command -v nginx >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's nginx-light for the deployment tests…"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light) >/dev/null \
	      || echo "Could not install nginx-light: the nginx tests will be skipped."; \
	  else echo "nginx not found and cannot be installed here: the nginx tests will be skipped."; fi; }

check-deploy: env deploy-tools  ## run docs/deploy.md's commands against a temporary PostgreSQL database (CHECK_ARGS=--fast reuses .venv)
	$(UV) run python scripts/check_deploy.py $(CHECK_ARGS)

.PHONY: bench-load
bench-load: env  ## a storm of signed webhooks from residents mid-conversation (20 villages) on PostgreSQL with web and worker processes, database and Redis task backends, then growth 1k → 100k residents -> docs/benchmarks.md
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's wrk (HTTP load generator)…"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null; \
	  fi; \
	  command -v wrk >/dev/null 2>&1 || { \
	    echo "bench-load needs wrk (an HTTP load generator) and could not install it:" \
	      "run as root on Debian/Ubuntu, or install wrk yourself." >&2; exit 1; }; }
	$(UV) run python scripts/bench_load.py $(BENCH_ARGS)
