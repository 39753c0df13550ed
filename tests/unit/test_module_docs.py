"""Every custom module is documented as it behaves: ansible-doc renders it, and each
key it returns is in its RETURN block."""

import glob
import os
import subprocess
import sys

import pytest
import yaml

from module_runner import load_module, run_module

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
BIN = os.path.dirname(sys.executable)
MODULES = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "library", "*.py")))
# Keys every module result may carry without documenting them.
COMMON = {"changed", "failed", "msg", "invocation", "diff", "warnings", "deprecations", "exception", "skipped"}
# AnsibleModule.exit_json adds the file's attributes to any result that has a ``path``.
PATH_INFO = {"uid", "gid", "owner", "group", "mode", "state", "size", "secontext"}


def module_id(path):
    return "%s/%s" % (path.split(os.sep)[-3], os.path.basename(path)[:-3])


def documented_returns(module):
    return set((yaml.safe_load(module.RETURN) or {}).keys())


@pytest.mark.parametrize("path", MODULES, ids=[module_id(p) for p in MODULES])
def test_ansible_doc_renders_the_module(path):
    name = os.path.basename(path)[:-3]
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "-M", os.path.dirname(path), name],
                          capture_output=True, text=True, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")))
    assert proc.returncode == 0, proc.stderr
    assert "OPTIONS" in proc.stdout and "RETURN VALUES" in proc.stdout, proc.stdout[:500]
    assert "[WARNING]" not in proc.stderr, proc.stderr


def test_inception_secret_returns_only_documented_keys(tmp_path):
    module = load_module("inception_project", "inception_secret")
    result = run_module(module, {"path": str(tmp_path / "s.txt"), "owner": str(os.getuid()), "group": str(os.getgid())})
    extra = set(result) - COMMON - PATH_INFO
    assert "path" in result and extra <= documented_returns(module), extra - documented_returns(module)


def test_inception_secret_refuses_a_length_the_policy_cannot_meet(tmp_path):
    module = load_module("inception_project", "inception_secret")
    result = run_module(module, {"path": str(tmp_path / "s.txt"), "length": 5})
    assert result.get("failed")
    assert "length is 5" in result["msg"]
    assert not (tmp_path / "s.txt").exists()


def test_rootfs_module_names_what_is_missing_when_the_sdk_cannot_import():
    module = load_module("base_image", "debian_rootfs_image")
    sdk_missing = ImportError("No module named 'docker'", name="docker")
    dependency_missing = ImportError("No module named 'requests'", name="requests")
    assert "apt-get install python3-docker" in module.docker_import_problem(sdk_missing)
    problem = module.docker_import_problem(dependency_missing)
    assert "cannot be imported" in problem and "requests" in problem
