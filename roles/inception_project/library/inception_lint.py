#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Ansible module: check an Inception project tree against the subject's rules."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: inception_lint
short_description: Check an Inception project tree against the 42 subject's rules
description:
  - "Reports every violation (file, line, rule, message) of the subject's rules that a static
    check can prove: base images, tags, image names, networks, links, keep-alive hacks,
    background processes, shells as PID 1, credentials in Dockerfiles, .env, compose and
    scripts, committed private keys, volume locations, the administrator's name, restart
    policies, published ports, nginx's TLS settings and the Makefile's default target."
  - docs/rules.md of this project explains every rule id.
  - Never changes anything. Fails when I(fail_on_violation) is true and violations exist.
options:
  path:
    description: Root of the project (where the Makefile is).
    type: path
    required: true
  login:
    description: The 42 login; volumes must live under /home/<login>/data.
    type: str
  https_port:
    description: Host port nginx may publish.
    type: int
    default: 443
  debian:
    description: The penultimate stable Debian codename.
    type: str
    default: bookworm
  alpine:
    description: The penultimate stable Alpine branch (for example C(3.23)); defaults to the linter's.
    type: str
  fail_on_violation:
    description: Fail when a violation is found.
    type: bool
    default: true
requirements:
  - PyYAML
author: inception maintainers
"""

EXAMPLES = r"""
- name: Lint the rendered project
  inception_lint:
    path: /home/wil/inception
    login: wil
"""

RETURN = r"""
violations:
  description: Every violation found.
  returned: always
  type: list
  elements: dict
  contains:
    file: {description: File relative to I(path), type: str}
    line: {description: Line (1 or more; 1 when the file is missing), type: int}
    rule: {description: Rule id, type: str}
    message: {description: What to change, type: str}
count:
  description: Number of violations found.
  returned: always
  type: int
  sample: 0
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

# PyYAML is imported on its own so that its absence is told apart from any other
# import error of the linter (reported with its real message).
try:
    import yaml
    HAS_YAML = yaml is not None
except ImportError:
    HAS_YAML = False

RULES_IMPORT_ERROR = None
try:
    from ansible.module_utils import inception_rules
except ImportError:
    try:  # outside Ansible (unit tests put module_utils on sys.path)
        import inception_rules  # type: ignore
    except ImportError as exc:
        inception_rules = None
        RULES_IMPORT_ERROR = exc


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            login=dict(type="str"),
            https_port=dict(type="int", default=443),
            debian=dict(type="str", default="bookworm"),
            alpine=dict(type="str"),
            fail_on_violation=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML (python3-yaml)"))
    if RULES_IMPORT_ERROR is not None:
        module.fail_json(msg="cannot import the rule linter (inception_rules): %s" % RULES_IMPORT_ERROR)
    p = module.params
    if not os.path.isdir(p["path"]):
        module.fail_json(msg="%s is not a directory" % p["path"])
    found = inception_rules.lint_tree(p["path"], login=p["login"], https_port=p["https_port"], debian=p["debian"],
                                      alpine=p["alpine"] or inception_rules.PENULTIMATE_ALPINE)
    violations = [v._asdict() for v in found]
    result = dict(changed=False, violations=violations, count=len(violations))
    if violations and p["fail_on_violation"]:
        module.fail_json(
            msg="%d Inception rule violation(s):\n%s" % (len(found), "\n".join(inception_rules.format_violation(v) for v in found)),
            **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
