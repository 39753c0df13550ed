"""Checks of the roles themselves on a converged VM, driven through ansible-playbook
(testinfra's ansible backend gives the host and its inventory)."""

import os
import sys

import pytest

from ansible_run import REPO, playbook as run_playbook

sys.path.insert(0, os.path.join(REPO, "tests", "unit"))


@pytest.fixture(scope="module")
def playbook(host):
    """Run a playbook of the repository against this host; return (rc, output, recap)."""
    inventory = getattr(host.backend, "ansible_inventory", None)
    if host.backend.NAME != "ansible" or not inventory:
        pytest.fail("tests/integration needs the ansible backend and its inventory (--hosts=ansible://HOST --ansible-inventory=...)")

    def run(path, *extra):
        return run_playbook(inventory, path, "--limit", host.backend.host, *extra, config=os.environ.get("ANSIBLE_CONFIG"))

    return run
