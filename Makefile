# The course's commands. Each one bootstraps .venv from requirements.txt first (nothing global).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Rebuilt whenever the pins or the project metadata change.
INSTALLED := $(VENV)/.installed
LESSONS := $(wildcard notebooks/[0-9][0-9]_*.ipynb)
SOLUTIONS := $(wildcard solutions/[0-9][0-9]_*.ipynb)

.PHONY: lab test exercises execute serve bench install

install: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "The course needs Python 3.11 or newer: run make with PYTHON=python3.11 (or newer).")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	@touch $@

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
execute: $(INSTALLED)
	$(BIN)/ruff format --quiet notebooks solutions
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False $(LESSONS) $(SOLUTIONS)
	$(BIN)/python -m course.exercises

## make serve: run Taskboard for real on http://127.0.0.1:8000 (docs at /docs)
serve: $(INSTALLED)
	$(BIN)/fastapi run taskboard/main.py --host 127.0.0.1 --port 8000

## make bench: time each lesson in a fresh kernel and the whole suite
bench: $(INSTALLED)
	$(BIN)/python scripts/bench.py
