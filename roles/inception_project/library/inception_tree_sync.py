#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Ansible module: bring a directory tree to given contents and modes in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: inception_tree_sync
short_description: Bring a tree of files to given contents, modes and owner in one call
description:
  - The remote half of M(inception_tree), which renders the templates on the controller and
    calls this module once with the whole tree; use M(inception_tree) in playbooks.
  - Creates the missing directories, rewrites (atomically) only the files whose content
    differs, and sets mode, owner and group where they differ. Files that are not listed
    are left alone.
  - Supports check mode and diff mode (one diff per changed file or directory).
options:
  dest:
    description: Root of the tree; created (with I(owner), I(group), mode 0755) when missing.
    type: path
    required: true
  owner:
    description: Owner of the written files and directories; unchanged when omitted.
    type: str
  group:
    description: Group of the written files and directories; unchanged when omitted.
    type: str
  directories:
    description: Directories to create, relative to I(dest).
    type: list
    elements: dict
    default: []
    suboptions:
      path: &tree_sync_path
        description: Path relative to I(dest).
        type: str
        required: true
      mode: &tree_sync_mode
        description: Octal mode, as a string.
        type: str
        required: true
  files:
    description: Files to write, relative to I(dest); their directory must be I(dest) or listed in I(directories).
    type: list
    elements: dict
    default: []
    suboptions:
      path: *tree_sync_path
      content:
        description: The whole content of the file (UTF-8 text).
        type: str
        required: true
      mode: *tree_sync_mode
author: inception maintainers
"""

EXAMPLES = r"""
- name: Write two files under /srv/site
  inception_tree_sync:
    dest: /srv/site
    owner: www-data
    group: www-data
    directories:
      - {path: bin, mode: "0755"}
    files:
      - {path: index.html, content: "<p>hello</p>\n", mode: "0644"}
      - {path: bin/run.sh, content: "#!/bin/sh\nexec true\n", mode: "0755"}
"""

RETURN = r"""
changed_paths:
  description: Paths (relative to I(dest), "." for I(dest) itself) that were or, in check mode, would be created or changed.
  returned: always
  type: list
  elements: str
  sample: [srcs/docker-compose.yml]
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

DEST_MODE = "0755"


def relative(module, path):
    """Refuse paths that would leave the tree; return the normalised relative path."""
    norm = os.path.normpath(path)
    if os.path.isabs(norm) or norm == ".." or norm.startswith("../"):
        module.fail_json(msg="inception_tree_sync: path %r is not inside dest." % path)
    return norm


class Tree:
    def __init__(self, module):
        self.module = module
        self.dest = module.params["dest"]
        self.owner = module.params["owner"]
        self.group = module.params["group"]
        self.check = module.check_mode
        self.changed_paths = []
        self.diffs = []

    def _attributes(self, path, rel, mode, created=False):
        """Set mode/owner/group where they differ; record a diff of the attributes (not for new paths)."""
        diff = {"before": {"path": path}, "after": {"path": path}}
        changed = self.module.set_owner_if_different(path, self.owner, False, diff=diff)
        changed = self.module.set_group_if_different(path, self.group, changed, diff=diff)
        changed = self.module.set_mode_if_different(path, mode, changed, diff=diff)
        if changed and not created:
            self._changed(rel, diff)

    def _changed(self, rel, diff):
        if rel not in self.changed_paths:
            self.changed_paths.append(rel)
        if self.module._diff:
            self.diffs.append(diff)

    def directory(self, rel, mode):
        path = os.path.join(self.dest, rel) if rel != "." else self.dest
        if rel != "." and os.path.islink(path):
            # The tree belongs to the login user; as root, never write through a link it made.
            self.module.fail_json(msg="inception_tree_sync: %s is a symbolic link; remove it (the tree's "
                                      "directories must be real directories)." % path)
        if os.path.isdir(path):
            if rel != ".":  # dest itself is only set up when this module creates it
                self._attributes(path, rel, mode)
            return
        if os.path.lexists(path):
            self.module.fail_json(msg="inception_tree_sync: %s exists and is not a directory." % path)
        missing = []
        while not os.path.lexists(path):
            missing.insert(0, path)
            path = os.path.dirname(path)
        for created in missing:
            self._changed(rel, {"before": {"path": created, "state": "absent"},
                                "after": {"path": created, "state": "directory"}})
            if not self.check:
                os.mkdir(created, 0o755)
                self._attributes(created, rel, mode, created=True)

    def file(self, rel, content, mode):
        path = os.path.join(self.dest, rel)
        b_content = to_bytes(content, errors="surrogate_or_strict")
        before = None
        if os.path.isdir(path) and not os.path.islink(path):
            self.module.fail_json(msg="inception_tree_sync: %s exists and is a directory." % path)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as handle:
                before = handle.read()
        if before != b_content:
            self._changed(rel, {"before_header": path, "after_header": path,
                                "before": to_text(before or b"", errors="surrogate_then_replace"),
                                "after": content})
            if self.check:
                return
            self._write(path, b_content)
        self._attributes(path, rel, mode, created=before is None)

    def _write(self, path, b_content):
        """Replace path atomically (a symlink there is replaced, not followed)."""
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".%s." % os.path.basename(path))
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(b_content)
            self.module.atomic_move(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def main():
    entry = dict(path=dict(type="str", required=True), mode=dict(type="str", required=True))
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            owner=dict(type="str"),
            group=dict(type="str"),
            directories=dict(type="list", elements="dict", default=[], options=entry),
            files=dict(type="list", elements="dict", default=[],
                       options=dict(entry, content=dict(type="str", required=True))),
        ),
        supports_check_mode=True,
    )
    tree = Tree(module)
    tree.directory(".", DEST_MODE)
    for item in sorted(module.params["directories"], key=lambda d: d["path"]):
        tree.directory(relative(module, item["path"]), item["mode"])
    for item in module.params["files"]:
        tree.file(relative(module, item["path"]), item["content"], item["mode"])
    result = dict(changed=bool(tree.changed_paths), changed_paths=tree.changed_paths)
    if module._diff:
        result["diff"] = tree.diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
