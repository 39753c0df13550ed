"""User-supplied passwords that look like Jinja templates: stored verbatim when marked
!unsafe, refused (naming the variable, never quoting the value) when Ansible would render
them, and a supplied value that differs from the stored one stops the preflight."""

import os

import pytest

from conftest import ansible_playbook

# Template markers inside a password, as a user would write it in group_vars.
LITERAL = "Abc123{{ 7*7 }}xyz"
UNCLOSED = "Plain{{unclosed-Secret9"


def inventory(tmp_path, group_vars):
    """An inventory directory (localhost) whose group_vars/all.yml is ``group_vars``, as written."""
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "hosts.yml").write_text("all:\n  children:\n    inception:\n      hosts:\n"
                                        "        localhost:\n          ansible_connection: local\n")
    (tmp_path / "group_vars" / "all.yml").write_text("inception_login: wil\n" + group_vars)
    return tmp_path


def play(inv, playbook, *args):
    return ansible_playbook(playbook, args=("-v",) + args, inventory=str(inv))


def preflight(inv, *args):
    return play(inv, os.path.join("playbooks", "preflight.yml"), *args)


@pytest.mark.parametrize("value", [LITERAL, UNCLOSED, "Abc123{% if 1 %}xyz-Q{% endif %}", "Abc123{# c #}xyz-Q"])
def test_password_with_template_markers_is_refused_without_printing_it(tmp_path, value):
    line = "  db_password: %s\n" % value
    rc, out = preflight(inventory(tmp_path, "inception_project_dir: %s/p\ninception_project_secrets:\n%s" % (tmp_path, line)))
    assert rc != 0
    assert "inception_project_secrets.db_password contains '{{', '{%' or '{#'" in out
    assert "db_password: !unsafe '<the password>'" in out
    for leak in (value, value.replace("{{ 7*7 }}", "49"), line.strip(), "Secret9", "Abc123"):
        assert leak not in out, leak
    assert not (tmp_path / "p").exists()


def test_reference_to_a_variable_with_markers_is_refused(tmp_path):
    group_vars = ("my_password: %s\ninception_project_secrets:\n  wp_user_password: \"{{ my_password }}\"\n" % LITERAL)
    rc, out = preflight(inventory(tmp_path, group_vars))
    assert rc != 0
    assert "inception_project_secrets.wp_user_password (through my_password) contains" in out
    assert "Abc123" not in out


def test_whole_expression_that_cannot_render_is_refused_without_printing_it(tmp_path):
    rc, out = preflight(inventory(tmp_path, "inception_project_secrets:\n  db_password: \"{{Abc123xyzQ}}\"\n"))
    assert rc != 0
    assert "inception_project_secrets.db_password is a template that Ansible cannot render" in out
    assert "Abc123xyzQ" not in out


def test_unsafe_password_and_references_pass_and_are_stored_verbatim(tmp_path):
    project = tmp_path / "p"
    group_vars = ("vault_db_password: Vault-Secret-42\n"
                  "inception_project_secrets:\n"
                  "  db_root_password: !unsafe '%s'\n"
                  "  db_password: \"{{ vault_db_password }}\"\n"
                  "  wp_user_password: \"{{ 'Joined-' ~ 'Secret-42' }}\"\n" % LITERAL)
    inv = inventory(tmp_path, group_vars)
    rc, out = preflight(inv, "-e", "inception_project_dir=%s" % project)
    assert rc == 0, out[-3000:]
    rc, out = play(inv, os.path.join("tests", "unit", "playbooks", "render.yml"), "-e", "render_dir=%s" % project)
    assert rc == 0, out[-3000:]
    secrets = project / "secrets"
    assert (secrets / "db_root_password.txt").read_text() == LITERAL + "\n"
    assert (secrets / "db_password.txt").read_text() == "Vault-Secret-42\n"
    assert (secrets / "wp_user_password.txt").read_text() == "Joined-Secret-42\n"
    assert "Abc123" not in out and "Vault-Secret-42" not in out and "Joined-Secret-42" not in out
    # Stored and supplied agree: the next preflight passes.
    rc, out = preflight(inv, "-e", "inception_project_dir=%s" % project)
    assert rc == 0, out[-3000:]
    # A changed password after the install: the preflight stops, the stored value stays.
    (inv / "group_vars" / "all.yml").write_text((inv / "group_vars" / "all.yml").read_text()
                                                .replace("Vault-Secret-42", "Rotated-Secret-43"))
    rc, out = preflight(inv, "-e", "inception_project_dir=%s" % project)
    assert rc != 0
    assert ("inception_project_secrets.db_password differs from the value stored in %s/db_password.txt"
            % secrets) in out
    assert "Rotated-Secret-43" not in out and "Vault-Secret-42" not in out
    assert (secrets / "db_password.txt").read_text() == "Vault-Secret-42\n"
