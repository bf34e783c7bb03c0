# Moments Assistant — every command a newcomer needs. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
# Quiet pip, but keep errors. (Some machines list local indexes that do not exist; that noise is dropped.)
PIP_QUIET := 2>&1 | grep -v "WARNING: Location 'file:" ; test $${PIPESTATUS[0]} -eq 0

# What a model is trained from: any change here retrains on `make run` / `make test`.
# The domain is a directory (domain/): Rasa merges its files; every rasa command gets --domain domain.
MODEL_INPUTS := config.yml $(shell find domain data -type f -name '*.yml' 2>/dev/null) \
                $(wildcard moments/nlu/*.py)
MODEL_STAMP := models/.trained

.PHONY: help install train run shell test eval bench actions rasa clean

help:
	@echo "make run    - install, train if needed, start Rasa (:5005) and the action server (:5055)"
	@echo "make test   - install what is missing and run the whole test suite"
	@echo "make train  - train a model (only when data/, domain/ or config.yml changed)"
	@echo "make shell  - talk to the bot in the terminal"
	@echo "make eval   - per-language NLU benchmark (ours vs Rasa's default pipeline) -> reports/"

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/find-python.sh
	@set -e; if [ ! -x $(PY) ]; then py=$$(scripts/find-python.sh); echo "creating $(VENV) with $$py"; $$py -m venv $(VENV); fi
	@echo "installing dependencies into $(VENV) (first time: a few minutes)"
	@$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]' $(PIP_QUIET)
	@$(PY) -m pip check $(PIP_QUIET)
	@touch $@

$(MODEL_STAMP): $(STAMP) $(MODEL_INPUTS)
	@mkdir -p models
	$(RASA) train --domain domain --fixed-model-name moments --out models --quiet
	@touch $@

train: $(MODEL_STAMP)

run: $(MODEL_STAMP)
	@scripts/run.sh

shell: $(MODEL_STAMP)
	@scripts/run.sh --shell

test: $(MODEL_STAMP)
	$(PY) -m pytest tests

eval: $(STAMP)
	$(PY) -m moments.eval

clean:
	rm -rf models/*.tar.gz $(MODEL_STAMP) var reports results

# Re-pin the whole tree after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable 2>/dev/null | grep -v '^moments' > constraints.txt
