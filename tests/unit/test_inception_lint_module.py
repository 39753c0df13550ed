"""The inception_lint module: documented results, clear import errors, ansible-doc renders."""

import builtins
import os
import subprocess
import sys

import yaml

from module_runner import load_module, run_module

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
LIBRARY = os.path.join(ROOT, "roles", "inception_project", "library")
STUDENT = os.path.join(os.path.dirname(__file__), "lint_fixtures", "student")


def test_every_returned_key_is_documented():
    module = load_module("inception_project", "inception_lint")
    result = run_module(module, {"path": STUDENT, "login": "jdoe"})
    documented = set(yaml.safe_load(module.RETURN))
    assert result["count"] == 0 and result["violations"] == []
    assert set(result) - {"changed", "invocation", "failed", "msg"} <= documented


def test_violations_fail_with_their_count(tmp_path):
    module = load_module("inception_project", "inception_lint")
    result = run_module(module, {"path": str(tmp_path), "login": "jdoe"})
    assert result["failed"] and result["count"] == len(result["violations"]) > 0


def test_an_import_error_other_than_pyyaml_keeps_its_message(monkeypatch):
    real_import = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "inception_rules" or (name == "ansible.module_utils" and args[2] and "inception_rules" in args[2]):
            raise ImportError("inception_rules needs something else")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken)
    module = load_module("inception_project", "inception_lint")
    monkeypatch.setattr(builtins, "__import__", real_import)
    result = run_module(module, {"path": STUDENT})
    assert result["failed"]
    assert "inception_rules needs something else" in result["msg"] and "PyYAML" not in result["msg"]


def test_ansible_doc_renders_the_module():
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-M", LIBRARY, "inception_lint"],
                          capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    assert proc.returncode == 0, proc.stderr
    assert "RETURN VALUES" in proc.stdout and "count" in proc.stdout and "alpine" in proc.stdout
