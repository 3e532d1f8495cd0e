# The SCO statements dataset. `make` sets up .venv and builds the dataset; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
COMPAT := .venv-compat

.DEFAULT_GOAL := all
.PHONY: all help venv build test validate score docs release bench clean

all: build ## set up the environment and build the dataset into build/

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

venv: $(STAMP) ## create .venv with the pinned dependencies

# the oldest DuckDB and pyarrow the README promises, and polars, for tests/test_compat.py
$(COMPAT)/.installed: tests/compat-requirements.lock
	$(PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/python -m pip install --quiet -r tests/compat-requirements.lock
	touch $@

build/SHA256SUMS: $(STAMP) $(wildcard raw/*) $(wildcard reference/*) $(wildcard reference/rules/*) $(wildcard schemas/*) $(wildcard pipeline/*.py)
	$(PY) -m pipeline build --raw raw --out build

build: build/SHA256SUMS ## build the dataset (skipped when nothing changed)

validate: $(STAMP) ## re-validate the built folder
	$(PY) -m pipeline validate --out build

test: $(STAMP) $(COMPAT)/.installed ## run the test suite (and the oldest promised DuckDB and pyarrow)
	$(PY) -m pytest

docs: $(STAMP) ## regenerate docs/CODEBOOK.md, docs/DATA_DICTIONARY.md and datapackage.json
	$(PY) -m pipeline docs
	$(PY) -m pipeline datapackage

score: $(STAMP) ## score extraction on the shared corpus (needs ../shared beside this folder)
	@test -x ../shared/tools/score-corpus.sh || { echo "make score needs the shared corpus and its scorer at ../shared/tools/score-corpus.sh (beside this folder, as in CI); the measured scores are in docs/QUALITY.yaml" >&2; exit 2; }
	../shared/tools/score-corpus.sh

release: build ## bundle the validated build into dist/<name>-<version>.zip
	$(PY) -m pipeline release --out build --dist dist

bench: $(STAMP) ## benchmark synthetic corpora (BENCH_SIZES=10,100 MB) into build/bench/report.json
	$(PY) -m bench.run

clean: ## remove build outputs (keeps .venv)
	rm -rf build dist
