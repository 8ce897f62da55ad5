# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv and install the pinned dependencies first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench load lint format lock clean venv bytecode deploy-check shellcheck

venv: $(STAMP)

# shequ itself is installed editable as a path in a .pth file (`editable_mode=compat`): the
# default mode's import hook is loaded at the start of every `shequ` command, and a
# deployment's installed package has none (bench/README.md).
$(STAMP): requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "shequ 需要 Python 3.11 或更高版本 (Python 3.11+ required)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . \
		--config-settings editable_mode=compat
	@$(MAKE) --no-print-directory bytecode
	@touch $(STAMP)

# An editable install leaves shequ's own modules uncompiled, and where the environment sets
# PYTHONDONTWRITEBYTECODE every `shequ` command compiled them again (a tenth of a second of
# each command's start). Compiled once here, as installing a wheel would.
bytecode:
	@$(BIN)/python -m compileall -q shequ

demo: $(STAMP)
	$(BIN)/shequ demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/shequ check
	$(BIN)/shequ makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# The extras' lock files (requirements-bench.lock, requirements-load.lock), installed on top
# of the development environment the first time a target needs them.
$(VENV)/.%-installed: $(STAMP) requirements-%.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-$*.lock
	@touch $@

# Benchmarks (never timed tests): prints a table and writes bench/results.json.
bench: $(VENV)/.bench-installed bytecode
	$(BIN)/python bench/run.py

# The deadline-day load test (figures on this machine, not a test): gunicorn on a throwaway
# PostgreSQL, 100 street and 10 district users, then every write read back (ADR 0016).
load: $(VENV)/.load-installed
	$(BIN)/python load/run.py

# The deployment scripts for real on this machine's loopback (deploy/check.sh, as root):
# a throwaway PostgreSQL, install, first run, HTTPS login, import and export through nginx,
# the scheduled jobs, an upgrade and a rollback; everything it made is removed.
deploy-check:
	deploy/check.sh

# The deployment's shell scripts (Debian's shellcheck: apt-get install shellcheck).
shellcheck:
	shellcheck -x deploy/*.sh deploy/templates/shequ-wrapper deploy/templates/job

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the lock files after changing dependencies in pyproject.toml.
lock: $(STAMP)
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra dev --extra bench -o requirements-bench.lock pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra dev --extra load -o requirements-load.lock pyproject.toml

clean:
	rm -rf $(VENV) var .pytest_cache
