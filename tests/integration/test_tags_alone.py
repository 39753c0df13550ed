"""Every documented `role:part` tag works alone on a converged VM, as the role READMEs
promise: the play succeeds and changes nothing; so does the whole site.yml in check mode;
and a whole verbose site.yml run prints no secret value."""

import pytest

from ansible_run import secret_values
from role_docs import ROLES, documented_tags

SECTION = "Roles: every role:part tag alone"
PART_TAGS = sorted(tag for role in ROLES for tag in documented_tags(role) if ":" in tag)


@pytest.mark.parametrize("tag", PART_TAGS)
def test_tag_runs_alone_and_changes_nothing(playbook, host, tag):
    rc, out, recap = playbook("site.yml", "--tags", tag)
    assert rc == 0, "site.yml --tags %s failed:\n%s" % (tag, out[-3000:])
    stats = recap[host.backend.host]
    assert stats["changed"] == 0, "site.yml --tags %s changed %d task(s) on a converged VM:\n%s" % (tag, stats["changed"], out[-3000:])


def test_check_mode_on_a_converged_vm_changes_nothing(playbook, host):
    rc, out, recap = playbook("site.yml", "--check")
    assert rc == 0, "site.yml --check failed:\n%s" % out[-3000:]
    stats = recap[host.backend.host]
    assert stats["changed"] == 0, "site.yml --check reports %d change(s) on a converged VM:\n%s" % (stats["changed"], out[-3000:])


def test_a_verbose_site_run_prints_no_secret(playbook, host):
    variables = host.ansible.get_variables()
    project = variables.get("inception_project_dir") or "/home/%s/inception" % variables["inception_login"]
    # the passwords and the TLS key; a shorter value could show in the output by chance
    values = [v for v in secret_values(host, project, key=True) if len(v) >= 8]
    assert len(values) >= 5, "found only %d secrets on the VM" % len(values)
    rc, out, recap = playbook("site.yml", "-v")
    assert rc == 0, "site.yml -v failed:\n%s" % out[-3000:]
    assert recap[host.backend.host]["changed"] == 0, "site.yml -v changed something on a converged VM:\n%s" % out[-3000:]
    leaked = sorted({i for i, value in enumerate(values) if value in out})
    assert not leaked, "secret number(s) %s (of %d read from the VM) appear in the output of site.yml -v" % (leaked, len(values))
