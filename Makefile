# The course's commands. Each one first installs requirements.lock into .venv (nothing global).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# Rebuilt whenever the lock or the project metadata change.
INSTALLED := $(VENV)/.installed
LESSONS := $(wildcard notebooks/[0-9][0-9]_*.ipynb)
SOLUTIONS := $(wildcard solutions/[0-9][0-9]_*.ipynb)
# uv installs the lock in seconds: the uv on PATH if there is one, else the lock's own pinned uv,
# which pip installs first. `make test INSTALLER=pip` installs with plain pip instead (slower).
INSTALLER ?= uv
UV := $(or $(shell command -v uv 2>/dev/null),$(BIN)/uv)

.PHONY: lab test exercises execute serve bench screenshots install lock progress test-latest

install: $(INSTALLED)

$(INSTALLED): $(LOCK) requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "The course needs Python 3.11 or newer: run make with PYTHON=python3.11 (or newer).")'
ifeq ($(INSTALLER),pip)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
else
ifeq ($(UV),$(BIN)/uv)
	$(PYTHON) -m venv $(VENV)
	awk '/^uv==/ { found = 1 } found { print } found && !/\\$$/ { exit }' $(LOCK) > $(VENV)/bootstrap-uv.txt
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps --only-binary :all: -r $(VENV)/bootstrap-uv.txt
else
	$(UV) venv --quiet --allow-existing --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')" $(VENV)
endif
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes $(LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
endif
	@touch $@

## make lock: after editing requirements.txt, resolve every package into requirements.lock with
## hashes (kept versions stay unless `make lock LOCK_ARGS=--upgrade`). The lock also pins the
## build backend from pyproject.toml, so the editable install builds offline.
lock: $(INSTALLED)
	$(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
	| $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" $(LOCK_ARGS) --output-file $(LOCK) requirements.txt -

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

## make lab: open the course in JupyterLab, on lesson 00
lab: $(INSTALLED)
	$(BIN)/jupyter lab $(ALLOW_ROOT) --LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb

## make test: the whole suite (app, checks, exercises, every notebook cell with strict nbval)
test: $(INSTALLED)
	$(BIN)/python -m pytest -n 2 --dist loadfile

## make exercises: regenerate exercises/ from solutions/
exercises: $(INSTALLED)
	$(BIN)/python -m course.exercises

## make execute: format, then re-run lessons and solutions so stored outputs are what the code produces
## (each kernel keeps check verdicts in memory: a stored progress table never shows your own)
execute: $(INSTALLED)
	$(BIN)/ruff format --quiet notebooks solutions
	COURSE_PROGRESS_FILE=:memory: $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False $(LESSONS) $(SOLUTIONS)
	$(BIN)/python -m course.exercises

## make serve: run Taskboard for real on http://127.0.0.1:8000 (docs at /docs); the app is
## [tool.fastapi] entrypoint in pyproject.toml
serve: $(INSTALLED)
	$(BIN)/fastapi run --host 127.0.0.1 --port 8000

## make bench: lesson 14's ladder (GET /tasks/3 from a raw ASGI app up to Taskboard, loaded
## with wrk when it is installed, else with httpx), then each lesson's time in a fresh kernel and
## the whole suite. `make bench BENCH=--ladder` measures the ladder only.
bench: $(INSTALLED)
	$(BIN)/python scripts/bench.py $(BENCH)

## make screenshots: the pictures of /docs and /redoc that lessons 01 and 03 show (notebooks/images/),
## and the README's of the course in JupyterLab (docs/images/), taken in Chromium (Debian's
## `chromium` package; never `playwright install`). `make screenshots SHOTS=readme` takes one group.
screenshots: $(INSTALLED)
	$(BIN)/python scripts/screenshots.py $(SHOTS)

## make progress: every lesson's tasks, done, failed or not tried, as your checks last said
## (`make progress LESSON=02` for one lesson); kept in .course-progress.json, never sent anywhere
progress: $(INSTALLED)
	@$(BIN)/python -m course $(LESSON)

## make test-latest: the canary. The whole suite in .venv-latest, with the newest release of every
## package in requirements.txt instead of the lock; prints what moved and which notebooks changed.
## Not part of make test.
test-latest: $(INSTALLED)
	$(BIN)/python scripts/test_latest.py
