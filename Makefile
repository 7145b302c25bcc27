# Two commands do all the set-up on a fresh clone:
#   make run    install into .venv and start the app
#   make test   install what the tests need and run the whole suite (CI runs exactly this)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: run test install install-test system-deps eval bench screenshots clean

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

# Browser tests drive Debian's chromium (never a downloaded browser); CJK fonts make screenshots legible.
# PostgreSQL: the scale-out tests start their own throwaway server (initdb + pg_ctl in a temp dir), never the system service.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "noto sans cjk" || missing="$$missing fonts-noto-cjk"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "安装系统依赖：$$missing（浏览器端到端测试、PostgreSQL 集成测试用）"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(BIN)/policy-assistant serve --host $${HOST:-127.0.0.1} --port $${PORT:-7860}

test: $(VENV)/.installed-test system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

eval: $(VENV)/.installed-test
	$(BIN)/python eval/run_retrieval.py --out docs/benchmarks.md --chart docs/retrieval.png
	$(BIN)/python eval/run_answers.py --out docs/benchmarks.md
	$(BIN)/python eval/run_answers.py --gold eval/answers/holdout.jsonl --out docs/benchmarks.md

# Refresh the README's screenshots from the real app in headless Chromium.
screenshots: $(VENV)/.installed-test system-deps
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -m e2e tests/test_e2e.py -q

# Slower benchmarks: 120 synthetic policies (5040 nodes) and a bounded loopback load test.
bench: $(VENV)/.installed-test
	$(BIN)/python eval/scale.py --policies 120 --out docs/benchmarks.md
	$(BIN)/python eval/load.py --levels 1,8,32 --requests 400 --out docs/benchmarks.md

clean:
	rm -rf $(VENV) index/chroma index/*.tmp* .pytest_cache
