"""One definition of each policy: the preflight's filters, the modules, the linter and
wp-setup.php agree on what a credential and an administrator's name may be."""

import os
import re
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
ROLE = os.path.join(ROOT, "roles", "inception_project")
sys.path.insert(0, os.path.join(ROLE, "module_utils"))

import inception_rules  # noqa: E402
import secret_policy  # noqa: E402
from module_runner import load_filters  # noqa: E402


FILTERS = load_filters("inception_project", "inception_policy")
SECRETS = ["", "short1A", "alllowercaseletters", "Aa1Aa1Aa1Aa1Aa1", " Padded Value 42", "Padded Value 42 ",
           "Line1\nLine2Abc", "Qu'o\"te $HOME \\back 42", "Abcdefgh12345", "NoDigitsHereAtAll"]
NAMES = ["admin", "Admin", "ADMINISTRATOR", "admin-123", "superadmin", "wil_chief", "adm1n", "marvin", "Administrateur"]


@pytest.mark.parametrize("value", SECRETS)
def test_preflight_filter_is_the_module_policy(value):
    assert FILTERS["inception_secret_weakness"](value) == (secret_policy.weakness(value, 12) or "")


def test_preflight_filter_refuses_what_the_module_refuses():
    refused = [v for v in SECRETS if secret_policy.weakness(v, 12)]
    assert len(refused) >= 7
    assert all(FILTERS["inception_secret_weakness"](v) for v in refused)


@pytest.mark.parametrize("name", NAMES)
def test_preflight_filter_is_the_linter_rule(name):
    assert FILTERS["inception_forbidden_admin_name"](name) is inception_rules.forbidden_admin_name(name)


def test_linter_rule_forbids_what_the_subject_forbids():
    assert [n for n in NAMES if inception_rules.forbidden_admin_name(n)] == [
        "admin", "Admin", "ADMINISTRATOR", "admin-123", "superadmin", "Administrateur"]


def php_forbidden_admin_name(template_text):
    """The PHP rule of wp-setup.php, as a Python function with stripos' semantics."""
    body = re.search(r"function forbidden_admin_name\(string \$name\): bool\s*\{\s*(.*?)\s*\}", template_text, re.S)
    assert body, "wp-setup.php no longer defines forbidden_admin_name()"
    call = re.fullmatch(r"return stripos\(\$name, '([^']+)'\) !== false;", body.group(1))
    assert call, "forbidden_admin_name() in wp-setup.php is no longer a case-insensitive substring test: %s" % body.group(1)
    word = call.group(1)
    return lambda name: word.lower() in name.lower()


def test_wp_setup_php_applies_the_same_admin_rule():
    path = os.path.join(ROLE, "templates", "project", "srcs", "requirements", "wordpress", "tools", "wp-setup.php.j2")
    with open(path, encoding="utf-8") as handle:
        php_rule = php_forbidden_admin_name(handle.read())
    for name in NAMES:
        assert php_rule(name) is inception_rules.forbidden_admin_name(name), name


def test_the_secret_module_documents_the_policy_minimum():
    import yaml
    from module_runner import load_module
    module = load_module("inception_project", "inception_secret")
    assert yaml.safe_load(module.DOCUMENTATION)["options"]["min_length"]["default"] == secret_policy.MIN_LENGTH
