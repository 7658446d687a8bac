# Two commands do all the set-up on a fresh Debian machine:
#   make run    create the environment, load the demo data, publish, serve on :8050
#   make test   install what the tests need (chromium, poppler-utils) and run them
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help run test venv system-deps lint bench clean

help:
	@echo "make run   - serve the dashboard with demo data on http://127.0.0.1:8050"
	@echo "make test  - install test dependencies and run every test"
	@echo "make lint  - ruff"
	@echo "make bench - national-scale benchmark (small: make bench SCALE=small)"

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

system-deps:
	@need=""; \
	command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	command -v pdftotext >/dev/null 2>&1 || need="$$need poppler-utils"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need fonts-dejavu-core; \
	  else echo "please install:$$need (sudo apt-get install$$need)"; exit 1; fi; \
	fi

run: venv
	$(BIN)/python app.py serve

test: venv system-deps
	$(BIN)/python -m pytest -q -n 2

lint: venv
	$(BIN)/ruff check app.py etl dashboard tests

bench: venv
	$(BIN)/python app.py bench --scale $(or $(SCALE),full) --json bench.json

clean:
	rm -rf $(VENV) .pytest_cache
