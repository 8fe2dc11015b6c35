# Two commands do everything: `make lab` (set up, open the lessons) and `make test` (set up, run every test).
# `make lab` needs pip only (no apt-get, no root); `make test` also installs Chromium for the browser tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LESSON ?= 05
PORT   ?= 8888
THEME  ?= light
LESSONS_DIR ?= notebooks
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab test bench present venv venv-test system-test clean

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

venv: $(VENV)/.lab-installed

venv-test: system-test $(VENV)/.test-installed

# LANG=ko: the Korean edition of the lessons (notebooks/ko/), for `make lab` and `make present`. LANG is
# also the shell's locale (en_US.UTF-8, ...): any value but ko means English, and the programs started
# here get a real locale back when LANG is ko or en.
EDITION = $(if $(filter ko,$(LANG)),$(LESSONS_DIR)/ko,$(LESSONS_DIR))
RUN_ENV = $(if $(filter ko en,$(LANG)),env LANG=C.UTF-8,)

lab: venv
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))'); \
	echo ""; echo "The lessons open at: http://127.0.0.1:$(PORT)/lab/tree/$(EDITION)/00_index.ipynb?token=$$token"; echo ""; \
	$(RUN_ENV) $(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --ServerApp.port_retries=0 --no-browser $(ROOT_FLAG) \
		--IdentityProvider.token=$$token --ServerApp.default_url=/lab/tree/$(EDITION)/00_index.ipynb

test: venv-test
	$(BIN)/python -m pytest -ra

bench: venv-test
	@# every benchmark runs and prints its goals; the target fails at the end if any goal was not met
	@failed=""; for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || failed="$$failed $$f"; done; \
	if [ -n "$$failed" ]; then echo "Goals not met in:$$failed"; exit 1; fi

# A lesson as an app for a projector: outputs and widgets only, no code cells (Voilà).
# LESSON=5 or 05 picks notebooks/05_*.ipynb, with LANG=ko notebooks/ko/05_*.ipynb; THEME=dark for a
# dark room; Ctrl+C stops it.
# Cells tagged solution, check or exercise are left out of the page (not run, nothing shown): Voilà runs
# the cells after nbconvert's preprocessors, so TagRemovePreprocessor.remove_all_outputs_tags would
# not hide their outputs. The same settings: voila.json (voila started here), binder/ (Binder).
present: venv
	@n=$$(echo "$(LESSON)" | sed 's/^[0-9]$$/0&/'); f=$$(ls $(EDITION)/$${n}_*.ipynb 2>/dev/null | head -n1); \
	if [ -z "$$f" ]; then echo "No lesson $(EDITION)/$${n}_*.ipynb. The lessons: $$(ls $(EDITION) | grep '\.ipynb$$' | tr '\n' ' ')" >&2; exit 2; fi; \
	echo "Presenting $$f at http://127.0.0.1:$(PORT)/ (open it in a browser; Ctrl+C stops it)"; \
	exec $(RUN_ENV) $(BIN)/voila --no-browser --Voila.ip=127.0.0.1 --Voila.port=$(PORT) --Voila.port_retries=0 \
	    --strip_sources=True --template=lab --theme=$(THEME) --TagRemovePreprocessor.enabled=True \
	    --TagRemovePreprocessor.remove_cell_tags=solution --TagRemovePreprocessor.remove_cell_tags=check \
	    --TagRemovePreprocessor.remove_cell_tags=exercise "$$f"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
