# -*- coding: utf-8 -*-
"""Action plugin: render a directory of templates on the controller, write it in one remote call.

The documentation is in the role's library/inception_tree.py; the remote half is the module
inception_tree_sync.
"""

from __future__ import annotations

import hashlib
import os

from jinja2.defaults import (
    BLOCK_END_STRING,
    BLOCK_START_STRING,
    COMMENT_END_STRING,
    COMMENT_START_STRING,
    VARIABLE_END_STRING,
    VARIABLE_START_STRING,
)

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase
from ansible.template import trust_as_template

try:  # what ansible.builtin.template uses for ansible_managed and template_* variables
    from ansible._internal._templating._template_vars import generate_ansible_template_vars
except ImportError:  # pragma: no cover - other ansible-core versions
    generate_ansible_template_vars = None

DIR_MODE = "0755"
FILE_MODE = "0644"
SCRIPT_MODE = "0755"
TEMPLATE_SUFFIX = ".j2"
# ansible.builtin.template's defaults.
OVERRIDES = dict(
    block_start_string=BLOCK_START_STRING, block_end_string=BLOCK_END_STRING,
    variable_start_string=VARIABLE_START_STRING, variable_end_string=VARIABLE_END_STRING,
    comment_start_string=COMMENT_START_STRING, comment_end_string=COMMENT_END_STRING,
    trim_blocks=True, lstrip_blocks=False, newline_sequence="\n",
)

ARGUMENT_SPEC = dict(
    src=dict(type="str", required=True),
    dest=dict(type="str", required=True),
    owner=dict(type="str"),
    group=dict(type="str"),
    renames=dict(type="dict", default={}),
    contexts=dict(type="list", elements="str", default=[]),
    skip=dict(type="list", elements="str", default=[]),
    hash_var=dict(type="str", default="inception_project_context_hash"),
)


def dest_name(name, renames):
    """Rendered name of template file ``name``: from ``renames``, else without its .j2 suffix."""
    if name in renames:
        return renames[name]
    return name[:-len(TEMPLATE_SUFFIX)] if name.endswith(TEMPLATE_SUFFIX) else name


def file_mode(path):
    return SCRIPT_MODE if path.endswith(".sh") else FILE_MODE


def context_hash(name, files):
    """Hash of one build context: ``files`` maps paths relative to the context to their content.

    Same value as ``find NAME/ -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16``
    run in the contexts' parent directory, so an upgrade does not rebuild unchanged images.
    """
    listing = "".join(
        "%s  %s\n" % (hashlib.sha256(to_bytes(content)).hexdigest(), path)
        for path, content in sorted(("%s/%s" % (name, rel), content) for rel, content in files.items())
    )
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()[:16]


def skipped(rel, skip):
    """True when template path ``rel`` is, or is under, one of the ``skip`` paths."""
    return any(rel == path.strip("/") or rel.startswith(path.strip("/") + "/") for path in skip)


def scan(root, renames, skip=()):
    """Walk the template directory: (directories, [(source path, destination path)]), sorted;
    what ``skip`` names (paths relative to ``root``) is left out."""
    directories, files = [], []
    for current, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(current, root)
        if rel != "." and skipped(rel, skip):
            dirnames[:] = []
            continue
        if rel != ".":
            directories.append(rel)
        for name in sorted(filenames):
            target = dest_name(name, renames)
            files.append((os.path.join(current, name), target if rel == "." else os.path.join(rel, target)))
    return directories, files


def split_contexts(files, contexts):
    """Map each build context (first directory under one of ``contexts``, the longest that
    matches: srcs/requirements and srcs/requirements/bonus) to its files; the rest apart."""
    if isinstance(contexts, str):
        contexts = [contexts] if contexts else []
    prefixes = sorted((c.strip("/") + "/" for c in contexts if c), key=len, reverse=True)
    grouped, others = {}, []
    for source, target in files:
        prefix = next((p for p in prefixes if target.startswith(p)), None)
        rest = target[len(prefix):] if prefix else None
        if rest and "/" in rest:
            name, inner = rest.split("/", 1)
            grouped.setdefault(name, []).append((source, target, inner))
        else:
            others.append((source, target))
    return grouped, others


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def _render(self, source, target, dest, task_vars, extra_vars):
        """Render one template as ansible.builtin.template does (trim_blocks, \\n newlines)."""
        try:
            data = trust_as_template(self._loader.get_text_file_contents(source))
            searchpath = list(task_vars.get("ansible_search_path", [])) + [self._loader._basedir, os.path.dirname(source)]
            searchpath = [p for path in searchpath for p in (os.path.join(path, "templates"), path)]
            variables = task_vars.copy()
            variables.update(extra_vars)
            if generate_ansible_template_vars is not None:
                variables.update(generate_ansible_template_vars(
                    path=source, fullpath=source, dest_path=os.path.join(dest, target),
                    include_ansible_managed="ansible_managed" not in task_vars,
                ))
            templar = self._templar.copy_with_new_env(searchpath=searchpath, available_variables=variables)
            rendered = templar.template(data, escape_backslashes=False, overrides=OVERRIDES)
        except AnsibleError as e:
            raise AnsibleActionFail("inception_tree: cannot render %s." % source) from e
        return "" if rendered is None else rendered

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            root = self._find_needle("templates", args["src"])
        except AnsibleError as e:
            raise AnsibleActionFail("inception_tree: template directory %s not found." % args["src"]) from e
        if not os.path.isdir(root):
            raise AnsibleActionFail("inception_tree: src %s is not a directory." % args["src"])

        dest = args["dest"]
        directories, files = scan(root, args["renames"], args["skip"])
        grouped, others = split_contexts(files, args["contexts"])

        rendered, hashes = [], {}
        for name in sorted(grouped):
            contents = {}
            for source, target, inner in grouped[name]:
                contents[inner] = self._render(source, target, dest, task_vars, {})
                rendered.append((target, contents[inner]))
            hashes[name] = context_hash(name, contents)
        for source, target in others:
            rendered.append((target, self._render(source, target, dest, task_vars, {args["hash_var"]: hashes})))

        try:
            sync = self._execute_module(
                module_name="ansible.legacy.inception_tree_sync",
                module_args=dict(
                    dest=dest, owner=args["owner"], group=args["group"],
                    directories=[dict(path=path, mode=DIR_MODE) for path in directories],
                    files=[dict(path=target, content=content, mode=file_mode(target))
                           for target, content in sorted(rendered)],
                ),
                task_vars=task_vars,
            )
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result.update(sync)
        if not result.get("failed"):
            result["context_hashes"] = hashes
        return result
