"""Each role documents exactly the tags its tasks carry (the integration test runs each
documented tag alone on a converged VM)."""

import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
ROLES = ["vm_host", "docker_engine", "base_image", "inception_project", "inception_stack"]


def documented_tags(role):
    with open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(r"^Tags: (.*?)(?:\.\s*$|\. )", text, re.M | re.S)
    assert match, "roles/%s/README.md has no 'Tags:' line" % role
    return set(re.findall(r"`([a-z_]+(?::[a-z_]+)?)`", match.group(1)))


def task_tags(role):
    with open(os.path.join(ROOT, "roles", role, "tasks", "main.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    return {tag for task in tasks for tag in task.get("tags", []) if tag != "always"}


@pytest.mark.parametrize("role", ROLES)
def test_readme_documents_the_tags_of_the_tasks(role):
    assert documented_tags(role) == task_tags(role)


@pytest.mark.parametrize("role", ROLES)
def test_tags_are_role_prefixed(role):
    assert all(tag == role or tag.startswith(role + ":") for tag in task_tags(role))
