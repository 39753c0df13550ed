import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
BIN = os.path.dirname(sys.executable)

DEBIAN_13 = {"distribution": "Debian", "distribution_major_version": "13", "distribution_release": "trixie"}


def ansible_env():
    """The environment the unit tests run ansible-playbook in: the repository's roles and
    ansible.cfg, no colour."""
    return dict(os.environ, ANSIBLE_ROLES_PATH=os.path.join(ROOT, "roles"), ANSIBLE_NOCOLOR="1",
                ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))


def ansible_playbook(playbook, extra_vars=None, facts=None, args=(), inventory=None):
    """Run a playbook of the repository against inventory (default: the unit inventory,
    localhost) with extra vars and injected OS facts; return (rc, output)."""
    evars = {"ansible_facts": facts or DEBIAN_13, "inception_login": "wil"}
    evars.update(extra_vars or {})
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", inventory or os.path.join(ROOT, "tests", "unit", "inventory.yml"),
         "-e", "ansible_python_interpreter=" + sys.executable, os.path.join(ROOT, playbook), "-e", json.dumps(evars)] + list(args),
        cwd=ROOT, env=ansible_env(), capture_output=True, text=True, check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def run_playbook():
    """Run a playbook of the repository (ansible_playbook): run(playbook, extra_vars=None,
    facts=None, args=(), inventory=None) -> (rc, output)."""
    return ansible_playbook


@pytest.fixture
def run_validate(run_playbook):
    """Run tests/unit/playbooks/validate.yml (every role's input checks) with extra vars; return (rc, output)."""

    def run(extra_vars=None, facts=None):
        return run_playbook(os.path.join("tests", "unit", "playbooks", "validate.yml"), extra_vars, facts)

    return run


def render_project(tmp_path_factory, *extra_vars):
    """Render the Inception project with the inception_project role into a fresh directory."""
    return render_into(tmp_path_factory.mktemp("rendered") / "inception", *extra_vars)


def render_into(target, *extra_vars):
    """Render the Inception project into target (again, when it holds a rendered project)."""
    args = sum((["-e", var] for var in extra_vars), [])
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,",
         os.path.join(ROOT, "tests", "unit", "playbooks", "render.yml"), "-e", "render_dir=%s" % target] + args,
        cwd=ROOT, env=ansible_env(), capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return target


@pytest.fixture(scope="session")
def rendered_project(tmp_path_factory):
    """The Inception project rendered by the inception_project role (once per session)."""
    return render_project(tmp_path_factory)


@pytest.fixture(scope="session")
def rendered_project_without_page_cache(tmp_path_factory):
    """The same with the page cache turned off (inception_project_page_cache: false)."""
    return render_project(tmp_path_factory, '{"inception_project_page_cache": false}')
