# The workbook's commands. `make lab` to work, `make test` to check everything (CI runs it too).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.mylib-installed
# what the install depends on: pyproject.toml's dependency lists and entry points, not the whole file (nbdev-export rewrites
# it on every run); .ci/deps.py rewrites this file only when they change, so an export does not trigger a reinstall
DEPS := $(VENV)/.mylib-deps
PORT ?= 8888
LAB_ARGS ?=
NBTEST_ARGS ?=
# nbdev-test runs notebooks side by side, longest first (.ci/nbtest.py); one torch thread per notebook keeps the cores from being oversubscribed
NB_WORKERS ?= 2
NB_THREADS ?= 1
NBTEST := MYLIB_THREADS=$(NB_THREADS) $(BIN)/python .ci/nbtest.py --timing --n-workers $(NB_WORKERS)
PYTEST_ARGS ?=
# the pinned versions; the weekly upstream workflow sets CONSTRAINTS= to install the newest releases instead
CONSTRAINTS ?= -c constraints.txt
export BIN

.PHONY: help install hooks sysdeps data setup lab nb readme check-sync nbtest pytest test bench robust clean-data FORCE

help:  ## show the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -e 's/:.*## /\t/' | expand -t 14

$(DEPS): FORCE
	@mkdir -p $(VENV) && $(PYTHON) .ci/deps.py pyproject.toml $@

$(STAMP): $(DEPS) constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mylib needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(CONSTRAINTS) -e ".[workbook,dev]"
	$(BIN)/python -m ipykernel install --user --name mylib --display-name "Python 3 (mylib)" >/dev/null
	@touch $@

install: $(STAMP)  ## create .venv and install the pinned environment

# Opt-in, for whoever edits the notebooks: Jupyter cleans a notebook on save (jupyter_hooks in pyproject.toml), and git
# merges and diffs notebooks with nbdev's drivers. It writes ~/.jupyter/jupyter_*_config.py and .gitconfig/.gitattributes,
# and the drivers are .venv commands, so run git with .venv/bin on PATH. `make install` leaves this to you.
hooks: $(STAMP)  ## (maintainers) nbdev's hooks: clean notebooks on save, notebook-aware git merge and diff
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/nbdev-install-hooks

sysdeps:  ## system packages (Chromium for browser tests, Fashion-MNIST): apt when root, else a message
	@bash .ci/sysdeps.sh

data: $(STAMP)  ## fetch, verify and build every dataset (data/) and pretrained model (models/)
	$(BIN)/mylib-data fetch all
	$(BIN)/mylib-models

setup: install sysdeps data

lab: setup  ## set everything up and open JupyterLab on the chapters (nbs/chapters; exercises and engine beside them)
	$(BIN)/jupyter lab --notebook-dir=nbs --ServerApp.default_url=/lab/tree/chapters --port=$(PORT) $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

nb: setup  ## run one notebook as the test suite does: make nb NB=10_vision (a name, or a path under nbs/)
	@test -n "$(NB)" || { echo 'usage: make nb NB=<notebook name, e.g. 10_vision or chapters/10_vision.ipynb>'; exit 2; }
	MYLIB_THREADS=$(NB_THREADS) $(BIN)/nbdev-test nbs --timing --do-print --file-re '^$(notdir $(basename $(NB)))\.ipynb$$' 

readme: $(STAMP)  ## regenerate README.md from nbs/index.ipynb (and the results table of bench/RESULTS.md)
	$(BIN)/python .ci/readme.py

check-sync: $(STAMP)  ## fail if nbdev-clean, nbdev-export or the README would change anything
	@bash .ci/check_sync.sh

nbtest: setup  ## run every notebook (nbdev-test); the log with each notebook's time goes to results/
	@bash .ci/nbtest.sh $(NBTEST) $(NBTEST_ARGS)

pytest: setup  ## run the pytest suite (browser, subprocess and multi-process tests)
	$(BIN)/pytest $(PYTEST_ARGS)

test: check-sync nbtest pytest  ## the whole suite: sync check, every notebook, then pytest (in that order)

bench: setup  ## benchmarks (bench/): writes bench/RESULTS.md, and its chapter results table into README.md
	$(BIN)/python bench/run.py
	$(BIN)/python .ci/readme.py

robust: setup  ## rerun the notebooks under 5 seeds at 1 thread and 2 seeds at 2 threads: bench/ROBUSTNESS.md (~1.5 h)
	$(BIN)/python bench/robust.py run --seeds 1 2 3 4 5 --threads 1 --workers $(NB_WORKERS)
	$(BIN)/python bench/robust.py run --seeds 1 2 --threads 2 --workers 1

clean-data:  ## remove the dataset cache (it is rebuilt by `make data`)
	rm -rf data/*/ data/.sources
