# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates (or reuses) .venv and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gskit demo

# The whole suite, then the completion-port tests again on the portable poller
# (selectors: what macOS and the BSDs get) instead of Linux's edge-triggered epoll.
test: $(STAMP)
	$(BIN)/python -m pytest -q
	GSKIT_POLLER=selectors $(BIN)/python -m pytest -q tests/completion tests/engine/test_async_gsk.py

clean:
	rm -rf $(VENV) build *.egg-info
