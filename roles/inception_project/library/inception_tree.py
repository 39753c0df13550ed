#!/usr/bin/python
# -*- coding: utf-8 -*-
"""Documentation of the inception_tree action plugin (action_plugins/inception_tree.py).

Like ansible.builtin.template, this module is implemented entirely as an action plugin;
this file only carries its documentation.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: inception_tree
short_description: Render a directory of templates into a tree in one remote call
description:
  - Renders every file under I(src) (a directory found like M(ansible.builtin.template)'s
    C(src), in the role's C(templates/)) on the controller with the task's variables, exactly
    as M(ansible.builtin.template) would (C(ansible_managed), C(template_*) variables,
    C(trim_blocks)), then writes the whole tree under I(dest) with one call of the module
    C(inception_tree_sync); only files whose content, mode or owner differ are changed.
  - A rendered file is named like its template without the C(.j2) suffix, or as I(renames)
    says. Files ending in C(.sh) get mode 0755, other files 0644, directories 0755.
  - Each directory directly under I(contexts) is a build context. Its files are rendered
    first; the hash of each context's rendered content (16 hexadecimal digits, see
    RV(context_hashes)) is then available to the other templates in the variable named by
    I(hash_var), a dictionary keyed by context name.
  - Files under I(dest) that come from no template are left alone.
  - Supports check mode and diff mode (one diff per created or changed path).
options:
  src:
    description: Directory of templates, relative to the role's C(templates/) (or a path).
    type: str
    required: true
  dest:
    description: Root of the rendered tree on the target; created (mode 0755) when missing.
    type: str
    required: true
  owner:
    description: Owner of the rendered files and directories.
    type: str
  group:
    description: Group of the rendered files and directories.
    type: str
  renames:
    description: Rendered names of some template files, by template file name (any directory).
    type: dict
    default: {}
  contexts:
    description:
      - Paths, relative to I(dest), whose subdirectories are build contexts. A file belongs
        to the longest one that contains it, so C(srcs/requirements/bonus) under
        C(srcs/requirements) holds contexts of its own.
    type: list
    elements: str
    default: []
  skip:
    description: Template paths (relative to I(src), files or directories) left out of the tree.
    type: list
    elements: str
    default: []
  hash_var:
    description: Name of the variable holding the contexts' hashes in the other templates.
    type: str
    default: inception_project_context_hash
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
notes:
  - The templates are rendered on the controller; their content travels as module arguments,
    so keep secrets out of them.
author: inception maintainers
"""

EXAMPLES = r"""
- name: Render the project tree
  inception_tree:
    src: project
    dest: /home/wil/inception
    owner: wil
    group: wil
    renames:
      env.j2: .env
    contexts: srcs/requirements
"""

RETURN = r"""
changed_paths:
  description: Paths, relative to I(dest) ("." for I(dest) itself), created or changed (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [srcs/requirements/nginx/conf/inception.conf, srcs/docker-compose.yml]
context_hashes:
  description: Hash of each build context's rendered content, by context name.
  returned: success
  type: dict
  sample: {mariadb: 3f2a9c0d1b4e5f60, nginx: 0a1b2c3d4e5f6071, wordpress: 9e8d7c6b5a493827}
"""
