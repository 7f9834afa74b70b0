# Everything runs from a project-local virtualenv built from pyproject.toml.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test lint demo install bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP) lint
	$(PY) -m pytest -n auto

# import contracts (layers), ruff and the type check: CI fails on an upward import, a lint error or a type error
lint: $(STAMP)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check bot checks tests bench
	$(VENV)/bin/mypy

demo: $(STAMP)
	$(VENV)/bin/srm demo

bench: $(STAMP)
	$(PY) bench/who_owns.py
	$(PY) bench/scan.py
	$(PY) bench/slack_ack.py

clean:
	rm -rf $(VENV) var .pytest_cache
