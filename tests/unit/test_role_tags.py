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


def test_deploy_roles_read_no_facts():
    """playbooks/deploy.yml does not gather facts: its roles must not need them."""
    import pathlib
    import re
    fact = re.compile(r"ansible_facts|\bansible_(?!managed|check_mode|search_path|playbook_python|version|host\b|"
                      r"connection|user|become|python_interpreter|loop_var|index_var|parent_role|role_name|play_|run_tags)\w+")
    root = pathlib.Path(__file__).resolve().parents[2] / "roles"
    found = ["%s: %s" % (path.relative_to(root), m.group(0))
             for role in ("base_image", "inception_project", "inception_stack")
             for path in (root / role).rglob("*") if path.is_file() and path.suffix in (".yml", ".j2", ".py")
             for m in fact.finditer(path.read_text(errors="replace"))]
    assert not found, "deploy.yml gathers no facts, but these read them: %s" % found
