# Two commands on a fresh Debian machine: `make demo` and `make test`. Both run `make setup`,
# which installs what is missing: Debian's ngspice and libngspice (apt-get) and a .venv with the
# package installed editable with its test and notebook extras. (setuptools' notice "Editable installation",
# printed for every editable install of a flat layout, is filtered; real warnings still show.)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= results/demo
export OPENBLAS_NUM_THREADS := 1
export MPLBACKEND := Agg

.PHONY: setup demo test test-slow lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/system-packages.txt
	bash scripts/install-system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install -q -e '.[test,notebook]'
	touch $(STAMP)

demo: setup
	$(BIN)/coupled demo --out $(DEMO_OUT) --overwrite

test: setup lint
	$(BIN)/python -m pytest -n 2 -q

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) results .pytest_cache
