#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Ansible module: a secret file generated once, never rotated silently, never logged."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: inception_secret
short_description: Keep one credential in a 0600 file, generated once
description:
  - Without I(value), generates a strong random secret when I(path) does not exist and
    leaves an existing file untouched (no silent rotation).
  - With I(value) (user-supplied), checks its strength and writes it when I(path) does not
    exist. When I(path) holds another value, fails without writing, because the stack keeps
    using the stored one (MariaDB, C(wp-config.php), WordPress) and replacing the file alone
    would break it. The message names the variable and the file, never a value, and says how to
    rotate the credential by hand.
  - In check mode nothing is written, and a missing directory is no error (nothing would be
    written there yet), so a preflight can compare supplied values before anything changes.
  - The secret is never returned nor logged.
options:
  path:
    description: File to keep the secret in.
    type: path
    required: true
  value:
    description: User-supplied secret; omit to generate one.
    type: str
  name:
    description: Variable name to cite in error messages.
    type: str
    default: value
  length:
    description: Length of a generated secret; at least 6 (the policy needs 6 distinct characters).
    type: int
    default: 24
  min_length:
    description: Shortest accepted user-supplied secret.
    type: int
    default: 12
  owner:
    description: File owner.
    type: str
    default: root
  group:
    description: File group.
    type: str
    default: root
  mode:
    description: File mode.
    type: str
    default: "0600"
author: inception maintainers
"""

EXAMPLES = r"""
- name: Database password
  inception_secret:
    path: /home/wil/inception/secrets/db_password.txt
"""

RETURN = r"""
generated:
  description: Whether a new secret was generated in this run.
  returned: always
  type: bool
path:
  description: The file that holds the secret (never its value).
  returned: always
  type: str
  sample: /home/wil/inception/secrets/db_password.txt
"""

import os
import secrets
import tempfile

from ansible.module_utils.basic import AnsibleModule

try:
    from ansible.module_utils.secret_policy import ALPHABET, MIN_LENGTH, SHORTEST, weakness
except ImportError:  # pragma: no cover - running outside Ansible
    from secret_policy import ALPHABET, MIN_LENGTH, SHORTEST, weakness  # type: ignore


ROTATION = ("%(name)s differs from the value stored in %(path)s, which the running stack uses "
            "(MariaDB, wp-config.php and WordPress keep it): changing the file alone would break the "
            "stack, so nothing was changed. Either set %(name)s back to the stored value (or remove it "
            "to keep the stored one), or rotate the credential by hand first, then write the new value "
            "into that file: the steps are in roles/inception_project/README.md, \"Changing a password\".")


def generate(length):
    while True:
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if weakness(candidate, length) is None:
            return candidate


def read(path):
    with open(path, "r", encoding="utf-8") as handle:
        return handle.read().rstrip("\n")


def write(path, value):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".secret-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            value=dict(type="str", no_log=True),
            name=dict(type="str", default="value"),
            length=dict(type="int", default=24),
            min_length=dict(type="int", default=MIN_LENGTH),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
            mode=dict(type="str", default="0600"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    result = dict(changed=False, generated=False, path=path)
    if p["length"] < SHORTEST:
        module.fail_json(msg="length is %d: a generated secret needs at least %d characters to meet the policy"
                             % (p["length"], SHORTEST), **result)
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        if module.check_mode:
            result["changed"] = True
            module.exit_json(**result)
        module.fail_json(msg="directory of %s does not exist" % path, **result)

    if not os.access(directory, os.R_OK | os.X_OK):
        module.fail_json(msg="cannot read %s as uid %d (secrets/ is root-only): run the play as root or with "
                             "become (ansible_become: true)" % (directory, os.getuid()), **result)
    exists = os.path.isfile(path)
    if p["value"] is not None:
        problem = weakness(p["value"], p["min_length"])
        if problem:
            module.fail_json(msg="%s is too weak: it %s. Use at least %d characters mixing "
                                 "lowercase, uppercase and digits, or leave it unset to generate one."
                                 % (p["name"], problem, p["min_length"]), **result)
        if exists and read(path) != p["value"]:
            module.fail_json(msg=ROTATION % dict(name=p["name"], path=path), **result)
        if not exists:
            result["changed"] = True
            if not module.check_mode:
                write(path, p["value"])
    elif not exists:
        result["changed"] = result["generated"] = True
        if not module.check_mode:
            write(path, generate(p["length"]))

    if not module.check_mode or exists:
        file_args = module.load_file_common_arguments(
            dict(path=path, owner=p["owner"], group=p["group"], mode=p["mode"]))
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
