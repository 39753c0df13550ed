"""The secrets module: generated once, never rotated silently, 0600, never printed."""

import os
import stat

import pytest

from module_runner import load_module, run_module

secret_module = load_module("inception_project", "inception_secret")
ME = {"owner": str(os.getuid()), "group": str(os.getgid())}


def run(path, **kw):
    return run_module(secret_module, dict(ME, path=str(path), **kw))


def test_generates_a_strong_secret_once_with_mode_0600(tmp_path):
    path = tmp_path / "db_password.txt"
    first = run(path)
    assert first["changed"] and first["generated"]
    value = path.read_text().strip()
    assert len(value) == 24
    assert secret_module.weakness(value, 12) is None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert value not in repr(first)


def test_second_run_keeps_the_secret(tmp_path):
    path = tmp_path / "s.txt"
    run(path)
    value = path.read_text()
    again = run(path)
    assert not again["changed"] and not again["generated"]
    assert path.read_text() == value


def test_mode_drift_is_repaired(tmp_path):
    path = tmp_path / "s.txt"
    run(path)
    os.chmod(path, 0o644)
    assert run(path)["changed"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_user_supplied_value_with_metacharacters_is_written_verbatim(tmp_path):
    path = tmp_path / "s.txt"
    value = "Qu'o\"te $HOME \\back slash 42"
    result = run(path, value=value)
    assert result["changed"]
    assert path.read_text() == value + "\n"
    assert value not in repr(result)
    assert not run(path, value=value)["changed"]


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "s.txt"
    result = run_module(secret_module, dict(ME, path=str(path)), check_mode=True)
    assert result["changed"]
    assert not path.exists()


@pytest.mark.parametrize("value,why", [
    ("", "fewer than"),
    ("short1A", "fewer than"),
    ("alllowercaseletters", "does not mix"),
    ("aaaaaaaaaaaaaA1", "distinct"),
    ("Line1\nLine2Abc", "newline"),
])
def test_weak_user_value_is_refused_naming_the_variable(tmp_path, value, why):
    path = tmp_path / "s.txt"
    result = run(path, value=value, name="inception_project_secrets.db_password")
    assert result.get("failed")
    assert "inception_project_secrets.db_password" in result["msg"]
    assert why in result["msg"]
    assert not path.exists()
    if value:
        assert value not in result["msg"]


def test_supplied_value_that_differs_from_the_stored_one_is_refused(tmp_path):
    """Rotating a credential means changing it in MariaDB and WordPress too: the module
    refuses to replace the file alone, names the variable and the file, and keeps the value."""
    path = tmp_path / "db_password.txt"
    run(path, value="Stored-Secret-42")
    for check_mode in (False, True):
        result = run_module(secret_module, dict(ME, path=str(path), value="Another-Secret-43",
                                                name="inception_project_secrets.db_password"), check_mode=check_mode)
        assert result.get("failed")
        assert "inception_project_secrets.db_password differs from the value stored in %s" % path in result["msg"]
        assert "Changing a password" in result["msg"]
        assert "Stored-Secret-42" not in repr(result) and "Another-Secret-43" not in repr(result)
        assert path.read_text() == "Stored-Secret-42\n"


def test_check_mode_without_the_directory_is_no_error(tmp_path):
    """The preflight compares before the project exists: nothing to compare, nothing written."""
    path = tmp_path / "not-yet" / "db_password.txt"
    result = run_module(secret_module, dict(ME, path=str(path), value="Stored-Secret-42"), check_mode=True)
    assert not result.get("failed") and result["changed"]
    assert not path.parent.exists()
    assert run(path, value="Stored-Secret-42").get("failed"), "without check mode a missing directory is an error"
