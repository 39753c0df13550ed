# Inception provisioning: see README.md.
SHELL      := /bin/bash
VENV       ?= .venv
PY         := $(VENV)/bin/python
BIN        := $(VENV)/bin
INVENTORY  ?= inventory/hosts.yml
# vm_host and docker_engine's checks run in fleet, on its fresh VMs; each still runs alone
# (make molecule SCENARIOS=vm_host) when working on that role.
SCENARIOS  ?= default fleet
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0

DEMO_NAME  ?= inception-demo
DEMO_LOGIN ?= $(shell sed -n 's/^inception_login: *//p' inventory/group_vars/all/inception.yml)
export DEMO_NAME

# make evaluate: the evaluation suite against any student's VM.
HOST       ?=
LOGIN      ?=
DESTRUCTIVE ?=

.PHONY: help setup host-deps lint unit molecule test deploy update verify evaluate backup restore demo update-demo verify-demo demo-destroy bench vm-images clean

help:
	@echo "make setup      create $(VENV) from requirements.txt"
	@echo "make lint       yamllint + ansible-lint (production profile)"
	@echo "make unit       pytest tests/unit"
	@echo "make molecule   Molecule scenarios: $(SCENARIOS)"
	@echo "make test       host-deps + setup + lint + unit + molecule (what CI runs)"
	@echo "make deploy     ansible-playbook site.yml -i $(INVENTORY)"
	@echo "make update     playbooks/update.yml: security updates into every image, the stack rolled"
	@echo "make verify     the evaluation suite against $(INVENTORY)"
	@echo "make backup     playbooks/backup.yml: each host's database, files and secrets to backups/<host>/<date>"
	@echo "make restore FROM=backups/<host>/latest   playbooks/restore.yml onto a fresh VM"
	@echo "make evaluate HOST=ssh://user@vm LOGIN=login [DESTRUCTIVE=1]   the suite against any VM"
	@echo "make demo       the whole site on a local disposable Debian 13 VM (DEMO_PORT=8443)"
	@echo "make update-demo   playbooks/update.yml on that VM"
	@echo "make verify-demo   the evaluation suite against that VM (VERIFY_ARGS=--destructive ...)"
	@echo "make demo-destroy  remove that VM and its volumes"
	@echo "make bench      rebuild the demo VM from scratch, measure it, write bench/REPORT.md"
	@echo "make vm-images  build/reuse the local Debian 13 and 12 VM images"

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

# The host's docker engine and debootstrap, needed by the VM harness.
host-deps:
	@tools/host-deps.sh

lint: setup
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production
	$(BIN)/python -m pyflakes roles/*/library roles/*/module_utils roles/*/action_plugins roles/*/filter_plugins tools/vm tools/inception-lint tools/report-screenshot tests molecule bench

unit: setup
	$(BIN)/pytest -n 2 tests/unit

vm-images: setup
	$(PY) tools/vm/vm_image.py trixie
	$(PY) tools/vm/vm_image.py bookworm

# The apt cache on this machine, if one answers (tools/vm/apt_proxy.py; CI starts one):
# every scenario's VMs and image builds fetch through it (inception_apt_proxy).
molecule: setup vm-images
	@set -e; export INCEPTION_APT_PROXY="$${INCEPTION_APT_PROXY-$$($(PY) tools/vm/apt_proxy.py)}"; \
	echo "== apt cache: $${INCEPTION_APT_PROXY:-none}"; \
	for s in $(SCENARIOS); do \
	  echo "== molecule test -s $$s"; \
	  PATH="$(abspath $(BIN)):$$PATH" $(BIN)/molecule test -s $$s; \
	done
	@# the HTML report the default scenario wrote: its sections, figures and screenshots
	@if echo " $(SCENARIOS) " | grep -q " default "; then \
	  INCEPTION_REPORTS=reports/molecule-default.html $(BIN)/pytest -q -p no:cacheprovider tests/unit/test_evaluation_html.py -k written_reports; \
	fi

test: host-deps setup lint unit molecule

deploy: setup
	$(BIN)/ansible-playbook site.yml -i $(INVENTORY)

# The newest Debian packages (bookworm-security, bookworm-updates) in the base image and
# every service image, the stack rolled, the content kept; prints what changed per image.
update: setup
	$(BIN)/ansible-playbook playbooks/update.yml -i $(INVENTORY)

backup: setup
	$(BIN)/ansible-playbook playbooks/backup.yml -i $(INVENTORY)

restore: setup
	@test -n "$(FROM)" || { echo "make restore needs FROM=<backup directory>, e.g. FROM=backups/<host>/latest" >&2; exit 2; }
	$(BIN)/ansible-playbook playbooks/restore.yml -i $(INVENTORY) -e inception_restore_from=$(abspath $(FROM))

verify: setup
	$(BIN)/ansible-playbook playbooks/verify.yml -i $(INVENTORY)

# Any Inception VM, provisioned by this project or not: names from its srcs/.env,
# passwords from its secrets/ (found where they are); reports/evaluation-LOGIN.{html,md,xml}.
evaluate: setup
	@test -n "$(HOST)" -a -n "$(LOGIN)" || { echo "usage: make evaluate HOST=ssh://user@vm LOGIN=login [DESTRUCTIVE=1] [EVALUATE_ARGS=...]" >&2; exit 2; }
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest tests/evaluation --hosts=$(HOST) --login $(LOGIN) -p no:cacheprovider \
	  --report reports/evaluation-$(LOGIN).html --report reports/evaluation-$(LOGIN).md \
	  --junitxml reports/evaluation-$(LOGIN).xml $(if $(DESTRUCTIVE),--destructive) $(EVALUATE_ARGS)

demo: host-deps setup
	$(BIN)/ansible-playbook -i inventory/sandbox.yml playbooks/sandbox.yml

update-demo: setup
	$(BIN)/ansible-playbook -i inventory/sandbox.yml playbooks/sandbox_update.yml

verify-demo: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest tests/evaluation --hosts=docker://$(DEMO_NAME) --login $(DEMO_LOGIN) \
	  -p no:cacheprovider --report reports/evaluation-demo.md --report reports/evaluation-demo.html \
	  --junitxml reports/evaluation-demo.xml $(VERIFY_ARGS)

bench: host-deps setup
	PATH="$(abspath $(BIN)):$$PATH" $(PY) bench/bench.py $(BENCH_ARGS)

demo-destroy:
	docker rm -f -v $(DEMO_NAME) 2>/dev/null || true

clean:
	rm -rf $(VENV) .pytest_cache
