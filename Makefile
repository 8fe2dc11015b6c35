# Two commands do everything: `make lab` (set up, open the lessons) and `make test` (set up, run every test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LESSON ?= 05
PORT   ?= 8888
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab test bench present venv venv-test system system-test clean

system:
	@tools/system_packages.sh lab

system-test:
	@tools/system_packages.sh test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.lab-installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install -q -r requirements.txt -e .
	@touch $@

$(VENV)/.test-installed: $(VENV)/.lab-installed requirements-test.txt
	$(BIN)/pip install -q -r requirements-test.txt
	@touch $@

venv: system $(VENV)/.lab-installed

venv-test: system-test $(VENV)/.test-installed

lab: venv
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --no-browser $(ROOT_FLAG) notebooks/00_index.ipynb

test: venv-test
	$(BIN)/python -m pytest -ra

bench: venv-test
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

present: venv
	@f=$$(ls notebooks/$(LESSON)_*.ipynb | head -n1); echo "Presenting $$f"; \
	$(BIN)/voila --port=$(PORT) --no-browser --Voila.ip=127.0.0.1 $$f

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
