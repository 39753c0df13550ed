"""Checks of the roles themselves on a converged VM, driven through ansible-playbook
(testinfra's ansible backend gives the host and its inventory)."""

import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "unit"))
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@pytest.fixture(scope="module")
def playbook(host):
    """Run a playbook of the repository against this host; return (rc, output, recap)."""
    inventory = getattr(host.backend, "ansible_inventory", None)
    if host.backend.NAME != "ansible" or not inventory:
        pytest.fail("tests/integration needs the ansible backend and its inventory (--hosts=ansible://HOST --ansible-inventory=...)")

    def run(path, *extra):
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(REPO, path),
                   "-i", inventory, "--limit", host.backend.host] + list(extra)
        env = dict(os.environ, ANSIBLE_CONFIG=os.environ.get("ANSIBLE_CONFIG", os.path.join(REPO, "ansible.cfg")),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        recap = {m.group(1): dict(ok=int(m.group(2)), changed=int(m.group(3)), unreachable=int(m.group(4)),
                                  failed=int(m.group(5))) for m in RECAP.finditer(done.stdout)}
        return done.returncode, done.stdout + done.stderr, recap

    return run
