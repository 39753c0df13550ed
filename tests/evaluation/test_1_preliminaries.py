"""Preliminaries: credentials stay out of git and are readable by root only."""

import os
import subprocess

import pytest

from stack import cannot_decide

SECTION = "1. Preliminaries"


@pytest.fixture(scope="module")
def secrets(host, site):
    """{path under secrets/: content} of every credential file (kept in memory only)."""
    with host.sudo():
        names = host.run("cd %s/secrets && find . -type f", site.project).stdout.split()
        return {name[2:]: host.file("%s/secrets/%s" % (site.project, name[2:])).content_string.strip()
                for name in names}


def needles(value):
    """The value, and for a PEM key its first base64 line (a key pasted reformatted)."""
    lines = value.splitlines()
    return [value] + ([lines[1]] if value.startswith("-----BEGIN") and len(lines) > 2 else [])


def committable_files(root):
    """What `git add -A` would commit in the project (its .gitignore applied)."""
    if subprocess.run(["git", "-C", root, "rev-parse"], capture_output=True).returncode != 0:
        subprocess.run(["git", "init", "-q", root], check=True)
    out = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard", "-z"],
                         check=True, capture_output=True, text=True).stdout
    return [name for name in out.split("\0") if name]


@pytest.mark.by_hand("sudo ls -lR {project}/secrets")
def test_secret_files_are_root_only(host, site, secrets):
    assert secrets, "no credentials under %s/secrets" % site.project
    files = ["%s/secrets/%s" % (site.project, name) for name in secrets]
    with host.sudo():
        loose = ["%s (%s:%o)" % (f, host.file(f).user, host.file(f).mode) for f in files
                 if host.file(f).mode & 0o077 or host.file(f).user != "root"]
    assert not loose, "secret files readable beyond root: %s" % ", ".join(loose)


@pytest.mark.by_hand("cd {project} && git init -q 2>/dev/null; git status --porcelain --untracked-files=all secrets/  # nothing listed = ignored")
def test_secrets_directory_is_git_ignored(secrets, project_tree):
    for name in secrets:  # empty stand-ins: does .gitignore keep them out?
        path = "%s/secrets/%s" % (project_tree, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "a").close()
    exposed = [name for name in committable_files(project_tree) if name.startswith("secrets/")]
    assert not exposed, "git would commit credentials: %s" % ", ".join(exposed)


@pytest.mark.by_hand("cd {project} && sudo sh -c 'for f in $(find secrets -type f); do grep -rlF -f \"$f\" --exclude-dir=secrets --exclude-dir=.git . ; done'")
def test_no_credential_in_committable_files(secrets, project_tree):
    values = {name: value for name, value in secrets.items() if len(value) >= 8}
    if not values:
        cannot_decide("no credential of 8 characters or more in secrets/ to look for")
    leaks = []
    for name in committable_files(project_tree):
        if name.startswith("secrets/"):
            continue
        with open("%s/%s" % (project_tree, name), "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
        leaks += ["%s contains secrets/%s" % (name, secret) for secret, value in values.items()
                  if any(needle in text for needle in needles(value))]
    assert not leaks, "credentials in files git would commit: %s" % "; ".join(leaks)


@pytest.mark.by_hand("docker inspect {service} | grep -iE 'pass|secret|pwd'")
@pytest.mark.parametrize("service", ["nginx", "wordpress", "mariadb"])
def test_no_credential_in_container_inspect_output(host, secrets, service):
    values = {name: value for name, value in secrets.items() if len(value) >= 8 and not name.startswith("tls/")}
    inspect = host.check_output("docker inspect %s", service)
    leaked = [name for name, value in values.items() if value in inspect]
    assert not leaked, "docker inspect %s shows secrets/%s" % (service, ", ".join(leaked))
