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
                $(wildcard moments/nlu/*.py moments/nlu/*.yml moments/nlu/*.txt)
MODEL_STAMP := models/.trained

.PHONY: help install train run shell test eval bench actions rasa clean

help:
	@echo "make run    - install, train if needed, start Rasa (:5005) and the action server (:5055)"
	@echo "make test   - install what is missing and run the whole test suite"
	@echo "make train  - train a model (only when data/, domain/ or config.yml changed)"
	@echo "make shell  - talk to the bot in the terminal"
	@echo "make eval   - per-language NLU benchmark (ours vs Rasa's default pipeline) -> reports/"
	@echo "make crossval - where the training data is weak (3-fold cross-validation, ~10 min)"
	@echo "make web    - the web page with the chat widget alone (:8080; make run starts it too)"
	@echo "make console - the trainers' and operators' console alone (:8090; make run starts it too)"
	@echo "make notify - one reminders run now; make notifier-clock ADVANCE=28d moves the notifier's clock"

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
	$(PY) -m moments.evaluation $(if $(MODEL),--model $(call shq,$(MODEL))) $(if $(OURS_ONLY),--ours-only) $(if $(REVEAL_BLIND),--reveal-blind)

# Where the training data is weak: 3-fold cross-validation of data/nlu only (never the held-out split).
.PHONY: crossval
crossval: $(STAMP)
	$(PY) -m moments.evaluation.crossval $(if $(ERRORS),--errors)

bench: $(MODEL_STAMP)
	$(PY) -m moments.evaluation.conversations

# A/B of moments/rasa_speedups.py (no schema pass over action replies, no responses in action calls), interleaved.
.PHONY: bench-speedups
bench-speedups: $(MODEL_STAMP)
	$(PY) scripts/bench_speedups.py

# One long conversation on two stacks side by side, with and without moments/rasa_history.py: p50 per block of 10 turns.
# BENCH_LONG_ARGS="--turns 200 --logged-in"
.PHONY: bench-long
bench-long: $(MODEL_STAMP)
	$(PY) scripts/bench_long_conversation.py $(BENCH_LONG_ARGS)

clean:
	rm -rf models/*.tar.gz $(MODEL_STAMP) var reports results

# Re-pin the whole tree after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable 2>/dev/null | grep -v '^moments' > constraints.txt

# A phone in the terminal: texts the SMS webhook of `make run` (:5005) as a seeded parent would.
# SMS_ARGS="--as priya" | "--from +6590001111" | "--list" | "-m hello -m 2"  (see moments/channels/simulator.py)
.PHONY: sms
sms: $(STAMP)
	@$(PY) -m moments.channels.simulator $(SMS_ARGS)

# The five journeys by digits and short words, four languages, on a stack of its own: SMS segments per journey
# (moments/channels/bench_sms.py). SMS_MODEL=/tmp/me/m.tar.gz measures that model (no training into models/);
# BENCH_SMS_ARGS="-v" prints every SMS, "--lang ta" one language.
.PHONY: bench-sms
bench-sms: $(STAMP) $(if $(SMS_MODEL),,$(MODEL_STAMP))
	$(PY) -m moments.channels.bench_sms $(if $(SMS_MODEL),--model $(SMS_MODEL)) $(BENCH_SMS_ARGS)

# The web page (moments/web, :8080). Its front-end packages come from npm, pinned by package-lock.json:
# socket.io-client (served to the browser) and axe-core (accessibility tests). No CDN at run time.
WEB_ASSETS := moments/web/node_modules/.installed
$(WEB_ASSETS): moments/web/package.json moments/web/package-lock.json
	@echo "installing the web page's npm packages (moments/web/node_modules)"
	@cd moments/web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: web web-assets
web-assets: $(WEB_ASSETS)

# The page alone (Rasa, actions and agencies come from `make run`): WEB_PORT, AGENCIES_URL, WEB_RASA_URL.
web: $(STAMP) $(WEB_ASSETS)
	@scripts/with-secrets.sh $(PY) -m moments.web

run test: $(WEB_ASSETS)

# Reminders (moments/notifier; README "Reminders"). `make run` starts the notifier and the local Twilio endpoint.
#   make notifier-clock ADVANCE=28d   move the notifier's clock (every replica follows); RESET=1 back to real time; SET=2027-01-04T10:00
#   make notify                       one notifier run now (instead of waiting for the next one, every 60 s)
#   make bench-notifier               50,000 parents with something due, SQLite and PostgreSQL (BENCH_NOTIFIER_ARGS)
.PHONY: notifier notify notifier-clock bench-notifier twilio-local
notifier: $(STAMP)
	@scripts/with-secrets.sh $(PY) -m moments.notifier run

notify: $(STAMP)
	@scripts/with-secrets.sh $(PY) -m moments.notifier once

notifier-clock: $(STAMP)
	@scripts/with-secrets.sh $(PY) -m moments.notifier clock $(if $(ADVANCE),--advance $(call shq,$(ADVANCE))) $(if $(RESET),--reset) $(if $(SET),--set $(call shq,$(SET)))

twilio-local: $(STAMP)
	@scripts/with-secrets.sh $(PY) -m moments.notifier.twilio_local

bench-notifier: $(STAMP)
	$(PY) -m moments.notifier.bench $(BENCH_NOTIFIER_ARGS)

# Agency services (mock MyInfo, ICA, MSF, polyclinics) alone on :8000; see docs/agencies.md.
.PHONY: agencies bench-agencies
agencies: $(STAMP)
	@scripts/with-secrets.sh $(PY) -m moments.agencies

bench-agencies: $(STAMP)
	@scripts/with-secrets.sh $(PY) -m moments.agencies.bench

# 1, 2 and 3 Rasa replicas behind HAProxy on PostgreSQL + Redis: turns/s, p50/p95, lost turns (moments/scale.py).
.PHONY: bench-scaled
bench-scaled: $(MODEL_STAMP)
	$(PY) -m moments.evaluation.bench_scaled $(BENCH_ARGS)

# Trainer workflow (moments/trainer, see TRAINING.md). Arguments go in variables, e.g.
#   make add-intent NAME=ask_preschool
#   make add-examples INTENT=ask_preschool IN=ms EXAMPLES="nak cari tadika|yuran tadika berapa"   (or FILE=lines.txt; HELDOUT=1 for the test set)
#   make move-examples FROM=out_of_scope TO=ask_preschool IN=zh MATCH="幼儿园|托儿所"   [LIST=1: only show what would move]
#   make train-candidate [QUICK=1] [FORCE=1] [NO_VALIDATE=1: an experiment, never deployable]
#   make evaluate [MODEL=models/candidates/….tar.gz]
#   make deploy [MODEL=…] [ROLLBACK=1] [RASA_URL=http://localhost:5005] [CONFIRM=1] (token: RASA_TOKEN, else var/secrets.env)
#   make deploy LB=/run/haproxy/admin.sock   every replica behind HAProxy, one at a time (or REPLICAS=http://a:5005,http://b:5005)
#   make review [LIST=1 | TEMPLATE=decisions.yml | DECISIONS=decisions.yml] [TRACKER_DB=var/tracker.db]
# `make train` stays the plain full training of models/moments.tar.gz; train-candidate makes a candidate to evaluate.
# A trainer target that fails exits non-zero, at a terminal as in scripts and CI (make then adds its one
# "make: *** [Makefile:…: <target>] Error 1" line after the command's own message, which says what to do).
TRAINER := $(PY) -m moments.trainer
shq = '$(subst ','\'',$(1))'
.PHONY: validate add-intent add-examples move-examples train-candidate evaluate review deploy bench-trainer

validate: $(STAMP)
	@$(TRAINER) validate

add-intent: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make add-intent NAME=ask_preschool"; exit 2; }
	@$(TRAINER) add-intent $(call shq,$(NAME))

add-examples: $(STAMP)
	@test -n "$(INTENT)" -a -n "$(IN)" || { echo 'usage: make add-examples INTENT=ask_preschool IN=en|zh|ms|ta EXAMPLES="first|second" (or FILE=examples.txt) [HELDOUT=1]'; exit 2; }
	@$(TRAINER) add-examples $(call shq,$(INTENT)) --lang $(call shq,$(IN)) --separator '|' \
		$(if $(EXAMPLES),$(call shq,$(EXAMPLES))) $(if $(FILE),--file $(call shq,$(FILE))) $(if $(HELDOUT),--heldout)

move-examples: $(STAMP)
	@test -n "$(FROM)" -a -n "$(TO)" -a -n "$(MATCH)" || { echo 'usage: make move-examples FROM=out_of_scope TO=ask_preschool MATCH="幼儿园|托儿所" [IN=zh] [LIST=1]'; exit 2; }
	@$(TRAINER) move-examples --from $(call shq,$(FROM)) --to $(call shq,$(TO)) --match $(call shq,$(MATCH)) \
		$(if $(IN),--lang $(call shq,$(IN))) $(if $(LIST),--list)

train-candidate: $(STAMP)
	@$(TRAINER) train $(if $(QUICK),--quick) $(if $(FORCE),--force) $(if $(NO_VALIDATE),--no-validate)

evaluate: $(STAMP)
	@$(TRAINER) evaluate $(if $(MODEL),--model $(call shq,$(MODEL)))

review: $(STAMP)
	@$(TRAINER) review $(if $(TRACKER_DB),--tracker-db $(call shq,$(TRACKER_DB))) $(if $(LIST),--list) \
		$(if $(TEMPLATE),--template $(call shq,$(TEMPLATE))) $(if $(DECISIONS),--decisions $(call shq,$(DECISIONS)))

deploy: $(STAMP)
	@$(TRAINER) deploy $(if $(MODEL),--model $(call shq,$(MODEL))) $(if $(RASA_URL),--url $(call shq,$(RASA_URL))) \
		$(if $(LB),--lb $(call shq,$(LB))) $(if $(REPLICAS),--replicas $(call shq,$(REPLICAS))) \
		$(if $(ROLLBACK),--rollback) $(if $(filter-out 0,$(CONFIRM)),--yes)

# "Added 10 examples" -> "new model answering", on a copy of the committed data (not a test; ~7 minutes).
# QUICK=1 measures `train --quick` (fine-tuning the last model) instead of the NLU-only retrain.
bench-trainer: $(STAMP)
	$(PY) scripts/bench_trainer.py $(if $(QUICK),--quick)

# The trainers' and operators' console alone (moments/console, :8090; `make run` starts it too): CONSOLE_PORT,
# CONSOLE_TRACKER_URL (default: endpoints.yml's tracker store), CONSOLE_RASA_URL (where it deploys).
.PHONY: console bench-console
console: $(STAMP)
	@scripts/with-secrets.sh $(PY) -m moments.console init
	@scripts/with-secrets.sh $(PY) -m moments.console

# Analytics over 100,000 synthetic conversations in SQLite and PostgreSQL (if it answers on 127.0.0.1:5432):
# time to compute. BENCH_CONSOLE_ARGS="--conversations 10000 --no-postgres"
bench-console: $(STAMP)
	$(PY) -m moments.console.bench $(BENCH_CONSOLE_ARGS)
