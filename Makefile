# Two commands do all the set-up on a fresh clone:
#   make run    install into .venv and start the app
#   make test   install what the tests need and run the whole suite (CI runs exactly this)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: run test install install-test eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# torch is pinned (torch==2.13.0, the CPU build) by the `st` extra; nothing else pulls it.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[llm]'
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[llm,test,st]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(BIN)/policy-assistant lookup 3.4
	@echo "—— 以上为示例。更多用法：$(BIN)/policy-assistant --help"

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) index/chroma index/*.tmp* .pytest_cache
