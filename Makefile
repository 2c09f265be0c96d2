# Two commands matter: `make run` (install, migrate, demo data, serve) and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SURVEY_TEST_POSTGRES_URL ?=
export SURVEY_DATA_DIR ?= $(CURDIR)/var

.PHONY: install run test test-sqlite test-postgres lint browser bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

run: install
	$(BIN)/survey-app migrate
	$(BIN)/survey-app demo
	$(BIN)/survey-app serve

# Headless Chromium from Debian for the respondent-page tests (never a downloaded browser).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "cjk"; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "请先安装 Chromium 和中文字体：sudo apt-get install chromium fonts-noto-cjk"; exit 1; fi; fi

test: install browser
	$(BIN)/python -m pytest --db=sqlite
	@if [ -n "$(SURVEY_TEST_POSTGRES_URL)" ]; then \
	  SURVEY_TEST_POSTGRES_URL="$(SURVEY_TEST_POSTGRES_URL)" $(BIN)/python -m pytest --db=postgres \
	  && echo "PostgreSQL leg passed"; \
	else echo "SURVEY_TEST_POSTGRES_URL not set: PostgreSQL leg skipped"; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy survey_app questionnaires analysis

bench: install
	@echo "See bench/README section in README.md for the benchmark scripts."

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
