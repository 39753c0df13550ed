"""inception_tree: the project tree rendered on the controller and written in one remote call."""

import hashlib
import json
import os
import stat
import subprocess
import sys

import pytest
import yaml

from module_runner import load_module, run_module

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
BIN = os.path.dirname(sys.executable)
ROLE = os.path.join(ROOT, "roles", "inception_project")

sync_module = load_module("inception_project", "inception_tree_sync")

TEMPLATES = {
    "ctx/a/Dockerfile.j2": "FROM debian:bookworm\n# {{ greeting }}\n",
    "ctx/a/tools/run.sh.j2": "#!/bin/sh\n{% if true %}\nexec true\n{% endif %}\n",
    "ctx/a/dockerignore.j2": "*\n",
    "ctx/b/Dockerfile.j2": "FROM debian:bookworm\n",
    "compose.yml.j2": "# {{ ansible_managed }}\na: {{ hashes.a }}\nb: {{ hashes.b }}\n",
    "dotenv.j2": "GREETING={{ greeting }}\n",
}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def write_templates(src, templates):
    for rel, text in templates.items():
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def render(src, dest, *options):
    """Run tests/unit/playbooks/tree.yml; return the task's result (json callback)."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_ACTION_PLUGINS=os.path.join(ROLE, "action_plugins"), ANSIBLE_LIBRARY=os.path.join(ROLE, "library"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", os.path.join(ROOT, "tests", "unit", "playbooks", "tree.yml"),
         "-e", "tree_src=%s tree_dest=%s" % (src, dest)] + list(options),
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.fixture
def tree(tmp_path):
    src, dest = tmp_path / "templates", tmp_path / "out" / "project"
    write_templates(src, TEMPLATES)
    first = render(src, dest)
    return src, dest, first


def test_first_run_writes_the_tree_with_names_and_modes(tree):
    _, dest, first = tree
    assert first["changed"]
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert files == [".env", "compose.yml", "ctx/a/.dockerignore", "ctx/a/Dockerfile", "ctx/a/tools/run.sh", "ctx/b/Dockerfile"]
    assert (dest / ".env").read_text() == "GREETING=hello\n"
    assert (dest / "ctx" / "a" / "tools" / "run.sh").read_text() == "#!/bin/sh\nexec true\n"  # trim_blocks
    assert mode(dest / "ctx" / "a" / "tools" / "run.sh") == 0o755
    assert mode(dest / "ctx" / "a" / "Dockerfile") == 0o644
    for directory in (dest, dest / "ctx", dest / "ctx" / "a", dest / "ctx" / "a" / "tools"):
        assert mode(directory) == 0o755, directory
    compose = yaml.safe_load((dest / "compose.yml").read_text())
    assert compose == first["context_hashes"]
    assert len(compose["a"]) == 16 and compose["a"] != compose["b"]
    assert (dest / "compose.yml").read_text().startswith("# Ansible managed\n")


def test_second_run_changes_nothing(tree):
    src, dest, first = tree
    again = render(src, dest)
    assert not again["changed"] and again["changed_paths"] == []
    assert again["context_hashes"] == first["context_hashes"]


def test_check_mode_reports_a_changed_template_without_writing(tree):
    src, dest, first = tree
    (src / "ctx" / "b" / "Dockerfile.j2").write_text("FROM debian:trixie\n")
    before = (dest / "ctx" / "b" / "Dockerfile").read_text()
    check = render(src, dest, "--check")
    assert check["changed"]
    assert sorted(check["changed_paths"]) == ["compose.yml", "ctx/b/Dockerfile"]
    assert (dest / "ctx" / "b" / "Dockerfile").read_text() == before
    assert yaml.safe_load((dest / "compose.yml").read_text()) == first["context_hashes"]


def test_a_changed_template_changes_only_that_file_and_its_context_hash(tree):
    src, dest, first = tree
    (src / "ctx" / "b" / "Dockerfile.j2").write_text("FROM debian:trixie\n")
    second = render(src, dest)
    assert second["changed"]
    assert sorted(second["changed_paths"]) == ["compose.yml", "ctx/b/Dockerfile"]
    assert second["context_hashes"]["a"] == first["context_hashes"]["a"]
    assert second["context_hashes"]["b"] != first["context_hashes"]["b"]
    assert yaml.safe_load((dest / "compose.yml").read_text()) == second["context_hashes"]
    assert (dest / "ctx" / "b" / "Dockerfile").read_text() == "FROM debian:trixie\n"


def test_a_changed_variable_rewrites_its_files_and_only_their_context_hash(tree):
    src, dest, first = tree
    second = render(src, dest, "-e", "greeting=bonjour")
    assert sorted(second["changed_paths"]) == [".env", "compose.yml", "ctx/a/Dockerfile"]
    assert second["context_hashes"]["b"] == first["context_hashes"]["b"]
    assert second["context_hashes"]["a"] != first["context_hashes"]["a"]


def test_diff_shows_the_change_and_repairs_modes(tree):
    src, dest, _ = tree
    (src / "dotenv.j2").write_text("GREETING={{ greeting }}\nMORE=1\n")
    os.chmod(dest / "ctx" / "a" / "tools" / "run.sh", 0o700)
    result = render(src, dest, "--diff")
    diffs = result["diff"]
    text = [d for d in diffs if d.get("before_header", "").endswith("/.env")]
    assert len(text) == 1 and text[0]["before"] == "GREETING=hello\n" and text[0]["after"] == "GREETING=hello\nMORE=1\n"
    modes = [d for d in diffs if isinstance(d["before"], dict) and "mode" in d["before"]]
    assert modes and modes[0]["before"]["mode"] == "0700" and modes[0]["after"]["mode"] == "0755"
    assert mode(dest / "ctx" / "a" / "tools" / "run.sh") == 0o755


def test_context_hash_matches_the_shell_pipeline(rendered_project):
    """org.inception.context = find CTX/ -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16,
    run in the context's parent (srcs/requirements or srcs/requirements/bonus); wordpress with the
    redis bonus also takes the drop-in from the redis context: sha256 of both hashes, cut to 16."""
    compose = yaml.safe_load((rendered_project / "srcs" / "docker-compose.yml").read_text())

    def shell_hash(context):
        path = rendered_project / "srcs" / context
        proc = subprocess.run(
            ["bash", "-c", 'set -o pipefail; find "$1/" -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16', "-", path.name],
            cwd=path.parent, capture_output=True, text=True, check=True,
        )
        return proc.stdout.strip()
    for service, spec in compose["services"].items():
        expected = shell_hash(spec["build"]["context"])
        for extra in (spec["build"].get("additional_contexts") or {}).values():
            expected = hashlib.sha256((expected + shell_hash(extra)).encode()).hexdigest()[:16]
        assert spec["build"]["labels"]["org.inception.context"] == expected, service


def sync(dest, files, check=False, **kw):
    args = dict(dest=str(dest), files=files, _ansible_diff=True, **kw)
    return run_module(sync_module, args, check_mode=check)


def test_sync_check_mode_creates_nothing(tmp_path):
    dest = tmp_path / "new"
    result = sync(dest, [{"path": "a/b.txt", "content": "x\n", "mode": "0644"}],
                  directories=[{"path": "a", "mode": "0755"}], check=True)
    assert result["changed"] and result["changed_paths"] == [".", "a", "a/b.txt"]
    assert not dest.exists()


def test_sync_refuses_paths_outside_dest(tmp_path):
    result = sync(tmp_path, [{"path": "../escape.txt", "content": "x", "mode": "0644"}])
    assert result.get("failed") and "not inside dest" in result["msg"]
    assert not (tmp_path.parent / "escape.txt").exists()


def test_sync_refuses_to_write_through_a_symlinked_directory(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "srcs").symlink_to(outside)
    result = sync(dest, [{"path": "srcs/x.txt", "content": "x", "mode": "0644"}], directories=[{"path": "srcs", "mode": "0755"}])
    assert result.get("failed") and "is a symbolic link" in result["msg"]
    assert not (outside / "x.txt").exists()


def test_sync_leaves_unlisted_files_alone(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = sync(tmp_path, [{"path": "new.txt", "content": "x", "mode": "0600"}])
    assert result["changed_paths"] == ["new.txt"]
    assert (tmp_path / "keep.txt").read_text() == "mine" and mode(tmp_path / "new.txt") == 0o600
    assert not sync(tmp_path, [{"path": "new.txt", "content": "x", "mode": "0600"}])["changed"]


@pytest.mark.parametrize("options", [[], ["--check", "--diff"]], ids=["rerun", "check"])
def test_the_role_rerun_on_a_converged_tree_changes_nothing(rendered_project, options):
    env = dict(os.environ, ANSIBLE_ROLES_PATH=os.path.join(ROOT, "roles"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", os.path.join(ROOT, "tests", "unit", "playbooks", "render.yml"),
         "-e", "render_dir=%s" % rendered_project] + options,
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " changed=0 " in proc.stdout.split("PLAY RECAP")[-1], proc.stdout[-3000:]
