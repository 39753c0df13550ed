# -*- coding: utf-8 -*-
"""Jinja filters over the role's Python policies, so the preflight applies the very
rules the modules and the linter apply (one definition of each, in module_utils/)."""

from __future__ import annotations

import importlib.util
import os

from ansible.errors import AnsibleFilterError

_MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils")


def _load(name):
    spec = importlib.util.spec_from_file_location("_inception_policy_" + name, os.path.join(_MODULE_UTILS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_secret_policy = _load("secret_policy")
_inception_rules = _load("inception_rules")
_inception_network = _load("inception_network")


def inception_secret_weakness(value, min_length=_secret_policy.MIN_LENGTH):
    """Why ``value`` fails the credential policy ('' when it passes). Never quotes it."""
    if not isinstance(value, str):
        raise AnsibleFilterError("inception_secret_weakness expects a string, got %s" % type(value).__name__)
    try:
        min_length = int(min_length)
    except (TypeError, ValueError):
        raise AnsibleFilterError("inception_secret_weakness: min_length must be an integer, got %r" % (min_length,))
    return _secret_policy.weakness(value, min_length) or ""


def inception_forbidden_admin_name(name):
    """True when ``name`` may not be the WordPress administrator (it contains 'admin')."""
    return _inception_rules.forbidden_admin_name(name)


def inception_network_problem(cidr):
    """Why ``cidr`` cannot be the stack's address range ('' when it can)."""
    return _inception_network.problem(cidr)


def inception_network_plan(cidr):
    """The stack's address plan (each network's subnet, nginx's FastCGI address) of a valid range."""
    reason = _inception_network.problem(cidr)
    if reason:
        raise AnsibleFilterError("inception_network_plan: %r: %s" % (cidr, reason))
    return _inception_network.plan(cidr)


def inception_network_conflicts(cidr, host):
    """What on the VM (its routes, addresses, other Docker networks) overlaps ``cidr``."""
    if not isinstance(host, dict):
        raise AnsibleFilterError("inception_network_conflicts expects a mapping, got %s" % type(host).__name__)
    return _inception_network.conflicts(cidr, host)


class FilterModule(object):
    def filters(self):
        return {
            "inception_secret_weakness": inception_secret_weakness,
            "inception_forbidden_admin_name": inception_forbidden_admin_name,
            "inception_network_problem": inception_network_problem,
            "inception_network_plan": inception_network_plan,
            "inception_network_conflicts": inception_network_conflicts,
        }
