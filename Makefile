# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates (or reuses) .venv and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The compiled modules (setup.py): rebuilt in place whenever a module of gskit changes,
# since the compiled code relies on the types of the modules it calls.
NATIVE := gskit/.native-built
SOURCES := $(shell find gskit -name '*.py' -o -name '*.c')
PURE := build/pure

.PHONY: demo test native bench clean

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools>=77'
	GSKIT_PURE_PYTHON=1 $(BIN)/python -m pip install --quiet -e '.[test]'  # compiled below
	touch $(STAMP)

$(NATIVE): $(STAMP) $(SOURCES)
	$(BIN)/python setup.py --quiet build_ext --inplace --force
	touch $(NATIVE)

native: $(NATIVE)

demo: $(NATIVE)
	$(BIN)/gskit demo

# The whole suite; the completion-port tests again on the portable poller (selectors:
# what macOS and the BSDs get) instead of Linux's edge-triggered epoll; and once more on
# the pure-Python build (the compiled modules' tests: completion ports and the engine), run
# from a copy of the tree without the compiled modules.
test: $(NATIVE)
	$(BIN)/python -m pytest -q
	GSKIT_POLLER=selectors $(BIN)/python -m pytest -q tests/completion tests/engine/test_async_gsk.py
	rm -rf $(PURE) && mkdir -p $(PURE) && cp -r gskit certstore tests examples docs pyproject.toml $(PURE)
	find $(PURE) -name '*.so' -delete
	cd $(PURE) && $(CURDIR)/$(BIN)/python -m pytest -q -p no:cacheprovider tests/completion tests/engine

clean:
	rm -rf $(VENV) build *.egg-info $(NATIVE)
	find gskit -name '*.so' -delete
