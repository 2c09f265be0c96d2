# Two commands matter: `make run` (install, migrate, demo data, serve) and `make test`.
# Everything is installed from the locks in requirements/ (exact versions with hashes), so a fresh
# machine runs exactly what CI tested. `make lock` refreshes the locks from pyproject.toml's ranges.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
SURVEY_TEST_POSTGRES_URL ?=
export SURVEY_DATA_DIR ?= $(CURDIR)/var
# Install exactly what the lock says, whatever a pip or uv configuration on the machine adds.
UV_SYNC := UV_NO_CONFIG=1 $(UV) pip sync --python $(BIN)/python --require-hashes --quiet
UV_SELF := UV_NO_CONFIG=1 $(UV) pip install --python $(BIN)/python --no-deps --no-build-isolation --quiet
LOCK := UV_NO_CONFIG=1 $(UV) pip compile --quiet --python-version 3.11 --generate-hashes --universal

.PHONY: install install-test run test test-sqlite test-postgres lint lock browser axe clean

# The lock tool itself comes from a lock (requirements/tools.lock), in a venv of its own.
$(UV): requirements/tools.lock
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/tools.lock
	touch $@

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Runtime only for `make run`; the test lock is a superset and replaces it for `make test`.
$(VENV)/.runtime: requirements/runtime.lock pyproject.toml setup.py | $(UV) $(BIN)/python
	$(UV_SYNC) requirements/runtime.lock
	$(UV_SELF) -e .
	rm -f $(VENV)/.test
	touch $@

$(VENV)/.test: requirements/test.lock pyproject.toml setup.py | $(UV) $(BIN)/python
	$(UV_SYNC) requirements/test.lock
	$(UV_SELF) -e .
	rm -f $(VENV)/.runtime
	touch $@

install: $(VENV)/.runtime
install-test: $(VENV)/.test

run:
	@test -f $(VENV)/.test || $(MAKE) --no-print-directory install
	$(BIN)/survey-app migrate
	$(BIN)/survey-app demo
	$(BIN)/survey-app serve

# The runtime lock is constrained by the test lock, so `make run` uses exactly the tested versions.
lock: | $(UV)
	$(LOCK) pyproject.toml requirements/build.in --extra test -o requirements/test.lock
	$(LOCK) pyproject.toml requirements/build.in --constraints requirements/test.lock -o requirements/runtime.lock
	$(LOCK) requirements/tools.in -o requirements/tools.lock

# Headless Chromium from Debian for the page tests (never a downloaded browser).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "cjk"; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "请先安装 Chromium 和中文字体：sudo apt-get install chromium fonts-noto-cjk"; exit 1; fi; fi

# axe-core for the accessibility checks, from the npm registry at the locked version.
axe:
	@if [ -f tests/e2e/package-lock.json ]; then npm ci --prefix tests/e2e --silent --no-audit --no-fund; fi

test: install-test browser axe
	$(BIN)/python -m pytest --db=sqlite
	@if [ -n "$(SURVEY_TEST_POSTGRES_URL)" ]; then \
	  SURVEY_TEST_POSTGRES_URL="$(SURVEY_TEST_POSTGRES_URL)" $(BIN)/python -m pytest --db=postgres \
	  && echo "PostgreSQL leg passed"; \
	else echo "SURVEY_TEST_POSTGRES_URL not set: PostgreSQL leg skipped"; fi

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy survey_app questionnaires analysis
	$(BIN)/lint-imports pyproject.toml

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache build
