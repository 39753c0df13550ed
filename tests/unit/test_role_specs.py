"""Each role declares what it takes: every default is declared in meta/argument_specs.yml
with the same value and type, every declared option is documented in the role README."""

import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
ROLES = sorted(name for name in os.listdir(os.path.join(ROOT, "roles"))
               if os.path.isfile(os.path.join(ROOT, "roles", name, "meta", "argument_specs.yml")))
PYTHON_TYPES = {"str": str, "path": str, "int": int, "bool": bool, "list": list, "dict": dict, "float": (int, float)}


def load(role, *parts):
    path = os.path.join(ROOT, "roles", role, *parts)
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def options(role):
    return load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]


def templated(value):
    """A default computed from other variables: its value is only known at run time."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, list):
        return any(templated(item) for item in value)
    if isinstance(value, dict):
        return any(templated(item) for item in value.values())
    return False


def defaults_cases():
    for role in ROLES:
        for name, value in load(role, "defaults", "main.yml").items():
            yield pytest.param(role, name, value, id="%s.%s" % (role, name))


def declared_cases():
    for role in ROLES:
        for name in options(role):
            yield pytest.param(role, name, id="%s.%s" % (role, name))


def test_every_role_has_a_spec():
    assert set(ROLES) == {"base_image", "docker_engine", "inception_project", "inception_stack", "vm_host"}


@pytest.mark.parametrize("role,name,value", list(defaults_cases()))
def test_default_is_declared_with_the_same_value_and_type(role, name, value):
    spec = options(role).get(name)
    assert spec is not None, "%s: %s has a default but is not declared in meta/argument_specs.yml" % (role, name)
    kind = spec.get("type", "str")
    if templated(value):
        # Computed at run time: the spec may not claim a literal default that differs.
        assert "default" not in spec or spec["default"] == value, (
            "%s: %s defaults to %r in defaults/main.yml but the spec says %r" % (role, name, value, spec["default"]))
        if isinstance(value, (list, dict)):
            assert isinstance(value, PYTHON_TYPES[kind]), "%s: %s is declared %s but defaults to a %s" % (
                role, name, kind, type(value).__name__)
        return
    if kind != "raw":
        assert isinstance(value, PYTHON_TYPES[kind]) and not (kind == "int" and isinstance(value, bool)), (
            "%s: %s is declared %s but defaults to %r (%s)" % (role, name, kind, value, type(value).__name__))
    assert "default" in spec, "%s: %s defaults to %r but the spec declares no default" % (role, name, value)
    assert spec["default"] == value, "%s: %s defaults to %r but the spec says %r" % (role, name, value, spec["default"])


@pytest.mark.parametrize("role,name", list(declared_cases()))
def test_declared_option_is_documented_in_the_role_readme(role, name):
    with open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert re.search(r"`%s`" % re.escape(name), readme), "%s: %s is declared but roles/%s/README.md does not document it" % (role, name, role)


@pytest.mark.parametrize("role,name", list(declared_cases()))
def test_declared_option_with_a_default_lives_in_defaults(role, name):
    spec = options(role)[name]
    if "default" in spec:
        assert name in load(role, "defaults", "main.yml"), (
            "%s: %s declares default %r but defaults/main.yml does not set it" % (role, name, spec["default"]))
