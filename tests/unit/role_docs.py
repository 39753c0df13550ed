"""What the roles document about themselves, read from their files (shared by tests)."""

import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
ROLES = ["vm_host", "docker_engine", "base_image", "inception_project", "inception_stack"]


def documented_tags(role):
    """The tags listed on the 'Tags:' line of the role's README."""
    with open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(r"^Tags: (.*?)(?:\.\s*$|\. )", text, re.M | re.S)
    if not match:
        raise AssertionError("roles/%s/README.md has no 'Tags:' line" % role)
    return set(re.findall(r"`([a-z_]+(?::[a-z_]+)?)`", match.group(1)))


def task_tags(role):
    """The tags the role's tasks/main.yml puts on its parts (without 'always')."""
    with open(os.path.join(ROOT, "roles", role, "tasks", "main.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    return {tag for task in tasks for tag in task.get("tags", []) if tag != "always"}
