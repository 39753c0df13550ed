# Inception provisioning: see README.md.
SHELL      := /bin/bash
VENV       ?= .venv
PY         := $(VENV)/bin/python
BIN        := $(VENV)/bin
INVENTORY  ?= inventory/hosts.yml
SCENARIOS  ?= vm_host docker_engine default fleet
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0

DEMO_NAME  ?= inception-demo
DEMO_LOGIN ?= $(shell sed -n 's/^inception_login: *//p' inventory/group_vars/all/inception.yml)
export DEMO_NAME

.PHONY: help setup host-deps lint unit molecule test deploy verify demo verify-demo demo-destroy vm-images clean

help:
	@echo "make setup      create $(VENV) from requirements.txt"
	@echo "make lint       yamllint + ansible-lint (production profile)"
	@echo "make unit       pytest tests/unit"
	@echo "make molecule   Molecule scenarios: $(SCENARIOS)"
	@echo "make test       host-deps + setup + lint + unit + molecule (what CI runs)"
	@echo "make deploy     ansible-playbook site.yml -i $(INVENTORY)"
	@echo "make verify     the evaluation suite against $(INVENTORY)"
	@echo "make demo       the whole site on a local disposable Debian 13 VM (DEMO_PORT=8443)"
	@echo "make verify-demo   the evaluation suite against that VM (VERIFY_ARGS=--destructive ...)"
	@echo "make demo-destroy  remove that VM and its volumes"
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
	$(BIN)/python -m pyflakes roles/*/library roles/*/module_utils roles/*/action_plugins roles/*/filter_plugins tools/vm tools/inception-lint tests molecule

unit: setup
	$(BIN)/pytest -n 2 tests/unit

vm-images: setup
	$(PY) tools/vm/vm_image.py trixie
	$(PY) tools/vm/vm_image.py bookworm

molecule: setup vm-images
	@set -e; for s in $(SCENARIOS); do \
	  echo "== molecule test -s $$s"; \
	  PATH="$(abspath $(BIN)):$$PATH" $(BIN)/molecule test -s $$s; \
	done

test: host-deps setup lint unit molecule

deploy: setup
	$(BIN)/ansible-playbook site.yml -i $(INVENTORY)

verify: setup
	$(BIN)/ansible-playbook playbooks/verify.yml -i $(INVENTORY)

demo: host-deps setup
	$(BIN)/ansible-playbook -i inventory/sandbox.yml playbooks/sandbox.yml

verify-demo: setup
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest tests/evaluation --hosts=docker://$(DEMO_NAME) --login $(DEMO_LOGIN) \
	  -p no:cacheprovider --report reports/evaluation-demo.md --junitxml reports/evaluation-demo.xml $(VERIFY_ARGS)

demo-destroy:
	docker rm -f -v $(DEMO_NAME) 2>/dev/null || true

clean:
	rm -rf $(VENV) .pytest_cache
