"""The example inventories the docs point to parse and describe what they say."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
BIN = os.path.dirname(sys.executable)


def inventory(path):
    proc = subprocess.run([os.path.join(BIN, "ansible-inventory"), "-i", os.path.join(ROOT, path), "--list"],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("path,count", [("docs/examples/ssh-vm.yml", 1), ("docs/examples/fleet.yml", 2)])
def test_example_inventory_targets_the_inception_group_over_ssh_with_become(path, count):
    data = inventory(path)
    hosts = data["inception"]["hosts"]
    assert len(hosts) == count
    logins = set()
    for name in hosts:
        hostvars = data["_meta"]["hostvars"][name]
        assert hostvars["ansible_become"] is True
        assert hostvars["ansible_user"] != "root"
        logins.add(hostvars["inception_login"])
    assert len(logins) == count, "each VM needs its own login"


def test_shipped_inventory_points_to_examples_that_exist():
    with open(os.path.join(ROOT, "inventory", "hosts.yml"), encoding="utf-8") as handle:
        text = handle.read()
    for word in text.split():
        if word.startswith("docs/"):
            assert os.path.isfile(os.path.join(ROOT, word.rstrip(".;,"))), word
