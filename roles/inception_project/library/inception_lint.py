#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Ansible module: check an Inception project tree against the subject's rules."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: inception_lint
short_description: Check an Inception project tree against the 42 subject's rules
description:
  - Reports every violation (file, line, rule, message) of the rules in INCEPTION_RULES.md
    a static check can prove: base images, tags, image names, networks, links, keep-alive
    hacks, background processes, shells as PID 1, credentials in Dockerfiles or .env,
    volume locations, the administrator's name, restart policies and published ports.
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
    line: {description: Line (0 when the file is missing), type: int}
    rule: {description: Rule id, type: str}
    message: {description: What is wrong, type: str}
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from ansible.module_utils import inception_rules
    HAS_YAML = True
except ImportError:  # PyYAML missing on the target
    HAS_YAML = False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            login=dict(type="str"),
            https_port=dict(type="int", default=443),
            debian=dict(type="str", default="bookworm"),
            fail_on_violation=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML (python3-yaml)"))
    p = module.params
    if not os.path.isdir(p["path"]):
        module.fail_json(msg="%s is not a directory" % p["path"])
    found = inception_rules.lint_tree(p["path"], login=p["login"], https_port=p["https_port"], debian=p["debian"])
    violations = [v._asdict() for v in found]
    result = dict(changed=False, violations=violations, count=len(violations))
    if violations and p["fail_on_violation"]:
        module.fail_json(
            msg="%d Inception rule violation(s):\n%s" % (len(found), "\n".join(inception_rules.format_violation(v) for v in found)),
            **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
