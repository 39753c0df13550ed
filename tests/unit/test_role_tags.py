"""Each role documents exactly the tags its tasks carry (tests/integration runs each
documented tag alone on a converged VM)."""

import pytest

from role_docs import ROLES, documented_tags, task_tags


@pytest.mark.parametrize("role", ROLES)
def test_readme_documents_the_tags_of_the_tasks(role):
    assert documented_tags(role) == task_tags(role)


@pytest.mark.parametrize("role", ROLES)
def test_tags_are_role_prefixed(role):
    assert all(tag == role or tag.startswith(role + ":") for tag in task_tags(role))
