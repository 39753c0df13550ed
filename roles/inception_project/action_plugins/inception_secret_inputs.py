# -*- coding: utf-8 -*-
"""Action plugin: refuse user-supplied credentials that Ansible would read as templates.

ansible-core renders a string from the inventory (group_vars, host_vars, -e) as a Jinja
template when it contains ``{{``, ``{%`` or ``{#``: ``Abc123{{ 7*7 }}xyz`` would become
``Abc12349xyz``, and an unclosed ``{{`` makes Ansible quote the inventory line, password
included, in its error. This plugin reads the variables as written (``task_vars`` holds
them untemplated) before any task renders them, and fails naming the variable, never
quoting the value, when one would not be kept verbatim:

- a value marked ``!unsafe`` (or coming from a lookup) is never a template: accepted;
- a value without template markers: accepted;
- a value that is one whole expression, ``{{ ... }}`` and nothing else, is a deliberate
  reference (``"{{ vault_db_password }}"``): a reference to a variable is followed (its
  own value must pass the same rules), any other expression must render without error;
- anything else (markers mixed with text, ``{%``, ``{#``) is refused, with the fix:
  mark the value ``!unsafe`` in the inventory.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.template import is_trusted_as_template

DOCUMENTATION = r"""
---
action: inception_secret_inputs
short_description: Refuse user-supplied credentials that Ansible would render as templates
description:
  - Reads O(variable) as written in the inventory (before any templating) and fails, naming
    the key but never quoting the value, when a value contains C({{), C({%) or C({#) and
    is not marked C(!unsafe), unless it is one whole C({{ ... }}) expression that renders.
options:
  variable:
    description: Name of the dictionary variable that holds the credentials.
    type: str
    default: inception_project_secrets
"""

MARKERS = ("{{", "{%", "{#")
WHOLE_EXPRESSION = re.compile(r"\A\s*\{\{(?:(?!\{\{|\}\}|\{%|\{#).)*\}\}\s*\Z", re.S)
VARIABLE_REFERENCE = re.compile(r"\A\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*\Z")
MAX_REFERENCES = 10

FIX = ("If that is the password as you want it, mark it as a literal in the inventory, e.g. "
       "`{key}: !unsafe '<the password>'` (YAML's !unsafe tag: Ansible then never reads it as a "
       "template, and stores it verbatim); if it is meant as a template, make the whole value one "
       "expression such as \"{{{{ vault_{key} }}}}\". The value is not shown here.")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def _reason(self, name, key, why):
        return "%s %s. %s" % (name, why, FIX.format(key=key))

    def _evaluate(self, value, task_vars, mixed, unrenderable):
        """Read ``value``, a template as written, as one whole ``{{ ... }}`` expression: return
        ``(name, None)`` when it refers to a variable of ``task_vars`` (for the caller to
        follow), else ``(None, rendered value)``. Fails with the message ``mixed`` when it is
        not one whole expression, with ``unrenderable`` when it does not render (the error is
        not shown: it would quote the expression, which may be the password)."""
        if not WHOLE_EXPRESSION.match(value):
            raise AnsibleActionFail(mixed)
        reference = VARIABLE_REFERENCE.match(value)
        if reference and reference.group(1) in task_vars:
            return reference.group(1), None
        try:
            return None, self._templar.template(value)
        except Exception:
            raise AnsibleActionFail(unrenderable)

    def _check(self, name, key, value, task_vars, seen=()):
        """Fail when ``value`` (as written) would not reach the module verbatim."""
        if not isinstance(value, str) or not is_trusted_as_template(value) \
                or not any(marker in value for marker in MARKERS):
            return
        target, _rendered = self._evaluate(
            value, task_vars,
            self._reason(name, key, "contains '{{', '{%' or '{#' next to other text: Ansible would render it "
                                    "as a template and not store it as written"),
            self._reason(name, key, "is a template that Ansible cannot render (the error is not shown: "
                                    "it would quote the value)"))
        if target is not None:
            if target in seen or len(seen) >= MAX_REFERENCES:
                raise AnsibleActionFail(self._reason(name, key, "refers to itself through %s"
                                                     % " -> ".join(seen + (target,))))
            # The variable's own value, as written, must keep to the same rules.
            self._check("%s (through %s)" % (name, target), key, dict.get(task_vars, target), task_vars, seen + (target,))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        variable = self._task.args.get("variable", "inception_project_secrets")
        raw = task_vars.get(variable, {})
        if isinstance(raw, str) and is_trusted_as_template(raw):
            target, raw = self._evaluate(
                raw, task_vars,
                "%s must be a mapping of credentials (or one {{ ... }} expression giving one)." % variable,
                "%s is a template that Ansible cannot render (the error is not shown: "
                "it could quote a password)." % variable)
            if target is not None:
                # One level only: the mapping the reference names, as written (its values are
                # checked below; a mapping that is itself a template is not followed further).
                raw = task_vars[target]
        if not isinstance(raw, dict):
            return dict(result, changed=False, checked=[])
        for key, value in dict.items(raw):
            self._check("%s.%s" % (variable, key), str(key), value, task_vars)
        return dict(result, changed=False, checked=sorted(str(k) for k in raw))
