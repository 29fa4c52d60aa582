# plantloop — two commands do all set-up on a fresh Debian machine:
#   make run    install everything, then run the reference plant with the full loop and the web UI
#   make test   install everything, then run every check and test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the tests and the demo need (servers are started by the project itself, on loopback).
DEB_PACKAGES := postgresql mosquitto nats-server chromium fonts-noto-cjk default-jre-headless
STAMP := $(VENV)/.installed

.PHONY: run test install system-deps lint typecheck unit bench clean

run: install
	$(BIN)/plantloop demo

# pytest exit 5 (no test collected) is a failure here, never a silent pass.
test: install lint typecheck
	@set +e; $(BIN)/python -m pytest -q -p no:cacheprovider -ra --durations=15; rc=$$?; \
	echo "────────────────────────────────────────────────────────────"; \
	echo "make test: ruff ok, ruff format ok, mypy --strict ok; pytest exit code $$rc"; \
	if [ $$rc -eq 5 ]; then echo "make test: FAILED — pytest collected no tests"; exit 1; fi; \
	if [ $$rc -ne 0 ]; then echo "make test: FAILED"; else echo "make test: all green"; fi; exit $$rc

install: system-deps $(STAMP)

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv==0.13.9
	$(BIN)/uv pip sync -q -p $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e .
	touch $(STAMP)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy src/plantloop

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
