"""Bad inputs of playbooks/backup.yml and playbooks/restore.yml stop them before any
change, with a message that names the variable. (The backup -> destroy -> restore proof
itself runs on real VMs in Molecule `fleet`.)"""

import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))

BACKUP = "playbooks/backup.yml"
RESTORE = "playbooks/restore.yml"


def whole_backup(path, login="wil", db_name="wordpress"):
    path.mkdir(parents=True)
    (path / "MANIFEST").write_text("host=vm\nlogin=%s\ndomain=%s.42.fr\ndb_name=%s\ndate=20261128T000000Z\n" % (login, login, db_name))
    for name in ("database.sql.gz", "wordpress.tar.gz", "secrets.tar.gz"):
        (path / name).write_bytes(b"")
    return path


def test_backup_refuses_an_empty_backup_dir(run_playbook):
    rc, out = run_playbook(BACKUP, {"inception_backup_dir": ""})
    assert rc != 0
    assert "inception_backup_dir is ''" in out


def test_restore_refuses_without_restore_from(run_playbook):
    rc, out = run_playbook(RESTORE)
    assert rc != 0
    assert "inception_restore_from is empty" in out


@pytest.mark.parametrize("missing", ["MANIFEST", "database.sql.gz", "wordpress.tar.gz", "secrets.tar.gz"])
def test_restore_refuses_an_incomplete_backup_naming_what_lacks(run_playbook, tmp_path, missing):
    backup = whole_backup(tmp_path / "b")
    (backup / missing).unlink()
    rc, out = run_playbook(RESTORE, {"inception_restore_from": str(backup)})
    assert rc != 0
    assert "inception_restore_from is '%s' (%s), which lacks %s" % (backup, backup, missing) in out


def test_restore_refuses_a_backup_of_another_login(run_playbook, tmp_path):
    backup = whole_backup(tmp_path / "b", login="marvin")
    rc, out = run_playbook(RESTORE, {"inception_restore_from": str(backup)})
    assert rc != 0
    assert "backup of login 'marvin'" in out
    assert "inception_login 'wil'" in out


def test_restore_finds_a_backup_given_relative_to_where_it_runs(run_playbook, tmp_path):
    """A relative path is the user's (the playbook runs from the repository root here)."""
    backup = whole_backup(tmp_path / "b", login="marvin")
    rc, out = run_playbook(RESTORE, {"inception_restore_from": os.path.relpath(str(backup), ROOT)})
    assert rc != 0
    assert "which lacks" not in out
    assert "backup of login 'marvin'" in out


def test_restore_refuses_a_backup_of_another_database(run_playbook, tmp_path):
    backup = whole_backup(tmp_path / "b", db_name="blog")
    rc, out = run_playbook(RESTORE, {"inception_restore_from": str(backup)})
    assert rc != 0
    assert "holds the database 'blog'" in out and "inception_project_db_name 'wordpress'" in out


def test_restore_refuses_supplied_credentials_without_printing_them(run_playbook, tmp_path):
    backup = whole_backup(tmp_path / "b")
    value = "Supplied1Password2Here"
    rc, out = run_playbook(RESTORE, {"inception_restore_from": str(backup), "inception_project_secrets": {"db_password": value}})
    assert rc != 0
    assert "inception_project_secrets is set" in out
    assert value not in out
