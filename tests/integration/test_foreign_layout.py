"""`make evaluate` against a stack this project did not lay out, over plain `ssh://`
(Molecule `fleet`, on its Debian 12 VM): the suite a peer evaluator runs on a student's VM.

The converged stack is rewritten the way students lay theirs out: other `.env` key names
(`SQL_USER`, `SQL_DATABASE`, `WORDPRESS_ADMIN_LOGIN`, `WP_AUTHOR`), the compose file
interpolating those, and the passwords in nested files without `.txt` under other names
(`secrets/sql/sql_password`, `secrets/wordpress/admin_pw`...), reached through the compose
secrets that name them; no `credentials.txt`. The running containers are left as they are,
so the stack keeps serving; the original tree is put back afterwards.

Then `make evaluate HOST=ssh://... LOGIN=...` runs the suite through testinfra's ssh backend
(not Ansible's), as the fleet's sudo user with `--sudo`, and writes the HTML report with its
screenshots through an SSH tunnel: every check of the scale passes (none "cannot decide"),
and the report has the five screenshots of the pages they claim.
"""

import os
import subprocess
import sys

import pytest
import testinfra

from ansible_run import REPO, known_hosts

sys.path.insert(0, os.path.join(REPO, "tests", "unit"))
from test_evaluation_html import check_report, scale_sections  # noqa: E402

SECTION = "Any student's VM: another layout, over ssh://"
VM = "inception-fleet-bookworm"
# .env keys and the compose file's interpolations: ours -> a student's.
KEYS = {"MYSQL_DATABASE": "SQL_DATABASE", "MYSQL_USER": "SQL_USER", "WP_ADMIN_USER": "WORDPRESS_ADMIN_LOGIN",
        "WP_ADMIN_EMAIL": "WORDPRESS_ADMIN_EMAIL", "WP_USER": "WP_AUTHOR", "WP_USER_EMAIL": "WP_AUTHOR_EMAIL",
        "WP_USER_ROLE": "WP_AUTHOR_ROLE"}
# secrets/<ours>.txt -> the student's file.
FILES = {"db_root_password": "sql/root_password", "db_password": "sql/sql_password",
         "wp_admin_password": "wordpress/admin_pw", "wp_user_password": "wordpress/author_pw"}


def relayout_script(project, saved):
    env_sed = " ".join("-e 's/^%s=/%s=/'" % pair for pair in KEYS.items())
    compose_sed = " ".join("-e 's/${%s}/${%s}/g'" % pair for pair in KEYS.items())
    files_sed = " ".join("-e 's#../secrets/%s.txt#../secrets/%s#'" % pair for pair in FILES.items())
    moves = "; ".join("mv secrets/%s.txt secrets/%s" % pair for pair in FILES.items())
    # The copy is complete before it counts as the saved project (the teardown puts it back).
    return ("set -eu; rm -rf {saved} {saved}.tmp; cp -a {project} {saved}.tmp; mv {saved}.tmp {saved}; cd {project}; "
            "sed -i {env_sed} srcs/.env; sed -i {compose_sed} {files_sed} srcs/docker-compose.yml; "
            "mkdir -m 0700 secrets/sql secrets/wordpress; {moves}; rm -f secrets/credentials.txt; "
            "docker compose -f srcs/docker-compose.yml config --quiet").format(
        saved=saved, project=project, env_sed=env_sed, compose_sed=compose_sed, files_sed=files_sed, moves=moves)


@pytest.fixture(scope="module")
def hostvars(fleet):
    return fleet[VM]


@pytest.fixture(scope="module")
def student_layout(inventory, hostvars):
    """The VM's project rewritten as a student's; the original put back at the end."""
    host = testinfra.get_host("ansible://%s" % VM, ansible_inventory=inventory)
    project = "/home/%s/inception" % hostvars["inception_login"]
    saved = project + ".ours"
    with host.sudo():
        out = host.run(relayout_script(project, saved))
    try:
        assert out.rc == 0, "rewriting the layout failed: %s" % (out.stdout + out.stderr)[-2000:]
        yield host, project
    finally:
        with host.sudo():
            back = host.run("set -eu; test -d %s; rm -rf %s; mv %s %s", saved, project, saved, project)
        assert back.rc == 0, "could not put the project back: %s" % back.stderr


@pytest.fixture(scope="module")
def ssh_config(hostvars, tmp_path_factory):
    """An ssh_config for testinfra's ssh backend: the fleet's user, key and known_hosts."""
    path = tmp_path_factory.mktemp("ssh") / "config"
    path.write_text("Host student-vm\n  HostName %s\n  Port %s\n  User %s\n  IdentityFile %s\n  IdentitiesOnly yes\n"
                    "  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n" % (
                        hostvars["ansible_host"], hostvars["ansible_port"], hostvars["ansible_user"],
                        hostvars.get("ansible_ssh_private_key_file") or hostvars["ansible_private_key_file"], known_hosts(hostvars)))
    return str(path)


def test_make_evaluate_over_ssh_on_another_layout(hostvars, student_layout, ssh_config):
    host, project = student_layout
    with host.sudo():
        env = host.check_output("cat %s/srcs/.env", project)
        tree = host.check_output("cd %s && find secrets -type f | sort", project)
    assert "SQL_USER=" in env and "MYSQL_USER=" not in env and "WP_AUTHOR=" in env, env
    assert "secrets/wordpress/admin_pw" in tree and "secrets/db_password.txt" not in tree, tree
    login = hostvars["inception_login"]
    reports = {ext: os.path.join(REPO, "reports", "evaluation-%s.%s" % (login, ext)) for ext in ("html", "md")}
    for path in reports.values():
        if os.path.exists(path):
            os.remove(path)
    proc = subprocess.run(
        ["make", "-o", ".venv/.installed", "evaluate", "HOST=ssh://student-vm", "LOGIN=%s" % login,
         "EVALUATE_ARGS=--ssh-config=%s --sudo" % ssh_config],
        cwd=REPO, capture_output=True, text=True, timeout=1800)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, "make evaluate over ssh:// failed on the student's layout:\n%s" % out[-5000:]
    assert "cannot decide" not in open(reports["md"]).read(), "a check could not decide on the student's layout"
    parser, _ = check_report(reports["html"], {
        "The front page": r"Inception of %s" % login,
        'The install page answering "Already Installed"': r"Installation",
        "The /wp-admin dashboard after the administrator logs in": r"^Dashboard",
        "The post with the second user's comment": r".",
        "The certificate and TLS details": r"^TLS details of "})
    sections = [name for name, _ in parser.sections]
    assert sections[:len(scale_sections())] == scale_sections(), sections
