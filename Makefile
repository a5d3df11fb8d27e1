# The two front-door commands: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
STAMP := $(VENV)/.installed

.PHONY: run test install install-test chromium lock clean-var help

help:
	@echo "make run    install and start the archive on http://127.0.0.1:8000/"
	@echo "make test   install the test dependencies and run the whole suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list or the lock changes.
$(STAMP)-app: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -q -c constraints.txt -e '.[embedded]'
	touch $@

$(STAMP)-test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -q -c constraints.txt -e '.[embedded,test]'
	touch $@ $(STAMP)-app

install: $(STAMP)-app
install-test: $(STAMP)-test

run: install
	$(BIN)/python -m tools.run

test: install-test chromium
	$(BIN)/python -m tools.with_services -- $(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests drive Debian's chromium. Installed here when we may
# (root with apt-get); otherwise those tests skip and say why (outside CI).
chromium:
	@if [ -z "$$HCSMCA_CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "note: chromium is not installed, the browser tests will skip (apt-get install chromium)"; \
	  fi; \
	fi

# Regenerate constraints.txt from a clean environment after changing pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q '.[embedded,test]'
	.lock-venv/bin/pip freeze --exclude hcsmca-archive | sed '/^-e /d' > constraints.txt
	rm -rf .lock-venv

clean-var:
	rm -rf var
