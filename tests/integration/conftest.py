"""Checks of the roles themselves on a converged VM, driven through ansible-playbook
(testinfra's ansible backend gives the host and its inventory)."""

import json
import os
import sys

import pytest

from ansible_run import REPO, ansible, playbook as run_playbook

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


@pytest.fixture(scope="module")
def inventory(request):
    """The scenario's inventory (Molecule passes --ansible-inventory)."""
    path = request.config.getoption("ansible_inventory", None)
    if not path:
        pytest.fail("%s needs --ansible-inventory (Molecule fleet passes it)" % request.node.nodeid.split("::")[0])
    return path


@pytest.fixture(scope="module")
def fleet(inventory):
    """{host: hostvars} of the inception group."""
    rc, out = ansible("ansible-inventory", "--list", inventory=inventory)
    assert rc == 0, out
    data = json.loads(out[out.index("{"):])
    names = data["inception"]["hosts"]
    assert len(names) == 2, "the fleet scenario has two VMs, got %s" % names
    return {name: data["_meta"]["hostvars"][name] for name in names}

